//! The `helper` function (亲友帮办): adding, listing and removing the people a user books for,
//! accepting an invitation to be helped, seeing and revoking one's helpers, and the audit trail
//! of everything done for oneself. Handlers parse, call `yuyue_shared::helper`, and reply.

use serde::Deserialize;
use yuyue_adapter::providers::face::FaceVerifier;
use yuyue_adapter::{rules_cache, ApiResult, Cx, Reply, Routes};
use yuyue_shared::helper::view::{audit_trail, list_applicants, list_helpers, parse_audit_limit};
use yuyue_shared::helper::{self, AddApplicantBody, HelperContext};
use yuyue_shared::ratelimit;
use yuyue_shared::rules::Rules;

fn routes() -> Routes {
    Routes::new("helper")
        .get("/v1/applicants", applicants)
        .post("/v1/applicants", add)
        .delete("/v1/applicants/:applicant_id", remove)
        .post("/v1/applicants/invitations/:code/accept", accept)
        .get("/v1/me/helpers", helpers)
        .delete("/v1/me/helpers/:user_id", revoke)
        .get("/v1/me/audit", audit)
}

fn context<'a>(cx: &'a Cx, rules: &'a Rules) -> HelperContext<'a> {
    HelperContext {
        rules,
        now: cx.now(),
        request_id: &cx.request_id,
    }
}

async fn applicants(cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let store = cx.store()?;
    let (rules, _) = rules_cache::current(&store).await?;
    let data = list_applicants(&store, &caller.user_id, &rules, cx.now()).await?;
    Ok(Reply::ok(data))
}

async fn add(mut cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let body: AddApplicantBody = cx.json().await?;
    let input = helper::parse_add(&body, cx.now().date_naive())?;
    let store = cx.store()?;
    let me = caller.require_identity(&store).await?;
    let (rules, _) = rules_cache::current(&store).await?;
    // A principal's face check is a paid call like the user's own: the same daily limit.
    let face = FaceVerifier {
        cx: &cx,
        limit: ratelimit::identity_per_user(&rules, me.user.id.as_str()),
    };
    let written = helper::add_applicant(
        &store,
        &context(&cx, &rules),
        &cx.document_keys()?,
        &face,
        &me,
        &input,
        &mut cx.entropy()?,
    )
    .await?;
    Ok(Reply::with_status(written.status, written.body))
}

async fn remove(cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let store = cx.store()?;
    let (rules, _) = rules_cache::current(&store).await?;
    let data = helper::remove_applicant(
        &store,
        &context(&cx, &rules),
        &caller.user_id,
        cx.param("applicant_id"),
    )
    .await?;
    Ok(Reply::ok(data))
}

async fn accept(cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let store = cx.store()?;
    let me = caller.require_identity(&store).await?;
    let (rules, _) = rules_cache::current(&store).await?;
    cx.rate_limit(&ratelimit::invitation_accept_per_user(
        &rules,
        me.user.id.as_str(),
    ))
    .await?;
    let data =
        helper::accept_invitation(&store, &context(&cx, &rules), &me, cx.param("code")).await?;
    Ok(Reply::ok(data))
}

async fn helpers(cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let store = cx.store()?;
    let me = caller.require_identity(&store).await?;
    let (rules, _) = rules_cache::current(&store).await?;
    Ok(Reply::ok(
        list_helpers(&store, &me, &rules, cx.now()).await?,
    ))
}

async fn revoke(cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let store = cx.store()?;
    let me = caller.require_identity(&store).await?;
    let (rules, _) = rules_cache::current(&store).await?;
    let data =
        helper::revoke_helper(&store, &context(&cx, &rules), &me, cx.param("user_id")).await?;
    Ok(Reply::ok(data))
}

#[derive(Deserialize)]
struct AuditQuery {
    limit: Option<String>,
}

async fn audit(cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let q: AuditQuery = cx.query()?;
    let limit = parse_audit_limit(q.limit.as_deref())?;
    let store = cx.store()?;
    let me = caller.require_identity(&store).await?;
    Ok(Reply::ok(audit_trail(&store, &me, limit).await?))
}

yuyue_adapter::function_entry!(routes);

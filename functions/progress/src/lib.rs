//! The `progress` function: an applicant's applications with their timelines, and the
//! certificates they hold, for themselves or a person they act for. Reads D1 directly: these
//! change when the processing system reports, and a user checking whether their passport is
//! ready should see it the moment it is.

use serde::Deserialize;
use yuyue_adapter::{rules_cache, ApiResult, Cx, Reply, Routes};
use yuyue_shared::progress::read;

fn routes() -> Routes {
    Routes::new("progress")
        .get("/v1/applications", applications)
        .get("/v1/applications/:application_no", application)
        .get("/v1/documents", documents)
}

#[derive(Deserialize)]
struct ByApplicant {
    applicant_id: Option<String>,
}

async fn applications(cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let q: ByApplicant = cx.query()?;
    let store = cx.store()?;
    let (rules, _) = rules_cache::current(&store).await?;
    let data = read::list_applications(
        &store,
        &caller.user_id,
        q.applicant_id.as_deref(),
        &rules,
        cx.now(),
        &cx.request_id,
        cx.lang,
    )
    .await?;
    Ok(Reply::ok(data))
}

async fn application(cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let store = cx.store()?;
    let (rules, _) = rules_cache::current(&store).await?;
    let data = read::read_application(
        &store,
        &caller.user_id,
        cx.param("application_no"),
        &rules,
        cx.now(),
        &cx.request_id,
        cx.lang,
    )
    .await?;
    Ok(Reply::ok(data))
}

async fn documents(cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let q: ByApplicant = cx.query()?;
    let store = cx.store()?;
    let (rules, _) = rules_cache::current(&store).await?;
    let data = read::list_documents(
        &store,
        &caller.user_id,
        q.applicant_id.as_deref(),
        &rules,
        cx.now(),
        &cx.request_id,
    )
    .await?;
    Ok(Reply::ok(data))
}

yuyue_adapter::function_entry!(routes);

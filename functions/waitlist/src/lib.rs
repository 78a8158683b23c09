//! The `waitlist` function (候补): join a full period's waitlist, list and read one's entries,
//! leave. The queue itself is kept by the (office, date) inventory object in the `objects`
//! Worker, which gives each freed place to the earliest entry and writes its booking.

use serde::Deserialize;
use yuyue_adapter::reads::Reads;
use yuyue_adapter::{catalog_cache, rules_cache, ApiResult, Cx, Reply, Routes};
use yuyue_shared::waitlist::{self, JoinInput, WaitlistRequest};

fn routes() -> Routes {
    Routes::new("waitlist")
        .post("/v1/waitlist", join_waitlist)
        .get("/v1/waitlist", list_waitlist)
        .get("/v1/waitlist/:waitlist_id", read_waitlist)
        .delete("/v1/waitlist/:waitlist_id", leave_waitlist)
}

#[derive(Deserialize)]
struct ListQuery {
    applicant_id: Option<String>,
}

/// `POST /v1/waitlist`: joins a full period's waitlist (候补).
async fn join_waitlist(mut cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let request: WaitlistRequest = cx.json().await?;
    let store = cx.store()?;
    let (rules, calendar) = rules_cache::current(&store).await?;
    let catalog = catalog_cache::current(&store).await?;
    let number_secret = cx.secret_bytes("BOOKING_NO_SECRET")?;
    let key = cx.header("idempotency-key");
    let view = waitlist::join(
        &store,
        &cx.inventory()?,
        JoinInput {
            caller: &caller.user_id,
            session: &caller.session_id,
            idempotency_key: key.as_deref(),
            request: &request,
            rules: &rules,
            calendar: &calendar,
            catalog: &catalog,
            now: cx.now(),
            request_id: &cx.request_id,
            number_secret: &number_secret,
            lang: cx.lang,
        },
    )
    .await?;
    Ok(Reply::with_status(201, view))
}

async fn list_waitlist(cx: Cx) -> ApiResult<Reply> {
    let reads = Reads::load(&cx).await?;
    let q: ListQuery = cx.query()?;
    let inventory = cx.inventory()?;
    let filter = q.applicant_id.as_deref();
    let views =
        waitlist::list_entries(&reads.store, &inventory, &reads.reader(&cx), filter).await?;
    Ok(Reply::ok(serde_json::json!({ "entries": views })))
}

async fn read_waitlist(cx: Cx) -> ApiResult<Reply> {
    let reads = Reads::load(&cx).await?;
    let id = cx.param("waitlist_id");
    let inventory = cx.inventory()?;
    Ok(Reply::ok(
        waitlist::read_entry(&reads.store, &inventory, &reads.reader(&cx), id).await?,
    ))
}

async fn leave_waitlist(cx: Cx) -> ApiResult<Reply> {
    let reads = Reads::load(&cx).await?;
    let id = cx.param("waitlist_id");
    let inventory = cx.inventory()?;
    Ok(Reply::ok(
        waitlist::leave(&reads.store, &inventory, &reads.reader(&cx), id).await?,
    ))
}

yuyue_adapter::function_entry!(routes);

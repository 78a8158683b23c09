//! The `cancel` function: `POST /v1/bookings/{booking_no}/cancel`, reached from `book` over a
//! service binding (route patterns cannot split that path from the booking's own).

use yuyue_adapter::{rules_cache, ApiResult, Cx, Reply, Routes};
use yuyue_shared::booking::{self, CancelInput};
use yuyue_shared::notify::{Notice, NoticeKind};
use yuyue_shared::ratelimit::{self, Hit};
use yuyue_shared::store::Counters;

fn routes() -> Routes {
    Routes::new("cancel").post("/v1/bookings/:booking_no/cancel", cancel)
}

#[derive(serde::Deserialize, Default)]
struct CancelBody {
    #[serde(default)]
    reason: Option<String>,
}

async fn cancel(mut cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let body: CancelBody = cx.optional_json().await?.unwrap_or_default();
    let store = cx.store()?;
    let (rules, _) = rules_cache::current(&store).await?;
    // Cancels count with submits, in the record's counters: a script cannot cancel and rebook
    // in a loop.
    let hits = [Hit::new(
        &ratelimit::booking_per_user(&rules, caller.user_id.as_str()),
        cx.now().timestamp_millis(),
    )];
    ratelimit::judge(&hits, &store.count_hits(&hits).await?)?;
    let qr = cx.qr_signer().await?;
    let inventory = cx.inventory()?;
    let booking_no = cx.param("booking_no").to_owned();
    let (now, request_id, lang, env) = (cx.now(), cx.request_id.clone(), cx.lang, cx.env.clone());
    // The write, the place's release and the message run to their end even if the client goes
    // away (see `Cx::to_the_end`).
    let cancelled = cx
        .to_the_end(async move {
            let cancelled = booking::cancel(
                &store,
                &inventory,
                CancelInput {
                    caller: &caller.user_id,
                    booking_no: &booking_no,
                    reason: body.reason.as_deref(),
                    rules: &rules,
                    now,
                    request_id: &request_id,
                    qr: &qr,
                    lang,
                },
            )
            .await?;
            // Sent once per booking (the event id is the booking's), also when cancelled twice.
            let notice = Notice::booking(
                NoticeKind::BookingCancelled,
                &cancelled.booking,
                Some(&caller.user_id),
            );
            yuyue_adapter::notify::enqueue(&env, &notice, &request_id).await;
            Ok::<_, yuyue_adapter::ApiError>(cancelled)
        })
        .await??;
    Ok(Reply::ok(cancelled.view))
}

yuyue_adapter::function_entry!(routes);

//! The `events` function: the processing system's signed application events
//! (`POST /v1/ops/applications/{application_no}/events`), each moving an application along its
//! timeline and telling its people. A machine's calls, authenticated by `WEBHOOK_SECRET` alone,
//! apart from `ops` (office staff, by their ops credentials): neither holds the other's secret.

use yuyue_adapter::d1::D1Store;
use yuyue_adapter::{ApiResult, Cx, Reply, Routes};
use yuyue_shared::notify::Notice;
use yuyue_shared::progress::{self, webhook, EventInput, EventRequest};
use yuyue_shared::store::Applications;

fn routes() -> Routes {
    Routes::new("events").post(
        "/v1/ops/applications/:application_no/events",
        application_event,
    )
}

/// The processing system's event, signed with `WEBHOOK_SECRET` (see
/// `yuyue_shared::progress::webhook`). The signature covers the raw body, so it is checked
/// before the body is parsed.
async fn application_event(mut cx: Cx) -> ApiResult<Reply> {
    const SENDER: &str = "processing-system";
    let target = cx.param("application_no").to_owned();
    let result = async {
        let secret = cx.required_config("WEBHOOK_SECRET")?;
        let raw = cx.raw_body()?;
        // The window is judged by the system clock: the dev clock override moves business
        // time, never a security check.
        let now_unix = yuyue_adapter::clock::system_now().timestamp();
        webhook::verify(
            secret.as_bytes(),
            cx.header("x-timestamp").as_deref(),
            cx.header("x-signature").as_deref(),
            raw,
            now_unix,
        )?;
        let request: EventRequest = cx.json().await?;
        let store = cx.store()?;
        let data = progress::apply_event(
            &store,
            EventInput {
                application_no: &target,
                request: &request,
                actor: SENDER,
                now: cx.now(),
                request_id: &cx.request_id,
                lang: cx.lang,
            },
        )
        .await?;
        if data["changed"] == true {
            notify_progress(&cx, &store, &target).await;
        }
        Ok::<_, yuyue_adapter::ApiError>(Reply::ok(data))
    }
    .await;
    let outcome = match &result {
        Ok(_) => "OK",
        Err(e) => e.code.as_str(),
    };
    cx.audit_ops(
        SENDER,
        "webhook",
        "application.event",
        Some(&target),
        outcome,
    )
    .await;
    result
}

/// The application as moved by an event: its progress message.
async fn notify_progress(cx: &Cx, store: &D1Store, raw_no: &str) {
    let Ok(no) = yuyue_shared::domain::ApplicationNo::parse(raw_no) else {
        return;
    };
    if let Ok(Some(app)) = store.application(&no).await {
        cx.notify(&Notice::progress(&app)).await;
    }
}

yuyue_adapter::function_entry!(routes);

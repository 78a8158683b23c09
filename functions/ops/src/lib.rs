//! The `ops` function: what hall staff, admins and the processing system do.

use serde::Deserialize;
use yuyue_adapter::{rules_cache, ApiResult, Cx, Reply, Routes};
use yuyue_shared::booking::qr::QrSigner;
use yuyue_shared::booking::reconcile_day;
use yuyue_shared::domain::OfficeId;
use yuyue_shared::ops::auth::OpsIdentity;
use yuyue_shared::ops::schedule::{publish_schedule, ScheduleRequest};
use yuyue_shared::progress::{self, webhook, CheckinInput, EventInput, EventRequest};
use yuyue_shared::store::{BookingStatus, Bookings, Inventory};
use yuyue_shared::time::parse_date;

fn routes() -> Routes {
    Routes::new("ops")
        .post("/v1/ops/schedules", schedules)
        .get("/v1/ops/offices/:office_id/days/:date", day)
        .post("/v1/ops/reconcile", reconcile)
        .post("/v1/ops/bookings/:booking_no/checkin", checkin)
        .post(
            "/v1/ops/applications/:application_no/events",
            application_event,
        )
}

/// Runs an ops action as `who` and leaves its audit row, whatever the outcome.
async fn audited(
    cx: &Cx,
    who: &OpsIdentity,
    action: &str,
    target: &str,
    result: ApiResult<Reply>,
) -> ApiResult<Reply> {
    let outcome = match &result {
        Ok(_) => "OK",
        Err(e) => e.code.as_str(),
    };
    cx.audit_ops(&who.name, who.role_name(), action, Some(target), outcome)
        .await;
    result
}

async fn schedules(mut cx: Cx) -> ApiResult<Reply> {
    let who = cx.ops_identity()?;
    let req: ScheduleRequest = cx.json().await?;
    let target = format!("{}/{}", req.office_id, req.date);
    let result = async {
        let store = cx.store()?;
        let data = publish_schedule(&store, &cx.inventory()?, &who, &req, cx.now()).await?;
        Ok(Reply::ok(data))
    }
    .await;
    audited(&cx, &who, "schedule.publish", &target, result).await
}

/// The day as the authority holds it, with D1's count beside it.
async fn day(cx: Cx) -> ApiResult<Reply> {
    let who = cx.ops_identity()?;
    let office = OfficeId::parse(cx.param("office_id")).map_err(|e| e.at("office_id"))?;
    let date = parse_date("date", cx.param("date"))?;
    who.require_office(&office)?;
    let store = cx.store()?;
    let periods = cx.inventory()?.day(&office, date).await?;
    let bookings = store.bookings_on(&office, date).await?;
    let rows: Vec<_> = periods
        .iter()
        .map(|p| {
            let of = |s: BookingStatus| {
                bookings
                    .iter()
                    .filter(|b| b.period_id == p.period_id && b.status == s)
                    .count()
            };
            serde_json::json!({
                "period_id": p.period_id.as_str(),
                "start": yuyue_shared::time::format_hhmm(p.start),
                "end": yuyue_shared::time::format_hhmm(p.end),
                "capacity": p.capacity,
                "taken": p.taken,
                "holds": p.holds,
                "remaining": p.remaining(),
                "d1": {
                    "booked": of(BookingStatus::Booked),
                    "checked_in": of(BookingStatus::CheckedIn),
                    "no_show": of(BookingStatus::NoShow),
                    "cancelled": of(BookingStatus::Cancelled),
                },
            })
        })
        .collect();
    Ok(Reply::ok(serde_json::json!({
        "office_id": office.as_str(),
        "date": date.to_string(),
        "periods": rows,
    })))
}

#[derive(Deserialize)]
struct ReconcileRequest {
    office_id: String,
    date: String,
}

async fn reconcile(mut cx: Cx) -> ApiResult<Reply> {
    let who = cx.ops_identity()?;
    let req: ReconcileRequest = cx.json().await?;
    let target = format!("{}/{}", req.office_id, req.date);
    let result = async {
        let office = OfficeId::parse(&req.office_id).map_err(|e| e.at("office_id"))?;
        let date = parse_date("date", &req.date)?;
        who.require_office(&office)?;
        let store = cx.store()?;
        let report = reconcile_day(&store, &cx.inventory()?, &office, date, cx.now()).await?;
        if !report.is_clean() {
            worker::console_warn!(
                "{}",
                serde_json::json!({"level": "warn", "event": "reconciliation_repaired", "request_id": cx.request_id, "report": report})
            );
        }
        Ok(Reply::ok(report))
    }
    .await;
    audited(&cx, &who, "inventory.reconcile", &target, result).await
}

#[derive(Deserialize, Default)]
struct CheckinBody {
    #[serde(default)]
    qr_payload: Option<String>,
}

/// Hall staff scan the applicant's QR code (or type the booking number): arrival, and the
/// application opened. `201` when this call opened it, `200` when it was open already.
async fn checkin(mut cx: Cx) -> ApiResult<Reply> {
    let who = cx.ops_identity()?;
    let target = cx.param("booking_no").to_owned();
    let body: ApiResult<CheckinBody> = cx.optional_json().await.map(Option::unwrap_or_default);
    let result = async {
        let body = body?;
        let store = cx.store()?;
        let (_, calendar) = rules_cache::current(&store).await?;
        let qr = QrSigner::from_seed(&cx.secret_bytes("QR_SIGNING_SEED")?)?;
        let outcome = progress::check_in(
            &store,
            CheckinInput {
                who: &who,
                booking_no: &target,
                qr_payload: body.qr_payload.as_deref(),
                qr_public_key: &qr.public_key(),
                calendar: &calendar,
                now: cx.now(),
                entropy: cx.entropy()?.bytes(),
                request_id: &cx.request_id,
            },
        )
        .await?;
        Ok(match outcome.created {
            true => Reply::created(outcome.body),
            false => Reply::ok(outcome.body),
        })
    }
    .await;
    audited(&cx, &who, "booking.checkin", &target, result).await
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
        let data = progress::apply_event(
            &cx.store()?,
            EventInput {
                application_no: &target,
                request: &request,
                actor: SENDER,
                now: cx.now(),
                request_id: &cx.request_id,
            },
        )
        .await?;
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

yuyue_adapter::function_entry!(routes);

//! The `ops` function: what office staff and admins do, and the scheduled jobs (cron triggers)
//! of `yuyue_shared::ops::jobs`. The processing system's signed events are the `events`
//! function's. The notices they produce go on the
//! notifications queue, which the `notify` function delivers.

use serde::Deserialize;
use yuyue_adapter::d1::D1Store;
use yuyue_adapter::inventory::DoInventory;
use yuyue_adapter::notify;
use yuyue_adapter::{rules_cache, ApiResult, Cx, Reply, Routes};
use yuyue_shared::booking::reconcile_day;
use yuyue_shared::domain::OfficeId;
use yuyue_shared::ops::admission::{set_admission, summary_view, AdmissionRequest};
use yuyue_shared::ops::auth::OpsIdentity;
use yuyue_shared::ops::jobs::{self, Job, JobContext};
use yuyue_shared::ops::metrics::{self as ops_metrics, Stats};
use yuyue_shared::ops::office::{put_office, OfficeRequest};
use yuyue_shared::ops::schedule::{close_day, publish_schedule, CloseRequest, ScheduleRequest};
use yuyue_shared::progress::{self, CheckinInput};
use yuyue_shared::store::Actor;
use yuyue_shared::store::{BookingStatus, Bookings, Catalog, Inventory};
use yuyue_shared::time::parse_date;
use yuyue_shared::time::Instant;

fn routes() -> Routes {
    Routes::new("ops")
        .put("/v1/ops/offices/:office_id", office)
        .post("/v1/ops/schedules", schedules)
        .post("/v1/ops/sweeps/no-shows", sweep_no_shows)
        .post("/v1/ops/jobs/:job", run_job_now)
        .get("/v1/ops/metrics", metrics)
        .get("/v1/ops/dashboard", dashboard)
        .get("/v1/ops/offices/:office_id/days/:date", day)
        .put("/v1/ops/offices/:office_id/days/:date/admission", admission)
        .post("/v1/ops/offices/:office_id/days/:date/close", close)
        .post("/v1/ops/reconcile", reconcile)
        .post("/v1/ops/bookings/:booking_no/checkin", checkin)
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

async fn office(mut cx: Cx) -> ApiResult<Reply> {
    let who = cx.ops_identity()?;
    let target = cx.param("office_id").to_owned();
    let body: ApiResult<OfficeRequest> = cx.json().await;
    let result = async {
        let put = put_office(&cx.store()?, &who, &target, &body?).await?;
        Ok(match put.created {
            true => Reply::created(put.body),
            false => Reply::ok(put.body),
        })
    }
    .await;
    audited(&cx, &who, "office.put", &target, result).await
}

/// The ops dashboard: a static page that asks for an ops token and charts, for a chosen day, each
/// office's fill by period and the booking rate, from `GET /v1/ops/metrics` and the day views.
async fn dashboard(_cx: Cx) -> ApiResult<Reply> {
    Ok(Reply::page(include_str!("../dashboard.html")))
}

#[derive(Deserialize)]
struct MetricsQuery {
    date: Option<String>,
    minutes: Option<String>,
}

/// Bookings, places and holds of a day, the notification backlog, and every function's answers
/// by code and latency over the last minutes. Admins only; a read, not audited.
async fn metrics(cx: Cx) -> ApiResult<Reply> {
    let who = cx.ops_identity()?;
    who.require_admin()?;
    let q: MetricsQuery = cx.query()?;
    let minutes = ops_metrics::parse_minutes(q.minutes.as_deref())?;
    let date = match q.date.as_deref() {
        Some(d) => parse_date("date", d)?,
        None => cx.now().date_naive(),
    };
    let store = cx.store()?;
    let stats = store.day_stats(date).await?;
    let inventory = cx.inventory()?;
    let mut places = ops_metrics::Places::default();
    for office in store.offices(None, None).await? {
        for p in inventory.day(&office.office_id, date).await? {
            places.capacity += u64::from(p.capacity);
            places.taken += u64::from(p.taken);
            places.holds += u64::from(p.holds);
        }
    }
    // The record's numbers stand on their own if the counts cannot be read.
    let functions = yuyue_adapter::metrics::read(&cx.env, minutes).await.ok();
    let mut report = ops_metrics::report(date, minutes, &stats, places, functions.as_deref());
    // Counts are kept by the real minute, whatever the dev clock says.
    let now_minute = yuyue_adapter::clock::system_now().timestamp_millis() / 60_000;
    report["booking_rate"] = match yuyue_adapter::metrics::series(&cx.env, "book", minutes).await {
        Ok(rows) => ops_metrics::booking_rate(&rows, now_minute, minutes),
        Err(_) => serde_json::Value::Null,
    };
    Ok(Reply::ok(report))
}

#[derive(Deserialize)]
struct SweepRequest {
    date: String,
}

/// The no-show sweep of one ended day, as the nightly job runs it for yesterday.
async fn sweep_no_shows(mut cx: Cx) -> ApiResult<Reply> {
    let who = cx.ops_identity()?;
    let body: ApiResult<SweepRequest> = cx.json().await;
    let target = body.as_ref().map_or(String::new(), |b| b.date.clone());
    let result = async {
        who.require_admin()?;
        let date = parse_date("date", &body?.date)?;
        let store = cx.store()?;
        let (rules, calendar) = rules_cache::current(&store).await?;
        let jcx = job_context(&rules, &calendar, cx.now(), &who, &cx.request_id);
        Ok(Reply::ok(jobs::no_show_sweep(&store, date, &jcx).await?))
    }
    .await;
    audited(&cx, &who, "sweep.no_shows", &target, result).await
}

/// Runs a scheduled job now (at the dev clock, where set): what cron runs, on demand.
async fn run_job_now(cx: Cx) -> ApiResult<Reply> {
    let who = cx.ops_identity()?;
    let target = cx.param("job").to_owned();
    let result = async {
        who.require_admin()?;
        let job = Job::parse(&target)?;
        let store = cx.store()?;
        let (rules, calendar) = rules_cache::current(&store).await?;
        let jcx = job_context(&rules, &calendar, cx.now(), &who, &cx.request_id);
        let outcome = jobs::run(&store, &cx.inventory()?, job, &jcx).await?;
        for notice in &outcome.notices {
            cx.notify(notice).await;
        }
        Ok(Reply::ok(outcome.report))
    }
    .await;
    audited(&cx, &who, "job.run", &target, result).await
}

fn job_context<'a>(
    rules: &'a yuyue_shared::rules::Rules,
    calendar: &'a yuyue_shared::rules::calendar::WorkCalendar,
    now: Instant,
    who: &OpsIdentity,
    request_id: &'a str,
) -> JobContext<'a> {
    JobContext {
        rules,
        calendar,
        now,
        actor: Actor::Ops(who.name.clone()),
        request_id,
    }
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
    store
        .office(&office)
        .await?
        .ok_or_else(yuyue_adapter::ApiError::not_found)?;
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
                "waitlist": p.waiting,
                "d1": {
                    "booked": of(BookingStatus::Booked),
                    "checked_in": of(BookingStatus::CheckedIn),
                    "no_show": of(BookingStatus::NoShow),
                    "cancelled": of(BookingStatus::Cancelled),
                },
            })
        })
        .collect();
    let waiting = cx.inventory()?.admission_summary(&office, date).await?;
    Ok(Reply::ok(serde_json::json!({
        "office_id": office.as_str(),
        "date": date.to_string(),
        "periods": rows,
        "admission": summary_view(waiting.as_ref()),
    })))
}

/// Closes a day: its bookings cancelled by the office, the day emptied, everyone told.
async fn close(mut cx: Cx) -> ApiResult<Reply> {
    let who = cx.ops_identity()?;
    let (office, date) = (
        cx.param("office_id").to_owned(),
        cx.param("date").to_owned(),
    );
    let body: ApiResult<CloseRequest> = cx.json().await;
    let result = async {
        let closed = close_day(
            &cx.store()?,
            &cx.inventory()?,
            &who,
            (&office, &date),
            &body?,
            cx.now(),
            &cx.request_id,
        )
        .await?;
        for notice in &closed.notices {
            cx.notify(notice).await;
        }
        Ok(Reply::ok(closed.body))
    }
    .await;
    let target = format!("{office}/{date}");
    audited(&cx, &who, "day.close", &target, result).await
}

/// Switches a day's waiting room on or off.
async fn admission(mut cx: Cx) -> ApiResult<Reply> {
    let who = cx.ops_identity()?;
    let (office, date) = (
        cx.param("office_id").to_owned(),
        cx.param("date").to_owned(),
    );
    let body: ApiResult<AdmissionRequest> = cx.json().await;
    let result = async {
        let store = cx.store()?;
        let (rules, _) = rules_cache::current(&store).await?;
        let data = set_admission(
            &store,
            &cx.inventory()?,
            &rules,
            &who,
            (&office, &date),
            &body?,
        )
        .await?;
        Ok(Reply::ok(data))
    }
    .await;
    let target = format!("{office}/{date}");
    audited(&cx, &who, "admission.set", &target, result).await
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

/// Office staff scan the applicant's QR code (or type the booking number): arrival, and the
/// application opened. `201` when this call opened it, `200` when it was open already.
async fn checkin(mut cx: Cx) -> ApiResult<Reply> {
    let who = cx.ops_identity()?;
    let target = cx.param("booking_no").to_owned();
    let body: ApiResult<CheckinBody> = cx.optional_json().await.map(Option::unwrap_or_default);
    let result = async {
        let body = body?;
        let store = cx.store()?;
        let (_, calendar) = rules_cache::current(&store).await?;
        let qr = cx.qr_signer().await?;
        let outcome = progress::check_in(
            &store,
            CheckinInput {
                who: &who,
                booking_no: &target,
                qr_payload: body.qr_payload.as_deref(),
                qr_public_key: &qr.public_key(),
                qr_signatures: &yuyue_adapter::WebCryptoEd25519,
                calendar: &calendar,
                now: cx.now(),
                entropy: cx.entropy()?.bytes(),
                request_id: &cx.request_id,
                lang: cx.lang,
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

yuyue_adapter::function_entry!(routes);

/// The cron triggers of `wrangler.toml`, each mapped to its job and run at the system clock.
#[worker::event(scheduled)]
async fn scheduled(event: worker::ScheduledEvent, env: worker::Env, _ctx: worker::ScheduleContext) {
    let cron = event.cron();
    let now = yuyue_adapter::clock::system_now();
    let request_id = format!("cron-{}", now.timestamp_millis());
    let outcome = match Job::for_cron(&cron) {
        Some(job) => run_scheduled(&env, job, now, &request_id).await,
        None => Err(yuyue_adapter::ApiError::not_found()),
    };
    let (level, result) = match &outcome {
        Ok(report) => ("info", report.clone()),
        Err(e) => ("error", serde_json::Value::from(e.code.as_str())),
    };
    yuyue_adapter::log::event(
        level,
        "cron",
        &[
            ("cron", cron.into()),
            ("request_id", request_id.into()),
            ("result", result),
        ],
    );
}

async fn run_scheduled(
    env: &worker::Env,
    job: Job,
    now: Instant,
    request_id: &str,
) -> ApiResult<serde_json::Value> {
    let unavailable = |_| yuyue_adapter::ApiError::internal();
    let store = D1Store::from_env(env)?;
    let inventory = DoInventory::new(env.durable_object("INVENTORY").map_err(unavailable)?);
    let (rules, calendar) = rules_cache::current(&store).await?;
    let jcx = JobContext {
        rules: &rules,
        calendar: &calendar,
        now,
        actor: Actor::System,
        request_id,
    };
    let outcome = jobs::run(&store, &inventory, job, &jcx).await?;
    for notice in &outcome.notices {
        notify::enqueue(env, notice, request_id).await;
    }
    Ok(outcome.report)
}

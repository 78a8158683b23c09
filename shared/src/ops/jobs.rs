//! The scheduled work around bookings, run by cron (wrangler `triggers.crons` of the ops
//! Worker) and on demand by an admin (`POST /v1/ops/jobs/{job}`), always through the same
//! functions here, at a "now" the caller passes in:
//!
//! - [`Job::Release`] at the release time (08:00): every day of the booking window has its
//!   schedule, published from the office's usual week where nobody published it by hand.
//! - [`Job::Nightly`] after a day ends (00:05): the no-show sweep of the day that ended, the
//!   release for the window that moved on, the reconciliation of every published (office,
//!   date) of the window with D1, and the removal of helper invitations that lapsed
//!   unanswered more than [`LAPSED_INVITATIONS_KEPT_DAYS`] ago. (A hold that is never
//!   confirmed is released by its inventory object's alarm at the hold's deadline, which no
//!   daily job could match; the reconciliation catches what an alarm did not.)
//! - [`Job::Reminders`] in the evening (20:00): a reminder for every booking of tomorrow.
//!
//! Each step is idempotent: running a job twice, or both jobs, changes nothing the second time.
//! One office's failure is reported and the job goes on with the others.

use super::schedule::publish_day;
use crate::booking::reconcile_day;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::notify::{Notice, NoticeKind};
use crate::rules::calendar::WorkCalendar;
use crate::rules::Rules;
use crate::store::{Actor, Applicants, BookingStatus, Bookings, Catalog, Inventory};
use crate::t;
use crate::time::Instant;
use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Release,
    Nightly,
    Reminders,
}

/// The cron expressions of `wrangler.toml` (UTC): 00:00 UTC is 08:00 in Asia/Shanghai, 16:05 UTC
/// is 00:05.
pub const RELEASE_CRON: &str = "0 0 * * *";
pub const NIGHTLY_CRON: &str = "5 16 * * *";
/// 12:00 UTC is 20:00 in Asia/Shanghai.
pub const REMINDERS_CRON: &str = "0 12 * * *";

impl Job {
    pub fn parse(s: &str) -> ApiResult<Job> {
        match s {
            "release" => Ok(Job::Release),
            "nightly" => Ok(Job::Nightly),
            "reminders" => Ok(Job::Reminders),
            _ => Err(ApiError::not_found()),
        }
    }

    pub fn for_cron(cron: &str) -> Option<Job> {
        match cron {
            RELEASE_CRON => Some(Job::Release),
            NIGHTLY_CRON => Some(Job::Nightly),
            REMINDERS_CRON => Some(Job::Reminders),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Job::Release => "release",
            Job::Nightly => "nightly",
            Job::Reminders => "reminders",
        }
    }
}

/// How long the helper's list keeps showing an invitation as `expired` (so they can see it
/// lapsed and invite again) before the nightly job removes it.
pub const LAPSED_INVITATIONS_KEPT_DAYS: i64 = 30;

/// What a job needs besides the stores.
pub struct JobContext<'a> {
    pub rules: &'a Rules,
    pub calendar: &'a WorkCalendar,
    pub now: Instant,
    pub actor: Actor,
    pub request_id: &'a str,
}

/// A job's report, and the notices it wants sent.
pub struct JobOutcome {
    pub report: Value,
    pub notices: Vec<Notice>,
}

pub async fn run<S: Catalog + Bookings + Applicants, I: Inventory>(
    store: &S,
    inventory: &I,
    job: Job,
    cx: &JobContext<'_>,
) -> ApiResult<JobOutcome> {
    let today = cx.now.date_naive();
    let report = |report| JobOutcome {
        report,
        notices: Vec::new(),
    };
    match job {
        Job::Release => {
            let released = release_schedules(store, inventory, cx).await?;
            Ok(report(json!({ "job": job.name(), "released": released })))
        }
        Job::Reminders => {
            let notices = reminders(store, today + Duration::days(1)).await?;
            Ok(JobOutcome {
                report: json!({ "job": job.name(), "reminders": notices.len() }),
                notices,
            })
        }
        Job::Nightly => {
            let yesterday = today - Duration::days(1);
            let swept = no_show_sweep(store, yesterday, cx).await?;
            let released = release_schedules(store, inventory, cx).await?;
            let reconciled = reconcile_window(store, inventory, yesterday, cx).await?;
            let lapsed_before = cx.now - Duration::days(LAPSED_INVITATIONS_KEPT_DAYS);
            let invitations = store
                .drop_lapsed_invitations(lapsed_before, &cx.actor, cx.request_id, cx.now)
                .await?;
            Ok(report(json!({
                "job": job.name(),
                "no_shows": swept,
                "released": released,
                "reconciled": reconciled,
                "invitations_dropped": invitations,
            })))
        }
    }
}

/// A reminder for every booking of `date` still booked, at every active office.
pub async fn reminders<S: Catalog + Bookings>(
    store: &S,
    date: NaiveDate,
) -> ApiResult<Vec<Notice>> {
    let mut out = Vec::new();
    for office in store.offices(None, None).await? {
        for b in store.bookings_on(&office.office_id, date).await? {
            if b.status == BookingStatus::Booked {
                out.push(Notice::booking(NoticeKind::Reminder, &b, None));
            }
        }
    }
    Ok(out)
}

/// The last day of the booking window as of `now`.
fn window_end(cx: &JobContext<'_>) -> NaiveDate {
    cx.now.date_naive() + Duration::days(cx.rules.booking.days_ahead.into())
}

/// Publishes, from each active office's usual week, every day from today to the end of the booking
/// window that the office opens and nobody has published (or closed) yet.
pub async fn release_schedules<S: Catalog, I: Inventory>(
    store: &S,
    inventory: &I,
    cx: &JobContext<'_>,
) -> ApiResult<Value> {
    let (from, to) = (cx.now.date_naive(), window_end(cx));
    let mut published = Vec::new();
    let mut failed = Vec::new();
    for t in store.templates().await? {
        match store.office(&t.office_id).await? {
            Some(o) if o.active => {}
            _ => continue,
        }
        let done = store.published_days(&t.office_id, from, to).await?;
        let mut date = from;
        while date <= to {
            if !done.contains(&date)
                && !t.periods.is_empty()
                && cx.calendar.office_opens(date, &t.open_weekdays)
            {
                let day = format!("{}/{date}", t.office_id);
                match publish_day(store, inventory, &t.office_id, date, &t.periods).await {
                    Ok(()) => published.push(day),
                    Err(e) => failed.push(json!({ "day": day, "code": e.code.as_str() })),
                }
            }
            date += Duration::days(1);
        }
    }
    Ok(json!({ "published": published, "failed": failed }))
}

/// Marks every booking of `date` neither checked in nor cancelled as a no-show, which counts
/// toward the no-show penalty. Only for a day that has ended.
pub async fn no_show_sweep<S: Bookings>(
    store: &S,
    date: NaiveDate,
    cx: &JobContext<'_>,
) -> ApiResult<Value> {
    if date >= cx.now.date_naive() {
        return Err(ApiError::new(ErrorCode::Conflict)
            .with_message(t!("ops.day_not_over"))
            .with_details(json!({ "reason": "day_not_over" })));
    }
    let marked = store
        .mark_no_shows(date, &cx.actor, cx.request_id, cx.now)
        .await?;
    Ok(json!({
        "date": date.to_string(),
        "marked": marked.len(),
        "booking_nos": marked.iter().map(|b| b.booking_no.as_str()).collect::<Vec<_>>(),
    }))
}

/// Reconciles each published (office, date) from `from` to the end of the window; reports only
/// the days that needed a repair or could not be checked.
async fn reconcile_window<S: Catalog + Bookings, I: Inventory>(
    store: &S,
    inventory: &I,
    from: NaiveDate,
    cx: &JobContext<'_>,
) -> ApiResult<Value> {
    let to = window_end(cx);
    let (mut checked, mut repaired, mut failed) = (0u32, Vec::new(), Vec::new());
    for office in store.offices(None, None).await? {
        for date in store.published_days(&office.office_id, from, to).await? {
            checked += 1;
            let day = format!("{}/{date}", office.office_id);
            match reconcile_day(store, inventory, &office.office_id, date, cx.now).await {
                Ok(report) if report.is_clean() => {}
                Ok(report) => repaired.push(json!({ "day": day, "report": report })),
                Err(e) => failed.push(json!({ "day": day, "code": e.code.as_str() })),
            }
        }
    }
    Ok(json!({ "checked": checked, "repaired": repaired, "failed": failed }))
}

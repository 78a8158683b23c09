use super::protocol::{self as p, object_name};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use worker::ObjectNamespace;
use yuyue_shared::booking::admission::{AdmissionConfig, AdmissionStatus};
use yuyue_shared::domain::{BookingNo, OfficeId, PeriodId};
use yuyue_shared::store::{
    AdmissionSummary, ApplicantId, HoldOutcome, HoldRequest, Inventory, PeriodInventory, Publish,
    PublishedPeriod, Taken, UserId,
};
use yuyue_shared::time::Instant;
use yuyue_shared::time::{format_hhmm, from_unix_millis, parse_hhmm};
use yuyue_shared::{ApiError, ApiResult, ErrorCode};

/// Talks to the inventory objects through the `INVENTORY` namespace binding.
pub struct DoInventory {
    ns: ObjectNamespace,
}

fn unavailable(what: &str) -> ApiError {
    worker::console_error!(
        "{}",
        serde_json::json!({"level": "error", "event": "inventory_unavailable", "op": what})
    );
    ApiError::new(ErrorCode::UpstreamUnavailable)
}

fn corrupt() -> ApiError {
    ApiError::internal()
}

fn day(office: &OfficeId, date: NaiveDate) -> p::Day {
    p::Day {
        office: office.as_str().to_owned(),
        date: date.to_string(),
    }
}

impl DoInventory {
    pub fn new(ns: ObjectNamespace) -> Self {
        DoInventory { ns }
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        op: &str,
        body: &B,
    ) -> ApiResult<T> {
        let stub = self
            .ns
            .get_by_name(&object_name(office.as_str(), &date.to_string()))
            .map_err(|_| unavailable(op))?;
        let json = serde_json::to_string(body).map_err(|_| ApiError::internal())?;
        crate::object_call::post(stub, &format!("https://inventory/{op}"), &json)
            .await
            .map_err(|_| unavailable(op))
    }
}

fn held(start: &str, end: &str) -> ApiResult<HoldOutcome> {
    Ok(HoldOutcome::Held {
        start: parse_hhmm("start", start).map_err(|_| corrupt())?,
        end: parse_hhmm("end", end).map_err(|_| corrupt())?,
    })
}

fn hold_outcome(a: p::HoldAnswer) -> ApiResult<HoldOutcome> {
    match a {
        p::HoldAnswer::Held { start, end } => held(&start, &end),
        p::HoldAnswer::Full { .. } => Ok(HoldOutcome::Full),
        p::HoldAnswer::Closed => Ok(HoldOutcome::Closed),
        p::HoldAnswer::Conflict => Ok(HoldOutcome::Conflict),
        p::HoldAnswer::NotAdmitted { admission } => Ok(HoldOutcome::NotAdmitted(admission)),
    }
}

/// How long this isolate answers a period it learnt is full without asking its object again.
/// A wave of thousands refreshing and resubmitting for a sold-out period then costs the object
/// about one request a second per isolate and period instead of all of them. Only refusals are
/// answered here: a number the object listed as holding a place (a retry of a submit that got
/// it) still goes to the object. A place freed by a cancel is free in the object at once and
/// offered by every isolate within this time, the same bound as the slot page's (`PAGE_HARD_MS`
/// in `functions/catalog`), so a submit never sees a freed place later than the page shows it.
/// At 250 ms, a wave spread over 50 halls (40 submits a hall) sent most refusals to the objects
/// and cost 1.35x a one-hall wave per request; at 750 ms, about the same (`bench/README.md`).
const SOLD_OUT_MEMORY_MS: i64 = 750;

struct SoldOut {
    holders: HashSet<String>,
    at_ms: i64,
}

thread_local! {
    /// (office, date, period) the object last answered as full, with who holds its places.
    static SOLD_OUT: RefCell<HashMap<(String, String, String), SoldOut>> =
        RefCell::new(HashMap::new());
}

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

fn sold_out_key(req: &HoldRequest) -> (String, String, String) {
    (
        req.office.as_str().to_owned(),
        req.date.to_string(),
        req.period.as_str().to_owned(),
    )
}

/// Whether this isolate may refuse `req` as full without asking the object.
fn known_full(req: &HoldRequest) -> bool {
    let now = now_ms();
    SOLD_OUT.with(|s| {
        let mut s = s.borrow_mut();
        // Entries outlive their use by little: drop the stale ones as they are met.
        s.retain(|_, v| now - v.at_ms <= SOLD_OUT_MEMORY_MS);
        s.get(&sold_out_key(req))
            .is_some_and(|v| !v.holders.contains(req.booking_no.as_str()))
    })
}

fn remember_answer(req: &HoldRequest, answer: &p::HoldAnswer) {
    let key = sold_out_key(req);
    SOLD_OUT.with(|s| {
        let mut s = s.borrow_mut();
        match answer {
            p::HoldAnswer::Full {
                holders: Some(holders),
            } => {
                s.insert(
                    key,
                    SoldOut {
                        holders: holders.iter().cloned().collect(),
                        at_ms: now_ms(),
                    },
                );
            }
            p::HoldAnswer::Held { .. } => {
                s.remove(&key);
            }
            _ => {}
        }
    });
}

impl Inventory for DoInventory {
    fn known_full(&self, req: &HoldRequest) -> bool {
        known_full(req)
    }

    async fn hold(&self, req: &HoldRequest) -> ApiResult<HoldOutcome> {
        if known_full(req) {
            return Ok(HoldOutcome::Full);
        }
        let body = p::Hold {
            day: day(&req.office, req.date),
            period: req.period.as_str().to_owned(),
            booking_no: req.booking_no.as_str().to_owned(),
            applicant: req.applicant.as_str().to_owned(),
            ttl_seconds: req.ttl_seconds,
            user: req.user.as_str().to_owned(),
            at_ms: req.at.timestamp_millis(),
        };
        let a: p::HoldAnswer = self.call(&req.office, req.date, "hold", &body).await?;
        remember_answer(req, &a);
        hold_outcome(a)
    }

    async fn confirm(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<()> {
        let body = p::ByNumber {
            day: day(office, date),
            booking_no: no.as_str().to_owned(),
        };
        self.call::<_, serde_json::Value>(office, date, "confirm", &body)
            .await
            .map(|_| ())
    }

    async fn release(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<()> {
        let body = p::ByNumber {
            day: day(office, date),
            booking_no: no.as_str().to_owned(),
        };
        self.call::<_, serde_json::Value>(office, date, "release", &body)
            .await
            .map(|_| ())
    }

    async fn day(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<PeriodInventory>> {
        let periods: Vec<p::PeriodState> =
            self.call(office, date, "day", &day(office, date)).await?;
        periods
            .into_iter()
            .map(|s| {
                Ok(PeriodInventory {
                    period_id: PeriodId::parse(&s.period_id).map_err(|_| corrupt())?,
                    start: parse_hhmm("start", &s.start).map_err(|_| corrupt())?,
                    end: parse_hhmm("end", &s.end).map_err(|_| corrupt())?,
                    capacity: s.capacity,
                    taken: s.taken,
                    holds: s.holds,
                })
            })
            .collect()
    }

    async fn taken_on(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<Taken>> {
        let entries: Vec<p::TakenEntry> =
            self.call(office, date, "taken", &day(office, date)).await?;
        entries
            .into_iter()
            .map(|t| {
                Ok(Taken {
                    booking_no: BookingNo::parse(&t.booking_no).map_err(|_| corrupt())?,
                    period_id: PeriodId::parse(&t.period_id).map_err(|_| corrupt())?,
                    confirmed: t.confirmed,
                    expires_at: t.expires_at.map(from_unix_millis),
                })
            })
            .collect()
    }

    async fn restore(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        period: &PeriodId,
        no: &BookingNo,
        applicant: &ApplicantId,
    ) -> ApiResult<HoldOutcome> {
        let body = p::Restore {
            day: day(office, date),
            period: period.as_str().to_owned(),
            booking_no: no.as_str().to_owned(),
            applicant: applicant.as_str().to_owned(),
        };
        let a: p::HoldAnswer = self.call(office, date, "restore", &body).await?;
        hold_outcome(a)
    }

    async fn publish(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        periods: &[PublishedPeriod],
    ) -> ApiResult<Publish> {
        let body = p::Publish {
            day: day(office, date),
            periods: periods
                .iter()
                .map(|p| p::Period {
                    period_id: p.period_id.as_str().to_owned(),
                    start: format_hhmm(p.start),
                    end: format_hhmm(p.end),
                    capacity: p.capacity,
                })
                .collect(),
        };
        match self.call(office, date, "publish", &body).await? {
            p::PublishAnswer::Published => Ok(Publish::Published),
            p::PublishAnswer::BelowTaken { period_id, taken } => Ok(Publish::BelowTaken {
                period_id: PeriodId::parse(&period_id).map_err(|_| corrupt())?,
                taken,
            }),
        }
    }

    async fn set_admission(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        config: Option<&AdmissionConfig>,
    ) -> ApiResult<()> {
        let body = p::SetAdmission {
            day: day(office, date),
            config: config.copied(),
        };
        self.call::<_, serde_json::Value>(office, date, "admission/set", &body)
            .await
            .map(|_| ())
    }

    async fn admission(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        user: &UserId,
        at: Instant,
        join: bool,
    ) -> ApiResult<AdmissionStatus> {
        let body = p::Admission {
            day: day(office, date),
            user: user.as_str().to_owned(),
            at_ms: at.timestamp_millis(),
            join,
        };
        self.call(office, date, "admission", &body).await
    }

    async fn admission_summary(
        &self,
        office: &OfficeId,
        date: NaiveDate,
    ) -> ApiResult<Option<AdmissionSummary>> {
        let s: Option<p::AdmissionSummary> = self
            .call(office, date, "admission/summary", &day(office, date))
            .await?;
        Ok(s.map(|s| AdmissionSummary {
            config: s.config,
            joined: s.joined,
            drawn: s.drawn,
        }))
    }
}

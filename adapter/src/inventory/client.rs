use super::protocol::{self as p, object_name};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use worker::ObjectNamespace;
use yuyue_shared::booking::admission::{AdmissionConfig, AdmissionStatus};
use yuyue_shared::cache::{BoundedCache, Lookup};
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
        p::HoldAnswer::Held { start, end, .. } => held(&start, &end),
        p::HoldAnswer::Full { .. } => Ok(HoldOutcome::Full),
        p::HoldAnswer::Closed => Ok(HoldOutcome::Closed),
        p::HoldAnswer::Conflict => Ok(HoldOutcome::Conflict),
        p::HoldAnswer::NotAdmitted { admission } => Ok(HoldOutcome::NotAdmitted(admission)),
    }
}

/// A refresh's start: as late as leaves it (one hold, a few ms even in a wave) time to come back
/// before the hard bound. The fewer refreshes, the less a wave spread over many halls costs
/// their objects.
const SOLD_OUT_SOFT_MS: u64 = 600;
/// The slot page's bound (`PAGE_HARD_MS` in `functions/catalog`).
const SOLD_OUT_HARD_MS: u64 = 750;
/// Full periods remembered per isolate: the halls of a release morning many times over.
const SOLD_OUT_ENTRIES: usize = 4096;

thread_local! {
    /// The periods this isolate answers, itself, as full: (office, date, period) the object last
    /// said is full, with the numbers holding its places (a retry of a submit that got one still
    /// goes to the object). A wave of thousands resubmitting for a sold-out period then costs
    /// its object one request per [`SOLD_OUT_SOFT_MS`] per isolate instead of all of them: past
    /// that, one submit asks the object again (it gets a place if one was freed) while the
    /// others are still answered from memory, until [`SOLD_OUT_HARD_MS`]. A place freed by a
    /// cancel is free in the object at once and so offered by every isolate within the hard
    /// bound: a submit never sees a freed place later than the slot page shows it.
    static SOLD_OUT: RefCell<BoundedCache<Rc<HashSet<String>>>> = RefCell::new(
        BoundedCache::new(SOLD_OUT_SOFT_MS, SOLD_OUT_HARD_MS, SOLD_OUT_ENTRIES),
    );
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

fn sold_out_key(req: &HoldRequest) -> String {
    format!(
        "{}|{}|{}",
        req.office.as_str(),
        req.date,
        req.period.as_str()
    )
}

/// Whether this isolate may refuse `req` as full without asking the object. With `ask`, a
/// submit that finds the memory due for a refresh takes the refresh on (it goes to the object,
/// and [`remember_answer`] settles the refresh); without, it only reads the memory.
fn known_full(req: &HoldRequest, ask: bool, now_ms: u64) -> bool {
    SOLD_OUT.with(|c| {
        let key = sold_out_key(req);
        let lookup = if ask {
            c.borrow_mut().get(&key, now_ms)
        } else {
            c.borrow().peek(&key, now_ms)
        };
        match lookup {
            Lookup::Fresh(holders) | Lookup::Stale(holders) => {
                !holders.contains(req.booking_no.as_str())
            }
            Lookup::Refresh(_) | Lookup::Miss => false,
        }
    })
}

/// Learns from the object's answer (or its failure, `None`) to a hold asked at `asked_ms`.
fn remember_answer(req: &HoldRequest, answer: Option<&p::HoldAnswer>, asked_ms: u64) {
    let key = sold_out_key(req);
    SOLD_OUT.with(|c| {
        let mut c = c.borrow_mut();
        match answer {
            // Full, or full with this number's place.
            Some(
                p::HoldAnswer::Full {
                    holders: Some(holders),
                }
                | p::HoldAnswer::Held {
                    holders: Some(holders),
                    ..
                },
            ) => c.put(&key, Rc::new(holders.iter().cloned().collect()), asked_ms),
            // A place was there to take: the memory of a full period is no longer true.
            Some(p::HoldAnswer::Held { holders: None, .. }) => c.forget(&key),
            // Nothing learnt: let the next submit ask.
            _ => c.abandon(&key),
        }
    });
}

impl Inventory for DoInventory {
    fn known_full(&self, req: &HoldRequest) -> bool {
        known_full(req, false, now_ms())
    }

    async fn hold(&self, req: &HoldRequest) -> ApiResult<HoldOutcome> {
        let asked_ms = now_ms();
        if known_full(req, true, asked_ms) {
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
        let answer = self.call(&req.office, req.date, "hold", &body).await;
        remember_answer(req, answer.as_ref().ok(), asked_ms);
        hold_outcome(answer?)
    }

    async fn confirm(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<bool> {
        let body = p::ByNumber {
            day: day(office, date),
            booking_no: no.as_str().to_owned(),
        };
        self.call::<_, p::ConfirmAnswer>(office, date, "confirm", &body)
            .await
            .map(|a| a.confirmed)
    }

    async fn abandon(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<()> {
        let body = p::ByNumber {
            day: day(office, date),
            booking_no: no.as_str().to_owned(),
        };
        self.call::<_, serde_json::Value>(office, date, "abandon", &body)
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

#[cfg(test)]
mod tests {
    use super::*;
    use yuyue_shared::time::from_unix_millis;

    fn req(office: &str, seed: u8) -> HoldRequest {
        HoldRequest {
            office: OfficeId::parse(office).unwrap(),
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            period: PeriodId::parse("am-1").unwrap(),
            booking_no: BookingNo::from_entropy([seed; 7]),
            applicant: ApplicantId(format!("ap{seed}")),
            ttl_seconds: 60,
            user: UserId(format!("u{seed}")),
            at: from_unix_millis(0),
        }
    }

    fn full(holders: &[&HoldRequest]) -> p::HoldAnswer {
        p::HoldAnswer::Full {
            holders: Some(
                holders
                    .iter()
                    .map(|r| r.booking_no.as_str().to_owned())
                    .collect(),
            ),
        }
    }

    #[test]
    fn one_submit_at_a_time_asks_again_and_nothing_is_refused_from_memory_past_the_hard_bound() {
        let (holder, a, b) = (req("t-mem-1", 1), req("t-mem-1", 2), req("t-mem-1", 3));
        assert!(!known_full(&a, true, 1_000), "nothing known yet");
        remember_answer(&a, Some(&full(&[&holder])), 1_000);

        assert!(known_full(&b, false, 1_100) && known_full(&b, true, 1_100));
        assert!(
            !known_full(&holder, true, 1_100),
            "a number holding a place always goes to the object"
        );
        // Past the soft bound, reading alone (before the token is checked) never takes the
        // refresh on: that is left to a submit that goes on to the object.
        let soft = 1_000 + SOLD_OUT_SOFT_MS;
        assert!(!known_full(&b, false, soft));
        assert!(!known_full(&b, true, soft), "b asks the object");
        assert!(known_full(&a, false, soft + 10) && known_full(&a, true, soft + 10));
        let hard = 1_000 + SOLD_OUT_HARD_MS;
        assert!(known_full(&a, true, hard - 1));
        assert!(!known_full(&a, true, hard), "never past the hard bound");

        remember_answer(&b, Some(&full(&[&holder])), soft);
        assert!(known_full(&a, true, hard), "b's answer is the new memory");
    }

    #[test]
    fn a_place_taken_forgets_and_a_failed_ask_lets_the_next_submit_ask() {
        let (holder, a, b) = (req("t-mem-2", 1), req("t-mem-2", 2), req("t-mem-2", 3));
        remember_answer(&a, Some(&full(&[&holder])), 0);
        let soft = SOLD_OUT_SOFT_MS;
        assert!(!known_full(&a, true, soft), "a asks the object");
        assert!(known_full(&b, true, soft + 5), "b is answered meanwhile");
        remember_answer(&a, None, soft);
        assert!(
            !known_full(&b, true, soft + 10),
            "the object could not be asked: b asks"
        );
        remember_answer(
            &b,
            Some(&p::HoldAnswer::Held {
                start: "09:00".into(),
                end: "09:30".into(),
                holders: None,
            }),
            soft + 10,
        );
        assert!(
            !known_full(&a, false, soft + 20),
            "b got a freed place: the period is not known full any more"
        );
    }

    #[test]
    fn the_hold_that_takes_the_last_place_makes_the_period_known_full() {
        let (a, b) = (req("t-mem-3", 1), req("t-mem-3", 2));
        let last = p::HoldAnswer::Held {
            start: "09:00".into(),
            end: "09:30".into(),
            holders: Some(vec![a.booking_no.as_str().to_owned()]),
        };
        remember_answer(&a, Some(&last), 0);
        assert!(known_full(&b, false, 10), "nobody had to be refused first");
        assert!(!known_full(&a, true, 10), "a's retry goes to the object");
    }
}

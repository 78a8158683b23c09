use chrono::NaiveDate;
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use worker::ObjectNamespace;
use yuyue_shared::cache::{BoundedCache, Lookup};
use yuyue_shared::domain::{BookingNo, OfficeId};
use yuyue_shared::inventory::protocol::{object_name, Answered, Message, Request};
use yuyue_shared::inventory::{Hold, HoldAnswer};
use yuyue_shared::store::{HoldOutcome, HoldRequest, Inventory};
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

impl DoInventory {
    pub fn new(ns: ObjectNamespace) -> Self {
        DoInventory { ns }
    }
}

/// A refresh's start: as late as leaves it (one hold, a few ms even in a wave) time to come back
/// before the hard bound. The fewer refreshes, the less a wave spread over many offices costs
/// their objects.
const SOLD_OUT_SOFT_MS: u64 = 600;
/// The slot page's bound (`PAGE_HARD_MS` in `functions/catalog`).
const SOLD_OUT_HARD_MS: u64 = 750;
/// Full periods remembered per isolate: the offices of a release morning many times over.
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
    static SOLD_OUT: RefCell<BoundedCache<Rc<HashSet<BookingNo>>>> = RefCell::new(
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
            Lookup::Fresh(holders) | Lookup::Stale(holders) => !holders.contains(&req.booking_no),
            Lookup::Refresh(_) | Lookup::Miss => false,
        }
    })
}

/// Learns from the object's answer (or its failure, `None`) to a hold asked at `asked_ms`.
fn remember_answer(req: &HoldRequest, answer: Option<&HoldAnswer>, asked_ms: u64) {
    let key = sold_out_key(req);
    SOLD_OUT.with(|c| {
        let mut c = c.borrow_mut();
        match answer {
            // Full, or full with this number's place.
            Some(HoldAnswer {
                outcome: HoldOutcome::Full | HoldOutcome::Held { .. },
                holders: Some(holders),
            }) => c.put(&key, Rc::new(holders.iter().cloned().collect()), asked_ms),
            // A place was there to take: the memory of a full period is no longer true.
            Some(HoldAnswer {
                outcome: HoldOutcome::Held { .. },
                holders: None,
            }) => c.forget(&key),
            // Nothing learnt: let the next submit ask.
            _ => c.abandon(&key),
        }
    });
}

impl Inventory for DoInventory {
    /// Sends `request` to the object of (`office`, `date`); `op` names it in the URL and logs.
    async fn ask(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        op: &'static str,
        request: Request,
    ) -> ApiResult<Answered> {
        let stub = self
            .ns
            .get_by_name(&object_name(office, date))
            .map_err(|_| unavailable(op))?;
        let msg = Message {
            office: office.clone(),
            date,
            request,
        };
        let json = serde_json::to_string(&msg).map_err(|_| ApiError::internal())?;
        crate::object_call::post_text(stub, &format!("https://inventory/{op}"), &json)
            .await
            .map(Answered::Json)
            .map_err(|_| unavailable(op))
    }

    fn known_full(&self, req: &HoldRequest) -> bool {
        known_full(req, false, now_ms())
    }

    /// The protocol's hold, answered from this isolate's memory of full periods when it can be.
    async fn hold(&self, req: &HoldRequest) -> ApiResult<HoldOutcome> {
        let asked_ms = now_ms();
        if known_full(req, true, asked_ms) {
            return Ok(HoldOutcome::Full);
        }
        let hold = Request::Hold(Hold::from(req));
        let answer = self
            .ask(&req.office, req.date, "hold", hold)
            .await
            .and_then(Answered::hold);
        remember_answer(req, answer.as_ref().ok(), asked_ms);
        Ok(answer?.outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yuyue_shared::domain::{ApplicantId, PeriodId, UserId};
    use yuyue_shared::time::from_unix_millis;

    fn req(office: &str, seed: u8) -> HoldRequest {
        HoldRequest {
            office: OfficeId::parse(office).unwrap(),
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            period: PeriodId::parse("am-1").unwrap(),
            booking_no: BookingNo::from_entropy([seed; 7]),
            applicant: ApplicantId::parse(&format!("ap{seed}")).unwrap(),
            ttl_seconds: 60,
            user: UserId::parse(&format!("u{seed}")).unwrap(),
            at: from_unix_millis(0),
        }
    }

    fn full(holders: &[&HoldRequest]) -> HoldAnswer {
        HoldAnswer {
            outcome: HoldOutcome::Full,
            holders: Some(holders.iter().map(|r| r.booking_no.clone()).collect()),
        }
    }

    fn held(holders: Option<Vec<BookingNo>>) -> HoldAnswer {
        HoldAnswer {
            outcome: HoldOutcome::Held {
                start: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                end: chrono::NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
                lapses_at_ms: Some(61_000),
            },
            holders,
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
        remember_answer(&b, Some(&held(None)), soft + 10);
        assert!(
            !known_full(&a, false, soft + 20),
            "b got a freed place: the period is not known full any more"
        );
    }

    #[test]
    fn the_hold_that_takes_the_last_place_makes_the_period_known_full() {
        let (a, b) = (req("t-mem-3", 1), req("t-mem-3", 2));
        let last = held(Some(vec![a.booking_no.clone()]));
        remember_answer(&a, Some(&last), 0);
        assert!(known_full(&b, false, 10), "nobody had to be refused first");
        assert!(!known_full(&a, true, 10), "a's retry goes to the object");
    }
}

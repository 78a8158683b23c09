//! Every storage trait in memory, with the same invariants the D1 schema and the inventory
//! object enforce (unique openid per platform, one active booking per applicant and service,
//! capacity never exceeded, status transitions only from the right state), so business logic
//! tested against it is tested against the rules storage will hold it to. Failures can be
//! injected per operation to test the steps between the inventory and the record.
//!
//! One file per storage trait. Only tests see it (`cfg(test)`, or the `test-utils` feature for
//! another crate's), like daphne's in-memory storage: production code cannot reach it, and it
//! sits above every layer it implements the traits of.

mod applicants;
mod applications;
mod audit;
mod bookings;
mod catalog;
mod deliveries;
mod inventory;
mod notices;
mod rules;
mod sessions;
mod stats;
mod submit;
mod users;
mod waitlist;

use crate::booking::lapse::lapses;
use crate::domain::{ApplicationNo, BookingNo, OfficeId, PeriodId, Phone, ServiceId};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::inventory::protocol::{object_name, Answer, Answered, Message, Request};
use crate::inventory::{Day, Stored};
use crate::notify::{
    Deliveries, DeliveryStatus, Notice, NoticeFacts, NoticeReads, Outcome, Recipient,
};
use crate::rules::calendar::WorkCalendar;
use crate::rules::Rules;
use crate::store::model::*;
use crate::store::traits::*;
use crate::time::Instant;
use chrono::NaiveDate;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;

/// Something another request does in the middle of a test's call.
type Hook = Box<dyn FnOnce(&MemoryStore)>;

#[derive(Default)]
struct State {
    users: Vec<User>,
    identity_attempts: Vec<IdentityAttempt>,
    sessions: Vec<Session>,
    applicants: Vec<Applicant>,
    links: Vec<Link>,
    bookings: Vec<Booking>,
    waitlist: Vec<WaitlistEntry>,
    /// What the waitlist's settling put on the notifications queue.
    notices: Vec<Notice>,
    idempotency: Vec<IdempotencyRecord>,
    days: HashMap<(OfficeId, NaiveDate), Day>,
    applications: Vec<Application>,
    documents: Vec<IssuedDocument>,
    audit: Vec<AuditEntry>,
    rules: Rules,
    calendar: WorkCalendar,
    cities: Vec<City>,
    services: Vec<ServiceInfo>,
    offices: Vec<Office>,
    schedule: BTreeMap<(OfficeId, NaiveDate), Vec<PublishedPeriod>>,
    templates: BTreeMap<OfficeId, ScheduleTemplate>,
    deliveries: BTreeMap<(String, UserId), (DeliveryStatus, u32)>,
    /// Rate-limit counts by (stored key, window start).
    counts: HashMap<(String, i64), u32>,
    failures: HashSet<&'static str>,
    /// See [`MemoryStore::lose_next_answer`].
    lost_answers: HashSet<&'static str>,
    /// See [`MemoryStore::interleave`].
    interleave: bool,
    /// See [`MemoryStore::lose_place_before_next_confirm`].
    lose_place: bool,
    /// See [`MemoryStore::before_next`].
    before: Option<(&'static str, Hook)>,
    now: Option<Instant>,
}

/// In-memory storage. Single-threaded like a Worker isolate; clones share nothing.
#[derive(Default)]
pub struct MemoryStore {
    state: RefCell<State>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_rules(self, rules: Rules) -> Self {
        self.state.borrow_mut().rules = rules;
        self
    }

    /// Makes the next call of operation `op` (the trait method's name) fail with
    /// `UPSTREAM_UNAVAILABLE`, as a lost connection to D1 or to the object would.
    pub fn fail_next(&self, op: &'static str) {
        self.state.borrow_mut().failures.insert(op);
    }

    /// Drops every failure injected and not yet met.
    pub fn clear_faults(&self) {
        let mut st = self.state.borrow_mut();
        st.failures.clear();
        st.lost_answers.clear();
        st.lose_place = false;
    }

    /// Makes the next call of `op` do its work and then fail as if its answer was lost on
    /// the way back: a D1 write that times out after committing, an object's answer dropped.
    /// Only the operations that write say where their answer can be lost (`hold`, `confirm`,
    /// `create_booking`).
    pub fn lose_next_answer(&self, op: &'static str) {
        self.state.borrow_mut().lost_answers.insert(op);
    }

    /// With `on`, every operation first yields once (its future is `Pending` on the first
    /// poll): a test's executor may then run other requests between any two storage steps of
    /// one, as concurrent requests interleave at their awaits. [`block_on`] refuses such
    /// futures.
    pub fn interleave(&self, on: bool) {
        self.state.borrow_mut().interleave = on;
    }

    fn injected(op: &'static str) -> ApiError {
        ApiError::new(ErrorCode::UpstreamUnavailable)
            .with_details(serde_json::json!({ "injected": op }))
    }

    /// The start of every operation: a point where others may run, and an injected failure.
    async fn step(&self, op: &'static str) -> ApiResult<()> {
        if self.state.borrow().interleave {
            YieldOnce(false).await;
        }
        if self.state.borrow_mut().failures.remove(op) {
            return Err(Self::injected(op));
        }
        Ok(())
    }

    fn answer_lost(&self, op: &'static str) -> ApiResult<()> {
        if self.state.borrow_mut().lost_answers.remove(op) {
            return Err(Self::injected(op));
        }
        Ok(())
    }

    /// The next `confirm` finds its number's place gone and taken by another number: the race
    /// of a hold that lapsed and was settled against the record just before its booking's
    /// write committed, and of someone else (number `BookingNo::from_entropy([0xee; 7])`)
    /// booking the place it freed.
    pub fn lose_place_before_next_confirm(&self) {
        self.state.borrow_mut().lose_place = true;
    }

    /// Runs `f` just before the next call of `op` (`confirm`, `restore`, ...) reaches the
    /// inventory: what another request does between two steps of a caller's.
    pub fn before_next(&self, op: &'static str, f: impl FnOnce(&MemoryStore) + 'static) {
        self.state.borrow_mut().before = Some((op, Box::new(f)));
    }

    /// The inventory's clock (hold expiry); the real object reads its own.
    pub fn set_now(&self, now: Instant) {
        self.state.borrow_mut().now = Some(now);
    }

    fn clock(&self) -> Instant {
        self.state
            .borrow()
            .now
            .unwrap_or_else(|| crate::time::from_unix_millis(0))
    }

    /// Lets unconfirmed holds lapse as the object's alarm would, at every day.
    pub fn expire_holds(&self) {
        let days: Vec<(OfficeId, NaiveDate)> = self.state.borrow().days.keys().cloned().collect();
        for (office, date) in days {
            block_on(self.alarm(&office, date));
        }
    }

    /// The alarm of one day, as the object runs it: its lapsed holds are looked up in the
    /// record (other requests may run meanwhile) and settled, and the notices kept are sent.
    /// `false` when the record could not be asked about all of them.
    pub async fn alarm(&self, office: &OfficeId, date: NaiveDate) -> bool {
        let now = self.clock().timestamp_millis();
        let lapsed = match self
            .state
            .borrow_mut()
            .days
            .get_mut(&(office.clone(), date))
        {
            Some(day) => day.lapsed(now),
            None => return true,
        };
        let (lapses, complete) = lapses(self, office, date, &lapsed).await;
        {
            let mut st = self.state.borrow_mut();
            if let Some(day) = st.days.get_mut(&(office.clone(), date)) {
                for l in lapses {
                    day.settle(&l.booking_no, l.booked, l.notice.as_deref(), now);
                }
                let kept = day.notices();
                day.sent(&kept.iter().map(|(id, _)| *id).collect::<Vec<_>>());
                day.take_changes();
                let sent = kept
                    .iter()
                    .map(|(_, n)| serde_json::from_str(n).expect("a notice"));
                st.notices.extend(sent);
            }
        }
        complete && self.serve_waitlist(office, date).await.is_ok()
    }

    /// The alarm's second half: the day's outbox told to the record
    /// ([`crate::waitlist::settle_waitlist`]); the notices are kept as the queue would get them.
    pub async fn serve_waitlist(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<()> {
        let rules = self.state.borrow().rules.clone();
        let input = crate::waitlist::serve::ServeInput {
            rules: &rules,
            now: self.clock(),
            request_id: "alarm",
        };
        let notices = crate::waitlist::settle_waitlist(self, self, office, date, &input).await?;
        self.state.borrow_mut().notices.extend(notices);
        Ok(())
    }

    /// The notices the days' alarms sent (confirmations, the waitlist's), oldest first.
    pub fn sent_notices(&self) -> Vec<Notice> {
        self.state.borrow().notices.clone()
    }

    pub fn set_calendar(&self, calendar: WorkCalendar) {
        self.state.borrow_mut().calendar = calendar;
    }

    /// The inventory object is evicted, or crashes, and starts again: every day is rebuilt from
    /// its storage, forgetting what only its memory held (refusals, who relies on a hold).
    pub fn restart_inventory(&self) {
        for day in self.state.borrow_mut().days.values_mut() {
            *day = Day::new(day.stored().clone());
        }
    }

    /// What the inventory of a day holds in its storage: for invariant checks in tests.
    pub fn inventory_stored(&self, office: &OfficeId, date: NaiveDate) -> Stored {
        let st = self.state.borrow();
        st.days
            .get(&(office.clone(), date))
            .map(|d| d.stored().clone())
            .unwrap_or_default()
    }

    /// Counts what the inventory holds for one period: for invariant checks in tests.
    pub fn taken(&self, office: &OfficeId, date: NaiveDate, period: &str) -> u32 {
        let st = self.state.borrow();
        match (
            st.days.get(&(office.clone(), date)),
            PeriodId::parse(period),
        ) {
            (Some(d), Ok(p)) => d.stored().taken(&p),
            _ => 0,
        }
    }

    /// Sends one message to the day's inventory, as the client sends it to the object: the
    /// same [`Day`] decides, with its schedule loaded from the record the same way.
    fn decide(&self, office: &OfficeId, date: NaiveDate, request: Request) -> ApiResult<Answer> {
        let now = self.clock().timestamp_millis();
        let mut st = self.state.borrow_mut();
        let State { days, schedule, .. } = &mut *st;
        let day = days.entry((office.clone(), date)).or_default();
        if request.reads_periods() && day.wants_schedule(now) {
            let published = schedule.get(&(office.clone(), date));
            day.load_schedule(published.map_or(&[], Vec::as_slice), now);
        }
        let msg = Message {
            office: office.clone(),
            date,
            request,
        };
        let answer = day.handle(&msg, now, || {
            // Deterministic per day, so tests can rely on one draw.
            let mut seed = [0u8; 32];
            for (i, b) in object_name(office, date).bytes().enumerate() {
                seed[i % 32] ^= b;
            }
            seed
        });
        // `Day` has applied its changes to its own storage image already.
        day.take_changes();
        Ok(answer)
    }
}

/// A future that is `Pending` once, then ready: one point where an executor may switch.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// Drives a future of the in-memory store to completion: it never waits on anything.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("in-memory futures complete without waiting"),
    }
}

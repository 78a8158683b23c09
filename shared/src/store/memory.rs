//! Every storage trait in memory, with the same invariants the D1 schema and the inventory
//! object enforce (unique openid per platform, one active booking per applicant and service,
//! capacity never exceeded, status transitions only from the right state), so business logic
//! tested against it is tested against the rules storage will hold it to. Failures can be
//! injected per operation to test the steps between the inventory and the record.

use super::model::*;
use super::traits::*;
use crate::domain::{ApplicationNo, BookingNo, OfficeId, PeriodId, Phone, ServiceId};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::inventory::admission::{AdmissionConfig, AdmissionStatus};
use crate::inventory::protocol::{object_name, Answer, Message, Request};
use crate::inventory::{Day, Hold, Stored};
use crate::notify::{
    Deliveries, DeliveryStatus, Notice, NoticeFacts, NoticeReads, Outcome, Recipient,
};
use crate::rules::calendar::WorkCalendar;
use crate::rules::Rules;
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
    failures: HashSet<&'static str>,
    /// See [`MemoryStore::lose_next_answer`].
    lost_answers: HashSet<&'static str>,
    /// See [`MemoryStore::interleave`].
    interleave: bool,
    /// See [`MemoryStore::lose_place_before_next_confirm`].
    lose_place: bool,
    /// See [`MemoryStore::before_next_restore`].
    before_restore: Option<Hook>,
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

    /// Runs `f` just before the next `restore` reaches the inventory: what another request
    /// does between a caller's read of the record and its restore.
    pub fn before_next_restore(&self, f: impl FnOnce(&MemoryStore) + 'static) {
        self.state.borrow_mut().before_restore = Some(Box::new(f));
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
    /// record (other requests may run meanwhile) and settled. `false` when the record could
    /// not be asked about all of them.
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
        let (verdicts, complete) = lapsed_verdicts(self, office, date, &lapsed).await;
        if let Some(day) = self
            .state
            .borrow_mut()
            .days
            .get_mut(&(office.clone(), date))
        {
            for (no, here) in verdicts {
                day.settle(&no, here, now);
            }
            day.take_changes();
        }
        complete
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
    fn ask(&self, office: &OfficeId, date: NaiveDate, request: Request) -> ApiResult<Answer> {
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

impl Users for MemoryStore {
    async fn user(&self, id: &UserId) -> ApiResult<Option<User>> {
        self.step("user").await?;
        Ok(self
            .state
            .borrow()
            .users
            .iter()
            .find(|u| &u.id == id)
            .cloned())
    }

    async fn user_by_openid(&self, platform: Platform, openid: &str) -> ApiResult<Option<User>> {
        self.step("user_by_openid").await?;
        let st = self.state.borrow();
        Ok(st
            .users
            .iter()
            .find(|u| u.platform == platform && u.openid == openid)
            .cloned())
    }

    async fn create_user(&self, user: &User) -> ApiResult<User> {
        self.step("create_user").await?;
        let mut st = self.state.borrow_mut();
        if let Some(existing) = st
            .users
            .iter_mut()
            .find(|u| u.platform == user.platform && u.openid == user.openid)
        {
            if existing.unionid.is_none() {
                existing.unionid = user.unionid.clone();
            }
            return Ok(existing.clone());
        }
        st.users.push(user.clone());
        Ok(user.clone())
    }

    async fn set_phone(&self, id: &UserId, phone: &Phone) -> ApiResult<()> {
        self.step("set_phone").await?;
        let mut st = self.state.borrow_mut();
        let user = st.users.iter_mut().find(|u| &u.id == id);
        user.ok_or_else(ApiError::not_found)?.phone = Some(phone.clone());
        Ok(())
    }

    async fn set_language(&self, id: &UserId, lang: crate::i18n::Lang) -> ApiResult<()> {
        self.step("set_language").await?;
        let mut st = self.state.borrow_mut();
        let user = st.users.iter_mut().find(|u| &u.id == id);
        user.ok_or_else(ApiError::not_found)?.lang = lang;
        Ok(())
    }

    async fn bind_identity(&self, user: &UserId, applicant: &ApplicantId) -> ApiResult<()> {
        self.step("bind_identity").await?;
        let mut st = self.state.borrow_mut();
        let platform = st
            .users
            .iter()
            .find(|u| &u.id == user)
            .ok_or_else(ApiError::not_found)?
            .platform;
        let taken = st.users.iter().any(|u| {
            &u.id != user && u.platform == platform && u.applicant_id.as_ref() == Some(applicant)
        });
        if taken {
            return Err(ApiError::new(ErrorCode::Conflict));
        }
        let u = st
            .users
            .iter_mut()
            .find(|u| &u.id == user)
            .expect("found above");
        u.applicant_id = Some(applicant.clone());
        Ok(())
    }

    async fn users_bound_to(&self, applicant: &ApplicantId) -> ApiResult<Vec<User>> {
        self.step("users_bound_to").await?;
        let st = self.state.borrow();
        Ok(st
            .users
            .iter()
            .filter(|u| u.applicant_id.as_ref() == Some(applicant))
            .cloned()
            .collect())
    }

    async fn record_identity_attempt(&self, attempt: &IdentityAttempt) -> ApiResult<()> {
        self.step("record_identity_attempt").await?;
        self.state
            .borrow_mut()
            .identity_attempts
            .push(attempt.clone());
        Ok(())
    }
}

impl Sessions for MemoryStore {
    async fn create_session(&self, session: &Session) -> ApiResult<()> {
        self.step("create_session").await?;
        self.state.borrow_mut().sessions.push(session.clone());
        Ok(())
    }

    async fn session(&self, id: &SessionId) -> ApiResult<Option<Session>> {
        self.step("session").await?;
        Ok(self
            .state
            .borrow()
            .sessions
            .iter()
            .find(|s| &s.id == id)
            .cloned())
    }

    async fn session_by_refresh_hash(&self, hash: &str) -> ApiResult<Option<Session>> {
        self.step("session_by_refresh_hash").await?;
        let st = self.state.borrow();
        Ok(st.sessions.iter().find(|s| s.refresh_hash == hash).cloned())
    }

    async fn rotate_session(
        &self,
        old: &SessionId,
        new: &Session,
        at: Instant,
    ) -> ApiResult<Rotation> {
        self.step("rotate_session").await?;
        let mut st = self.state.borrow_mut();
        let s = st.sessions.iter_mut().find(|s| &s.id == old);
        let s = s.ok_or_else(ApiError::not_found)?;
        if s.rotated_at.is_some() || s.revoked_at.is_some() {
            return Ok(Rotation::Reused);
        }
        s.rotated_at = Some(at);
        st.sessions.push(new.clone());
        Ok(Rotation::Rotated)
    }

    async fn revoke_family(&self, family: &SessionId, at: Instant) -> ApiResult<()> {
        self.step("revoke_family").await?;
        for s in self.state.borrow_mut().sessions.iter_mut() {
            if &s.family == family && s.revoked_at.is_none() {
                s.revoked_at = Some(at);
            }
        }
        Ok(())
    }
}

impl Applicants for MemoryStore {
    async fn applicant(&self, id: &ApplicantId) -> ApiResult<Option<Applicant>> {
        self.step("applicant").await?;
        Ok(self
            .state
            .borrow()
            .applicants
            .iter()
            .find(|a| &a.id == id)
            .cloned())
    }

    async fn applicant_by_document(&self, hash: &str) -> ApiResult<Option<Applicant>> {
        self.step("applicant_by_document").await?;
        let st = self.state.borrow();
        Ok(st
            .applicants
            .iter()
            .find(|a| a.document.hash == hash)
            .cloned())
    }

    async fn create_applicant(&self, applicant: &Applicant) -> ApiResult<Applicant> {
        self.step("create_applicant").await?;
        let mut st = self.state.borrow_mut();
        if let Some(a) = st
            .applicants
            .iter()
            .find(|a| a.document.hash == applicant.document.hash)
        {
            return Ok(a.clone());
        }
        st.applicants.push(applicant.clone());
        Ok(applicant.clone())
    }

    async fn link(&self, helper: &UserId, applicant: &ApplicantId) -> ApiResult<Option<Link>> {
        self.step("link").await?;
        let st = self.state.borrow();
        Ok(st
            .links
            .iter()
            .find(|l| &l.helper == helper && &l.applicant == applicant)
            .cloned())
    }

    async fn links_of_helper(&self, helper: &UserId) -> ApiResult<Vec<Link>> {
        self.step("links_of_helper").await?;
        let st = self.state.borrow();
        Ok(st
            .links
            .iter()
            .filter(|l| &l.helper == helper)
            .cloned()
            .collect())
    }

    async fn links_of_applicant(&self, applicant: &ApplicantId) -> ApiResult<Vec<Link>> {
        self.step("links_of_applicant").await?;
        let st = self.state.borrow();
        Ok(st
            .links
            .iter()
            .filter(|l| &l.applicant == applicant)
            .cloned()
            .collect())
    }

    async fn link_by_invitation(&self, invitation_hash: &str) -> ApiResult<Option<Link>> {
        self.step("link_by_invitation").await?;
        let st = self.state.borrow();
        Ok(st
            .links
            .iter()
            .find(|l| l.invitation_hash.as_deref() == Some(invitation_hash))
            .cloned())
    }

    async fn put_link(&self, link: &Link) -> ApiResult<()> {
        self.step("put_link").await?;
        let mut st = self.state.borrow_mut();
        st.links
            .retain(|l| !(l.helper == link.helper && l.applicant == link.applicant));
        st.links.push(link.clone());
        Ok(())
    }

    async fn add_link(
        &self,
        link: &Link,
        new_person: Option<&Applicant>,
        limits: &LinkLimits,
        audit: &AuditEntry,
    ) -> ApiResult<AddLink> {
        self.step("add_link").await?;
        let mut st = self.state.borrow_mut();
        if let Some(p) = new_person {
            if st
                .applicants
                .iter()
                .any(|a| a.document.hash == p.document.hash)
            {
                return Ok(AddLink::PersonExists);
            }
        }
        let same_pair = |l: &Link| l.helper == link.helper && l.applicant == link.applicant;
        if let Some(existing) = st
            .links
            .iter()
            .find(|l| same_pair(l) && l.is_live(link.updated_at))
        {
            return Ok(AddLink::Exists(Box::new(existing.clone())));
        }
        let live_other =
            |l: &&Link| l.relation != Relation::Own && !same_pair(l) && l.is_live(link.updated_at);
        let principals = st
            .links
            .iter()
            .filter(live_other)
            .filter(|l| l.helper == link.helper)
            .count() as u32;
        if principals >= limits.principals_per_user {
            return Ok(AddLink::PrincipalsFull);
        }
        let helpers = st
            .links
            .iter()
            .filter(live_other)
            .filter(|l| l.applicant == link.applicant)
            .count() as u32;
        if helpers >= limits.helpers_per_principal {
            return Ok(AddLink::HelpersFull);
        }
        st.links.retain(|l| !same_pair(l));
        st.links.push(link.clone());
        st.applicants.extend(new_person.cloned());
        st.audit.push(audit.clone());
        Ok(AddLink::Added)
    }

    async fn change_link(
        &self,
        current: &Link,
        next: &Link,
        audit: &AuditEntry,
    ) -> ApiResult<bool> {
        self.step("change_link").await?;
        let mut st = self.state.borrow_mut();
        let Some(stored) = st.links.iter_mut().find(|l| {
            l.helper == current.helper
                && l.applicant == current.applicant
                && l.status == current.status
                && l.updated_at == current.updated_at
        }) else {
            return Ok(false);
        };
        *stored = next.clone();
        st.audit.push(audit.clone());
        Ok(true)
    }

    async fn drop_lapsed_invitations(
        &self,
        lapsed_before: Instant,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<u32> {
        self.step("drop_lapsed_invitations").await?;
        let mut st = self.state.borrow_mut();
        let lapsed = |l: &Link| {
            l.status == LinkStatus::Pending
                && l.invitation_expires_at.is_some_and(|e| e < lapsed_before)
        };
        let (dropped, kept): (Vec<Link>, Vec<Link>) = st.links.drain(..).partition(|l| lapsed(l));
        st.links = kept;
        for l in &dropped {
            st.audit.push(AuditEntry {
                actor: actor.clone(),
                subject: l.applicant.clone(),
                action: "helper.invitation_dropped".into(),
                target: Some(l.helper.as_str().to_owned()),
                request_id: request_id.to_owned(),
                at,
            });
        }
        Ok(dropped.len() as u32)
    }
}

impl Bookings for MemoryStore {
    async fn create_booking(
        &self,
        booking: &Booking,
        idempotency: &IdempotencyRecord,
        audit: &AuditEntry,
        write_by: Option<i64>,
    ) -> ApiResult<CreateBooking> {
        self.step("create_booking").await?;
        if write_by.is_some_and(|by| self.clock().timestamp_millis() >= by) {
            return Ok(CreateBooking::TooLate);
        }
        let mut st = self.state.borrow_mut();
        if let Some(b) = st
            .bookings
            .iter()
            .find(|b| b.booking_no == booking.booking_no)
        {
            return Ok(CreateBooking::SameNumber(Box::new(b.clone())));
        }
        if let Some(b) = st.bookings.iter().find(|b| {
            b.applicant_id == booking.applicant_id
                && b.service == booking.service
                && b.status == BookingStatus::Booked
        }) {
            return Ok(CreateBooking::ActiveExists(b.booking_no.clone()));
        }
        if st
            .idempotency
            .iter()
            .any(|r| r.user_id == idempotency.user_id && r.key == idempotency.key)
        {
            return Err(ApiError::new(ErrorCode::Conflict));
        }
        st.bookings.push(booking.clone());
        st.idempotency.push(idempotency.clone());
        st.audit.push(audit.clone());
        drop(st);
        self.answer_lost("create_booking")?;
        Ok(CreateBooking::Created)
    }

    async fn booking(&self, no: &BookingNo) -> ApiResult<Option<Booking>> {
        self.step("booking").await?;
        let st = self.state.borrow();
        Ok(st.bookings.iter().find(|b| &b.booking_no == no).cloned())
    }

    async fn idempotency(&self, user: &UserId, key: &str) -> ApiResult<Option<IdempotencyRecord>> {
        self.step("idempotency").await?;
        let st = self.state.borrow();
        Ok(st
            .idempotency
            .iter()
            .find(|r| &r.user_id == user && r.key == key)
            .cloned())
    }

    async fn bookings_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<Booking>> {
        self.step("bookings_of").await?;
        let st = self.state.borrow();
        let mut out: Vec<Booking> = st
            .bookings
            .iter()
            .filter(|b| applicants.contains(&b.applicant_id))
            .cloned()
            .collect();
        out.sort_by_key(|b| std::cmp::Reverse(b.created_at));
        Ok(out)
    }

    async fn active_booking(
        &self,
        applicant: &ApplicantId,
        service: ServiceId,
    ) -> ApiResult<Option<Booking>> {
        self.step("active_booking").await?;
        let st = self.state.borrow();
        Ok(st
            .bookings
            .iter()
            .find(|b| {
                &b.applicant_id == applicant
                    && b.service == service
                    && b.status == BookingStatus::Booked
            })
            .cloned())
    }

    async fn cancel_booking(
        &self,
        no: &BookingNo,
        by: &UserId,
        reason: Option<&str>,
        at: Instant,
        audit: &AuditEntry,
    ) -> ApiResult<Option<Booking>> {
        self.step("cancel_booking").await?;
        let mut st = self.state.borrow_mut();
        let Some(b) = st.bookings.iter_mut().find(|b| &b.booking_no == no) else {
            return Ok(None);
        };
        let changed = b.status == BookingStatus::Booked;
        if changed {
            b.status = BookingStatus::Cancelled;
            b.cancelled_at = Some(at);
            b.cancelled_by = Some(by.clone());
            b.cancel_reason = reason.map(str::to_owned);
        }
        let after = b.clone();
        if changed {
            st.audit.push(audit.clone());
        }
        Ok(Some(after))
    }

    async fn withdraw_booking(
        &self,
        no: &BookingNo,
        (user, key): (&UserId, &str),
        reason: &str,
        at: Instant,
        audit: &AuditEntry,
    ) -> ApiResult<()> {
        self.step("withdraw_booking").await?;
        let mut st = self.state.borrow_mut();
        let State {
            bookings,
            idempotency,
            audit: trail,
            ..
        } = &mut *st;
        let Some(b) = bookings
            .iter_mut()
            .find(|b| &b.booking_no == no && b.status == BookingStatus::Booked)
        else {
            return Ok(());
        };
        b.status = BookingStatus::Cancelled;
        b.cancelled_at = Some(at);
        b.cancel_reason = Some(reason.to_owned());
        trail.push(audit.clone());
        for r in idempotency
            .iter_mut()
            .filter(|r| &r.user_id == user && r.key == key)
        {
            r.status = 409;
            r.response = serde_json::json!({});
        }
        Ok(())
    }

    async fn cancellations_since(
        &self,
        applicant: &ApplicantId,
        since: Instant,
    ) -> ApiResult<Vec<Instant>> {
        self.step("cancellations_since").await?;
        let st = self.state.borrow();
        let mut out: Vec<Instant> = st
            .bookings
            .iter()
            .filter(|b| &b.applicant_id == applicant && b.cancelled_by.is_some())
            .filter_map(|b| b.cancelled_at)
            .filter(|t| *t >= since)
            .collect();
        out.sort_by(|a, b| b.cmp(a));
        Ok(out)
    }

    async fn no_shows_since(
        &self,
        applicant: &ApplicantId,
        since: NaiveDate,
    ) -> ApiResult<Vec<NaiveDate>> {
        self.step("no_shows_since").await?;
        let st = self.state.borrow();
        Ok(st
            .bookings
            .iter()
            .filter(|b| {
                &b.applicant_id == applicant && b.status == BookingStatus::NoShow && b.date >= since
            })
            .map(|b| b.date)
            .collect())
    }

    async fn bookings_on(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<Booking>> {
        self.step("bookings_on").await?;
        let st = self.state.borrow();
        Ok(st
            .bookings
            .iter()
            .filter(|b| &b.office_id == office && b.date == date)
            .cloned()
            .collect())
    }

    async fn check_in(&self, no: &BookingNo, at: Instant) -> ApiResult<Option<Booking>> {
        self.step("check_in").await?;
        let mut st = self.state.borrow_mut();
        let Some(b) = st.bookings.iter_mut().find(|b| &b.booking_no == no) else {
            return Ok(None);
        };
        if b.status == BookingStatus::Booked {
            b.status = BookingStatus::CheckedIn;
            b.checked_in_at = Some(at);
        }
        Ok(Some(b.clone()))
    }

    async fn cancel_day(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        reason: &str,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<Vec<Booking>> {
        self.step("cancel_day").await?;
        let mut st = self.state.borrow_mut();
        let mut out = Vec::new();
        for b in st.bookings.iter_mut() {
            if &b.office_id == office && b.date == date && b.status == BookingStatus::Booked {
                b.status = BookingStatus::Cancelled;
                b.cancelled_at = Some(at);
                b.cancelled_by = None;
                b.cancel_reason = Some(reason.to_owned());
                out.push(b.clone());
            }
        }
        for b in &out {
            st.audit.push(AuditEntry {
                actor: actor.clone(),
                subject: b.applicant_id.clone(),
                action: "booking.day_closed".into(),
                target: Some(b.booking_no.as_str().to_owned()),
                request_id: request_id.to_owned(),
                at,
            });
        }
        Ok(out)
    }

    async fn mark_no_shows(
        &self,
        date: NaiveDate,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<Vec<Booking>> {
        self.step("mark_no_shows").await?;
        let mut st = self.state.borrow_mut();
        let mut out = Vec::new();
        for b in st.bookings.iter_mut() {
            if b.date == date && b.status == BookingStatus::Booked {
                b.status = BookingStatus::NoShow;
                out.push(b.clone());
            }
        }
        for b in &out {
            st.audit.push(AuditEntry {
                actor: actor.clone(),
                subject: b.applicant_id.clone(),
                action: "booking.no_show".into(),
                target: Some(b.booking_no.as_str().to_owned()),
                request_id: request_id.to_owned(),
                at,
            });
        }
        Ok(out)
    }
}

impl Inventory for MemoryStore {
    fn known_full(&self, req: &HoldRequest) -> bool {
        let st = self.state.borrow();
        st.days
            .get(&(req.office.clone(), req.date))
            .is_some_and(|d| d.known_full(&req.period, &req.booking_no))
    }

    async fn hold(&self, req: &HoldRequest) -> ApiResult<HoldOutcome> {
        self.step("hold").await?;
        let hold = Request::Hold(Hold::from(req));
        let answer = self.ask(&req.office, req.date, hold)?;
        self.answer_lost("hold")?;
        Ok(answer.hold()?.outcome)
    }

    async fn confirm(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<bool> {
        self.step("confirm").await?;
        if std::mem::take(&mut self.state.borrow_mut().lose_place) {
            self.take_place_of(office, date, no);
        }
        let confirm = Request::Confirm {
            booking_no: no.clone(),
        };
        let answer = self.ask(office, date, confirm)?;
        self.answer_lost("confirm")?;
        answer.confirmed()
    }

    async fn abandon(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<()> {
        let abandon = Request::Abandon {
            booking_no: no.clone(),
        };
        self.step("abandon").await?;
        self.ask(office, date, abandon)?.done()
    }

    async fn release(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<()> {
        let release = Request::Release {
            booking_no: no.clone(),
        };
        self.step("release").await?;
        self.ask(office, date, release)?.done()
    }

    async fn release_lapsed(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        no: &BookingNo,
    ) -> ApiResult<bool> {
        let release = Request::ReleaseLapsed {
            booking_no: no.clone(),
        };
        self.step("release_lapsed").await?;
        self.ask(office, date, release)?.released()
    }

    async fn day(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<PeriodInventory>> {
        self.step("day").await?;
        self.ask(office, date, Request::Periods)?.periods()
    }

    async fn taken_on(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<Taken>> {
        self.step("taken_on").await?;
        self.ask(office, date, Request::Taken)?.taken()
    }

    async fn restore(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        period: &PeriodId,
        no: &BookingNo,
        applicant: &ApplicantId,
    ) -> ApiResult<HoldOutcome> {
        self.step("restore").await?;
        let hook = self.state.borrow_mut().before_restore.take();
        if let Some(f) = hook {
            f(self);
        }
        let restore = Request::Restore {
            period: period.clone(),
            booking_no: no.clone(),
            applicant: applicant.clone(),
        };
        Ok(self.ask(office, date, restore)?.hold()?.outcome)
    }

    async fn publish(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        periods: &[PublishedPeriod],
    ) -> ApiResult<Publish> {
        let publish = Request::Publish {
            periods: periods.to_vec(),
        };
        self.step("publish").await?;
        self.ask(office, date, publish)?.published()
    }

    async fn set_admission(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        config: Option<&AdmissionConfig>,
    ) -> ApiResult<()> {
        let set = Request::SetAdmission {
            config: config.copied(),
        };
        self.step("set_admission").await?;
        self.ask(office, date, set)?.done()
    }

    async fn admission(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        user: &UserId,
        at: Instant,
        join: bool,
    ) -> ApiResult<AdmissionStatus> {
        let ask = Request::Admission {
            user: user.clone(),
            at_ms: at.timestamp_millis(),
            join,
        };
        self.step("admission").await?;
        self.ask(office, date, ask)?.admission()
    }

    async fn admission_summary(
        &self,
        office: &OfficeId,
        date: NaiveDate,
    ) -> ApiResult<Option<AdmissionSummary>> {
        self.step("admission_summary").await?;
        self.ask(office, date, Request::AdmissionSummary)?.summary()
    }
}

impl MemoryStore {
    /// See [`MemoryStore::lose_place_before_next_confirm`]: the number's place is freed and
    /// taken by another number, through the day's own decisions.
    fn take_place_of(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) {
        let now = self.clock().timestamp_millis();
        let mut st = self.state.borrow_mut();
        let Some(day) = st.days.get_mut(&(office.clone(), date)) else {
            return;
        };
        let Some(place) = day.stored().places.get(no).cloned() else {
            return;
        };
        day.release(no);
        let other = BookingNo::from_entropy([0xee; 7]);
        day.restore(&place.period, &other, &place.applicant, now);
        day.take_changes();
    }
}

impl Applications for MemoryStore {
    async fn open_application(&self, application: &Application) -> ApiResult<Application> {
        self.step("open_application").await?;
        let mut st = self.state.borrow_mut();
        if let Some(a) = st
            .applications
            .iter()
            .find(|a| a.booking_no == application.booking_no)
        {
            return Ok(a.clone());
        }
        st.applications.push(application.clone());
        Ok(application.clone())
    }

    async fn application(&self, no: &ApplicationNo) -> ApiResult<Option<Application>> {
        self.step("application").await?;
        let st = self.state.borrow();
        Ok(st
            .applications
            .iter()
            .find(|a| &a.application_no == no)
            .cloned())
    }

    async fn application_of_booking(&self, no: &BookingNo) -> ApiResult<Option<Application>> {
        self.step("application_of_booking").await?;
        let st = self.state.borrow();
        Ok(st
            .applications
            .iter()
            .find(|a| &a.booking_no == no)
            .cloned())
    }

    async fn applications_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<Application>> {
        self.step("applications_of").await?;
        let st = self.state.borrow();
        let mut out: Vec<Application> = st
            .applications
            .iter()
            .filter(|a| applicants.contains(&a.applicant_id))
            .cloned()
            .collect();
        out.sort_by_key(|a| std::cmp::Reverse(a.updated_at));
        Ok(out)
    }

    async fn update_application(
        &self,
        application: &Application,
        expected: ApplicationStatus,
    ) -> ApiResult<bool> {
        self.step("update_application").await?;
        let mut st = self.state.borrow_mut();
        let Some(a) = st
            .applications
            .iter_mut()
            .find(|a| a.application_no == application.application_no)
        else {
            return Ok(false);
        };
        if a.status != expected {
            return Ok(false);
        }
        *a = application.clone();
        Ok(true)
    }

    async fn documents_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<IssuedDocument>> {
        self.step("documents_of").await?;
        let st = self.state.borrow();
        Ok(st
            .documents
            .iter()
            .filter(|d| applicants.contains(&d.applicant_id))
            .cloned()
            .collect())
    }

    async fn add_document(&self, document: &IssuedDocument) -> ApiResult<()> {
        self.step("add_document").await?;
        // Like the table's primary key: a second document with the same id is not added.
        let mut st = self.state.borrow_mut();
        if !st.documents.iter().any(|d| d.id == document.id) {
            st.documents.push(document.clone());
        }
        Ok(())
    }
}

impl Deliveries for MemoryStore {
    async fn claim(&self, items: &[(&Notice, &Recipient)], _at: Instant) -> ApiResult<Vec<bool>> {
        // Checked once, before any is taken: all or none, as in D1's transaction.
        self.step("claim").await?;
        let mut st = self.state.borrow_mut();
        let mut taken = Vec::with_capacity(items.len());
        for (notice, to) in items {
            let key = (notice.event_id.clone(), to.user.clone());
            let tries = match st.deliveries.get(&key) {
                None => 0,
                Some((DeliveryStatus::Retry, tries)) => *tries,
                Some(_) => {
                    taken.push(false);
                    continue;
                }
            };
            st.deliveries.insert(key, (DeliveryStatus::Sending, tries));
            taken.push(true);
        }
        Ok(taken)
    }

    async fn settle(&self, outcomes: &[Outcome<'_>], _at: Instant) -> ApiResult<Vec<u32>> {
        self.step("settle").await?;
        let mut st = self.state.borrow_mut();
        Ok(outcomes
            .iter()
            .map(|o| {
                let entry = st
                    .deliveries
                    .entry((o.notice.event_id.clone(), o.to.user.clone()))
                    .or_insert((o.status, 0));
                entry.0 = o.status;
                entry.1 += 1;
                entry.1
            })
            .collect())
    }
}

impl MemoryStore {
    /// How a notice's message to `user` stands, for tests.
    pub fn delivery(&self, event_id: &str, user: &str) -> Option<DeliveryStatus> {
        self.state
            .borrow()
            .deliveries
            .get(&(event_id.to_owned(), UserId(user.to_owned())))
            .map(|(status, _)| *status)
    }
}

impl crate::ops::metrics::Stats for MemoryStore {
    async fn day_stats(&self, date: NaiveDate) -> ApiResult<crate::ops::metrics::DayStats> {
        self.step("day_stats").await?;
        let st = self.state.borrow();
        let mut out = crate::ops::metrics::DayStats::default();
        for b in &st.bookings {
            if b.date == date {
                *out.bookings_by_status
                    .entry(b.status.as_str().to_owned())
                    .or_default() += 1;
            }
            if b.created_at.date_naive() == date {
                out.made += 1;
            }
            if b.cancelled_at.is_some_and(|c| c.date_naive() == date) {
                out.cancelled += 1;
            }
        }
        for (status, _) in st.deliveries.values() {
            *out.deliveries_by_status
                .entry(status.as_str().to_owned())
                .or_default() += 1;
        }
        Ok(out)
    }
}

impl SubmitReads for MemoryStore {
    async fn submit_facts(&self, q: &SubmitQuery<'_>) -> ApiResult<SubmitFacts> {
        self.step("submit_facts").await?;
        Ok(SubmitFacts {
            session: self.session(q.session).await?,
            user: self.user(q.caller).await?,
            link: self.link(q.caller, q.applicant).await?,
            applicant: self.applicant(q.applicant).await?,
            office: self.office(q.office).await?,
            service: self.service(q.service).await?,
            no_shows: self.no_shows_since(q.applicant, q.no_shows_since).await?,
            cancellations: self
                .cancellations_since(q.applicant, q.cancellations_since)
                .await?,
        })
    }
}

impl NoticeReads for MemoryStore {
    async fn notice_facts(&self, notices: &[Notice]) -> ApiResult<Vec<NoticeFacts>> {
        self.step("notice_facts").await?;
        let mut facts = Vec::with_capacity(notices.len());
        for notice in notices {
            facts.push(self.facts_of(notice).await?);
        }
        Ok(facts)
    }
}

impl MemoryStore {
    async fn facts_of(&self, notice: &Notice) -> ApiResult<NoticeFacts> {
        let office = match OfficeId::parse(&notice.office_id) {
            Ok(id) => self.office(&id).await?,
            Err(_) => None,
        };
        let (actor_link, actor) = match &notice.actor {
            Some(a) => (
                self.link(a, &notice.applicant_id).await?,
                self.user(a).await?,
            ),
            None => (None, None),
        };
        Ok(NoticeFacts {
            service: self.service(notice.service).await?,
            office,
            applicant: self.applicant(&notice.applicant_id).await?,
            bound: self.users_bound_to(&notice.applicant_id).await?,
            actor_link,
            actor,
        })
    }
}

impl Audit for MemoryStore {
    async fn record(&self, entry: &AuditEntry) -> ApiResult<()> {
        self.step("record").await?;
        self.state.borrow_mut().audit.push(entry.clone());
        Ok(())
    }

    async fn record_all(&self, entries: &[AuditEntry]) -> ApiResult<()> {
        self.step("record_all").await?;
        self.state.borrow_mut().audit.extend_from_slice(entries);
        Ok(())
    }

    async fn audit_of(&self, subjects: &[ApplicantId], limit: u32) -> ApiResult<Vec<AuditEntry>> {
        self.step("audit_of").await?;
        let st = self.state.borrow();
        // Newest first, and among entries of the same second the last written first, as D1
        // orders them (`at DESC, id DESC`).
        let mut out: Vec<AuditEntry> = st
            .audit
            .iter()
            .rev()
            .filter(|e| subjects.contains(&e.subject))
            .cloned()
            .collect();
        out.sort_by_key(|e| std::cmp::Reverse(e.at));
        out.truncate(limit as usize);
        Ok(out)
    }
}

impl RulesSource for MemoryStore {
    async fn rules(&self) -> ApiResult<Rules> {
        self.step("rules").await?;
        Ok(self.state.borrow().rules.clone())
    }

    async fn calendar(&self) -> ApiResult<WorkCalendar> {
        self.step("calendar").await?;
        Ok(self.state.borrow().calendar.clone())
    }
}

impl Catalog for MemoryStore {
    async fn cities(&self) -> ApiResult<Vec<City>> {
        self.step("cities").await?;
        Ok(self.state.borrow().cities.clone())
    }

    async fn services(&self) -> ApiResult<Vec<ServiceInfo>> {
        self.step("services").await?;
        Ok(self.state.borrow().services.clone())
    }

    async fn service(&self, id: ServiceId) -> ApiResult<Option<ServiceInfo>> {
        self.step("service").await?;
        let st = self.state.borrow();
        Ok(st.services.iter().find(|s| s.service_id == id).cloned())
    }

    async fn offices(
        &self,
        city: Option<&str>,
        service: Option<ServiceId>,
    ) -> ApiResult<Vec<Office>> {
        self.step("offices").await?;
        let st = self.state.borrow();
        Ok(st
            .offices
            .iter()
            .filter(|o| o.active)
            .filter(|o| city.is_none_or(|c| o.city_id == c))
            .filter(|o| service.is_none_or(|s| o.services.contains(&s)))
            .cloned()
            .collect())
    }

    async fn office(&self, id: &OfficeId) -> ApiResult<Option<Office>> {
        self.step("office").await?;
        let st = self.state.borrow();
        Ok(st.offices.iter().find(|o| &o.office_id == id).cloned())
    }

    async fn put_office(
        &self,
        office: &Office,
        template: Option<&ScheduleTemplate>,
    ) -> ApiResult<()> {
        self.step("put_office").await?;
        let mut st = self.state.borrow_mut();
        if let Some(t) = template {
            st.templates.insert(t.office_id.clone(), t.clone());
        }
        st.offices.retain(|o| o.office_id != office.office_id);
        st.offices.push(office.clone());
        Ok(())
    }

    async fn schedule(
        &self,
        office: &OfficeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ApiResult<Vec<(NaiveDate, PublishedPeriod)>> {
        self.step("schedule").await?;
        let st = self.state.borrow();
        Ok(st
            .schedule
            .range((office.clone(), from)..=(office.clone(), to))
            .flat_map(|((_, d), ps)| ps.iter().map(move |p| (*d, p.clone())))
            .collect())
    }

    async fn put_schedule(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        periods: &[PublishedPeriod],
    ) -> ApiResult<()> {
        self.step("put_schedule").await?;
        let mut st = self.state.borrow_mut();
        st.schedule.insert((office.clone(), date), periods.to_vec());
        Ok(())
    }

    async fn published_days(
        &self,
        office: &OfficeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ApiResult<Vec<NaiveDate>> {
        self.step("published_days").await?;
        let st = self.state.borrow();
        Ok(st
            .schedule
            .range((office.clone(), from)..=(office.clone(), to))
            .map(|((_, d), _)| *d)
            .collect())
    }

    async fn templates(&self) -> ApiResult<Vec<ScheduleTemplate>> {
        self.step("templates").await?;
        Ok(self.state.borrow().templates.values().cloned().collect())
    }
}

impl MemoryStore {
    /// Every real-name binding attempt recorded, oldest first.
    pub fn identity_attempts(&self) -> Vec<IdentityAttempt> {
        self.state.borrow().identity_attempts.clone()
    }

    /// Seeds the catalog for tests.
    pub fn add_city(&self, city: City) {
        self.state.borrow_mut().cities.push(city);
    }

    pub fn add_service(&self, service: ServiceInfo) {
        self.state.borrow_mut().services.push(service);
    }
}

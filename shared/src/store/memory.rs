//! Every storage trait in memory, with the same invariants the D1 schema and the inventory
//! object enforce (unique openid per platform, one active booking per applicant and service,
//! capacity never exceeded, status transitions only from the right state), so business logic
//! tested against it is tested against the rules storage will hold it to. Failures can be
//! injected per operation to test the steps between the inventory and the record.

use super::model::*;
use super::traits::*;
use crate::booking::admission::{self, AdmissionConfig, AdmissionStatus};
use crate::domain::{ApplicationNo, BookingNo, OfficeId, PeriodId, Phone, ServiceId};
use crate::error::{ApiError, ApiResult, ErrorCode};
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

#[derive(Debug, Clone)]
struct Hold {
    period: PeriodId,
    confirmed: bool,
    expires_at: Instant,
    /// Submits relying on an unconfirmed hold (see `Inventory::abandon`).
    attached: u32,
}

#[derive(Default)]
struct Day {
    periods: Vec<PublishedPeriod>,
    holds: BTreeMap<String, Hold>,
    /// Numbers refused as full, so a retry of the same submit gets the same answer.
    rejected: BTreeMap<String, PeriodId>,
    admission: Option<Waiting>,
}

/// A day's waiting room, as the inventory object keeps it.
struct Waiting {
    config: AdmissionConfig,
    drawn: bool,
    /// (user, position once drawn), in order of joining.
    queue: Vec<(UserId, Option<u64>)>,
    seed: [u8; 32],
}

impl Waiting {
    fn status(&mut self, user: &UserId, at: Instant) -> AdmissionStatus {
        let at_ms = at.timestamp_millis();
        if admission::needs_draw(&self.config, self.drawn, at_ms) {
            let mut order: Vec<usize> = (0..self.queue.len()).collect();
            admission::draw(&mut order, self.seed);
            for (pos, i) in order.into_iter().enumerate() {
                self.queue[i].1 = Some(pos as u64 + 1);
            }
            self.drawn = true;
        }
        match self.queue.iter().find(|(u, _)| u == user) {
            None => AdmissionStatus::NotJoined,
            Some((_, position)) => self.config.status(*position, at_ms),
        }
    }

    fn join(&mut self, user: &UserId, at: Instant) -> AdmissionStatus {
        let status = self.status(user, at);
        let last = self.queue.iter().filter_map(|(_, p)| *p).max().unwrap_or(0);
        match admission::join(&status, self.drawn, last) {
            admission::Join::Keep => status,
            admission::Join::Enter { position } => {
                self.queue.retain(|(u, _)| u != user);
                self.queue.push((user.clone(), position));
                self.status(user, at)
            }
        }
    }
}

impl Day {
    fn taken(&self, period: &PeriodId) -> u32 {
        self.holds.values().filter(|h| &h.period == period).count() as u32
    }
}

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

    fn check(&self, op: &'static str) -> ApiResult<()> {
        if self.state.borrow_mut().failures.remove(op) {
            return Err(ApiError::new(ErrorCode::UpstreamUnavailable)
                .with_details(serde_json::json!({ "injected": op })));
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

    /// Lets unconfirmed holds lapse as the object's alarm would, consulting the record: a hold
    /// whose booking exists is confirmed, any other is released.
    pub fn expire_holds(&self) {
        let now = self.clock();
        let mut st = self.state.borrow_mut();
        let State { days, bookings, .. } = &mut *st;
        for ((office, date), day) in days.iter_mut() {
            day.holds.retain(|no, h| {
                if h.confirmed || h.expires_at > now {
                    return true;
                }
                // The booking must be for this place: a number reused at another hall (the
                // same key sent elsewhere) does not keep this hold.
                let booked = bookings.iter().any(|b| {
                    b.booking_no.as_str() == no
                        && &b.office_id == office
                        && b.date == *date
                        && b.period_id == h.period
                        && matches!(b.status, BookingStatus::Booked | BookingStatus::CheckedIn)
                });
                h.confirmed = booked;
                booked
            });
        }
    }

    pub fn set_calendar(&self, calendar: WorkCalendar) {
        self.state.borrow_mut().calendar = calendar;
    }

    /// Counts what the inventory holds for one period: for invariant checks in tests.
    pub fn taken(&self, office: &OfficeId, date: NaiveDate, period: &str) -> u32 {
        let st = self.state.borrow();
        st.days.get(&(office.clone(), date)).map_or(0, |d| {
            d.holds
                .values()
                .filter(|h| h.period.as_str() == period)
                .count() as u32
        })
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
        self.check("user")?;
        Ok(self
            .state
            .borrow()
            .users
            .iter()
            .find(|u| &u.id == id)
            .cloned())
    }

    async fn user_by_openid(&self, platform: Platform, openid: &str) -> ApiResult<Option<User>> {
        self.check("user_by_openid")?;
        let st = self.state.borrow();
        Ok(st
            .users
            .iter()
            .find(|u| u.platform == platform && u.openid == openid)
            .cloned())
    }

    async fn create_user(&self, user: &User) -> ApiResult<User> {
        self.check("create_user")?;
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
        self.check("set_phone")?;
        let mut st = self.state.borrow_mut();
        let user = st.users.iter_mut().find(|u| &u.id == id);
        user.ok_or_else(ApiError::not_found)?.phone = Some(phone.clone());
        Ok(())
    }

    async fn set_language(&self, id: &UserId, lang: crate::i18n::Lang) -> ApiResult<()> {
        self.check("set_language")?;
        let mut st = self.state.borrow_mut();
        let user = st.users.iter_mut().find(|u| &u.id == id);
        user.ok_or_else(ApiError::not_found)?.lang = lang;
        Ok(())
    }

    async fn bind_identity(&self, user: &UserId, applicant: &ApplicantId) -> ApiResult<()> {
        self.check("bind_identity")?;
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
        self.check("users_bound_to")?;
        let st = self.state.borrow();
        Ok(st
            .users
            .iter()
            .filter(|u| u.applicant_id.as_ref() == Some(applicant))
            .cloned()
            .collect())
    }

    async fn record_identity_attempt(&self, attempt: &IdentityAttempt) -> ApiResult<()> {
        self.check("record_identity_attempt")?;
        self.state
            .borrow_mut()
            .identity_attempts
            .push(attempt.clone());
        Ok(())
    }
}

impl Sessions for MemoryStore {
    async fn create_session(&self, session: &Session) -> ApiResult<()> {
        self.check("create_session")?;
        self.state.borrow_mut().sessions.push(session.clone());
        Ok(())
    }

    async fn session(&self, id: &SessionId) -> ApiResult<Option<Session>> {
        self.check("session")?;
        Ok(self
            .state
            .borrow()
            .sessions
            .iter()
            .find(|s| &s.id == id)
            .cloned())
    }

    async fn session_by_refresh_hash(&self, hash: &str) -> ApiResult<Option<Session>> {
        self.check("session_by_refresh_hash")?;
        let st = self.state.borrow();
        Ok(st.sessions.iter().find(|s| s.refresh_hash == hash).cloned())
    }

    async fn rotate_session(
        &self,
        old: &SessionId,
        new: &Session,
        at: Instant,
    ) -> ApiResult<Rotation> {
        self.check("rotate_session")?;
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
        self.check("revoke_family")?;
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
        self.check("applicant")?;
        Ok(self
            .state
            .borrow()
            .applicants
            .iter()
            .find(|a| &a.id == id)
            .cloned())
    }

    async fn applicant_by_document(&self, hash: &str) -> ApiResult<Option<Applicant>> {
        self.check("applicant_by_document")?;
        let st = self.state.borrow();
        Ok(st
            .applicants
            .iter()
            .find(|a| a.document.hash == hash)
            .cloned())
    }

    async fn create_applicant(&self, applicant: &Applicant) -> ApiResult<Applicant> {
        self.check("create_applicant")?;
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
        self.check("link")?;
        let st = self.state.borrow();
        Ok(st
            .links
            .iter()
            .find(|l| &l.helper == helper && &l.applicant == applicant)
            .cloned())
    }

    async fn links_of_helper(&self, helper: &UserId) -> ApiResult<Vec<Link>> {
        self.check("links_of_helper")?;
        let st = self.state.borrow();
        Ok(st
            .links
            .iter()
            .filter(|l| &l.helper == helper)
            .cloned()
            .collect())
    }

    async fn links_of_applicant(&self, applicant: &ApplicantId) -> ApiResult<Vec<Link>> {
        self.check("links_of_applicant")?;
        let st = self.state.borrow();
        Ok(st
            .links
            .iter()
            .filter(|l| &l.applicant == applicant)
            .cloned()
            .collect())
    }

    async fn link_by_invitation(&self, invitation_hash: &str) -> ApiResult<Option<Link>> {
        self.check("link_by_invitation")?;
        let st = self.state.borrow();
        Ok(st
            .links
            .iter()
            .find(|l| l.invitation_hash.as_deref() == Some(invitation_hash))
            .cloned())
    }

    async fn put_link(&self, link: &Link) -> ApiResult<()> {
        self.check("put_link")?;
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
        self.check("add_link")?;
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
        self.check("change_link")?;
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
        self.check("drop_lapsed_invitations")?;
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
    ) -> ApiResult<CreateBooking> {
        self.check("create_booking")?;
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
        Ok(CreateBooking::Created)
    }

    async fn booking(&self, no: &BookingNo) -> ApiResult<Option<Booking>> {
        self.check("booking")?;
        let st = self.state.borrow();
        Ok(st.bookings.iter().find(|b| &b.booking_no == no).cloned())
    }

    async fn idempotency(&self, user: &UserId, key: &str) -> ApiResult<Option<IdempotencyRecord>> {
        self.check("idempotency")?;
        let st = self.state.borrow();
        Ok(st
            .idempotency
            .iter()
            .find(|r| &r.user_id == user && r.key == key)
            .cloned())
    }

    async fn bookings_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<Booking>> {
        self.check("bookings_of")?;
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
        self.check("active_booking")?;
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
        self.check("cancel_booking")?;
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
        self.check("withdraw_booking")?;
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
        self.check("cancellations_since")?;
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
        self.check("no_shows_since")?;
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
        self.check("bookings_on")?;
        let st = self.state.borrow();
        Ok(st
            .bookings
            .iter()
            .filter(|b| &b.office_id == office && b.date == date)
            .cloned()
            .collect())
    }

    async fn check_in(&self, no: &BookingNo, at: Instant) -> ApiResult<Option<Booking>> {
        self.check("check_in")?;
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
        self.check("cancel_day")?;
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
        self.check("mark_no_shows")?;
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
        let Some(day) = st.days.get(&(req.office.clone(), req.date)) else {
            return false;
        };
        let no = req.booking_no.as_str();
        !day.holds.contains_key(no)
            && day
                .periods
                .iter()
                .find(|p| p.period_id == req.period)
                .is_some_and(|p| day.taken(&req.period) >= p.capacity)
    }

    async fn hold(&self, req: &HoldRequest) -> ApiResult<HoldOutcome> {
        self.check("hold")?;
        let now = self.clock();
        let mut st = self.state.borrow_mut();
        let State { days, schedule, .. } = &mut *st;
        let day = days.entry((req.office.clone(), req.date)).or_default();
        if day.periods.is_empty() {
            // Like the object, start from the published schedule the first time a day is used.
            if let Some(p) = schedule.get(&(req.office.clone(), req.date)) {
                day.periods = p.clone();
            }
        }
        let Some(p) = day
            .periods
            .iter()
            .find(|p| p.period_id == req.period)
            .cloned()
        else {
            return Ok(HoldOutcome::Closed);
        };
        let held = HoldOutcome::Held {
            start: p.start,
            end: p.end,
        };
        let no = req.booking_no.as_str();
        if let Some(h) = day.holds.get_mut(no) {
            if h.period != req.period {
                return Ok(HoldOutcome::Conflict);
            }
            if !h.confirmed {
                h.attached += 1;
                h.expires_at = h
                    .expires_at
                    .max(now + chrono::Duration::seconds(req.ttl_seconds.into()));
            }
            return Ok(held);
        }
        if let Some(period) = day.rejected.get(no) {
            return Ok(if period == &req.period {
                HoldOutcome::Full
            } else {
                HoldOutcome::Conflict
            });
        }
        if day.taken(&req.period) >= p.capacity {
            day.rejected.insert(no.to_owned(), req.period.clone());
            return Ok(HoldOutcome::Full);
        }
        if let Some(w) = day.admission.as_mut() {
            let status = w.status(&req.user, req.at);
            if !status.admits() {
                return Ok(HoldOutcome::NotAdmitted(status));
            }
        }
        day.holds.insert(
            no.to_owned(),
            Hold {
                period: req.period.clone(),
                confirmed: false,
                expires_at: now + chrono::Duration::seconds(req.ttl_seconds.into()),
                attached: 1,
            },
        );
        Ok(held)
    }

    async fn confirm(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<bool> {
        self.check("confirm")?;
        let mut st = self.state.borrow_mut();
        if std::mem::take(&mut st.lose_place) {
            if let Some(d) = st.days.get_mut(&(office.clone(), date)) {
                if let Some(h) = d.holds.remove(no.as_str()) {
                    let other = BookingNo::from_entropy([0xee; 7]);
                    d.holds.insert(
                        other.as_str().to_owned(),
                        Hold {
                            confirmed: true,
                            ..h
                        },
                    );
                }
            }
        }
        let hold = st
            .days
            .get_mut(&(office.clone(), date))
            .and_then(|d| d.holds.get_mut(no.as_str()));
        Ok(match hold {
            Some(h) => {
                h.confirmed = true;
                h.attached = 0;
                true
            }
            None => false,
        })
    }

    async fn abandon(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<()> {
        self.check("abandon")?;
        let mut st = self.state.borrow_mut();
        if let Some(d) = st.days.get_mut(&(office.clone(), date)) {
            if let Some(h) = d.holds.get_mut(no.as_str()) {
                if !h.confirmed {
                    h.attached = h.attached.saturating_sub(1);
                    if h.attached == 0 {
                        d.holds.remove(no.as_str());
                    }
                }
            }
        }
        Ok(())
    }

    async fn release(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<()> {
        self.check("release")?;
        let mut st = self.state.borrow_mut();
        if let Some(d) = st.days.get_mut(&(office.clone(), date)) {
            d.holds.remove(no.as_str());
        }
        Ok(())
    }

    async fn day(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<PeriodInventory>> {
        self.check("day")?;
        let st = self.state.borrow();
        let key = (office.clone(), date);
        let day = st.days.get(&key);
        let periods = match day {
            Some(d) if !d.periods.is_empty() => d.periods.clone(),
            _ => st.schedule.get(&key).cloned().unwrap_or_default(),
        };
        Ok(periods
            .into_iter()
            .map(|p| {
                let mine: Vec<&Hold> = day
                    .into_iter()
                    .flat_map(|d| d.holds.values())
                    .filter(|h| h.period == p.period_id)
                    .collect();
                PeriodInventory {
                    taken: mine.len() as u32,
                    holds: mine.iter().filter(|h| !h.confirmed).count() as u32,
                    period_id: p.period_id,
                    start: p.start,
                    end: p.end,
                    capacity: p.capacity,
                }
            })
            .collect())
    }

    async fn taken_on(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<Taken>> {
        self.check("taken_on")?;
        let st = self.state.borrow();
        Ok(st
            .days
            .get(&(office.clone(), date))
            .map(|d| {
                d.holds
                    .iter()
                    .filter_map(|(no, h)| {
                        Some(Taken {
                            booking_no: BookingNo::parse(no).ok()?,
                            period_id: h.period.clone(),
                            confirmed: h.confirmed,
                            expires_at: (!h.confirmed).then_some(h.expires_at),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn restore(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        period: &PeriodId,
        no: &BookingNo,
        _applicant: &ApplicantId,
    ) -> ApiResult<HoldOutcome> {
        self.check("restore")?;
        let hook = self.state.borrow_mut().before_restore.take();
        if let Some(f) = hook {
            f(self);
        }
        let now = self.clock();
        let mut st = self.state.borrow_mut();
        let day = st.days.entry((office.clone(), date)).or_default();
        let Some(p) = day.periods.iter().find(|p| &p.period_id == period).cloned() else {
            return Ok(HoldOutcome::Closed);
        };
        if !day.holds.contains_key(no.as_str()) {
            if day.taken(period) >= p.capacity {
                return Ok(HoldOutcome::Full);
            }
            day.holds.insert(
                no.as_str().to_owned(),
                Hold {
                    period: period.clone(),
                    confirmed: true,
                    expires_at: now,
                    attached: 0,
                },
            );
        }
        Ok(HoldOutcome::Held {
            start: p.start,
            end: p.end,
        })
    }

    async fn publish(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        periods: &[PublishedPeriod],
    ) -> ApiResult<Publish> {
        self.check("publish")?;
        let mut st = self.state.borrow_mut();
        let day = st.days.entry((office.clone(), date)).or_default();
        for h in day.holds.values() {
            let taken = day.taken(&h.period);
            let cap = periods
                .iter()
                .find(|p| p.period_id == h.period)
                .map_or(0, |p| p.capacity);
            if cap < taken {
                return Ok(Publish::BelowTaken {
                    period_id: h.period.clone(),
                    taken,
                });
            }
        }
        day.periods = periods.to_vec();
        Ok(Publish::Published)
    }

    async fn set_admission(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        config: Option<&AdmissionConfig>,
    ) -> ApiResult<()> {
        self.check("set_admission")?;
        let mut st = self.state.borrow_mut();
        let day = st.days.entry((office.clone(), date)).or_default();
        match (config, day.admission.as_mut()) {
            (None, _) => day.admission = None,
            (Some(c), Some(w)) => w.config = *c,
            (Some(c), None) => {
                // Deterministic per day, so tests can rely on one draw.
                let mut seed = [0u8; 32];
                let key = format!("{office}/{date}");
                for (i, b) in key.bytes().enumerate() {
                    seed[i % 32] ^= b;
                }
                day.admission = Some(Waiting {
                    config: *c,
                    drawn: false,
                    queue: Vec::new(),
                    seed,
                });
            }
        }
        Ok(())
    }

    async fn admission(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        user: &UserId,
        at: Instant,
        join: bool,
    ) -> ApiResult<AdmissionStatus> {
        self.check("admission")?;
        let mut st = self.state.borrow_mut();
        let day = st.days.entry((office.clone(), date)).or_default();
        Ok(match day.admission.as_mut() {
            None => AdmissionStatus::Off,
            Some(w) if join => w.join(user, at),
            Some(w) => w.status(user, at),
        })
    }

    async fn admission_summary(
        &self,
        office: &OfficeId,
        date: NaiveDate,
    ) -> ApiResult<Option<AdmissionSummary>> {
        self.check("admission_summary")?;
        let st = self.state.borrow();
        Ok(st
            .days
            .get(&(office.clone(), date))
            .and_then(|d| d.admission.as_ref())
            .map(|w| AdmissionSummary {
                config: w.config,
                joined: w.queue.len() as u64,
                drawn: w.drawn,
            }))
    }
}

impl Applications for MemoryStore {
    async fn open_application(&self, application: &Application) -> ApiResult<Application> {
        self.check("open_application")?;
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
        self.check("application")?;
        let st = self.state.borrow();
        Ok(st
            .applications
            .iter()
            .find(|a| &a.application_no == no)
            .cloned())
    }

    async fn application_of_booking(&self, no: &BookingNo) -> ApiResult<Option<Application>> {
        self.check("application_of_booking")?;
        let st = self.state.borrow();
        Ok(st
            .applications
            .iter()
            .find(|a| &a.booking_no == no)
            .cloned())
    }

    async fn applications_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<Application>> {
        self.check("applications_of")?;
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
        self.check("update_application")?;
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
        self.check("documents_of")?;
        let st = self.state.borrow();
        Ok(st
            .documents
            .iter()
            .filter(|d| applicants.contains(&d.applicant_id))
            .cloned()
            .collect())
    }

    async fn add_document(&self, document: &IssuedDocument) -> ApiResult<()> {
        self.check("add_document")?;
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
        self.check("claim")?;
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
        self.check("settle")?;
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
        self.check("day_stats")?;
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
        self.check("submit_facts")?;
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
        self.check("notice_facts")?;
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
        self.check("record")?;
        self.state.borrow_mut().audit.push(entry.clone());
        Ok(())
    }

    async fn record_all(&self, entries: &[AuditEntry]) -> ApiResult<()> {
        self.check("record_all")?;
        self.state.borrow_mut().audit.extend_from_slice(entries);
        Ok(())
    }

    async fn audit_of(&self, subjects: &[ApplicantId], limit: u32) -> ApiResult<Vec<AuditEntry>> {
        self.check("audit_of")?;
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
        self.check("rules")?;
        Ok(self.state.borrow().rules.clone())
    }

    async fn calendar(&self) -> ApiResult<WorkCalendar> {
        self.check("calendar")?;
        Ok(self.state.borrow().calendar.clone())
    }
}

impl Catalog for MemoryStore {
    async fn cities(&self) -> ApiResult<Vec<City>> {
        self.check("cities")?;
        Ok(self.state.borrow().cities.clone())
    }

    async fn services(&self) -> ApiResult<Vec<ServiceInfo>> {
        self.check("services")?;
        Ok(self.state.borrow().services.clone())
    }

    async fn service(&self, id: ServiceId) -> ApiResult<Option<ServiceInfo>> {
        self.check("service")?;
        let st = self.state.borrow();
        Ok(st.services.iter().find(|s| s.service_id == id).cloned())
    }

    async fn offices(
        &self,
        city: Option<&str>,
        service: Option<ServiceId>,
    ) -> ApiResult<Vec<Office>> {
        self.check("offices")?;
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
        self.check("office")?;
        let st = self.state.borrow();
        Ok(st.offices.iter().find(|o| &o.office_id == id).cloned())
    }

    async fn put_office(
        &self,
        office: &Office,
        template: Option<&ScheduleTemplate>,
    ) -> ApiResult<()> {
        self.check("put_office")?;
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
        self.check("schedule")?;
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
        self.check("put_schedule")?;
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
        self.check("published_days")?;
        let st = self.state.borrow();
        Ok(st
            .schedule
            .range((office.clone(), from)..=(office.clone(), to))
            .map(|((_, d), _)| *d)
            .collect())
    }

    async fn templates(&self) -> ApiResult<Vec<ScheduleTemplate>> {
        self.check("templates")?;
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

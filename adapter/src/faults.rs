//! Dev-only fault injection between the inventory object and the record, so the black-box suite
//! can prove that a crash between two steps loses no place and books none twice. Requests ask
//! for a fault with `x-dev-fault`; outside `ENVIRONMENT=dev` the header is refused (see
//! `Cx::dev_fault`), so production code paths never see a fault.

use chrono::NaiveDate;
use std::cell::RefCell;
use yuyue_shared::domain::{BookingNo, OfficeId, ServiceId};
use yuyue_shared::store::*;
use yuyue_shared::time::Instant;
use yuyue_shared::{ApiError, ApiResult, ErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The record cannot be read once the hold was taken: the hold is given up, nothing written.
    LoseRead,
    /// The booking write is lost after the hold was taken.
    LoseWrite,
    /// The hold is never confirmed after the booking was written.
    LoseConfirm,
    /// Between the write and the confirmation, the hold is gone and its place taken by another
    /// number (one with no booking behind it): the race of a hold that lapsed and was settled
    /// against the record just before the write committed, and of someone else booking the
    /// place it freed.
    LosePlace,
    /// A refused submit never gives its hold up: the place waits for the hold's lapse, and its
    /// settling against the record frees it.
    LoseAbandon,
}

impl Fault {
    pub fn parse(s: &str) -> Option<Fault> {
        match s {
            "lose-read" => Some(Fault::LoseRead),
            "lose-write" => Some(Fault::LoseWrite),
            "lose-confirm" => Some(Fault::LoseConfirm),
            "lose-place" => Some(Fault::LosePlace),
            "lose-abandon" => Some(Fault::LoseAbandon),
            _ => None,
        }
    }
}

fn injected() -> ApiError {
    ApiError::new(ErrorCode::UpstreamUnavailable)
        .with_details(serde_json::json!({ "injected": true }))
}

/// Wraps the record and the inventory, failing the one step the fault names.
pub struct Faulty<'a, S, I> {
    store: &'a S,
    inventory: &'a I,
    fault: Option<Fault>,
    /// The hold a `LosePlace` submit took, for its confirmation to lose.
    held: RefCell<Option<HoldRequest>>,
}

impl<'a, S, I> Faulty<'a, S, I> {
    pub fn new(store: &'a S, inventory: &'a I, fault: Option<Fault>) -> Self {
        Faulty {
            store,
            inventory,
            fault,
            held: RefCell::new(None),
        }
    }
}

/// The number that takes a `LosePlace` submit's place: another valid number, derived from it.
fn stand_in(no: &BookingNo) -> BookingNo {
    let b = no.as_str().as_bytes();
    BookingNo::from_entropy(std::array::from_fn(|i| b[b.len() - 1 - i] ^ 0xa5))
}

impl<S: Bookings, I> Bookings for Faulty<'_, S, I> {
    async fn create_booking(
        &self,
        b: &Booking,
        i: &IdempotencyRecord,
        a: &AuditEntry,
        write_by: Option<i64>,
    ) -> ApiResult<CreateBooking> {
        if self.fault == Some(Fault::LoseWrite) {
            return Err(injected());
        }
        self.store.create_booking(b, i, a, write_by).await
    }
    async fn booking(&self, no: &BookingNo) -> ApiResult<Option<Booking>> {
        self.store.booking(no).await
    }
    async fn idempotency(&self, user: &UserId, key: &str) -> ApiResult<Option<IdempotencyRecord>> {
        self.store.idempotency(user, key).await
    }
    async fn bookings_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<Booking>> {
        self.store.bookings_of(applicants).await
    }
    async fn active_booking(&self, a: &ApplicantId, s: ServiceId) -> ApiResult<Option<Booking>> {
        self.store.active_booking(a, s).await
    }
    async fn cancel_booking(
        &self,
        no: &BookingNo,
        by: &UserId,
        r: Option<&str>,
        at: Instant,
        a: &AuditEntry,
    ) -> ApiResult<Option<Booking>> {
        self.store.cancel_booking(no, by, r, at, a).await
    }
    async fn withdraw_booking(
        &self,
        no: &BookingNo,
        k: (&UserId, &str),
        r: &str,
        at: Instant,
        a: &AuditEntry,
    ) -> ApiResult<()> {
        self.store.withdraw_booking(no, k, r, at, a).await
    }
    async fn cancellations_since(
        &self,
        a: &ApplicantId,
        since: Instant,
    ) -> ApiResult<Vec<Instant>> {
        self.store.cancellations_since(a, since).await
    }
    async fn no_shows_since(&self, a: &ApplicantId, since: NaiveDate) -> ApiResult<Vec<NaiveDate>> {
        self.store.no_shows_since(a, since).await
    }
    async fn bookings_on(&self, o: &OfficeId, d: NaiveDate) -> ApiResult<Vec<Booking>> {
        self.store.bookings_on(o, d).await
    }
    async fn check_in(&self, no: &BookingNo, at: Instant) -> ApiResult<Option<Booking>> {
        self.store.check_in(no, at).await
    }
    async fn cancel_day(
        &self,
        o: &OfficeId,
        d: NaiveDate,
        reason: &str,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<Vec<Booking>> {
        self.store
            .cancel_day(o, d, reason, actor, request_id, at)
            .await
    }
    async fn mark_no_shows(
        &self,
        d: NaiveDate,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<Vec<Booking>> {
        self.store.mark_no_shows(d, actor, request_id, at).await
    }
}

impl<S: Users, I> Users for Faulty<'_, S, I> {
    async fn user(&self, id: &UserId) -> ApiResult<Option<User>> {
        self.store.user(id).await
    }
    async fn user_by_openid(&self, p: Platform, openid: &str) -> ApiResult<Option<User>> {
        self.store.user_by_openid(p, openid).await
    }
    async fn create_user(&self, u: &User) -> ApiResult<User> {
        self.store.create_user(u).await
    }
    async fn set_phone(&self, id: &UserId, phone: &yuyue_shared::domain::Phone) -> ApiResult<()> {
        self.store.set_phone(id, phone).await
    }
    async fn set_language(&self, id: &UserId, lang: yuyue_shared::i18n::Lang) -> ApiResult<()> {
        self.store.set_language(id, lang).await
    }
    async fn bind_identity(&self, u: &UserId, a: &ApplicantId) -> ApiResult<()> {
        self.store.bind_identity(u, a).await
    }
    async fn users_bound_to(&self, a: &ApplicantId) -> ApiResult<Vec<User>> {
        self.store.users_bound_to(a).await
    }
    async fn record_identity_attempt(&self, attempt: &IdentityAttempt) -> ApiResult<()> {
        self.store.record_identity_attempt(attempt).await
    }
}

impl<S: Applicants, I> Applicants for Faulty<'_, S, I> {
    async fn applicant(&self, id: &ApplicantId) -> ApiResult<Option<Applicant>> {
        self.store.applicant(id).await
    }
    async fn applicant_by_document(&self, hash: &str) -> ApiResult<Option<Applicant>> {
        self.store.applicant_by_document(hash).await
    }
    async fn create_applicant(&self, a: &Applicant) -> ApiResult<Applicant> {
        self.store.create_applicant(a).await
    }
    async fn link(&self, h: &UserId, a: &ApplicantId) -> ApiResult<Option<Link>> {
        self.store.link(h, a).await
    }
    async fn links_of_helper(&self, h: &UserId) -> ApiResult<Vec<Link>> {
        self.store.links_of_helper(h).await
    }
    async fn links_of_applicant(&self, a: &ApplicantId) -> ApiResult<Vec<Link>> {
        self.store.links_of_applicant(a).await
    }
    async fn link_by_invitation(&self, hash: &str) -> ApiResult<Option<Link>> {
        self.store.link_by_invitation(hash).await
    }
    async fn put_link(&self, l: &Link) -> ApiResult<()> {
        self.store.put_link(l).await
    }
    async fn add_link(
        &self,
        l: &Link,
        p: Option<&Applicant>,
        limits: &LinkLimits,
        audit: &AuditEntry,
    ) -> ApiResult<AddLink> {
        self.store.add_link(l, p, limits, audit).await
    }
    async fn change_link(&self, c: &Link, n: &Link, audit: &AuditEntry) -> ApiResult<bool> {
        self.store.change_link(c, n, audit).await
    }
    async fn drop_lapsed_invitations(
        &self,
        before: Instant,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<u32> {
        self.store
            .drop_lapsed_invitations(before, actor, request_id, at)
            .await
    }
}

impl<S: SubmitReads, I> SubmitReads for Faulty<'_, S, I> {
    async fn submit_facts(&self, q: &SubmitQuery<'_>) -> ApiResult<SubmitFacts> {
        if self.fault == Some(Fault::LoseRead) {
            return Err(injected());
        }
        self.store.submit_facts(q).await
    }
    async fn submit_facts_counting(
        &self,
        q: &SubmitQuery<'_>,
        hits: &[yuyue_shared::ratelimit::Hit],
    ) -> ApiResult<(SubmitFacts, Vec<u32>)> {
        if self.fault == Some(Fault::LoseRead) {
            return Err(injected());
        }
        self.store.submit_facts_counting(q, hits).await
    }
}

impl<S: Catalog, I> Catalog for Faulty<'_, S, I> {
    async fn cities(&self) -> ApiResult<Vec<City>> {
        self.store.cities().await
    }
    async fn services(&self) -> ApiResult<Vec<ServiceInfo>> {
        self.store.services().await
    }
    async fn service(&self, id: ServiceId) -> ApiResult<Option<ServiceInfo>> {
        self.store.service(id).await
    }
    async fn offices(&self, c: Option<&str>, s: Option<ServiceId>) -> ApiResult<Vec<Office>> {
        self.store.offices(c, s).await
    }
    async fn office(&self, id: &OfficeId) -> ApiResult<Option<Office>> {
        self.store.office(id).await
    }
    async fn put_office(&self, o: &Office, t: Option<&ScheduleTemplate>) -> ApiResult<()> {
        self.store.put_office(o, t).await
    }
    async fn schedule(
        &self,
        o: &OfficeId,
        f: NaiveDate,
        t: NaiveDate,
    ) -> ApiResult<Vec<(NaiveDate, PublishedPeriod)>> {
        self.store.schedule(o, f, t).await
    }
    async fn put_schedule(
        &self,
        o: &OfficeId,
        d: NaiveDate,
        p: &[PublishedPeriod],
    ) -> ApiResult<()> {
        self.store.put_schedule(o, d, p).await
    }
    async fn published_days(
        &self,
        o: &OfficeId,
        f: NaiveDate,
        t: NaiveDate,
    ) -> ApiResult<Vec<NaiveDate>> {
        self.store.published_days(o, f, t).await
    }
    async fn templates(&self) -> ApiResult<Vec<ScheduleTemplate>> {
        self.store.templates().await
    }
}

impl<S, I: Inventory> Inventory for Faulty<'_, S, I> {
    /// Every step but the three a fault is about goes to the inventory as it is.
    async fn ask(
        &self,
        o: &OfficeId,
        d: NaiveDate,
        op: &'static str,
        request: yuyue_shared::inventory::protocol::Request,
    ) -> ApiResult<yuyue_shared::inventory::protocol::Answered> {
        self.inventory.ask(o, d, op, request).await
    }
    async fn hold(&self, r: &HoldRequest) -> ApiResult<HoldOutcome> {
        if self.fault == Some(Fault::LosePlace) {
            *self.held.borrow_mut() = Some(r.clone());
        }
        self.inventory.hold(r).await
    }
    fn known_full(&self, r: &HoldRequest) -> bool {
        self.inventory.known_full(r)
    }
    async fn confirm_and_tell(
        &self,
        o: &OfficeId,
        d: NaiveDate,
        no: &BookingNo,
        notice: Option<String>,
    ) -> ApiResult<bool> {
        if self.fault == Some(Fault::LoseConfirm) {
            return Err(injected());
        }
        let lost = self.held.borrow_mut().take();
        if let Some(h) = lost {
            self.inventory.release(o, d, no).await?;
            // Straight into the object (a hold could be refused by the isolate's memory of the
            // full period): a place with no booking behind it, for reconciliation to free.
            self.inventory
                .restore(o, d, &h.period, &stand_in(no), &h.applicant)
                .await?;
        }
        self.inventory.confirm_and_tell(o, d, no, notice).await
    }
    async fn abandon(&self, o: &OfficeId, d: NaiveDate, no: &BookingNo) -> ApiResult<()> {
        if self.fault == Some(Fault::LoseAbandon) {
            return Err(injected());
        }
        self.inventory.abandon(o, d, no).await
    }
}

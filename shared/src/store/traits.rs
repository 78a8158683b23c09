//! The storage each function needs, as traits. The Workers adapter implements them over D1 and
//! the inventory Durable Objects; `crate::fake::MemoryStore` implements them in memory for
//! native tests. Business logic is written against these traits only.
//!
//! Futures are not `Send`: Workers run one request at a time per isolate thread.
#![allow(async_fn_in_trait)]

use super::model::*;
use crate::domain::{ApplicationNo, BookingNo, OfficeId, PeriodId, ServiceId, WaitlistId};
use crate::error::ApiResult;
use crate::inventory::admission::{AdmissionConfig, AdmissionStatus};
use crate::inventory::protocol::{Answered, Request};
pub use crate::inventory::{
    AdmissionSummary, HoldOutcome, HoldRequest, PeriodInventory, Publish, PublishedPeriod, Taken,
};
use crate::inventory::{Hold, JoinEntry, Joined, Pending, Settled};
use crate::rules::calendar::WorkCalendar;
pub use crate::rules::helpers::LinkLimits;
use crate::rules::limits::Hit;
use crate::rules::Rules;
use crate::time::Instant;
use chrono::NaiveDate;

pub trait Users {
    async fn user(&self, id: &UserId) -> ApiResult<Option<User>>;
    async fn user_by_openid(&self, platform: Platform, openid: &str) -> ApiResult<Option<User>>;
    /// Inserts a new user; when (platform, openid) already exists, returns that user instead
    /// (with `unionid` filled in if it had none), so two first logins racing each other end with
    /// one account.
    async fn create_user(&self, user: &User) -> ApiResult<User>;
    async fn set_phone(&self, id: &UserId, phone: &crate::domain::Phone) -> ApiResult<()>;
    /// Records the language the account signed in with.
    async fn set_language(&self, id: &UserId, lang: crate::i18n::Lang) -> ApiResult<()>;
    /// Records that `user` is `applicant` (real-name binding). Fails with `CONFLICT` when the
    /// same document is already bound to another account of the same platform.
    async fn bind_identity(&self, user: &UserId, applicant: &ApplicantId) -> ApiResult<()>;
    /// Users of `platform` whose own identity is `applicant`.
    async fn users_bound_to(&self, applicant: &ApplicantId) -> ApiResult<Vec<User>>;
    /// Keeps a real-name binding attempt, refused ones included, for abuse review.
    async fn record_identity_attempt(&self, attempt: &IdentityAttempt) -> ApiResult<()>;
}

pub enum Rotation {
    Rotated,
    /// The presented token was already rotated or revoked: a reuse.
    Reused,
}

pub trait Sessions {
    async fn create_session(&self, session: &Session) -> ApiResult<()>;
    async fn session(&self, id: &SessionId) -> ApiResult<Option<Session>>;
    async fn session_by_refresh_hash(&self, hash: &str) -> ApiResult<Option<Session>>;
    /// Marks `old` rotated and stores `new` atomically, unless `old` was rotated or revoked
    /// already.
    async fn rotate_session(
        &self,
        old: &SessionId,
        new: &Session,
        at: Instant,
    ) -> ApiResult<Rotation>;
    async fn revoke_family(&self, family: &SessionId, at: Instant) -> ApiResult<()>;
}

pub trait Applicants {
    async fn applicant(&self, id: &ApplicantId) -> ApiResult<Option<Applicant>>;
    async fn applicant_by_document(&self, hash: &str) -> ApiResult<Option<Applicant>>;
    /// Inserts, or returns the existing applicant with the same document hash.
    async fn create_applicant(&self, applicant: &Applicant) -> ApiResult<Applicant>;
    async fn link(&self, helper: &UserId, applicant: &ApplicantId) -> ApiResult<Option<Link>>;
    async fn links_of_helper(&self, helper: &UserId) -> ApiResult<Vec<Link>>;
    async fn links_of_applicant(&self, applicant: &ApplicantId) -> ApiResult<Vec<Link>>;
    async fn link_by_invitation(&self, invitation_hash: &str) -> ApiResult<Option<Link>>;
    /// Inserts or replaces the link of (helper, applicant).
    async fn put_link(&self, link: &Link) -> ApiResult<()>;
    /// Stores a new link between a helper and a principal, or one replacing a link of the same
    /// pair that is no longer live, only if both stay within `limits`, with its audit entry and
    /// (when the principal is new) their applicant record, in one transaction; nothing is
    /// written when it is refused. The limits count the other live links of each
    /// ([`Link::is_live`] at `link.updated_at`); `self` links never count.
    async fn add_link(
        &self,
        link: &Link,
        new_person: Option<&Applicant>,
        limits: &LinkLimits,
        audit: &AuditEntry,
    ) -> ApiResult<AddLink>;
    /// Replaces `current` by `next` (the same pair) if the stored link is still `current` (its
    /// status and `updated_at`), with its audit entry, in one transaction. False when another
    /// request changed the link first; nothing is written then.
    async fn change_link(&self, current: &Link, next: &Link, audit: &AuditEntry)
        -> ApiResult<bool>;
    /// Deletes every pending link whose invitation lapsed before `lapsed_before`, each with a
    /// `helper.invitation_dropped` audit entry, in one transaction; returns how many.
    async fn drop_lapsed_invitations(
        &self,
        lapsed_before: Instant,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<u32>;
}

#[derive(Debug, Clone, PartialEq)]
pub enum AddLink {
    Added,
    /// The pair has a link that is not revoked (a concurrent add won, or a retry).
    Exists(Box<Link>),
    /// The helper already has `principals_per_user` live links.
    PrincipalsFull,
    /// The principal already has `helpers_per_principal` live links.
    HelpersFull,
    /// `new_person`'s document was registered meanwhile under another applicant id.
    PersonExists,
}

pub enum CreateBooking {
    Created,
    /// A booking with this number exists already (a concurrent retry of the same submit).
    SameNumber(Box<Booking>),
    /// The applicant already has an active booking for the service (the partial unique index).
    ActiveExists(BookingNo),
    /// The write came after its hold's fence ([`crate::inventory::write_by`]): nothing was
    /// written.
    TooLate,
}

pub trait Bookings {
    /// Stores the booking, its idempotency record and its audit entry in one transaction, if
    /// it commits before `write_by` (unix ms) by the record's own clock
    /// ([`crate::inventory::write_by`]).
    async fn create_booking(
        &self,
        booking: &Booking,
        idempotency: &IdempotencyRecord,
        audit: &AuditEntry,
        write_by: Option<i64>,
    ) -> ApiResult<CreateBooking>;
    async fn booking(&self, no: &BookingNo) -> ApiResult<Option<Booking>>;
    async fn idempotency(&self, user: &UserId, key: &str) -> ApiResult<Option<IdempotencyRecord>>;
    /// Newest first.
    async fn bookings_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<Booking>>;
    async fn active_booking(
        &self,
        applicant: &ApplicantId,
        service: ServiceId,
    ) -> ApiResult<Option<Booking>>;
    /// `booked` → `cancelled`, only from `booked`, with its audit entry in the same transaction;
    /// returns the booking as it is afterwards.
    async fn cancel_booking(
        &self,
        no: &BookingNo,
        by: &UserId,
        reason: Option<&str>,
        at: Instant,
        audit: &AuditEntry,
    ) -> ApiResult<Option<Booking>>;
    /// `booked` → `cancelled` by nobody, for a booking written whose place was lost before it
    /// could be confirmed (`booking::Placed::Lost`): counted against no cancellation quota,
    /// with its audit entry, and its idempotency record (`user`'s `key`) answering `SLOT_FULL`
    /// from then on, all in one transaction. A booking no longer `booked` (its applicant
    /// cancelled it meanwhile) is left as it is, its first answer too.
    async fn withdraw_booking(
        &self,
        no: &BookingNo,
        idempotency: (&UserId, &str),
        reason: &str,
        at: Instant,
        audit: &AuditEntry,
    ) -> ApiResult<()>;
    /// When the applicant cancelled, newest first, since `since`. Cancellations by the office
    /// (a closed day: no `cancelled_by`) are not the applicant's and are left out.
    async fn cancellations_since(
        &self,
        applicant: &ApplicantId,
        since: Instant,
    ) -> ApiResult<Vec<Instant>>;
    /// Dates of the applicant's no-shows since `since`.
    async fn no_shows_since(
        &self,
        applicant: &ApplicantId,
        since: NaiveDate,
    ) -> ApiResult<Vec<NaiveDate>>;
    /// Every booking of one (office, date), any status: what reconciliation compares.
    async fn bookings_on(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<Booking>>;
    /// `booked` → `checked_in`, only from `booked`.
    async fn check_in(&self, no: &BookingNo, at: Instant) -> ApiResult<Option<Booking>>;
    /// `booked` → `cancelled` by the office (no `cancelled_by`) for every booking of (office,
    /// date) still `booked`, each with an audit entry (`booking.day_closed` by `actor`) in the
    /// same transaction; returns them.
    async fn cancel_day(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        reason: &str,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<Vec<Booking>>;
    /// `booked` → `no_show` for every booking of `date` still `booked`, each with an audit
    /// entry (`booking.no_show` by `actor`) in the same transaction; returns them.
    async fn mark_no_shows(
        &self,
        date: NaiveDate,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<Vec<Booking>>;
}

pub enum CreateEntry {
    Created,
    /// An entry with this id exists already (a retry, a double tap).
    SameId(Box<WaitlistEntry>),
    /// The applicant already waits for the service (the partial unique index).
    WaitingExists(WaitlistId),
}

pub enum BookEntry {
    /// The booking is written and the entry is `booked` (now, or by an earlier call).
    Booked,
    /// The entry is not waiting (left, expired, or booked under another number): nothing written.
    NotWaiting,
    /// The applicant has an active booking for the service already: nothing written.
    ActiveExists,
}

/// The waitlist (候补) as the record keeps it.
pub trait Waitlists {
    /// Stores a new waiting entry with its audit entry in one transaction.
    async fn create_entry(
        &self,
        entry: &WaitlistEntry,
        audit: &AuditEntry,
    ) -> ApiResult<CreateEntry>;
    async fn entry(&self, id: &WaitlistId) -> ApiResult<Option<WaitlistEntry>>;
    /// Newest first.
    async fn entries_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<WaitlistEntry>>;
    /// `waiting` → `to` (`cancelled`, or `expired` with its `reason`), only from `waiting`, with
    /// its audit entry in the same transaction; returns the entry as it is afterwards.
    async fn end_entry(
        &self,
        id: &WaitlistId,
        to: WaitlistStatus,
        reason: Option<&str>,
        at: Instant,
        audit: &AuditEntry,
    ) -> ApiResult<Option<WaitlistEntry>>;
    /// Writes the served entry's booking (`booking.booking_no` is the entry's), its audit entry
    /// and the entry `waiting` → `booked` in one transaction, only while the entry is waiting:
    /// the step that makes a waitlist entry a booking, under the same constraints as a submit's.
    async fn book_entry(
        &self,
        id: &WaitlistId,
        booking: &Booking,
        audit: &AuditEntry,
    ) -> ApiResult<BookEntry>;
}

/// The per-(office, date) inventory authority.
pub trait Inventory {
    /// Sends `request` to the authority of (`office`, `date`) and returns its answer: the one
    /// protocol ([`crate::inventory::protocol`]) every method below speaks, so each of them is
    /// written once, here. `op` names the step (the method's name) for logs and test faults.
    async fn ask(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        op: &'static str,
        request: Request,
    ) -> ApiResult<Answered>;

    async fn hold(&self, req: &HoldRequest) -> ApiResult<HoldOutcome> {
        let hold = Request::Hold(Hold::from(req));
        Ok(self
            .ask(&req.office, req.date, "hold", hold)
            .await?
            .hold()?
            .outcome)
    }
    /// Whether `hold(req)` is already known, without asking the authority, to answer `Full`: a
    /// full period whose places are all held by other numbers. An answer a client could also
    /// read off the slot page, so it may be given before anything else about the caller is
    /// checked. `false` when not known (the default: nothing is known without asking).
    fn known_full(&self, _req: &HoldRequest) -> bool {
        false
    }
    /// Turns the hold into a confirmed booking; idempotent. `false` when the number holds no
    /// place there any more (its hold lapsed and was settled, or was freed, before this call).
    async fn confirm(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<bool> {
        self.confirm_and_tell(office, date, no, None).await
    }
    /// [`Inventory::confirm`], and `notice` (opaque here: a notice's JSON) sent by the authority
    /// once the confirmation is committed, with others in one batch.
    async fn confirm_and_tell(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        no: &BookingNo,
        notice: Option<String>,
    ) -> ApiResult<bool> {
        let booking_no = no.clone();
        self.ask(
            office,
            date,
            "confirm",
            Request::Confirm { booking_no, notice },
        )
        .await?
        .confirmed()
    }
    /// A submit gives up the hold it took or joined (`hold` answered `Held`) after a refusal.
    /// Submits under one booking number (a retry, a double tap) share its place, so this frees
    /// it only when it is unconfirmed and no other submit of the number still relies on it; a
    /// confirmed place is never freed here (that is `release`, for a cancel). Called once by
    /// each submit that relied on the hold; whatever it leaves behind lapses and is settled
    /// against the record.
    async fn abandon(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<()> {
        let booking_no = no.clone();
        self.ask(office, date, "abandon", Request::Abandon { booking_no })
            .await?
            .done()
    }
    /// Frees the hold or confirmed booking whatever relies on it (a cancel, a closed day,
    /// reconciliation); idempotent.
    async fn release(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<()> {
        let booking_no = no.clone();
        self.ask(office, date, "release", Request::Release { booking_no })
            .await?
            .done()
    }
    /// Frees the number's hold only if, when the authority gets this, it is still unconfirmed
    /// and lapsed (reconciliation, which read the record earlier: the submit may have written
    /// and confirmed since). `true` when it was freed.
    async fn release_lapsed(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        no: &BookingNo,
    ) -> ApiResult<bool> {
        let booking_no = no.clone();
        let release = Request::ReleaseLapsed { booking_no };
        self.ask(office, date, "release_lapsed", release)
            .await?
            .released()
    }
    async fn day(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<PeriodInventory>> {
        self.ask(office, date, "day", Request::Periods)
            .await?
            .periods()
    }
    /// What the authority counts as taken (held or confirmed) that day.
    async fn taken_on(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<Taken>> {
        self.ask(office, date, "taken_on", Request::Taken)
            .await?
            .taken()
    }
    /// Records a booking the record has and the authority lost (reconciliation). Refused with
    /// `Full` rather than exceeding capacity.
    async fn restore(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        period: &PeriodId,
        no: &BookingNo,
        applicant: &ApplicantId,
    ) -> ApiResult<HoldOutcome> {
        let restore = Request::Restore {
            period: period.clone(),
            booking_no: no.clone(),
            applicant: applicant.clone(),
        };
        Ok(self
            .ask(office, date, "restore", restore)
            .await?
            .hold()?
            .outcome)
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
        self.ask(office, date, "publish", publish)
            .await?
            .published()
    }
    /// Switches the day's waiting room on (with `config`) or off (`None`, which also empties
    /// its queue). Changing the config of a drawn queue keeps the positions.
    async fn set_admission(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        config: Option<&AdmissionConfig>,
    ) -> ApiResult<()> {
        let set = Request::SetAdmission {
            config: config.copied(),
        };
        self.ask(office, date, "set_admission", set).await?.done()
    }
    /// Where `user` stands in the day's waiting room at `at`; with `join`, they are added if
    /// absent (or again at the end, once their admission expired).
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
        self.ask(office, date, "admission", ask).await?.admission()
    }
    async fn admission_summary(
        &self,
        office: &OfficeId,
        date: NaiveDate,
    ) -> ApiResult<Option<AdmissionSummary>> {
        self.ask(office, date, "admission_summary", Request::AdmissionSummary)
            .await?
            .summary()
    }
    /// Puts an entry in the day's waitlist, if every period it names is full.
    async fn join_waitlist(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        join: &JoinEntry,
    ) -> ApiResult<Joined> {
        let ask = Request::JoinWaitlist(join.clone());
        self.ask(office, date, "join_waitlist", ask).await?.joined()
    }
    /// Takes an entry out of the waitlist (after the record marked it left); a place taken for
    /// it and not confirmed goes to the next entry. Idempotent.
    async fn leave_waitlist(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        id: &WaitlistId,
    ) -> ApiResult<()> {
        let ask = Request::LeaveWaitlist { id: id.clone() };
        self.ask(office, date, "leave_waitlist", ask).await?.done()
    }
    /// Where each entry stands in the day's waitlist (`None`: not waiting).
    async fn positions(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        ids: &[WaitlistId],
    ) -> ApiResult<Vec<Option<u64>>> {
        let ask = Request::Positions { ids: ids.to_vec() };
        self.ask(office, date, "positions", ask).await?.positions()
    }
    /// The entries served or lapsed the record must be told of (lapsing those due first).
    async fn outbox(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<Pending>> {
        self.ask(office, date, "outbox", Request::Outbox)
            .await?
            .outbox()
    }
    /// The day is being closed: its waitlist lapses (before its places are freed, so none is
    /// served) and takes nobody new until periods are published again.
    async fn close_waitlist(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<()> {
        self.ask(office, date, "close_waitlist", Request::CloseWaitlist)
            .await?
            .done()
    }
    /// What the record answered for an entry of the outbox.
    async fn settle_entry(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        id: &WaitlistId,
        settled: Settled,
    ) -> ApiResult<()> {
        let ask = Request::SettleEntry {
            id: id.clone(),
            settled,
        };
        self.ask(office, date, "settle_entry", ask).await?.done()
    }
}

/// What the checks of a booking submit read from the record.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitFacts {
    pub session: Option<Session>,
    pub user: Option<User>,
    /// The caller's link to the applicant.
    pub link: Option<Link>,
    pub applicant: Option<Applicant>,
    pub office: Option<Office>,
    pub service: Option<ServiceTerms>,
    /// The applicant's no-show dates since `no_shows_since`.
    pub no_shows: Vec<NaiveDate>,
    /// When the applicant cancelled since `cancellations_since`, newest first.
    pub cancellations: Vec<Instant>,
}

pub struct SubmitQuery<'a> {
    pub caller: &'a UserId,
    /// The request's session; `None` when no request is behind the reads (a waitlist entry
    /// served).
    pub session: Option<&'a SessionId>,
    pub applicant: &'a ApplicantId,
    pub office: &'a OfficeId,
    pub service: ServiceId,
    pub no_shows_since: NaiveDate,
    pub cancellations_since: Instant,
}

/// The submit's reads at once: D1 answers them in one batch, one round trip instead of eight,
/// which is most of a booking's cost.
pub trait SubmitReads {
    async fn submit_facts(&self, q: &SubmitQuery<'_>) -> ApiResult<SubmitFacts>;
    /// [`SubmitReads::submit_facts`] with rate-limit `hits` counted in the same transaction, so
    /// that a limit costs no round trip of its own and stays exact: the facts, and each hit's
    /// count in its window with the hit itself, in order.
    async fn submit_facts_counting(
        &self,
        q: &SubmitQuery<'_>,
        hits: &[Hit],
    ) -> ApiResult<(SubmitFacts, Vec<u32>)>;
}

/// Rate-limit counts kept in the record, for the limits a submit counts with its reads
/// ([`SubmitReads::submit_facts_counting`]): whatever else counts against the same limit (a
/// cancel) counts here.
pub trait Counters {
    /// Counts each hit in its window; each window's count with the hit, in order.
    async fn count_hits(&self, hits: &[Hit]) -> ApiResult<Vec<u32>>;
}

pub trait Applications {
    /// Opens the application of a checked-in booking; idempotent per booking.
    async fn open_application(&self, application: &Application) -> ApiResult<Application>;
    async fn application(&self, no: &ApplicationNo) -> ApiResult<Option<Application>>;
    async fn application_of_booking(&self, no: &BookingNo) -> ApiResult<Option<Application>>;
    async fn applications_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<Application>>;
    /// Stores the application as moved by one event; `expected` guards against a concurrent
    /// move (compare-and-set on the status). Returns false when the status was not `expected`.
    async fn update_application(
        &self,
        application: &Application,
        expected: ApplicationStatus,
    ) -> ApiResult<bool>;
    async fn documents_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<IssuedDocument>>;
    async fn add_document(&self, document: &IssuedDocument) -> ApiResult<()>;
}

pub trait Audit {
    async fn record(&self, entry: &AuditEntry) -> ApiResult<()>;
    /// Several entries in one transaction (a helper's read covering several principals).
    async fn record_all(&self, entries: &[AuditEntry]) -> ApiResult<()>;
    /// Newest first.
    async fn audit_of(&self, subjects: &[ApplicantId], limit: u32) -> ApiResult<Vec<AuditEntry>>;
}

pub trait RulesSource {
    /// The highest version in force.
    async fn rules(&self) -> ApiResult<Rules>;
    async fn calendar(&self) -> ApiResult<WorkCalendar>;
}

/// Cities, offices, services and the published schedule.
pub trait Catalog {
    async fn cities(&self) -> ApiResult<Vec<City>>;
    async fn services(&self) -> ApiResult<Vec<ServiceInfo>>;
    async fn service(&self, id: ServiceId) -> ApiResult<Option<ServiceInfo>>;
    async fn offices(
        &self,
        city: Option<&str>,
        service: Option<ServiceId>,
    ) -> ApiResult<Vec<Office>>;
    async fn office(&self, id: &OfficeId) -> ApiResult<Option<Office>>;
    /// Creates or replaces the office (and its usual week, if given) in one transaction.
    async fn put_office(
        &self,
        office: &Office,
        template: Option<&ScheduleTemplate>,
    ) -> ApiResult<()>;
    /// Published periods of `office` from `from` to `to` inclusive, by date.
    async fn schedule(
        &self,
        office: &OfficeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ApiResult<Vec<(NaiveDate, PublishedPeriod)>>;
    /// Replaces the published periods of one day.
    async fn put_schedule(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        periods: &[PublishedPeriod],
    ) -> ApiResult<()>;
    /// The days of `office` from `from` to `to` that have been published, closed ones included.
    async fn published_days(
        &self,
        office: &OfficeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ApiResult<Vec<NaiveDate>>;
    /// Every office's usual week.
    async fn templates(&self) -> ApiResult<Vec<ScheduleTemplate>>;
}

//! `POST /v1/bookings`: the steps between the inventory authority and the record.
//!
//! 1. Validate the request and the booking window (no storage).
//! 2. Hold a place in the (office, date) inventory object under a number derived from the caller
//!    and the `Idempotency-Key`. A full period is answered here, before D1 is touched.
//! 3. With the hold, one D1 batch: the session, the caller's identity, the right to act for the
//!    applicant, the office and service, the penalties and quotas, and the rate limits' counts.
//!    Any refusal gives the hold up (`abandon`, below).
//! 4. Write booking + idempotency record + audit entry in one D1 transaction; the partial unique
//!    index refuses a second active booking of the applicant for the service.
//! 5. Confirm the hold, handing the object the message that tells the booker (it sends it once
//!    the confirmation is committed).
//!
//! Failure between the steps: an unconfirmed hold lapses after `hold_seconds`, and the object's
//! alarm then asks D1 whether the booking exists — confirming it if so, releasing it if not. A
//! write whose outcome is unknown is therefore never released blindly, and a user is told
//! "booked" only after the write committed.
//!
//! Submits under one booking number (a retry, a double tap: the same caller and key) share one
//! place. A retry that finds the place confirmed (its booking written) makes step 3's read, which
//! counts its limits and checks its login and the caller's right to act for the applicant, then
//! reads its first answer: no other checks, no write or confirmation again. A refused submit
//! *abandons* its hold rather than releasing it: the object frees the place only when no other
//! submit of the number relies on it and it is not confirmed, so a refused retry never takes the
//! place of the booking its first submit made.

use super::numbers::derive_booking_no;
use super::qr::QrSigner;
use super::request::{parse_idempotency_key, BookRequest, ValidBooking};
use super::view::booking_view;
use crate::auth::session_live;
use crate::authz::authorize_with;
use crate::catalog::Snapshot;
use crate::domain::{BookingNo, FieldError, OfficeId, PeriodId};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::inventory::write_by;
use crate::notify::Notice;
use crate::ratelimit;
use crate::rules::calendar::WorkCalendar;
use crate::rules::{cancel, penalty, window, Rules};
use crate::store::*;
use crate::t;
use crate::time::Instant;
use chrono::{Days, NaiveDate, NaiveTime};
use serde_json::Value;

pub struct BookInput<'a> {
    pub caller: &'a UserId,
    /// The caller's session: checked live (in the same read as the rest) once a place is held.
    pub session: &'a SessionId,
    /// The client's address, for its rate limit.
    pub client: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub request: &'a BookRequest,
    pub rules: &'a Rules,
    pub calendar: &'a WorkCalendar,
    /// The offices as this isolate knows them (the catalog cache): a submit for an office not in it
    /// is `404` before any inventory object is asked, so no object is ever made for a name
    /// that is no office. The record still decides whether the office is active once a place is
    /// held.
    pub catalog: &'a Snapshot,
    pub now: Instant,
    pub request_id: &'a str,
    /// Keys the derivation of booking numbers.
    pub number_secret: &'a [u8],
    pub qr: &'a QrSigner,
    /// The language of the first answer, which a retry under the key gets again as it was.
    pub lang: crate::i18n::Lang,
}

/// The answer to send: `201` for a new booking, and the stored first answer for a retry.
#[derive(Debug, Clone, PartialEq)]
pub struct BookOutcome {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
    /// The message confirming the booking this call made, when the inventory could not be
    /// handed it (the confirmation's answer was lost): the caller sends it itself. Had the
    /// inventory kept it after all, the consumer's one message per event absorbs the second.
    pub untold: Option<Notice>,
}

/// Why a booking was withdrawn (`Bookings::withdraw_booking`), as its view shows it.
pub const WITHDRAWN_REASON: &str = "提交时名额已被占用，预约未成功";

/// Where the place of a booking just written stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    Confirmed,
    /// The object could not be asked: the hold's alarm settles it against the record.
    Unknown,
    /// The number held no place any more (its hold lapsed and was settled before the write
    /// committed, or the day was closed meanwhile) and the period has none left to take back.
    Lost,
    /// The booking was cancelled before its place was confirmed: the cancel freed the place,
    /// and none is taken back for it.
    Cancelled,
}

/// What a submit asks for and the hold it would take, checked without storage (step 1).
struct Prepared {
    key: String,
    req: ValidBooking,
    hold: HoldRequest,
}

fn prepare(input: &BookInput<'_>) -> ApiResult<Prepared> {
    let key = parse_idempotency_key(input.idempotency_key)?;
    let req = input.request.validate()?;
    if input.catalog.office(&req.office_id).is_none() {
        return Err(ApiError::not_found());
    }
    // The date-level window needs no storage; the period's own start is checked once the hold
    // tells us when it starts.
    window::check_day(input.rules, input.calendar, input.now, req.date)?;

    let booking_no = derive_booking_no(input.number_secret, input.caller, &key);
    let hold = HoldRequest {
        office: req.office_id.clone(),
        date: req.date,
        period: req.period_id.clone(),
        booking_no: booking_no.clone(),
        applicant: req.applicant_id.clone(),
        ttl_seconds: input.rules.booking.hold_seconds,
        user: input.caller.clone(),
        at: input.now,
    };
    Ok(Prepared { key, req, hold })
}

/// Whether this submit gets `SLOT_FULL` without going further: its request is valid and inside
/// the window, and the inventory already knows its period is full and its number (the caller's
/// and key's) holds none of the places. `input.caller` may be the user a token *names*, before
/// its signature is checked: the refusal tells nothing the slot page does not, a retry of a
/// submit that got a place is never refused here (its number holds one), and a wave's
/// thousands of refusals then cost no signature check each.
pub fn refused_as_full<I: Inventory>(inventory: &I, input: &BookInput<'_>) -> bool {
    prepare(input).is_ok_and(|p| inventory.known_full(&p.hold))
}

pub async fn book<S, I>(store: &S, inventory: &I, input: BookInput<'_>) -> ApiResult<BookOutcome>
where
    S: Bookings + Catalog + SubmitReads,
    I: Inventory,
{
    let Prepared { key, req, hold } = prepare(&input)?;
    let booking_no = hold.booking_no.clone();
    let (start, end, lapses_at_ms) = match inventory.hold(&hold).await? {
        HoldOutcome::Held {
            start,
            end,
            lapses_at_ms,
        } => (start, end, lapses_at_ms),
        HoldOutcome::Full => return Err(ApiError::new(ErrorCode::SlotFull)),
        HoldOutcome::Conflict => return Err(ApiError::new(ErrorCode::IdempotencyMismatch)),
        HoldOutcome::Closed => return Err(closed(store, &req).await),
        HoldOutcome::NotAdmitted { admission: status } => {
            return Err(status.refusal(input.now.timestamp_millis()))
        }
    };

    // Counted only once a place is held: refusals the object or the isolate answers (full, not
    // yet released, not admitted) are not submits about to reach the record.
    let hits = ratelimit::booking_hits(
        input.rules,
        input.caller.as_str(),
        input.client,
        input.now.timestamp_millis(),
    );
    let asker = input.asker();
    let checked = async {
        let query = submit_query(&asker, &req);
        let (facts, counts) = store.submit_facts_counting(&query, &hits).await?;
        ratelimit::judge(&hits, &counts)?;
        if lapses_at_ms.is_none() {
            // Only what may have changed since the first answer: the login, the link.
            session_live(facts.session.as_ref(), input.caller)?;
            acting_for(facts.user, facts.link, facts.applicant, &asker)?;
            return Ok(Checked::Retry);
        }
        judge_facts(facts, &asker, &req, Some(start)).map(|a| Checked::New(Box::new(a)))
    };
    let applicant = match checked.await {
        Ok(Checked::New(a)) => *a,
        // The number's place is confirmed, which only a written booking's is: a retry of it,
        // answered from the record (no write or confirmation to repeat).
        Ok(Checked::Retry) => {
            let record = store.idempotency(input.caller, &key).await?;
            return answer_again(record, &booking_no, &req);
        }
        Err(e) => {
            // A confirmed place is a booking's: giving it up would be a call that frees nothing.
            if lapses_at_ms.is_some() {
                abandon_quietly(inventory, &hold).await;
            }
            return Err(e);
        }
    };

    let booking = req.booking(booking_no.clone(), input.caller, (start, end), input.now);
    let body = match booking_view(&booking, Some(&applicant), input.qr, input.lang).await {
        Ok(body) => body,
        Err(e) => {
            abandon_quietly(inventory, &hold).await;
            return Err(e);
        }
    };
    let record = IdempotencyRecord {
        user_id: input.caller.clone(),
        key: key.clone(),
        fingerprint: req.fingerprint(),
        booking_no: booking_no.clone(),
        status: 201,
        response: body.clone(),
        created_at: input.now,
    };
    let audit = AuditEntry {
        actor: Actor::User(input.caller.clone()),
        subject: req.applicant_id.clone(),
        action: "booking.create".into(),
        target: Some(booking_no.as_str().to_owned()),
        request_id: input.request_id.to_owned(),
        at: input.now,
    };

    // An error here may hide a committed write: keep the hold; its alarm settles it against D1,
    // which the fence guarantees shows any write that committed.
    match store
        .create_booking(
            &booking,
            &record,
            &audit,
            write_by(lapses_at_ms, hold.ttl_seconds),
        )
        .await?
    {
        CreateBooking::Created => {
            let notice = Notice::booking_confirmed(&booking);
            let told = notice.to_json();
            match confirm_place(store, inventory, &hold, told).await {
                Placed::Lost => Err(withdraw(store, &input, &key, &booking).await),
                placed => Ok(BookOutcome {
                    status: 201,
                    body,
                    replayed: false,
                    untold: (placed == Placed::Unknown).then_some(notice),
                }),
            }
        }
        CreateBooking::SameNumber(existing) => {
            replay(store, inventory, &input, &req, &hold, &existing).await
        }
        CreateBooking::ActiveExists(_) => {
            abandon_quietly(inventory, &hold).await;
            Err(ApiError::new(ErrorCode::AlreadyBooked))
        }
        // The submit took longer than its hold: nothing was written, and the same key may be
        // sent again.
        CreateBooking::TooLate => {
            abandon_quietly(inventory, &hold).await;
            Err(ApiError::new(ErrorCode::UpstreamUnavailable))
        }
    }
}

/// A booking written whose place is gone ([`Placed::Lost`]) is taken back, so that a period
/// never has more bookings than places, and the submit is answered as a full period was. If
/// even that fails, the storage error: reconciliation reports the booking without a place.
async fn withdraw<S: Bookings>(
    store: &S,
    input: &BookInput<'_>,
    key: &str,
    booking: &Booking,
) -> ApiError {
    let audit = AuditEntry {
        actor: Actor::System,
        subject: booking.applicant_id.clone(),
        action: "booking.withdraw".into(),
        target: Some(booking.booking_no.as_str().to_owned()),
        request_id: input.request_id.to_owned(),
        at: input.now,
    };
    match store
        .withdraw_booking(
            &booking.booking_no,
            (input.caller, key),
            WITHDRAWN_REASON,
            input.now,
            &audit,
        )
        .await
    {
        Ok(()) => ApiError::new(ErrorCode::SlotFull),
        Err(e) => e,
    }
}

/// Confirms the place of a booking just written, the inventory sending `notice` (what to tell
/// the booker) once that is committed. Unconfirmed is safe (the alarm confirms a hold whose
/// booking exists); a place gone meanwhile is taken back while the period has room, unless the
/// booking was cancelled meanwhile (its cancel freed the place it held).
pub async fn confirm_place<S: Bookings, I: Inventory>(
    store: &S,
    inventory: &I,
    hold: &HoldRequest,
    notice: Option<String>,
) -> Placed {
    let (office, date, no) = (&hold.office, hold.date, &hold.booking_no);
    match inventory
        .confirm_and_tell(office, date, no, notice.clone())
        .await
    {
        Ok(true) => return Placed::Confirmed,
        Err(_) => return Placed::Unknown,
        Ok(false) => {}
    }
    // The place is gone: its hold lapsed and was freed, or the booking was cancelled. When the
    // record cannot say which, the place is taken back as it always was: the look after the
    // restore, or else reconciliation, gives it up if the booking was cancelled.
    if cancelled(store, hold).await {
        return Placed::Cancelled;
    }
    match inventory
        .restore(office, date, &hold.period, no, &hold.applicant)
        .await
    {
        Ok(HoldOutcome::Held { .. }) => {
            // A cancel that committed after the record was read may have freed the place
            // before the restore took it back: look again, and give it up if so (if even that
            // fails, reconciliation frees the place of a cancelled booking).
            if cancelled(store, hold).await {
                let _ = inventory.release(office, date, no).await;
                return Placed::Cancelled;
            }
            if notice.is_some() {
                // The place given back is confirmed: this only hands over the notice.
                let _ = inventory.confirm_and_tell(office, date, no, notice).await;
            }
            Placed::Confirmed
        }
        Err(_) => Placed::Unknown,
        Ok(_) => Placed::Lost,
    }
}

/// The record says the booking under `hold`'s number keeps no place there any more (it was
/// cancelled). `false` when the record could not be read.
async fn cancelled<S: Bookings>(store: &S, hold: &HoldRequest) -> bool {
    let (office, date) = (&hold.office, hold.date);
    matches!(
        keeps_its_place(store, &hold.booking_no, office, date, &hold.period).await,
        Ok(false)
    )
}

/// Whether the record's booking `no` still keeps its place in `period` of (`office`, `date`):
/// asked again after a place was taken back for it, since a cancel may have freed it meanwhile.
pub(super) async fn keeps_its_place<S: Bookings>(
    store: &S,
    no: &BookingNo,
    office: &OfficeId,
    date: NaiveDate,
    period: &PeriodId,
) -> ApiResult<bool> {
    Ok(store
        .booking(no)
        .await?
        .is_some_and(|b| b.keeps_place(office, date, period)))
}

/// Who a submit's checks are for: a submit's caller, or whoever joined a waitlist entry.
pub struct Asker<'a> {
    pub caller: &'a UserId,
    /// The request's session, checked live; `None` for an entry served with no request behind.
    pub session: Option<&'a SessionId>,
    pub rules: &'a Rules,
    pub now: Instant,
}

impl BookInput<'_> {
    fn asker(&self) -> Asker<'_> {
        Asker {
            caller: self.caller,
            session: Some(self.session),
            rules: self.rules,
            now: self.now,
        }
    }
}

/// Everything about a submit that needs the record, over one read of it: done by the waitlist
/// when an entry joins and when it is served. A submit does the same while its place is held,
/// with its rate-limit hits counted in the read. `start`: the period's, when one is chosen.
pub async fn checks<S: SubmitReads>(
    store: &S,
    input: &Asker<'_>,
    req: &ValidBooking,
    start: Option<NaiveTime>,
) -> ApiResult<Applicant> {
    let facts = store.submit_facts(&submit_query(input, req)).await?;
    judge_facts(facts, input, req, start)
}

/// What the checks read of the record.
fn submit_query<'a>(input: &'a Asker<'a>, req: &'a ValidBooking) -> SubmitQuery<'a> {
    let today = input.now.date_naive();
    // A ban runs `ban_days` from the later of two no-shows at most `window_days` apart.
    let lookback = input.rules.no_show.window_days + input.rules.no_show.ban_days;
    SubmitQuery {
        caller: input.caller,
        session: input.session,
        applicant: &req.applicant_id,
        office: &req.office_id,
        service: req.service,
        no_shows_since: today - Days::new(lookback.into()),
        cancellations_since: input.now
            - chrono::Duration::days(input.rules.cancellation.window_days.into()),
    }
}

/// The checks over what the record said.
fn judge_facts(
    facts: SubmitFacts,
    input: &Asker<'_>,
    req: &ValidBooking,
    start: Option<NaiveTime>,
) -> ApiResult<Applicant> {
    let today = input.now.date_naive();
    if input.session.is_some() {
        session_live(facts.session.as_ref(), input.caller)?;
    }
    if let Some(start) = start {
        window::check_bookable(input.rules, input.now, req.date, start)?;
    }
    let applicant = acting_for(facts.user, facts.link, facts.applicant, input)?;

    let office = facts
        .office
        .filter(|o| o.active)
        .ok_or_else(ApiError::not_found)?;
    if !office.services.contains(&req.service) {
        return Err(ApiError::invalid(
            "service",
            t!("office.service_not_offered"),
        ));
    }
    if req
        .service
        .needs_photo_receipt(office.requires_photo_receipt)
        && req.photo_receipt_no.is_none()
    {
        return Err(ApiError::invalid(
            "photo_receipt_no",
            t!("booking.photo_receipt_required"),
        ));
    }
    if !req
        .service
        .accepted_documents()
        .contains(&applicant.document.kind)
    {
        let refusal = if applicant.document.kind.is_foreign() {
            RESIDENT_ID_ONLY
        } else {
            FOREIGNERS_ONLY
        };
        return Err(refusal.at("service"));
    }
    let service = facts.service.ok_or_else(ApiError::not_found)?;
    if !service.offers(req.pickup.method()) {
        return Err(ApiError::invalid(
            "pickup.method",
            t!("booking.pickup_not_offered"),
        ));
    }
    penalty::check_not_banned(input.rules, today, &facts.no_shows)?;
    cancel::check_cancellation_quota(input.rules, input.now, &facts.cancellations)?;
    Ok(applicant)
}

/// The applicant the caller may act for: the caller is identified and linked to it.
fn acting_for(
    user: Option<User>,
    link: Option<Link>,
    applicant: Option<Applicant>,
    input: &Asker<'_>,
) -> ApiResult<Applicant> {
    let user = user.ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated))?;
    if user.applicant_id.is_none() {
        return Err(ApiError::new(ErrorCode::IdentityRequired));
    }
    let today = input.now.date_naive();
    Ok(authorize_with(link, applicant, input.rules, today)?.applicant)
}

/// The service takes the other kind of document (`ServiceId::accepted_documents`).
const RESIDENT_ID_ONLY: FieldError =
    FieldError::new("document_not_accepted", "booking.resident_id_only");
const FOREIGNERS_ONLY: FieldError =
    FieldError::new("document_not_accepted", "booking.foreigners_only");

/// A retry (or a double tap racing the first submit) found its booking already written.
async fn replay<S: Bookings, I: Inventory>(
    store: &S,
    inventory: &I,
    input: &BookInput<'_>,
    req: &ValidBooking,
    hold: &HoldRequest,
    existing: &Booking,
) -> ApiResult<BookOutcome> {
    let its_place = existing.office_id == hold.office
        && existing.date == hold.date
        && existing.period_id == hold.period
        && existing.status != BookingStatus::Cancelled;
    if its_place {
        // The hold is the booking's own place (or takes it back, if it had been lost). Its
        // booker is told with the confirmation: the first submit may have died, or lost its
        // write's answer, before confirming. If it had confirmed, the object keeps a second
        // copy of the same event, which the consumer sends once (one message per event).
        let told = Notice::booking_confirmed(existing).to_json();
        confirm_place(store, inventory, hold, told).await;
    } else {
        abandon_quietly(inventory, hold).await;
    }
    if &existing.booked_by != input.caller {
        // 55-bit numbers collide with negligible probability; refuse rather than leak.
        return Err(ApiError::new(ErrorCode::Conflict));
    }
    let key = parse_idempotency_key(input.idempotency_key)?;
    let record = store
        .idempotency(input.caller, &key)
        .await?
        .ok_or_else(ApiError::internal)?;
    first_answer(record, req)
}

/// What the checks of a submit holding a place found.
enum Checked {
    /// A new booking, for this applicant.
    New(Box<Applicant>),
    /// The place is confirmed: a retry of the booking written under the number, its limits
    /// counted, its login live and its caller still acting for the applicant.
    Retry,
}

/// The answer to a retry of a written booking (`Checked::Retry`): `record`, the caller's first
/// answer under the key, if any.
pub(super) fn answer_again(
    record: Option<IdempotencyRecord>,
    booking_no: &BookingNo,
    req: &ValidBooking,
) -> ApiResult<BookOutcome> {
    match record {
        Some(record) if &record.booking_no == booking_no => first_answer(record, req),
        // The place is another caller's booking under the same number (55-bit numbers collide
        // with negligible probability): refuse rather than leak.
        _ => Err(ApiError::new(ErrorCode::Conflict)),
    }
}

/// The answer a retry gets: the first one, for the same body.
fn first_answer(record: IdempotencyRecord, req: &ValidBooking) -> ApiResult<BookOutcome> {
    if record.fingerprint != req.fingerprint() {
        return Err(ApiError::new(ErrorCode::IdempotencyMismatch));
    }
    if record.status == 409 {
        // The booking was withdrawn (`withdraw`): the first answer was a full period.
        return Err(ApiError::new(ErrorCode::SlotFull));
    }
    Ok(BookOutcome {
        status: record.status,
        body: record.response,
        replayed: true,
        untold: None,
    })
}

/// The object has no such period that day: an unknown office is 404, a known one is closed.
async fn closed<S: Catalog>(store: &S, req: &ValidBooking) -> ApiError {
    match store.office(&req.office_id).await {
        Ok(None) => ApiError::not_found(),
        Err(e) => e,
        Ok(Some(_)) => period_closed(),
    }
}

/// A period not published that day, or a day closed: `OUTSIDE_BOOKING_WINDOW`, `closed`.
pub fn period_closed() -> ApiError {
    ApiError::new(ErrorCode::OutsideBookingWindow)
        .with_message(t!("booking.period_not_published"))
        .with_details(serde_json::json!({ "reason": "closed" }))
}

/// Gives up a hold after a refusal. If even that fails, the hold lapses on its own.
async fn abandon_quietly<I: Inventory>(inventory: &I, hold: &HoldRequest) {
    let _ = inventory
        .abandon(&hold.office, hold.date, &hold.booking_no)
        .await;
}

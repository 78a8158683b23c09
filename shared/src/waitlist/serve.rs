//! Telling the record what the day decided for its waitlist: each served entry becomes a
//! booking (or is refused, and its place passes to the next), each lapsed entry expires. The
//! inventory object runs this from its alarm, which it sets whenever its outbox is not empty,
//! so a crash or a failed write is retried until the record has answered; every step is
//! idempotent, so a retry after a lost answer changes nothing twice.

use crate::booking::book::{checks, Asker};
use crate::booking::request::ValidBooking;
use crate::domain::OfficeId;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::inventory::{EntryState, Pending, Settled};
use crate::notify::{Notice, NoticeKind};
use crate::rules::Rules;
use crate::store::*;
use crate::time::Instant;
use chrono::NaiveDate;

/// How many times the outbox is read again in one call: a refused entry's place goes to the
/// next entry, which is then in the outbox too.
const ROUNDS: usize = 50;

pub struct ServeInput<'a> {
    pub rules: &'a Rules,
    pub now: Instant,
    pub request_id: &'a str,
}

/// Settles the day's outbox; returns the notices to send. Stops at the first storage error
/// (the rest wait for the next alarm).
pub async fn settle_waitlist<S, I>(
    store: &S,
    inventory: &I,
    office: &OfficeId,
    date: NaiveDate,
    input: &ServeInput<'_>,
) -> ApiResult<Vec<Notice>>
where
    S: Waitlists + SubmitReads,
    I: Inventory,
{
    let mut notices = Vec::new();
    for _ in 0..ROUNDS {
        let outbox = inventory.outbox(office, date).await?;
        if outbox.is_empty() {
            break;
        }
        for pending in &outbox {
            let settled = match &pending.state {
                EntryState::Served { .. } => serve(store, pending, input, &mut notices).await?,
                EntryState::Lapsed => {
                    expire(store, pending, "no_longer_bookable", input, &mut notices).await?;
                    Settled::Recorded
                }
                EntryState::Waiting => continue,
            };
            inventory
                .settle_entry(office, date, &pending.id, settled)
                .await?;
        }
    }
    Ok(notices)
}

/// A refusal that says something about the record's availability, not about the entry.
fn transient(e: &ApiError) -> bool {
    matches!(
        e.code,
        ErrorCode::UpstreamUnavailable | ErrorCode::Internal | ErrorCode::RateLimited
    )
}

async fn serve<S: Waitlists + SubmitReads>(
    store: &S,
    pending: &Pending,
    input: &ServeInput<'_>,
    notices: &mut Vec<Notice>,
) -> ApiResult<Settled> {
    let Some(e) = store.entry(&pending.id).await? else {
        return Ok(Settled::Refused);
    };
    if e.status == WaitlistStatus::Booked && e.booking_no == pending.booking_no {
        return Ok(Settled::Booked);
    }
    let Some(period) = pending.period.as_ref() else {
        return Ok(Settled::Refused);
    };
    if e.status != WaitlistStatus::Waiting {
        return Ok(Settled::Refused);
    }
    let wanted = ValidBooking {
        applicant_id: e.applicant_id.clone(),
        service: e.service,
        office_id: e.office_id.clone(),
        date: e.date,
        period_id: period.period_id.clone(),
        phone: e.phone.clone(),
        pickup: e.pickup.clone(),
        photo_receipt_no: e.photo_receipt_no.clone(),
    };
    let asker = Asker {
        caller: &e.joined_by,
        session: None,
        rules: input.rules,
        now: input.now,
    };
    if let Err(refused) = checks(store, &asker, &wanted, Some(period.start)).await {
        if transient(&refused) {
            return Err(refused);
        }
        let reason = refusal_reason(&refused);
        expire(store, pending, &reason, input, notices).await?;
        return Ok(Settled::Refused);
    }
    let booking = wanted.booking(
        e.booking_no.clone(),
        &e.joined_by,
        (period.start, period.end),
        input.now,
    );
    let audit = AuditEntry {
        actor: Actor::System,
        subject: e.applicant_id.clone(),
        action: "booking.create".into(),
        target: Some(e.booking_no.as_str().to_owned()),
        request_id: input.request_id.to_owned(),
        at: input.now,
    };
    match store.book_entry(&e.id, &booking, &audit).await? {
        BookEntry::Booked => {
            notices.push(Notice::booking(
                NoticeKind::WaitlistBooked,
                &booking,
                Some(&e.joined_by),
            ));
            Ok(Settled::Booked)
        }
        BookEntry::NotWaiting => Ok(Settled::Refused),
        BookEntry::ActiveExists => {
            expire(store, pending, "already_booked", input, notices).await?;
            Ok(Settled::Refused)
        }
    }
}

/// What the entry's view says of a refusal: its `details.reason`, or its code.
fn refusal_reason(e: &ApiError) -> String {
    e.details
        .as_ref()
        .and_then(|d| d["reason"].as_str())
        .map_or_else(|| e.code.as_str().to_ascii_lowercase(), str::to_owned)
}

/// The entry can no longer be served: `expired` in the record (only from `waiting`), and its
/// people told. A retry after a lost answer finds it expired and tells them again under the
/// same event id, which the notifications send once.
async fn expire<S: Waitlists>(
    store: &S,
    pending: &Pending,
    reason: &str,
    input: &ServeInput<'_>,
    notices: &mut Vec<Notice>,
) -> ApiResult<()> {
    let audit = AuditEntry {
        actor: Actor::System,
        subject: pending.applicant.clone(),
        action: "waitlist.expire".into(),
        target: Some(pending.id.as_str().to_owned()),
        request_id: input.request_id.to_owned(),
        at: input.now,
    };
    let after = store
        .end_entry(
            &pending.id,
            WaitlistStatus::Expired,
            Some(reason),
            input.now,
            &audit,
        )
        .await?;
    if let Some(after) = after.filter(|a| a.status == WaitlistStatus::Expired) {
        notices.push(Notice::waitlist_expired(&after));
    }
    Ok(())
}

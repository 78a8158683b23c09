//! `POST /v1/waitlist`: checked as a submit is (everything that does not depend on a place),
//! then put in the day's queue, then in the record.

use super::request::WaitlistRequest;
use super::view::entry_view;
use crate::booking::book::{checks, period_closed, Asker};
use crate::booking::numbers::derive_entry_numbers;
use crate::booking::request::parse_idempotency_key;
use crate::catalog::Snapshot;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::inventory::{JoinEntry, Joined, Wanted};
use crate::rules::calendar::WorkCalendar;
use crate::rules::{window, Rules};
use crate::store::*;
use crate::t;
use crate::time::Instant;
use serde_json::{json, Value};

pub struct JoinInput<'a> {
    pub caller: &'a UserId,
    pub session: &'a SessionId,
    pub idempotency_key: Option<&'a str>,
    pub request: &'a WaitlistRequest,
    pub rules: &'a Rules,
    pub calendar: &'a WorkCalendar,
    pub catalog: &'a Snapshot,
    pub now: Instant,
    pub request_id: &'a str,
    /// Keys the derivation of the entry's id and booking number.
    pub number_secret: &'a [u8],
    pub lang: crate::i18n::Lang,
}

/// `201` and the entry: a new one, or the one this key joined already.
pub async fn join<S, I>(store: &S, inventory: &I, input: JoinInput<'_>) -> ApiResult<Value>
where
    S: Waitlists + Bookings + Catalog + SubmitReads,
    I: Inventory,
{
    let key = parse_idempotency_key(input.idempotency_key)?;
    let req = input.request.validate()?;
    let b = &req.booking;
    if input.catalog.office(&b.office_id).is_none() {
        return Err(ApiError::not_found());
    }
    window::check_day(input.rules, input.calendar, input.now, b.date)?;
    let (id, booking_no) = derive_entry_numbers(input.number_secret, input.caller, &key);
    if let Some(existing) = store.entry(&id).await? {
        return replay(inventory, &input, &req.fingerprint(), &existing).await;
    }

    let asker = Asker {
        caller: input.caller,
        session: Some(input.session),
        rules: input.rules,
        now: input.now,
    };
    checks(store, &asker, b, None).await?;
    if store
        .active_booking(&b.applicant_id, b.service)
        .await?
        .is_some()
    {
        return Err(ApiError::new(ErrorCode::AlreadyBooked));
    }
    let schedule = store.schedule(&b.office_id, b.date, b.date).await?;
    let mut wanted = Vec::with_capacity(req.periods.len());
    for p in &req.periods {
        let Some((_, period)) = schedule.iter().find(|(_, s)| &s.period_id == p) else {
            return Err(period_closed());
        };
        window::check_bookable(input.rules, input.now, b.date, period.start)?;
        wanted.push(Wanted {
            period: p.clone(),
            until_ms: window::bookable_until(input.rules, b.date, period.start).timestamp_millis(),
        });
    }

    let ask = JoinEntry {
        id: id.clone(),
        applicant: b.applicant_id.clone(),
        booking_no: booking_no.clone(),
        wanted,
        user: input.caller.clone(),
        at_ms: input.now.timestamp_millis(),
    };
    let position = match inventory.join_waitlist(&b.office_id, b.date, &ask).await? {
        Joined::Waiting { position } => Some(position),
        // Joined and served (or lapsed) before the record got it: the record's entry is
        // written below, and the day's outbox then settles it.
        Joined::Settling => None,
        Joined::PlacesAvailable { period } => {
            return Err(ApiError::new(ErrorCode::Conflict)
                .with_message(t!("waitlist.places_available"))
                .with_details(json!({
                    "reason": "places_available",
                    "period_id": period.as_str(),
                })))
        }
        Joined::Closed => return Err(period_closed()),
        Joined::NotAdmitted { admission } => {
            return Err(admission.refusal(input.now.timestamp_millis()))
        }
    };

    let entry = WaitlistEntry {
        id: id.clone(),
        applicant_id: b.applicant_id.clone(),
        joined_by: input.caller.clone(),
        service: b.service,
        office_id: b.office_id.clone(),
        date: b.date,
        period_ids: req.periods.clone(),
        phone: b.phone.clone(),
        pickup: b.pickup.clone(),
        photo_receipt_no: b.photo_receipt_no.clone(),
        booking_no,
        fingerprint: req.fingerprint(),
        status: WaitlistStatus::Waiting,
        reason: None,
        created_at: input.now,
        updated_at: input.now,
    };
    let audit = AuditEntry {
        actor: Actor::User(input.caller.clone()),
        subject: b.applicant_id.clone(),
        action: "waitlist.join".into(),
        target: Some(id.as_str().to_owned()),
        request_id: input.request_id.to_owned(),
        at: input.now,
    };
    // A storage error may hide a committed write, so the day keeps the entry: one the record
    // lacks is refused when it is served.
    match store.create_entry(&entry, &audit).await? {
        CreateEntry::Created => Ok(entry_view(&entry, position, input.lang)),
        CreateEntry::SameId(existing) => {
            replay(inventory, &input, &entry.fingerprint, &existing).await
        }
        CreateEntry::WaitingExists(other) => {
            let _ = inventory.leave_waitlist(&b.office_id, b.date, &id).await;
            Err(ApiError::new(ErrorCode::Conflict)
                .with_message(t!("waitlist.already_waiting"))
                .with_details(json!({
                    "reason": "already_waiting",
                    "waitlist_id": other.as_str(),
                })))
        }
    }
}

/// The key joined already: the entry as it is now, if the request is the same.
async fn replay<I: Inventory>(
    inventory: &I,
    input: &JoinInput<'_>,
    fingerprint: &str,
    existing: &WaitlistEntry,
) -> ApiResult<Value> {
    if &existing.joined_by != input.caller {
        return Err(ApiError::new(ErrorCode::Conflict));
    }
    if existing.fingerprint != fingerprint {
        return Err(ApiError::new(ErrorCode::IdempotencyMismatch));
    }
    let position = super::read::position_of(inventory, existing).await?;
    Ok(entry_view(existing, position, input.lang))
}

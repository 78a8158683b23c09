//! `POST /v1/bookings/{booking_no}/cancel`: by the applicant or a helper linked to them, before
//! the cutoff; the record changes first, then the place is freed, so a failure in between can
//! only leave a place unusable until reconciliation, never a booking without its place.

use super::qr::QrSigner;
use super::view::booking_view;
use crate::authz::authorize_applicant;
use crate::domain::BookingNo;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::rules::{cancel::check_cancel_allowed, Rules};
use crate::store::*;
use crate::t;
use crate::time::{at, Instant};
use serde_json::Value;

pub struct CancelInput<'a> {
    pub caller: &'a UserId,
    pub booking_no: &'a str,
    pub reason: Option<&'a str>,
    pub rules: &'a Rules,
    pub now: Instant,
    pub request_id: &'a str,
    pub qr: &'a QrSigner,
    pub lang: crate::i18n::Lang,
}

pub const MAX_REASON_CHARS: usize = 200;

/// The answer, and the booking as cancelled (by this call or an earlier one): what the
/// cancellation message is about. Its event id is the booking's, so it is sent once.
pub struct Cancelled {
    pub view: Value,
    pub booking: Booking,
}

pub async fn cancel<S, I>(store: &S, inventory: &I, input: CancelInput<'_>) -> ApiResult<Cancelled>
where
    S: Applicants + Bookings,
    I: Inventory,
{
    let no = BookingNo::parse(input.booking_no).map_err(|e| e.at("booking_no"))?;
    let reason = input.reason.map(str::trim).filter(|r| !r.is_empty());
    if reason
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS || r.chars().any(char::is_control))
    {
        return Err(ApiError::invalid("reason", t!("cancel.bad_reason")));
    }
    let booking = store.booking(&no).await?.ok_or_else(ApiError::not_found)?;
    let today = input.now.date_naive();
    let applicant = authorize_applicant(
        store,
        input.caller,
        &booking.applicant_id,
        input.rules,
        today,
    )
    .await?;

    match booking.status {
        // Cancelling twice answers like the first time, and frees the place again: the first
        // cancel may have committed without reaching the object (or without learning that it
        // committed), and a number whose booking is cancelled has no place to keep.
        BookingStatus::Cancelled => {
            let _ = inventory
                .release(&booking.office_id, booking.date, &no)
                .await;
            return Ok(Cancelled {
                view: booking_view(&booking, Some(&applicant), input.qr, input.lang).await?,
                booking,
            });
        }
        BookingStatus::CheckedIn | BookingStatus::NoShow => {
            return Err(
                ApiError::new(ErrorCode::Conflict).with_message(t!("cancel.not_cancellable"))
            )
        }
        BookingStatus::Booked => {}
    }
    check_cancel_allowed(input.rules, input.now, at(booking.date, booking.start))?;

    let audit = AuditEntry {
        actor: Actor::User(input.caller.clone()),
        subject: booking.applicant_id.clone(),
        action: "booking.cancel".into(),
        target: Some(no.as_str().to_owned()),
        request_id: input.request_id.to_owned(),
        at: input.now,
    };
    let after = store
        .cancel_booking(&no, input.caller, reason, input.now, &audit)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if after.status != BookingStatus::Cancelled {
        // Checked in (or swept) between our read and our write.
        return Err(ApiError::new(ErrorCode::Conflict).with_message(t!("booking.status_changed")));
    }
    // One retry; if the object stays unreachable, reconciliation frees the place later.
    if inventory
        .release(&after.office_id, after.date, &no)
        .await
        .is_err()
    {
        let _ = inventory.release(&after.office_id, after.date, &no).await;
    }
    Ok(Cancelled {
        view: booking_view(&after, Some(&applicant), input.qr, input.lang).await?,
        booking: after,
    })
}

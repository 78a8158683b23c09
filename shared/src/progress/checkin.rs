//! `POST /v1/ops/bookings/{booking_no}/checkin`: the applicant arrived at the office. Staff scan
//! the QR code (or type the booking number); the booking is marked checked in and the
//! application is opened, `accepted`, with its number and an estimated ready date counted in
//! working days from the holiday calendar.
//!
//! Each step can be repeated: `check_in` moves only a `booked` booking, and the application is
//! unique per booking, so a second scan (or a retry after a lost answer, or two desks racing)
//! returns the same application.

use super::view::application_view;
use crate::booking::qr::{self, QrClaims};
use crate::domain::{ApplicationNo, BookingNo};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::ops::auth::OpsIdentity;
use crate::rules::calendar::WorkCalendar;
use crate::store::*;
use crate::t;
use crate::time::{self, rfc3339, Instant};
use serde_json::{json, Value};

pub struct CheckinInput<'a> {
    pub who: &'a OpsIdentity,
    pub booking_no: &'a str,
    pub qr_payload: Option<&'a str>,
    /// The QR signing key's public half, and what checks a signature by it.
    pub qr_public_key: &'a [u8; 32],
    pub qr_signatures: &'a dyn crate::auth::Ed25519Verifying,
    pub calendar: &'a WorkCalendar,
    pub now: Instant,
    /// Random part of a new application number.
    pub entropy: [u8; 5],
    pub request_id: &'a str,
    pub lang: crate::i18n::Lang,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckinOutcome {
    /// The application was opened by this call (201), rather than found (200).
    pub created: bool,
    pub body: Value,
}

fn conflict(reason: &str, message: crate::i18n::Text) -> ApiError {
    ApiError::new(ErrorCode::Conflict)
        .with_message(message)
        .with_details(json!({ "reason": reason }))
}

pub async fn check_in<S>(store: &S, input: CheckinInput<'_>) -> ApiResult<CheckinOutcome>
where
    S: Bookings + Applications + Applicants + Catalog + Audit,
{
    let no = BookingNo::parse(input.booking_no).map_err(|e| e.at("booking_no"))?;
    let claims = match input.qr_payload.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(
            qr::verify(input.qr_public_key, p, input.qr_signatures)
                .await
                .map_err(|e| e.with_details(json!({ "field": "qr_payload" })))?,
        ),
        None => None,
    };
    let mismatch = || ApiError::invalid("qr_payload", t!("checkin.qr_mismatch"));
    if claims.as_ref().is_some_and(|c| c.booking_no != no) {
        return Err(mismatch());
    }
    let booking = store.booking(&no).await?.ok_or_else(ApiError::not_found)?;
    input.who.require_office(&booking.office_id)?;
    if let Some(c) = &claims {
        let expected = QrClaims {
            booking_no: booking.booking_no.clone(),
            office_id: booking.office_id.clone(),
            date: booking.date,
            period_id: booking.period_id.clone(),
        };
        if c != &expected {
            return Err(mismatch());
        }
    }

    if booking.status == BookingStatus::CheckedIn {
        if let Some(existing) = store.application_of_booking(&no).await? {
            return answer(store, &booking, &existing, false, input.lang).await;
        }
    }
    let today = input.now.with_timezone(&time::shanghai()).date_naive();
    if booking.date != today {
        return Err(conflict("not_today", t!("checkin.not_today"))
            .with_details(json!({ "reason": "not_today", "date": booking.date.to_string() })));
    }
    match booking.status {
        BookingStatus::Cancelled => return Err(conflict("cancelled", t!("checkin.cancelled"))),
        BookingStatus::NoShow => return Err(conflict("no_show", t!("checkin.no_show"))),
        BookingStatus::Booked | BookingStatus::CheckedIn => {}
    }
    let booking = store
        .check_in(&no, input.now)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if booking.status != BookingStatus::CheckedIn {
        // Cancelled or swept between our read and our write.
        return Err(conflict("status_changed", t!("booking.status_changed")));
    }

    // A retry after the check-in was written but before the application was opened ends here.
    if let Some(existing) = store.application_of_booking(&no).await? {
        return answer(store, &booking, &existing, false, input.lang).await;
    }
    let service = store
        .service(booking.service)
        .await?
        .ok_or_else(ApiError::internal)?;
    let application = Application {
        application_no: ApplicationNo::new(today, input.entropy).ok_or_else(ApiError::internal)?,
        booking_no: no.clone(),
        applicant_id: booking.applicant_id.clone(),
        service: booking.service,
        office_id: booking.office_id.clone(),
        status: ApplicationStatus::Accepted,
        timeline: vec![ApplicationEvent {
            status: ApplicationStatus::Accepted,
            at: input.now,
            note: None,
        }],
        estimated_ready: input
            .calendar
            .add_working_days(today, service.processing_working_days),
        updated_at: input.now,
    };
    let stored = store.open_application(&application).await?;
    let created = stored.application_no == application.application_no;
    if created {
        // The applicant's own trail shows who checked them in. The check-in has happened
        // whether or not this row is written, so a failure here does not undo it.
        let _ = store
            .record(&AuditEntry {
                actor: Actor::Ops(input.who.name.clone()),
                subject: booking.applicant_id.clone(),
                action: "booking.checkin".into(),
                target: Some(no.as_str().to_owned()),
                request_id: input.request_id.to_owned(),
                at: input.now,
            })
            .await;
    }
    answer(store, &booking, &stored, created, input.lang).await
}

async fn answer<S: Applicants>(
    store: &S,
    booking: &Booking,
    application: &Application,
    created: bool,
    lang: crate::i18n::Lang,
) -> ApiResult<CheckinOutcome> {
    let applicant = store.applicant(&booking.applicant_id).await?;
    Ok(CheckinOutcome {
        created,
        body: json!({
            "booking_no": booking.booking_no.as_str(),
            "booking_status": booking.status.as_str(),
            "checked_in_at": booking.checked_in_at.as_ref().map(rfc3339),
            "application": application_view(application, applicant.as_ref(), lang),
        }),
    })
}

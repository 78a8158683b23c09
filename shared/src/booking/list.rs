//! Reading bookings: the caller's own and their principals', newest first, or one by number.
//! Both go through the one authorization rule; a booking of someone else is `404`. A helper's
//! read of a principal's bookings is recorded in the principal's audit trail.

use super::qr::QrSigner;
use super::view::booking_view;
use crate::authz::{acting_for, authorize, record_views};
use crate::domain::BookingNo;
use crate::error::{ApiError, ApiResult};
use crate::rules::Rules;
use crate::store::{Applicants, Audit, Bookings, UserId};
use crate::time::Instant;
use serde_json::Value;

/// Who reads, when, and under which rules: of bookings here, and of waitlist entries.
pub struct Reader<'a> {
    pub caller: &'a UserId,
    pub rules: &'a Rules,
    pub now: Instant,
    pub request_id: &'a str,
    pub lang: crate::i18n::Lang,
}

pub async fn list_bookings<S: Applicants + Bookings + Audit>(
    store: &S,
    r: &Reader<'_>,
    qr: &QrSigner,
    applicant_filter: Option<&str>,
) -> ApiResult<Vec<Value>> {
    let today = r.now.date_naive();
    let people = acting_for(store, r.caller, applicant_filter, r.rules, today).await?;
    let ids: Vec<_> = people.iter().map(|a| a.applicant.id.clone()).collect();
    let bookings = store.bookings_of(&ids).await?;
    record_views(
        store,
        r.caller,
        &people,
        "bookings.view",
        None,
        r.request_id,
        r.now,
    )
    .await?;
    let mut views = Vec::with_capacity(bookings.len());
    for b in &bookings {
        let who = people.iter().find(|p| p.applicant.id == b.applicant_id);
        views.push(booking_view(b, who.map(|p| &p.applicant), qr, r.lang).await?);
    }
    Ok(views)
}

pub async fn read_booking<S: Applicants + Bookings + Audit>(
    store: &S,
    r: &Reader<'_>,
    qr: &QrSigner,
    booking_no: &str,
) -> ApiResult<Value> {
    // A malformed number cannot be anyone's booking.
    let no = BookingNo::parse(booking_no).map_err(|_| ApiError::not_found())?;
    let booking = store.booking(&no).await?.ok_or_else(ApiError::not_found)?;
    let who = authorize(
        store,
        r.caller,
        &booking.applicant_id,
        r.rules,
        r.now.date_naive(),
    )
    .await?;
    record_views(
        store,
        r.caller,
        std::slice::from_ref(&who),
        "bookings.view",
        Some(no.as_str()),
        r.request_id,
        r.now,
    )
    .await?;
    booking_view(&booking, Some(&who.applicant), qr, r.lang).await
}

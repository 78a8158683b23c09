//! Reading bookings: the caller's own and their principals', newest first, or one by number.
//! Both go through the one authorization rule; a booking of someone else is `404`.

use super::qr::QrSigner;
use super::request::parse_applicant_id;
use super::view::booking_view;
use crate::authz::{authorize_applicant, authorized_applicants};
use crate::domain::BookingNo;
use crate::error::{ApiError, ApiResult};
use crate::rules::Rules;
use crate::store::{Applicants, Bookings, UserId};
use crate::time::Instant;
use serde_json::Value;

pub async fn list_bookings<S: Applicants + Bookings>(
    store: &S,
    caller: &UserId,
    applicant_filter: Option<&str>,
    rules: &Rules,
    now: Instant,
    qr: &QrSigner,
) -> ApiResult<Vec<Value>> {
    let today = now.date_naive();
    let applicants = match applicant_filter {
        Some(raw) => {
            let id = parse_applicant_id("applicant_id", raw)?;
            vec![authorize_applicant(store, caller, &id, rules, today).await?]
        }
        None => authorized_applicants(store, caller, rules, today).await?,
    };
    let ids: Vec<_> = applicants.iter().map(|a| a.id.clone()).collect();
    let bookings = store.bookings_of(&ids).await?;
    Ok(bookings
        .iter()
        .map(|b| booking_view(b, applicants.iter().find(|a| a.id == b.applicant_id), qr))
        .collect())
}

pub async fn read_booking<S: Applicants + Bookings>(
    store: &S,
    caller: &UserId,
    booking_no: &str,
    rules: &Rules,
    now: Instant,
    qr: &QrSigner,
) -> ApiResult<Value> {
    // A malformed number cannot be anyone's booking.
    let no = BookingNo::parse(booking_no).map_err(|_| ApiError::not_found())?;
    let booking = store.booking(&no).await?.ok_or_else(ApiError::not_found)?;
    let applicant = authorize_applicant(
        store,
        caller,
        &booking.applicant_id,
        rules,
        now.date_naive(),
    )
    .await?;
    Ok(booking_view(&booking, Some(&applicant), qr))
}

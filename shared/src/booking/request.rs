//! The booking request as a client sends it, and its validation into typed values. Every
//! field is checked here, once, with a field-specific `400`.

use crate::domain::{BookingNo, OfficeId, PeriodId, Phone, ServiceId};
use crate::error::{ApiError, ApiResult};
use crate::store::{ApplicantId, Booking, BookingStatus, Pickup, UserId};
use crate::t;
use crate::time::{parse_date, Instant};
use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Deserialize)]
pub struct PickupRequest {
    pub method: String,
    #[serde(default)]
    pub address: Option<String>,
}

/// `POST /v1/bookings` as sent. Strings stay strings until [`BookRequest::validate`], so each
/// bad field gets its own error instead of a generic parse failure.
#[derive(Debug, Clone, Deserialize)]
pub struct BookRequest {
    pub applicant_id: String,
    pub service: String,
    pub office_id: String,
    pub date: String,
    pub period_id: String,
    pub phone: String,
    pub pickup: PickupRequest,
    #[serde(default)]
    pub photo_receipt_no: Option<String>,
    #[serde(default)]
    pub agree_terms: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidBooking {
    pub applicant_id: ApplicantId,
    pub service: ServiceId,
    pub office_id: OfficeId,
    pub date: NaiveDate,
    pub period_id: PeriodId,
    pub phone: Phone,
    pub pickup: Pickup,
    pub photo_receipt_no: Option<String>,
}

pub const MAX_ADDRESS_CHARS: usize = 200;

/// `Idempotency-Key`: required on every submit so a retry can be recognised.
pub fn parse_idempotency_key(key: Option<&str>) -> ApiResult<String> {
    let key = key.map(str::trim).unwrap_or("");
    if key.is_empty() {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            t!("booking.idempotency_key_missing"),
        ));
    }
    let ok = (8..=128).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| key.to_owned())
        .ok_or_else(|| ApiError::invalid("Idempotency-Key", t!("booking.bad_idempotency_key")))
}

fn parse_pickup(p: &PickupRequest) -> ApiResult<Pickup> {
    match p.method.as_str() {
        "collect" => Ok(Pickup::Collect),
        "mail" => {
            let address = p.address.as_deref().map(str::trim).unwrap_or("");
            let chars = address.chars().count();
            if chars < 5 {
                return Err(ApiError::invalid(
                    "pickup.address",
                    t!("booking.address_required"),
                ));
            }
            if chars > MAX_ADDRESS_CHARS || address.chars().any(char::is_control) {
                return Err(ApiError::invalid(
                    "pickup.address",
                    t!("booking.bad_address"),
                ));
            }
            Ok(Pickup::Mail {
                address: address.to_owned(),
            })
        }
        _ => Err(ApiError::invalid(
            "pickup.method",
            t!("booking.bad_pickup_method"),
        )),
    }
}

fn parse_photo_receipt(s: Option<&str>) -> ApiResult<Option<String>> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(r) if (6..=32).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            Ok(Some(r.to_ascii_uppercase()))
        }
        Some(_) => Err(ApiError::invalid(
            "photo_receipt_no",
            t!("booking.bad_photo_receipt_no"),
        )),
    }
}

impl BookRequest {
    pub fn validate(&self) -> ApiResult<ValidBooking> {
        if !self.agree_terms {
            return Err(ApiError::invalid(
                "agree_terms",
                t!("booking.terms_required"),
            ));
        }
        Ok(ValidBooking {
            applicant_id: ApplicantId::parse(&self.applicant_id)
                .map_err(|e| e.at("applicant_id"))?,
            service: ServiceId::parse(&self.service).map_err(|e| e.at("service"))?,
            office_id: OfficeId::parse(&self.office_id).map_err(|e| e.at("office_id"))?,
            date: parse_date("date", &self.date)?,
            period_id: PeriodId::parse(&self.period_id).map_err(|e| e.at("period_id"))?,
            phone: Phone::parse(&self.phone).map_err(|e| e.at("phone"))?,
            pickup: parse_pickup(&self.pickup)?,
            photo_receipt_no: parse_photo_receipt(self.photo_receipt_no.as_deref())?,
        })
    }
}

impl ValidBooking {
    /// The booking the request makes, `booked` at `at` under `booking_no`, in its period of
    /// `start`–`end`: a submit's, or a waitlist entry's when it is served.
    pub fn booking(
        &self,
        booking_no: BookingNo,
        booked_by: &UserId,
        (start, end): (NaiveTime, NaiveTime),
        at: Instant,
    ) -> Booking {
        Booking {
            booking_no,
            applicant_id: self.applicant_id.clone(),
            booked_by: booked_by.clone(),
            service: self.service,
            office_id: self.office_id.clone(),
            date: self.date,
            period_id: self.period_id.clone(),
            start,
            end,
            phone: self.phone.clone(),
            pickup: self.pickup.clone(),
            photo_receipt_no: self.photo_receipt_no.clone(),
            status: BookingStatus::Booked,
            created_at: at,
            cancelled_at: None,
            cancelled_by: None,
            cancel_reason: None,
            checked_in_at: None,
        }
    }

    /// SHA-256 over the normalised request: two submits that mean the same booking have the
    /// same fingerprint however the client spelled them (`+86` phone, lowercase receipt, …).
    pub fn fingerprint(&self) -> String {
        let canonical = serde_json::json!([
            self.applicant_id.as_str(),
            self.service.as_str(),
            self.office_id.as_str(),
            self.date.to_string(),
            self.period_id.as_str(),
            self.phone.as_str(),
            self.pickup,
            self.photo_receipt_no,
        ]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    pub fn request() -> BookRequest {
        BookRequest {
            applicant_id: "a_self".into(),
            service: "passport".into(),
            office_id: "sz-futian".into(),
            date: "2026-11-25".into(),
            period_id: "am-1".into(),
            phone: "13812345678".into(),
            pickup: PickupRequest {
                method: "collect".into(),
                address: None,
            },
            photo_receipt_no: None,
            agree_terms: true,
        }
    }

    fn field(err: ApiError) -> String {
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        err.details.unwrap()["field"].as_str().unwrap().to_owned()
    }

    #[test]
    fn a_good_request_validates() {
        let v = request().validate().unwrap();
        assert_eq!(v.service, ServiceId::Passport);
        assert_eq!(v.pickup, Pickup::Collect);
    }

    type Mutation = fn(&mut BookRequest);

    #[test]
    fn each_bad_field_is_named() {
        let cases: Vec<(Mutation, &str)> = vec![
            (|r| r.agree_terms = false, "agree_terms"),
            (|r| r.applicant_id = "x".into(), "applicant_id"),
            (|r| r.service = "driving_licence".into(), "service"),
            (|r| r.office_id = "SZ FUTIAN".into(), "office_id"),
            (|r| r.date = "2026-13-01".into(), "date"),
            (|r| r.period_id = "".into(), "period_id"),
            (|r| r.phone = "12345".into(), "phone"),
            (|r| r.pickup.method = "drone".into(), "pickup.method"),
            (|r| r.pickup.method = "mail".into(), "pickup.address"),
            (
                |r| r.photo_receipt_no = Some("no!".into()),
                "photo_receipt_no",
            ),
        ];
        for (mutate, expected) in cases {
            let mut r = request();
            mutate(&mut r);
            assert_eq!(field(r.validate().unwrap_err()), expected);
        }
    }

    #[test]
    fn fingerprint_ignores_spelling_but_not_meaning() {
        let a = request().validate().unwrap();
        let mut spelled = request();
        spelled.phone = "+86 138-1234-5678".into();
        assert_eq!(a.fingerprint(), spelled.validate().unwrap().fingerprint());
        let mut other = request();
        other.period_id = "am-2".into();
        assert_ne!(a.fingerprint(), other.validate().unwrap().fingerprint());
    }

    #[test]
    fn idempotency_keys() {
        assert!(parse_idempotency_key(Some("6f1c2a9e-key")).is_ok());
        for bad in [
            None,
            Some(""),
            Some("short"),
            Some("has space in it"),
            Some(&"x".repeat(129)[..]),
        ] {
            assert_eq!(
                parse_idempotency_key(bad).unwrap_err().code,
                ErrorCode::InvalidArgument
            );
        }
    }
}

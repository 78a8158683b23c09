//! `POST /v1/waitlist` as sent, and its validation: the fields of a submit (checked by the
//! submit's own validation, [`BookRequest::validate`]) with the periods it waits for.

use crate::booking::request::{BookRequest, PickupRequest, ValidBooking};
use crate::domain::PeriodId;
use crate::error::{ApiError, ApiResult};
use crate::t;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// At most this many periods per entry: a day has a handful.
pub const MAX_PERIODS: usize = 12;

#[derive(Debug, Clone, Deserialize)]
pub struct WaitlistRequest {
    pub applicant_id: String,
    pub service: String,
    pub office_id: String,
    pub date: String,
    pub period_ids: Vec<String>,
    pub phone: String,
    pub pickup: PickupRequest,
    #[serde(default)]
    pub photo_receipt_no: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidWaitlist {
    /// The booking it becomes, its period the first named (the one served replaces it).
    pub booking: ValidBooking,
    pub periods: Vec<PeriodId>,
}

impl WaitlistRequest {
    pub fn validate(&self) -> ApiResult<ValidWaitlist> {
        let bad = || ApiError::invalid("period_ids", t!("waitlist.bad_periods"));
        if self.period_ids.is_empty() || self.period_ids.len() > MAX_PERIODS {
            return Err(bad());
        }
        let mut periods = Vec::with_capacity(self.period_ids.len());
        for raw in &self.period_ids {
            let p = PeriodId::parse(raw).map_err(|e| e.at("period_ids"))?;
            if periods.contains(&p) {
                return Err(bad());
            }
            periods.push(p);
        }
        let booking = BookRequest {
            applicant_id: self.applicant_id.clone(),
            service: self.service.clone(),
            office_id: self.office_id.clone(),
            date: self.date.clone(),
            period_id: periods[0].as_str().to_owned(),
            phone: self.phone.clone(),
            pickup: self.pickup.clone(),
            photo_receipt_no: self.photo_receipt_no.clone(),
            // Agreeing to the terms is the submit's; an entry served is booked under them.
            agree_terms: true,
        }
        .validate()?;
        Ok(ValidWaitlist { booking, periods })
    }
}

impl ValidWaitlist {
    /// Of the normalised request: the submit's fingerprint and the periods, in the order given
    /// (the order says nothing, but a client that reorders them sends another request).
    pub fn fingerprint(&self) -> String {
        let periods: Vec<&str> = self.periods.iter().map(PeriodId::as_str).collect();
        let canonical = serde_json::json!([self.booking.fingerprint(), periods]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    pub fn request() -> WaitlistRequest {
        WaitlistRequest {
            applicant_id: "a_self".into(),
            service: "passport".into(),
            office_id: "sz-futian".into(),
            date: "2026-11-25".into(),
            period_ids: vec!["am-1".into(), "pm-1".into()],
            phone: "13812345678".into(),
            pickup: PickupRequest {
                method: "collect".into(),
                address: None,
            },
            photo_receipt_no: None,
        }
    }

    #[test]
    fn periods_are_checked_and_the_rest_as_a_submit() {
        assert_eq!(request().validate().unwrap().periods.len(), 2);
        for ids in [vec![], vec!["am-1", "am-1"], vec!["AM 1"], vec!["p"; 13]] {
            let mut r = request();
            r.period_ids = ids.into_iter().map(str::to_owned).collect();
            let e = r.validate().unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidArgument);
            assert_eq!(e.details.unwrap()["field"], "period_ids");
        }
        let mut r = request();
        r.phone = "123".into();
        assert_eq!(r.validate().unwrap_err().details.unwrap()["field"], "phone");
    }

    #[test]
    fn fingerprint_follows_meaning() {
        let a = request().validate().unwrap().fingerprint();
        let mut spelled = request();
        spelled.phone = "+86 138 1234 5678".into();
        assert_eq!(a, spelled.validate().unwrap().fingerprint());
        let mut other = request();
        other.period_ids.pop();
        assert_ne!(a, other.validate().unwrap().fingerprint());
    }
}

//! The QR code shown at the hall. Halls verify it offline with the public key alone: it is
//! signed (Ed25519), names the booking but no person, and cannot be forged without the key.
//! `YY1.<booking_no>.<office_id>.<yyyymmdd>.<period_id>.<signature, base64url>`

use crate::domain::{BookingNo, OfficeId, PeriodId};
use crate::error::{ApiError, ApiResult, ErrorCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDate;
use ed25519_compact::{KeyPair, PublicKey, Seed, Signature};

const PREFIX: &str = "YY1";

#[derive(Debug, Clone, PartialEq)]
pub struct QrClaims {
    pub booking_no: BookingNo,
    pub office_id: OfficeId,
    pub date: NaiveDate,
    pub period_id: PeriodId,
}

fn body(c: &QrClaims) -> String {
    format!(
        "{PREFIX}.{}.{}.{}.{}",
        c.booking_no.as_str(),
        c.office_id.as_str(),
        c.date.format("%Y%m%d"),
        c.period_id.as_str()
    )
}

pub struct QrSigner {
    keys: KeyPair,
}

impl QrSigner {
    /// From the 32-byte seed in configuration.
    pub fn from_seed(seed: &[u8]) -> ApiResult<Self> {
        let seed = Seed::from_slice(seed).map_err(|_| ApiError::internal())?;
        Ok(QrSigner {
            keys: KeyPair::from_seed(seed),
        })
    }

    pub fn public_key(&self) -> [u8; 32] {
        *self.keys.pk
    }

    pub fn sign(&self, claims: &QrClaims) -> String {
        let body = body(claims);
        let sig = self.keys.sk.sign(body.as_bytes(), None);
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }
}

/// Checks a scanned payload against the public key and returns what it names.
pub fn verify(public_key: &[u8], payload: &str) -> ApiResult<QrClaims> {
    let bad = || ApiError::new(ErrorCode::InvalidArgument).with_message("二维码无效或已被篡改");
    let pk = PublicKey::from_slice(public_key).map_err(|_| ApiError::internal())?;
    let (body, sig) = payload.rsplit_once('.').ok_or_else(bad)?;
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| bad())?;
    let sig = Signature::from_slice(&sig).map_err(|_| bad())?;
    pk.verify(body.as_bytes(), &sig).map_err(|_| bad())?;
    let parts: Vec<&str> = body.split('.').collect();
    let [PREFIX, no, office, date, period] = parts[..] else {
        return Err(bad());
    };
    Ok(QrClaims {
        booking_no: BookingNo::parse(no).map_err(|_| bad())?,
        office_id: OfficeId::parse(office).map_err(|_| bad())?,
        date: NaiveDate::parse_from_str(date, "%Y%m%d").map_err(|_| bad())?,
        period_id: PeriodId::parse(period).map_err(|_| bad())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> QrClaims {
        QrClaims {
            booking_no: BookingNo::from_entropy([1, 2, 3, 4, 5, 6, 7]),
            office_id: OfficeId::parse("sz-futian").unwrap(),
            date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            period_id: PeriodId::parse("am-1").unwrap(),
        }
    }

    #[test]
    fn signed_payload_verifies_and_names_the_booking_only() {
        let s = QrSigner::from_seed(&[7u8; 32]).unwrap();
        let payload = s.sign(&claims());
        assert!(payload.starts_with("YY1."));
        assert_eq!(verify(&s.public_key(), &payload).unwrap(), claims());
    }

    #[test]
    fn tampering_or_another_key_is_refused() {
        let s = QrSigner::from_seed(&[7u8; 32]).unwrap();
        let payload = s.sign(&claims());
        let tampered = payload.replacen("am-1", "am-2", 1);
        assert!(verify(&s.public_key(), &tampered).is_err());
        let other = QrSigner::from_seed(&[8u8; 32]).unwrap();
        assert!(verify(&other.public_key(), &payload).is_err());
        assert!(verify(&s.public_key(), "YY1.garbage").is_err());
    }
}

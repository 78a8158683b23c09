//! The QR code shown at the office. Offices verify it offline with the public key alone: it is
//! signed (Ed25519), names the booking but no person, and cannot be forged without the key.
//! `YY1.<booking_no>.<office_id>.<yyyymmdd>.<period_id>.<signature, base64url>`

use crate::auth::Ed25519Verifying;
use crate::domain::{BookingNo, OfficeId, PeriodId};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::t;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDate;
use ed25519_compact::{KeyPair, Seed};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

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
        crate::time::compact_date(c.date),
        c.period_id.as_str()
    )
}

/// A signature being made elsewhere (the runtime's WebCrypto in the Workers adapter).
pub type SignatureFuture<'a> = Pin<Box<dyn Future<Output = ApiResult<[u8; 64]>> + 'a>>;

/// Ed25519 signing outside this crate, with the same key as the [`QrSigner`] it is attached
/// to. Ed25519 signatures are deterministic (RFC 8032), so any correct implementation gives
/// the very bytes [`QrSigner`] would: signing in Rust compiled to wasm costs about a
/// millisecond and a half of CPU (128-bit multiplies done in software), the runtime's native
/// code a small fraction of that.
pub trait Ed25519Signing {
    fn sign<'a>(&'a self, message: &'a [u8]) -> SignatureFuture<'a>;
}

/// Signs in Rust (native tests, and a build without a runtime signer).
struct InRust(KeyPair);

impl Ed25519Signing for InRust {
    fn sign<'a>(&'a self, message: &'a [u8]) -> SignatureFuture<'a> {
        let signature = *self.0.sk.sign(message, None);
        Box::pin(std::future::ready(Ok(signature)))
    }
}

/// The QR key: its public half (what offices verify with) and where its signatures are made.
pub struct QrSigner {
    public_key: [u8; 32],
    signing: Rc<dyn Ed25519Signing>,
}

impl QrSigner {
    /// From the 32-byte seed in configuration, signing in Rust.
    pub fn from_seed(seed: &[u8]) -> ApiResult<Self> {
        let seed = Seed::from_slice(seed).map_err(|_| ApiError::internal())?;
        let keys = KeyPair::from_seed(seed);
        Ok(QrSigner {
            public_key: *keys.pk,
            signing: Rc::new(InRust(keys)),
        })
    }

    /// A key whose public half the caller derived and whose signatures `signing` makes (the
    /// runtime's WebCrypto in the Workers adapter: then no Ed25519 code of this crate's is
    /// linked into a function that only signs).
    pub fn new(public_key: [u8; 32], signing: Rc<dyn Ed25519Signing>) -> Self {
        QrSigner {
            public_key,
            signing,
        }
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.public_key
    }

    pub async fn sign(&self, claims: &QrClaims) -> ApiResult<String> {
        let body = body(claims);
        let sig = self.signing.sign(body.as_bytes()).await?;
        Ok(format!("{body}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

/// Checks a scanned payload against the public key and returns what it names. The signature
/// is checked by `signatures` (the runtime's WebCrypto in a Worker, so ops links no Ed25519
/// arithmetic of its own).
pub async fn verify(
    public_key: &[u8; 32],
    payload: &str,
    signatures: &dyn Ed25519Verifying,
) -> ApiResult<QrClaims> {
    let bad = || ApiError::new(ErrorCode::InvalidArgument).with_message(t!("booking.bad_qr"));
    let (body, sig) = payload.rsplit_once('.').ok_or_else(bad)?;
    let sig: [u8; 64] = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| bad())?
        .try_into()
        .map_err(|_| bad())?;
    if !signatures.verify(public_key, body.as_bytes(), &sig).await? {
        return Err(bad());
    }
    let parts: Vec<&str> = body.split('.').collect();
    let [PREFIX, no, office, date, period] = parts[..] else {
        return Err(bad());
    };
    Ok(QrClaims {
        booking_no: BookingNo::parse(no).map_err(|_| bad())?,
        office_id: OfficeId::parse(office).map_err(|_| bad())?,
        date: crate::time::compact_date_from(date).ok_or_else(bad)?,
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

    fn sign(s: &QrSigner, c: &QrClaims) -> String {
        crate::fake::block_on(s.sign(c)).unwrap()
    }

    fn verify(public_key: &[u8; 32], payload: &str) -> ApiResult<QrClaims> {
        crate::fake::block_on(super::verify(public_key, payload, &crate::auth::InRust))
    }

    #[test]
    fn signed_payload_verifies_and_names_the_booking_only() {
        let s = QrSigner::from_seed(&[7u8; 32]).unwrap();
        let payload = sign(&s, &claims());
        assert!(payload.starts_with("YY1."));
        assert_eq!(verify(&s.public_key(), &payload).unwrap(), claims());
    }

    #[test]
    fn tampering_or_another_key_is_refused() {
        let s = QrSigner::from_seed(&[7u8; 32]).unwrap();
        let payload = sign(&s, &claims());
        let tampered = payload.replacen("am-1", "am-2", 1);
        assert!(verify(&s.public_key(), &tampered).is_err());
        let other = QrSigner::from_seed(&[8u8; 32]).unwrap();
        assert!(verify(&other.public_key(), &payload).is_err());
        assert!(verify(&s.public_key(), "YY1.garbage").is_err());
    }

    /// Stands in for WebCrypto: signs with its own key pair, counting the calls.
    struct Elsewhere {
        keys: KeyPair,
        calls: std::cell::Cell<u32>,
        fail: bool,
    }

    impl Ed25519Signing for Elsewhere {
        fn sign<'a>(&'a self, message: &'a [u8]) -> SignatureFuture<'a> {
            self.calls.set(self.calls.get() + 1);
            let answer = if self.fail {
                Err(ApiError::internal())
            } else {
                Ok(*self.keys.sk.sign(message, None))
            };
            Box::pin(async move { answer })
        }
    }

    fn elsewhere(seed: u8, fail: bool) -> Rc<Elsewhere> {
        Rc::new(Elsewhere {
            keys: KeyPair::from_seed(Seed::new([seed; 32])),
            calls: std::cell::Cell::new(0),
            fail,
        })
    }

    #[test]
    fn an_external_signer_is_used_and_gives_the_same_payload() {
        let local = QrSigner::from_seed(&[7u8; 32]).unwrap();
        let external = elsewhere(7, false);
        let s = QrSigner::new(local.public_key(), external.clone());
        assert_eq!(sign(&s, &claims()), sign(&local, &claims()));
        assert_eq!(external.calls.get(), 1);
    }

    #[test]
    fn an_external_signer_that_fails_fails_the_signature() {
        let local = QrSigner::from_seed(&[7u8; 32]).unwrap();
        let s = QrSigner::new(local.public_key(), elsewhere(7, true));
        let err = crate::fake::block_on(s.sign(&claims())).unwrap_err();
        assert_eq!(err.code, ErrorCode::Internal);
    }
}

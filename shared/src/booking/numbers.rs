//! The booking number of a submit is derived from who submitted it and under which
//! `Idempotency-Key` (a keyed hash, so it stays unguessable). Retries and double taps of one
//! submit therefore carry the same number into the inventory object, which treats a second hold
//! under a number it already holds as the same hold: duplicates cannot take two slots even when
//! they race each other.

use crate::domain::BookingNo;
use crate::store::UserId;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub fn derive_booking_no(secret: &[u8], user: &UserId, idempotency_key: &str) -> BookingNo {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"yuyue/booking-no/v1\n");
    mac.update(user.as_str().as_bytes());
    mac.update(b"\n");
    mac.update(idempotency_key.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut entropy = [0u8; 7];
    entropy.copy_from_slice(&digest[..7]);
    BookingNo::from_entropy(entropy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_submit_same_number_and_anything_else_differs() {
        let u = UserId::parse("u_1").unwrap();
        let a = derive_booking_no(b"k", &u, "key-000001");
        assert_eq!(a, derive_booking_no(b"k", &u, "key-000001"));
        assert_ne!(a, derive_booking_no(b"k", &u, "key-000002"));
        assert_ne!(
            a,
            derive_booking_no(b"k", &UserId::parse("u_2").unwrap(), "key-000001")
        );
        assert_ne!(a, derive_booking_no(b"other-secret", &u, "key-000001"));
        assert!(BookingNo::parse(a.as_str()).is_ok());
    }
}

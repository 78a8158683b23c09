//! The booking number of a submit is derived from who submitted it and under which
//! `Idempotency-Key` (a keyed hash, so it stays unguessable). Retries and double taps of one
//! submit therefore carry the same number into the inventory object, which treats a second hold
//! under a number it already holds as the same hold: duplicates cannot take two slots even when
//! they race each other.

use crate::domain::{BookingNo, WaitlistId};
use crate::store::UserId;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub fn derive_booking_no(secret: &[u8], user: &UserId, idempotency_key: &str) -> BookingNo {
    let digest = keyed(secret, b"yuyue/booking-no/v1\n", user, idempotency_key);
    let mut entropy = [0u8; 7];
    entropy.copy_from_slice(&digest[..7]);
    BookingNo::from_entropy(entropy)
}

/// A waitlist entry's id and the number its booking gets, from who joined and under which key:
/// a retry joins the same entry, and its booking can never share a submit's number.
pub fn derive_entry_numbers(
    secret: &[u8],
    user: &UserId,
    idempotency_key: &str,
) -> (WaitlistId, BookingNo) {
    let digest = keyed(secret, b"yuyue/waitlist/v1\n", user, idempotency_key);
    let id = WaitlistId::parse(&format!("w_{}", hex::encode(&digest[..16])))
        .expect("w_ and 32 hex digits is an id");
    let mut entropy = [0u8; 7];
    entropy.copy_from_slice(&digest[16..23]);
    (id, BookingNo::from_entropy(entropy))
}

fn keyed(secret: &[u8], domain: &[u8], user: &UserId, key: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(domain);
    mac.update(user.as_str().as_bytes());
    mac.update(b"\n");
    mac.update(key.as_bytes());
    mac.finalize().into_bytes().into()
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

    #[test]
    fn an_entry_has_its_own_numbers_never_a_submits() {
        let u = UserId::parse("u_1").unwrap();
        let (id, no) = derive_entry_numbers(b"k", &u, "key-000001");
        assert_eq!(
            (id.clone(), no.clone()),
            derive_entry_numbers(b"k", &u, "key-000001")
        );
        assert_ne!(no, derive_booking_no(b"k", &u, "key-000001"));
        assert_ne!(id, derive_entry_numbers(b"k", &u, "key-000002").0);
    }
}

//! Refresh tokens: opaque, long-lived, single-use. Only a SHA-256 of each is stored. The token
//! carries 256 random bits, so the hash cannot be reversed or guessed and needs no key: a
//! database dump yields nothing that logs anyone in.

use crate::entropy::Entropy;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Recognizable in logs and by secret scanners.
const PREFIX: &str = "yrt_";

/// How long a login lasts without the user opening the mini-program.
pub const REFRESH_TTL_DAYS: i64 = 30;

/// A new refresh token: the prefix and 32 random bytes, base64url.
pub fn new_refresh_token(entropy: &mut Entropy) -> String {
    format!("{PREFIX}{}", B64URL.encode(entropy.bytes::<32>()))
}

/// What is stored and looked up for `token`.
pub fn refresh_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` could be one of ours; anything else is refused without a lookup.
pub fn is_well_formed(token: &str) -> bool {
    token
        .strip_prefix(PREFIX)
        .is_some_and(|rest| rest.len() == 43 && B64URL.decode(rest).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_random_and_well_formed() {
        let mut e = Entropy::from_seed([3; 32]);
        let a = new_refresh_token(&mut e);
        let b = new_refresh_token(&mut e);
        assert_ne!(a, b);
        assert!(a.starts_with("yrt_"));
        assert!(is_well_formed(&a) && is_well_formed(&b));
        for bad in [
            "",
            "yrt_",
            "yrt_short",
            &a[1..],
            &format!("{a}x"),
            &a.replace("yrt_", "xrt_"),
        ] {
            assert!(!is_well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn the_hash_is_sha256_hex_and_does_not_contain_the_token() {
        assert_eq!(
            refresh_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let mut e = Entropy::from_seed([4; 32]);
        let t = new_refresh_token(&mut e);
        let h = refresh_hash(&t);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&t[4..]));
        assert_ne!(refresh_hash(&new_refresh_token(&mut e)), h);
    }
}

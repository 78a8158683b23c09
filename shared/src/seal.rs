//! Personal data sealed at rest: AES-256-GCM with a fresh nonce per value, bound to where the
//! value lives (its table, column and row) as associated data, so a sealed value copied onto
//! another row or column does not open. Keys carry a version, written in front of every sealed
//! value (`v1.…`), so a key can be rotated: the new one seals, the old ones still open what they
//! sealed until it is sealed again.

use crate::entropy::Entropy;
use crate::error::{ApiError, ApiResult, KeyError};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

const NONCE_LEN: usize = 12;
const MAX_KEYS: usize = 8;

struct Key {
    version: u16,
    bytes: [u8; 32],
    cipher: Aes256Gcm,
}

/// The sealing keys: the first seals, every one opens what carries its version.
pub struct SealKeys {
    keys: Vec<Key>,
}

impl SealKeys {
    /// `spec` is the current key, then the retired ones still needed to open older values,
    /// comma-separated, each `v<N>:<32 bytes in base64>`; a lone key without a version is `v1`
    /// (the form every deployment started with). `name` is the setting, for the error.
    pub fn parse(spec: &str, name: &'static str) -> Result<Self, KeyError> {
        let bad = || KeyError(name);
        let mut keys: Vec<Key> = Vec::new();
        for part in spec.split(',').map(str::trim) {
            let (version, b64) = match part.split_once(':') {
                Some((v, k)) => {
                    let n = v.strip_prefix('v').and_then(|n| n.parse::<u16>().ok());
                    (n.filter(|n| *n >= 1).ok_or_else(bad)?, k)
                }
                None => (1, part),
            };
            let bytes: [u8; 32] = B64
                .decode(b64.trim())
                .ok()
                .and_then(|k| k.try_into().ok())
                .ok_or_else(bad)?;
            if keys.iter().any(|k| k.version == version) || keys.len() == MAX_KEYS {
                return Err(bad());
            }
            let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| bad())?;
            keys.push(Key {
                version,
                bytes,
                cipher,
            });
        }
        if keys.is_empty() {
            return Err(bad());
        }
        Ok(SealKeys { keys })
    }

    /// The bytes of the key that seals, for the check that no other key is the same.
    pub fn current_bytes(&self) -> &[u8; 32] {
        &self.keys[0].bytes
    }

    /// The version new values are sealed under.
    pub fn current_version(&self) -> u16 {
        self.keys[0].version
    }

    /// `clear` sealed for the place `context` names (say `bookings.phone:<booking_no>`).
    pub fn seal(&self, context: &str, clear: &str, entropy: &mut Entropy) -> ApiResult<String> {
        let key = &self.keys[0];
        let nonce = entropy.bytes::<NONCE_LEN>();
        let ciphertext = key
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: clear.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| ApiError::internal())?;
        let mut raw = nonce.to_vec();
        raw.extend_from_slice(&ciphertext);
        Ok(format!("v{}.{}", key.version, B64.encode(raw)))
    }

    /// The value sealed in `sealed` for `context`. Failure means a retired key no longer given,
    /// a wrong key, or a tampered or moved value: an internal error, never shown in detail.
    pub fn open(&self, context: &str, sealed: &str) -> ApiResult<String> {
        let (version, body) = version_of(sealed).ok_or_else(ApiError::internal)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.version == version)
            .ok_or_else(ApiError::internal)?;
        let raw = B64
            .decode(body)
            .ok()
            .filter(|r| r.len() > NONCE_LEN)
            .ok_or_else(ApiError::internal)?;
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| ApiError::internal())?;
        let clear = key
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| ApiError::internal())?;
        String::from_utf8(clear).map_err(|_| ApiError::internal())
    }
}

/// The key version a sealed value names, and the rest of it.
fn version_of(sealed: &str) -> Option<(u16, &str)> {
    let (v, body) = sealed.strip_prefix('v')?.split_once('.')?;
    Some((v.parse().ok()?, body))
}

/// Whether `stored` has the form of a sealed value (rows written before sealing hold clear text,
/// which never has it: no phone, name or address starts `v<digits>.`).
pub fn is_sealed(stored: &str) -> bool {
    version_of(stored).is_some()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const KEY_1: &str = "o8A6dc/P4bD/e5d3oTXg1qoRYmeDXTzYUHpf9duXSoY=";
    const KEY_2: &str = "3q2+7w8A6dc/P4bD/e5d3oTXg1qoRYmeDXTzYUHpf9c=";

    fn entropy() -> Entropy {
        Entropy::from_seed([7; 32])
    }

    #[test]
    fn a_lone_key_is_version_one_and_round_trips() {
        let k = SealKeys::parse(KEY_1, "K").unwrap();
        let sealed = k.seal("t.c:1", "13812345678", &mut entropy()).unwrap();
        assert!(sealed.starts_with("v1."), "{sealed}");
        assert!(!sealed.contains("13812345678"));
        assert!(is_sealed(&sealed));
        assert_eq!(k.open("t.c:1", &sealed).unwrap(), "13812345678");
    }

    #[test]
    fn a_value_does_not_open_in_another_place_or_altered() {
        let k = SealKeys::parse(KEY_1, "K").unwrap();
        let sealed = k
            .seal("bookings.phone:A", "13812345678", &mut entropy())
            .unwrap();
        assert!(k.open("bookings.phone:B", &sealed).is_err());
        assert!(k.open("user_phones.phone:A", &sealed).is_err());
        let mut raw = B64.decode(&sealed[3..]).unwrap();
        raw[NONCE_LEN] ^= 1;
        assert!(k
            .open("bookings.phone:A", &format!("v1.{}", B64.encode(raw)))
            .is_err());
    }

    #[test]
    fn rotation_seals_with_the_new_key_and_opens_with_the_old() {
        let old = SealKeys::parse(KEY_1, "K").unwrap();
        let before = old.seal("x", "欧阳娜娜", &mut entropy()).unwrap();
        let rotated = SealKeys::parse(&format!("v2:{KEY_2}, v1:{KEY_1}"), "K").unwrap();
        assert_eq!(rotated.current_version(), 2);
        assert_eq!(rotated.open("x", &before).unwrap(), "欧阳娜娜");
        let after = rotated.seal("x", "欧阳娜娜", &mut entropy()).unwrap();
        assert!(after.starts_with("v2."));
        assert!(
            old.open("x", &after).is_err(),
            "the old key cannot open the new"
        );
        // Once the old key is retired for good, what it sealed no longer opens.
        let only_new = SealKeys::parse(&format!("v2:{KEY_2}"), "K").unwrap();
        assert!(only_new.open("x", &before).is_err());
    }

    #[test]
    fn malformed_specs_are_refused_by_the_setting_name() {
        for spec in [
            "",
            "not base64!",
            "dG9vIHNob3J0",
            &format!("v0:{KEY_1}"),
            &format!("vx:{KEY_1}"),
            &format!("v1:{KEY_1},v1:{KEY_2}"),
            &format!("{KEY_1},"),
        ] {
            assert_eq!(
                SealKeys::parse(spec, "ID_SEAL_KEY").err(),
                Some(KeyError("ID_SEAL_KEY")),
                "{spec}"
            );
        }
    }

    #[test]
    fn clear_values_are_not_taken_for_sealed_ones() {
        for clear in [
            "13812345678",
            "张三",
            "v",
            "v1",
            "vip.",
            "SMITH JOHN",
            "广州市v2.路",
        ] {
            assert!(!is_sealed(clear), "{clear}");
        }
    }
}

//! Signed webhooks from the processing system: `X-Timestamp` (unix seconds) and `X-Signature`,
//! the hex HMAC-SHA256 under the shared secret of `timestamp + "." + raw body`. Signing the
//! timestamp with the body, and refusing timestamps far from now, means a captured request
//! cannot be replayed later; within the window a replay repeats an event the state machine
//! has already applied, which changes nothing.

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::t;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far the sender's clock may be from ours, either way.
pub const WINDOW_SECONDS: i64 = 300;

fn refuse(reason: &str, message: crate::i18n::Text) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated)
        .with_message(message)
        .with_details(serde_json::json!({ "reason": reason }))
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature a sender computes (for tests, and the documentation's example).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// Checks a request's signature headers against its raw body at `now_unix` (seconds, from the
/// system clock: this is a security property, so the dev clock override does not apply).
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_unix: i64,
) -> ApiResult<()> {
    let (Some(timestamp), Some(signature)) = (
        timestamp.map(str::trim).filter(|t| !t.is_empty()),
        signature.map(str::trim).filter(|s| !s.is_empty()),
    ) else {
        return Err(refuse("signature_missing", t!("webhook.signature_missing")));
    };
    let ts: i64 = (timestamp.len() <= 12 && timestamp.bytes().all(|b| b.is_ascii_digit()))
        .then(|| timestamp.parse().ok())
        .flatten()
        .ok_or_else(|| refuse("bad_timestamp", t!("webhook.bad_timestamp")))?;
    let presented =
        hex::decode(signature).map_err(|_| refuse("bad_signature", t!("webhook.bad_signature")))?;
    // Compared in constant time by the MAC itself.
    mac(secret, timestamp, body)
        .verify_slice(&presented)
        .map_err(|_| refuse("bad_signature", t!("webhook.bad_signature")))?;
    if (now_unix - ts).abs() > WINDOW_SECONDS {
        return Err(refuse(
            "timestamp_out_of_window",
            t!("webhook.timestamp_out_of_window"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"dev-webhook-secret";
    const NOW: i64 = 1_795_219_200;
    const BODY: &[u8] = br#"{"status":"reviewing"}"#;

    fn reason(r: ApiResult<()>) -> String {
        let e = r.unwrap_err();
        assert_eq!(e.code, ErrorCode::Unauthenticated);
        assert_eq!(e.status(), 401);
        e.details.unwrap()["reason"].as_str().unwrap().to_owned()
    }

    #[test]
    fn a_known_signature() {
        // printf '1795219200.{"status":"reviewing"}' | openssl dgst -sha256 -hmac dev-webhook-secret
        assert_eq!(
            sign(SECRET, "1795219200", BODY),
            "e22dc7ad5dae962148f3b508d139975a16b68aa97ac24fd22b17548c9e0e358b"
        );
    }

    #[test]
    fn a_good_signature_passes_at_the_edges_of_the_window() {
        let ts = NOW.to_string();
        let sig = sign(SECRET, &ts, BODY);
        assert!(verify(SECRET, Some(&ts), Some(&sig), BODY, NOW).is_ok());
        assert!(verify(SECRET, Some(&ts), Some(&sig.to_uppercase()), BODY, NOW).is_ok());
        assert!(verify(SECRET, Some(&ts), Some(&sig), BODY, NOW + WINDOW_SECONDS).is_ok());
        assert!(verify(SECRET, Some(&ts), Some(&sig), BODY, NOW - WINDOW_SECONDS).is_ok());
    }

    #[test]
    fn replays_outside_the_window_are_refused_either_way() {
        let ts = NOW.to_string();
        let sig = sign(SECRET, &ts, BODY);
        assert_eq!(
            reason(verify(
                SECRET,
                Some(&ts),
                Some(&sig),
                BODY,
                NOW + WINDOW_SECONDS + 1
            )),
            "timestamp_out_of_window"
        );
        assert_eq!(
            reason(verify(
                SECRET,
                Some(&ts),
                Some(&sig),
                BODY,
                NOW - WINDOW_SECONDS - 1
            )),
            "timestamp_out_of_window"
        );
    }

    #[test]
    fn missing_malformed_or_wrong_signatures_are_refused() {
        let ts = NOW.to_string();
        let sig = sign(SECRET, &ts, BODY);
        assert_eq!(
            reason(verify(SECRET, None, Some(&sig), BODY, NOW)),
            "signature_missing"
        );
        assert_eq!(
            reason(verify(SECRET, Some(&ts), None, BODY, NOW)),
            "signature_missing"
        );
        assert_eq!(
            reason(verify(SECRET, Some(" "), Some(&sig), BODY, NOW)),
            "signature_missing"
        );
        assert_eq!(
            reason(verify(SECRET, Some("-1"), Some(&sig), BODY, NOW)),
            "bad_timestamp"
        );
        assert_eq!(
            reason(verify(SECRET, Some("17952192e2"), Some(&sig), BODY, NOW)),
            "bad_timestamp"
        );
        assert_eq!(
            reason(verify(SECRET, Some(&ts), Some("zz"), BODY, NOW)),
            "bad_signature"
        );
        assert_eq!(
            reason(verify(SECRET, Some(&ts), Some(&sig[..62]), BODY, NOW)),
            "bad_signature"
        );
        assert_eq!(
            reason(verify(b"another-secret", Some(&ts), Some(&sig), BODY, NOW)),
            "bad_signature"
        );
        // The timestamp is signed: moving it into the window breaks the signature.
        let later = (NOW + 1000).to_string();
        assert_eq!(
            reason(verify(SECRET, Some(&later), Some(&sig), BODY, NOW + 1000)),
            "bad_signature"
        );
        assert_eq!(
            reason(verify(
                SECRET,
                Some(&ts),
                Some(&sig),
                br#"{"status":"ready"}"#,
                NOW
            )),
            "bad_signature"
        );
    }

    proptest! {
        #[test]
        fn any_change_to_the_body_breaks_the_signature(body in proptest::collection::vec(any::<u8>(), 0..64), flip in 0usize..64) {
            let ts = NOW.to_string();
            let sig = sign(SECRET, &ts, &body);
            prop_assert!(verify(SECRET, Some(&ts), Some(&sig), &body, NOW).is_ok());
            if !body.is_empty() {
                let mut changed = body.clone();
                let i = flip % changed.len();
                changed[i] ^= 0x01;
                prop_assert!(verify(SECRET, Some(&ts), Some(&sig), &changed, NOW).is_err());
            }
        }
    }
}

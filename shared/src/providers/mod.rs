//! The identity providers' wire formats: WeChat's server API, the Alipay open-platform gateway
//! and the face-verification service. Requests are built and answers parsed here, so every way
//! a provider can fail is mapped to the contract's codes in one tested place; the Workers adapter
//! only moves the bytes (with a timeout and a bounded retry).
//!
//! A provider answer never becomes a 500: an invalid user code is the client's `4xx`, and
//! anything else (outage, busy, garbage, a bad signature, our own misconfiguration) is
//! `503 UPSTREAM_UNAVAILABLE`, retried once first when another attempt may succeed.

use crate::t;
pub mod alipay;
pub mod alipay_message;
pub mod alipay_phone;
pub mod face;
pub mod wechat;

use crate::error::{ApiError, ErrorCode};
use std::fmt::Write as _;

/// Attempts per provider call: one retry, so a user waits at most about twice the timeout.
pub const ATTEMPTS: u32 = 2;
/// Per attempt. Providers answer in well under a second when healthy.
pub const ATTEMPT_TIMEOUT_MS: u64 = 3_000;
pub const RETRY_BACKOFF_MS: u64 = 200;

/// A provider call that gave no usable answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// What the client is told.
    pub error: ApiError,
    /// Whether another attempt may succeed (busy, timeout, 5xx), as opposed to an answer that
    /// will not change (invalid code, bad signature, misconfiguration).
    pub retry: bool,
    /// For the log line: an error code or a short cause, never a body or personal data.
    pub reason: String,
    /// Our side is misconfigured (wrong app id or key): logged as an error, not a warning.
    pub config: bool,
}

impl Failure {
    /// The provider is down, busy or answered something unusable.
    pub fn unavailable(reason: impl Into<String>, retry: bool) -> Self {
        Failure {
            error: ApiError::new(ErrorCode::UpstreamUnavailable),
            retry,
            reason: reason.into(),
            config: false,
        }
    }

    /// The provider refused our credentials or request shape: nothing the user can fix.
    pub fn misconfigured(reason: impl Into<String>) -> Self {
        Failure {
            config: true,
            ..Failure::unavailable(reason, false)
        }
    }

    /// The user's code or token was refused.
    pub fn rejected(error: ApiError, reason: impl Into<String>) -> Self {
        Failure {
            error,
            retry: false,
            reason: reason.into(),
            config: false,
        }
    }

    pub fn timeout() -> Self {
        Failure::unavailable("timeout", true)
    }

    pub fn network() -> Self {
        Failure::unavailable("network", true)
    }

    /// A non-2xx status from a provider whose errors arrive in the body with 200.
    pub fn http_status(status: u16) -> Self {
        Failure::unavailable(format!("http {status}"), status >= 500 || status == 429)
    }

    pub fn malformed() -> Self {
        Failure::unavailable("malformed", false)
    }
}

/// A request for the adapter to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub method: &'static str,
    pub url: String,
    pub content_type: Option<&'static str>,
    pub authorization: Option<String>,
    pub body: Option<String>,
}

/// Percent-encodes everything but RFC 3986's unreserved characters: right for query strings and
/// `application/x-www-form-urlencoded` bodies alike.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub fn form_encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent_encode(k.as_ref()),
                percent_encode(v.as_ref())
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Base URLs are configuration; a trailing slash must not double up.
pub fn join_url(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// A code a mini-program obtained from `wx.login()`, `my.getAuthCode()` or `getPhoneNumber`:
/// opaque to us, so only its shape is checked before it is sent on.
pub fn parse_client_code(field: &str, code: &str) -> Result<String, ApiError> {
    let ok = (1..=256).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(code.to_owned())
    } else {
        Err(ApiError::invalid(field, t!("login.malformed_code"))
            .with_details(serde_json::json!({ "field": field, "reason": "bad_code" })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(percent_encode("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(percent_encode("a b&c=d+/"), "a%20b%26c%3Dd%2B%2F");
        assert_eq!(percent_encode("张"), "%E5%BC%A0");
        assert_eq!(
            form_encode(&[("k 1", "v&1"), ("k2", "")]),
            "k%201=v%261&k2="
        );
    }

    #[test]
    fn base_urls_join_without_a_double_slash() {
        assert_eq!(
            join_url("http://h/wechat/", "/sns/x"),
            "http://h/wechat/sns/x"
        );
        assert_eq!(
            join_url("http://h/wechat", "/sns/x"),
            "http://h/wechat/sns/x"
        );
    }

    #[test]
    fn client_codes_are_bounded_printable_ascii() {
        assert_eq!(
            parse_client_code("code", "dev-alice~1").unwrap(),
            "dev-alice~1"
        );
        for bad in ["", "has space", "tab\t", "中文", &"x".repeat(257)] {
            let err = parse_client_code("code", bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{bad:?}");
            assert_eq!(err.details.unwrap()["field"], "code");
        }
    }

    #[test]
    fn failures_say_whether_to_retry() {
        assert!(Failure::timeout().retry);
        assert!(Failure::network().retry);
        assert!(Failure::http_status(500).retry);
        assert!(Failure::http_status(502).retry);
        assert!(!Failure::http_status(404).retry);
        assert!(!Failure::malformed().retry);
        assert!(Failure::misconfigured("x").config);
        for f in [
            Failure::timeout(),
            Failure::malformed(),
            Failure::misconfigured("x"),
        ] {
            assert_eq!(f.error.code, ErrorCode::UpstreamUnavailable);
        }
    }
}

//! The one error type of the HTTP contract (`API.md`): every failure a client can see is an
//! [`ApiError`] carrying an [`ErrorCode`], whose HTTP status and default message key live here
//! and nowhere else (the words are in the catalogs of [`crate::i18n`]).

use crate::i18n::{Lang, Text};
use serde::Serialize;
use std::fmt;

/// Stable, machine-readable error codes. The serialized form is the contract's `code` string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    InvalidArgument,
    Unauthenticated,
    TokenExpired,
    Forbidden,
    IdentityRequired,
    IdentityVerificationFailed,
    BookingBanned,
    NotFound,
    MethodNotAllowed,
    SlotFull,
    AlreadyBooked,
    OutsideBookingWindow,
    CancelTooLate,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    IdempotencyMismatch,
    LimitExceeded,
    RateLimited,
    UpstreamUnavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 21] = [
        ErrorCode::InvalidArgument,
        ErrorCode::Unauthenticated,
        ErrorCode::TokenExpired,
        ErrorCode::Forbidden,
        ErrorCode::IdentityRequired,
        ErrorCode::IdentityVerificationFailed,
        ErrorCode::BookingBanned,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::SlotFull,
        ErrorCode::AlreadyBooked,
        ErrorCode::OutsideBookingWindow,
        ErrorCode::CancelTooLate,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::IdempotencyMismatch,
        ErrorCode::LimitExceeded,
        ErrorCode::RateLimited,
        ErrorCode::UpstreamUnavailable,
        ErrorCode::Internal,
    ];

    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidArgument => 400,
            Unauthenticated | TokenExpired => 401,
            Forbidden | IdentityRequired | IdentityVerificationFailed | BookingBanned => 403,
            NotFound => 404,
            MethodNotAllowed => 405,
            SlotFull | AlreadyBooked | OutsideBookingWindow | CancelTooLate | Conflict => 409,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            IdempotencyMismatch => 422,
            LimitExceeded | RateLimited => 429,
            UpstreamUnavailable => 503,
            Internal => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidArgument => "INVALID_ARGUMENT",
            Unauthenticated => "UNAUTHENTICATED",
            TokenExpired => "TOKEN_EXPIRED",
            Forbidden => "FORBIDDEN",
            IdentityRequired => "IDENTITY_REQUIRED",
            IdentityVerificationFailed => "IDENTITY_VERIFICATION_FAILED",
            BookingBanned => "BOOKING_BANNED",
            NotFound => "NOT_FOUND",
            MethodNotAllowed => "METHOD_NOT_ALLOWED",
            SlotFull => "SLOT_FULL",
            AlreadyBooked => "ALREADY_BOOKED",
            OutsideBookingWindow => "OUTSIDE_BOOKING_WINDOW",
            CancelTooLate => "CANCEL_TOO_LATE",
            Conflict => "CONFLICT",
            PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            IdempotencyMismatch => "IDEMPOTENCY_MISMATCH",
            LimitExceeded => "LIMIT_EXCEEDED",
            RateLimited => "RATE_LIMITED",
            UpstreamUnavailable => "UPSTREAM_UNAVAILABLE",
            Internal => "INTERNAL",
        }
    }

    /// The key of the message a user reads when nothing more specific was said: `code.<CODE>`
    /// in every catalog.
    pub fn default_message(self) -> Text {
        Text::new(self.message_key())
    }

    pub fn message_key(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidArgument => "code.INVALID_ARGUMENT",
            Unauthenticated => "code.UNAUTHENTICATED",
            TokenExpired => "code.TOKEN_EXPIRED",
            Forbidden => "code.FORBIDDEN",
            IdentityRequired => "code.IDENTITY_REQUIRED",
            IdentityVerificationFailed => "code.IDENTITY_VERIFICATION_FAILED",
            BookingBanned => "code.BOOKING_BANNED",
            NotFound => "code.NOT_FOUND",
            MethodNotAllowed => "code.METHOD_NOT_ALLOWED",
            SlotFull => "code.SLOT_FULL",
            AlreadyBooked => "code.ALREADY_BOOKED",
            OutsideBookingWindow => "code.OUTSIDE_BOOKING_WINDOW",
            CancelTooLate => "code.CANCEL_TOO_LATE",
            Conflict => "code.CONFLICT",
            PayloadTooLarge => "code.PAYLOAD_TOO_LARGE",
            UnsupportedMediaType => "code.UNSUPPORTED_MEDIA_TYPE",
            IdempotencyMismatch => "code.IDEMPOTENCY_MISMATCH",
            LimitExceeded => "code.LIMIT_EXCEEDED",
            RateLimited => "code.RATE_LIMITED",
            UpstreamUnavailable => "code.UPSTREAM_UNAVAILABLE",
            Internal => "code.INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure to report to the client. `message` is the user-facing text, rendered in the
/// caller's language when the answer is written; `details` is optional structured context (for
/// example which field failed) and must never carry personal data.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Text,
    pub details: Option<serde_json::Value>,
    /// Seconds for a `Retry-After` header (rate limits).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code,
            message: code.default_message(),
            details: None,
            retry_after: None,
        }
    }

    pub fn with_message(mut self, message: Text) -> Self {
        self.message = message;
        self
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// A bad field in the request: `details` names the field so a client can highlight it.
    pub fn invalid(field: &str, message: Text) -> Self {
        ApiError::new(ErrorCode::InvalidArgument)
            .with_message(message)
            .with_details(serde_json::json!({ "field": field }))
    }

    pub fn not_found() -> Self {
        ApiError::new(ErrorCode::NotFound)
    }

    pub fn internal() -> Self {
        ApiError::new(ErrorCode::Internal)
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        ApiError::new(code)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message.render(Lang::Zh))
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_to_its_contract_string() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_owned()));
        }
    }

    #[test]
    fn statuses_follow_the_contract() {
        let expected = [
            ("INVALID_ARGUMENT", 400),
            ("UNAUTHENTICATED", 401),
            ("TOKEN_EXPIRED", 401),
            ("FORBIDDEN", 403),
            ("IDENTITY_REQUIRED", 403),
            ("IDENTITY_VERIFICATION_FAILED", 403),
            ("BOOKING_BANNED", 403),
            ("NOT_FOUND", 404),
            ("METHOD_NOT_ALLOWED", 405),
            ("SLOT_FULL", 409),
            ("ALREADY_BOOKED", 409),
            ("OUTSIDE_BOOKING_WINDOW", 409),
            ("CANCEL_TOO_LATE", 409),
            ("CONFLICT", 409),
            ("PAYLOAD_TOO_LARGE", 413),
            ("UNSUPPORTED_MEDIA_TYPE", 415),
            ("IDEMPOTENCY_MISMATCH", 422),
            ("LIMIT_EXCEEDED", 429),
            ("RATE_LIMITED", 429),
            ("UPSTREAM_UNAVAILABLE", 503),
            ("INTERNAL", 500),
        ];
        assert_eq!(expected.len(), ErrorCode::ALL.len());
        for (code, (name, status)) in ErrorCode::ALL.iter().zip(expected) {
            assert_eq!(code.as_str(), name);
            assert_eq!(code.status(), status, "{name}");
        }
    }

    #[test]
    fn default_messages_are_chinese_by_default_and_english_on_request() {
        for code in ErrorCode::ALL {
            let zh = code.default_message().render(Lang::Zh);
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{code}: {zh}"
            );
            let en = code.default_message().render(Lang::En);
            assert!(
                !en.is_empty() && en.is_ascii() && en != code.message_key(),
                "{code}: {en}"
            );
        }
    }
}

/// A key in configuration that does not parse. Says which setting, never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError(pub &'static str);

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid key configuration: {}", self.0)
    }
}

impl std::error::Error for KeyError {}

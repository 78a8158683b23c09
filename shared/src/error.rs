//! The one error type of the HTTP contract (`API.md`): every failure a client can see is an
//! [`ApiError`] carrying an [`ErrorCode`], whose HTTP status and default Chinese message live here
//! and nowhere else.

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

    /// The message a user reads when nothing more specific was said.
    pub fn default_message(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidArgument => "请求参数有误，请检查后重试",
            Unauthenticated => "请先登录",
            TokenExpired => "登录已过期，请重新登录",
            Forbidden => "无权进行此操作",
            IdentityRequired => "请先完成实名认证",
            IdentityVerificationFailed => "身份核验未通过",
            BookingBanned => "因多次预约未到，暂不能预约",
            NotFound => "未找到相关信息",
            MethodNotAllowed => "不支持该请求方式",
            SlotFull => "该时段已约满，请选择其他时段",
            AlreadyBooked => "该办理人已有此业务的有效预约",
            OutsideBookingWindow => "该日期不在可预约时间范围内",
            CancelTooLate => "已超过可取消时间",
            Conflict => "操作冲突，请刷新后重试",
            PayloadTooLarge => "请求内容过大",
            UnsupportedMediaType => "请求格式不受支持，请使用 JSON",
            IdempotencyMismatch => "重复提交的内容与首次不一致",
            LimitExceeded => "已达到次数上限",
            RateLimited => "请求过于频繁，请稍后再试",
            UpstreamUnavailable => "服务繁忙，请稍后再试",
            Internal => "系统异常，请稍后再试",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure to report to the client. `message` is user-facing Chinese; `details` is optional
/// structured context (for example which field failed) and must never carry personal data.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<serde_json::Value>,
    /// Seconds for a `Retry-After` header (rate limits).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code,
            message: code.default_message().to_owned(),
            details: None,
            retry_after: None,
        }
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
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
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
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
        write!(f, "{}: {}", self.code, self.message)
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
    fn messages_are_chinese_and_non_empty() {
        for code in ErrorCode::ALL {
            let msg = code.default_message();
            assert!(
                msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{code}"
            );
        }
    }
}

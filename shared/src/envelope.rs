//! The response envelope of `API.md`: `{"code":"OK","data":…,"request_id":…}` on success and
//! `{"code":…,"message":…,"request_id":…,"details"?}` on failure. Functions never hand-build it.

use crate::error::ApiError;
use crate::i18n::Lang;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct Success<'a, T: Serialize> {
    code: &'static str,
    data: &'a T,
    request_id: &'a str,
}

#[derive(Debug, Serialize)]
struct Failure<'a> {
    code: &'static str,
    message: &'a str,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a serde_json::Value>,
}

/// A rendered envelope: the HTTP status and the JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<u32>,
}

pub fn success<T: Serialize>(status: u16, data: &T, request_id: &str) -> Rendered {
    match serde_json::to_string(&Success {
        code: "OK",
        data,
        request_id,
    }) {
        Ok(body) => Rendered {
            status,
            body,
            retry_after: None,
        },
        // Only a programming error gets here; which language it is told in matters little.
        Err(_) => failure(&ApiError::internal(), request_id, Lang::Zh),
    }
}

/// The failure in `lang`: only `message` changes with the language, never a code or a field.
pub fn failure(err: &ApiError, request_id: &str, lang: Lang) -> Rendered {
    let body = serde_json::to_string(&Failure {
        code: err.code.as_str(),
        message: &err.message.render(lang),
        request_id,
        details: err.details.as_ref(),
    })
    .unwrap_or_else(|_| {
        // Serializing strings and a JSON value cannot fail; keep a literal fallback anyway
        // so the envelope is never missing.
        format!(r#"{{"code":"INTERNAL","message":"系统异常","request_id":"{request_id}"}}"#)
    });
    Rendered {
        status: err.status(),
        body,
        retry_after: err.retry_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::{json, Value};

    #[test]
    fn success_wraps_data() {
        let r = success(201, &json!({"booking_no": "B1"}), "req-1");
        assert_eq!(r.status, 201);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            v,
            json!({"code":"OK","data":{"booking_no":"B1"},"request_id":"req-1"})
        );
    }

    #[test]
    fn failure_carries_code_message_and_optional_details() {
        let r = failure(&ApiError::new(ErrorCode::SlotFull), "req-2", Lang::Zh);
        assert_eq!(r.status, 409);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["code"], "SLOT_FULL");
        assert_eq!(v["message"], "该时段已约满，请选择其他时段");
        assert_eq!(v["request_id"], "req-2");
        assert!(v.get("details").is_none());

        let en = failure(&ApiError::new(ErrorCode::SlotFull), "req-2", Lang::En);
        let v: Value = serde_json::from_str(&en.body).unwrap();
        assert_eq!(v["code"], "SLOT_FULL");
        assert_eq!(
            v["message"],
            "This time slot is fully booked. Please choose another one."
        );

        let r = failure(
            &ApiError::invalid("phone", crate::t!("phone.bad_format")),
            "req-3",
            Lang::En,
        );
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["details"]["field"], "phone");
        assert_eq!(r.status, 400);
    }

    #[test]
    fn rate_limit_carries_retry_after() {
        let r = failure(
            &ApiError::new(ErrorCode::RateLimited).with_retry_after(3),
            "r",
            Lang::Zh,
        );
        assert_eq!(r.retry_after, Some(3));
        assert_eq!(r.status, 429);
    }
}

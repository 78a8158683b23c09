//! WeChat's server API (`api.weixin.qq.com`): `jscode2session` for login, `stable_token` for the
//! app's access token, `getuserphonenumber` for the phone. Errors arrive as `errcode`/`errmsg` in
//! a 200 answer; a missing `errcode` (or 0) means success.

use super::{form_encode, join_url, Failure, Outgoing};
use crate::domain::Phone;
use crate::error::{ApiError, ErrorCode};
use crate::t;
use serde::Deserialize;

/// Busy: "系统繁忙，此时请开发者稍候再试".
const BUSY: i64 = -1;
/// The access token is invalid or was replaced (`stable_token` with `force_refresh`).
const TOKEN_INVALID: i64 = 40001;
const INVALID_CODE: i64 = 40029;
const CODE_USED: i64 = 40163;
const MISSING_CODE: i64 = 41008;
/// Our credentials or request are wrong: appid, secret, grant_type and their missing forms.
const CONFIG_ERRORS: [i64; 5] = [40002, 40013, 40125, 41002, 41004];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatApp {
    pub appid: String,
    pub secret: String,
}

/// Who logged in. `session_key` is deliberately not a field: it is never kept, logged or sent
/// on, and serde drops it while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatSession {
    pub openid: String,
    pub unionid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: String,
    pub expires_in: u32,
}

pub fn jscode2session(base: &str, app: &WechatApp, code: &str) -> Outgoing {
    let query = form_encode(&[
        ("appid", app.appid.as_str()),
        ("secret", app.secret.as_str()),
        ("js_code", code),
        ("grant_type", "authorization_code"),
    ]);
    Outgoing {
        method: "GET",
        url: format!("{}?{query}", join_url(base, "/sns/jscode2session")),
        content_type: None,
        authorization: None,
        body: None,
    }
}

/// Without `force_refresh`, so every isolate shares the token WeChat currently hands out rather
/// than invalidating each other's.
pub fn stable_token(base: &str, app: &WechatApp) -> Outgoing {
    let body = serde_json::json!({
        "grant_type": "client_credential",
        "appid": app.appid,
        "secret": app.secret,
    });
    Outgoing {
        method: "POST",
        url: join_url(base, "/cgi-bin/stable_token"),
        content_type: Some("application/json"),
        authorization: None,
        body: Some(body.to_string()),
    }
}

pub fn phone_number(base: &str, access_token: &str, code: &str) -> Outgoing {
    Outgoing {
        method: "POST",
        url: format!(
            "{}?{}",
            join_url(base, "/wxa/business/getuserphonenumber"),
            form_encode(&[("access_token", access_token)])
        ),
        content_type: Some("application/json"),
        authorization: None,
        body: Some(serde_json::json!({ "code": code }).to_string()),
    }
}

/// A subscribe message (订阅消息) for one user: template fields by key (`thing1`, `time2`…).
pub fn subscribe_send(
    base: &str,
    access_token: &str,
    touser: &str,
    template_id: &str,
    page: &str,
    data: &serde_json::Map<String, serde_json::Value>,
) -> Outgoing {
    let fields: serde_json::Map<String, serde_json::Value> = data
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::json!({ "value": v })))
        .collect();
    Outgoing {
        method: "POST",
        url: format!(
            "{}?{}",
            join_url(base, "/cgi-bin/message/subscribe/send"),
            form_encode(&[("access_token", access_token)])
        ),
        content_type: Some("application/json"),
        authorization: None,
        body: Some(
            serde_json::json!({
                "touser": touser,
                "template_id": template_id,
                "page": page,
                "data": fields,
                "lang": "zh_CN",
            })
            .to_string(),
        ),
    }
}

/// What `subscribe/send` said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendAnswer {
    Sent,
    /// 43101: the user has no subscription left for this template. Recorded, never retried.
    NoSubscription,
    /// Our cached access token is no longer valid: fetch another and send again.
    TokenInvalid,
    /// Refused in a way another try will not change (errcode 47003, a bad template id…).
    Refused(i64),
}

/// Too many calls a minute: wait and try again.
const RATE_LIMITED: i64 = 45009;
const NO_SUBSCRIPTION: i64 = 43101;
/// The access token expired.
const TOKEN_EXPIRED: i64 = 42001;

pub fn parse_subscribe_send(status: u16, body: &[u8]) -> Result<SendAnswer, Failure> {
    #[derive(Deserialize)]
    struct Answer {}
    let mut special = None;
    let answer: Result<Answer, Failure> = parse(status, body, |code| match code {
        NO_SUBSCRIPTION => {
            special = Some(SendAnswer::NoSubscription);
            Failure::unavailable("errcode 43101", false)
        }
        TOKEN_INVALID | TOKEN_EXPIRED => {
            special = Some(SendAnswer::TokenInvalid);
            Failure::unavailable(format!("errcode {code}"), true)
        }
        RATE_LIMITED => Failure::unavailable("errcode 45009", true),
        BUSY => common_error(code),
        _ => {
            special = Some(SendAnswer::Refused(code));
            common_error(code)
        }
    });
    if let Some(s) = special {
        return Ok(s);
    }
    answer.map(|_| SendAnswer::Sent)
}

#[derive(Deserialize)]
struct ErrorFields {
    #[serde(default)]
    errcode: Option<i64>,
}

/// The body as `T` after WeChat's common checks: HTTP status, JSON, and `errcode`, which is
/// handed to `on_error` when present and non-zero.
fn parse<T: for<'de> Deserialize<'de>>(
    status: u16,
    body: &[u8],
    on_error: impl FnOnce(i64) -> Failure,
) -> Result<T, Failure> {
    if status != 200 {
        return Err(Failure::http_status(status));
    }
    let common: ErrorFields = serde_json::from_slice(body).map_err(|_| Failure::malformed())?;
    match common.errcode {
        None | Some(0) => serde_json::from_slice(body).map_err(|_| Failure::malformed()),
        Some(code) => Err(on_error(code)),
    }
}

/// Errors every WeChat call shares.
fn common_error(code: i64) -> Failure {
    if code == BUSY {
        Failure::unavailable("errcode -1", true)
    } else if CONFIG_ERRORS.contains(&code) {
        Failure::misconfigured(format!("errcode {code}"))
    } else {
        Failure::unavailable(format!("errcode {code}"), false)
    }
}

pub fn parse_session(status: u16, body: &[u8]) -> Result<WechatSession, Failure> {
    #[derive(Deserialize)]
    struct Answer {
        openid: Option<String>,
        unionid: Option<String>,
    }
    let answer: Answer = parse(status, body, |code| match code {
        INVALID_CODE | CODE_USED | MISSING_CODE => Failure::rejected(
            ApiError::new(ErrorCode::Unauthenticated).with_message(t!("login.bad_login_code")),
            format!("errcode {code}"),
        ),
        _ => common_error(code),
    })?;
    let openid = answer
        .openid
        .filter(|o| is_provider_id(o))
        .ok_or_else(Failure::malformed)?;
    Ok(WechatSession {
        openid,
        unionid: answer.unionid.filter(|u| is_provider_id(u)),
    })
}

pub fn parse_stable_token(status: u16, body: &[u8]) -> Result<AccessToken, Failure> {
    #[derive(Deserialize)]
    struct Answer {
        access_token: Option<String>,
        expires_in: Option<u32>,
    }
    let answer: Answer = parse(status, body, common_error)?;
    match (answer.access_token, answer.expires_in) {
        (Some(token), Some(expires_in)) if !token.is_empty() && expires_in > 0 => {
            Ok(AccessToken { token, expires_in })
        }
        _ => Err(Failure::malformed()),
    }
}

/// What `getuserphonenumber` said.
#[derive(Debug, Clone, PartialEq)]
pub enum PhoneAnswer {
    Phone(Phone),
    /// Our cached access token is no longer valid: fetch another and ask again.
    TokenInvalid,
}

pub fn parse_phone_number(status: u16, body: &[u8]) -> Result<PhoneAnswer, Failure> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Info {
        pure_phone_number: Option<String>,
        country_code: Option<String>,
    }
    #[derive(Deserialize)]
    struct Answer {
        phone_info: Option<Info>,
    }
    let mut token_invalid = false;
    let answer: Result<Answer, Failure> = parse(status, body, |code| match code {
        TOKEN_INVALID => {
            token_invalid = true;
            Failure::unavailable("errcode 40001", true)
        }
        INVALID_CODE => Failure::rejected(
            ApiError::invalid("code", t!("login.bad_phone_code")),
            "errcode 40029",
        ),
        _ => common_error(code),
    });
    if token_invalid {
        return Ok(PhoneAnswer::TokenInvalid);
    }
    let info = answer?.phone_info.ok_or_else(Failure::malformed)?;
    if info.country_code.as_deref() != Some("86") {
        return Err(Failure::rejected(
            ApiError::invalid("code", t!("login.phone_not_mainland")),
            "foreign phone",
        ));
    }
    let phone = info
        .pure_phone_number
        .and_then(|p| Phone::parse(&p).ok())
        .ok_or_else(Failure::malformed)?;
    Ok(PhoneAnswer::Phone(phone))
}

/// An openid or unionid as providers issue them: short printable ASCII.
pub(crate) fn is_provider_id(s: &str) -> bool {
    (1..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> WechatApp {
        WechatApp {
            appid: "wx-dev-appid".into(),
            secret: "dev-wechat-secret".into(),
        }
    }

    fn session(body: &str) -> Result<WechatSession, Failure> {
        parse_session(200, body.as_bytes())
    }

    #[test]
    fn subscribe_messages_wrap_each_field_and_classify_the_answer() {
        let mut data = serde_json::Map::new();
        data.insert("thing1".into(), "普通护照".into());
        let req = subscribe_send("http://f/wechat", "tok", "wx-a", "tmpl-1", "pages/x", &data);
        assert_eq!(
            req.url,
            "http://f/wechat/cgi-bin/message/subscribe/send?access_token=tok"
        );
        let body: serde_json::Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["touser"], "wx-a");
        assert_eq!(body["template_id"], "tmpl-1");
        assert_eq!(body["data"]["thing1"]["value"], "普通护照");
        let answer = |b: &str| parse_subscribe_send(200, b.as_bytes());
        assert_eq!(
            answer(r#"{"errcode":0,"errmsg":"ok"}"#),
            Ok(SendAnswer::Sent)
        );
        assert_eq!(
            answer(r#"{"errcode":43101,"errmsg":"user refuse to accept the msg"}"#),
            Ok(SendAnswer::NoSubscription)
        );
        assert_eq!(answer(r#"{"errcode":40001}"#), Ok(SendAnswer::TokenInvalid));
        assert_eq!(answer(r#"{"errcode":42001}"#), Ok(SendAnswer::TokenInvalid));
        assert!(answer(r#"{"errcode":45009}"#).unwrap_err().retry);
        assert!(answer(r#"{"errcode":-1}"#).unwrap_err().retry);
        assert_eq!(
            answer(r#"{"errcode":47003,"errmsg":"argument invalid!"}"#),
            Ok(SendAnswer::Refused(47003))
        );
        assert!(parse_subscribe_send(502, b"").unwrap_err().retry);
    }

    #[test]
    fn the_login_request_carries_the_four_parameters() {
        let req = jscode2session("http://127.0.0.1:1/wechat/", &app(), "dev-a b");
        assert_eq!(req.method, "GET");
        assert_eq!(
            req.url,
            "http://127.0.0.1:1/wechat/sns/jscode2session?appid=wx-dev-appid&secret=dev-wechat-secret&js_code=dev-a%20b&grant_type=authorization_code"
        );
        assert!(req.body.is_none());
    }

    #[test]
    fn success_has_no_errcode_and_the_session_key_is_dropped() {
        let s = session(r#"{"openid":"wx-alice","session_key":"c2VjcmV0"}"#).unwrap();
        assert_eq!(s.openid, "wx-alice");
        assert_eq!(s.unionid, None);
        assert!(!format!("{s:?}").contains("c2VjcmV0"));
        let s =
            session(r#"{"openid":"wx-ubob","session_key":"k","unionid":"union-ubob","errcode":0}"#)
                .unwrap();
        assert_eq!(s.unionid.as_deref(), Some("union-ubob"));
    }

    #[test]
    fn an_invalid_or_used_code_is_unauthenticated() {
        for code in [40029, 40163, 41008] {
            let f = session(&format!(r#"{{"errcode":{code},"errmsg":"x"}}"#)).unwrap_err();
            assert_eq!(f.error.code, ErrorCode::Unauthenticated, "{code}");
            assert!(!f.retry);
        }
    }

    #[test]
    fn busy_is_retried_then_unavailable() {
        let f = session(r#"{"errcode":-1,"errmsg":"system error"}"#).unwrap_err();
        assert_eq!(f.error.code, ErrorCode::UpstreamUnavailable);
        assert!(f.retry);
        assert_eq!(f.reason, "errcode -1");
    }

    #[test]
    fn our_misconfiguration_is_unavailable_and_flagged() {
        for code in [40013, 40125, 41002, 41004, 40002] {
            let f = session(&format!(r#"{{"errcode":{code},"errmsg":"x"}}"#)).unwrap_err();
            assert_eq!(f.error.code, ErrorCode::UpstreamUnavailable);
            assert!(f.config && !f.retry, "{code}");
        }
        let f =
            session(r#"{"errcode":45011,"errmsg":"api minute-quota reach limit"}"#).unwrap_err();
        assert_eq!(f.error.code, ErrorCode::UpstreamUnavailable);
        assert!(!f.config);
    }

    #[test]
    fn garbage_and_http_errors_are_unavailable() {
        for (status, body) in [
            (200, "{not json"),
            (200, ""),
            (200, "[]"),
            (200, r#"{"session_key":"k"}"#),
            (200, r#"{"openid":""}"#),
            (200, r#"{"openid":42}"#),
            (200, r#"{"errcode":"x"}"#),
            (500, "Internal Server Error"),
            (404, r#"{"errcode":40066}"#),
        ] {
            let f = parse_session(status, body.as_bytes()).unwrap_err();
            assert_eq!(
                f.error.code,
                ErrorCode::UpstreamUnavailable,
                "{status} {body}"
            );
        }
        assert!(parse_session(500, b"x").unwrap_err().retry);
        assert!(!parse_session(200, b"{not json").unwrap_err().retry);
    }

    #[test]
    fn stable_token_is_requested_without_force_refresh_and_parsed() {
        let req = stable_token("http://h/wechat", &app());
        assert_eq!(req.url, "http://h/wechat/cgi-bin/stable_token");
        let body: serde_json::Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["grant_type"], "client_credential");
        assert_eq!(body["appid"], "wx-dev-appid");
        assert!(body.get("force_refresh").is_none());
        let t =
            parse_stable_token(200, br#"{"access_token":"fake-at-1","expires_in":7200}"#).unwrap();
        assert_eq!(
            t,
            AccessToken {
                token: "fake-at-1".into(),
                expires_in: 7200
            }
        );
        assert!(parse_stable_token(200, br#"{"access_token":"x"}"#).is_err());
        assert!(
            parse_stable_token(200, br#"{"errcode":40125,"errmsg":"x"}"#)
                .unwrap_err()
                .config
        );
    }

    #[test]
    fn phone_answers() {
        let req = phone_number("http://h/wechat", "tok/1", "dev-13812345678");
        assert_eq!(
            req.url,
            "http://h/wechat/wxa/business/getuserphonenumber?access_token=tok%2F1"
        );
        let ok = br#"{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"13812345678","purePhoneNumber":"13812345678","countryCode":"86","watermark":{"timestamp":1,"appid":"a"}}}"#;
        assert_eq!(
            parse_phone_number(200, ok).unwrap(),
            PhoneAnswer::Phone(Phone::parse("13812345678").unwrap())
        );
        assert_eq!(
            parse_phone_number(200, br#"{"errcode":40001,"errmsg":"invalid credential"}"#).unwrap(),
            PhoneAnswer::TokenInvalid
        );
        let bad =
            parse_phone_number(200, br#"{"errcode":40029,"errmsg":"invalid code"}"#).unwrap_err();
        assert_eq!(bad.error.code, ErrorCode::InvalidArgument);
        let foreign =
            br#"{"errcode":0,"phone_info":{"purePhoneNumber":"2025550123","countryCode":"1"}}"#;
        assert_eq!(
            parse_phone_number(200, foreign).unwrap_err().error.code,
            ErrorCode::InvalidArgument
        );
        let busy = parse_phone_number(200, br#"{"errcode":-1}"#).unwrap_err();
        assert!(busy.retry);
        assert_eq!(
            parse_phone_number(200, br#"{"errcode":0}"#)
                .unwrap_err()
                .error
                .code,
            ErrorCode::UpstreamUnavailable
        );
    }
}

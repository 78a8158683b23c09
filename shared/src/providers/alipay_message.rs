//! Alipay template messages (`alipay.open.app.mini.templatemessage.send`), sent to a user who
//! subscribed with `my.requestSubscribeMessage`: the counterpart of WeChat's subscribe
//! messages. The values are the ones rendered for WeChat (already within its limits), keyed
//! `keyword<n>` by the number that ends each WeChat key, so both platforms' templates list their
//! fields in the same order.

use super::alipay::{error_failure, AlipayApp, ErrorAnswer};
use super::{Failure, Outgoing};
use crate::error::ApiResult;
use crate::time::Instant;
use serde_json::{json, Map, Value};

pub const SEND_METHOD: &str = "alipay.open.app.mini.templatemessage.send";
const SEND_RESPONSE_KEY: &str = "alipay_open_app_mini_templatemessage_send_response";
const SUCCESS: &str = "10000";
/// Alipay answers "Business Failed" with a `sub_code` saying why.
const BUSINESS_FAILED: &str = "40004";

/// What the gateway said about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateAnswer {
    Sent,
    /// The user has not subscribed to this template (or used up a one-off subscription):
    /// recorded, never retried.
    NoSubscription,
    /// Refused in a way another try will not change (a bad template id, a value the template
    /// does not accept): recorded, given up.
    Refused(String),
}

/// `{"keyword1":{"value":…},…}` from WeChat-keyed fields (`thing1`, `time3`, …). A key that does
/// not end in a number has no place in an Alipay template and is left out.
pub fn keywords(fields: &Map<String, Value>) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|(k, v)| {
            let digits = k.len() - k.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            let n: u32 = k[k.len() - digits..].parse().ok()?;
            Some((format!("keyword{n}"), json!({ "value": v })))
        })
        .collect()
}

/// The signed gateway request sending one template message to `user_id`.
pub async fn template_message_send(
    app: &AlipayApp,
    gateway: &str,
    (user_id, template_id): (&str, &str),
    page: &str,
    fields: &Map<String, Value>,
    now: Instant,
) -> ApiResult<Outgoing> {
    let biz = json!({
        "to_user_id": user_id,
        "user_template_id": template_id,
        "page": page,
        // A JSON document inside the JSON document, as the gateway wants it.
        "data": Value::Object(keywords(fields)).to_string(),
    })
    .to_string();
    app.gateway_request(gateway, SEND_METHOD, &[("biz_content", &biz)], now)
        .await
}

/// Judges the gateway's answer: a signed `10000` is sent; a signed business failure is a
/// [`TemplateAnswer`]; the gateway being busy, or an answer that is not provably Alipay's, is a
/// [`Failure`] (retried when it may pass later).
pub async fn parse_template_message_send(
    app: &AlipayApp,
    status: u16,
    body: &[u8],
) -> Result<TemplateAnswer, Failure> {
    let (raw, _) = app.signed_value(status, body, SEND_RESPONSE_KEY).await?;
    let answer: ErrorAnswer = serde_json::from_str(raw).map_err(|_| Failure::malformed())?;
    let code = answer.code.as_deref().unwrap_or("");
    let sub = answer.sub_code.as_deref().unwrap_or("");
    if code == SUCCESS {
        return Ok(TemplateAnswer::Sent);
    }
    if code == BUSINESS_FAILED && !sub.starts_with("isp.") {
        return Ok(if no_subscription(sub) {
            TemplateAnswer::NoSubscription
        } else {
            TemplateAnswer::Refused(format!("{code} {sub}"))
        });
    }
    Err(error_failure(&answer))
}

/// The sub-codes that mean the user did not subscribe (or has no one-off subscription left).
/// Alipay names them after the subscription; matched by that word rather than a fixed list,
/// so a new spelling of the same refusal is not retried for nothing.
fn no_subscription(sub_code: &str) -> bool {
    sub_code.to_ascii_uppercase().contains("SUBSCRIBE")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::fake::block_on;
    use crate::providers::alipay::{in_rust, sign_content};
    use crate::time::from_unix_millis;

    #[derive(serde::Deserialize)]
    struct Biz {
        to_user_id: String,
        user_template_id: String,
        page: String,
        data: String,
    }

    const APP_PRIVATE: &str = include_str!("../../../dev/fakes/keys/app_private.b64");
    const APP_PUBLIC: &str = include_str!("../../../dev/fakes/keys/app_public.b64");
    const ALIPAY_PUBLIC: &str = include_str!("../../../dev/fakes/keys/alipay_public.b64");

    const ALIPAY_PRIVATE: &str = include_str!("../../../dev/fakes/keys/alipay_private.b64");

    fn app() -> AlipayApp {
        in_rust::app("ali-dev-appid", APP_PRIVATE, ALIPAY_PUBLIC).unwrap()
    }

    /// An answer as the gateway writes it, signed with Alipay's (dev) key.
    fn answer(key: &str, value: &str) -> Vec<u8> {
        let alipay = in_rust::app("gw", ALIPAY_PRIVATE, APP_PUBLIC).unwrap();
        let sign = block_on(alipay.sign(value)).unwrap();
        format!(r#"{{"{key}":{value},"sign":"{sign}"}}"#).into_bytes()
    }

    fn judge(key: &str, value: &str) -> Result<TemplateAnswer, Failure> {
        block_on(parse_template_message_send(
            &app(),
            200,
            &answer(key, value),
        ))
    }

    fn percent_decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn signed_answers_are_judged() {
        let ok = r#"{"code":"10000","msg":"Success"}"#;
        assert_eq!(judge(SEND_RESPONSE_KEY, ok), Ok(TemplateAnswer::Sent));
        let unsubscribed = r#"{"code":"40004","msg":"Business Failed","sub_code":"USER_NOT_SUBSCRIBED","sub_msg":"用户未订阅"}"#;
        assert_eq!(
            judge(SEND_RESPONSE_KEY, unsubscribed),
            Ok(TemplateAnswer::NoSubscription)
        );
        let bad_template =
            r#"{"code":"40004","msg":"Business Failed","sub_code":"USER_TEMPLATE_ILLEGAL"}"#;
        assert_eq!(
            judge(SEND_RESPONSE_KEY, bad_template),
            Ok(TemplateAnswer::Refused(
                "40004 USER_TEMPLATE_ILLEGAL".into()
            ))
        );
        let busy = r#"{"code":"20000","msg":"Service Currently Unavailable","sub_code":"isp.unknow-error"}"#;
        assert!(judge("error_response", busy).unwrap_err().retry);
        let isp = r#"{"code":"40004","msg":"Business Failed","sub_code":"isp.system-error"}"#;
        assert!(judge(SEND_RESPONSE_KEY, isp).unwrap_err().retry);
        let bad_sign = r#"{"code":"40002","sub_code":"isv.invalid-signature"}"#;
        let f = judge("error_response", bad_sign).unwrap_err();
        assert!(f.config && !f.retry);
    }

    fn fields() -> Map<String, Value> {
        let mut f = Map::new();
        f.insert("thing1".into(), json!("普通护照"));
        f.insert("time3".into(), json!("2026-12-01 09:00~10:00"));
        f.insert("character_string4".into(), json!("B20261201X"));
        f.insert("page".into(), json!("not a field"));
        f
    }

    #[test]
    fn fields_become_keywords_by_their_number() {
        let k = keywords(&fields());
        assert_eq!(k.len(), 3);
        assert_eq!(k["keyword1"], json!({ "value": "普通护照" }));
        assert_eq!(k["keyword3"], json!({ "value": "2026-12-01 09:00~10:00" }));
        assert_eq!(k["keyword4"], json!({ "value": "B20261201X" }));
    }

    #[test]
    fn the_request_carries_biz_content_and_is_signed_over_it() {
        let now = from_unix_millis(1_781_488_800_000);
        let req = block_on(template_message_send(
            &app(),
            "http://h/alipay/gateway.do",
            ("2088000000000001", "tmpl-1"),
            "pages/bookings/bookings",
            &fields(),
            now,
        ))
        .unwrap();
        let params: Vec<(String, String)> = req
            .body
            .unwrap()
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_owned(), percent_decode(v))
            })
            .collect();
        let get = |k: &str| params.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("method"), SEND_METHOD);
        let biz: Biz = serde_json::from_str(&get("biz_content")).unwrap();
        assert_eq!(biz.to_user_id, "2088000000000001");
        assert_eq!(biz.user_template_id, "tmpl-1");
        assert_eq!(biz.page, "pages/bookings/bookings");
        let data: Value = serde_json::from_str(&biz.data).unwrap();
        assert_eq!(data["keyword4"]["value"], "B20261201X");
        let as_fake = in_rust::app("x", APP_PRIVATE, APP_PUBLIC).unwrap();
        assert!(block_on(as_fake.verify(sign_content(&params).as_bytes(), &get("sign"))).unwrap());
    }

    #[test]
    fn unsigned_answers_are_not_believed() {
        let body = format!(
            r#"{{"{SEND_RESPONSE_KEY}":{{"code":"10000","msg":"Success"}},"sign":"eA=="}}"#
        );
        let f = block_on(parse_template_message_send(&app(), 200, body.as_bytes())).unwrap_err();
        assert_eq!(f.error.code, ErrorCode::UpstreamUnavailable);
        assert_eq!(f.reason, "bad signature");
        assert!(
            block_on(parse_template_message_send(&app(), 502, b""))
                .unwrap_err()
                .retry
        );
    }

    #[test]
    fn sub_codes_of_a_missing_subscription_are_recognised() {
        assert!(no_subscription("USER_NOT_SUBSCRIBED"));
        assert!(no_subscription("isv.user-unsubscribe"));
        assert!(!no_subscription("USER_TEMPLATE_ILLEGAL"));
    }
}

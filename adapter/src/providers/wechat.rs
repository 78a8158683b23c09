//! WeChat: login (`jscode2session`) and the phone number (`getuserphonenumber`, with the app's
//! access token from `stable_token`, cached until shortly before it expires).

use super::{base, call, Outbound};
use crate::cx::Cx;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use yuyue_shared::domain::Phone;
use yuyue_shared::providers::wechat::{
    self as wx, PhoneAnswer, SendAnswer, WechatApp, WechatSession,
};
use yuyue_shared::{ApiError, ApiResult, ErrorCode};

/// A token is not used in its last five minutes, so a call never carries one that expires on
/// the way.
const TOKEN_MARGIN_MS: i64 = 5 * 60 * 1000;

#[derive(Clone, Serialize, Deserialize)]
struct CachedToken {
    token: String,
    expires_at_ms: i64,
}

thread_local! {
    /// This isolate's copy, in front of the KV copy all isolates share.
    static TOKEN: RefCell<Option<CachedToken>> = const { RefCell::new(None) };
}

fn app(cx: &impl Outbound) -> ApiResult<WechatApp> {
    Ok(WechatApp {
        appid: cx.required_config("WECHAT_APPID")?,
        secret: cx.required_config("WECHAT_SECRET")?,
    })
}

/// The account behind a `wx.login()` code. The session key WeChat returns is dropped unread.
pub async fn code_to_session(cx: &Cx, code: &str) -> ApiResult<WechatSession> {
    let request = wx::jscode2session(&base(cx, "WECHAT_API_BASE")?, &app(cx)?, code);
    call(cx, "wechat", "jscode2session", &request, async |s, b| {
        wx::parse_session(s, b)
    })
    .await
}

/// The phone number behind a `getPhoneNumber` code.
pub async fn phone_number(cx: &Cx, code: &str) -> ApiResult<Phone> {
    let base = base(cx, "WECHAT_API_BASE")?;
    for fresh in [false, true] {
        let token = access_token(cx, fresh).await?;
        let request = wx::phone_number(&base, &token, code);
        match call(
            cx,
            "wechat",
            "getuserphonenumber",
            &request,
            async |s, b| wx::parse_phone_number(s, b),
        )
        .await?
        {
            PhoneAnswer::Phone(phone) => return Ok(phone),
            // Replaced or expired early (WeChat can invalidate it): ask for the current one.
            PhoneAnswer::TokenInvalid => forget_token(cx).await,
        }
    }
    Err(ApiError::new(ErrorCode::UpstreamUnavailable))
}

/// Sends one subscribe message, fetching the access token again once if WeChat says it is no
/// longer valid.
pub async fn subscribe_send(
    cx: &impl Outbound,
    touser: &str,
    template_id: &str,
    page: &str,
    data: &serde_json::Map<String, serde_json::Value>,
) -> ApiResult<SendAnswer> {
    let base = base(cx, "WECHAT_API_BASE")?;
    for fresh in [false, true] {
        let token = access_token(cx, fresh).await?;
        let request = wx::subscribe_send(&base, &token, touser, template_id, page, data);
        match call(cx, "wechat", "subscribe_send", &request, async |s, b| {
            wx::parse_subscribe_send(s, b)
        })
        .await?
        {
            SendAnswer::TokenInvalid => forget_token(cx).await,
            answer => return Ok(answer),
        }
    }
    Err(ApiError::new(ErrorCode::UpstreamUnavailable))
}

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

fn kv_key(app: &WechatApp) -> String {
    format!("wechat:access_token:{}", app.appid)
}

async fn access_token(cx: &impl Outbound, skip_cache: bool) -> ApiResult<String> {
    let app = app(cx)?;
    let usable = |t: &CachedToken| t.expires_at_ms - TOKEN_MARGIN_MS > now_ms();
    if !skip_cache {
        if let Some(t) = TOKEN.with(|c| c.borrow().clone()).filter(usable) {
            return Ok(t.token);
        }
        if let Some(t) = read_shared(cx, &kv_key(&app)).await.filter(usable) {
            TOKEN.with(|c| *c.borrow_mut() = Some(t.clone()));
            return Ok(t.token);
        }
    }
    let request = wx::stable_token(&base(cx, "WECHAT_API_BASE")?, &app);
    let fresh = call(cx, "wechat", "stable_token", &request, async |s, b| {
        wx::parse_stable_token(s, b)
    })
    .await?;
    let cached = CachedToken {
        token: fresh.token.clone(),
        expires_at_ms: now_ms() + i64::from(fresh.expires_in) * 1000,
    };
    TOKEN.with(|c| *c.borrow_mut() = Some(cached.clone()));
    write_shared(cx, &kv_key(&app), &cached, fresh.expires_in).await;
    Ok(fresh.token)
}

/// The cache is a convenience: when KV misbehaves, the token is simply fetched again.
async fn read_shared(cx: &impl Outbound, key: &str) -> Option<CachedToken> {
    let kv = cx.env().kv("CACHE").ok()?;
    kv.get(key).json::<CachedToken>().await.ok().flatten()
}

async fn write_shared(cx: &impl Outbound, key: &str, token: &CachedToken, expires_in: u32) {
    let Ok(kv) = cx.env().kv("CACHE") else { return };
    let Ok(json) = serde_json::to_string(token) else {
        return;
    };
    let ttl = u64::from(expires_in)
        .saturating_sub(TOKEN_MARGIN_MS as u64 / 1000)
        .max(60);
    if let Ok(put) = kv.put(key, json) {
        let _ = put.expiration_ttl(ttl).execute().await;
    }
}

async fn forget_token(cx: &impl Outbound) {
    TOKEN.with(|c| *c.borrow_mut() = None);
    if let (Ok(kv), Ok(app)) = (cx.env().kv("CACHE"), app(cx)) {
        let _ = kv.delete(&kv_key(&app)).await;
    }
}

//! Alipay: `alipay.system.oauth.token` and template messages through the open-platform
//! gateway, signed with the app's RSA key; each answer's signature is checked with Alipay's
//! public key (in the shared parsers).

use super::{base, call, Outbound};
use crate::auth::key_error;
use crate::clock::system_now;
use crate::cx::Cx;
use crate::webcrypto::{Rsa2KeyRefused, WebCryptoContentKey, WebCryptoRsa2};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::rc::Rc;
use yuyue_shared::auth::tokens::KeyError;
use yuyue_shared::domain::Phone;
use yuyue_shared::providers::alipay::{parse_oauth_token, AlipayApp, AlipayUser, OAUTH_METHOD};
use yuyue_shared::providers::alipay_message::{
    parse_template_message_send, template_message_send, TemplateAnswer, SEND_METHOD,
};
use yuyue_shared::providers::alipay_phone;
use yuyue_shared::ApiResult;

thread_local! {
    /// Importing an RSA private key costs milliseconds; keep it per isolate, keyed by its config.
    static APP: RefCell<Option<(String, Rc<AlipayApp>)>> = const { RefCell::new(None) };
    /// The imported content key, by its config.
    static CONTENT_KEY: RefCell<Option<(String, Rc<WebCryptoContentKey>)>> = const { RefCell::new(None) };
}

async fn app(cx: &impl Outbound) -> ApiResult<Rc<AlipayApp>> {
    let app_id = cx.required_config("ALIPAY_APPID")?;
    let private = cx.required_config("ALIPAY_APP_PRIVATE_KEY")?;
    let public = cx.required_config("ALIPAY_PUBLIC_KEY")?;
    let fingerprint = format!("{app_id}\n{private}\n{public}");
    if let Some(app) = APP.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(f, _)| *f == fingerprint)
            .map(|(_, a)| Rc::clone(a))
    }) {
        return Ok(app);
    }
    let keys = WebCryptoRsa2::import(&private, &public)
        .await
        .map_err(|refused| {
            key_error(KeyError(match refused {
                Rsa2KeyRefused::Private => "ALIPAY_APP_PRIVATE_KEY",
                Rsa2KeyRefused::Public => "ALIPAY_PUBLIC_KEY",
            }))
        })?;
    let app = Rc::new(AlipayApp::with_keys(&app_id, Rc::new(keys)).map_err(key_error)?);
    APP.with(|c| *c.borrow_mut() = Some((fingerprint, Rc::clone(&app))));
    Ok(app)
}

/// The account behind a `my.getAuthCode()` code. The gateway's timestamp check is against real
/// time, so the system clock signs the request whatever the dev clock says.
pub async fn auth_code_to_user(cx: &Cx, auth_code: &str) -> ApiResult<AlipayUser> {
    let app = app(cx).await?;
    let gateway = base(cx, "ALIPAY_GATEWAY")?;
    let request = app.oauth_token(&gateway, auth_code, system_now()).await?;
    call(
        cx,
        "alipay",
        OAUTH_METHOD,
        &request,
        async |status, body| parse_oauth_token(&app, status, body).await,
    )
    .await
}

/// Sends one template message to `user_id` (the `2088…` id the login gave).
pub async fn template_message(
    out: &impl Outbound,
    (user_id, template_id): (&str, &str),
    page: &str,
    fields: &Map<String, Value>,
) -> ApiResult<TemplateAnswer> {
    let app = app(out).await?;
    let gateway = base(out, "ALIPAY_GATEWAY")?;
    let request = template_message_send(
        &app,
        &gateway,
        (user_id, template_id),
        page,
        fields,
        system_now(),
    )
    .await?;
    call(
        out,
        "alipay",
        SEND_METHOD,
        &request,
        async |status, body| parse_template_message_send(&app, status, body).await,
    )
    .await
}

/// The number `my.getPhoneNumber` sealed for this app: Alipay's signature checked with its public
/// key, the content opened with the app's content key (`ALIPAY_AES_KEY`). No gateway call.
pub async fn phone_number(cx: &Cx, response: &str) -> ApiResult<Phone> {
    let app = app(cx).await?;
    let configured = cx.required_config("ALIPAY_AES_KEY")?;
    let cached = CONTENT_KEY.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(f, _)| *f == configured)
            .map(|(_, k)| Rc::clone(k))
    });
    let key = match cached {
        Some(key) => key,
        None => {
            let key = Rc::new(
                WebCryptoContentKey::import(&configured)
                    .await
                    .ok_or_else(|| key_error(KeyError("ALIPAY_AES_KEY")))?,
            );
            CONTENT_KEY.with(|c| *c.borrow_mut() = Some((configured, Rc::clone(&key))));
            key
        }
    };
    alipay_phone::phone_number(&app, key.as_ref(), response).await
}

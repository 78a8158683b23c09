//! The login function's use cases, written against the storage traits: signing in, refreshing
//! and logging out ([`session`]), real-name binding ([`identity`]), phone binding, and the
//! account view ([`view`]). Provider calls happen before these (the adapter), so each use case
//! starts from what a provider already vouched for.

use crate::t;
pub mod identity;
pub mod requests;
pub mod session;
pub mod view;

#[cfg(test)]
mod tests;

use crate::domain::Phone;
use crate::error::{ApiError, ApiResult};
use crate::providers::parse_client_code;
use crate::store::{Applicants, Platform, User, Users};
use requests::PhoneBody;
use view::{user_view, BoundPhoneView};

/// What vouches for a phone number, by the account's platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneProof {
    /// The code WeChat's getPhoneNumber button gave, exchanged with WeChat.
    Wechat(String),
    /// The `response` of Alipay's `my.getPhoneNumber`, sealed and signed by Alipay.
    Alipay(String),
}

/// The proof a phone binding must carry for `user`'s platform: a WeChat account's `code`, an
/// Alipay account's `response`; the other field, or none, is a `400` naming the one expected.
pub fn phone_proof(user: &User, body: &PhoneBody) -> ApiResult<PhoneProof> {
    match user.platform {
        Platform::Wechat => {
            let code = body.code.as_deref().unwrap_or_default();
            Ok(PhoneProof::Wechat(parse_client_code("code", code)?))
        }
        Platform::Alipay => match body.response.as_deref() {
            Some(r) if !r.trim().is_empty() => Ok(PhoneProof::Alipay(r.to_owned())),
            _ => Err(ApiError::invalid("response", t!("login.bad_phone_code"))
                .with_details(serde_json::json!({ "field": "response", "reason": "missing" }))),
        },
    }
}

pub async fn bind_phone<S: Users + Applicants>(
    store: &S,
    user: &User,
    phone: &Phone,
) -> ApiResult<BoundPhoneView> {
    store.set_phone(&user.id, phone).await?;
    let user = User {
        phone: Some(phone.clone()),
        ..user.clone()
    };
    Ok(BoundPhoneView {
        user: user_view(store, &user).await?,
        phone_number: phone.as_str().to_owned(),
    })
}

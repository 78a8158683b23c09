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
use crate::store::{Applicants, Platform, User, Users};
use view::{user_view, BoundPhoneView};

/// The phone comes from WeChat's `getuserphonenumber`, which only WeChat accounts can use.
pub fn require_wechat(user: &User) -> ApiResult<()> {
    if user.platform == Platform::Wechat {
        Ok(())
    } else {
        Err(ApiError::invalid("code", t!("login.phone_not_supported"))
            .with_details(serde_json::json!({ "field": "code", "reason": "unsupported_platform" })))
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

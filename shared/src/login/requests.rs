//! The login function's request bodies, as `API.md` names their fields.

use crate::domain::PersonFields;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct WechatLogin {
    pub code: String,
}

#[derive(Deserialize)]
pub struct AlipayLogin {
    pub auth_code: String,
}

#[derive(Deserialize)]
pub struct RefreshBody {
    pub refresh_token: String,
}

/// `{"name", "name_zh"?, one of "id_number" | "passport" | "permanent_residence_id",
/// "verify_token"}`.
#[derive(Deserialize)]
pub struct IdentityBody {
    #[serde(flatten)]
    pub person: PersonFields,
    pub verify_token: String,
}

/// `{"code"}` from WeChat's getPhoneNumber button, or `{"response"}`, the sealed text Alipay's
/// `my.getPhoneNumber` gives: which one the account's platform decides ([`crate::login::phone_proof`]).
#[derive(Deserialize)]
pub struct PhoneBody {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub response: Option<String>,
}

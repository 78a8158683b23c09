//! The login function's request bodies, as `API.md` names their fields.

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

#[derive(Deserialize)]
pub struct IdentityBody {
    pub name: String,
    pub id_number: String,
    pub verify_token: String,
}

#[derive(Deserialize)]
pub struct PhoneBody {
    pub code: String,
}

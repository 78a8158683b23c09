//! The account as the login endpoints and `GET /v1/me` show it: personal data masked, since the
//! mini-program only needs to show the user that it is theirs.

use crate::error::{ApiError, ApiResult};
use crate::mask;
use crate::store::{Applicants, Platform, User};
use crate::time;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserView {
    pub user_id: String,
    pub platform: Platform,
    /// `138****5678`, once a phone is bound.
    pub phone: Option<String>,
    pub identity_bound: bool,
    pub identity: Option<IdentityView>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdentityView {
    /// The user's own applicant: what `POST /v1/bookings` takes to book for oneself.
    pub applicant_id: String,
    /// `张*`
    pub name: String,
    /// `1101**********002X`
    pub id_number: String,
}

pub async fn user_view<S: Applicants>(store: &S, user: &User) -> ApiResult<UserView> {
    let identity = match &user.applicant_id {
        None => None,
        Some(id) => {
            // The binding points at the row; a missing row is a broken database, not a state.
            let a = store.applicant(id).await?.ok_or_else(ApiError::internal)?;
            Some(IdentityView {
                applicant_id: a.id.as_str().to_owned(),
                name: mask::mask_name(&a.name),
                id_number: a.document.masked.clone(),
            })
        }
    };
    Ok(UserView {
        user_id: user.id.as_str().to_owned(),
        platform: user.platform,
        phone: user.phone.as_ref().map(mask::mask_phone),
        identity_bound: identity.is_some(),
        identity,
        created_at: time::rfc3339(&user.created_at),
    })
}

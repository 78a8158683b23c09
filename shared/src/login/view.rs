//! The account as the login endpoints and `GET /v1/me` show it: personal data masked, since the
//! mini-program only needs to show the user that it is theirs.

use crate::domain::mask;
use crate::error::{ApiError, ApiResult};
use crate::store::{Applicants, DocumentView, Platform, User};
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

/// The answer to binding a phone: the user as every answer shows them (`phone` masked), and the
/// number just confirmed, whole, to its owner alone: the booking form is filled with it, so the
/// number is not typed again by hand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundPhoneView {
    #[serde(flatten)]
    pub user: UserView,
    pub phone_number: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdentityView {
    /// The user's own applicant: what `POST /v1/bookings` takes to book for oneself.
    pub applicant_id: String,
    /// `张*`, `S**** J***`
    pub name: String,
    /// A foreigner's Chinese name, masked, where they gave one.
    pub name_zh: Option<String>,
    /// `1101**********002X`, for a resident ID card; `null` for a foreigner's document.
    pub id_number: Option<String>,
    /// `{"type": "id_card" | "foreign_passport" | "permanent_residence", "number": masked,
    /// "nationality"?}`
    pub document: DocumentView,
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
                name_zh: a.name_zh.as_ref().map(mask::mask_name),
                id_number: a.document.masked_id_number().map(str::to_owned),
                document: a.document.view(),
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

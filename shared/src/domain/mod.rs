//! Validated domain types: each can only hold a valid value and is parsed once at the edge.
//!
//! Parsers return a [`FieldError`] rather than an [`ApiError`] because a type does not know which
//! request field it was read from; the caller names the field with [`FieldError::at`].

use crate::error::{ApiError, ErrorCode};
use crate::i18n::{Lang, Text};
use std::fmt;

/// Serialize as `as_str()` and deserialize through `parse`, so a value read from JSON passes the
/// same validation as one read anywhere else. Defined before the submodules that use it.
macro_rules! serde_via_str {
    ($($ty:ty),*) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <String as serde::Deserialize>::deserialize(deserializer)?;
                <$ty>::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

/// `Display` as `as_str()`, only for values that are not personal data: names, phones and ID
/// numbers deliberately have none, so they cannot slip into a `format!` in clear.
macro_rules! display_as_str {
    ($($ty:ty),*) => {$(
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

pub mod booking_no;
pub mod country;
mod crockford;
pub mod document;
pub mod id_number;
pub mod ids;
pub mod mask;
pub mod name;
pub mod passport;
pub mod permanent_residence;
pub mod phone;

#[cfg(test)]
pub(crate) mod arb;

pub use booking_no::{ApplicationNo, BookingNo, InvitationCode};
pub use document::{
    parse_document, parse_person, DocumentKind, NamedPerson, PersonDocument, PersonFields,
};
pub use id_number::{IdNumber, Sex};
pub use ids::{ApplicantId, OfficeId, PeriodId, ServiceId, SessionId, UserId, WaitlistId};
pub use name::{NameScript, PersonName};
pub use passport::ForeignPassport;
pub use permanent_residence::PermanentResidenceId;
pub use phone::Phone;

/// Why a value was rejected. `reason` is a stable snake_case string clients may branch on;
/// `message` is the catalog key of the text shown to the user ([`crate::i18n`]). Neither ever
/// contains the rejected input, which may be personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    pub reason: &'static str,
    pub message: &'static str,
}

impl FieldError {
    pub const fn new(reason: &'static str, message: &'static str) -> Self {
        FieldError { reason, message }
    }

    /// The 400 INVALID_ARGUMENT for this failure on request field `field`.
    pub fn at(self, field: &str) -> ApiError {
        ApiError::new(ErrorCode::InvalidArgument)
            .with_message(self.text())
            .with_details(serde_json::json!({ "field": field, "reason": self.reason }))
    }

    pub fn text(self) -> Text {
        Text::new(self.message)
    }
}

/// The Chinese text, for places that report without a request (configuration checks).
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text().render(Lang::Zh))
    }
}

impl std::error::Error for FieldError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn at_builds_an_invalid_argument_naming_field_and_reason() {
        let err = FieldError::new("bad_check_digit", "id_number.bad_check_digit").at("id_number");
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert_eq!(err.status(), 400);
        assert_eq!(
            err.message.render(Lang::Zh),
            "身份证号校验位有误，请核对后重新输入"
        );
        assert_eq!(
            err.details,
            Some(json!({ "field": "id_number", "reason": "bad_check_digit" }))
        );
    }

    #[test]
    fn display_is_the_user_message() {
        assert_eq!(
            FieldError::new("x", "phone.not_mobile").to_string(),
            "请输入中国大陆手机号"
        );
    }
}

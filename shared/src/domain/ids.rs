//! Identifiers of the catalog: services, offices (certificate halls) and their time periods.
//! They come from URLs and config, so they are matched exactly, never case-folded or trimmed.

use super::{DocumentKind, FieldError};
use crate::entropy::Entropy;

const UNKNOWN_SERVICE: FieldError = FieldError::new("unknown_service", "service.unknown_service");
const BAD_OFFICE_ID: FieldError = FieldError::new("bad_office_id", "office.bad_office_id");
const BAD_PERIOD_ID: FieldError = FieldError::new("bad_period_id", "period.bad_period_id");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceId {
    Passport,
    HkMacauPermit,
    TaiwanPermit,
    VisaExtension,
    VisaRenewal,
    VisaReissue,
    ResidencePermit,
    IdCard,
}

impl ServiceId {
    pub const ALL: [ServiceId; 8] = [
        ServiceId::Passport,
        ServiceId::HkMacauPermit,
        ServiceId::TaiwanPermit,
        ServiceId::VisaExtension,
        ServiceId::VisaRenewal,
        ServiceId::VisaReissue,
        ServiceId::ResidencePermit,
        ServiceId::IdCard,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceId::Passport => "passport",
            ServiceId::HkMacauPermit => "hk_macau_permit",
            ServiceId::TaiwanPermit => "taiwan_permit",
            ServiceId::VisaExtension => "visa_extension",
            ServiceId::VisaRenewal => "visa_renewal",
            ServiceId::VisaReissue => "visa_reissue",
            ServiceId::ResidencePermit => "residence_permit",
            ServiceId::IdCard => "id_card",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        ServiceId::ALL
            .into_iter()
            .find(|id| id.as_str() == s)
            .ok_or(UNKNOWN_SERVICE)
    }

    /// Offices that require a photo receipt number (the office's photo booth's) require it for
    /// ID-card applications only.
    pub fn needs_photo_receipt(self, office_requires: bool) -> bool {
        office_requires && self == ServiceId::IdCard
    }

    /// Visa and residence services are for foreigners (a passport, or the permanent residence
    /// card that replaces one at the counter); the rest are for Chinese citizens.
    pub fn accepted_documents(self) -> &'static [DocumentKind] {
        match self {
            ServiceId::VisaExtension
            | ServiceId::VisaRenewal
            | ServiceId::VisaReissue
            | ServiceId::ResidencePermit => &[
                DocumentKind::ForeignPassport,
                DocumentKind::PermanentResidence,
            ],
            ServiceId::Passport
            | ServiceId::HkMacauPermit
            | ServiceId::TaiwanPermit
            | ServiceId::IdCard => &[DocumentKind::IdCard],
        }
    }
}

/// An office (certificate hall) slug such as `bj-chaoyang`: `[a-z0-9]+(-[a-z0-9]+)*`, 3..=40.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OfficeId(String);

impl OfficeId {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let b = s.as_bytes();
        let ok = (3..=40).contains(&b.len())
            && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
            && !s.contains("--");
        if ok {
            Ok(OfficeId(s.to_owned()))
        } else {
            Err(BAD_OFFICE_ID)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A bookable period of an office's day such as `am-1`: `[a-z0-9-]`, 1..=16.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeriodId(String);

impl PeriodId {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let b = s.as_bytes();
        let ok = (1..=16).contains(&b.len()) && b.iter().all(|&c| is_lower_alnum(c) || c == b'-');
        if ok {
            Ok(PeriodId(s.to_owned()))
        } else {
            Err(BAD_PERIOD_ID)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

display_as_str!(ServiceId, OfficeId, PeriodId);
serde_via_str!(ServiceId, OfficeId, PeriodId);

macro_rules! string_id {
    ($(#[$doc:meta] $name:ident, $prefix:literal, $min:literal, $error:expr);* $(;)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The id as it comes from a request, a token or a row: `[A-Za-z0-9_-]`, of a length
            /// an id we made could have.
            pub fn parse(s: &str) -> Result<Self, FieldError> {
                let ok = ($min..=64).contains(&s.len())
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                ok.then(|| $name(s.to_owned())).ok_or($error)
            }

            /// A new id: the kind's prefix and 128 random bits.
            pub fn generate(entropy: &mut Entropy) -> Self {
                $name(entropy.id($prefix))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*
    serde_via_str!($($name),*);
    };
}

string_id!(
    /// An account: one per (platform, openid).
    UserId, "u", 1, FieldError::new("bad_user_id", "auth.bad_user_id");
    /// A person bookings are made for (业务办理人): a user's own identity or a principal.
    ApplicantId, "a", 3, FieldError::new("bad_applicant_id", "booking.bad_applicant_id");
    /// One login; refresh tokens rotate within it and a reuse revokes all of it.
    SessionId, "s", 1, FieldError::new("bad_session_id", "auth.bad_session_id");
    /// A place in a period's waitlist (候补): derived from who joined and under which key.
    WaitlistId, "w", 3, FieldError::new("bad_waitlist_id", "waitlist.bad_waitlist_id");
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn service_ids_are_the_contract_strings() {
        let names: Vec<&str> = ServiceId::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "passport",
                "hk_macau_permit",
                "taiwan_permit",
                "visa_extension",
                "visa_renewal",
                "visa_reissue",
                "residence_permit",
                "id_card",
            ]
        );
        for id in ServiceId::ALL {
            assert_eq!(ServiceId::parse(id.as_str()), Ok(id));
            let json = serde_json::to_value(id).unwrap();
            assert_eq!(json, serde_json::json!(id.as_str()));
            assert_eq!(serde_json::from_value::<ServiceId>(json).unwrap(), id);
            assert_eq!(id.to_string(), id.as_str());
        }
    }

    #[test]
    fn unknown_services_are_rejected_exactly() {
        for bad in ["", "Passport", "passport ", "visa", "hk-macau-permit"] {
            assert_eq!(ServiceId::parse(bad).unwrap_err().reason, "unknown_service");
        }
        assert!(serde_json::from_str::<ServiceId>(r#""visa""#).is_err());
    }

    #[test]
    fn only_visa_and_residence_services_take_foreigners_documents() {
        for id in ServiceId::ALL {
            let foreign = id.as_str().starts_with("visa_") || id == ServiceId::ResidencePermit;
            for kind in DocumentKind::ALL {
                assert_eq!(
                    id.accepted_documents().contains(&kind),
                    kind.is_foreign() == foreign,
                    "{id} {kind:?}"
                );
            }
        }
    }

    #[test]
    fn office_ids_are_slugs() {
        for ok in ["bj-chaoyang", "sh1", "a-b", "gz-tianhe-2", &"a".repeat(40)] {
            assert_eq!(OfficeId::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "ab",
            "-bj",
            "bj-",
            "bj--cy",
            "BJ-chaoyang",
            "bj_cy",
            "bj cy",
            &"a".repeat(41),
        ] {
            assert_eq!(
                OfficeId::parse(bad).unwrap_err().reason,
                "bad_office_id",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn period_ids_are_short_lowercase_tokens() {
        for ok in ["am-1", "a", "pm", &"9".repeat(16)] {
            assert_eq!(PeriodId::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "AM-1", "am_1", "am 1", &"a".repeat(17)] {
            assert_eq!(
                PeriodId::parse(bad).unwrap_err().reason,
                "bad_period_id",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn ids_serialize_as_strings() {
        let office: OfficeId = serde_json::from_str(r#""bj-chaoyang""#).unwrap();
        assert_eq!(serde_json::to_string(&office).unwrap(), r#""bj-chaoyang""#);
        assert!(serde_json::from_str::<OfficeId>(r#""BJ""#).is_err());
        let period: PeriodId = serde_json::from_str(r#""am-1""#).unwrap();
        assert_eq!(period.to_string(), "am-1");
        assert!(serde_json::from_str::<PeriodId>(r#""""#).is_err());
    }

    proptest! {
        #[test]
        fn generated_slugs_parse(s in "[a-z0-9]{3,10}(-[a-z0-9]{1,5}){0,4}") {
            let id = OfficeId::parse(&s).unwrap();
            prop_assert_eq!(id.as_str(), s.as_str());
        }

        #[test]
        fn any_character_outside_the_slug_alphabet_is_rejected(
            prefix in "[a-z0-9]{2,10}",
            bad in "[^a-z0-9-]",
        ) {
            let s = format!("{prefix}{bad}x");
            prop_assert!(OfficeId::parse(&s).is_err());
            prop_assert!(PeriodId::parse(&s).is_err());
        }
    }
}

//! Foreigners' passports, the document of the visa and residence services.

use super::country;
use super::FieldError;
use crate::domain::mask;
use serde::{Deserialize, Serialize};
use std::fmt;

const BAD_PASSPORT_NO: FieldError = FieldError::new("bad_passport_no", "passport.bad_passport_no");
const BAD_NATIONALITY: FieldError = FieldError::new("bad_nationality", "passport.bad_nationality");
const UNKNOWN_NATIONALITY: FieldError =
    FieldError::new("unknown_nationality", "passport.unknown_nationality");
const NOT_FOREIGN: FieldError = FieldError::new(
    "not_foreign_nationality",
    "passport.not_foreign_nationality",
);

/// Nationality codes of people who are not foreigners under Chinese exit-entry law: citizens
/// book with their ID card, and Hong Kong, Macao and Taiwan residents hold permits, not visas.
const NOT_FOREIGN_CODES: [&str; 4] = ["CHN", "HKG", "MAC", "TWN"];

/// A foreign passport. The reasons name the failing part (`bad_passport_no` versus
/// `bad_nationality`/`not_foreign_nationality`) so a caller can point at the right field.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ForeignPassport {
    number: String,
    nationality: String,
}

impl ForeignPassport {
    pub fn parse(number: &str, nationality: &str) -> Result<Self, FieldError> {
        let number = number.trim().to_ascii_uppercase();
        let number_ok = (5..=17).contains(&number.len())
            && number
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && number.bytes().any(|b| b.is_ascii_digit());
        if !number_ok {
            return Err(BAD_PASSPORT_NO);
        }
        let nationality = nationality.trim().to_ascii_uppercase();
        if nationality.len() != 3 || !nationality.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(BAD_NATIONALITY);
        }
        if NOT_FOREIGN_CODES.contains(&nationality.as_str()) {
            return Err(NOT_FOREIGN);
        }
        if !country::is_known(&nationality) {
            return Err(UNKNOWN_NATIONALITY);
        }
        Ok(ForeignPassport {
            number,
            nationality,
        })
    }

    pub fn number(&self) -> &str {
        &self.number
    }

    /// ISO 3166-1 alpha-3, uppercase.
    pub fn nationality(&self) -> &str {
        &self.nationality
    }
}

impl fmt::Debug for ForeignPassport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForeignPassport")
            .field("number", &mask::mask_passport(self))
            .field("nationality", &self.nationality)
            .finish()
    }
}

/// The wire and storage shape, `{"number": …, "nationality": …}`, in clear.
#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    number: std::borrow::Cow<'a, str>,
    nationality: std::borrow::Cow<'a, str>,
}

impl Serialize for ForeignPassport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Wire {
            number: self.number.as_str().into(),
            nationality: self.nationality.as_str().into(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ForeignPassport {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        ForeignPassport::parse(&wire.number, &wire.nationality).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reason(number: &str, nationality: &str) -> &'static str {
        ForeignPassport::parse(number, nationality)
            .unwrap_err()
            .reason
    }

    #[test]
    fn number_and_nationality_are_normalized() {
        let p = ForeignPassport::parse(" e1234567x ", " usa").unwrap();
        assert_eq!(p.number(), "E1234567X");
        assert_eq!(p.nationality(), "USA");
        assert!(ForeignPassport::parse("12345", "DEU").is_ok());
        assert!(ForeignPassport::parse(&"A1".repeat(8), "GBR").is_ok());
    }

    #[test]
    fn numbers_are_5_to_17_letters_or_digits_with_a_digit() {
        for bad in [
            "",
            "A123",
            "ABCDEFGH",
            &"1".repeat(18),
            "E123-4567",
            "E 1234567",
            "É1234567",
        ] {
            assert_eq!(reason(bad, "USA"), "bad_passport_no", "{bad:?}");
        }
    }

    #[test]
    fn nationality_is_three_letters_and_foreign() {
        for bad in ["", "US", "USAA", "U5A", "ÜSA"] {
            assert_eq!(reason("E1234567", bad), "bad_nationality", "{bad:?}");
        }
        for not_foreign in ["CHN", "chn", "HKG", "MAC", "TWN"] {
            assert_eq!(reason("E1234567", not_foreign), "not_foreign_nationality");
        }
    }

    #[test]
    fn nationality_is_a_real_code() {
        for unknown in ["XYZ", "YUG", "AAA"] {
            assert_eq!(
                reason("E1234567", unknown),
                "unknown_nationality",
                "{unknown}"
            );
        }
        for known in ["USA", "gbr", "DEU", "XXA"] {
            assert!(ForeignPassport::parse("E1234567", known).is_ok(), "{known}");
        }
    }

    #[test]
    fn the_number_is_checked_first() {
        assert_eq!(reason("x", "CHN"), "bad_passport_no");
    }

    #[test]
    fn debug_masks_the_number() {
        let p = ForeignPassport::parse("E12345678", "USA").unwrap();
        let debug = format!("{p:?}");
        assert!(!debug.contains("E12345678"), "{debug}");
        assert!(debug.contains("E1*****78"), "{debug}");
    }

    #[test]
    fn serde_round_trips_through_parse() {
        let p: ForeignPassport =
            serde_json::from_str(r#"{"number":"e12345678","nationality":"usa"}"#).unwrap();
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({"number": "E12345678", "nationality": "USA"})
        );
        assert!(
            serde_json::from_str::<ForeignPassport>(r#"{"number":"E1","nationality":"USA"}"#)
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn valid_numbers_parse_uppercased(
            number in "[a-zA-Z0-9]{4,16}[0-9]",
            nationality in proptest::sample::select(country::ISO_3166_ALPHA3.to_vec()),
        ) {
            prop_assume!(!NOT_FOREIGN_CODES.contains(&nationality));
            let p = ForeignPassport::parse(&number, &nationality.to_ascii_lowercase()).unwrap();
            prop_assert_eq!(p.number(), number.to_ascii_uppercase());
            prop_assert_eq!(p.nationality(), nationality);
        }
    }
}

//! Foreigners' passports (for visa and residence services) and the choice between them and the
//! ID card as the document a person books with.

use super::{FieldError, IdNumber};
use crate::mask;
use serde::{Deserialize, Serialize};
use std::fmt;

const BAD_PASSPORT_NO: FieldError = FieldError::new("bad_passport_no", "passport.bad_passport_no");
const BAD_NATIONALITY: FieldError = FieldError::new("bad_nationality", "passport.bad_nationality");
const NOT_FOREIGN: FieldError = FieldError::new(
    "not_foreign_nationality",
    "passport.not_foreign_nationality",
);

/// Nationality codes of people who are not foreigners under Chinese exit-entry law: citizens
/// book with their ID card, and Hong Kong, Macao and Taiwan residents hold permits, not visas.
const NOT_FOREIGN_CODES: [&str; 4] = ["CHN", "HKG", "MAC", "TWN"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    IdCard,
    ForeignPassport,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::IdCard => "id_card",
            DocumentKind::ForeignPassport => "foreign_passport",
        }
    }
}

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

/// The identity document a person books with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PersonDocument {
    IdCard(IdNumber),
    ForeignPassport(ForeignPassport),
}

impl PersonDocument {
    pub fn kind(&self) -> DocumentKind {
        match self {
            PersonDocument::IdCard(_) => DocumentKind::IdCard,
            PersonDocument::ForeignPassport(_) => DocumentKind::ForeignPassport,
        }
    }

    /// The document number as responses and logs may show it.
    pub fn masked(&self) -> String {
        match self {
            PersonDocument::IdCard(id) => mask::mask_id(id),
            PersonDocument::ForeignPassport(p) => mask::mask_passport(p),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::arb;
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
    fn the_number_is_checked_first() {
        assert_eq!(reason("x", "CHN"), "bad_passport_no");
    }

    #[test]
    fn document_kind_uses_snake_case() {
        assert_eq!(
            serde_json::to_value(DocumentKind::ForeignPassport).unwrap(),
            serde_json::json!("foreign_passport")
        );
        for kind in [DocumentKind::IdCard, DocumentKind::ForeignPassport] {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, serde_json::json!(kind.as_str()));
            assert_eq!(serde_json::from_value::<DocumentKind>(json).unwrap(), kind);
        }
    }

    #[test]
    fn debug_masks_the_number() {
        let p = ForeignPassport::parse("E12345678", "USA").unwrap();
        let debug = format!("{p:?}");
        assert!(!debug.contains("E12345678"), "{debug}");
        assert!(debug.contains("E1*****78"), "{debug}");
        let doc = format!("{:?}", PersonDocument::ForeignPassport(p));
        assert!(!doc.contains("E12345678"), "{doc}");
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

    #[test]
    fn person_documents_report_kind_and_mask() {
        let id = IdNumber::parse("11010519491231002X", arb::TODAY).unwrap();
        let doc = PersonDocument::IdCard(id);
        assert_eq!(doc.kind(), DocumentKind::IdCard);
        assert_eq!(doc.masked(), "1101**********002X");
        let p = ForeignPassport::parse("E12345678", "USA").unwrap();
        let doc = PersonDocument::ForeignPassport(p);
        assert_eq!(doc.kind(), DocumentKind::ForeignPassport);
        assert_eq!(doc.masked(), "E1*****78");
    }

    proptest! {
        #[test]
        fn valid_numbers_parse_uppercased(
            number in "[a-zA-Z0-9]{4,16}[0-9]",
            nationality in "[A-Z]{3}",
        ) {
            prop_assume!(!NOT_FOREIGN_CODES.contains(&nationality.as_str()));
            let p = ForeignPassport::parse(&number, &nationality.to_ascii_lowercase()).unwrap();
            prop_assert_eq!(p.number(), number.to_ascii_uppercase());
            prop_assert_eq!(p.nationality(), nationality);
        }
    }
}

//! The one document that names a person: a resident ID card, a foreign passport, or a
//! foreigner's permanent residence ID card; and how a request body gives it.

use super::{FieldError, ForeignPassport, IdNumber, NameScript, PermanentResidenceId, PersonName};
use crate::domain::mask;
use crate::error::ApiResult;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    IdCard,
    ForeignPassport,
    PermanentResidence,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [
        DocumentKind::IdCard,
        DocumentKind::ForeignPassport,
        DocumentKind::PermanentResidence,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::IdCard => "id_card",
            DocumentKind::ForeignPassport => "foreign_passport",
            DocumentKind::PermanentResidence => "permanent_residence",
        }
    }

    /// A foreigner's document: the visa and residence services take these and only these.
    pub fn is_foreign(self) -> bool {
        !matches!(self, DocumentKind::IdCard)
    }
}

/// The identity document a person books with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PersonDocument {
    IdCard(IdNumber),
    ForeignPassport(ForeignPassport),
    PermanentResidence(PermanentResidenceId),
}

impl PersonDocument {
    pub fn kind(&self) -> DocumentKind {
        match self {
            PersonDocument::IdCard(_) => DocumentKind::IdCard,
            PersonDocument::ForeignPassport(_) => DocumentKind::ForeignPassport,
            PersonDocument::PermanentResidence(_) => DocumentKind::PermanentResidence,
        }
    }

    /// The whole number, for the keyed hash, the sealed column and the face check only.
    pub fn number(&self) -> &str {
        match self {
            PersonDocument::IdCard(id) => id.as_str(),
            PersonDocument::ForeignPassport(p) => p.number(),
            PersonDocument::PermanentResidence(pr) => pr.as_str(),
        }
    }

    /// The document number as responses and logs may show it: `1101**********002X`,
    /// `E1*****78`, `9118**********001X`.
    pub fn masked(&self) -> String {
        match self {
            PersonDocument::IdCard(id) => mask::mask_id(id),
            PersonDocument::ForeignPassport(p) => mask::mask_passport(p),
            PersonDocument::PermanentResidence(pr) => mask::mask_id_str(pr.as_str()),
        }
    }

    /// The birth date the number carries; a passport's is not in our data.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        match self {
            PersonDocument::IdCard(id) => Some(id.birth_date()),
            PersonDocument::ForeignPassport(_) => None,
            PersonDocument::PermanentResidence(pr) => Some(pr.birth_date()),
        }
    }

    /// ISO 3166-1 alpha-3 of a passport.
    pub fn nationality(&self) -> Option<&str> {
        match self {
            PersonDocument::ForeignPassport(p) => Some(p.nationality()),
            _ => None,
        }
    }
}

/// A passport as a body gives it: `{"number", "nationality"}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PassportFields {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub nationality: String,
}

/// Where a body names a person (`POST /v1/me/identity`, `POST /v1/applicants`): exactly one of
/// the three documents, a name as the document prints it, and for a foreigner optionally the
/// Chinese name they also go by.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PersonFields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub name_zh: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub passport: Option<PassportFields>,
    #[serde(default)]
    pub permanent_residence_id: Option<String>,
}

/// A person as validated from [`PersonFields`].
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPerson {
    pub name: PersonName,
    pub name_zh: Option<PersonName>,
    pub document: PersonDocument,
}

const LATIN_REQUIRED: FieldError = FieldError::new("latin_name_required", "name.latin_required");
const HAN_REQUIRED: FieldError = FieldError::new("han_name_required", "name.han_required");

const DOCUMENT_REQUIRED: FieldError = FieldError::new("document_required", "document.required");
const ONE_DOCUMENT_ONLY: FieldError = FieldError::new("one_document_only", "document.only_one");

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The one document in `fields`, each failure naming its field (`id_number`,
/// `passport.number`, `passport.nationality`, `permanent_residence_id`); none or two at once
/// is `document` with `document_required` / `one_document_only`.
pub fn parse_document(fields: &PersonFields, today: NaiveDate) -> ApiResult<PersonDocument> {
    let passport = fields.passport.as_ref();
    let present = [
        given(&fields.id_number).is_some(),
        passport.is_some(),
        given(&fields.permanent_residence_id).is_some(),
    ];
    match present.iter().filter(|p| **p).count() {
        0 => return Err(DOCUMENT_REQUIRED.at("document")),
        1 => {}
        _ => return Err(ONE_DOCUMENT_ONLY.at("document")),
    }
    if let Some(raw) = given(&fields.id_number) {
        return IdNumber::parse(raw, today)
            .map(PersonDocument::IdCard)
            .map_err(|e| e.at("id_number"));
    }
    if let Some(raw) = given(&fields.permanent_residence_id) {
        return PermanentResidenceId::parse(raw, today)
            .map(PersonDocument::PermanentResidence)
            .map_err(|e| e.at("permanent_residence_id"));
    }
    let p = passport.cloned().unwrap_or_default();
    ForeignPassport::parse(&p.number, &p.nationality)
        .map(PersonDocument::ForeignPassport)
        .map_err(|e| {
            let field = if e.reason == "bad_passport_no" {
                "passport.number"
            } else {
                "passport.nationality"
            };
            e.at(field)
        })
}

/// The person in `fields`: the name in the script of the document (Latin letters as printed
/// in a foreigner's passport or card, Han characters on a resident ID card), and a Chinese
/// name only beside a foreigner's Latin one.
pub fn parse_person(fields: &PersonFields, today: NaiveDate) -> ApiResult<NamedPerson> {
    let name = PersonName::parse(&fields.name).map_err(|e| e.at("name"))?;
    let document = parse_document(fields, today)?;
    let foreign = document.kind().is_foreign();
    match (foreign, name.script()) {
        (true, NameScript::Han) => return Err(LATIN_REQUIRED.at("name")),
        (false, NameScript::Latin) => return Err(HAN_REQUIRED.at("name")),
        _ => {}
    }
    let name_zh = match given(&fields.name_zh) {
        None => None,
        Some(_) if !foreign => {
            return Err(FieldError::new("foreigners_only", "name.zh_for_foreigners").at("name_zh"))
        }
        Some(raw) => {
            let zh = PersonName::parse(raw).map_err(|e| e.at("name_zh"))?;
            if zh.script() != NameScript::Han {
                return Err(HAN_REQUIRED.at("name_zh"));
            }
            Some(zh)
        }
    };
    Ok(NamedPerson {
        name,
        name_zh,
        document,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::arb;
    use crate::error::ErrorCode;
    use proptest::prelude::*;
    use serde_json::json;

    const ID: &str = "11010519491231002X";

    fn fields(v: serde_json::Value) -> PersonFields {
        serde_json::from_value(v).unwrap()
    }

    fn refused(v: serde_json::Value) -> (String, String) {
        let e = parse_person(&fields(v), arb::TODAY).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument);
        let d = e.details.unwrap();
        (
            d["field"].as_str().unwrap().to_owned(),
            d["reason"].as_str().unwrap_or("").to_owned(),
        )
    }

    #[test]
    fn each_document_parses_with_its_kind_mask_and_birth_date() {
        let p = parse_person(
            &fields(json!({"name": "张三", "id_number": ID})),
            arb::TODAY,
        )
        .unwrap();
        assert_eq!(p.document.kind(), DocumentKind::IdCard);
        assert_eq!(p.document.masked(), "1101**********002X");
        assert!(p.document.birth_date().is_some());

        let p = parse_person(
            &fields(json!({"name": "smith john", "passport": {"number": "e12345678", "nationality": "usa"}})),
            arb::TODAY,
        )
        .unwrap();
        assert_eq!(p.name.as_str(), "SMITH JOHN");
        assert_eq!(p.document.kind(), DocumentKind::ForeignPassport);
        assert_eq!(p.document.number(), "E12345678");
        assert_eq!(p.document.masked(), "E1*****78");
        assert_eq!(p.document.nationality(), Some("USA"));
        assert_eq!(p.document.birth_date(), None);

        let pr = arb::with_check("91184019850412001");
        let p = parse_person(
            &fields(
                json!({"name": "MUELLER ANNA", "name_zh": "安娜", "permanent_residence_id": pr}),
            ),
            arb::TODAY,
        )
        .unwrap();
        assert_eq!(p.document.kind(), DocumentKind::PermanentResidence);
        assert_eq!(p.name_zh.unwrap().as_str(), "安娜");
        assert_eq!(p.document.masked(), format!("9118**********{}", &pr[14..]));
        assert_eq!(
            p.document.birth_date(),
            NaiveDate::from_ymd_opt(1985, 4, 12)
        );
    }

    #[test]
    fn none_or_two_documents_are_refused_on_the_document_field() {
        let none = refused(json!({"name": "张三"}));
        assert_eq!(none, ("document".into(), "document_required".into()));
        assert_eq!(refused(json!({"name": "张三", "id_number": "  "})), none);
        let two = refused(
            json!({"name": "张三", "id_number": ID, "passport": {"number": "E12345678", "nationality": "USA"}}),
        );
        assert_eq!(two, ("document".into(), "one_document_only".into()));
        let pr = arb::with_check("91184019850412001");
        assert_eq!(
            refused(json!({"name": "张三", "id_number": ID, "permanent_residence_id": pr})),
            two
        );
    }

    #[test]
    fn a_bad_part_names_its_own_field() {
        let passport = |number: &str, nationality: &str| {
            refused(
                json!({"name": "SMITH JOHN", "passport": {"number": number, "nationality": nationality}}),
            )
        };
        assert_eq!(
            passport("E1", "USA"),
            ("passport.number".into(), "bad_passport_no".into())
        );
        assert_eq!(
            passport("E12345678", "XYZ"),
            ("passport.nationality".into(), "unknown_nationality".into())
        );
        assert_eq!(
            passport("E12345678", "CHN"),
            (
                "passport.nationality".into(),
                "not_foreign_nationality".into()
            )
        );
        assert_eq!(
            refused(json!({"name": "SMITH JOHN", "passport": {"number": "E12345678"}})),
            ("passport.nationality".into(), "bad_nationality".into())
        );
        assert_eq!(
            refused(json!({"name": "张三", "id_number": "110105194912310021"})),
            ("id_number".into(), "bad_check_digit".into())
        );
        assert_eq!(
            refused(json!({"name": "SMITH JOHN", "permanent_residence_id": "91184019850412001Y"})),
            ("permanent_residence_id".into(), "bad_format".into())
        );
    }

    #[test]
    fn the_name_is_in_the_script_of_the_document() {
        let passport = json!({"number": "E12345678", "nationality": "USA"});
        assert_eq!(
            refused(json!({"name": "约翰", "passport": passport})),
            ("name".into(), "latin_name_required".into())
        );
        assert_eq!(
            refused(json!({"name": "SMITH J0HN", "passport": passport})),
            ("name".into(), "bad_char".into())
        );
        assert_eq!(
            refused(json!({"name": "ZHANG SAN", "id_number": ID})),
            ("name".into(), "han_name_required".into())
        );
        assert_eq!(
            refused(json!({"name": "SMITH JOHN", "name_zh": "JOHN", "passport": passport})),
            ("name_zh".into(), "han_name_required".into())
        );
        assert_eq!(
            refused(json!({"name": "张三", "name_zh": "张三", "id_number": ID})),
            ("name_zh".into(), "foreigners_only".into())
        );
    }

    #[test]
    fn document_kinds_use_snake_case() {
        for kind in DocumentKind::ALL {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, serde_json::json!(kind.as_str()));
            assert_eq!(serde_json::from_value::<DocumentKind>(json).unwrap(), kind);
        }
        assert!(!DocumentKind::IdCard.is_foreign());
        assert!(DocumentKind::ForeignPassport.is_foreign());
        assert!(DocumentKind::PermanentResidence.is_foreign());
    }

    proptest! {
        #[test]
        fn any_valid_passport_with_a_latin_name_parses(
            number in arb::passport_number(),
            nationality in proptest::sample::select(vec!["USA", "GBR", "DEU", "JPN", "KOR", "FRA"]),
            name in arb::latin_name(),
        ) {
            let p = parse_person(&fields(json!({"name": name, "passport": {"number": number, "nationality": nationality}})), arb::TODAY).unwrap();
            prop_assert_eq!(p.document.number(), number.as_str());
            let masked = p.document.masked();
            prop_assert_eq!(masked.chars().count(), number.len());
            prop_assert!(masked.contains('*'));
        }

        #[test]
        fn any_valid_permanent_residence_id_parses(number in arb::permanent_residence_id(), name in arb::latin_name()) {
            let p = parse_person(&fields(json!({"name": name, "permanent_residence_id": number})), arb::TODAY).unwrap();
            prop_assert_eq!(p.document.kind(), DocumentKind::PermanentResidence);
            prop_assert!(!p.document.masked().contains(&number[4..14]));
        }

        #[test]
        fn two_documents_are_never_accepted(id in arb::id_number(), pr in arb::permanent_residence_id(), number in arb::passport_number()) {
            let combos = [
                json!({"name": "SMITH JOHN", "id_number": id, "permanent_residence_id": pr}),
                json!({"name": "SMITH JOHN", "id_number": id, "passport": {"number": number, "nationality": "USA"}}),
                json!({"name": "SMITH JOHN", "permanent_residence_id": pr, "passport": {"number": number, "nationality": "USA"}}),
            ];
            for c in combos {
                prop_assert_eq!(refused(c).1, "one_document_only");
            }
        }
    }
}

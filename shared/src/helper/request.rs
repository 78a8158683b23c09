//! `POST /v1/applicants` as sent, and its validation, field by field, before anything is looked
//! up or any provider is called.

use crate::domain::{parse_person, FieldError, NamedPerson, PersonFields};
use crate::error::{ApiError, ApiResult};
use crate::login::identity::parse_verify_token;
use crate::store::Relation;
use crate::t;
use chrono::NaiveDate;
use serde::Deserialize;

/// `{"name", "name_zh"?, one document, "relation", "verify_token"?, "birth_date"?}`.
#[derive(Debug, Clone, Deserialize)]
pub struct AddApplicantBody {
    #[serde(flatten)]
    pub person: PersonFields,
    pub relation: String,
    #[serde(default)]
    pub verify_token: Option<String>,
    /// For a passport, which carries none in our data: needed to add a child without consent.
    #[serde(default)]
    pub birth_date: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AddApplicant {
    pub person: NamedPerson,
    /// The document's own, or for a passport the one the body gave.
    pub birth_date: Option<NaiveDate>,
    /// What the principal is to the helper: `child` is the helper's child, `guardian` a person
    /// the helper is legal guardian of.
    pub relation: Relation,
    /// The principal's face-verification result, when they are present to consent.
    pub verify_token: Option<String>,
}

pub fn parse_relation(raw: &str) -> ApiResult<Relation> {
    let bad = || ApiError::invalid("relation", t!("helper.bad_relation"));
    let relation: Relation =
        serde_json::from_value(serde_json::Value::String(raw.to_owned())).map_err(|_| bad())?;
    // One's own record comes from real-name binding, never from here.
    if relation == Relation::Own {
        return Err(bad());
    }
    Ok(relation)
}

const BIRTH_DATE_MISMATCH: FieldError =
    FieldError::new("birth_date_mismatch", "helper.birth_date_mismatch");
const FUTURE_BIRTH_DATE: FieldError =
    FieldError::new("future_birth_date", "helper.future_birth_date");

/// A given birth date must be a real past date, and where the document carries one, the same.
fn parse_birth_date(
    raw: Option<&str>,
    person: &NamedPerson,
    today: NaiveDate,
) -> ApiResult<Option<NaiveDate>> {
    let given = match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let d = crate::time::parse_date("birth_date", s)?;
            if d > today {
                return Err(FUTURE_BIRTH_DATE.at("birth_date"));
            }
            Some(d)
        }
    };
    match (person.document.birth_date(), given) {
        (Some(own), Some(g)) if own != g => Err(BIRTH_DATE_MISMATCH.at("birth_date")),
        (Some(own), _) => Ok(Some(own)),
        (None, given) => Ok(given),
    }
}

pub fn parse_add(body: &AddApplicantBody, today: NaiveDate) -> ApiResult<AddApplicant> {
    let person = parse_person(&body.person, today)?;
    Ok(AddApplicant {
        birth_date: parse_birth_date(body.birth_date.as_deref(), &person, today)?,
        person,
        relation: parse_relation(&body.relation)?,
        verify_token: match body.verify_token.as_deref() {
            None => None,
            Some(raw) if raw.trim().is_empty() => None,
            Some(raw) => Some(parse_verify_token(raw)?),
        },
    })
}

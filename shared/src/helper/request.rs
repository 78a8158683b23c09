//! `POST /v1/applicants` as sent, and its validation, field by field, before anything is looked
//! up or any provider is called.

use crate::domain::{IdNumber, PersonName};
use crate::error::{ApiError, ApiResult};
use crate::login::identity::parse_verify_token;
use crate::store::Relation;
use crate::t;
use chrono::NaiveDate;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct AddApplicantBody {
    pub name: String,
    pub id_number: String,
    pub relation: String,
    #[serde(default)]
    pub verify_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AddApplicant {
    pub name: PersonName,
    pub id: IdNumber,
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

pub fn parse_add(body: &AddApplicantBody, today: NaiveDate) -> ApiResult<AddApplicant> {
    Ok(AddApplicant {
        name: PersonName::parse(&body.name).map_err(|e| e.at("name"))?,
        id: IdNumber::parse(&body.id_number, today).map_err(|e| e.at("id_number"))?,
        relation: parse_relation(&body.relation)?,
        verify_token: match body.verify_token.as_deref() {
            None => None,
            Some(raw) if raw.trim().is_empty() => None,
            Some(raw) => Some(parse_verify_token(raw)?),
        },
    })
}

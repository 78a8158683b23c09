//! What applicants read after booking: their applications with the timeline, and the
//! certificates they hold. Everything goes through the one authorization rule: someone else's
//! `applicant_id` or `application_no` is `404`, exactly like one that does not exist.

use super::view::{application_view, document_view};
use crate::authz::{authorize_applicant, authorized_applicants};
use crate::booking::request::parse_applicant_id;
use crate::domain::ApplicationNo;
use crate::error::{ApiError, ApiResult};
use crate::rules::Rules;
use crate::store::{Applicant, Applicants, Applications, UserId};
use crate::time::{self, Instant};
use serde_json::{json, Value};

/// The applicants a list covers: the one asked for (if the caller may act for them), or all.
async fn applicants<S: Applicants>(
    store: &S,
    caller: &UserId,
    filter: Option<&str>,
    rules: &Rules,
    now: Instant,
) -> ApiResult<Vec<Applicant>> {
    let today = now.date_naive();
    match filter.filter(|f| !f.is_empty()) {
        Some(raw) => {
            let id = parse_applicant_id("applicant_id", raw)?;
            Ok(vec![
                authorize_applicant(store, caller, &id, rules, today).await?,
            ])
        }
        None => authorized_applicants(store, caller, rules, today).await,
    }
}

/// `GET /v1/applications?applicant_id=`, most recently moved first.
pub async fn list_applications<S: Applicants + Applications>(
    store: &S,
    caller: &UserId,
    filter: Option<&str>,
    rules: &Rules,
    now: Instant,
) -> ApiResult<Value> {
    let people = applicants(store, caller, filter, rules, now).await?;
    let ids: Vec<_> = people.iter().map(|a| a.id.clone()).collect();
    let apps = store.applications_of(&ids).await?;
    let views: Vec<Value> = apps
        .iter()
        .map(|a| application_view(a, people.iter().find(|p| p.id == a.applicant_id)))
        .collect();
    Ok(json!({ "applications": views }))
}

/// `GET /v1/applications/{application_no}`.
pub async fn read_application<S: Applicants + Applications>(
    store: &S,
    caller: &UserId,
    raw_no: &str,
    rules: &Rules,
    now: Instant,
) -> ApiResult<Value> {
    // A malformed number cannot be anyone's application.
    let no = ApplicationNo::parse(raw_no).map_err(|_| ApiError::not_found())?;
    let app = store
        .application(&no)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let who =
        authorize_applicant(store, caller, &app.applicant_id, rules, now.date_naive()).await?;
    Ok(application_view(&app, Some(&who)))
}

/// `GET /v1/documents?applicant_id=`, soonest to expire first.
pub async fn list_documents<S: Applicants + Applications>(
    store: &S,
    caller: &UserId,
    filter: Option<&str>,
    rules: &Rules,
    now: Instant,
) -> ApiResult<Value> {
    let people = applicants(store, caller, filter, rules, now).await?;
    let ids: Vec<_> = people.iter().map(|a| a.id.clone()).collect();
    let mut docs = store.documents_of(&ids).await?;
    docs.sort_by(|a, b| (a.valid_until, &a.id).cmp(&(b.valid_until, &b.id)));
    let today = now.with_timezone(&time::shanghai()).date_naive();
    let views: Vec<Value> = docs
        .iter()
        .map(|d| document_view(d, people.iter().find(|p| p.id == d.applicant_id), today))
        .collect();
    Ok(json!({ "documents": views }))
}

//! What applicants read after booking: their applications with the timeline, and the
//! certificates they hold. Everything goes through the one authorization rule: someone else's
//! `applicant_id` or `application_no` is `404`, exactly like one that does not exist. A helper's
//! read of a principal's data is recorded in the principal's audit trail.

use super::view::{application_view, document_view};
use crate::authz::{acting_for, authorize, record_views};
use crate::domain::ApplicationNo;
use crate::error::{ApiError, ApiResult};
use crate::i18n::Lang;
use crate::rules::Rules;
use crate::store::{Applicants, Applications, Audit, UserId};
use crate::time::{self, Instant};
use serde_json::{json, Value};

/// `GET /v1/applications?applicant_id=`, most recently moved first.
pub async fn list_applications<S: Applicants + Applications + Audit>(
    store: &S,
    caller: &UserId,
    filter: Option<&str>,
    rules: &Rules,
    now: Instant,
    request_id: &str,
    lang: Lang,
) -> ApiResult<Value> {
    let people = acting_for(store, caller, filter, rules, now.date_naive()).await?;
    let ids: Vec<_> = people.iter().map(|a| a.applicant.id.clone()).collect();
    let apps = store.applications_of(&ids).await?;
    record_views(
        store,
        caller,
        &people,
        "applications.view",
        None,
        request_id,
        now,
    )
    .await?;
    let views: Vec<Value> = apps
        .iter()
        .map(|a| {
            let who = people.iter().find(|p| p.applicant.id == a.applicant_id);
            application_view(a, who.map(|p| &p.applicant), lang)
        })
        .collect();
    Ok(json!({ "applications": views }))
}

/// `GET /v1/applications/{application_no}`.
pub async fn read_application<S: Applicants + Applications + Audit>(
    store: &S,
    caller: &UserId,
    raw_no: &str,
    rules: &Rules,
    now: Instant,
    request_id: &str,
    lang: Lang,
) -> ApiResult<Value> {
    // A malformed number cannot be anyone's application.
    let no = ApplicationNo::parse(raw_no).map_err(|_| ApiError::not_found())?;
    let app = store
        .application(&no)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let who = authorize(store, caller, &app.applicant_id, rules, now.date_naive()).await?;
    let target = Some(no.as_str());
    record_views(
        store,
        caller,
        std::slice::from_ref(&who),
        "applications.view",
        target,
        request_id,
        now,
    )
    .await?;
    Ok(application_view(&app, Some(&who.applicant), lang))
}

/// `GET /v1/documents?applicant_id=`, soonest to expire first.
pub async fn list_documents<S: Applicants + Applications + Audit>(
    store: &S,
    caller: &UserId,
    filter: Option<&str>,
    rules: &Rules,
    now: Instant,
    request_id: &str,
) -> ApiResult<Value> {
    let people = acting_for(store, caller, filter, rules, now.date_naive()).await?;
    let ids: Vec<_> = people.iter().map(|a| a.applicant.id.clone()).collect();
    let mut docs = store.documents_of(&ids).await?;
    record_views(
        store,
        caller,
        &people,
        "documents.view",
        None,
        request_id,
        now,
    )
    .await?;
    docs.sort_by(|a, b| (a.valid_until, &a.id).cmp(&(b.valid_until, &b.id)));
    let today = now.with_timezone(&time::shanghai()).date_naive();
    let views: Vec<Value> = docs
        .iter()
        .map(|d| {
            let who = people.iter().find(|p| p.applicant.id == d.applicant_id);
            document_view(d, who.map(|p| &p.applicant), today)
        })
        .collect();
    Ok(json!({ "documents": views }))
}

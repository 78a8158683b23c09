//! What helpers and principals see of links and of the audit trail. Names and document numbers
//! are masked: the mini-program only needs to show which person a row is.

use crate::auth::Identified;
use crate::authz::link_gives_rights;
use crate::domain::mask::mask_name;
use crate::error::{ApiError, ApiResult};
use crate::rules::helpers::{age_on, may_add_without_consent};
use crate::rules::Rules;
use crate::store::{
    Actor, Applicant, Applicants, Audit, AuditEntry, Link, LinkStatus, Relation, UserId, Users,
};
use crate::t;
use crate::time::{rfc3339, Instant};
use serde_json::{json, Value};
use std::collections::HashMap;

/// A link as its parties see it:
/// - `active`: it gives rights;
/// - `consent_required`: a guardian link whose child came of age (under `lapse_at_age`);
/// - `pending`: waiting for the principal to accept the invitation;
/// - `expired`: the invitation lapsed unanswered;
/// - `revoked`.
pub fn link_state(link: &Link, applicant: &Applicant, rules: &Rules, now: Instant) -> &'static str {
    match link.status {
        LinkStatus::Active if link_gives_rights(link, applicant, rules, now.date_naive()) => {
            "active"
        }
        LinkStatus::Active => "consent_required",
        LinkStatus::Pending if link.is_live(now) => "pending",
        LinkStatus::Pending => "expired",
        LinkStatus::Revoked => "revoked",
    }
}

/// One row of `GET /v1/applicants`.
pub fn applicant_view(applicant: &Applicant, link: &Link, rules: &Rules, now: Instant) -> Value {
    let today = now.date_naive();
    json!({
        "applicant_id": applicant.id.as_str(),
        "name": mask_name(&applicant.name),
        "name_zh": applicant.name_zh.as_ref().map(mask_name),
        "id_number": applicant.document.masked_id_number(),
        "document": applicant.document.view(),
        "relation": link.relation.as_str(),
        "is_self": link.relation == Relation::Own,
        "status": link_state(link, applicant, rules, now),
        "consent": link.consent,
        // Whether a guardian may still act for them without their consent; not the birth date.
        "minor": applicant
            .birth_date
            .is_some_and(|b| may_add_without_consent(rules, b, today)),
        "age": applicant.birth_date.map(|b| age_on(b, today)),
        "invitation_expires_at": (link.status == LinkStatus::Pending)
            .then(|| link.invitation_expires_at.as_ref().map(rfc3339))
            .flatten(),
        "linked_at": rfc3339(&link.created_at),
    })
}

/// `GET /v1/applicants`: the caller's own record first, then the principals they added (active,
/// pending, expired or needing consent), oldest first. Revoked links are not shown.
pub async fn list_applicants<S: Applicants>(
    store: &S,
    caller: &UserId,
    rules: &Rules,
    now: Instant,
) -> ApiResult<Value> {
    let mut links = store.links_of_helper(caller).await?;
    links.retain(|l| l.status != LinkStatus::Revoked);
    links.sort_by_key(|l| (l.relation != Relation::Own, l.created_at));
    let mut rows = Vec::with_capacity(links.len());
    for link in &links {
        let a = store
            .applicant(&link.applicant)
            .await?
            .ok_or_else(ApiError::internal)?;
        rows.push(applicant_view(&a, link, rules, now));
    }
    Ok(json!({ "applicants": rows }))
}

/// The masked name of a user's own identity, if bound.
async fn user_name<S: Users + Applicants>(store: &S, user: &UserId) -> ApiResult<Option<String>> {
    let Some(u) = store.user(user).await? else {
        return Ok(None);
    };
    let Some(own) = u.applicant_id else {
        return Ok(None);
    };
    Ok(store.applicant(&own).await?.map(|a| mask_name(&a.name)))
}

/// One row of `GET /v1/me/helpers`: a helper as the principal sees them.
pub async fn helper_view<S: Users + Applicants>(
    store: &S,
    link: &Link,
    rules: &Rules,
    now: Instant,
) -> ApiResult<Value> {
    let principal = store
        .applicant(&link.applicant)
        .await?
        .ok_or_else(ApiError::internal)?;
    Ok(json!({
        "user_id": link.helper.as_str(),
        "name": user_name(store, &link.helper).await?,
        "relation": link.relation.as_str(),
        "status": link_state(link, &principal, rules, now),
        "consent": link.consent,
        "since": rfc3339(&link.created_at),
    }))
}

/// `GET /v1/me/helpers`: everyone who acts, or asked to act, for the caller; revoked ones not.
pub async fn list_helpers<S: Users + Applicants>(
    store: &S,
    me: &Identified,
    rules: &Rules,
    now: Instant,
) -> ApiResult<Value> {
    let mut links = store.links_of_applicant(&me.applicant_id).await?;
    links.retain(|l| l.status != LinkStatus::Revoked && l.relation != Relation::Own);
    links.sort_by_key(|l| l.created_at);
    let mut rows = Vec::with_capacity(links.len());
    for link in &links {
        rows.push(helper_view(store, link, rules, now).await?);
    }
    Ok(json!({ "helpers": rows }))
}

pub const AUDIT_PAGE_DEFAULT: u32 = 50;
pub const AUDIT_PAGE_MAX: u32 = 200;

/// `?limit=` of `GET /v1/me/audit`: 1..=200, default 50.
pub fn parse_audit_limit(raw: Option<&str>) -> ApiResult<u32> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(AUDIT_PAGE_DEFAULT),
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=AUDIT_PAGE_MAX).contains(n))
            .ok_or_else(|| ApiError::invalid("limit", t!("audit.bad_limit"))),
    }
}

/// `GET /v1/me/audit`: every action anyone took for the caller, newest first. The actor is
/// `self`, a `helper` (with their masked name), `ops` staff, or the `system`.
pub async fn audit_trail<S: Users + Applicants + Audit>(
    store: &S,
    me: &Identified,
    limit: u32,
) -> ApiResult<Value> {
    let entries = store
        .audit_of(std::slice::from_ref(&me.applicant_id), limit)
        .await?;
    let mut names: HashMap<UserId, Option<String>> = HashMap::new();
    let mut rows = Vec::with_capacity(entries.len());
    for e in &entries {
        rows.push(audit_row(store, me, e, &mut names).await?);
    }
    Ok(json!({ "entries": rows }))
}

async fn audit_row<S: Users + Applicants>(
    store: &S,
    me: &Identified,
    e: &AuditEntry,
    names: &mut HashMap<UserId, Option<String>>,
) -> ApiResult<Value> {
    let actor = match &e.actor {
        Actor::User(u) if *u == me.user.id => json!({ "kind": "self" }),
        Actor::User(u) => {
            let name = match names.get(u) {
                Some(n) => n.clone(),
                None => {
                    let n = user_name(store, u).await?;
                    names.insert(u.clone(), n.clone());
                    n
                }
            };
            json!({ "kind": "helper", "user_id": u.as_str(), "name": name })
        }
        Actor::Ops(name) => json!({ "kind": "ops", "name": name }),
        Actor::System => json!({ "kind": "system" }),
    };
    Ok(json!({
        "at": rfc3339(&e.at),
        "action": e.action,
        "actor": actor,
        "target": e.target,
        "request_id": e.request_id,
    }))
}

//! Making, accepting and ending links between helpers and principals. Every write goes through
//! the store's guarded link operations, so the limits and the link's state are checked by the
//! storage in the same transaction as the write and its audit entry: two requests racing cannot
//! both pass a limit, and a refused request writes nothing.

use super::request::AddApplicant;
use super::view::{applicant_view, helper_view};
use crate::auth::documents::DocumentKeys;
use crate::auth::Identified;
use crate::authz::link_gives_rights;
use crate::domain::{FieldError, InvitationCode};
use crate::entropy::Entropy;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::login::identity::FaceCheck;
use crate::rules::helpers::{
    helpers_limit_reached, link_limits, may_add_without_consent, principals_limit_reached,
};
use crate::rules::Rules;
use crate::store::{
    Actor, AddLink, Applicant, ApplicantId, Applicants, AuditEntry, Consent, Link, LinkStatus,
    Relation, UserId, Users,
};
use crate::t;
use crate::time::{rfc3339, Instant};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// What the link use cases need besides the store and the caller.
pub struct HelperContext<'a> {
    pub rules: &'a Rules,
    pub now: Instant,
    pub request_id: &'a str,
}

impl HelperContext<'_> {
    fn audit(
        &self,
        actor: &UserId,
        subject: &ApplicantId,
        action: &str,
        target: &str,
    ) -> AuditEntry {
        AuditEntry {
            actor: Actor::User(actor.clone()),
            subject: subject.clone(),
            action: action.to_owned(),
            target: Some(target.to_owned()),
            request_id: self.request_id.to_owned(),
            at: self.now,
        }
    }
}

/// A successful write: `201` when a link was created, `200` when an existing one changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub status: u16,
    pub body: Value,
}

fn conflict(reason: &str, message: crate::i18n::Text) -> ApiError {
    ApiError::new(ErrorCode::Conflict)
        .with_message(message)
        .with_details(json!({ "reason": reason }))
}

fn raced() -> ApiError {
    conflict("concurrent_change", t!("code.CONFLICT"))
}

/// The stored form of an invitation code: it is a bearer secret until accepted.
pub fn invitation_hash(code: &InvitationCode) -> String {
    let mut h = Sha256::new();
    h.update(b"yuyue/invitation/v1\n");
    h.update(code.as_str().as_bytes());
    hex::encode(h.finalize())
}

/// `POST /v1/applicants`: adds a principal for `me` (who must have a bound identity), with the
/// consent the principal's age and the request carry; see the module table in [`super`].
pub async fn add_applicant<S: Users + Applicants, F: FaceCheck>(
    store: &S,
    cx: &HelperContext<'_>,
    keys: &DocumentKeys,
    face: &F,
    me: &Identified,
    input: &AddApplicant,
    entropy: &mut Entropy,
) -> ApiResult<Written> {
    let today = cx.now.date_naive();
    let person = &input.person;
    let hash = keys.hash_of(&person.document);
    let own = store
        .applicant(&me.applicant_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    if own.document.hash == hash {
        return Err(conflict("self", t!("helper.self")));
    }
    let name_mismatch = || conflict("name_mismatch", t!("helper.name_mismatch"));
    let known = store.applicant_by_document(&hash).await?;
    if known.as_ref().is_some_and(|a| a.name != person.name) {
        return Err(name_mismatch());
    }
    let current = match &known {
        Some(a) => store.link(&me.user.id, &a.id).await?,
        None => None,
    };
    if let (Some(link), Some(a)) = (&current, &known) {
        if link_gives_rights(link, a, cx.rules, today) {
            return Err(conflict("already_linked", t!("helper.already_linked")));
        }
    }

    // How the principal consents. The paid face check runs before anything is written. A
    // person already known keeps the birth date on record.
    let birth_date = known
        .as_ref()
        .and_then(|a| a.birth_date)
        .or(input.birth_date);
    let as_guardian = matches!(input.relation, Relation::Child | Relation::Guardian);
    if as_guardian && birth_date.is_none() && input.verify_token.is_none() {
        // A passport carries no birth date in our data: without one, nothing shows a child.
        return Err(
            FieldError::new("birth_date_required", "helper.birth_date_required").at("birth_date"),
        );
    }
    let guardian =
        as_guardian && birth_date.is_some_and(|b| may_add_without_consent(cx.rules, b, today));
    let mut invitation = None;
    let (status, consent, action) = if guardian {
        (LinkStatus::Active, Consent::Guardian, "helper.linked")
    } else if let Some(token) = &input.verify_token {
        if !face.passed(&person.name, &person.document, token).await? {
            return Err(ApiError::new(ErrorCode::IdentityVerificationFailed)
                .with_message(t!("helper.face_failed")));
        }
        (LinkStatus::Active, Consent::FaceVerified, "helper.linked")
    } else {
        let code = InvitationCode::from_entropy(entropy.bytes());
        let expires =
            cx.now + chrono::Duration::hours(cx.rules.helpers.invitation_ttl_hours.into());
        invitation = Some((code, expires));
        (LinkStatus::Pending, Consent::None, "helper.invited")
    };

    let new_person = match &known {
        Some(_) => None,
        None => Some(Applicant {
            id: ApplicantId::generate(entropy),
            name: person.name.clone(),
            name_zh: person.name_zh.clone(),
            document: keys.protect(&person.document, entropy)?,
            birth_date,
            created_at: cx.now,
        }),
    };
    let applicant = known
        .or(new_person.clone())
        .ok_or_else(ApiError::internal)?;
    let next = Link {
        helper: me.user.id.clone(),
        applicant: applicant.id.clone(),
        relation: input.relation,
        status,
        consent,
        invitation_hash: invitation.as_ref().map(|(c, _)| invitation_hash(c)),
        invitation_expires_at: invitation.as_ref().map(|(_, e)| *e),
        created_at: cx.now,
        updated_at: cx.now,
    };
    let audit = cx.audit(&me.user.id, &applicant.id, action, input.relation.as_str());

    let created = match current.filter(|l| l.is_live(cx.now)) {
        // A pending invitation issued again, or a lapsed guardian link asking for consent: the
        // link already counts toward the limits, so it changes in place.
        Some(live) => {
            let next = Link {
                created_at: live.created_at,
                ..next.clone()
            };
            if !store.change_link(&live, &next, &audit).await? {
                return Err(raced());
            }
            false
        }
        None => {
            match store
                .add_link(&next, new_person.as_ref(), &link_limits(cx.rules), &audit)
                .await?
            {
                AddLink::Added => true,
                AddLink::Exists(_) => {
                    return Err(conflict("already_linked", t!("helper.already_linked")))
                }
                AddLink::PrincipalsFull => return Err(principals_limit_reached(cx.rules)),
                AddLink::HelpersFull => return Err(helpers_limit_reached(cx.rules)),
                // Someone else registered the same person a moment ago, under this name or not.
                AddLink::PersonExists => return Err(raced()),
            }
        }
    };
    let body = json!({
        "applicant": applicant_view(&applicant, &next, cx.rules, cx.now),
        "invitation": invitation.map(|(code, expires)| json!({
            "code": code.display_grouped(),
            "expires_at": rfc3339(&expires),
        })),
    });
    Ok(Written {
        status: if created { 201 } else { 200 },
        body,
    })
}

/// The revoked form of a link: no rights, and its invitation (if any) can no longer be used.
fn revoked(link: &Link, now: Instant) -> Link {
    Link {
        status: LinkStatus::Revoked,
        invitation_hash: None,
        invitation_expires_at: None,
        updated_at: now,
        ..link.clone()
    }
}

/// `DELETE /v1/applicants/{applicant_id}`: the helper ends their own link. Anything but a live
/// link of the caller's is `404`; the caller's own record is `409`.
pub async fn remove_applicant<S: Applicants>(
    store: &S,
    cx: &HelperContext<'_>,
    caller: &UserId,
    raw_id: &str,
) -> ApiResult<Value> {
    let id = ApplicantId::parse(raw_id).map_err(|_| ApiError::not_found())?;
    let link = store
        .link(caller, &id)
        .await?
        .filter(|l| l.status != LinkStatus::Revoked)
        .ok_or_else(ApiError::not_found)?;
    if link.relation == Relation::Own {
        return Err(conflict("own_record", t!("helper.own_record")));
    }
    let audit = cx.audit(caller, &id, "helper.removed", caller.as_str());
    if !store
        .change_link(&link, &revoked(&link, cx.now), &audit)
        .await?
    {
        return Err(raced());
    }
    Ok(json!({ "applicant_id": id.as_str(), "status": "revoked" }))
}

/// `POST /v1/applicants/invitations/{code}/accept`, from the principal's own account: its bound
/// identity must be the invited person. A code that does not parse or is unknown, or whose link
/// was ended, is `404`; accepting twice answers as the first time.
pub async fn accept_invitation<S: Users + Applicants>(
    store: &S,
    cx: &HelperContext<'_>,
    me: &Identified,
    raw_code: &str,
) -> ApiResult<Value> {
    let code = InvitationCode::parse(raw_code).map_err(|_| ApiError::not_found())?;
    let link = store
        .link_by_invitation(&invitation_hash(&code))
        .await?
        .filter(|l| l.status != LinkStatus::Revoked)
        .ok_or_else(ApiError::not_found)?;
    if link.applicant != me.applicant_id {
        return Err(ApiError::new(ErrorCode::Forbidden)
            .with_message(t!("helper.invitation_not_yours"))
            .with_details(json!({ "reason": "identity_mismatch" })));
    }
    let accepted = match link.status {
        LinkStatus::Active if link.consent == Consent::Invitation => link,
        LinkStatus::Pending => {
            if !link.is_live(cx.now) {
                return Err(conflict(
                    "invitation_expired",
                    t!("helper.invitation_expired"),
                ));
            }
            let next = Link {
                status: LinkStatus::Active,
                consent: Consent::Invitation,
                updated_at: cx.now,
                ..link.clone()
            };
            let audit = cx.audit(
                &me.user.id,
                &me.applicant_id,
                "helper.accepted",
                link.helper.as_str(),
            );
            if !store.change_link(&link, &next, &audit).await? {
                return Err(raced());
            }
            next
        }
        _ => return Err(ApiError::not_found()),
    };
    helper_view(store, &accepted, cx.rules, cx.now).await
}

/// `DELETE /v1/me/helpers/{user_id}`: the principal ends a helper's link (pending or active).
pub async fn revoke_helper<S: Applicants>(
    store: &S,
    cx: &HelperContext<'_>,
    me: &Identified,
    raw_user: &str,
) -> ApiResult<Value> {
    // Not an id of ours: no such helper.
    let helper = UserId::parse(raw_user).map_err(|_| ApiError::not_found())?;
    let link = store
        .link(&helper, &me.applicant_id)
        .await?
        .filter(|l| l.status != LinkStatus::Revoked && l.relation != Relation::Own)
        .ok_or_else(ApiError::not_found)?;
    let audit = cx.audit(
        &me.user.id,
        &me.applicant_id,
        "helper.revoked",
        helper.as_str(),
    );
    if !store
        .change_link(&link, &revoked(&link, cx.now), &audit)
        .await?
    {
        return Err(raced());
    }
    Ok(json!({ "user_id": helper.as_str(), "status": "revoked" }))
}

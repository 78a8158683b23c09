//! Real-name binding (实名认证): the user proves to the face-verification provider that they are
//! the person with this name and document (a resident ID card, or a foreigner's passport or
//! permanent residence card), and the account becomes that person. The person's
//! applicant record is created (or found, if a relative added them before) and linked to the
//! account as `self`, so one authorization rule covers acting for oneself and for principals.
//!
//! One document is the identity of at most one account per platform: a second account claiming
//! it is refused with `CONFLICT` (`details.reason = identity_bound_to_another_account`). Every
//! attempt that reaches a decision is recorded, keyed by the document hash only.

use super::view::{user_view, UserView};
use crate::auth::documents::DocumentKeys;
use crate::domain::{parse_person, NamedPerson, PersonDocument, PersonName};
use crate::entropy::Entropy;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::login::requests::IdentityBody;
use crate::store::{
    Applicant, ApplicantId, Applicants, Consent, IdentityAttempt, IdentityOutcome, Link,
    LinkStatus, Relation, User, Users,
};
use crate::t;
use crate::time::Instant;
use chrono::NaiveDate;

/// The face-verification provider, as the use case sees it: did this token pass for this
/// person? Rate limiting and retries are the implementation's business.
#[allow(async_fn_in_trait)]
pub trait FaceCheck {
    async fn passed(
        &self,
        name: &PersonName,
        document: &PersonDocument,
        verify_token: &str,
    ) -> ApiResult<bool>;
}

/// A validated binding request.
#[derive(Debug, Clone)]
pub struct IdentityInput {
    pub person: NamedPerson,
    pub verify_token: String,
}

pub fn parse_identity(body: &IdentityBody, today: NaiveDate) -> ApiResult<IdentityInput> {
    Ok(IdentityInput {
        person: parse_person(&body.person, today)?,
        verify_token: parse_verify_token(&body.verify_token)?,
    })
}

/// A face-verification result token as the client passes it on: opaque, printable, bounded.
pub fn parse_verify_token(raw: &str) -> ApiResult<String> {
    let token = raw.trim();
    let token_ok = (1..=512).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_graphic());
    if !token_ok {
        return Err(ApiError::invalid(
            "verify_token",
            t!("identity.bad_verify_token"),
        ));
    }
    Ok(token.to_owned())
}

fn refused(reason: &str, message: crate::i18n::Text) -> ApiError {
    ApiError::new(ErrorCode::Conflict)
        .with_message(message)
        .with_details(serde_json::json!({ "reason": reason }))
}

/// Everything the binding needs besides the store.
pub struct BindContext<'a, F: FaceCheck> {
    pub keys: &'a DocumentKeys,
    pub face: &'a F,
    pub now: Instant,
    pub request_id: &'a str,
}

pub async fn bind_identity<S: Users + Applicants, F: FaceCheck>(
    store: &S,
    cx: &BindContext<'_, F>,
    user: &User,
    input: &IdentityInput,
    entropy: &mut Entropy,
) -> ApiResult<UserView> {
    let person = &input.person;
    let hash = cx.keys.hash_of(&person.document);
    let record = |outcome| IdentityAttempt {
        user_id: user.id.clone(),
        doc_hash: hash.clone(),
        outcome,
        request_id: cx.request_id.to_owned(),
        at: cx.now,
    };

    if let Some(bound) = &user.applicant_id {
        let current = store
            .applicant(bound)
            .await?
            .ok_or_else(ApiError::internal)?;
        if current.document.hash != hash {
            store
                .record_identity_attempt(&record(IdentityOutcome::Mismatch))
                .await?;
            return Err(refused("already_bound", t!("identity.already_bound")));
        }
        // A repeat of a binding that succeeded (a retry after a lost answer): finish what may
        // not have been finished, and answer as the first time. No new verification is paid for.
        ensure_self_link(store, user, bound, cx.now).await?;
        return user_view(store, user).await;
    }

    if !cx
        .face
        .passed(&person.name, &person.document, &input.verify_token)
        .await?
    {
        store
            .record_identity_attempt(&record(IdentityOutcome::VerificationFailed))
            .await?;
        return Err(ApiError::new(ErrorCode::IdentityVerificationFailed)
            .with_message(t!("identity.face_failed")));
    }

    let applicant = match store.applicant_by_document(&hash).await? {
        Some(a) => a,
        None => {
            store
                .create_applicant(&Applicant {
                    id: ApplicantId::generate(entropy),
                    name: person.name.clone(),
                    name_zh: person.name_zh.clone(),
                    document: cx.keys.protect(&person.document, entropy)?,
                    birth_date: person.document.birth_date(),
                    created_at: cx.now,
                })
                .await?
        }
    };
    if applicant.name != person.name {
        // The person was added earlier (by a relative) under another name. The verified name
        // is right, but silently renaming a record others act on is not ours to do here.
        store
            .record_identity_attempt(&record(IdentityOutcome::Mismatch))
            .await?;
        return Err(refused("name_mismatch", t!("identity.name_mismatch")));
    }

    let elsewhere = store
        .users_bound_to(&applicant.id)
        .await?
        .iter()
        .any(|u| u.platform == user.platform && u.id != user.id);
    let bound = if elsewhere {
        Err(ApiError::new(ErrorCode::Conflict))
    } else {
        // The storage's uniqueness settles a race between two accounts binding at once.
        store.bind_identity(&user.id, &applicant.id).await
    };
    match bound {
        Ok(()) => {}
        Err(e) if e.code == ErrorCode::Conflict => {
            store
                .record_identity_attempt(&record(IdentityOutcome::AlreadyBoundElsewhere))
                .await?;
            return Err(refused(
                "identity_bound_to_another_account",
                t!("identity.bound_elsewhere"),
            ));
        }
        Err(e) => return Err(e),
    }
    ensure_self_link(store, user, &applicant.id, cx.now).await?;
    store
        .record_identity_attempt(&record(IdentityOutcome::Bound))
        .await?;
    let user = User {
        applicant_id: Some(applicant.id),
        ..user.clone()
    };
    user_view(store, &user).await
}

/// The `self` link that lets the account act for its own applicant.
async fn ensure_self_link<S: Applicants>(
    store: &S,
    user: &User,
    applicant: &ApplicantId,
    now: Instant,
) -> ApiResult<()> {
    let current = store.link(&user.id, applicant).await?;
    if current.as_ref().is_some_and(|l| {
        l.relation == Relation::Own && l.status == LinkStatus::Active && l.consent == Consent::Own
    }) {
        return Ok(());
    }
    store
        .put_link(&Link {
            helper: user.id.clone(),
            applicant: applicant.clone(),
            relation: Relation::Own,
            status: LinkStatus::Active,
            consent: Consent::Own,
            invitation_hash: None,
            invitation_expires_at: None,
            created_at: current.map_or(now, |l| l.created_at),
            updated_at: now,
        })
        .await
}

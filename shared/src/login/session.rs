//! Sessions: signing in once a provider vouched for the account, refreshing with rotation and
//! reuse detection, and logging out.
//!
//! A session family is one login. Each refresh retires the presented refresh token and issues a
//! new one in the same family; presenting a retired token again means two parties hold it (a
//! thief and the user), and since we cannot tell which is which, the whole family is revoked and
//! both must log in again.

use super::view::{user_view, UserView};
use crate::auth::refresh::{is_well_formed, new_refresh_token, refresh_hash, REFRESH_TTL_DAYS};
use crate::auth::tokens::TokenSigner;
use crate::auth::Caller;
use crate::entropy::Entropy;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::i18n::Lang;
use crate::store::{Applicants, Platform, Rotation, Session, SessionId, Sessions, User, Users};
use crate::t;
use crate::time::Instant;
use serde::Serialize;
use std::fmt;

/// An account as a provider identified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAccount {
    pub platform: Platform,
    pub openid: String,
    pub unionid: Option<String>,
}

/// The answer of login and refresh.
#[derive(Serialize)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds the access token is valid for.
    pub expires_in: u32,
    pub user: UserView,
}

/// Tokens are credentials: never printed, even in a debug dump.
impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("expires_in", &self.expires_in)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

fn session_ended(reason: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated)
        .with_message(t!("login.session_ended"))
        .with_details(serde_json::json!({ "reason": reason }))
}

/// Finds or creates the account and opens a new session family for it.
pub async fn sign_in<S: Users + Sessions + Applicants>(
    store: &S,
    signer: &TokenSigner,
    account: &ProviderAccount,
    lang: Lang,
    now: Instant,
    entropy: &mut Entropy,
) -> ApiResult<Issued> {
    let mut user = match store
        .user_by_openid(account.platform, &account.openid)
        .await?
    {
        // A unionid appears once the app joins an open-platform account; keep the first seen.
        Some(u) if u.unionid.is_some() || account.unionid.is_none() => u,
        _ => {
            store
                .create_user(&User {
                    id: crate::store::UserId::generate(entropy),
                    platform: account.platform,
                    openid: account.openid.clone(),
                    unionid: account.unionid.clone(),
                    phone: None,
                    applicant_id: None,
                    lang,
                    created_at: now,
                })
                .await?
        }
    };
    if user.lang != lang {
        // Written only when it changes: a sign-in in the same language costs no write.
        store.set_language(&user.id, lang).await?;
        user.lang = lang;
    }
    let id = SessionId::generate(entropy);
    issue(store, signer, &user, id.clone(), id, now, entropy, None).await
}

/// Trades a refresh token for a new pair. The presented token dies whatever happens next.
pub async fn refresh<S: Users + Sessions + Applicants>(
    store: &S,
    signer: &TokenSigner,
    refresh_token: &str,
    now: Instant,
    entropy: &mut Entropy,
) -> ApiResult<Issued> {
    if !is_well_formed(refresh_token) {
        return Err(session_ended("unknown_refresh_token"));
    }
    let old = store
        .session_by_refresh_hash(&refresh_hash(refresh_token))
        .await?
        .ok_or_else(|| session_ended("unknown_refresh_token"))?;
    if old.revoked_at.is_some() {
        return Err(session_ended("session_revoked"));
    }
    if old.rotated_at.is_some() {
        store.revoke_family(&old.family, now).await?;
        return Err(session_ended("refresh_token_reused"));
    }
    if old.expires_at <= now {
        return Err(session_ended("refresh_token_expired"));
    }
    let user = store
        .user(&old.user_id)
        .await?
        .ok_or_else(|| session_ended("account_gone"))?;
    issue(
        store,
        signer,
        &user,
        SessionId::generate(entropy),
        old.family.clone(),
        now,
        entropy,
        Some(&old.id),
    )
    .await
}

/// Ends the caller's login: every session of its family, so no refresh token of it works again
/// and every access token of it is refused from now on.
pub async fn logout<S: Sessions>(store: &S, caller: &Caller, now: Instant) -> ApiResult<()> {
    let session = store
        .session(&caller.session_id)
        .await?
        .ok_or_else(|| session_ended("session_revoked"))?;
    store.revoke_family(&session.family, now).await
}

/// Stores a new session (or rotates `replaces` into it) and signs its tokens.
#[allow(clippy::too_many_arguments)]
async fn issue<S: Users + Sessions + Applicants>(
    store: &S,
    signer: &TokenSigner,
    user: &User,
    id: SessionId,
    family: SessionId,
    now: Instant,
    entropy: &mut Entropy,
    replaces: Option<&SessionId>,
) -> ApiResult<Issued> {
    let refresh_token = new_refresh_token(entropy);
    let session = Session {
        id: id.clone(),
        user_id: user.id.clone(),
        family,
        refresh_hash: refresh_hash(&refresh_token),
        expires_at: now + chrono::Duration::days(REFRESH_TTL_DAYS),
        rotated_at: None,
        revoked_at: None,
        created_at: now,
    };
    match replaces {
        None => store.create_session(&session).await?,
        Some(old) => match store.rotate_session(old, &session, now).await? {
            Rotation::Rotated => {}
            // Another request rotated the same token first: the token was used twice.
            Rotation::Reused => {
                store.revoke_family(&session.family, now).await?;
                return Err(session_ended("refresh_token_reused"));
            }
        },
    }
    let access = signer.sign(&user.id, &id, now)?;
    Ok(Issued {
        access_token: access.token,
        refresh_token,
        expires_in: access.expires_in,
        user: user_view(store, user).await?,
    })
}

//! Who is calling. Every function but login only verifies: [`authenticate`] turns the
//! `Authorization` header into a [`Caller`] (signature, claims and a live session), and
//! [`Caller::require_identity`] adds the real-name requirement most actions have. The Workers
//! adapter wraps both as `cx.authenticate()`; this module holds the logic so it is tested natively.

use crate::t;
pub mod documents;
pub mod refresh;
pub mod tokens;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::{ApplicantId, Session, SessionId, Sessions, User, UserId, Users};
use crate::time::Instant;
use tokens::TokenVerifier;

/// An authenticated request: the token was ours, unexpired, and its session is not revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    pub session_id: SessionId,
}

/// A caller whose account has completed real-name binding.
#[derive(Debug, Clone, PartialEq)]
pub struct Identified {
    pub user: User,
    /// The caller's own applicant record.
    pub applicant_id: ApplicantId,
}

/// The bearer token of an `Authorization` header value, or `UNAUTHENTICATED`.
pub fn bearer_token(authorization: Option<&str>) -> ApiResult<&str> {
    let value = authorization.map(str::trim).unwrap_or("");
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::new(ErrorCode::Unauthenticated));
    }
    Ok(token)
}

/// Verifies the request's access token and that its session is still live.
///
/// `TOKEN_EXPIRED` for an expired token of ours (refresh and retry); `UNAUTHENTICATED` for
/// anything else: no token, a forged or malformed one, or a session that was logged out or
/// revoked because its refresh token was reused.
pub async fn authenticate<S: Sessions>(
    verifier: &TokenVerifier,
    store: &S,
    authorization: Option<&str>,
    now: Instant,
) -> ApiResult<Caller> {
    let claims = verifier.verify(bearer_token(authorization)?, now)?;
    let caller = Caller {
        user_id: claims.user_id,
        session_id: claims.session_id,
    };
    ensure_session(store, &caller).await?;
    Ok(caller)
}

/// The session a verified token names is live: it exists, belongs to the token's user, and was
/// not revoked (logout, refresh-token reuse).
pub async fn ensure_session<S: Sessions>(store: &S, caller: &Caller) -> ApiResult<()> {
    session_live(
        store.session(&caller.session_id).await?.as_ref(),
        &caller.user_id,
    )
}

/// The same judgement over a session already read (with others, in one round trip).
pub fn session_live(session: Option<&Session>, user: &UserId) -> ApiResult<()> {
    match session {
        Some(s) if s.revoked_at.is_none() && &s.user_id == user => Ok(()),
        _ => Err(ApiError::new(ErrorCode::Unauthenticated).with_message(t!("login.session_ended"))),
    }
}

impl Caller {
    /// The caller's account. A token outliving its account is refused like a revoked one.
    pub async fn user<S: Users>(&self, store: &S) -> ApiResult<User> {
        store
            .user(&self.user_id)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated))
    }

    /// The caller's account and own applicant, or `IDENTITY_REQUIRED` before real-name binding.
    pub async fn require_identity<S: Users>(&self, store: &S) -> ApiResult<Identified> {
        require_identity(self.user(store).await?)
    }
}

pub fn require_identity(user: User) -> ApiResult<Identified> {
    match user.applicant_id.clone() {
        Some(applicant_id) => Ok(Identified { user, applicant_id }),
        None => Err(ApiError::new(ErrorCode::IdentityRequired)),
    }
}

#[cfg(test)]
mod tests {
    use super::tokens::tests::{signer, t0, verifier};
    use super::*;
    use crate::fake::{block_on, MemoryStore};
    use crate::store::Platform;
    use chrono::Duration;

    fn session(id: &str, user: &str) -> Session {
        Session {
            id: SessionId(id.into()),
            user_id: UserId(user.into()),
            family: SessionId(id.into()),
            refresh_hash: format!("h-{id}"),
            expires_at: t0() + Duration::days(30),
            rotated_at: None,
            revoked_at: None,
            created_at: t0(),
        }
    }

    fn user(id: &str, applicant: Option<&str>) -> User {
        User {
            id: UserId(id.into()),
            platform: Platform::Wechat,
            openid: format!("wx-{id}"),
            unionid: None,
            phone: None,
            applicant_id: applicant.map(|a| ApplicantId(a.into())),
            lang: crate::i18n::Lang::Zh,
            created_at: t0(),
        }
    }

    fn header(user: &str, sid: &str) -> String {
        let t = signer()
            .sign(&UserId(user.into()), &SessionId(sid.into()), t0())
            .unwrap();
        format!("Bearer {}", t.token)
    }

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        assert_eq!(bearer_token(Some("Bearer abc")), Ok("abc"));
        assert_eq!(bearer_token(Some("bearer  abc ")), Ok("abc"));
        for bad in [
            None,
            Some(""),
            Some("Bearer"),
            Some("Bearer "),
            Some("Basic abc"),
            Some("abc"),
        ] {
            assert_eq!(
                bearer_token(bad).unwrap_err().code,
                ErrorCode::Unauthenticated,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_live_session_authenticates() {
        let store = MemoryStore::new();
        block_on(store.create_session(&session("s_1", "u_1"))).unwrap();
        let caller = block_on(authenticate(
            &verifier(),
            &store,
            Some(&header("u_1", "s_1")),
            t0(),
        ))
        .unwrap();
        assert_eq!(caller.user_id.as_str(), "u_1");
        assert_eq!(caller.session_id.as_str(), "s_1");
    }

    #[test]
    fn a_revoked_missing_or_foreign_session_is_unauthenticated() {
        let store = MemoryStore::new();
        block_on(store.create_session(&session("s_1", "u_1"))).unwrap();
        block_on(store.create_session(&session("s_2", "u_2"))).unwrap();
        let v = verifier();
        let code = |h: &str| {
            block_on(authenticate(&v, &store, Some(h), t0()))
                .unwrap_err()
                .code
        };
        assert_eq!(code(&header("u_1", "s_9")), ErrorCode::Unauthenticated);
        // A token naming someone else's session.
        assert_eq!(code(&header("u_1", "s_2")), ErrorCode::Unauthenticated);
        block_on(store.revoke_family(&SessionId("s_1".into()), t0())).unwrap();
        assert_eq!(code(&header("u_1", "s_1")), ErrorCode::Unauthenticated);
    }

    #[test]
    fn an_expired_token_says_so_before_any_lookup() {
        let store = MemoryStore::new();
        store.fail_next("session");
        let later = t0() + Duration::hours(2);
        let err = block_on(authenticate(
            &verifier(),
            &store,
            Some(&header("u_1", "s_1")),
            later,
        ))
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::TokenExpired);
    }

    #[test]
    fn storage_failure_is_not_mistaken_for_a_bad_token() {
        let store = MemoryStore::new();
        store.fail_next("session");
        let err = block_on(authenticate(
            &verifier(),
            &store,
            Some(&header("u_1", "s_1")),
            t0(),
        ))
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::UpstreamUnavailable);
    }

    #[test]
    fn identity_is_required_until_bound() {
        let store = MemoryStore::new();
        block_on(store.create_user(&user("u_1", None))).unwrap();
        block_on(store.create_user(&user("u_2", Some("a_2")))).unwrap();
        let caller = |u: &str| Caller {
            user_id: UserId(u.into()),
            session_id: SessionId("s".into()),
        };
        let err = block_on(caller("u_1").require_identity(&store)).unwrap_err();
        assert_eq!(err.code, ErrorCode::IdentityRequired);
        let ok = block_on(caller("u_2").require_identity(&store)).unwrap();
        assert_eq!(ok.applicant_id.as_str(), "a_2");
        assert_eq!(ok.user.id.as_str(), "u_2");
        let gone = block_on(caller("u_3").user(&store)).unwrap_err();
        assert_eq!(gone.code, ErrorCode::Unauthenticated);
    }
}

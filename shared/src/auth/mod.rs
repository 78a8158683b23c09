//! Who is calling. Every function but login only verifies: [`authenticate`] turns the
//! `Authorization` header into a [`Caller`] (signature, claims and a live session), and
//! [`Caller::require_identity`] adds the real-name requirement most actions have. The Workers
//! adapter only wires them (`cx.authenticate()`: the configured keys, WebCrypto for the
//! signature, D1 for the session); the logic is here, once, and tested natively.

use crate::t;
pub mod documents;
pub mod refresh;
pub mod tokens;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::{ApplicantId, Session, SessionId, Sessions, User, UserId, Users};
use crate::time::Instant;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use tokens::{TokenCache, TokenVerifier};

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

/// A signature being checked elsewhere (the runtime's WebCrypto in the Workers adapter).
pub type VerifyFuture<'a> = Pin<Box<dyn Future<Output = ApiResult<bool>> + 'a>>;

/// Where an access token's Ed25519 signature is checked: [`InRust`] here, the runtime's native
/// code in the Workers adapter (checking in Rust compiled to wasm costs about a millisecond of
/// CPU). `Ok(false)` is a bad signature; an `Err` the checker failing.
pub trait Ed25519Verifying {
    fn verify<'a>(
        &'a self,
        public_key: &'a [u8; 32],
        message: &'a [u8],
        signature: &'a [u8; 64],
    ) -> VerifyFuture<'a>;
}

/// Signatures checked in Rust (`ed25519-compact`).
pub struct InRust;

impl Ed25519Verifying for InRust {
    fn verify<'a>(
        &'a self,
        public_key: &'a [u8; 32],
        message: &'a [u8],
        signature: &'a [u8; 64],
    ) -> VerifyFuture<'a> {
        let good = tokens::ed25519_valid(public_key, message, signature);
        Box::pin(std::future::ready(Ok(good)))
    }
}

/// What access tokens are checked with: the key set (`keys`, as configured, and its parsed
/// `verifier`), where signatures are checked, and the tokens this isolate already verified
/// under that key set, so a user's next requests skip the signature check.
pub struct TokenCheck<'a> {
    pub keys: &'a str,
    pub verifier: &'a TokenVerifier,
    pub signatures: &'a dyn Ed25519Verifying,
    pub verified: &'a RefCell<TokenCache>,
}

/// The caller named by the request's valid, unexpired access token; the session is not
/// checked (see [`authenticate`]). `TOKEN_EXPIRED` for an expired token of ours;
/// `UNAUTHENTICATED` for no token, or a forged or malformed one.
pub async fn verify_token(
    check: &TokenCheck<'_>,
    authorization: Option<&str>,
    now: Instant,
) -> ApiResult<Caller> {
    let token = bearer_token(authorization)?;
    let cached = check.verified.borrow_mut().get(check.keys, token, now);
    let claims = match cached {
        Some(answer) => answer?,
        None => {
            let unverified = check.verifier.parse(token)?;
            let signed = check
                .signatures
                .verify(
                    &unverified.public_key,
                    unverified.signed,
                    &unverified.signature,
                )
                .await?;
            if !signed {
                return Err(ApiError::new(ErrorCode::Unauthenticated));
            }
            let claims = unverified.accept(now)?;
            check.verified.borrow_mut().put(check.keys, token, &claims);
            claims
        }
    };
    Ok(Caller {
        user_id: claims.user_id,
        session_id: claims.session_id,
    })
}

/// Verifies the request's access token and that its session is still live.
///
/// `TOKEN_EXPIRED` for an expired token of ours (refresh and retry); `UNAUTHENTICATED` for
/// anything else: no token, a forged or malformed one, or a session that was logged out or
/// revoked because its refresh token was reused.
pub async fn authenticate<S: Sessions>(
    check: &TokenCheck<'_>,
    store: &S,
    authorization: Option<&str>,
    now: Instant,
) -> ApiResult<Caller> {
    let caller = verify_token(check, authorization, now).await?;
    ensure_session(store, &caller).await?;
    Ok(caller)
}

/// The caller a bearer token names, its signature not checked: `None` unless the token parses,
/// names one of our keys, and its claims would be accepted (so an expired token still gets
/// `TOKEN_EXPIRED` from [`verify_token`]). Only for answers anyone may have without a token
/// (`crate::booking::refused_as_full`).
pub fn claimed_caller(
    check: &TokenCheck<'_>,
    authorization: Option<&str>,
    now: Instant,
) -> Option<Caller> {
    let token = bearer_token(authorization).ok()?;
    // A token this isolate verified names its caller for certain, and finding it is cheaper
    // than parsing it again.
    let known = check.verified.borrow_mut().get(check.keys, token, now);
    let claims = match known {
        Some(answer) => answer.ok()?,
        None => check.verifier.parse(token).ok()?.claimed(now).ok()?,
    };
    Some(Caller {
        user_id: claims.user_id,
        session_id: claims.session_id,
    })
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
pub(crate) mod tests {
    use super::tokens::tests::{signer, t0, verifier};
    use super::*;
    use crate::fake::{block_on, MemoryStore};
    use crate::store::Platform;
    use chrono::Duration;

    /// The configured keys, signatures checked in Rust, and a cache of verified tokens.
    pub(crate) struct Keys {
        verifier: TokenVerifier,
        verified: RefCell<TokenCache>,
        signatures: Box<dyn Ed25519Verifying>,
    }

    impl Keys {
        pub(crate) fn new() -> Self {
            Keys::checking_with(Box::new(InRust))
        }

        fn checking_with(signatures: Box<dyn Ed25519Verifying>) -> Self {
            Keys {
                verifier: verifier(),
                verified: RefCell::new(TokenCache::new(16)),
                signatures,
            }
        }

        pub(crate) fn check(&self) -> TokenCheck<'_> {
            TokenCheck {
                keys: "test-keys",
                verifier: &self.verifier,
                signatures: self.signatures.as_ref(),
                verified: &self.verified,
            }
        }
    }

    fn session(id: &str, user: &str) -> Session {
        Session {
            id: SessionId::parse(id).unwrap(),
            user_id: UserId::parse(user).unwrap(),
            family: SessionId::parse(id).unwrap(),
            refresh_hash: format!("h-{id}"),
            expires_at: t0() + Duration::days(30),
            rotated_at: None,
            revoked_at: None,
            created_at: t0(),
        }
    }

    fn user(id: &str, applicant: Option<&str>) -> User {
        User {
            id: UserId::parse(id).unwrap(),
            platform: Platform::Wechat,
            openid: format!("wx-{id}"),
            unionid: None,
            phone: None,
            applicant_id: applicant.map(|a| ApplicantId::parse(a).unwrap()),
            lang: crate::i18n::Lang::Zh,
            created_at: t0(),
        }
    }

    fn header(user: &str, sid: &str) -> String {
        let t = signer()
            .sign(
                &UserId::parse(user).unwrap(),
                &SessionId::parse(sid).unwrap(),
                t0(),
            )
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

    /// Counts the signatures it is asked to check, and checks them in Rust.
    struct Counting(std::rc::Rc<std::cell::Cell<u32>>);

    impl Ed25519Verifying for Counting {
        fn verify<'a>(
            &'a self,
            public_key: &'a [u8; 32],
            message: &'a [u8],
            signature: &'a [u8; 64],
        ) -> VerifyFuture<'a> {
            self.0.set(self.0.get() + 1);
            InRust.verify(public_key, message, signature)
        }
    }

    #[test]
    fn a_good_signature_is_checked_once_per_isolate_a_forged_one_every_time() {
        let checked = std::rc::Rc::new(std::cell::Cell::new(0));
        let keys = Keys::checking_with(Box::new(Counting(checked.clone())));
        let good = header("u_1", "s_1");
        for _ in 0..3 {
            let caller = block_on(verify_token(&keys.check(), Some(&good), t0())).unwrap();
            assert_eq!(caller.user_id.as_str(), "u_1");
        }
        assert_eq!(checked.get(), 1, "the verified token is remembered");
        // The same claims under a signature of other bytes.
        let (body, sig) = good.rsplit_once('.').unwrap();
        let mut forged_sig = sig.to_owned();
        let last = if forged_sig.ends_with('A') { 'B' } else { 'A' };
        forged_sig.replace_range(0..1, &last.to_string());
        let forged = format!("{body}.{forged_sig}");
        for _ in 0..2 {
            let err = block_on(verify_token(&keys.check(), Some(&forged), t0())).unwrap_err();
            assert_eq!(err.code, ErrorCode::Unauthenticated);
        }
        assert_eq!(checked.get(), 3, "a bad signature is never remembered");
        // Remembered or not, an expired token is expired.
        let later = t0() + Duration::hours(2);
        let err = block_on(verify_token(&keys.check(), Some(&good), later)).unwrap_err();
        assert_eq!(err.code, ErrorCode::TokenExpired);
    }

    #[test]
    fn the_claimed_caller_is_named_without_a_signature_check_but_never_when_expired() {
        let keys = Keys::checking_with(Box::new(Counting(Default::default())));
        let good = header("u_7", "s_7");
        let claimed = claimed_caller(&keys.check(), Some(&good), t0()).unwrap();
        assert_eq!(claimed.user_id.as_str(), "u_7");
        assert_eq!(
            claimed_caller(&keys.check(), Some("Bearer x.y.z"), t0()),
            None
        );
        assert_eq!(claimed_caller(&keys.check(), None, t0()), None);
        let later = t0() + Duration::hours(2);
        assert_eq!(claimed_caller(&keys.check(), Some(&good), later), None);
    }

    #[test]
    fn a_live_session_authenticates() {
        let store = MemoryStore::new();
        block_on(store.create_session(&session("s_1", "u_1"))).unwrap();
        let caller = block_on(authenticate(
            &Keys::new().check(),
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
        let keys = Keys::new();
        let code = |h: &str| {
            block_on(authenticate(&keys.check(), &store, Some(h), t0()))
                .unwrap_err()
                .code
        };
        assert_eq!(code(&header("u_1", "s_9")), ErrorCode::Unauthenticated);
        // A token naming someone else's session.
        assert_eq!(code(&header("u_1", "s_2")), ErrorCode::Unauthenticated);
        block_on(store.revoke_family(&SessionId::parse("s_1").unwrap(), t0())).unwrap();
        assert_eq!(code(&header("u_1", "s_1")), ErrorCode::Unauthenticated);
    }

    #[test]
    fn an_expired_token_says_so_before_any_lookup() {
        let store = MemoryStore::new();
        store.fail_next("session");
        let later = t0() + Duration::hours(2);
        let err = block_on(authenticate(
            &Keys::new().check(),
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
            &Keys::new().check(),
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
            user_id: UserId::parse(u).unwrap(),
            session_id: SessionId::parse("s").unwrap(),
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

//! The one authentication middleware every function uses, and the login function's key material.
//!
//! ```ignore
//! async fn handler(cx: Cx) -> ApiResult<Reply> {
//!     let caller = cx.authenticate().await?;           // 401 UNAUTHENTICATED / TOKEN_EXPIRED
//!     let store = cx.store()?;
//!     let me = caller.require_identity(&store).await?; // 403 IDENTITY_REQUIRED
//!     // me.user, me.applicant_id; caller.user_id, caller.session_id
//! }
//! ```
//!
//! Token lifetimes are a security property, so they are judged by the system clock: the dev
//! clock override (`x-dev-now`) does not apply to them, and a test that moves the business clock
//! keeps its tokens.

use crate::clock::system_now;
use crate::cx::Cx;
use crate::per_isolate::{remember, remembered, Slot};
use std::cell::RefCell;
use std::rc::Rc;
use yuyue_shared::auth::documents::DocumentKeys;
use yuyue_shared::auth::tokens::{KeyError, TokenCache, TokenSigner, TokenVerifier};
use yuyue_shared::auth::{Caller, TokenCheck};
use yuyue_shared::booking::qr::QrSigner;
use yuyue_shared::entropy::Entropy;
use yuyue_shared::{ApiError, ApiResult};

/// Tokens remembered per isolate: enough for everyone refreshing one isolate in a wave.
const TOKEN_CACHE_ENTRIES: usize = 20_000;

thread_local! {
    /// The verifier for the `JWT_PUBLIC_KEYS` it was built from: parsed once per isolate.
    static VERIFIER: Slot<TokenVerifier> = const { RefCell::new(None) };
    /// Tokens this isolate verified (`yuyue_shared::auth::TokenCheck::verified`).
    static VERIFIED: Rc<RefCell<TokenCache>> = Rc::new(RefCell::new(TokenCache::new(TOKEN_CACHE_ENTRIES)));
    /// The QR signing key for the `QR_SIGNING_SEED` it was derived from.
    static QR: Slot<QrSigner> = const { RefCell::new(None) };
}

/// Configuration that is missing or does not parse: the deployment is broken, the client can do
/// nothing about it. Logged with the setting's name (never its value), `500` to the client.
pub(crate) fn config_error(name: &str) -> ApiError {
    worker::console_error!(
        "{}",
        serde_json::json!({"level": "error", "event": "config_invalid", "name": name})
    );
    ApiError::internal()
}

/// A value the function needs and was not given: logged by name, `500` to the client.
pub(crate) fn config_missing(name: &str) -> ApiError {
    worker::console_error!(
        "{}",
        serde_json::json!({"level": "error", "event": "config_missing", "name": name})
    );
    ApiError::internal()
}

pub(crate) fn key_error(e: KeyError) -> ApiError {
    config_error(e.0)
}

impl Cx {
    /// A configuration value that must be set.
    pub fn required_config(&self, name: &str) -> ApiResult<String> {
        crate::providers::Outbound::required_config(self, name)
    }

    /// Verifies `Authorization: Bearer <access token>` and that its session is live (one D1
    /// read): `yuyue_shared::auth::authenticate` over this function's keys, WebCrypto and D1.
    /// `TOKEN_EXPIRED` tells the client to refresh; `UNAUTHENTICATED` to log in again.
    pub async fn authenticate(&self) -> ApiResult<Caller> {
        let keys = self.token_keys()?;
        let header = self.header("authorization");
        yuyue_shared::auth::authenticate(
            &keys.check(),
            &self.store()?,
            header.as_deref(),
            system_now(),
        )
        .await
    }

    /// The configured key set, its parsed verifier and this isolate's verified tokens.
    fn token_keys(&self) -> ApiResult<TokenKeys> {
        let spec = self.required_config("JWT_PUBLIC_KEYS")?;
        self.token_keys_of(spec)
    }

    fn token_keys_of(&self, spec: String) -> ApiResult<TokenKeys> {
        Ok(TokenKeys {
            verifier: self.token_verifier(&spec)?,
            spec,
            verified: VERIFIED.with(Rc::clone),
        })
    }

    fn token_verifier(&self, spec: &str) -> ApiResult<Rc<TokenVerifier>> {
        if let Some(v) = remembered(&VERIFIER, spec) {
            return Ok(v);
        }
        let verifier = TokenVerifier::from_spec(spec).map_err(key_error)?;
        Ok(remember(&VERIFIER, spec, verifier))
    }

    /// The QR payload signer of `QR_SIGNING_SEED`, made once per isolate. Its public half comes
    /// from the runtime's WebCrypto, which also signs: deriving the key in Rust compiled to wasm
    /// costs as much as the rest of a refused submit, and links the curve's code into every
    /// function that signs.
    pub async fn qr_signer(&self) -> ApiResult<Rc<QrSigner>> {
        let seed = self.required_config("QR_SIGNING_SEED")?;
        if let Some(q) = remembered(&QR, &seed) {
            return Ok(q);
        }
        let bytes = self.secret_bytes("QR_SIGNING_SEED")?;
        let raw: [u8; 32] = bytes
            .try_into()
            .map_err(|_| config_error("QR_SIGNING_SEED"))?;
        let public_key = crate::webcrypto::ed25519_public_key(&raw)
            .await
            .map_err(|_| {
                crate::log::event("error", "webcrypto_failed", &[("op", "import".into())]);
                ApiError::internal()
            })?;
        let webcrypto = crate::webcrypto::QrWebCrypto::new(raw, public_key);
        let signer = QrSigner::new(public_key, Rc::new(webcrypto));
        Ok(remember(&QR, &seed, signer))
    }

    /// The access-token signing key (login only).
    pub fn token_signer(&self) -> ApiResult<TokenSigner> {
        let kid = self.required_config("JWT_SIGNING_KID")?;
        let key = self.required_config("JWT_SIGNING_KEY")?;
        TokenSigner::from_pkcs8_base64(&kid, &key).map_err(key_error)
    }

    /// The keys that hash and seal identity documents.
    pub fn document_keys(&self) -> ApiResult<DocumentKeys> {
        let hash = self.required_config("ID_HASH_KEY")?;
        let seal = self.required_config("ID_SEAL_KEY")?;
        DocumentKeys::from_base64(&hash, &seal).map_err(key_error)
    }

    /// Fresh randomness for this request, from the runtime's CSPRNG.
    pub fn entropy(&self) -> ApiResult<Entropy> {
        fresh_entropy()
    }

    /// The client's address as Cloudflare's edge saw it. Clients cannot set this header in
    /// production (the edge overwrites it); where it is absent (the local stack, a service
    /// binding) every such request shares one `unknown` bucket.
    pub fn client_address(&self) -> String {
        self.header("cf-connecting-ip")
            .map(|v| v.trim().to_owned())
            .filter(|v| {
                (2..=45).contains(&v.len())
                    && v.bytes()
                        .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
            })
            .unwrap_or_else(|| "unknown".to_owned())
    }
}

/// What `yuyue_shared::auth::TokenCheck` borrows, owned for the length of a request.
struct TokenKeys {
    spec: String,
    verifier: Rc<TokenVerifier>,
    verified: Rc<RefCell<TokenCache>>,
}

impl TokenKeys {
    fn check(&self) -> TokenCheck<'_> {
        TokenCheck {
            keys: &self.spec,
            verifier: &self.verifier,
            signatures: &crate::webcrypto::WebCryptoEd25519,
            verified: &self.verified,
        }
    }
}

/// Authentication in two steps, for the booking path: the token alone (no storage) before the
/// inventory object is asked, the session's liveness (a D1 read) only once a place is held, so a
/// refusal for a full period never touches D1. Together they check what `authenticate` checks.
impl Cx {
    /// The caller named by a valid, unexpired access token; the session is not yet checked.
    pub async fn verify_token(&self) -> ApiResult<Caller> {
        let keys = self.token_keys()?;
        let header = self.header("authorization");
        yuyue_shared::auth::verify_token(&keys.check(), header.as_deref(), system_now()).await
    }

    /// The caller a bearer token names, its signature not checked
    /// (`yuyue_shared::auth::claimed_caller`).
    pub fn claimed_caller(&self) -> Option<Caller> {
        let keys = self.token_keys_of(self.config("JWT_PUBLIC_KEYS")?).ok()?;
        let header = self.header("authorization");
        yuyue_shared::auth::claimed_caller(&keys.check(), header.as_deref(), system_now())
    }

    /// That the caller's session is live (not logged out, not revoked by refresh-token reuse).
    pub async fn ensure_session(&self, caller: &Caller) -> ApiResult<()> {
        let store = self.store()?;
        yuyue_shared::auth::ensure_session(&store, caller).await
    }
}

/// Fresh randomness from the runtime's CSPRNG, where there is no request ([`Cx::entropy`]
/// inside one).
pub fn fresh_entropy() -> ApiResult<Entropy> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|_| ApiError::internal())?;
    Ok(Entropy::from_seed(seed))
}

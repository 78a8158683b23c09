//! Access tokens: short-lived EdDSA (Ed25519) JWTs. The login function signs them with its private
//! key; every other function verifies them with public keys only, picked by the token's `kid`, so
//! a key is rotated by publishing its public half first and signing with it afterwards.
//!
//! Verification accepts exactly one algorithm (`EdDSA`), one issuer and one audience, requires
//! `exp`, `iat` and `nbf`, and reports an expired but otherwise valid token as `TOKEN_EXPIRED`
//! (the client refreshes) and everything else as `UNAUTHENTICATED` (the client logs in again).

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::{SessionId, UserId};
use crate::time::Instant;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine as _;
use ed25519_compact::KeyPair;
use serde::Deserialize;
use serde_json::{json, Value};

/// Who issues access tokens, and for whom: a token minted for another service or by another
/// issuer sharing a key is refused.
pub const ISSUER: &str = "yuyue-login";
pub const AUDIENCE: &str = "yuyue-api";
pub const ALGORITHM: &str = "EdDSA";

/// Short enough that a stolen token is soon useless; the refresh token renews it.
pub const ACCESS_TTL_SECONDS: u32 = 15 * 60;

/// Clock difference tolerated between the function that signed and the one verifying.
pub const LEEWAY_SECONDS: u64 = 30;

/// Far above any token we issue, so a huge header or body is refused before it is parsed.
const MAX_TOKEN_LENGTH: usize = 2048;

pub use crate::error::KeyError;

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// A freshly signed access token and its lifetime in seconds, as the login answer reports it.
#[derive(Debug, Clone)]
pub struct SignedAccess {
    pub token: String,
    pub expires_in: u32,
}

pub struct TokenSigner {
    key: KeyPair,
    kid: String,
}

impl TokenSigner {
    /// `pkcs8_b64`: the Ed25519 private key as base64 PKCS#8 DER, the single-line form of
    /// `openssl genpkey -algorithm ed25519 -outform DER | base64`.
    pub fn from_pkcs8_base64(kid: &str, pkcs8_b64: &str) -> Result<Self, KeyError> {
        if !is_valid_kid(kid) {
            return Err(KeyError("JWT_SIGNING_KID"));
        }
        let der = B64
            .decode(pkcs8_b64.trim())
            .map_err(|_| KeyError("JWT_SIGNING_KEY"))?;
        let key = KeyPair::from_der(&der).map_err(|_| KeyError("JWT_SIGNING_KEY"))?;
        Ok(TokenSigner {
            key,
            kid: kid.to_owned(),
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half as base64 SPKI DER: what goes into `JWT_PUBLIC_KEYS`.
    pub fn public_key_base64(&self) -> String {
        B64.encode(self.key.pk.to_der())
    }

    /// A token naming the user and the session (`sid`, so revoking the session, at logout or
    /// refresh-token reuse, ends its access tokens too), valid from `now` for
    /// [`ACCESS_TTL_SECONDS`].
    pub fn sign(
        &self,
        user: &UserId,
        session: &SessionId,
        now: Instant,
    ) -> ApiResult<SignedAccess> {
        let iat = unix_seconds(now)?;
        let header = json!({"alg": ALGORITHM, "typ": "JWT", "kid": self.kid});
        let claims = json!({
            "iat": iat,
            "exp": iat + u64::from(ACCESS_TTL_SECONDS),
            "nbf": iat,
            "iss": ISSUER,
            "sub": user.as_str(),
            "aud": AUDIENCE,
            "sid": session.as_str(),
        });
        Ok(SignedAccess {
            token: signed_jwt(&self.key, &header, &claims),
            expires_in: ACCESS_TTL_SECONDS,
        })
    }
}

/// `header.claims.signature`, each base64url, signed with Ed25519 (deterministic, RFC 8032).
fn signed_jwt(key: &KeyPair, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    );
    let signature = key.sk.sign(input.as_bytes(), None);
    format!("{input}.{}", B64URL.encode(signature.as_ref()))
}

/// The public keys tokens are checked against, by key id (raw 32-byte Ed25519 keys).
pub struct TokenVerifier {
    keys: Vec<(String, [u8; 32])>,
}

impl TokenVerifier {
    /// `spec`: `kid:base64-SPKI-DER` entries separated by commas, e.g. the current key and the
    /// one being retired during a rotation.
    pub fn from_spec(spec: &str) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (kid, b64) = entry.split_once(':').ok_or(KeyError("JWT_PUBLIC_KEYS"))?;
            let der = B64
                .decode(b64.trim())
                .map_err(|_| KeyError("JWT_PUBLIC_KEYS"))?;
            // `validate` refuses a small-order point, under which anyone could forge a token.
            let key = ed25519_compact::PublicKey::from_der(&der)
                .ok()
                .filter(|k| k.validate().is_ok())
                .map(|k| *k)
                .ok_or(KeyError("JWT_PUBLIC_KEYS"))?;
            if !is_valid_kid(kid.trim()) || keys.iter().any(|(k, _)| k == kid.trim()) {
                return Err(KeyError("JWT_PUBLIC_KEYS"));
            }
            keys.push((kid.trim().to_owned(), key));
        }
        if keys.is_empty() {
            return Err(KeyError("JWT_PUBLIC_KEYS"));
        }
        Ok(TokenVerifier { keys })
    }

    /// Everything but the signature: the token's shape, its header (exactly `EdDSA`, a known
    /// `kid`), and the bytes the signature must cover. The algorithm is fixed by us, never by
    /// what the header claims; the header only picks the key.
    pub fn parse<'t>(&self, token: &'t str) -> ApiResult<Unverified<'t>> {
        let unauthenticated = || ApiError::new(ErrorCode::Unauthenticated);
        if token.len() > MAX_TOKEN_LENGTH {
            return Err(unauthenticated());
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(unauthenticated());
        };
        let decode = |part: &str| B64URL.decode(part).map_err(|_| unauthenticated());
        let header: Header =
            serde_json::from_slice(&decode(header)?).map_err(|_| unauthenticated())?;
        if header.alg != ALGORITHM {
            return Err(unauthenticated());
        }
        let kid = header.kid.ok_or_else(unauthenticated)?;
        let (_, public_key) = self
            .keys
            .iter()
            .find(|(k, _)| *k == kid)
            .ok_or_else(unauthenticated)?;
        let signature: [u8; 64] = decode(signature)?
            .try_into()
            .map_err(|_| unauthenticated())?;
        let claims: RawClaims =
            serde_json::from_slice(&decode(payload)?).map_err(|_| unauthenticated())?;
        let signed_len = token.len() - token.rsplit('.').next().map_or(0, str::len) - 1;
        Ok(Unverified {
            public_key: *public_key,
            signed: &token.as_bytes()[..signed_len],
            signature,
            claims,
        })
    }

    /// Parse, signature and claims in one synchronous call, for the tests of the claims; what
    /// requests go through is `crate::auth::verify_token`.
    #[cfg(test)]
    pub fn verify(&self, token: &str, now: Instant) -> ApiResult<AccessClaims> {
        let unverified = self.parse(token)?;
        if !ed25519_valid(
            &unverified.public_key,
            unverified.signed,
            &unverified.signature,
        ) {
            return Err(ApiError::new(ErrorCode::Unauthenticated));
        }
        unverified.accept(now)
    }
}

/// Whether `signature` is `public_key`'s Ed25519 signature of `message`, checked in Rust.
pub(crate) fn ed25519_valid(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let pk = ed25519_compact::PublicKey::new(*public_key);
    let sig = ed25519_compact::Signature::new(*signature);
    pk.verify(message, &sig).is_ok()
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

#[derive(Deserialize)]
struct RawClaims {
    iss: Option<String>,
    /// A string or an array of strings. Not an untagged enum: serde buffers those, and this is
    /// parsed for every submit of a booking wave.
    aud: Option<serde_json::Value>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    sub: Option<String>,
    sid: Option<String>,
}

/// A token that parsed and names one of our keys, before its signature is checked.
pub struct Unverified<'t> {
    pub public_key: [u8; 32],
    /// `header.payload`: what the signature covers.
    pub signed: &'t [u8],
    pub signature: [u8; 64],
    claims: RawClaims,
}

impl Unverified<'_> {
    /// The claims, once the caller has checked the signature: our issuer and audience, `exp`,
    /// `nbf` and `iat` present and consistent with `now` within [`LEEWAY_SECONDS`], a subject and
    /// a session. Expired is `TOKEN_EXPIRED`; anything else `UNAUTHENTICATED`.
    pub fn accept(self, now: Instant) -> ApiResult<AccessClaims> {
        self.claimed(now)
    }

    /// What [`Unverified::accept`] would return if the signature is good, while it is not yet
    /// checked: only for answering what anyone may know without a token (a full period).
    pub fn claimed(&self, now: Instant) -> ApiResult<AccessClaims> {
        let unauthenticated = || ApiError::new(ErrorCode::Unauthenticated);
        let c = &self.claims;
        let leeway = LEEWAY_SECONDS as i64;
        let now = now.timestamp();
        let audience_ok = match &c.aud {
            Some(serde_json::Value::String(a)) => a == AUDIENCE,
            Some(serde_json::Value::Array(all)) => all.iter().any(|a| a == AUDIENCE),
            _ => false,
        };
        let (Some(iat), Some(exp), Some(nbf), Some(sub), Some(sid)) =
            (c.iat, c.exp, c.nbf, c.sub.as_deref(), c.sid.as_deref())
        else {
            return Err(unauthenticated());
        };
        if c.iss.as_deref() != Some(ISSUER) || !audience_ok || sub.is_empty() || sid.is_empty() {
            return Err(unauthenticated());
        }
        if nbf > now + leeway || iat > now + leeway {
            return Err(unauthenticated());
        }
        if now > exp + leeway {
            return Err(ApiError::new(ErrorCode::TokenExpired));
        }
        let user_id = UserId::parse(sub).map_err(|_| unauthenticated())?;
        let session_id = SessionId::parse(sid).map_err(|_| unauthenticated())?;
        Ok(AccessClaims {
            user_id,
            session_id,
            issued_at: iat,
            expires_at: exp,
        })
    }
}

/// Tokens this isolate verified, so a user's next requests skip the signature check. An entry
/// is only ever a token that passed the signature check and [`Unverified::accept`] under the
/// same key set; its expiry is judged again at every use, as `accept` judges it. Session
/// liveness is not cached: callers still check it in D1.
pub struct TokenCache {
    /// The `JWT_PUBLIC_KEYS` the entries were verified under; another set empties the cache.
    keys: String,
    entries: std::collections::HashMap<String, AccessClaims>,
    capacity: usize,
}

impl TokenCache {
    pub fn new(capacity: usize) -> Self {
        TokenCache {
            keys: String::new(),
            entries: std::collections::HashMap::new(),
            capacity,
        }
    }

    /// The remembered answer for `token`, if any.
    pub fn get(
        &mut self,
        keys: &str,
        token: &str,
        now: Instant,
    ) -> Option<ApiResult<AccessClaims>> {
        if self.keys != keys {
            self.entries.clear();
            keys.clone_into(&mut self.keys);
        }
        let c = self.entries.get(token)?;
        if now.timestamp() > c.expires_at + LEEWAY_SECONDS as i64 {
            self.entries.remove(token);
            return Some(Err(ApiError::new(ErrorCode::TokenExpired)));
        }
        Some(Ok(c.clone()))
    }

    pub fn put(&mut self, keys: &str, token: &str, claims: &AccessClaims) {
        if self.keys != keys {
            self.entries.clear();
            keys.clone_into(&mut self.keys);
        }
        if self.entries.len() >= self.capacity {
            // Dropping everything is crude but bounded, and a wave refills it in a second.
            self.entries.clear();
        }
        self.entries.insert(token.to_owned(), claims.clone());
    }
}

/// Key ids appear in headers and config lists: short, no separators.
fn is_valid_kid(kid: &str) -> bool {
    (1..=64).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn unix_seconds(now: Instant) -> ApiResult<u64> {
    u64::try_from(now.timestamp()).map_err(|_| ApiError::internal())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn the_cache_answers_as_verify_does_and_forgets_on_another_key_set() {
        let v = verifier();
        let issued = signer()
            .sign(
                &UserId::parse("u1").unwrap(),
                &SessionId::parse("s1").unwrap(),
                at(0),
            )
            .unwrap();
        let mut cache = TokenCache::new(2);
        assert!(cache.get("k1", &issued.token, at(1)).is_none());
        let claims = v.verify(&issued.token, at(1)).unwrap();
        cache.put("k1", &issued.token, &claims);
        assert_eq!(
            cache.get("k1", &issued.token, at(2)).unwrap().unwrap(),
            claims
        );
        // Expiry is judged at each use, with the same leeway as verify.
        let late = 900 + LEEWAY_SECONDS as i64 + 1;
        assert_eq!(
            cache
                .get("k1", &issued.token, at(late))
                .unwrap()
                .unwrap_err()
                .code,
            ErrorCode::TokenExpired
        );
        assert_eq!(
            code(v.verify(&issued.token, at(late))),
            ErrorCode::TokenExpired
        );
        // Another key set forgets everything; so does reaching the capacity.
        cache.put("k1", &issued.token, &claims);
        assert!(cache.get("k2", &issued.token, at(1)).is_none());
        cache.put("k2", "a", &claims);
        cache.put("k2", "b", &claims);
        cache.put("k2", "c", &claims);
        assert!(cache.get("k2", "a", at(1)).is_none());
        assert!(cache.get("k2", "c", at(1)).is_some());
    }

    use crate::time::from_unix_millis;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
    use hmac::{Hmac, Mac};
    use serde_json::{json, Value};
    use sha2::Sha256;

    /// The dev keys of `.dev.vars.example`: throwaway, public, local only.
    pub const DEV_KID: &str = "dev-1";
    pub const DEV_PRIVATE: &str =
        "MC4CAQAwBQYDK2VwBCIEINrO1ybjNKvWvuLatyPmLEZmXqg798tQuTap7m42qtqG";
    pub const DEV_PUBLIC: &str = "MCowBQYDK2VwAyEA+SIHYIzztXi5Arl837/2stqH6CVa2xb7JXiKt0MbiKE=";
    const OLD_PRIVATE: &str = "MC4CAQAwBQYDK2VwBCIEINscPsU9t6b59O8aL5XdsEn5DI4Z8I/h0MzGUGDiyfLo";
    const OLD_PUBLIC: &str = "MCowBQYDK2VwAyEAUyj3K9WLuCd4hxPusxBtdRACZDb5ddYROQXlcSlIJf8=";

    pub fn signer() -> TokenSigner {
        TokenSigner::from_pkcs8_base64(DEV_KID, DEV_PRIVATE).unwrap()
    }

    pub fn verifier() -> TokenVerifier {
        TokenVerifier::from_spec(&format!("{DEV_KID}:{DEV_PUBLIC}, dev-0:{OLD_PUBLIC}")).unwrap()
    }

    /// 2026-06-15T10:00:00+08:00.
    pub fn t0() -> Instant {
        from_unix_millis(1_781_488_800_000)
    }

    fn at(offset_seconds: i64) -> Instant {
        t0() + chrono::Duration::seconds(offset_seconds)
    }

    fn ids() -> (UserId, SessionId) {
        (
            UserId::parse("u_1").unwrap(),
            SessionId::parse("s_1").unwrap(),
        )
    }

    fn code(r: ApiResult<AccessClaims>) -> ErrorCode {
        r.unwrap_err().code
    }

    /// A token with the given header and claims, signed by the dev private key: everything is
    /// right about its signature, so only the claim checks can refuse it.
    fn forge(header: Value, claims: Value) -> String {
        signed_jwt(&signer().key, &header, &claims)
    }

    fn good_claims() -> Value {
        let iat = t0().timestamp();
        json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "u_1", "sid": "s_1",
               "iat": iat, "nbf": iat, "exp": iat + 900})
    }

    fn good_header() -> Value {
        json!({"alg": "EdDSA", "typ": "JWT", "kid": DEV_KID})
    }

    #[test]
    fn a_signed_token_verifies_with_its_claims() {
        let (u, s) = ids();
        let signed = signer().sign(&u, &s, t0()).unwrap();
        assert_eq!(signed.expires_in, 900);
        let claims = verifier().verify(&signed.token, at(60)).unwrap();
        assert_eq!(claims.user_id, u);
        assert_eq!(claims.session_id, s);
        assert_eq!(claims.expires_at - claims.issued_at, 900);
        assert_eq!(claims.issued_at, t0().timestamp());
    }

    #[test]
    fn the_header_names_the_algorithm_and_key() {
        let (u, s) = ids();
        let token = signer().sign(&u, &s, t0()).unwrap().token;
        let header: Value =
            serde_json::from_slice(&B64URL.decode(token.split('.').next().unwrap()).unwrap())
                .unwrap();
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(header["kid"], DEV_KID);
    }

    #[test]
    fn the_forging_helper_makes_tokens_the_verifier_accepts() {
        // Otherwise every refusal below could be the helper's fault.
        assert!(verifier()
            .verify(&forge(good_header(), good_claims()), at(1))
            .is_ok());
    }

    #[test]
    fn claimed_judges_the_claims_as_accept_does_but_not_the_signature() {
        let (u, s) = ids();
        let token = signer().sign(&u, &s, t0()).unwrap().token;
        // Another signature: refused by `verify`, yet `claimed` names the same caller.
        let (signed, _) = token.rsplit_once('.').unwrap();
        let tampered = format!("{signed}.{}", B64URL.encode([7u8; 64]));
        let v = verifier();
        assert_eq!(code(v.verify(&tampered, at(1))), ErrorCode::Unauthenticated);
        let claimed = v.parse(&tampered).unwrap().claimed(at(1)).unwrap();
        assert_eq!((claimed.user_id, claimed.session_id), (u, s));
        // Whatever `accept` refuses in the claims, `claimed` refuses the same way.
        let late = at(901 + LEEWAY_SECONDS as i64);
        assert_eq!(
            code(v.parse(&tampered).unwrap().claimed(late)),
            ErrorCode::TokenExpired
        );
        let mut claims = good_claims();
        claims["aud"] = json!("someone-else");
        let token = forge(good_header(), claims);
        assert_eq!(
            code(v.parse(&token).unwrap().claimed(at(1))),
            ErrorCode::Unauthenticated
        );
    }

    #[test]
    fn expiry_is_token_expired_after_the_leeway() {
        let (u, s) = ids();
        let token = signer().sign(&u, &s, t0()).unwrap().token;
        let v = verifier();
        assert!(v.verify(&token, at(900 + LEEWAY_SECONDS as i64)).is_ok());
        assert_eq!(
            code(v.verify(&token, at(901 + LEEWAY_SECONDS as i64))),
            ErrorCode::TokenExpired
        );
    }

    #[test]
    fn a_token_not_yet_valid_or_issued_in_the_future_is_refused() {
        let mut claims = good_claims();
        claims["nbf"] = json!(t0().timestamp() + 3600);
        let token = forge(good_header(), claims);
        assert_eq!(
            code(verifier().verify(&token, at(0))),
            ErrorCode::Unauthenticated
        );

        let (u, s) = ids();
        let future = signer().sign(&u, &s, at(3600)).unwrap().token;
        assert_eq!(
            code(verifier().verify(&future, at(0))),
            ErrorCode::Unauthenticated
        );
    }

    #[test]
    fn an_audience_list_naming_ours_is_accepted() {
        let mut claims = good_claims();
        claims["aud"] = json!(["another-api", AUDIENCE]);
        assert!(verifier()
            .verify(&forge(good_header(), claims), at(0))
            .is_ok());
    }

    #[test]
    fn wrong_audience_or_issuer_is_refused() {
        for (field, value) in [
            ("aud", json!("another-api")),
            ("aud", json!(["another-api"])),
            ("aud", json!(7)),
            ("aud", json!({ "aud": AUDIENCE })),
            ("iss", json!("someone-else")),
        ] {
            let mut claims = good_claims();
            claims[field] = value;
            let token = forge(good_header(), claims);
            assert_eq!(
                code(verifier().verify(&token, at(0))),
                ErrorCode::Unauthenticated,
                "{field}"
            );
        }
    }

    #[test]
    fn missing_registered_claims_are_refused() {
        for field in ["exp", "iat", "nbf", "sub", "sid", "aud", "iss"] {
            let mut claims = good_claims();
            claims.as_object_mut().unwrap().remove(field);
            let token = forge(good_header(), claims);
            assert_eq!(
                code(verifier().verify(&token, at(0))),
                ErrorCode::Unauthenticated,
                "{field}"
            );
        }
    }

    #[test]
    fn alg_none_is_refused() {
        for alg in ["none", "None", "NONE", ""] {
            let header = json!({"alg": alg, "typ": "JWT", "kid": DEV_KID});
            let unsigned = format!(
                "{}.{}.",
                B64URL.encode(header.to_string()),
                B64URL.encode(good_claims().to_string())
            );
            assert_eq!(
                code(verifier().verify(&unsigned, at(0))),
                ErrorCode::Unauthenticated,
                "{alg}"
            );
            let with_sig = forge(header, good_claims());
            assert_eq!(
                code(verifier().verify(&with_sig, at(0))),
                ErrorCode::Unauthenticated
            );
        }
    }

    #[test]
    fn hs256_keyed_with_the_public_key_is_refused() {
        // The classic confusion: a verifier that lets the header choose the algorithm would
        // check this MAC with the (public) key bytes it holds.
        let header = json!({"alg": "HS256", "typ": "JWT", "kid": DEV_KID});
        let input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(good_claims().to_string())
        );
        for key in [
            DEV_PUBLIC.as_bytes().to_vec(),
            B64.decode(DEV_PUBLIC).unwrap(),
        ] {
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
            mac.update(input.as_bytes());
            let token = format!("{input}.{}", B64URL.encode(mac.finalize().into_bytes()));
            assert_eq!(
                code(verifier().verify(&token, at(0))),
                ErrorCode::Unauthenticated
            );
        }
    }

    #[test]
    fn another_asymmetric_algorithm_is_refused() {
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": DEV_KID});
        assert_eq!(
            code(verifier().verify(&forge(header, good_claims()), at(0))),
            ErrorCode::Unauthenticated
        );
    }

    #[test]
    fn unknown_or_missing_kid_is_refused() {
        for header in [
            json!({"alg": "EdDSA", "typ": "JWT", "kid": "dev-9"}),
            json!({"alg": "EdDSA", "typ": "JWT"}),
        ] {
            assert_eq!(
                code(verifier().verify(&forge(header, good_claims()), at(0))),
                ErrorCode::Unauthenticated
            );
        }
    }

    #[test]
    fn a_kid_pointing_at_the_other_key_fails_the_signature() {
        let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": "dev-0"});
        assert_eq!(
            code(verifier().verify(&forge(header, good_claims()), at(0))),
            ErrorCode::Unauthenticated
        );
    }

    #[test]
    fn a_retiring_key_still_verifies_its_own_tokens() {
        let old = TokenSigner::from_pkcs8_base64("dev-0", OLD_PRIVATE).unwrap();
        let (u, s) = ids();
        let token = old.sign(&u, &s, t0()).unwrap().token;
        assert!(verifier().verify(&token, at(1)).is_ok());
        let only_new = TokenVerifier::from_spec(&format!("{DEV_KID}:{DEV_PUBLIC}")).unwrap();
        assert_eq!(
            code(only_new.verify(&token, at(1))),
            ErrorCode::Unauthenticated
        );
    }

    #[test]
    fn tampering_with_claims_or_signature_is_refused() {
        let (u, s) = ids();
        let token = signer().sign(&u, &s, t0()).unwrap().token;
        let parts: Vec<&str> = token.split('.').collect();
        let mut claims: Value = serde_json::from_slice(&B64URL.decode(parts[1]).unwrap()).unwrap();
        claims["sub"] = json!("u_2");
        let swapped = format!(
            "{}.{}.{}",
            parts[0],
            B64URL.encode(claims.to_string()),
            parts[2]
        );
        assert_eq!(
            code(verifier().verify(&swapped, at(0))),
            ErrorCode::Unauthenticated
        );

        let mut sig = B64URL.decode(parts[2]).unwrap();
        sig[10] ^= 1;
        let flipped = format!("{}.{}.{}", parts[0], parts[1], B64URL.encode(&sig));
        assert_eq!(
            code(verifier().verify(&flipped, at(0))),
            ErrorCode::Unauthenticated
        );
    }

    #[test]
    fn an_expired_token_with_a_bad_signature_is_unauthenticated_not_expired() {
        let (u, s) = ids();
        let token = signer().sign(&u, &s, t0()).unwrap().token;
        let truncated = &token[..token.len() - 4];
        assert_eq!(
            code(verifier().verify(truncated, at(86_400))),
            ErrorCode::Unauthenticated
        );
    }

    #[test]
    fn garbage_is_unauthenticated() {
        for bad in [
            "",
            "abc",
            "a.b.c",
            "....",
            &"x".repeat(5000),
            "eyJhbGciOiJFZERTQSJ9.e30.",
        ] {
            assert_eq!(
                code(verifier().verify(bad, at(0))),
                ErrorCode::Unauthenticated
            );
        }
    }

    #[test]
    fn key_configuration_errors_name_the_setting() {
        assert_eq!(
            TokenSigner::from_pkcs8_base64(DEV_KID, "not base64!").err(),
            Some(KeyError("JWT_SIGNING_KEY"))
        );
        assert_eq!(
            TokenSigner::from_pkcs8_base64("bad kid", DEV_PRIVATE).err(),
            Some(KeyError("JWT_SIGNING_KID"))
        );
        // The identity point: a small-order key, under which forged signatures verify. Its DER
        // is well formed; it is refused all the same.
        let mut weak = B64.decode(DEV_PUBLIC).unwrap();
        let point = weak.len() - 32;
        let mut identity = [0u8; 32];
        identity[0] = 1;
        weak[point..].copy_from_slice(&identity);
        for spec in [
            "",
            "dev-1",
            "dev-1:xx",
            &format!("dev-1:{DEV_PUBLIC},dev-1:{OLD_PUBLIC}"),
            &format!("dev-1:{}", B64.encode(&weak)),
        ] {
            assert_eq!(
                TokenVerifier::from_spec(spec).err(),
                Some(KeyError("JWT_PUBLIC_KEYS")),
                "{spec}"
            );
        }
        assert_eq!(signer().public_key_base64(), DEV_PUBLIC);
    }
}

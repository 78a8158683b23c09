//! The Alipay open-platform gateway, for `alipay.system.oauth.token` (auth code → user id).
//!
//! Requests carry the common parameters and an RSA2 signature (SHA256withRSA, PKCS#1 v1.5) made
//! with the app's private key over every non-empty parameter but `sign`, sorted by key, joined as
//! raw `k=v` pairs with `&`. Answers are `{"<method>_response":{…},"sign":"…"}` or
//! `{"error_response":{…},"sign":"…"}`, where `sign` is Alipay's signature over the exact JSON
//! text of the value; it is verified with Alipay's public key before anything in it is believed.

use super::wechat::is_provider_id;
use super::{form_encode, Failure, Outgoing};
use crate::auth::tokens::KeyError;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::t;
use crate::time::Instant;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

pub const OAUTH_METHOD: &str = "alipay.system.oauth.token";
const OAUTH_RESPONSE_KEY: &str = "alipay_system_oauth_token_response";

/// What an [`Rsa2`] key answers, later.
pub type Rsa2Future<'a, T> = Pin<Box<dyn Future<Output = ApiResult<T>> + 'a>>;

/// RSA2 (SHA256withRSA, PKCS#1 v1.5) with the app's private key and Alipay's public key. In a
/// Worker the runtime's WebCrypto does it (so no big-integer arithmetic is linked into the
/// functions that talk to Alipay); natively, for the tests, the `rsa` crate. PKCS#1 v1.5
/// signatures are deterministic: both give the very same bytes.
pub trait Rsa2 {
    /// The app's signature of `content`.
    fn sign<'a>(&'a self, content: &'a [u8]) -> Rsa2Future<'a, Vec<u8>>;
    /// Whether `signature` is Alipay's over `content`. `Err` is the implementation failing,
    /// not a bad signature.
    fn verify<'a>(&'a self, content: &'a [u8], signature: &'a [u8]) -> Rsa2Future<'a, bool>;
}

/// The app's Alipay credentials: its id, and its RSA2 keys.
pub struct AlipayApp {
    pub app_id: String,
    keys: Rc<dyn Rsa2>,
}

impl AlipayApp {
    /// `keys` were loaded from the configuration by the caller; an empty app id is refused
    /// here, where the keys' own errors are the loader's.
    pub fn with_keys(app_id: &str, keys: Rc<dyn Rsa2>) -> Result<Self, KeyError> {
        if app_id.is_empty() {
            return Err(KeyError("ALIPAY_APPID"));
        }
        Ok(AlipayApp {
            app_id: app_id.to_owned(),
            keys,
        })
    }

    /// Base64 RSA2 signature of `content`.
    pub async fn sign(&self, content: &str) -> ApiResult<String> {
        Ok(B64.encode(self.keys.sign(content.as_bytes()).await?))
    }

    /// Whether `signature_b64` is Alipay's signature over `content`.
    pub async fn verify(&self, content: &[u8], signature_b64: &str) -> ApiResult<bool> {
        match B64.decode(signature_b64.trim()) {
            Ok(raw) => self.keys.verify(content, &raw).await,
            Err(_) => Ok(false),
        }
    }

    /// The gateway request exchanging `auth_code`, signed, as a form body.
    pub async fn oauth_token(
        &self,
        gateway: &str,
        auth_code: &str,
        now: Instant,
    ) -> ApiResult<Outgoing> {
        self.gateway_request(
            gateway,
            OAUTH_METHOD,
            &[("grant_type", "authorization_code"), ("code", auth_code)],
            now,
        )
        .await
    }

    /// A call of `method` through the gateway: the common parameters, then `params` (for most
    /// methods a single `biz_content`), signed over all of them, as a form body.
    pub async fn gateway_request(
        &self,
        gateway: &str,
        method: &str,
        params: &[(&str, &str)],
        now: Instant,
    ) -> ApiResult<Outgoing> {
        let timestamp = crate::time::date_time_text(&now);
        let mut all: Vec<(&str, &str)> = vec![
            ("app_id", &self.app_id),
            ("method", method),
            ("format", "JSON"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("timestamp", &timestamp),
            ("version", "1.0"),
        ];
        all.extend_from_slice(params);
        let sign = self.sign(&sign_content(&all)).await?;
        all.push(("sign", &sign));
        Ok(Outgoing {
            method: "POST",
            url: gateway.to_owned(),
            content_type: Some("application/x-www-form-urlencoded;charset=utf-8"),
            authorization: None,
            body: Some(form_encode(&all)),
        })
    }

    /// The value of a gateway answer, as the exact text Alipay signed, once its signature is
    /// verified: `Ok((text, false))` from `<method>_response`, `Ok((text, true))` from
    /// `error_response`.
    pub async fn signed_value<'a>(
        &self,
        status: u16,
        body: &'a [u8],
        success_key: &str,
    ) -> Result<(&'a str, bool), Failure> {
        if status != 200 {
            return Err(Failure::http_status(status));
        }
        let fields: std::collections::HashMap<&str, &'a RawValue> =
            serde_json::from_slice(body).map_err(|_| Failure::malformed())?;
        let (raw, is_error) = match (fields.get(success_key), fields.get("error_response")) {
            (Some(raw), None) => (*raw, false),
            (None, Some(raw)) => (*raw, true),
            _ => return Err(Failure::malformed()),
        };
        let signed = match fields
            .get("sign")
            .and_then(|s| serde_json::from_str::<String>(s.get()).ok())
        {
            Some(sig) => self
                .verify(raw.get().as_bytes(), &sig)
                .await
                .map_err(|_| Failure::unavailable("signature check failed", false))?,
            None => false,
        };
        if !signed {
            // Not provably from Alipay: neither its success nor its error can be believed.
            return Err(Failure::unavailable("bad signature", false));
        }
        Ok((raw.get(), is_error))
    }
}

/// The string Alipay signs: every parameter except `sign` and empty ones, sorted by key in byte
/// order, as raw (not URL-encoded) `k=v` joined by `&`.
pub fn sign_content<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut kept: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .filter(|(k, v)| *k != "sign" && !v.is_empty())
        .collect();
    kept.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    kept.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Who logged in: Alipay's `user_id` (the `2088…` id), or its newer `open_id` where the app is
/// configured for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlipayUser {
    pub user_id: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    user_id: Option<String>,
    open_id: Option<String>,
}

/// The business fields of an `error_response` (and of a `<method>_response` that failed).
#[derive(Deserialize)]
pub(super) struct ErrorAnswer {
    pub code: Option<String>,
    pub sub_code: Option<String>,
}

pub async fn parse_oauth_token(
    app: &AlipayApp,
    status: u16,
    body: &[u8],
) -> Result<AlipayUser, Failure> {
    let (raw, is_error) = app.signed_value(status, body, OAUTH_RESPONSE_KEY).await?;
    if is_error {
        let err: ErrorAnswer = serde_json::from_str(raw).map_err(|_| Failure::malformed())?;
        return Err(error_failure(&err));
    }
    let answer: TokenAnswer = serde_json::from_str(raw).map_err(|_| Failure::malformed())?;
    let user_id = answer
        .user_id
        .or(answer.open_id)
        .filter(|id| is_provider_id(id))
        .ok_or_else(Failure::malformed)?;
    Ok(AlipayUser { user_id })
}

/// `error_response` mapped like WeChat's errors: a bad auth code is the user's 401, Alipay being
/// busy is retried, our own request or credentials being refused is a flagged 503.
pub(super) fn error_failure(err: &ErrorAnswer) -> Failure {
    let code = err.code.as_deref().unwrap_or("");
    let sub = err.sub_code.as_deref().unwrap_or("");
    let reason = format!("{code} {sub}");
    match (code, sub) {
        (_, "isv.code-invalid" | "isv.invalid-code" | "isv.code-expired") => Failure::rejected(
            ApiError::new(ErrorCode::Unauthenticated).with_message(t!("login.bad_auth_code")),
            reason,
        ),
        ("20000", _) | ("20001", _) => Failure::unavailable(reason, true),
        (_, s) if s.starts_with("isp.") => Failure::unavailable(reason, true),
        ("40001", _) | ("40002", _) | ("40006", _) => Failure::misconfigured(reason),
        _ => Failure::unavailable(reason, false),
    }
}

/// RSA2 in Rust, for the native tests: the `rsa` crate is a dev-dependency, so no function
/// links it.
#[cfg(test)]
pub(crate) mod in_rust {
    use super::{AlipayApp, KeyError, Rsa2, Rsa2Future};
    use crate::error::ApiResult;
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine as _;
    use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
    use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
    use rsa::signature::{SignatureEncoding, Signer, Verifier};
    use rsa::{RsaPrivateKey, RsaPublicKey};
    use sha2::Sha256;
    use std::rc::Rc;

    pub struct InRust {
        signing: SigningKey<Sha256>,
        verifying: VerifyingKey<Sha256>,
    }

    impl InRust {
        /// Keys as Alipay's console shows them: base64 DER on one line, the private key
        /// PKCS#8 and the public key SPKI.
        pub fn new(private_pkcs8_b64: &str, public_spki_b64: &str) -> Result<Self, KeyError> {
            let private = B64
                .decode(private_pkcs8_b64.trim())
                .ok()
                .and_then(|der| RsaPrivateKey::from_pkcs8_der(&der).ok())
                .ok_or(KeyError("ALIPAY_APP_PRIVATE_KEY"))?;
            let public = B64
                .decode(public_spki_b64.trim())
                .ok()
                .and_then(|der| RsaPublicKey::from_public_key_der(&der).ok())
                .ok_or(KeyError("ALIPAY_PUBLIC_KEY"))?;
            Ok(InRust {
                signing: SigningKey::new(private),
                verifying: VerifyingKey::new(public),
            })
        }
    }

    impl Rsa2 for InRust {
        fn sign<'a>(&'a self, content: &'a [u8]) -> Rsa2Future<'a, Vec<u8>> {
            let signature: ApiResult<Vec<u8>> = Ok(self.signing.sign(content).to_vec());
            Box::pin(std::future::ready(signature))
        }

        fn verify<'a>(&'a self, content: &'a [u8], signature: &'a [u8]) -> Rsa2Future<'a, bool> {
            let good = Signature::try_from(signature)
                .is_ok_and(|sig| self.verifying.verify(content, &sig).is_ok());
            Box::pin(std::future::ready(Ok(good)))
        }
    }

    /// An app whose keys are these, signing and verifying in Rust.
    pub fn app(app_id: &str, private: &str, public: &str) -> Result<AlipayApp, KeyError> {
        AlipayApp::with_keys(app_id, Rc::new(InRust::new(private, public)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::block_on;
    use crate::time::from_unix_millis;

    const APP_PRIVATE: &str = include_str!("../../../dev/fakes/keys/app_private.b64");
    const APP_PUBLIC: &str = include_str!("../../../dev/fakes/keys/app_public.b64");
    const ALIPAY_PUBLIC: &str = include_str!("../../../dev/fakes/keys/alipay_public.b64");

    /// Made by the fake's own `signContent` and `signRsa2` (node:crypto) with the dev keys.
    const VECTOR_CONTENT: &str = "app_id=ali-dev-appid&charset=utf-8&code=dev-alice&format=JSON&grant_type=authorization_code&method=alipay.system.oauth.token&sign_type=RSA2&timestamp=2026-06-15 10:00:00&version=1.0";
    const VECTOR_SIGN: &str = "m+IddFMnzdzNlvZEPh90/BWDw9QPQmyFXnm12fMixnwEqqFBOtFLaRAlmScpk/pkBMAbCF2amjsPe7q4fEZMRGARotCYXk5l9a3nUH/SKxJ7U2PFVHUDVOosbn+rKQXYRIDjAJKmZ6ZfFQWML/e7puDAo5B71Y3vSoRd9+OyPUCReYWdTy2stzTSBSe1XVY5Dam3g7AoLr57C2pbfuSehqNVC7xl1TibdIApQu0oRWUEAXUekle3QFWAy+zE+TkwIc0DQQxlU9zo8IiqZ8n8EgcZKdATJNZQ/3l7ibQeCjajqwWuzDnzXvI1y8TsUgIClSnj4fuxNC85AbienxG/7A==";
    const OK_JSON: &str = r#"{"user_id":"ali-alice","open_id":"ali-open-alice","access_token":"authusrB1","expires_in":1296000,"refresh_token":"authusrB2","re_expires_in":2592000,"auth_start":"2026-06-15 10:00:00"}"#;
    const OK_SIGN: &str = "SpFlRWD1W/w3D9j4x1pav68mXM6ihn3WNpcrRL+gmBUa+zMQo7XWru1O+nfS4L1mLDgHE3heK/oqLn/IjZt2KWqCZxNdG0jGxaaEiWm7FvfOKIt88pIl/qo8BqUq8Dgxjb3sgqA/l12PgUdkihhfXHYMONfZral0/cTciq1PQWkIOagjCoxJGx4HwZiA1HEJtX3SVYhG1Oy7BLJ4LFLIAkaL1y1L7fqvzzNF03MAq34oxpehdRWfc8zoBw3D7PnYabckOuSIhyxqAG678qJqccbm8RbqTpfi8NEITAsvNb1x/c7KBNGTRbO09t/6aVS6NGmglZwOeaSQHTfwRUNnhw==";
    const ERR_JSON: &str = r#"{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.code-invalid","sub_msg":"授权码code无效"}"#;
    const ERR_SIGN: &str = "om796UEDfjsB3VFFj5FUbA4bQrTO0ux5pbgrMVZSvWHgXnFnaigUBrQlekKS+8zzjqs0bzkbuk4Wn0HhvplEeNcOQBJy4mhX/DDVYrrs6pW5d1qssmtiqNvDAZoSffnnpLzszq6WPLf5fWfKZAx5W/N8u/JtbuGzpOfM85aKbVGaYUqgoKr7nWiVWQAdyvqkptrkJ3PCZNvZoF3EUgZD88kwNjCwSBkstliWVNqA3DrbNUbnV716M35KyrD71/geGkwzpzXVwpSTkwIE5MQBYceeUzxBMh4/8gfVUTosvFSbzO3d4x0SyQxQWyA8cQcYd/zb05tSLcNk5CUmbzrTrw==";

    fn app() -> AlipayApp {
        in_rust::app("ali-dev-appid", APP_PRIVATE, ALIPAY_PUBLIC).unwrap()
    }

    fn parse(body: &str) -> Result<AlipayUser, Failure> {
        block_on(parse_oauth_token(&app(), 200, body.as_bytes()))
    }

    fn envelope(key: &str, json: &str, sign: &str) -> String {
        format!(r#"{{"{key}":{json},"sign":"{sign}"}}"#)
    }

    #[test]
    fn sign_content_sorts_and_skips_sign_and_empty_values() {
        let params = [
            ("timestamp", "2026-06-15 10:00:00"),
            ("code", "dev-alice"),
            ("sign", "ignored"),
            ("app_id", "ali-dev-appid"),
            ("empty", ""),
            ("method", OAUTH_METHOD),
            ("version", "1.0"),
            ("charset", "utf-8"),
            ("grant_type", "authorization_code"),
            ("sign_type", "RSA2"),
            ("format", "JSON"),
        ];
        assert_eq!(sign_content(&params), VECTOR_CONTENT);
    }

    #[test]
    fn signatures_match_the_fakes_known_vector() {
        assert_eq!(block_on(app().sign(VECTOR_CONTENT)).unwrap(), VECTOR_SIGN);
    }

    #[test]
    fn the_request_is_signed_over_its_own_parameters() {
        let now = from_unix_millis(1_781_488_800_000); // 2026-06-15 10:00:00 +08:00
        let req =
            block_on(app().oauth_token("http://h/alipay/gateway.do", "dev-alice", now)).unwrap();
        assert_eq!(req.method, "POST");
        let body = req.body.unwrap();
        assert!(
            body.contains("timestamp=2026-06-15%2010%3A00%3A00"),
            "{body}"
        );
        let sign = body
            .split('&')
            .find_map(|p| p.strip_prefix("sign="))
            .unwrap();
        let sign = sign
            .replace("%2B", "+")
            .replace("%2F", "/")
            .replace("%3D", "=");
        assert_eq!(sign, VECTOR_SIGN);
        // And the app's public key (what the fake holds) accepts it.
        let as_fake = in_rust::app("x", APP_PRIVATE, APP_PUBLIC).unwrap();
        assert!(block_on(as_fake.verify(VECTOR_CONTENT.as_bytes(), &sign)).unwrap());
    }

    #[test]
    fn a_signed_success_gives_the_user_id() {
        let user = parse(&envelope(OAUTH_RESPONSE_KEY, OK_JSON, OK_SIGN)).unwrap();
        assert_eq!(user.user_id, "ali-alice");
    }

    #[test]
    fn a_signed_invalid_code_error_is_unauthenticated() {
        let f = parse(&envelope("error_response", ERR_JSON, ERR_SIGN)).unwrap_err();
        assert_eq!(f.error.code, ErrorCode::Unauthenticated);
        assert!(!f.retry);
        assert_eq!(f.reason, "40002 isv.code-invalid");
    }

    #[test]
    fn a_bad_or_missing_signature_is_unavailable_whatever_the_content() {
        let tampered = OK_JSON.replace("ali-alice", "ali-mallory");
        for body in [
            envelope(OAUTH_RESPONSE_KEY, &tampered, OK_SIGN),
            envelope(OAUTH_RESPONSE_KEY, OK_JSON, ERR_SIGN),
            envelope(OAUTH_RESPONSE_KEY, OK_JSON, "bm90IGEgc2lnbmF0dXJl"),
            envelope(OAUTH_RESPONSE_KEY, OK_JSON, "!!"),
            format!(r#"{{"{OAUTH_RESPONSE_KEY}":{OK_JSON}}}"#),
            // Whitespace changes the signed text: the exact bytes are what count.
            envelope(OAUTH_RESPONSE_KEY, &OK_JSON.replace(",", ", "), OK_SIGN),
            envelope("error_response", ERR_JSON, OK_SIGN),
        ] {
            let f = parse(&body).unwrap_err();
            assert_eq!(f.error.code, ErrorCode::UpstreamUnavailable, "{body}");
            assert_eq!(f.reason, "bad signature");
        }
    }

    #[test]
    fn error_codes_map_like_wechats() {
        let f = |code: &str, sub: &str| {
            error_failure(&ErrorAnswer {
                code: Some(code.into()),
                sub_code: Some(sub.into()),
            })
        };
        let busy = f("20000", "isp.unknow-error");
        assert!(busy.retry && busy.error.code == ErrorCode::UpstreamUnavailable);
        let sig = f("40002", "isv.invalid-signature");
        assert!(sig.config && !sig.retry);
        assert!(f("40002", "isv.invalid-app-id").config);
        assert_eq!(f("40004", "x").error.code, ErrorCode::UpstreamUnavailable);
        assert_eq!(
            f("40002", "isv.code-invalid").error.code,
            ErrorCode::Unauthenticated
        );
    }

    #[test]
    fn garbage_is_unavailable() {
        for (status, body) in [
            (200, "{not json".to_owned()),
            (200, "{}".to_owned()),
            (
                200,
                format!(
                    r#"{{"error_response":{ERR_JSON},"{OAUTH_RESPONSE_KEY}":{OK_JSON},"sign":"{OK_SIGN}"}}"#
                ),
            ),
            (500, "Internal Server Error".to_owned()),
        ] {
            let f = block_on(parse_oauth_token(&app(), status, body.as_bytes())).unwrap_err();
            assert_eq!(f.error.code, ErrorCode::UpstreamUnavailable, "{body}");
        }
    }

    #[test]
    fn keys_are_checked_when_loaded() {
        assert_eq!(
            in_rust::app("a", "bad", ALIPAY_PUBLIC).err(),
            Some(KeyError("ALIPAY_APP_PRIVATE_KEY"))
        );
        assert_eq!(
            in_rust::app("a", APP_PRIVATE, APP_PRIVATE).err(),
            Some(KeyError("ALIPAY_PUBLIC_KEY"))
        );
        assert_eq!(
            in_rust::app("", APP_PRIVATE, ALIPAY_PUBLIC).err(),
            Some(KeyError("ALIPAY_APPID"))
        );
    }
}

//! Ed25519 through the runtime's WebCrypto (`crypto.subtle`): checking access tokens and signing
//! QR payloads; and Alipay's RSA2, so that no function links big-integer arithmetic. Either in Rust compiled to wasm costs about 1.5 ms of CPU (64-bit limb
//! arithmetic without native 128-bit multiplies); the runtime's native implementation takes a
//! tenth of that, which is the difference between a booking wave served and one queued.

use base64::Engine as _;
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use yuyue_shared::booking::qr::{Ed25519Signing, SignatureFuture};
use yuyue_shared::providers::alipay::{Rsa2, Rsa2Future};
use yuyue_shared::providers::alipay_phone::ContentKey;
use yuyue_shared::ApiError;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = importKey)]
    fn import_key(
        format: &str,
        key_data: &Uint8Array,
        algorithm: &JsValue,
        extractable: bool,
        usages: &Array,
    ) -> Promise;

    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = exportKey)]
    fn export_key(format: &str, key: &JsValue) -> Promise;

    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = sign)]
    fn subtle_sign(algorithm: &JsValue, key: &JsValue, data: &Uint8Array) -> Promise;

    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = decrypt)]
    fn subtle_decrypt(algorithm: &JsValue, key: &JsValue, data: &Uint8Array) -> Promise;

    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = verify)]
    fn subtle_verify(
        algorithm: &JsValue,
        key: &JsValue,
        signature: &Uint8Array,
        data: &Uint8Array,
    ) -> Promise;
}

thread_local! {
    /// Imported public keys, by their raw bytes: importing is an await, done once per key and
    /// isolate.
    static KEYS: RefCell<HashMap<[u8; 32], JsValue>> = RefCell::new(HashMap::new());
    /// The imported signing key and the public key it belongs to (one QR key per deployment).
    static SIGNING: RefCell<Option<([u8; 32], JsValue)>> = const { RefCell::new(None) };
}

/// PKCS#8 (RFC 8410) wrapping of a raw 32-byte Ed25519 private key (its seed): the one format
/// WebCrypto imports an Ed25519 private key from besides JWK.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

fn algorithm() -> Result<JsValue, JsValue> {
    let alg = Object::new();
    Reflect::set(&alg, &"name".into(), &"Ed25519".into())?;
    Ok(alg.into())
}

async fn key(public_key: &[u8; 32]) -> Result<JsValue, JsValue> {
    if let Some(k) = KEYS.with(|k| k.borrow().get(public_key).cloned()) {
        return Ok(k);
    }
    let usages = Array::of1(&"verify".into());
    let raw = Uint8Array::from(&public_key[..]);
    let imported = JsFuture::from(import_key("raw", &raw, &algorithm()?, false, &usages)).await?;
    KEYS.with(|k| k.borrow_mut().insert(*public_key, imported.clone()));
    Ok(imported)
}

/// Whether `signature` is `public_key`'s Ed25519 signature of `data`. An `Err` is the runtime
/// failing (not a bad signature, which is `Ok(false)`).
pub async fn ed25519_verify(
    public_key: &[u8; 32],
    data: &[u8],
    signature: &[u8; 64],
) -> Result<bool, JsValue> {
    let key = key(public_key).await?;
    let verdict = JsFuture::from(subtle_verify(
        &algorithm()?,
        &key,
        &Uint8Array::from(&signature[..]),
        &Uint8Array::from(data),
    ))
    .await?;
    Ok(verdict.as_bool() == Some(true))
}

/// Access tokens' signatures checked by the runtime (`yuyue_shared::auth::Ed25519Verifying`).
pub struct WebCryptoEd25519;

impl yuyue_shared::auth::Ed25519Verifying for WebCryptoEd25519 {
    fn verify<'a>(
        &'a self,
        public_key: &'a [u8; 32],
        message: &'a [u8],
        signature: &'a [u8; 64],
    ) -> yuyue_shared::auth::VerifyFuture<'a> {
        Box::pin(async move {
            ed25519_verify(public_key, message, signature)
                .await
                .map_err(|_| webcrypto_failed("verify"))
        })
    }
}

/// The public half of the Ed25519 key of `seed`, from the runtime: the key is imported (and
/// kept for signing) and its JWK's `x` read, so the functions that sign QR payloads need no
/// Ed25519 arithmetic of their own to know it.
pub async fn ed25519_public_key(seed: &[u8; 32]) -> Result<[u8; 32], JsValue> {
    let key = import_signing_key(seed, true).await?;
    let jwk = JsFuture::from(export_key("jwk", &key)).await?;
    let x = Reflect::get(&jwk, &"x".into())?
        .as_string()
        .ok_or_else(|| JsValue::from_str("JWK without x"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(x.trim_end_matches('='))
        .map_err(|_| JsValue::from_str("JWK x is not base64url"))?;
    let public_key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| JsValue::from_str("JWK x of unexpected length"))?;
    SIGNING.with(|s| *s.borrow_mut() = Some((public_key, key)));
    Ok(public_key)
}

/// The Ed25519 signing key of `seed`, imported into the runtime (`extractable` to read its
/// public half back).
async fn import_signing_key(seed: &[u8; 32], extractable: bool) -> Result<JsValue, JsValue> {
    let mut der = PKCS8_ED25519_PREFIX.to_vec();
    der.extend_from_slice(seed);
    let usages = Array::of1(&"sign".into());
    let raw = Uint8Array::from(&der[..]);
    JsFuture::from(import_key(
        "pkcs8",
        &raw,
        &algorithm()?,
        extractable,
        &usages,
    ))
    .await
}

/// Signs with the Ed25519 key of `seed`, imported once per isolate (by [`ed25519_public_key`],
/// or here if another key was imported since); `public_key`, the seed's, names it.
/// Deterministic: the same bytes as any RFC 8032 signer.
async fn ed25519_sign(
    seed: &[u8; 32],
    public_key: &[u8; 32],
    data: &[u8],
) -> Result<[u8; 64], JsValue> {
    let cached = SIGNING.with(|s| {
        s.borrow()
            .as_ref()
            .filter(|(pk, _)| pk == public_key)
            .map(|(_, k)| k.clone())
    });
    let key = match cached {
        Some(k) => k,
        None => {
            let imported = import_signing_key(seed, false).await?;
            SIGNING.with(|s| *s.borrow_mut() = Some((*public_key, imported.clone())));
            imported
        }
    };
    let signature =
        JsFuture::from(subtle_sign(&algorithm()?, &key, &Uint8Array::from(data))).await?;
    let bytes = Uint8Array::new(&signature).to_vec();
    bytes
        .try_into()
        .map_err(|_| JsValue::from_str("signature of unexpected length"))
}

/// The QR signer's [`Ed25519Signing`]: the same key, signed by the runtime.
pub struct QrWebCrypto {
    seed: [u8; 32],
    public_key: [u8; 32],
}

impl QrWebCrypto {
    pub fn new(seed: [u8; 32], public_key: [u8; 32]) -> Self {
        QrWebCrypto { seed, public_key }
    }
}

impl Ed25519Signing for QrWebCrypto {
    fn sign<'a>(&'a self, message: &'a [u8]) -> SignatureFuture<'a> {
        Box::pin(async move {
            ed25519_sign(&self.seed, &self.public_key, message)
                .await
                .map_err(|_| webcrypto_failed("sign"))
        })
    }
}

/// `{name: "RSASSA-PKCS1-v1_5", hash: "SHA-256"}`: Alipay's RSA2.
fn rsa2_algorithm() -> Result<JsValue, JsValue> {
    let alg = Object::new();
    Reflect::set(&alg, &"name".into(), &"RSASSA-PKCS1-v1_5".into())?;
    Reflect::set(&alg, &"hash".into(), &"SHA-256".into())?;
    Ok(alg.into())
}

/// Which of the two keys the runtime could not import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rsa2KeyRefused {
    Private,
    Public,
}

/// The app's RSA private key and Alipay's public key, imported into the runtime.
pub struct WebCryptoRsa2 {
    private: JsValue,
    public: JsValue,
}

impl WebCryptoRsa2 {
    /// Keys as Alipay's console shows them (base64 DER, PKCS#8 and SPKI); which one the runtime
    /// cannot import is the configuration's error.
    pub async fn import(
        private_pkcs8_b64: &str,
        public_spki_b64: &str,
    ) -> Result<Self, Rsa2KeyRefused> {
        async fn one(b64: &str, format: &str, usage: &str) -> Option<JsValue> {
            let der = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()?;
            let usages = Array::of1(&usage.into());
            let alg = rsa2_algorithm().ok()?;
            let imported = import_key(format, &Uint8Array::from(&der[..]), &alg, false, &usages);
            JsFuture::from(imported).await.ok()
        }
        Ok(WebCryptoRsa2 {
            private: one(private_pkcs8_b64, "pkcs8", "sign")
                .await
                .ok_or(Rsa2KeyRefused::Private)?,
            public: one(public_spki_b64, "spki", "verify")
                .await
                .ok_or(Rsa2KeyRefused::Public)?,
        })
    }
}

/// The runtime's crypto failed (not a bad signature or input): logged by step, answered 500.
fn webcrypto_failed(op: &'static str) -> ApiError {
    crate::log::event("error", "webcrypto_failed", &[("op", op.into())]);
    ApiError::internal()
}

impl Rsa2 for WebCryptoRsa2 {
    fn sign<'a>(&'a self, content: &'a [u8]) -> Rsa2Future<'a, Vec<u8>> {
        Box::pin(async move {
            let alg = rsa2_algorithm().map_err(|_| webcrypto_failed("rsa_sign"))?;
            let signature =
                JsFuture::from(subtle_sign(&alg, &self.private, &Uint8Array::from(content)))
                    .await
                    .map_err(|_| webcrypto_failed("rsa_sign"))?;
            Ok(Uint8Array::new(&signature).to_vec())
        })
    }

    fn verify<'a>(&'a self, content: &'a [u8], signature: &'a [u8]) -> Rsa2Future<'a, bool> {
        Box::pin(async move {
            let alg = rsa2_algorithm().map_err(|_| webcrypto_failed("rsa_verify"))?;
            let verdict = JsFuture::from(subtle_verify(
                &alg,
                &self.public,
                &Uint8Array::from(signature),
                &Uint8Array::from(content),
            ))
            .await
            .map_err(|_| webcrypto_failed("rsa_verify"))?;
            Ok(verdict.as_bool() == Some(true))
        })
    }
}

/// `{name: "AES-CBC", iv}` with Alipay's zero IV.
fn aes_cbc() -> Result<JsValue, JsValue> {
    let alg = Object::new();
    Reflect::set(&alg, &"name".into(), &"AES-CBC".into())?;
    Reflect::set(&alg, &"iv".into(), &Uint8Array::new_with_length(16).into())?;
    Ok(alg.into())
}

/// The app's Alipay content key (接口内容加密, AES), imported into the runtime.
pub struct WebCryptoContentKey(JsValue);

impl WebCryptoContentKey {
    /// The key as Alipay's console shows it (base64 of 16, 24 or 32 bytes); `None` when the
    /// runtime cannot import it, which is the configuration's error.
    pub async fn import(b64: &str) -> Option<Self> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .ok()?;
        let usages = Array::of1(&"decrypt".into());
        let imported = import_key(
            "raw",
            &Uint8Array::from(&raw[..]),
            &aes_cbc().ok()?,
            false,
            &usages,
        );
        JsFuture::from(imported).await.ok().map(WebCryptoContentKey)
    }
}

impl ContentKey for WebCryptoContentKey {
    fn decrypt<'a>(&'a self, ciphertext: &'a [u8]) -> Rsa2Future<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let alg = aes_cbc().map_err(|_| webcrypto_failed("aes_decrypt"))?;
            // WebCrypto rejects bad padding: input that was not sealed with this key.
            Ok(
                JsFuture::from(subtle_decrypt(&alg, &self.0, &Uint8Array::from(ciphertext)))
                    .await
                    .ok()
                    .map(|plain| Uint8Array::new(&plain).to_vec()),
            )
        })
    }
}

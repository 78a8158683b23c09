//! The phone number `my.getPhoneNumber` hands an Alipay mini-program: Alipay encrypts
//! `{"code","msg","mobile"}` with the app's content key (AES-CBC, a zero IV, PKCS#7 padding,
//! base64) and signs the ciphertext, wrapped in double quotes, with its RSA2 key, as the official
//! SDK's `aesDecrypt` and `rsaCheck` read it. The client sends the `response` text as it got it;
//! nothing in it is believed before the signature is Alipay's. Decrypting is the caller's
//! (WebCrypto in the adapter, a test's own elsewhere), through [`ContentKey`].

use super::alipay::{AlipayApp, Rsa2Future};
use crate::domain::Phone;
use crate::error::{ApiError, ApiResult};
use crate::t;
use base64::Engine;
use serde::Deserialize;

/// The app's AES content key (接口内容加密), as the platform's crypto holds it.
pub trait ContentKey {
    /// The plaintext of `ciphertext` under the zero IV; `Ok(None)` when it does not decrypt (bad
    /// padding): the caller's input, not a failure of the implementation.
    fn decrypt<'a>(&'a self, ciphertext: &'a [u8]) -> Rsa2Future<'a, Option<Vec<u8>>>;
}

/// The longest `response` a phone answer needs: a few hundred bytes of ciphertext and a signature.
const MAX_RESPONSE: usize = 4096;

fn bad() -> ApiError {
    ApiError::invalid("response", t!("login.bad_phone_code"))
}

/// The confirmed mainland number in `response` (the text of `my.getPhoneNumber`'s `response`).
pub async fn phone_number(
    app: &AlipayApp,
    key: &dyn ContentKey,
    response: &str,
) -> ApiResult<Phone> {
    #[derive(Deserialize)]
    struct Sealed {
        response: String,
        sign: String,
        #[serde(default)]
        sign_type: Option<String>,
        #[serde(default)]
        encrypt_type: Option<String>,
    }
    #[derive(Deserialize)]
    struct Plain {
        code: String,
        #[serde(default)]
        mobile: Option<String>,
    }
    if response.len() > MAX_RESPONSE {
        return Err(bad());
    }
    let sealed: Sealed = serde_json::from_str(response).map_err(|_| bad())?;
    let known = |v: &Option<String>, want: &str| v.as_deref().is_none_or(|s| s == want);
    if !known(&sealed.sign_type, "RSA2") || !known(&sealed.encrypt_type, "AES") {
        return Err(bad());
    }
    if !app
        .verify(format!("\"{}\"", sealed.response).as_bytes(), &sealed.sign)
        .await?
    {
        return Err(bad());
    }
    let ciphertext = base64::engine::general_purpose::STANDARD
        .decode(sealed.response.trim())
        .map_err(|_| bad())?;
    let plain = key.decrypt(&ciphertext).await?.ok_or_else(bad)?;
    let plain: Plain = serde_json::from_slice(&plain).map_err(|_| bad())?;
    if plain.code != "10000" {
        return Err(bad());
    }
    // Alipay hands mainland numbers only; anything else is not a number we can reach.
    plain
        .mobile
        .and_then(|m| Phone::parse(&m).ok())
        .ok_or_else(|| ApiError::invalid("response", t!("login.phone_not_mainland")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::block_on;
    use crate::providers::alipay::Rsa2;
    use std::rc::Rc;

    /// "Signs" as `sig(content) = reversed content`, and decrypts by dropping a `sealed:` prefix:
    /// enough to show which bytes each step is given.
    struct Fake;

    impl Rsa2 for Fake {
        fn sign<'a>(&'a self, content: &'a [u8]) -> Rsa2Future<'a, Vec<u8>> {
            Box::pin(async move { Ok(content.iter().rev().copied().collect()) })
        }
        fn verify<'a>(&'a self, content: &'a [u8], signature: &'a [u8]) -> Rsa2Future<'a, bool> {
            Box::pin(
                async move { Ok(content.iter().rev().copied().collect::<Vec<_>>() == signature) },
            )
        }
    }

    impl ContentKey for Fake {
        fn decrypt<'a>(&'a self, ciphertext: &'a [u8]) -> Rsa2Future<'a, Option<Vec<u8>>> {
            Box::pin(async move { Ok(ciphertext.strip_prefix(b"sealed:").map(<[u8]>::to_vec)) })
        }
    }

    fn app() -> AlipayApp {
        AlipayApp::with_keys("ali-dev-appid", Rc::new(Fake)).unwrap()
    }

    /// The `response` text for `plain`, sealed and signed as Alipay does (by the fake's rules).
    fn sealed(plain: &str) -> String {
        let b64 = base64::engine::general_purpose::STANDARD;
        let content = b64.encode(format!("sealed:{plain}"));
        let quoted = format!("\"{content}\"");
        let sign = b64.encode(quoted.bytes().rev().collect::<Vec<_>>());
        serde_json::json!({ "response": content, "sign": sign, "sign_type": "RSA2", "encrypt_type": "AES", "charset": "UTF-8" })
            .to_string()
    }

    fn read(response: &str) -> ApiResult<Phone> {
        block_on(phone_number(&app(), &Fake, response))
    }

    #[test]
    fn a_signed_sealed_number_is_read() {
        let phone = read(&sealed(
            r#"{"code":"10000","msg":"Success","mobile":"13812345678"}"#,
        ))
        .unwrap();
        assert_eq!(phone.as_str(), "13812345678");
    }

    #[test]
    fn the_signature_is_over_the_quoted_ciphertext_and_required() {
        let good = sealed(r#"{"code":"10000","msg":"Success","mobile":"13812345678"}"#);
        let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
        // The same signature over another ciphertext, and none at all.
        let other = base64::engine::general_purpose::STANDARD
            .encode("sealed:{\"code\":\"10000\",\"mobile\":\"13900000000\"}");
        let mut swapped = v.clone();
        swapped["response"] = other.into();
        assert!(read(&swapped.to_string()).is_err());
        v.as_object_mut().unwrap().remove("sign");
        assert!(read(&v.to_string()).is_err());
    }

    #[test]
    fn what_is_not_a_confirmed_mainland_number_is_refused_as_input() {
        let cases = [
            sealed(
                r#"{"code":"40003","msg":"Business Failed","subCode":"isv.invalid-auth-relations"}"#,
            ),
            sealed(r#"{"code":"10000","msg":"Success","mobile":"+85291234567"}"#),
            sealed(r#"{"code":"10000","msg":"Success"}"#),
            sealed("not json"),
            "not json".to_owned(),
            "{}".to_owned(),
            "x".repeat(MAX_RESPONSE + 1),
        ];
        for case in cases {
            let err = read(&case).unwrap_err();
            assert_eq!(err.status(), 400, "{case}");
        }
        let mut v: serde_json::Value =
            serde_json::from_str(&sealed(r#"{"code":"10000","mobile":"13812345678"}"#)).unwrap();
        v["sign_type"] = "RSA".into();
        assert!(
            read(&v.to_string()).is_err(),
            "an RSA (SHA-1) answer is not what Alipay sends with RSA2 keys"
        );
        // Not decrypting (bad padding) is the input's fault too.
        let b64 = base64::engine::general_purpose::STANDARD;
        let content = b64.encode("garbage");
        let sign = b64.encode(format!("\"{content}\"").bytes().rev().collect::<Vec<_>>());
        let undecryptable = serde_json::json!({ "response": content, "sign": sign }).to_string();
        assert_eq!(read(&undecryptable).unwrap_err().status(), 400);
    }
}

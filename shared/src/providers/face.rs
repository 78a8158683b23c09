//! The face-verification vendor: the mini-program runs liveness and face matching on the phone
//! and gets a `verify_token`; we ask the vendor whether that token passed for the name and ID
//! number given. `POST {base}/v1/verify` with `Authorization: Bearer <key>`.

use super::{join_url, Failure, Outgoing};
use crate::domain::{PersonDocument, PersonName};
use serde::Deserialize;

pub fn verify(
    base: &str,
    api_key: &str,
    verify_token: &str,
    name: &PersonName,
    document: &PersonDocument,
) -> Outgoing {
    // A resident ID card keeps the vendor's `id_number` field; other documents name their
    // type, as the vendor's certificate-type parameter does.
    let body = match document {
        PersonDocument::IdCard(id) => serde_json::json!({
            "verify_token": verify_token,
            "name": name.as_str(),
            "id_number": id.as_str(),
        }),
        other => serde_json::json!({
            "verify_token": verify_token,
            "name": name.as_str(),
            "document_type": other.kind().as_str(),
            "document_number": other.number(),
            "nationality": other.nationality(),
        }),
    };
    Outgoing {
        method: "POST",
        url: join_url(base, "/v1/verify"),
        content_type: Some("application/json"),
        authorization: Some(format!("Bearer {api_key}")),
        body: Some(body.to_string()),
    }
}

/// Whether the person passed. A clear "did not pass" is an answer, not a failure.
pub fn parse_verify(status: u16, body: &[u8]) -> Result<bool, Failure> {
    #[derive(Deserialize)]
    struct Answer {
        passed: bool,
    }
    match status {
        200 => serde_json::from_slice::<Answer>(body)
            .map(|a| a.passed)
            .map_err(|_| Failure::malformed()),
        // Our key, or a request we built, was refused.
        400 | 401 | 403 => Err(Failure::misconfigured(format!("http {status}"))),
        _ => Err(Failure::http_status(status)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::arb;
    use crate::error::ErrorCode;

    #[test]
    fn the_request_names_the_person_and_carries_the_key() {
        let name = PersonName::parse("张三").unwrap();
        let id = crate::domain::IdNumber::parse("11010519491231002X", arb::TODAY).unwrap();
        let req = verify(
            "http://h/face/",
            "k",
            "dev-ok",
            &name,
            &PersonDocument::IdCard(id),
        );
        assert_eq!(req.url, "http://h/face/v1/verify");
        assert_eq!(req.authorization.as_deref(), Some("Bearer k"));
        let body: serde_json::Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"verify_token":"dev-ok","name":"张三","id_number":"11010519491231002X"})
        );
    }

    #[test]
    fn a_foreigners_document_is_sent_with_its_type_and_nationality() {
        let name = PersonName::parse("SMITH JOHN").unwrap();
        let p = crate::domain::ForeignPassport::parse("E12345678", "USA").unwrap();
        let req = verify(
            "http://h/face",
            "k",
            "dev-ok",
            &name,
            &PersonDocument::ForeignPassport(p),
        );
        let body: serde_json::Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"verify_token":"dev-ok","name":"SMITH JOHN","document_type":"foreign_passport","document_number":"E12345678","nationality":"USA"})
        );
    }

    #[test]
    fn answers_and_failures() {
        assert_eq!(
            parse_verify(200, br#"{"passed":true,"score":0.98}"#),
            Ok(true)
        );
        assert_eq!(
            parse_verify(200, br#"{"passed":false,"reason":"mismatch"}"#),
            Ok(false)
        );
        let busy = parse_verify(503, br#"{"error":"busy"}"#).unwrap_err();
        assert!(busy.retry);
        assert_eq!(busy.error.code, ErrorCode::UpstreamUnavailable);
        assert!(
            parse_verify(500, b"Internal Server Error")
                .unwrap_err()
                .retry
        );
        let key = parse_verify(401, br#"{"error":"unauthorized"}"#).unwrap_err();
        assert!(key.config && !key.retry);
        for body in ["{not json", "{}", r#"{"passed":"yes"}"#] {
            let f = parse_verify(200, body.as_bytes()).unwrap_err();
            assert_eq!(f.error.code, ErrorCode::UpstreamUnavailable, "{body}");
        }
    }
}

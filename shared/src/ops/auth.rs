//! Ops credentials: configuration lists each credential by name with the SHA-256 of its token
//! (never the token) and its role — `admin`, or `office` staff of one office. Comparison is over
//! the hashes in constant time.

use crate::domain::OfficeId;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::t;
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq)]
pub enum OpsRole {
    Admin,
    Hall(OfficeId),
}

#[derive(Debug, Clone, PartialEq)]
pub struct OpsIdentity {
    pub name: String,
    pub role: OpsRole,
}

impl OpsIdentity {
    pub fn may_manage(&self, office: &OfficeId) -> bool {
        match &self.role {
            OpsRole::Admin => true,
            OpsRole::Hall(own) => own == office,
        }
    }

    pub fn require_office(&self, office: &OfficeId) -> ApiResult<()> {
        if self.may_manage(office) {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::Forbidden).with_message(t!("ops.not_your_hall")))
        }
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        match self.role {
            OpsRole::Admin => Ok(()),
            OpsRole::Hall(_) => {
                Err(ApiError::new(ErrorCode::Forbidden).with_message(t!("ops.admin_required")))
            }
        }
    }

    pub fn role_name(&self) -> &'static str {
        match self.role {
            OpsRole::Admin => "admin",
            OpsRole::Hall(_) => "hall",
        }
    }
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    token_sha256: String,
    role: String,
    #[serde(default)]
    office_id: Option<String>,
}

pub struct OpsCredentials {
    entries: Vec<(OpsIdentity, [u8; 32])>,
}

impl OpsCredentials {
    /// `[{"name", "token_sha256" (hex), "role": "admin"|"office", "office_id"?}]`.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let raw: Vec<Entry> = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut entries = Vec::with_capacity(raw.len());
        for e in raw {
            let mut hash = [0u8; 32];
            hex::decode_to_slice(&e.token_sha256, &mut hash)
                .map_err(|_| format!("{}: token_sha256 is not 32 hex bytes", e.name))?;
            let role = match (e.role.as_str(), e.office_id) {
                ("admin", None) => OpsRole::Admin,
                ("hall", Some(o)) => OpsRole::Hall(
                    OfficeId::parse(&o).map_err(|_| format!("{}: bad office_id", e.name))?,
                ),
                _ => {
                    return Err(format!(
                        "{}: role must be admin, or hall with office_id",
                        e.name
                    ))
                }
            };
            entries.push((OpsIdentity { name: e.name, role }, hash));
        }
        Ok(OpsCredentials { entries })
    }

    pub fn authenticate(&self, authorization: Option<&str>) -> ApiResult<OpsIdentity> {
        let token = crate::auth::bearer_token(authorization)?;
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = None;
        for (who, hash) in &self.entries {
            // Check every entry, so timing does not say which one matched.
            if constant_time_eq(hash, &presented) {
                found = Some(who.clone());
            }
        }
        found.ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated))
    }
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn token_sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> OpsCredentials {
        let json = serde_json::json!([
            {"name": "admin", "token_sha256": token_sha256_hex("admin-token"), "role": "admin"},
            {"name": "futian", "token_sha256": token_sha256_hex("hall-token"), "role": "hall", "office_id": "sz-futian"},
        ]);
        OpsCredentials::from_json(&json.to_string()).unwrap()
    }

    #[test]
    fn tokens_map_to_roles_and_anything_else_is_unauthenticated() {
        let c = creds();
        let admin = c.authenticate(Some("Bearer admin-token")).unwrap();
        assert_eq!(admin.role, OpsRole::Admin);
        let hall = c.authenticate(Some("Bearer hall-token")).unwrap();
        let futian = OfficeId::parse("sz-futian").unwrap();
        assert!(hall.may_manage(&futian));
        assert!(!hall.may_manage(&OfficeId::parse("sz-nanshan").unwrap()));
        assert_eq!(hall.require_admin().unwrap_err().code, ErrorCode::Forbidden);
        for bad in [
            None,
            Some("Bearer nope"),
            Some("admin-token"),
            Some("Basic admin-token"),
        ] {
            assert_eq!(
                c.authenticate(bad).unwrap_err().code,
                ErrorCode::Unauthenticated
            );
        }
    }

    #[test]
    fn malformed_configuration_is_refused() {
        for bad in [
            r#"[{"name":"x","token_sha256":"zz","role":"admin"}]"#,
            r#"[{"name":"x","token_sha256":"00","role":"hall"}]"#,
            r#"{"not":"a list"}"#,
        ] {
            assert!(OpsCredentials::from_json(bad).is_err(), "{bad}");
        }
    }
}

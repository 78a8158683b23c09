//! Ops plumbing: the credential check and the audit row every ops call leaves behind.

use crate::cx::Cx;
use crate::d1::Arg;
use yuyue_shared::ops::auth::{OpsCredentials, OpsIdentity};
use yuyue_shared::time::rfc3339;
use yuyue_shared::{ApiError, ApiResult};

impl Cx {
    /// The ops caller, from `Authorization: Bearer <ops token>` against `OPS_CREDENTIALS`.
    pub fn ops_identity(&self) -> ApiResult<OpsIdentity> {
        let config = self
            .config("OPS_CREDENTIALS")
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| crate::auth::config_error("OPS_CREDENTIALS"))?;
        let creds = OpsCredentials::from_json(&config).map_err(|e| {
            worker::console_error!(
                "{}",
                serde_json::json!({"level": "error", "event": "config_invalid", "name": "OPS_CREDENTIALS", "error": e})
            );
            ApiError::internal()
        })?;
        creds.authenticate(self.header("authorization").as_deref())
    }

    /// Records an ops action and its outcome (`OK` or the error code). A failure to record is
    /// logged, not returned: the action itself has already happened.
    pub async fn audit_ops(
        &self,
        actor: &str,
        role: &str,
        action: &str,
        target: Option<&str>,
        outcome: &str,
    ) {
        let Ok(store) = self.store() else { return };
        let result = store
            .run_write(
                "INSERT INTO ops_audit (actor, role, action, target, outcome, request_id, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                &[
                    actor.into(),
                    role.into(),
                    action.into(),
                    target.into(),
                    outcome.into(),
                    self.request_id.as_str().into(),
                    Arg::Owned(rfc3339(&self.now())),
                ],
            )
            .await;
        if result.is_err() {
            worker::console_error!(
                "{}",
                serde_json::json!({"level": "error", "event": "ops_audit_failed", "request_id": self.request_id, "action": action})
            );
        }
    }
}

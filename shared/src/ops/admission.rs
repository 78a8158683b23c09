//! `PUT /v1/ops/offices/{office_id}/days/{date}/admission`: ops switch a day's waiting room on
//! for a release they expect to be stormed (see `crate::booking::admission`), or off.

use super::auth::OpsIdentity;
use crate::domain::OfficeId;
use crate::error::{ApiError, ApiResult};
use crate::inventory::admission::AdmissionConfig;
use crate::rules::window::release_instant;
use crate::rules::Rules;
use crate::store::{AdmissionSummary, Catalog, Inventory};
use crate::t;
use crate::time::{from_unix_millis, parse_date, rfc3339};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
pub struct AdmissionRequest {
    pub enabled: bool,
    /// RFC 3339; by default the day's release instant.
    #[serde(default)]
    pub opens_at: Option<String>,
    #[serde(default)]
    pub batch_size: Option<u32>,
    #[serde(default)]
    pub batch_interval_seconds: Option<u32>,
    #[serde(default)]
    pub admitted_for_seconds: Option<u32>,
}

pub fn summary_view(s: Option<&AdmissionSummary>) -> Value {
    match s {
        None => json!({ "enabled": false }),
        Some(s) => json!({
            "enabled": true,
            "opens_at": rfc3339(&from_unix_millis(s.config.opens_at_ms)),
            "batch_size": s.config.batch_size,
            "batch_interval_seconds": s.config.batch_interval_seconds,
            "admitted_for_seconds": s.config.admitted_for_seconds,
            "joined": s.joined,
            "drawn": s.drawn,
        }),
    }
}

pub async fn set_admission<S: Catalog, I: Inventory>(
    store: &S,
    inventory: &I,
    rules: &Rules,
    who: &OpsIdentity,
    (raw_office, raw_date): (&str, &str),
    req: &AdmissionRequest,
) -> ApiResult<Value> {
    let office = OfficeId::parse(raw_office).map_err(|e| e.at("office_id"))?;
    let date = parse_date("date", raw_date)?;
    who.require_office(&office)?;
    store
        .office(&office)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let config = if req.enabled {
        let opens = match req.opens_at.as_deref() {
            None => release_instant(rules, date),
            Some(raw) => crate::time::instant_from(raw)
                .ok_or_else(|| ApiError::invalid("opens_at", t!("ops.bad_opens_at")))?,
        };
        let c = AdmissionConfig {
            opens_at_ms: opens.timestamp_millis(),
            batch_size: req.batch_size.unwrap_or(100),
            batch_interval_seconds: req.batch_interval_seconds.unwrap_or(60),
            admitted_for_seconds: req.admitted_for_seconds.unwrap_or(600),
        };
        c.validate()?;
        Some(c)
    } else {
        None
    };
    inventory
        .set_admission(&office, date, config.as_ref())
        .await?;
    let summary = inventory.admission_summary(&office, date).await?;
    Ok(json!({
        "office_id": office.as_str(),
        "date": date.to_string(),
        "admission": summary_view(summary.as_ref()),
    }))
}

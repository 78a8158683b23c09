//! The messages between functions and the inventory object, as JSON over the stub's fetch.
//! Every message names its (hall, date) so the object can load that day's schedule the first
//! time it is used and can ask D1 about its own holds.

use serde::{Deserialize, Serialize};
use yuyue_shared::booking::admission::{AdmissionConfig, AdmissionStatus};

#[derive(Serialize, Deserialize)]
pub struct Day {
    pub office: String,
    pub date: String,
}

#[derive(Serialize, Deserialize)]
pub struct Hold {
    #[serde(flatten)]
    pub day: Day,
    pub period: String,
    pub booking_no: String,
    pub applicant: String,
    pub ttl_seconds: u32,
    /// The submitter and the caller's clock (unix ms), for the waiting room.
    pub user: String,
    pub at_ms: i64,
}

#[derive(Serialize, Deserialize)]
pub struct SetAdmission {
    #[serde(flatten)]
    pub day: Day,
    pub config: Option<AdmissionConfig>,
}

#[derive(Serialize, Deserialize)]
pub struct Admission {
    #[serde(flatten)]
    pub day: Day,
    pub user: String,
    pub at_ms: i64,
    pub join: bool,
}

#[derive(Serialize, Deserialize)]
pub struct AdmissionSummary {
    pub config: AdmissionConfig,
    pub joined: u64,
    pub drawn: bool,
}

#[derive(Serialize, Deserialize)]
pub struct ByNumber {
    #[serde(flatten)]
    pub day: Day,
    pub booking_no: String,
}

#[derive(Serialize, Deserialize)]
pub struct Restore {
    #[serde(flatten)]
    pub day: Day,
    pub period: String,
    pub booking_no: String,
    pub applicant: String,
}

#[derive(Serialize, Deserialize)]
pub struct Period {
    pub period_id: String,
    pub start: String,
    pub end: String,
    pub capacity: u32,
}

#[derive(Serialize, Deserialize)]
pub struct Publish {
    #[serde(flatten)]
    pub day: Day,
    pub periods: Vec<Period>,
}

/// The answer to `confirm`: whether the number holds a (now confirmed) place.
#[derive(Serialize, Deserialize)]
pub struct ConfirmAnswer {
    pub confirmed: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum HoldAnswer {
    /// The place is this number's. `holders`: when the period is at capacity with it (this hold
    /// took the last place, or the number held one already), the numbers holding its places, as
    /// with `Full`: the caller learns the period is full before anyone is refused, and a retry
    /// does not make it forget.
    Held {
        start: String,
        end: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        holders: Option<Vec<String>>,
    },
    /// No place for this number. `holders`: when the period is at capacity, the numbers holding
    /// its places, so the caller may answer other numbers itself for a moment (see the client).
    Full {
        #[serde(default)]
        holders: Option<Vec<String>>,
    },
    Closed,
    Conflict,
    NotAdmitted {
        admission: AdmissionStatus,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PublishAnswer {
    Published,
    BelowTaken { period_id: String, taken: u32 },
}

#[derive(Serialize, Deserialize)]
pub struct PeriodState {
    pub period_id: String,
    pub start: String,
    pub end: String,
    pub capacity: u32,
    pub taken: u32,
    pub holds: u32,
}

#[derive(Serialize, Deserialize)]
pub struct TakenEntry {
    pub booking_no: String,
    pub period_id: String,
    pub confirmed: bool,
    /// Unix milliseconds, for unconfirmed holds.
    pub expires_at: Option<i64>,
}

/// The object's name: one per (hall, date).
pub fn object_name(office: &str, date: &str) -> String {
    format!("{office}/{date}")
}

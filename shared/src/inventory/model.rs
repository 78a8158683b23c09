//! What the inventory of a (office, date) answers: the values of the storage trait
//! ([`crate::store::Inventory`]) and of the protocol between an isolate and the object alike.

use super::admission::{AdmissionConfig, AdmissionStatus};
use crate::domain::{ApplicantId, BookingNo, OfficeId, PeriodId, UserId};
use crate::time::Instant;
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq)]
pub struct HoldRequest {
    pub office: OfficeId,
    pub date: NaiveDate,
    pub period: PeriodId,
    pub booking_no: BookingNo,
    pub applicant: ApplicantId,
    pub ttl_seconds: u32,
    /// Who submits, and when: what the day's waiting room (if on) judges.
    pub user: UserId,
    pub at: Instant,
}

/// How long before its hold can lapse a booking's write must have committed (see
/// [`write_by`]): more than the clocks of D1 and an object differ. A quarter of a shorter hold.
pub const WRITE_MARGIN_MS: i64 = 5_000;

/// The fence between a submit's write and its hold's lapse: the record refuses the booking
/// after this instant (unix ms, by its own clock), [`WRITE_MARGIN_MS`] (or a quarter of a hold of
/// `ttl_seconds` shorter than four margins) before the hold can lapse
/// by the object's (`lapses_at_ms` of [`HoldOutcome::Held`]; a retry that joins the hold only
/// renews it). A lapse is settled by asking the record afterwards, so any booking that committed
/// is seen then and its place confirmed, even when the submit never heard the answer. Without
/// the fence, a write that hung past the lapse could commit after the place was freed and taken
/// by someone else. `None` for a confirmed place, which does not lapse.
pub fn write_by(lapses_at_ms: Option<i64>, ttl_seconds: u32) -> Option<i64> {
    let margin = WRITE_MARGIN_MS.min(i64::from(ttl_seconds) * 1000 / 4);
    lapses_at_ms.map(|at| at - margin)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum HoldOutcome {
    /// A new hold was taken, or this booking number already held this period (a retry, a
    /// double tap): either way the caller now relies on it, and gives it up with `abandon`.
    Held {
        #[serde(with = "crate::time::hhmm")]
        start: NaiveTime,
        #[serde(with = "crate::time::hhmm")]
        end: NaiveTime,
        /// When the hold lapses unless confirmed (unix ms, the object's clock); `None` for a
        /// confirmed place.
        lapses_at_ms: Option<i64>,
    },
    Full,
    /// No such period published for that day, or the day is closed.
    Closed,
    /// This booking number holds a different period already.
    Conflict,
    /// The day's waiting room is on and the submitter's turn has not come (or has passed).
    NotAdmitted {
        admission: AdmissionStatus,
    },
}

/// A day's waiting room as ops see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdmissionSummary {
    pub config: AdmissionConfig,
    pub joined: u64,
    pub drawn: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Taken {
    pub booking_no: BookingNo,
    pub period_id: PeriodId,
    pub confirmed: bool,
    /// When an unconfirmed hold lapses.
    #[serde(default, with = "crate::time::opt_instant")]
    pub expires_at: Option<Instant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedPeriod {
    pub period_id: PeriodId,
    #[serde(with = "crate::time::hhmm")]
    pub start: NaiveTime,
    #[serde(with = "crate::time::hhmm")]
    pub end: NaiveTime,
    pub capacity: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Publish {
    Published,
    /// Capacity would fall below what is taken, or a period with bookings would disappear.
    BelowTaken {
        period_id: PeriodId,
        taken: u32,
    },
}

/// A period of one (office, date) as the inventory authority holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodInventory {
    pub period_id: PeriodId,
    #[serde(with = "crate::time::hhmm")]
    pub start: NaiveTime,
    #[serde(with = "crate::time::hhmm")]
    pub end: NaiveTime,
    pub capacity: u32,
    /// Confirmed bookings plus unexpired holds.
    pub taken: u32,
    pub holds: u32,
    /// Waitlist entries that can still be served in it.
    #[serde(default)]
    pub waiting: u32,
}

impl PeriodInventory {
    pub fn remaining(&self) -> u32 {
        self.capacity.saturating_sub(self.taken)
    }
}

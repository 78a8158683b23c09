//! Compares one (office, date) inventory object with the bookings D1 holds for it, and repairs
//! the object: the record decides which bookings exist, the object decides nothing here. Run by
//! cron and on demand by ops; it normally finds nothing to do.

use super::book::keeps_its_place;
use crate::domain::{BookingNo, OfficeId};
use crate::error::ApiResult;
use crate::store::*;
use crate::time::Instant;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Reconciliation {
    pub office_id: String,
    pub date: String,
    /// Bookings in D1 that hold a place (booked, checked in, no-show).
    pub record_count: usize,
    /// Places the object counted before repair.
    pub object_count: usize,
    /// Places freed: held or confirmed in the object with no live booking in D1.
    pub released: Vec<String>,
    /// Holds confirmed because their booking exists.
    pub confirmed: Vec<String>,
    /// Bookings the object had lost, given their place back.
    pub restored: Vec<String>,
    /// Bookings D1 has that the object could not take back (no such period, or full).
    pub unresolved: Vec<String>,
    /// Unconfirmed holds still within their time, left alone.
    pub in_flight: usize,
}

impl Reconciliation {
    pub fn is_clean(&self) -> bool {
        self.released.is_empty()
            && self.confirmed.is_empty()
            && self.restored.is_empty()
            && self.unresolved.is_empty()
    }
}

pub async fn reconcile_day<S: Bookings, I: Inventory>(
    store: &S,
    inventory: &I,
    office: &OfficeId,
    date: NaiveDate,
    now: Instant,
) -> ApiResult<Reconciliation> {
    // Read the object first: a booking written after this read is then also in D1's answer and
    // is confirmed or left in flight, never released.
    let taken = inventory.taken_on(office, date).await?;
    let bookings = store.bookings_on(office, date).await?;
    let live: HashMap<&BookingNo, &Booking> = bookings
        .iter()
        .filter(|b| b.status.holds_place())
        .map(|b| (&b.booking_no, b))
        .collect();
    let mut report = Reconciliation {
        office_id: office.as_str().to_owned(),
        date: date.to_string(),
        record_count: live.len(),
        object_count: taken.len(),
        ..Default::default()
    };

    for t in &taken {
        let no = t.booking_no.as_str().to_owned();
        match (live.contains_key(&t.booking_no), t.confirmed) {
            (true, true) => {}
            (true, false) => {
                inventory.confirm(office, date, &t.booking_no).await?;
                report.confirmed.push(no);
            }
            // A hold not yet lapsed, or a waitlist entry's place while its booking is written.
            (false, false) if t.expires_at.is_none_or(|e| e > now) => report.in_flight += 1,
            // Lapsed with no booking when D1 was read: its submit may have written and
            // confirmed since, so it is freed only if the object still finds it lapsed.
            (false, false) => {
                if inventory
                    .release_lapsed(office, date, &t.booking_no)
                    .await?
                {
                    report.released.push(no);
                }
            }
            (false, true) => {
                inventory.release(office, date, &t.booking_no).await?;
                report.released.push(no);
            }
        }
    }
    for (no, b) in &live {
        if taken.iter().any(|t| &&t.booking_no == no) {
            continue;
        }
        match inventory
            .restore(office, date, &b.period_id, no, &b.applicant_id)
            .await?
        {
            HoldOutcome::Held { .. } => {
                // A cancel that committed after D1 was read may have freed the place before
                // this restore took it back: look again, and give it up if so.
                if keeps_its_place(store, no, office, date, &b.period_id).await? {
                    report.restored.push(no.as_str().to_owned());
                } else {
                    inventory.release(office, date, no).await?;
                }
            }
            _ => report.unresolved.push(no.as_str().to_owned()),
        }
    }
    Ok(report)
}

//! Lapsed holds settled against the record, by the day's alarm (the object's, and the fake's
//! that stands for it): a hold whose booking was written keeps its place, and its booker is
//! told, since nobody may have been (the submit died, or lost its write's answer, before it
//! confirmed); any other hold frees its place.

use crate::domain::{BookingNo, OfficeId, PeriodId};
use crate::notify::Notice;
use crate::store::Bookings;
use chrono::NaiveDate;

/// What the record says of one lapsed hold.
pub struct Lapse {
    pub booking_no: BookingNo,
    /// The number's booking keeps the place.
    pub booked: bool,
    /// Then, the message telling its booker it is confirmed. It may already have been sent (the
    /// submit sends its own when it cannot ask the object); the event is one per booking, so
    /// the consumer sends it once.
    pub notice: Option<String>,
}

/// What the record says of each lapsed hold of (`office`, `date`) (see
/// [`crate::inventory::Day::lapsed`]), in order, and whether every lookup answered. Stops at the
/// first lookup that fails: the rest wait for the next alarm, and nothing is freed on a guess.
pub async fn lapses<B: Bookings>(
    store: &B,
    office: &OfficeId,
    date: NaiveDate,
    lapsed: &[(BookingNo, PeriodId)],
) -> (Vec<Lapse>, bool) {
    let mut lapses = Vec::with_capacity(lapsed.len());
    for (no, period) in lapsed {
        match store.booking(no).await {
            Ok(booking) => {
                let keeper = booking.filter(|b| b.keeps_place(office, date, period));
                lapses.push(Lapse {
                    booking_no: no.clone(),
                    booked: keeper.is_some(),
                    notice: keeper.and_then(|b| Notice::booking_confirmed(&b).to_json()),
                });
            }
            Err(_) => return (lapses, false),
        }
    }
    (lapses, true)
}

//! The ops day statistics.

use super::*;

impl crate::ops::metrics::Stats for MemoryStore {
    async fn day_stats(&self, date: NaiveDate) -> ApiResult<crate::ops::metrics::DayStats> {
        self.step("day_stats").await?;
        let st = self.state.borrow();
        let mut out = crate::ops::metrics::DayStats::default();
        for b in &st.bookings {
            if b.date == date {
                *out.bookings_by_status
                    .entry(b.status.as_str().to_owned())
                    .or_default() += 1;
            }
            if b.created_at.date_naive() == date {
                out.made += 1;
            }
            if b.cancelled_at.is_some_and(|c| c.date_naive() == date) {
                out.cancelled += 1;
            }
        }
        for (status, _) in st.deliveries.values() {
            *out.deliveries_by_status
                .entry(status.as_str().to_owned())
                .or_default() += 1;
        }
        let w = &mut out.waitlist;
        for e in &st.waitlist {
            if e.date == date {
                *w.by_status.entry(e.status.as_str().to_owned()).or_default() += 1;
            }
            if e.created_at.date_naive() == date {
                w.joined += 1;
            }
            if e.updated_at.date_naive() == date {
                match e.status {
                    WaitlistStatus::Booked => w.served += 1,
                    WaitlistStatus::Expired => w.lapsed += 1,
                    WaitlistStatus::Cancelled => w.left += 1,
                    WaitlistStatus::Waiting => {}
                }
            }
        }
        Ok(out)
    }
}

//! Waitlist entries, with the record's constraints: one waiting entry per applicant and
//! service, transitions only from `waiting`, an entry booked together with its booking.

use super::*;
use crate::domain::WaitlistId;

impl Waitlists for MemoryStore {
    async fn create_entry(
        &self,
        entry: &WaitlistEntry,
        audit: &AuditEntry,
    ) -> ApiResult<CreateEntry> {
        self.step("create_entry").await?;
        let mut st = self.state.borrow_mut();
        if let Some(e) = st.waitlist.iter().find(|e| e.id == entry.id) {
            return Ok(CreateEntry::SameId(Box::new(e.clone())));
        }
        if let Some(e) = st.waitlist.iter().find(|e| {
            e.applicant_id == entry.applicant_id
                && e.service == entry.service
                && e.status == WaitlistStatus::Waiting
        }) {
            return Ok(CreateEntry::WaitingExists(e.id.clone()));
        }
        st.waitlist.push(entry.clone());
        st.audit.push(audit.clone());
        drop(st);
        self.answer_lost("create_entry")?;
        Ok(CreateEntry::Created)
    }

    async fn entry(&self, id: &WaitlistId) -> ApiResult<Option<WaitlistEntry>> {
        self.step("entry").await?;
        Ok(self
            .state
            .borrow()
            .waitlist
            .iter()
            .find(|e| &e.id == id)
            .cloned())
    }

    async fn entries_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<WaitlistEntry>> {
        self.step("entries_of").await?;
        let mut out: Vec<WaitlistEntry> = self
            .state
            .borrow()
            .waitlist
            .iter()
            .filter(|e| applicants.contains(&e.applicant_id))
            .cloned()
            .collect();
        out.sort_by_key(|e| std::cmp::Reverse(e.created_at));
        Ok(out)
    }

    async fn end_entry(
        &self,
        id: &WaitlistId,
        to: WaitlistStatus,
        reason: Option<&str>,
        at: Instant,
        audit: &AuditEntry,
    ) -> ApiResult<Option<WaitlistEntry>> {
        self.step("end_entry").await?;
        let mut st = self.state.borrow_mut();
        let Some(i) = st.waitlist.iter().position(|e| &e.id == id) else {
            return Ok(None);
        };
        if st.waitlist[i].status == WaitlistStatus::Waiting {
            let e = &mut st.waitlist[i];
            e.status = to;
            e.reason = reason.map(str::to_owned);
            e.updated_at = at;
            st.audit.push(audit.clone());
        }
        let after = st.waitlist[i].clone();
        drop(st);
        self.answer_lost("end_entry")?;
        Ok(Some(after))
    }

    async fn book_entry(
        &self,
        id: &WaitlistId,
        booking: &Booking,
        audit: &AuditEntry,
    ) -> ApiResult<BookEntry> {
        self.step("book_entry").await?;
        let mut st = self.state.borrow_mut();
        let Some(i) = st.waitlist.iter().position(|e| &e.id == id) else {
            return Ok(BookEntry::NotWaiting);
        };
        let e = &st.waitlist[i];
        if e.status == WaitlistStatus::Booked && e.booking_no == booking.booking_no {
            return Ok(BookEntry::Booked);
        }
        if e.status != WaitlistStatus::Waiting
            || st
                .bookings
                .iter()
                .any(|b| b.booking_no == booking.booking_no)
        {
            return Ok(BookEntry::NotWaiting);
        }
        if st.active(&booking.applicant_id, booking.service).is_some() {
            return Ok(BookEntry::ActiveExists);
        }
        st.bookings.push(booking.clone());
        st.audit.push(audit.clone());
        let e = &mut st.waitlist[i];
        e.status = WaitlistStatus::Booked;
        e.updated_at = booking.created_at;
        drop(st);
        self.answer_lost("book_entry")?;
        Ok(BookEntry::Booked)
    }
}

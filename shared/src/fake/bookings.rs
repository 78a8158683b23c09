//! Bookings, their idempotency records and the fence of their holds.

use super::*;

impl State {
    /// The applicant's active booking for the service: what D1's partial unique index
    /// `bookings_one_active_per_service` allows one of.
    pub(super) fn active(&self, applicant: &ApplicantId, service: ServiceId) -> Option<&Booking> {
        self.bookings.iter().find(|b| {
            &b.applicant_id == applicant
                && b.service == service
                && b.status == BookingStatus::Booked
        })
    }
}

impl Bookings for MemoryStore {
    async fn create_booking(
        &self,
        booking: &Booking,
        idempotency: &IdempotencyRecord,
        audit: &AuditEntry,
        write_by: Option<i64>,
    ) -> ApiResult<CreateBooking> {
        self.step("create_booking").await?;
        if write_by.is_some_and(|by| self.clock().timestamp_millis() >= by) {
            return Ok(CreateBooking::TooLate);
        }
        let mut st = self.state.borrow_mut();
        if let Some(b) = st
            .bookings
            .iter()
            .find(|b| b.booking_no == booking.booking_no)
        {
            return Ok(CreateBooking::SameNumber(Box::new(b.clone())));
        }
        if let Some(b) = st.active(&booking.applicant_id, booking.service) {
            return Ok(CreateBooking::ActiveExists(b.booking_no.clone()));
        }
        if st
            .idempotency
            .iter()
            .any(|r| r.user_id == idempotency.user_id && r.key == idempotency.key)
        {
            return Err(ApiError::new(ErrorCode::Conflict));
        }
        st.bookings.push(booking.clone());
        st.idempotency.push(idempotency.clone());
        st.audit.push(audit.clone());
        drop(st);
        self.answer_lost("create_booking")?;
        Ok(CreateBooking::Created)
    }

    async fn booking(&self, no: &BookingNo) -> ApiResult<Option<Booking>> {
        self.step("booking").await?;
        let st = self.state.borrow();
        Ok(st.bookings.iter().find(|b| &b.booking_no == no).cloned())
    }

    async fn idempotency(&self, user: &UserId, key: &str) -> ApiResult<Option<IdempotencyRecord>> {
        self.step("idempotency").await?;
        let st = self.state.borrow();
        Ok(st
            .idempotency
            .iter()
            .find(|r| &r.user_id == user && r.key == key)
            .cloned())
    }

    async fn bookings_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<Booking>> {
        self.step("bookings_of").await?;
        let st = self.state.borrow();
        let mut out: Vec<Booking> = st
            .bookings
            .iter()
            .filter(|b| applicants.contains(&b.applicant_id))
            .cloned()
            .collect();
        out.sort_by_key(|b| std::cmp::Reverse(b.created_at));
        Ok(out)
    }

    async fn active_booking(
        &self,
        applicant: &ApplicantId,
        service: ServiceId,
    ) -> ApiResult<Option<Booking>> {
        self.step("active_booking").await?;
        Ok(self.state.borrow().active(applicant, service).cloned())
    }

    async fn cancel_booking(
        &self,
        no: &BookingNo,
        by: &UserId,
        reason: Option<&str>,
        at: Instant,
        audit: &AuditEntry,
    ) -> ApiResult<Option<Booking>> {
        self.step("cancel_booking").await?;
        let mut st = self.state.borrow_mut();
        let Some(b) = st.bookings.iter_mut().find(|b| &b.booking_no == no) else {
            return Ok(None);
        };
        let changed = b.status == BookingStatus::Booked;
        if changed {
            b.status = BookingStatus::Cancelled;
            b.cancelled_at = Some(at);
            b.cancelled_by = Some(by.clone());
            b.cancel_reason = reason.map(str::to_owned);
        }
        let after = b.clone();
        if changed {
            st.audit.push(audit.clone());
        }
        Ok(Some(after))
    }

    async fn withdraw_booking(
        &self,
        no: &BookingNo,
        (user, key): (&UserId, &str),
        reason: &str,
        at: Instant,
        audit: &AuditEntry,
    ) -> ApiResult<()> {
        self.step("withdraw_booking").await?;
        let mut st = self.state.borrow_mut();
        let State {
            bookings,
            idempotency,
            audit: trail,
            ..
        } = &mut *st;
        let Some(b) = bookings
            .iter_mut()
            .find(|b| &b.booking_no == no && b.status == BookingStatus::Booked)
        else {
            return Ok(());
        };
        b.status = BookingStatus::Cancelled;
        b.cancelled_at = Some(at);
        b.cancel_reason = Some(reason.to_owned());
        trail.push(audit.clone());
        for r in idempotency
            .iter_mut()
            .filter(|r| &r.user_id == user && r.key == key)
        {
            r.status = 409;
            r.response = serde_json::json!({});
        }
        Ok(())
    }

    async fn cancellations_since(
        &self,
        applicant: &ApplicantId,
        since: Instant,
    ) -> ApiResult<Vec<Instant>> {
        self.step("cancellations_since").await?;
        let st = self.state.borrow();
        let mut out: Vec<Instant> = st
            .bookings
            .iter()
            .filter(|b| &b.applicant_id == applicant && b.cancelled_by.is_some())
            .filter_map(|b| b.cancelled_at)
            .filter(|t| *t >= since)
            .collect();
        out.sort_by(|a, b| b.cmp(a));
        Ok(out)
    }

    async fn no_shows_since(
        &self,
        applicant: &ApplicantId,
        since: NaiveDate,
    ) -> ApiResult<Vec<NaiveDate>> {
        self.step("no_shows_since").await?;
        let st = self.state.borrow();
        Ok(st
            .bookings
            .iter()
            .filter(|b| {
                &b.applicant_id == applicant && b.status == BookingStatus::NoShow && b.date >= since
            })
            .map(|b| b.date)
            .collect())
    }

    async fn bookings_on(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<Booking>> {
        self.step("bookings_on").await?;
        let st = self.state.borrow();
        Ok(st
            .bookings
            .iter()
            .filter(|b| &b.office_id == office && b.date == date)
            .cloned()
            .collect())
    }

    async fn check_in(&self, no: &BookingNo, at: Instant) -> ApiResult<Option<Booking>> {
        self.step("check_in").await?;
        let mut st = self.state.borrow_mut();
        let Some(b) = st.bookings.iter_mut().find(|b| &b.booking_no == no) else {
            return Ok(None);
        };
        if b.status == BookingStatus::Booked {
            b.status = BookingStatus::CheckedIn;
            b.checked_in_at = Some(at);
        }
        Ok(Some(b.clone()))
    }

    async fn cancel_day(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        reason: &str,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<Vec<Booking>> {
        self.step("cancel_day").await?;
        let mut st = self.state.borrow_mut();
        let mut out = Vec::new();
        for b in st.bookings.iter_mut() {
            if &b.office_id == office && b.date == date && b.status == BookingStatus::Booked {
                b.status = BookingStatus::Cancelled;
                b.cancelled_at = Some(at);
                b.cancelled_by = None;
                b.cancel_reason = Some(reason.to_owned());
                out.push(b.clone());
            }
        }
        for b in &out {
            st.audit.push(AuditEntry {
                actor: actor.clone(),
                subject: b.applicant_id.clone(),
                action: "booking.day_closed".into(),
                target: Some(b.booking_no.as_str().to_owned()),
                request_id: request_id.to_owned(),
                at,
            });
        }
        Ok(out)
    }

    async fn mark_no_shows(
        &self,
        date: NaiveDate,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<Vec<Booking>> {
        self.step("mark_no_shows").await?;
        let mut st = self.state.borrow_mut();
        let mut out = Vec::new();
        for b in st.bookings.iter_mut() {
            if b.date == date && b.status == BookingStatus::Booked {
                b.status = BookingStatus::NoShow;
                out.push(b.clone());
            }
        }
        for b in &out {
            st.audit.push(AuditEntry {
                actor: actor.clone(),
                subject: b.applicant_id.clone(),
                action: "booking.no_show".into(),
                target: Some(b.booking_no.as_str().to_owned()),
                request_id: request_id.to_owned(),
                at,
            });
        }
        Ok(out)
    }
}

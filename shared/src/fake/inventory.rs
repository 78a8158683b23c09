//! The inventory: each (office, date) is the shared core's `Day`, asked through the same
//! `Message`s the Durable Object answers.

use super::*;

impl Inventory for MemoryStore {
    fn known_full(&self, req: &HoldRequest) -> bool {
        let st = self.state.borrow();
        st.days
            .get(&(req.office.clone(), req.date))
            .is_some_and(|d| d.known_full(&req.period, &req.booking_no))
    }

    async fn hold(&self, req: &HoldRequest) -> ApiResult<HoldOutcome> {
        self.step("hold").await?;
        let hold = Request::Hold(Hold::from(req));
        let answer = self.ask(&req.office, req.date, hold)?;
        self.answer_lost("hold")?;
        Ok(answer.hold()?.outcome)
    }

    async fn confirm(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<bool> {
        self.step("confirm").await?;
        if std::mem::take(&mut self.state.borrow_mut().lose_place) {
            self.take_place_of(office, date, no);
        }
        let confirm = Request::Confirm {
            booking_no: no.clone(),
        };
        let answer = self.ask(office, date, confirm)?;
        self.answer_lost("confirm")?;
        answer.confirmed()
    }

    async fn abandon(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<()> {
        let abandon = Request::Abandon {
            booking_no: no.clone(),
        };
        self.step("abandon").await?;
        self.ask(office, date, abandon)?.done()
    }

    async fn release(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) -> ApiResult<()> {
        let release = Request::Release {
            booking_no: no.clone(),
        };
        self.step("release").await?;
        self.ask(office, date, release)?.done()
    }

    async fn release_lapsed(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        no: &BookingNo,
    ) -> ApiResult<bool> {
        let release = Request::ReleaseLapsed {
            booking_no: no.clone(),
        };
        self.step("release_lapsed").await?;
        self.ask(office, date, release)?.released()
    }

    async fn day(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<PeriodInventory>> {
        self.step("day").await?;
        self.ask(office, date, Request::Periods)?.periods()
    }

    async fn taken_on(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<Taken>> {
        self.step("taken_on").await?;
        self.ask(office, date, Request::Taken)?.taken()
    }

    async fn restore(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        period: &PeriodId,
        no: &BookingNo,
        applicant: &ApplicantId,
    ) -> ApiResult<HoldOutcome> {
        self.step("restore").await?;
        let hook = self.state.borrow_mut().before_restore.take();
        if let Some(f) = hook {
            f(self);
        }
        let restore = Request::Restore {
            period: period.clone(),
            booking_no: no.clone(),
            applicant: applicant.clone(),
        };
        Ok(self.ask(office, date, restore)?.hold()?.outcome)
    }

    async fn publish(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        periods: &[PublishedPeriod],
    ) -> ApiResult<Publish> {
        let publish = Request::Publish {
            periods: periods.to_vec(),
        };
        self.step("publish").await?;
        self.ask(office, date, publish)?.published()
    }

    async fn set_admission(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        config: Option<&AdmissionConfig>,
    ) -> ApiResult<()> {
        let set = Request::SetAdmission {
            config: config.copied(),
        };
        self.step("set_admission").await?;
        self.ask(office, date, set)?.done()
    }

    async fn admission(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        user: &UserId,
        at: Instant,
        join: bool,
    ) -> ApiResult<AdmissionStatus> {
        let ask = Request::Admission {
            user: user.clone(),
            at_ms: at.timestamp_millis(),
            join,
        };
        self.step("admission").await?;
        self.ask(office, date, ask)?.admission()
    }

    async fn admission_summary(
        &self,
        office: &OfficeId,
        date: NaiveDate,
    ) -> ApiResult<Option<AdmissionSummary>> {
        self.step("admission_summary").await?;
        self.ask(office, date, Request::AdmissionSummary)?.summary()
    }
}

impl MemoryStore {
    /// See [`MemoryStore::lose_place_before_next_confirm`]: the number's place is freed and
    /// taken by another number, through the day's own decisions.
    fn take_place_of(&self, office: &OfficeId, date: NaiveDate, no: &BookingNo) {
        let now = self.clock().timestamp_millis();
        let mut st = self.state.borrow_mut();
        let Some(day) = st.days.get_mut(&(office.clone(), date)) else {
            return;
        };
        let Some(place) = day.stored().places.get(no).cloned() else {
            return;
        };
        day.release(no);
        let other = BookingNo::from_entropy([0xee; 7]);
        day.restore(&place.period, &other, &place.applicant, now);
        day.take_changes();
    }
}

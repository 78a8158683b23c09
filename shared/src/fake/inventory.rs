//! The inventory: each (office, date) is the shared core's `Day`, asked through the same
//! `Message`s the Durable Object answers.

use super::*;

impl Inventory for MemoryStore {
    /// The day's decision, with what a test set up around it: the step may yield to another
    /// request or fail (`fail_next`), another request may act just before it (`before_next`), a
    /// `confirm` may find its place taken, and the answer may be lost after the day decided.
    async fn ask(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        op: &'static str,
        request: Request,
    ) -> ApiResult<Answered> {
        self.step(op).await?;
        let hook = {
            let mut st = self.state.borrow_mut();
            st.before
                .take_if(|(before, _)| *before == op)
                .map(|(_, f)| f)
        };
        if let Some(f) = hook {
            f(self);
        }
        if let Request::Confirm { booking_no, .. } = &request {
            if std::mem::take(&mut self.state.borrow_mut().lose_place) {
                self.take_place_of(office, date, booking_no);
            }
        }
        let answer = self.decide(office, date, request)?;
        self.answer_lost(op)?;
        Ok(Answered::Built(answer))
    }

    fn known_full(&self, req: &HoldRequest) -> bool {
        let st = self.state.borrow();
        st.days
            .get(&(req.office.clone(), req.date))
            .is_some_and(|d| d.known_full(&req.period, &req.booking_no))
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
        day.release(no, now);
        let other = BookingNo::from_entropy([0xee; 7]);
        day.restore(&place.period, &other, &place.applicant, now);
        day.take_changes();
    }
}

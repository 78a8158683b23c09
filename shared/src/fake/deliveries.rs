//! Notification deliveries: at most one message per notice and account.

use super::*;

impl Deliveries for MemoryStore {
    async fn claim(&self, items: &[(&Notice, &Recipient)], _at: Instant) -> ApiResult<Vec<bool>> {
        // Checked once, before any is taken: all or none, as in D1's transaction.
        self.step("claim").await?;
        let mut st = self.state.borrow_mut();
        let mut taken = Vec::with_capacity(items.len());
        for (notice, to) in items {
            let key = (notice.event_id.clone(), to.user.clone());
            let tries = match st.deliveries.get(&key) {
                None => 0,
                Some((DeliveryStatus::Retry, tries)) => *tries,
                Some(_) => {
                    taken.push(false);
                    continue;
                }
            };
            st.deliveries.insert(key, (DeliveryStatus::Sending, tries));
            taken.push(true);
        }
        Ok(taken)
    }

    async fn settle(&self, outcomes: &[Outcome<'_>], _at: Instant) -> ApiResult<Vec<u32>> {
        self.step("settle").await?;
        let mut st = self.state.borrow_mut();
        Ok(outcomes
            .iter()
            .map(|o| {
                let entry = st
                    .deliveries
                    .entry((o.notice.event_id.clone(), o.to.user.clone()))
                    .or_insert((o.status, 0));
                entry.0 = o.status;
                entry.1 += 1;
                entry.1
            })
            .collect())
    }
}

impl MemoryStore {
    /// How a notice's message to `user` stands, for tests.
    pub fn delivery(&self, event_id: &str, user: &str) -> Option<DeliveryStatus> {
        self.state
            .borrow()
            .deliveries
            .get(&(event_id.to_owned(), UserId::parse(user).ok()?))
            .map(|(status, _)| *status)
    }
}

//! A submit's reads in one call, as D1 batches them.

use super::*;
use crate::ratelimit::Hit;

impl SubmitReads for MemoryStore {
    async fn submit_facts(&self, q: &SubmitQuery<'_>) -> ApiResult<SubmitFacts> {
        self.step("submit_facts").await?;
        Ok(SubmitFacts {
            session: match q.session {
                Some(id) => self.session(id).await?,
                None => None,
            },
            user: self.user(q.caller).await?,
            link: self.link(q.caller, q.applicant).await?,
            applicant: self.applicant(q.applicant).await?,
            office: self.office(q.office).await?,
            service: self.service(q.service).await?.map(|s| s.terms()),
            no_shows: self.no_shows_since(q.applicant, q.no_shows_since).await?,
            cancellations: self
                .cancellations_since(q.applicant, q.cancellations_since)
                .await?,
        })
    }

    async fn submit_facts_counting(
        &self,
        q: &SubmitQuery<'_>,
        hits: &[Hit],
    ) -> ApiResult<(SubmitFacts, Vec<u32>)> {
        let facts = self.submit_facts(q).await?;
        Ok((facts, self.count(hits)))
    }
}

impl MemoryStore {
    fn count(&self, hits: &[Hit]) -> Vec<u32> {
        let mut st = self.state.borrow_mut();
        hits.iter()
            .map(|h| {
                let n = st
                    .counts
                    .entry((h.row_key(), h.window_start_ms()))
                    .or_default();
                *n += 1;
                *n
            })
            .collect()
    }
}

impl Counters for MemoryStore {
    async fn count_hits(&self, hits: &[Hit]) -> ApiResult<Vec<u32>> {
        self.step("count_hits").await?;
        Ok(self.count(hits))
    }
}

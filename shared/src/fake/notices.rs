//! What a notice needs to be rendered.

use super::*;

impl NoticeReads for MemoryStore {
    async fn notice_facts(&self, notices: &[Notice]) -> ApiResult<Vec<NoticeFacts>> {
        self.step("notice_facts").await?;
        let mut facts = Vec::with_capacity(notices.len());
        for notice in notices {
            facts.push(self.facts_of(notice).await?);
        }
        Ok(facts)
    }
}

impl MemoryStore {
    async fn facts_of(&self, notice: &Notice) -> ApiResult<NoticeFacts> {
        let office = match OfficeId::parse(&notice.office_id) {
            Ok(id) => self.office(&id).await?,
            Err(_) => None,
        };
        let (actor_link, actor) = match &notice.actor {
            Some(a) => (
                self.link(a, &notice.applicant_id).await?,
                self.user(a).await?,
            ),
            None => (None, None),
        };
        Ok(NoticeFacts {
            service: self.service(notice.service).await?,
            office,
            applicant: self.applicant(&notice.applicant_id).await?,
            bound: self.users_bound_to(&notice.applicant_id).await?,
            actor_link,
            actor,
        })
    }
}

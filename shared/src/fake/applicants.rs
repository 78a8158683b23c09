//! Applicants and the links that let a helper act for them.

use super::*;

impl Applicants for MemoryStore {
    async fn applicant(&self, id: &ApplicantId) -> ApiResult<Option<Applicant>> {
        self.step("applicant").await?;
        Ok(self
            .state
            .borrow()
            .applicants
            .iter()
            .find(|a| &a.id == id)
            .cloned())
    }

    async fn applicant_by_document(&self, hash: &str) -> ApiResult<Option<Applicant>> {
        self.step("applicant_by_document").await?;
        let st = self.state.borrow();
        Ok(st
            .applicants
            .iter()
            .find(|a| a.document.hash == hash)
            .cloned())
    }

    async fn create_applicant(&self, applicant: &Applicant) -> ApiResult<Applicant> {
        self.step("create_applicant").await?;
        let mut st = self.state.borrow_mut();
        if let Some(a) = st
            .applicants
            .iter()
            .find(|a| a.document.hash == applicant.document.hash)
        {
            return Ok(a.clone());
        }
        st.applicants.push(applicant.clone());
        Ok(applicant.clone())
    }

    async fn link(&self, helper: &UserId, applicant: &ApplicantId) -> ApiResult<Option<Link>> {
        self.step("link").await?;
        let st = self.state.borrow();
        Ok(st
            .links
            .iter()
            .find(|l| &l.helper == helper && &l.applicant == applicant)
            .cloned())
    }

    async fn links_of_helper(&self, helper: &UserId) -> ApiResult<Vec<Link>> {
        self.step("links_of_helper").await?;
        let st = self.state.borrow();
        Ok(st
            .links
            .iter()
            .filter(|l| &l.helper == helper)
            .cloned()
            .collect())
    }

    async fn links_of_applicant(&self, applicant: &ApplicantId) -> ApiResult<Vec<Link>> {
        self.step("links_of_applicant").await?;
        let st = self.state.borrow();
        Ok(st
            .links
            .iter()
            .filter(|l| &l.applicant == applicant)
            .cloned()
            .collect())
    }

    async fn link_by_invitation(&self, invitation_hash: &str) -> ApiResult<Option<Link>> {
        self.step("link_by_invitation").await?;
        let st = self.state.borrow();
        Ok(st
            .links
            .iter()
            .find(|l| l.invitation_hash.as_deref() == Some(invitation_hash))
            .cloned())
    }

    async fn put_link(&self, link: &Link) -> ApiResult<()> {
        self.step("put_link").await?;
        let mut st = self.state.borrow_mut();
        st.links
            .retain(|l| !(l.helper == link.helper && l.applicant == link.applicant));
        st.links.push(link.clone());
        Ok(())
    }

    async fn add_link(
        &self,
        link: &Link,
        new_person: Option<&Applicant>,
        limits: &LinkLimits,
        audit: &AuditEntry,
    ) -> ApiResult<AddLink> {
        self.step("add_link").await?;
        let mut st = self.state.borrow_mut();
        if let Some(p) = new_person {
            if st
                .applicants
                .iter()
                .any(|a| a.document.hash == p.document.hash)
            {
                return Ok(AddLink::PersonExists);
            }
        }
        let same_pair = |l: &Link| l.helper == link.helper && l.applicant == link.applicant;
        if let Some(existing) = st
            .links
            .iter()
            .find(|l| same_pair(l) && l.is_live(link.updated_at))
        {
            return Ok(AddLink::Exists(Box::new(existing.clone())));
        }
        let live_other =
            |l: &&Link| l.relation != Relation::Own && !same_pair(l) && l.is_live(link.updated_at);
        let principals = st
            .links
            .iter()
            .filter(live_other)
            .filter(|l| l.helper == link.helper)
            .count() as u32;
        if principals >= limits.principals_per_user {
            return Ok(AddLink::PrincipalsFull);
        }
        let helpers = st
            .links
            .iter()
            .filter(live_other)
            .filter(|l| l.applicant == link.applicant)
            .count() as u32;
        if helpers >= limits.helpers_per_principal {
            return Ok(AddLink::HelpersFull);
        }
        st.links.retain(|l| !same_pair(l));
        st.links.push(link.clone());
        st.applicants.extend(new_person.cloned());
        st.audit.push(audit.clone());
        Ok(AddLink::Added)
    }

    async fn change_link(
        &self,
        current: &Link,
        next: &Link,
        audit: &AuditEntry,
    ) -> ApiResult<bool> {
        self.step("change_link").await?;
        let mut st = self.state.borrow_mut();
        let Some(stored) = st.links.iter_mut().find(|l| {
            l.helper == current.helper
                && l.applicant == current.applicant
                && l.status == current.status
                && l.updated_at == current.updated_at
        }) else {
            return Ok(false);
        };
        *stored = next.clone();
        st.audit.push(audit.clone());
        Ok(true)
    }

    async fn drop_lapsed_invitations(
        &self,
        lapsed_before: Instant,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<u32> {
        self.step("drop_lapsed_invitations").await?;
        let mut st = self.state.borrow_mut();
        let lapsed = |l: &Link| {
            l.status == LinkStatus::Pending
                && l.invitation_expires_at.is_some_and(|e| e < lapsed_before)
        };
        let (dropped, kept): (Vec<Link>, Vec<Link>) = st.links.drain(..).partition(|l| lapsed(l));
        st.links = kept;
        for l in &dropped {
            st.audit.push(AuditEntry {
                actor: actor.clone(),
                subject: l.applicant.clone(),
                action: "helper.invitation_dropped".into(),
                target: Some(l.helper.as_str().to_owned()),
                request_id: request_id.to_owned(),
                at,
            });
        }
        Ok(dropped.len() as u32)
    }
}

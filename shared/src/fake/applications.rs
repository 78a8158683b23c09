//! Applications and the documents issued for them.

use super::*;

impl Applications for MemoryStore {
    async fn open_application(&self, application: &Application) -> ApiResult<Application> {
        self.step("open_application").await?;
        let mut st = self.state.borrow_mut();
        if let Some(a) = st
            .applications
            .iter()
            .find(|a| a.booking_no == application.booking_no)
        {
            return Ok(a.clone());
        }
        st.applications.push(application.clone());
        Ok(application.clone())
    }

    async fn application(&self, no: &ApplicationNo) -> ApiResult<Option<Application>> {
        self.step("application").await?;
        let st = self.state.borrow();
        Ok(st
            .applications
            .iter()
            .find(|a| &a.application_no == no)
            .cloned())
    }

    async fn application_of_booking(&self, no: &BookingNo) -> ApiResult<Option<Application>> {
        self.step("application_of_booking").await?;
        let st = self.state.borrow();
        Ok(st
            .applications
            .iter()
            .find(|a| &a.booking_no == no)
            .cloned())
    }

    async fn applications_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<Application>> {
        self.step("applications_of").await?;
        let st = self.state.borrow();
        let mut out: Vec<Application> = st
            .applications
            .iter()
            .filter(|a| applicants.contains(&a.applicant_id))
            .cloned()
            .collect();
        out.sort_by_key(|a| std::cmp::Reverse(a.updated_at));
        Ok(out)
    }

    async fn update_application(
        &self,
        application: &Application,
        expected: ApplicationStatus,
    ) -> ApiResult<bool> {
        self.step("update_application").await?;
        let mut st = self.state.borrow_mut();
        let Some(a) = st
            .applications
            .iter_mut()
            .find(|a| a.application_no == application.application_no)
        else {
            return Ok(false);
        };
        if a.status != expected {
            return Ok(false);
        }
        *a = application.clone();
        Ok(true)
    }

    async fn documents_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<IssuedDocument>> {
        self.step("documents_of").await?;
        let st = self.state.borrow();
        Ok(st
            .documents
            .iter()
            .filter(|d| applicants.contains(&d.applicant_id))
            .cloned()
            .collect())
    }

    async fn add_document(&self, document: &IssuedDocument) -> ApiResult<()> {
        self.step("add_document").await?;
        // Like the table's primary key: a second document with the same id is not added.
        let mut st = self.state.borrow_mut();
        if !st.documents.iter().any(|d| d.id == document.id) {
            st.documents.push(document.clone());
        }
        Ok(())
    }
}

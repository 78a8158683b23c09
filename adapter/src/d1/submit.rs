//! The reads of a booking submit in one D1 batch: one round trip instead of eight, which was
//! most of what a successful booking cost.

use super::applicants::{ApplicantRow, LinkRow};
use super::bookings::{CancelledRow, NoShowRow, CANCELLATIONS_SQL, NO_SHOWS_SQL};
use super::catalog::{OfficeRow, ServiceRow};
use super::sessions::{SessionRow, SESSION_SELECT};
use super::users::UserRow;
use super::{all, first_as, D1Store};
use yuyue_shared::store::{SubmitFacts, SubmitQuery, SubmitReads};
use yuyue_shared::time::rfc3339;
use yuyue_shared::ApiResult;

impl SubmitReads for D1Store {
    async fn submit_facts(&self, q: &SubmitQuery<'_>) -> ApiResult<SubmitFacts> {
        let applicant = q.applicant.as_str();
        let stmts = vec![
            self.stmt(
                &format!("{SESSION_SELECT} WHERE session_id = ?1"),
                &[q.session.as_str().into()],
            )?,
            self.user_stmt(q.caller.as_str())?,
            self.link_stmt(q.caller.as_str(), applicant)?,
            self.applicant_stmt(applicant)?,
            self.office_stmt(q.office.as_str())?,
            self.service_stmt(q.service.as_str())?,
            self.stmt(
                NO_SHOWS_SQL,
                &[applicant.into(), q.no_shows_since.to_string().into()],
            )?,
            self.stmt(
                CANCELLATIONS_SQL,
                &[applicant.into(), rfc3339(&q.cancellations_since).into()],
            )?,
        ];
        let r = self.batch(stmts).await?;
        Ok(SubmitFacts {
            session: first_as(r.first(), SessionRow::into_model)?,
            user: first_as(r.get(1), UserRow::into_model)?,
            link: first_as(r.get(2), LinkRow::into_model)?,
            applicant: first_as(r.get(3), ApplicantRow::into_model)?,
            office: first_as(r.get(4), OfficeRow::into_model)?,
            service: first_as(r.get(5), ServiceRow::into_model)?,
            no_shows: all::<NoShowRow>(r.get(6))?
                .iter()
                .map(NoShowRow::date)
                .collect::<ApiResult<_>>()?,
            cancellations: all::<CancelledRow>(r.get(7))?
                .iter()
                .map(CancelledRow::instant)
                .collect::<ApiResult<_>>()?,
        })
    }
}

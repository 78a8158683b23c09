//! The reads of a booking submit in one D1 batch: one round trip instead of eight, which was
//! most of what a successful booking cost.

use super::applicants::{ApplicantRow, LinkRow, APPLICANT_SELECT, LINK_SELECT};
use super::bookings::{CancelledRow, NoShowRow, CANCELLATIONS_SQL, NO_SHOWS_SQL};
use super::catalog::{OfficeRow, ServiceRow, OFFICE_SELECT, SERVICE_SELECT};
use super::sessions::{SessionRow, SESSION_SELECT};
use super::users::{UserRow, USER_SELECT};
use super::{all, first, D1Store};
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
            self.stmt(
                &format!("{USER_SELECT} WHERE u.user_id = ?1"),
                &[q.caller.as_str().into()],
            )?,
            self.stmt(
                &format!("{LINK_SELECT} WHERE helper_user_id = ?1 AND applicant_id = ?2"),
                &[q.caller.as_str().into(), applicant.into()],
            )?,
            self.stmt(
                &format!("{APPLICANT_SELECT} WHERE applicant_id = ?1"),
                &[applicant.into()],
            )?,
            self.stmt(
                &format!("{OFFICE_SELECT} WHERE o.office_id = ?1"),
                &[q.office.as_str().into()],
            )?,
            self.stmt(
                &format!("{SERVICE_SELECT} WHERE service_id = ?1"),
                &[q.service.as_str().into()],
            )?,
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
            session: first::<SessionRow>(r.first())?
                .map(SessionRow::into_model)
                .transpose()?,
            user: first::<UserRow>(r.get(1))?
                .map(UserRow::into_model)
                .transpose()?,
            link: first::<LinkRow>(r.get(2))?
                .map(LinkRow::into_model)
                .transpose()?,
            applicant: first::<ApplicantRow>(r.get(3))?
                .map(ApplicantRow::into_model)
                .transpose()?,
            office: first::<OfficeRow>(r.get(4))?
                .map(OfficeRow::into_model)
                .transpose()?,
            service: first::<ServiceRow>(r.get(5))?
                .map(ServiceRow::into_model)
                .transpose()?,
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

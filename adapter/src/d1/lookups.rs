//! Statements that read one record by its key, for the batches that gather several records in
//! one round trip (a submit's facts, a notice's).

use super::applicants::{APPLICANT_SELECT, LINK_SELECT};
use super::catalog::{OFFICE_SELECT, SERVICE_SELECT};
use super::users::USER_SELECT;
use super::D1Store;
use worker::D1PreparedStatement;
use yuyue_shared::ApiResult;

impl D1Store {
    pub(super) fn user_stmt(&self, user: &str) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            &format!("{USER_SELECT} WHERE u.user_id = ?1"),
            &[user.into()],
        )
    }

    /// The accounts bound to an applicant's identity, oldest first.
    pub(super) fn bound_users_stmt(&self, applicant: &str) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            &format!("{USER_SELECT} WHERE u.applicant_id = ?1 ORDER BY u.created_at"),
            &[applicant.into()],
        )
    }

    pub(super) fn link_stmt(
        &self,
        helper: &str,
        applicant: &str,
    ) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            &format!("{LINK_SELECT} WHERE helper_user_id = ?1 AND applicant_id = ?2"),
            &[helper.into(), applicant.into()],
        )
    }

    pub(super) fn applicant_stmt(&self, applicant: &str) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            &format!("{APPLICANT_SELECT} WHERE applicant_id = ?1"),
            &[applicant.into()],
        )
    }

    pub(super) fn office_stmt(&self, office: &str) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            &format!("{OFFICE_SELECT} WHERE o.office_id = ?1"),
            &[office.into()],
        )
    }

    pub(super) fn service_stmt(&self, service: &str) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            &format!("{SERVICE_SELECT} WHERE service_id = ?1"),
            &[service.into()],
        )
    }
}

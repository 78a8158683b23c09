//! The reads of a booking submit in one D1 statement: the session, the caller, their link to the
//! applicant, the applicant, the office, the service and the applicant's recent no-shows and
//! cancellations, as one JSON value (`json_rows`). One round trip instead of eight, which was
//! most of what a successful booking cost, and one value across the JavaScript boundary instead
//! of eight results.

use super::applicants::{ApplicantRow, LinkRow, APPLICANT_SELECT, LINK_SELECT};
use super::bookings::{
    cancellations_filter, no_shows_filter, CancelledRow, NoShowRow, CANCELLED_SELECT,
    NO_SHOW_SELECT,
};
use super::catalog::{OfficeRow, ServiceRow, OFFICE_SELECT, SERVICE_SELECT};
use super::json_rows::{built, facts_statement, record, records, FactsColumn};
use super::sessions::{SessionRow, SESSION_SELECT};
use super::users::{UserRow, USER_SELECT};
use super::D1Store;
use serde::Deserialize;
use std::rc::Rc;
use yuyue_shared::store::{SubmitFacts, SubmitQuery, SubmitReads};
use yuyue_shared::time::rfc3339;
use yuyue_shared::{ApiError, ApiResult};

#[derive(Deserialize)]
struct FactsRow {
    session: Option<SessionRow>,
    user: Option<UserRow>,
    link: Option<LinkRow>,
    applicant: Option<ApplicantRow>,
    office: Option<OfficeRow>,
    service: Option<ServiceRow>,
    no_shows: Vec<NoShowRow>,
    cancellations: Vec<CancelledRow>,
}

/// ?1 session, ?2 caller, ?3 applicant, ?4 office, ?5 service, ?6 no-shows since (date),
/// ?7 cancellations since (instant).
fn facts_sql() -> Option<String> {
    let parts = [
        ("session", record(SESSION_SELECT, "WHERE session_id = ?1")?),
        ("user", record(USER_SELECT, "WHERE u.user_id = ?2")?),
        (
            "link",
            record(
                LINK_SELECT,
                "WHERE helper_user_id = ?2 AND applicant_id = ?3",
            )?,
        ),
        (
            "applicant",
            record(APPLICANT_SELECT, "WHERE applicant_id = ?3")?,
        ),
        ("office", record(OFFICE_SELECT, "WHERE o.office_id = ?4")?),
        ("service", record(SERVICE_SELECT, "WHERE service_id = ?5")?),
        (
            "no_shows",
            records(NO_SHOW_SELECT, &no_shows_filter("?3", "?6"))?,
        ),
        (
            "cancellations",
            records(CANCELLED_SELECT, &cancellations_filter("?3", "?7"))?,
        ),
    ];
    Some(facts_statement(&parts))
}

thread_local! {
    static FACTS_SQL: Option<Rc<str>> = facts_sql().map(Rc::from);
}

impl SubmitReads for D1Store {
    async fn submit_facts(&self, q: &SubmitQuery<'_>) -> ApiResult<SubmitFacts> {
        let sql = built(&FACTS_SQL, "submit facts statement")?;
        let column: FactsColumn = self
            .first(
                &sql,
                &[
                    q.session.map(|s| s.as_str()).into(),
                    q.caller.as_str().into(),
                    q.applicant.as_str().into(),
                    q.office.as_str().into(),
                    q.service.as_str().into(),
                    q.no_shows_since.to_string().into(),
                    rfc3339(&q.cancellations_since).into(),
                ],
            )
            .await?
            .ok_or_else(ApiError::internal)?;
        let f: FactsRow = column.parse("submit facts")?;
        Ok(SubmitFacts {
            session: f.session.map(SessionRow::into_model).transpose()?,
            user: f.user.map(|u| u.into_model(self)).transpose()?,
            link: f.link.map(LinkRow::into_model).transpose()?,
            applicant: f.applicant.map(|a| a.into_model(self)).transpose()?,
            office: f.office.map(OfficeRow::into_model).transpose()?,
            service: f.service.map(ServiceRow::into_model).transpose()?,
            no_shows: f
                .no_shows
                .iter()
                .map(NoShowRow::date)
                .collect::<ApiResult<_>>()?,
            cancellations: f
                .cancellations
                .iter()
                .map(CancelledRow::instant)
                .collect::<ApiResult<_>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_statement_is_built_from_every_select() {
        let sql = super::facts_sql().expect("every select is a plain one");
        for key in [
            "'session', json((SELECT json_object('session_id', session_id,",
            "'user', json((SELECT json_object('user_id', u.user_id,",
            "'office', json((SELECT json_object('office_id', o.office_id,",
            "'services', (SELECT group_concat(s.service_id)",
            "'no_shows', (SELECT json_group_array(json(j)) FROM (SELECT json_object('date', date) AS j FROM bookings WHERE applicant_id = ?3",
            "ORDER BY cancelled_at DESC))",
        ] {
            assert!(sql.contains(key), "{key} not in {sql}");
        }
    }
}

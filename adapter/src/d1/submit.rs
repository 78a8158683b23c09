//! The reads of a booking submit in one D1 statement: the session, the caller, their link to the
//! applicant, the applicant, the office, the service and the applicant's recent no-shows and
//! cancellations, as one JSON value (`json_rows`). One round trip instead of eight, which was
//! most of what a successful booking cost, and one value across the JavaScript boundary instead
//! of eight results. The submit's rate-limit hits are counted in the same batch, by one
//! statement: the limits cost no round trip of their own, and a batch is one transaction, so
//! they stay exact.

use super::applicants::{ApplicantRow, LinkRow, APPLICANT_SELECT, LINK_SELECT};
use super::bookings::{
    cancellations_filter, no_shows_filter, CancelledRow, NoShowRow, CANCELLED_SELECT,
    NO_SHOW_SELECT,
};
use super::catalog::{OfficeRow, ServiceTermsRow, OFFICE_SELECT, SERVICE_TERMS_SELECT};
use super::json_rows::{built, facts_statement, record, records, FactsColumn};
use super::sessions::{SessionRow, SESSION_SELECT};
use super::users::{UserRow, USER_SELECT};
use super::{first, rows, storage_error, Arg, D1Store};
use serde::Deserialize;
use std::rc::Rc;
use worker::{D1PreparedStatement, D1Result};
use yuyue_shared::ratelimit::Hit;
use yuyue_shared::store::{Counters, SubmitFacts, SubmitQuery, SubmitReads};
use yuyue_shared::time::rfc3339;
use yuyue_shared::{ApiError, ApiResult};

#[derive(Deserialize)]
struct FactsRow {
    session: Option<SessionRow>,
    user: Option<UserRow>,
    link: Option<LinkRow>,
    applicant: Option<ApplicantRow>,
    office: Option<OfficeRow>,
    service: Option<ServiceTermsRow>,
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
        (
            "service",
            record(SERVICE_TERMS_SELECT, "WHERE service_id = ?5")?,
        ),
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

/// Every hit of a request counted by one statement (the keys of one request differ, so no row
/// is named twice). Finished windows are dropped by the table's trigger as new windows start
/// (migration 0019), not by a statement of the request's own.
fn count_sql(hits: usize) -> String {
    let rows: Vec<String> = (0..hits)
        .map(|i| format!("(?{}, ?{}, 1, ?{})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
        .collect();
    format!(
        "INSERT INTO rate_counts (row_key, window_start, count, expires_at) VALUES {} \
         ON CONFLICT (row_key, window_start) DO UPDATE SET count = count + 1 \
         RETURNING row_key, count",
        rows.join(", ")
    )
}

#[derive(Deserialize)]
struct CountRow {
    row_key: String,
    count: f64,
}

impl D1Store {
    /// The statement that counts `hits`, for a batch; none when there are none.
    fn count_statement(&self, hits: &[Hit]) -> ApiResult<Option<D1PreparedStatement>> {
        if hits.is_empty() {
            return Ok(None);
        }
        let args: Vec<Arg> = hits
            .iter()
            .flat_map(|h| {
                [
                    Arg::Owned(h.row_key()),
                    Arg::Int(h.window_start_ms()),
                    Arg::Int(h.window_end_ms()),
                ]
            })
            .collect();
        self.stmt(&count_sql(hits.len()), &args).map(Some)
    }
}

/// The counts the statement of [`D1Store::count_statement`] answered, in the hits' order
/// (SQLite returns the rows of a `RETURNING` in no promised order).
fn counts_of(result: &D1Result, hits: &[Hit]) -> ApiResult<Vec<u32>> {
    let counted: Vec<CountRow> = rows(result)?;
    hits.iter()
        .map(|h| {
            let key = h.row_key();
            counted
                .iter()
                .find(|c| c.row_key == key)
                .map(|c| c.count as u32)
                .ok_or_else(ApiError::internal)
        })
        .collect()
}

impl Counters for D1Store {
    async fn count_hits(&self, hits: &[Hit]) -> ApiResult<Vec<u32>> {
        let Some(count) = self.count_statement(hits)? else {
            return Ok(Vec::new());
        };
        let result = count.all().await.map_err(storage_error)?;
        counts_of(&result, hits)
    }
}

impl D1Store {
    /// The facts statement's arguments (see `facts_sql`).
    fn facts_args<'a>(q: &'a SubmitQuery<'_>) -> [Arg<'a>; 7] {
        [
            q.session.map(|s| s.as_str()).into(),
            q.caller.as_str().into(),
            q.applicant.as_str().into(),
            q.office.as_str().into(),
            q.service.as_str().into(),
            q.no_shows_since.to_string().into(),
            rfc3339(&q.cancellations_since).into(),
        ]
    }

    fn facts_of(&self, column: Option<FactsColumn>) -> ApiResult<SubmitFacts> {
        let f: FactsRow = column
            .ok_or_else(ApiError::internal)?
            .parse("submit facts")?;
        Ok(SubmitFacts {
            session: f.session.map(SessionRow::into_model).transpose()?,
            user: f.user.map(|u| u.into_model(self)).transpose()?,
            link: f.link.map(LinkRow::into_model).transpose()?,
            applicant: f.applicant.map(|a| a.into_model(self)).transpose()?,
            office: f.office.map(OfficeRow::into_model).transpose()?,
            service: f.service.map(ServiceTermsRow::into_model),
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

impl SubmitReads for D1Store {
    async fn submit_facts(&self, q: &SubmitQuery<'_>) -> ApiResult<SubmitFacts> {
        let sql = built(&FACTS_SQL, "submit facts statement")?;
        let column = self.first(&sql, &Self::facts_args(q)).await?;
        self.facts_of(column)
    }

    async fn submit_facts_counting(
        &self,
        q: &SubmitQuery<'_>,
        hits: &[Hit],
    ) -> ApiResult<(SubmitFacts, Vec<u32>)> {
        let sql = built(&FACTS_SQL, "submit facts statement")?;
        let count = self.count_statement(hits)?;
        let counted = count.is_some();
        let mut stmts: Vec<_> = count.into_iter().collect();
        stmts.push(self.stmt(&sql, &Self::facts_args(q))?);
        let results = self.batch(stmts).await?;
        let facts = self.facts_of(first(results.last())?)?;
        let counts = match results.first() {
            Some(r) if counted => counts_of(r, hits)?,
            _ => Vec::new(),
        };
        Ok((facts, counts))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_hit_is_counted_by_one_statement() {
        assert_eq!(
            super::count_sql(2),
            "INSERT INTO rate_counts (row_key, window_start, count, expires_at) VALUES \
             (?1, ?2, 1, ?3), (?4, ?5, 1, ?6) \
             ON CONFLICT (row_key, window_start) DO UPDATE SET count = count + 1 \
             RETURNING row_key, count"
        );
    }

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
            "'service', json((SELECT json_object('pickup_options', json_extract(guide_json, '$.pickup_options')) FROM services WHERE service_id = ?5))",
        ] {
            assert!(sql.contains(key), "{key} not in {sql}");
        }
        let options = yuyue_shared::store::ServiceTerms::PICKUP_OPTIONS;
        assert!(sql.contains(&format!("guide_json, '$.{options}')")));
    }
}

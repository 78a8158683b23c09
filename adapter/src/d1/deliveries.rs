//! The notifications' reads (what a message says, and who gets it) and delivery records
//! (`notifications`): the claim that keeps a message from being sent twice, and its outcome.

use super::applicants::{ApplicantRow, LinkRow, APPLICANT_SELECT, LINK_SELECT};
use super::catalog::{OfficeRow, ServiceRow, OFFICE_SELECT, SERVICE_SELECT};
use super::json_rows::{built, facts_statement, record, records, FactsColumn};
use super::users::{UserRow, USER_SELECT};
use super::{changes, first, Arg, D1Store};
use serde::Deserialize;
use std::rc::Rc;
use worker::{D1PreparedStatement, D1Result};
use yuyue_shared::notify::{
    Deliveries, DeliveryStatus, Notice, NoticeFacts, NoticeReads, Outcome, Recipient,
};
use yuyue_shared::time::{rfc3339, Instant};
use yuyue_shared::{ApiError, ApiResult};

/// ?1 service, ?2 office, ?3 applicant, ?4 the actor (NULL when the notice has none).
fn notice_facts_sql() -> Option<String> {
    Some(facts_statement(&[
        ("service", record(SERVICE_SELECT, "WHERE service_id = ?1")?),
        ("office", record(OFFICE_SELECT, "WHERE o.office_id = ?2")?),
        (
            "applicant",
            record(APPLICANT_SELECT, "WHERE applicant_id = ?3")?,
        ),
        (
            "bound",
            records(
                USER_SELECT,
                "WHERE u.applicant_id = ?3 ORDER BY u.created_at",
            )?,
        ),
        (
            "actor_link",
            record(
                LINK_SELECT,
                "WHERE helper_user_id = ?4 AND applicant_id = ?3",
            )?,
        ),
        ("actor", record(USER_SELECT, "WHERE u.user_id = ?4")?),
    ]))
}

thread_local! {
    static NOTICE_FACTS_SQL: Option<Rc<str>> = notice_facts_sql().map(Rc::from);
}

#[derive(Deserialize)]
struct NoticeFactsRow {
    service: Option<ServiceRow>,
    office: Option<OfficeRow>,
    applicant: Option<ApplicantRow>,
    bound: Vec<UserRow>,
    actor_link: Option<LinkRow>,
    actor: Option<UserRow>,
}

impl NoticeFactsRow {
    fn into_model(self, store: &D1Store) -> ApiResult<NoticeFacts> {
        Ok(NoticeFacts {
            service: self.service.map(ServiceRow::into_model).transpose()?,
            office: self.office.map(OfficeRow::into_model).transpose()?,
            applicant: self.applicant.map(|a| a.into_model(store)).transpose()?,
            bound: self
                .bound
                .into_iter()
                .map(|u| u.into_model(store))
                .collect::<ApiResult<_>>()?,
            actor_link: self.actor_link.map(LinkRow::into_model).transpose()?,
            actor: self.actor.map(|u| u.into_model(store)).transpose()?,
        })
    }
}

impl NoticeReads for D1Store {
    /// Each notice's reads as one statement (`json_rows`), the batch's in one round trip.
    async fn notice_facts(&self, notices: &[Notice]) -> ApiResult<Vec<NoticeFacts>> {
        if notices.is_empty() {
            return Ok(Vec::new());
        }
        let sql = built(&NOTICE_FACTS_SQL, "notice facts statement")?;
        let stmts = notices
            .iter()
            .map(|n| {
                self.stmt(
                    &sql,
                    &[
                        n.service.as_str().into(),
                        n.office_id.as_str().into(),
                        n.applicant_id.as_str().into(),
                        n.actor.as_ref().map(|a| a.as_str()).into(),
                    ],
                )
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let results = self.batch(stmts).await?;
        if results.len() != notices.len() {
            return Err(ApiError::internal());
        }
        results
            .iter()
            .map(|r| {
                first::<FactsColumn>(Some(r))?
                    .ok_or_else(ApiError::internal)?
                    .parse::<NoticeFactsRow>("notice facts")?
                    .into_model(self)
            })
            .collect()
    }
}

const CLAIM_SQL: &str =
    "INSERT INTO notifications (event_id, user_id, kind, status, attempts, updated_at) \
     VALUES (?1, ?2, ?3, 'sending', 0, ?4) \
     ON CONFLICT (event_id, user_id) DO UPDATE SET status = 'sending', updated_at = ?4 \
     WHERE notifications.status = 'retry'";

const SETTLE_SQL: &str =
    "UPDATE notifications SET status = ?3, detail = ?4, attempts = attempts + 1, updated_at = ?5 \
     WHERE event_id = ?1 AND user_id = ?2 RETURNING attempts";

#[derive(Deserialize)]
struct Attempts {
    attempts: f64,
}

impl D1Store {
    fn claim_stmt(
        &self,
        notice: &Notice,
        to: &Recipient,
        at: Instant,
    ) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            CLAIM_SQL,
            &[
                notice.event_id.as_str().into(),
                to.user.as_str().into(),
                notice.kind.as_str().into(),
                rfc3339(&at).into(),
            ],
        )
    }

    fn settle_stmt(
        &self,
        notice: &Notice,
        to: &Recipient,
        status: DeliveryStatus,
        detail: Option<&str>,
        at: Instant,
    ) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            SETTLE_SQL,
            &[
                notice.event_id.as_str().into(),
                to.user.as_str().into(),
                status.as_str().into(),
                detail
                    .map(|d| d.chars().take(200).collect::<String>())
                    .map_or(Arg::Null, Arg::Owned),
                rfc3339(&at).into(),
            ],
        )
    }
}

fn attempts(result: Option<&D1Result>) -> ApiResult<u32> {
    Ok(first::<Attempts>(result)?.map_or(0, |r| r.attempts as u32))
}

impl Deliveries for D1Store {
    /// One transaction. Each claim inserts the row or takes back a `retry` one: either way
    /// exactly one caller changes it.
    async fn claim(&self, items: &[(&Notice, &Recipient)], at: Instant) -> ApiResult<Vec<bool>> {
        let stmts = items
            .iter()
            .map(|(notice, to)| self.claim_stmt(notice, to, at))
            .collect::<ApiResult<Vec<_>>>()?;
        let r = self.batch(stmts).await?;
        if r.len() != items.len() {
            return Err(ApiError::internal());
        }
        Ok(r.iter().map(|one| changes(one) == 1).collect())
    }

    async fn settle(&self, outcomes: &[Outcome<'_>], at: Instant) -> ApiResult<Vec<u32>> {
        let stmts = outcomes
            .iter()
            .map(|o| self.settle_stmt(o.notice, o.to, o.status, o.detail.as_deref(), at))
            .collect::<ApiResult<Vec<_>>>()?;
        let r = self.batch(stmts).await?;
        (0..outcomes.len()).map(|i| attempts(r.get(i))).collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_notice_reads_its_records_in_one_statement() {
        let sql = super::notice_facts_sql().expect("every select is a plain one");
        for part in [
            "SELECT json_object('service', json((SELECT json_object('service_id', service_id,",
            "'bound', (SELECT json_group_array(json(j)) FROM (SELECT json_object('user_id', u.user_id,",
            "WHERE u.applicant_id = ?3 ORDER BY u.created_at))",
            "'actor', json((SELECT json_object('user_id', u.user_id,",
            "WHERE u.user_id = ?4)))",
        ] {
            assert!(sql.contains(part), "{part} not in {sql}");
        }
    }
}

//! The notifications' reads (what a message says, and who gets it) and delivery records
//! (`notifications`): the claim that keeps a message from being sent twice, and its outcome.

use super::applicants::{ApplicantRow, LinkRow};
use super::catalog::{OfficeRow, ServiceRow};
use super::users::UserRow;
use super::{all, changes, first, first_as, Arg, D1Store};
use serde::Deserialize;
use worker::{D1PreparedStatement, D1Result};
use yuyue_shared::notify::{
    Deliveries, DeliveryStatus, Notice, NoticeFacts, NoticeReads, Outcome, Recipient,
};
use yuyue_shared::time::{rfc3339, Instant};
use yuyue_shared::{ApiError, ApiResult};

impl D1Store {
    /// One notice's reads, in the order `facts_from` takes their results.
    fn notice_stmts(&self, notice: &Notice) -> ApiResult<Vec<D1PreparedStatement>> {
        let applicant = notice.applicant_id.as_str();
        let mut stmts = vec![
            self.service_stmt(notice.service.as_str())?,
            self.office_stmt(&notice.office_id)?,
            self.applicant_stmt(applicant)?,
            self.bound_users_stmt(applicant)?,
        ];
        if let Some(actor) = &notice.actor {
            stmts.push(self.link_stmt(actor.as_str(), applicant)?);
            stmts.push(self.user_stmt(actor.as_str())?);
        }
        Ok(stmts)
    }
}

/// A notice's facts from its statements' results (`r`, in `notice_stmts` order).
fn facts_from(notice: &Notice, r: &[D1Result]) -> ApiResult<NoticeFacts> {
    let (actor_link, actor) = if notice.actor.is_some() {
        (
            first_as(r.get(4), LinkRow::into_model)?,
            first_as(r.get(5), UserRow::into_model)?,
        )
    } else {
        (None, None)
    };
    Ok(NoticeFacts {
        service: first_as(r.first(), ServiceRow::into_model)?,
        office: first_as(r.get(1), OfficeRow::into_model)?,
        applicant: first_as(r.get(2), ApplicantRow::into_model)?,
        bound: all::<UserRow>(r.get(3))?
            .into_iter()
            .map(UserRow::into_model)
            .collect::<ApiResult<_>>()?,
        actor_link,
        actor,
    })
}

impl NoticeReads for D1Store {
    async fn notice_facts(&self, notices: &[Notice]) -> ApiResult<Vec<NoticeFacts>> {
        let mut stmts = Vec::new();
        let mut counts = Vec::with_capacity(notices.len());
        for notice in notices {
            let mine = self.notice_stmts(notice)?;
            counts.push(mine.len());
            stmts.extend(mine);
        }
        if stmts.is_empty() {
            return Ok(Vec::new());
        }
        let r = self.batch(stmts).await?;
        let mut at = 0;
        let mut facts = Vec::with_capacity(notices.len());
        for (notice, n) in notices.iter().zip(counts) {
            let mine = r.get(at..at + n).ok_or_else(ApiError::internal)?;
            facts.push(facts_from(notice, mine)?);
            at += n;
        }
        Ok(facts)
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

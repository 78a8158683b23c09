//! The notifications' reads (what a message says, and who gets it) and delivery records
//! (`notifications`): the claim that keeps a message from being sent twice, and its outcome.

use super::applicants::{ApplicantRow, LinkRow};
use super::catalog::{OfficeRow, ServiceRow};
use super::users::UserRow;
use super::{all, first_as, Arg, D1Store};
use serde::Deserialize;
use yuyue_shared::notify::{
    Deliveries, DeliveryStatus, Notice, NoticeFacts, NoticeReads, Recipient,
};
use yuyue_shared::time::{rfc3339, Instant};
use yuyue_shared::ApiResult;

impl NoticeReads for D1Store {
    async fn notice_facts(&self, notice: &Notice) -> ApiResult<NoticeFacts> {
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
        let r = self.batch(stmts).await?;
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
}

impl Deliveries for D1Store {
    async fn claim(&self, notice: &Notice, to: &Recipient, at: Instant) -> ApiResult<bool> {
        // A new row, or a `retry` row taken back: either way exactly one caller changes it.
        let claimed = self
            .run(
                "INSERT INTO notifications (event_id, user_id, kind, status, attempts, updated_at) \
                 VALUES (?1, ?2, ?3, 'sending', 0, ?4) \
                 ON CONFLICT (event_id, user_id) DO UPDATE SET status = 'sending', updated_at = ?4 \
                 WHERE notifications.status = 'retry'",
                &[
                    notice.event_id.as_str().into(),
                    to.user.as_str().into(),
                    notice.kind.as_str().into(),
                    rfc3339(&at).into(),
                ],
            )
            .await?;
        Ok(claimed == 1)
    }

    async fn settle(
        &self,
        notice: &Notice,
        to: &Recipient,
        status: DeliveryStatus,
        detail: Option<&str>,
        at: Instant,
    ) -> ApiResult<u32> {
        #[derive(Deserialize)]
        struct Row {
            attempts: f64,
        }
        let stmt = self.stmt(
            "UPDATE notifications SET status = ?3, detail = ?4, attempts = attempts + 1, updated_at = ?5 \
             WHERE event_id = ?1 AND user_id = ?2 RETURNING attempts",
            &[
                notice.event_id.as_str().into(),
                to.user.as_str().into(),
                status.as_str().into(),
                detail.map(|d| d.chars().take(200).collect::<String>()).map_or(Arg::Null, Arg::Owned),
                rfc3339(&at).into(),
            ],
        )?;
        let result = stmt.all().await.map_err(super::storage_error)?;
        let rows: Vec<Row> = super::rows(&result)?;
        Ok(rows.first().map_or(0, |r| r.attempts as u32))
    }
}

//! The notifications' reads (what a message says, and who gets it) and delivery records
//! (`notifications`): the claim that keeps a message from being sent twice, and its outcome.

use super::applicants::{ApplicantRow, LinkRow, APPLICANT_SELECT, LINK_SELECT};
use super::catalog::{OfficeRow, ServiceRow, OFFICE_SELECT, SERVICE_SELECT};
use super::users::{UserRow, USER_SELECT};
use super::{all, first, Arg, D1Store};
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
            self.stmt(
                &format!("{SERVICE_SELECT} WHERE service_id = ?1"),
                &[notice.service.as_str().into()],
            )?,
            self.stmt(
                &format!("{OFFICE_SELECT} WHERE o.office_id = ?1"),
                &[notice.office_id.as_str().into()],
            )?,
            self.stmt(
                &format!("{APPLICANT_SELECT} WHERE applicant_id = ?1"),
                &[applicant.into()],
            )?,
            self.stmt(
                &format!("{USER_SELECT} WHERE u.applicant_id = ?1 ORDER BY u.created_at"),
                &[applicant.into()],
            )?,
        ];
        if let Some(actor) = &notice.actor {
            stmts.push(self.stmt(
                &format!("{LINK_SELECT} WHERE helper_user_id = ?1 AND applicant_id = ?2"),
                &[actor.as_str().into(), applicant.into()],
            )?);
            stmts.push(self.stmt(
                &format!("{USER_SELECT} WHERE u.user_id = ?1"),
                &[actor.as_str().into()],
            )?);
        }
        let r = self.batch(stmts).await?;
        let (actor_link, actor) = if notice.actor.is_some() {
            (
                first::<LinkRow>(r.get(4))?
                    .map(LinkRow::into_model)
                    .transpose()?,
                first::<UserRow>(r.get(5))?
                    .map(UserRow::into_model)
                    .transpose()?,
            )
        } else {
            (None, None)
        };
        Ok(NoticeFacts {
            service: first::<ServiceRow>(r.first())?
                .map(ServiceRow::into_model)
                .transpose()?,
            office: first::<OfficeRow>(r.get(1))?
                .map(OfficeRow::into_model)
                .transpose()?,
            applicant: first::<ApplicantRow>(r.get(2))?
                .map(ApplicantRow::into_model)
                .transpose()?,
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

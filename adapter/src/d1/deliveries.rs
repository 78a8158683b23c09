//! The notifications' delivery records (`notifications`): the claim that keeps a message from
//! being sent twice, and its outcome.

use super::{Arg, D1Store};
use serde::Deserialize;
use yuyue_shared::notify::{Deliveries, DeliveryStatus, Notice, Recipient};
use yuyue_shared::time::{rfc3339, Instant};
use yuyue_shared::ApiResult;

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

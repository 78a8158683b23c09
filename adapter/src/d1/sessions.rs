use super::users::{instant, opt_instant};
use super::{changes, corrupt, D1Store};
use serde::Deserialize;
use yuyue_shared::store::{Rotation, Session, SessionId, Sessions, UserId};
use yuyue_shared::time::{rfc3339, Instant};
use yuyue_shared::ApiResult;

#[derive(Deserialize)]
pub(super) struct SessionRow {
    session_id: String,
    user_id: String,
    family: String,
    refresh_hash: String,
    expires_at: String,
    rotated_at: Option<String>,
    revoked_at: Option<String>,
    created_at: String,
}

impl SessionRow {
    pub(super) fn into_model(self) -> ApiResult<Session> {
        Ok(Session {
            id: SessionId::parse(&self.session_id).map_err(|_| corrupt("sessions.session_id"))?,
            user_id: UserId::parse(&self.user_id).map_err(|_| corrupt("sessions.user_id"))?,
            family: SessionId::parse(&self.family).map_err(|_| corrupt("sessions.family"))?,
            refresh_hash: self.refresh_hash,
            expires_at: instant("sessions.expires_at", &self.expires_at)?,
            rotated_at: opt_instant("sessions.rotated_at", self.rotated_at.as_deref())?,
            revoked_at: opt_instant("sessions.revoked_at", self.revoked_at.as_deref())?,
            created_at: instant("sessions.created_at", &self.created_at)?,
        })
    }
}

pub(super) const SESSION_SELECT: &str = "SELECT session_id, user_id, family, refresh_hash, expires_at, rotated_at, revoked_at, created_at FROM sessions";

impl D1Store {
    async fn one_session(&self, column: &str, value: &str) -> ApiResult<Option<Session>> {
        let sql = format!("{SESSION_SELECT} WHERE {column} = ?1");
        let row: Option<SessionRow> = self.first(&sql, &[value.into()]).await?;
        row.map(SessionRow::into_model).transpose()
    }
}

impl Sessions for D1Store {
    async fn create_session(&self, s: &Session) -> ApiResult<()> {
        self.run(
            "INSERT INTO sessions (session_id, user_id, family, refresh_hash, expires_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                s.id.as_str().into(),
                s.user_id.as_str().into(),
                s.family.as_str().into(),
                s.refresh_hash.as_str().into(),
                rfc3339(&s.expires_at).into(),
                rfc3339(&s.created_at).into(),
            ],
        )
        .await
        .map(|_| ())
    }

    async fn session(&self, id: &SessionId) -> ApiResult<Option<Session>> {
        self.one_session("session_id", id.as_str()).await
    }

    async fn session_by_refresh_hash(&self, hash: &str) -> ApiResult<Option<Session>> {
        self.one_session("refresh_hash", hash).await
    }

    async fn rotate_session(
        &self,
        old: &SessionId,
        new: &Session,
        at: Instant,
    ) -> ApiResult<Rotation> {
        // One transaction: the guarded UPDATE retires the old session only if nobody did yet,
        // and the INSERT happens only if that UPDATE changed a row. Of two concurrent refreshes
        // with one token, exactly one gets a new session.
        let retire = self.stmt(
            "UPDATE sessions SET rotated_at = ?2 \
             WHERE session_id = ?1 AND rotated_at IS NULL AND revoked_at IS NULL",
            &[old.as_str().into(), rfc3339(&at).into()],
        )?;
        let successor = self.stmt(
            "INSERT INTO sessions (session_id, user_id, family, refresh_hash, expires_at, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE changes() = 1",
            &[
                new.id.as_str().into(),
                new.user_id.as_str().into(),
                new.family.as_str().into(),
                new.refresh_hash.as_str().into(),
                rfc3339(&new.expires_at).into(),
                rfc3339(&new.created_at).into(),
            ],
        )?;
        let results = self.batch(vec![retire, successor]).await?;
        let inserted = results.get(1).map_or(0, changes);
        Ok(if inserted == 1 {
            Rotation::Rotated
        } else {
            Rotation::Reused
        })
    }

    async fn revoke_family(&self, family: &SessionId, at: Instant) -> ApiResult<()> {
        self.run(
            "UPDATE sessions SET revoked_at = ?2 WHERE family = ?1 AND revoked_at IS NULL",
            &[family.as_str().into(), rfc3339(&at).into()],
        )
        .await
        .map(|_| ())
    }
}

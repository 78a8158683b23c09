//! Logins and their refresh-token rotation.

use super::*;

impl Sessions for MemoryStore {
    async fn create_session(&self, session: &Session) -> ApiResult<()> {
        self.step("create_session").await?;
        self.state.borrow_mut().sessions.push(session.clone());
        Ok(())
    }

    async fn session(&self, id: &SessionId) -> ApiResult<Option<Session>> {
        self.step("session").await?;
        Ok(self
            .state
            .borrow()
            .sessions
            .iter()
            .find(|s| &s.id == id)
            .cloned())
    }

    async fn session_by_refresh_hash(&self, hash: &str) -> ApiResult<Option<Session>> {
        self.step("session_by_refresh_hash").await?;
        let st = self.state.borrow();
        Ok(st.sessions.iter().find(|s| s.refresh_hash == hash).cloned())
    }

    async fn rotate_session(
        &self,
        old: &SessionId,
        new: &Session,
        at: Instant,
    ) -> ApiResult<Rotation> {
        self.step("rotate_session").await?;
        let mut st = self.state.borrow_mut();
        let s = st.sessions.iter_mut().find(|s| &s.id == old);
        let s = s.ok_or_else(ApiError::not_found)?;
        if s.rotated_at.is_some() || s.revoked_at.is_some() {
            return Ok(Rotation::Reused);
        }
        s.rotated_at = Some(at);
        st.sessions.push(new.clone());
        Ok(Rotation::Rotated)
    }

    async fn revoke_family(&self, family: &SessionId, at: Instant) -> ApiResult<()> {
        self.step("revoke_family").await?;
        for s in self.state.borrow_mut().sessions.iter_mut() {
            if &s.family == family && s.revoked_at.is_none() {
                s.revoked_at = Some(at);
            }
        }
        Ok(())
    }
}

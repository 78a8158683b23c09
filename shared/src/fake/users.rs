//! Accounts and their bound phones.

use super::*;

impl Users for MemoryStore {
    async fn user(&self, id: &UserId) -> ApiResult<Option<User>> {
        self.step("user").await?;
        Ok(self
            .state
            .borrow()
            .users
            .iter()
            .find(|u| &u.id == id)
            .cloned())
    }

    async fn user_by_openid(&self, platform: Platform, openid: &str) -> ApiResult<Option<User>> {
        self.step("user_by_openid").await?;
        let st = self.state.borrow();
        Ok(st
            .users
            .iter()
            .find(|u| u.platform == platform && u.openid == openid)
            .cloned())
    }

    async fn create_user(&self, user: &User) -> ApiResult<User> {
        self.step("create_user").await?;
        let mut st = self.state.borrow_mut();
        if let Some(existing) = st
            .users
            .iter_mut()
            .find(|u| u.platform == user.platform && u.openid == user.openid)
        {
            if existing.unionid.is_none() {
                existing.unionid = user.unionid.clone();
            }
            return Ok(existing.clone());
        }
        st.users.push(user.clone());
        Ok(user.clone())
    }

    async fn set_phone(&self, id: &UserId, phone: &Phone) -> ApiResult<()> {
        self.step("set_phone").await?;
        let mut st = self.state.borrow_mut();
        let user = st.users.iter_mut().find(|u| &u.id == id);
        user.ok_or_else(ApiError::not_found)?.phone = Some(phone.clone());
        Ok(())
    }

    async fn set_language(&self, id: &UserId, lang: crate::i18n::Lang) -> ApiResult<()> {
        self.step("set_language").await?;
        let mut st = self.state.borrow_mut();
        let user = st.users.iter_mut().find(|u| &u.id == id);
        user.ok_or_else(ApiError::not_found)?.lang = lang;
        Ok(())
    }

    async fn bind_identity(&self, user: &UserId, applicant: &ApplicantId) -> ApiResult<()> {
        self.step("bind_identity").await?;
        let mut st = self.state.borrow_mut();
        let platform = st
            .users
            .iter()
            .find(|u| &u.id == user)
            .ok_or_else(ApiError::not_found)?
            .platform;
        let taken = st.users.iter().any(|u| {
            &u.id != user && u.platform == platform && u.applicant_id.as_ref() == Some(applicant)
        });
        if taken {
            return Err(ApiError::new(ErrorCode::Conflict));
        }
        let u = st
            .users
            .iter_mut()
            .find(|u| &u.id == user)
            .expect("found above");
        u.applicant_id = Some(applicant.clone());
        Ok(())
    }

    async fn users_bound_to(&self, applicant: &ApplicantId) -> ApiResult<Vec<User>> {
        self.step("users_bound_to").await?;
        let st = self.state.borrow();
        Ok(st
            .users
            .iter()
            .filter(|u| u.applicant_id.as_ref() == Some(applicant))
            .cloned()
            .collect())
    }

    async fn record_identity_attempt(&self, attempt: &IdentityAttempt) -> ApiResult<()> {
        self.step("record_identity_attempt").await?;
        self.state
            .borrow_mut()
            .identity_attempts
            .push(attempt.clone());
        Ok(())
    }
}

use super::{corrupt, is_unique_violation, storage_error, Arg, D1Store};
use serde::Deserialize;
use yuyue_shared::domain::Phone;
use yuyue_shared::i18n::Lang;
use yuyue_shared::store::{ApplicantId, IdentityAttempt, Platform, User, UserId, Users};
use yuyue_shared::time::{rfc3339, Instant};
use yuyue_shared::{ApiError, ApiResult, ErrorCode};

/// Timestamps are stored as RFC 3339 text.
pub(super) fn instant(what: &str, s: &str) -> ApiResult<Instant> {
    yuyue_shared::time::instant_from(s).ok_or_else(|| corrupt(what))
}

pub(super) fn opt_instant(what: &str, s: Option<&str>) -> ApiResult<Option<Instant>> {
    s.map(|s| instant(what, s)).transpose()
}

fn platform(s: &str) -> ApiResult<Platform> {
    match s {
        "wechat" => Ok(Platform::Wechat),
        "alipay" => Ok(Platform::Alipay),
        _ => Err(corrupt("users.platform")),
    }
}

#[derive(Deserialize)]
pub(super) struct UserRow {
    user_id: String,
    platform: String,
    openid: String,
    unionid: Option<String>,
    phone: Option<String>,
    applicant_id: Option<String>,
    lang: String,
    created_at: String,
}

impl UserRow {
    pub(super) fn into_model(self, store: &D1Store) -> ApiResult<User> {
        let phone = self
            .phone
            .map(|p| store.unseal(PHONE, &self.user_id, &p))
            .transpose()?;
        Ok(User {
            id: UserId::parse(&self.user_id).map_err(|_| corrupt("users.user_id"))?,
            platform: platform(&self.platform)?,
            openid: self.openid,
            unionid: self.unionid,
            phone: phone
                .map(|p| Phone::parse(&p).map_err(|_| corrupt("users.phone")))
                .transpose()?,
            applicant_id: self
                .applicant_id
                .map(|a| ApplicantId::parse(&a))
                .transpose()
                .map_err(|_| corrupt("users.applicant_id"))?,
            lang: Lang::parse(&self.lang).ok_or_else(|| corrupt("users.lang"))?,
            created_at: instant("users.created_at", &self.created_at)?,
        })
    }
}

/// The phone is sealed in `user_phones_sealed` (migration 0016); a phone bound before that is in
/// clear in `user_phones` (migration 0003 says why `users.phone` stays empty) until it is bound
/// again.
pub(super) const USER_SELECT: &str = "SELECT u.user_id, u.platform, u.openid, u.unionid, \
     COALESCE(s.phone_sealed, p.phone) AS phone, u.applicant_id, u.lang, u.created_at FROM users u \
     LEFT JOIN user_phones_sealed s ON s.user_id = u.user_id \
     LEFT JOIN user_phones p ON p.user_id = u.user_id";
const PHONE: &str = "user_phones.phone";

impl D1Store {
    async fn one_user(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Option<User>> {
        let row: Option<UserRow> = self.first(sql, args).await?;
        row.map(|r| r.into_model(self)).transpose()
    }

    /// An UPDATE of one user: `NOT_FOUND` when there is no such user, `CONFLICT` when a unique
    /// index refuses it.
    async fn update_user(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<()> {
        let result = match self.stmt(sql, args)?.run().await {
            Ok(r) => r,
            Err(e) if is_unique_violation(&e) => return Err(ApiError::new(ErrorCode::Conflict)),
            Err(e) => return Err(storage_error(e)),
        };
        if super::changes(&result) == 0 {
            return Err(ApiError::not_found());
        }
        Ok(())
    }

    /// Sets the user's phone, sealed, if the user exists (the first statement changes no row
    /// otherwise), and drops the clear copy a phone bound before sealing left.
    fn phone_stmts(
        &self,
        id: &UserId,
        phone: &Phone,
    ) -> ApiResult<[worker::D1PreparedStatement; 2]> {
        Ok([
            self.stmt(
                "INSERT INTO user_phones_sealed (user_id, phone_sealed, updated_at) \
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM users WHERE user_id = ?1) \
                 ON CONFLICT (user_id) DO UPDATE SET phone_sealed = excluded.phone_sealed, \
                   updated_at = excluded.updated_at",
                &[
                    id.as_str().into(),
                    self.seal(PHONE, id.as_str(), phone.as_str())?.into(),
                    rfc3339(&crate::clock::system_now()).into(),
                ],
            )?,
            self.stmt(
                "DELETE FROM user_phones WHERE user_id = ?1",
                &[id.as_str().into()],
            )?,
        ])
    }
}

impl Users for D1Store {
    async fn user(&self, id: &UserId) -> ApiResult<Option<User>> {
        let sql = format!("{USER_SELECT} WHERE u.user_id = ?1");
        self.one_user(&sql, &[id.as_str().into()]).await
    }

    async fn user_by_openid(&self, platform: Platform, openid: &str) -> ApiResult<Option<User>> {
        let sql = format!("{USER_SELECT} WHERE u.platform = ?1 AND u.openid = ?2");
        self.one_user(&sql, &[platform.as_str().into(), openid.into()])
            .await
    }

    async fn create_user(&self, user: &User) -> ApiResult<User> {
        // Insert-or-keep and read back in one batch: two first logins racing end with one row,
        // and both read it.
        let mut stmts = vec![self.stmt(
            "INSERT INTO users (user_id, platform, openid, unionid, applicant_id, created_at, lang) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (platform, openid) DO UPDATE SET unionid = COALESCE(users.unionid, excluded.unionid)",
            &[
                user.id.as_str().into(),
                user.platform.as_str().into(),
                user.openid.as_str().into(),
                user.unionid.as_deref().into(),
                user.applicant_id.as_ref().map(ApplicantId::as_str).into(),
                rfc3339(&user.created_at).into(),
                user.lang.as_str().into(),
            ],
        )?];
        if let Some(phone) = &user.phone {
            stmts.extend(self.phone_stmts(&user.id, phone)?);
        }
        stmts.push(self.stmt(
            &format!("{USER_SELECT} WHERE u.platform = ?1 AND u.openid = ?2"),
            &[user.platform.as_str().into(), user.openid.as_str().into()],
        )?);
        let results = self.batch(stmts).await?;
        let rows: Vec<UserRow> = super::rows(results.last().ok_or_else(ApiError::internal)?)?;
        rows.into_iter()
            .next()
            .ok_or_else(ApiError::internal)?
            .into_model(self)
    }

    async fn set_phone(&self, id: &UserId, phone: &Phone) -> ApiResult<()> {
        let results = self.batch(self.phone_stmts(id, phone)?.into()).await?;
        if results.first().map_or(0, super::changes) == 0 {
            return Err(ApiError::not_found());
        }
        Ok(())
    }

    async fn set_language(&self, id: &UserId, lang: Lang) -> ApiResult<()> {
        self.update_user(
            "UPDATE users SET lang = ?2 WHERE user_id = ?1",
            &[id.as_str().into(), lang.as_str().into()],
        )
        .await
    }

    async fn bind_identity(&self, user: &UserId, applicant: &ApplicantId) -> ApiResult<()> {
        // `users_one_account_per_identity` (platform, applicant_id) refuses a second account.
        self.update_user(
            "UPDATE users SET applicant_id = ?2 WHERE user_id = ?1",
            &[user.as_str().into(), applicant.as_str().into()],
        )
        .await
    }

    async fn users_bound_to(&self, applicant: &ApplicantId) -> ApiResult<Vec<User>> {
        let sql = format!("{USER_SELECT} WHERE u.applicant_id = ?1 ORDER BY u.created_at");
        let rows: Vec<UserRow> = self.all(&sql, &[applicant.as_str().into()]).await?;
        rows.into_iter().map(|r| r.into_model(self)).collect()
    }

    async fn record_identity_attempt(&self, attempt: &IdentityAttempt) -> ApiResult<()> {
        self.run(
            "INSERT INTO identity_attempts (user_id, doc_hash, outcome, request_id, at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            &[
                attempt.user_id.as_str().into(),
                attempt.doc_hash.as_str().into(),
                attempt.outcome.as_str().into(),
                attempt.request_id.as_str().into(),
                rfc3339(&attempt.at).into(),
            ],
        )
        .await
        .map(|_| ())
    }
}

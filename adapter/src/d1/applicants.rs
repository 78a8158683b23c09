use super::users::{instant, opt_instant};
use super::{corrupt, Arg, D1Store};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use yuyue_shared::domain::{DocumentKind, PersonName};
use yuyue_shared::store::{Applicant, ApplicantId, Applicants, Link, StoredDocument, UserId};
use yuyue_shared::time::{parse_date, rfc3339};
use yuyue_shared::{ApiError, ApiResult};

/// A snake_case enum column through its serde name, the same spelling the schema's CHECKs use.
fn to_column<T: Serialize>(value: &T) -> ApiResult<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(ApiError::internal()),
    }
}

fn from_column<T: DeserializeOwned>(what: &str, s: &str) -> ApiResult<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| corrupt(what))
}

#[derive(Deserialize)]
struct ApplicantRow {
    applicant_id: String,
    name: String,
    doc_kind: String,
    doc_hash: String,
    doc_masked: String,
    doc_sealed: String,
    nationality: Option<String>,
    birth_date: Option<String>,
    created_at: String,
}

impl ApplicantRow {
    fn into_model(self) -> ApiResult<Applicant> {
        Ok(Applicant {
            id: ApplicantId(self.applicant_id),
            name: PersonName::parse(&self.name).map_err(|_| corrupt("applicants.name"))?,
            document: StoredDocument {
                kind: from_column::<DocumentKind>("applicants.doc_kind", &self.doc_kind)?,
                hash: self.doc_hash,
                masked: self.doc_masked,
                sealed: self.doc_sealed,
                nationality: self.nationality,
            },
            birth_date: self
                .birth_date
                .map(|d| parse_date("birth_date", &d).map_err(|_| corrupt("applicants.birth_date")))
                .transpose()?,
            created_at: instant("applicants.created_at", &self.created_at)?,
        })
    }
}

const APPLICANT_SELECT: &str = "SELECT applicant_id, name, doc_kind, doc_hash, doc_masked, doc_sealed, nationality, birth_date, created_at FROM applicants";

#[derive(Deserialize)]
struct LinkRow {
    helper_user_id: String,
    applicant_id: String,
    relation: String,
    status: String,
    consent: String,
    invitation_hash: Option<String>,
    invitation_expires_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl LinkRow {
    fn into_model(self) -> ApiResult<Link> {
        Ok(Link {
            helper: UserId(self.helper_user_id),
            applicant: ApplicantId(self.applicant_id),
            relation: from_column("links.relation", &self.relation)?,
            status: from_column("links.status", &self.status)?,
            consent: from_column("links.consent", &self.consent)?,
            invitation_hash: self.invitation_hash,
            invitation_expires_at: opt_instant(
                "links.invitation_expires_at",
                self.invitation_expires_at.as_deref(),
            )?,
            created_at: instant("links.created_at", &self.created_at)?,
            updated_at: instant("links.updated_at", &self.updated_at)?,
        })
    }
}

const LINK_SELECT: &str = "SELECT helper_user_id, applicant_id, relation, status, consent, invitation_hash, invitation_expires_at, created_at, updated_at FROM links";

impl D1Store {
    async fn applicants_where(
        &self,
        clause: &str,
        args: &[Arg<'_>],
    ) -> ApiResult<Option<Applicant>> {
        let sql = format!("{APPLICANT_SELECT} WHERE {clause}");
        let row: Option<ApplicantRow> = self.first(&sql, args).await?;
        row.map(ApplicantRow::into_model).transpose()
    }

    async fn links_where(&self, clause: &str, args: &[Arg<'_>]) -> ApiResult<Vec<Link>> {
        let sql = format!("{LINK_SELECT} WHERE {clause}");
        let rows: Vec<LinkRow> = self.all(&sql, args).await?;
        rows.into_iter().map(LinkRow::into_model).collect()
    }
}

impl Applicants for D1Store {
    async fn applicant(&self, id: &ApplicantId) -> ApiResult<Option<Applicant>> {
        self.applicants_where("applicant_id = ?1", &[id.as_str().into()])
            .await
    }

    async fn applicant_by_document(&self, hash: &str) -> ApiResult<Option<Applicant>> {
        self.applicants_where("doc_hash = ?1", &[hash.into()]).await
    }

    async fn create_applicant(&self, a: &Applicant) -> ApiResult<Applicant> {
        let d = &a.document;
        let insert = self.stmt(
            "INSERT INTO applicants (applicant_id, name, doc_kind, doc_hash, doc_masked, doc_sealed, \
               nationality, birth_date, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (doc_hash) DO NOTHING",
            &[
                a.id.as_str().into(),
                a.name.as_str().into(),
                d.kind.as_str().into(),
                d.hash.as_str().into(),
                d.masked.as_str().into(),
                d.sealed.as_str().into(),
                d.nationality.as_deref().into(),
                a.birth_date.map(|b| b.to_string()).map_or(Arg::Null, Arg::Owned),
                rfc3339(&a.created_at).into(),
            ],
        )?;
        let select = self.stmt(
            &format!("{APPLICANT_SELECT} WHERE doc_hash = ?1"),
            &[d.hash.as_str().into()],
        )?;
        let results = self.batch(vec![insert, select]).await?;
        let rows: Vec<ApplicantRow> = super::rows(results.get(1).ok_or_else(ApiError::internal)?)?;
        rows.into_iter()
            .next()
            .ok_or_else(ApiError::internal)?
            .into_model()
    }

    async fn link(&self, helper: &UserId, applicant: &ApplicantId) -> ApiResult<Option<Link>> {
        let links = self
            .links_where(
                "helper_user_id = ?1 AND applicant_id = ?2",
                &[helper.as_str().into(), applicant.as_str().into()],
            )
            .await?;
        Ok(links.into_iter().next())
    }

    async fn links_of_helper(&self, helper: &UserId) -> ApiResult<Vec<Link>> {
        self.links_where(
            "helper_user_id = ?1 ORDER BY created_at",
            &[helper.as_str().into()],
        )
        .await
    }

    async fn links_of_applicant(&self, applicant: &ApplicantId) -> ApiResult<Vec<Link>> {
        self.links_where(
            "applicant_id = ?1 ORDER BY created_at",
            &[applicant.as_str().into()],
        )
        .await
    }

    async fn link_by_invitation(&self, invitation_hash: &str) -> ApiResult<Option<Link>> {
        let links = self
            .links_where("invitation_hash = ?1", &[invitation_hash.into()])
            .await?;
        Ok(links.into_iter().next())
    }

    async fn put_link(&self, l: &Link) -> ApiResult<()> {
        self.run(
            "INSERT INTO links (helper_user_id, applicant_id, relation, status, consent, invitation_hash, \
               invitation_expires_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (helper_user_id, applicant_id) DO UPDATE SET relation = ?3, status = ?4, \
               consent = ?5, invitation_hash = ?6, invitation_expires_at = ?7, updated_at = ?9",
            &[
                l.helper.as_str().into(),
                l.applicant.as_str().into(),
                to_column(&l.relation)?.into(),
                to_column(&l.status)?.into(),
                to_column(&l.consent)?.into(),
                l.invitation_hash.as_deref().into(),
                l.invitation_expires_at
                    .map(|t| rfc3339(&t))
                    .map_or(Arg::Null, Arg::Owned),
                rfc3339(&l.created_at).into(),
                rfc3339(&l.updated_at).into(),
            ],
        )
        .await
        .map(|_| ())
    }
}

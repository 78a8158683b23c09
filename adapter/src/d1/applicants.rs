use super::users::{instant, opt_instant};
use super::{changes, corrupt, Arg, D1Store};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use yuyue_shared::domain::mask;
use yuyue_shared::domain::{DocumentKind, PersonName};
use yuyue_shared::store::{
    Actor, AddLink, Applicant, ApplicantId, Applicants, AuditEntry, Link, LinkLimits,
    StoredDocument, UserId,
};
use yuyue_shared::time::{parse_date, rfc3339, Instant};
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
pub(super) struct ApplicantRow {
    applicant_id: String,
    name: String,
    name_zh: Option<String>,
    doc_kind: String,
    doc_hash: String,
    doc_masked: String,
    doc_sealed: String,
    nationality: Option<String>,
    birth_date: Option<String>,
    created_at: String,
}

impl ApplicantRow {
    pub(super) fn into_model(self, store: &D1Store) -> ApiResult<Applicant> {
        let name = |column: &'static str, stored: &str| {
            let clear = store.unseal(column, &self.applicant_id, stored)?;
            PersonName::parse(&clear).map_err(|_| corrupt(column))
        };
        Ok(Applicant {
            name: name(NAME, &self.name)?,
            name_zh: self
                .name_zh
                .as_deref()
                .map(|n| name(NAME_ZH, n))
                .transpose()?,
            id: ApplicantId::parse(&self.applicant_id)
                .map_err(|_| corrupt("applicants.applicant_id"))?,
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

/// `doc_type` is the kind since migration 0012; `doc_kind` holds it for the rows before. The
/// names are sealed in `name_sealed` and `name_zh_sealed` since migration 0016 (`name` and
/// `name_zh` hold them masked); the rows before hold them in clear in `name` and `name_zh`.
pub(super) const APPLICANT_SELECT: &str = "SELECT applicant_id, COALESCE(name_sealed, name) AS name, COALESCE(name_zh_sealed, name_zh) AS name_zh, COALESCE(doc_type, doc_kind) AS doc_kind, doc_hash, doc_masked, doc_sealed, nationality, birth_date, created_at FROM applicants";
const NAME: &str = "applicants.name";
const NAME_ZH: &str = "applicants.name_zh";

#[derive(Deserialize)]
pub(super) struct LinkRow {
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
    pub(super) fn into_model(self) -> ApiResult<Link> {
        Ok(Link {
            helper: UserId::parse(&self.helper_user_id)
                .map_err(|_| corrupt("links.helper_user_id"))?,
            applicant: ApplicantId::parse(&self.applicant_id)
                .map_err(|_| corrupt("links.applicant_id"))?,
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

/// `Link::is_live` in SQL, judged at `?3` (an RFC 3339 timestamp, which compare as text).
const LIVE: &str = "(status = 'active' OR (status = 'pending' AND \
    (invitation_expires_at IS NULL OR invitation_expires_at > ?3)))";
/// The same, judged at `?9` (the new link's `updated_at`).
const LIVE_AT_9: &str = "(status = 'active' OR (status = 'pending' AND \
    (invitation_expires_at IS NULL OR invitation_expires_at > ?9)))";

pub(super) const LINK_SELECT: &str = "SELECT helper_user_id, applicant_id, relation, status, consent, invitation_hash, invitation_expires_at, created_at, updated_at FROM links";

/// What `doc_kind`'s CHECK (from before migration 0012) can hold for `kind`.
fn legacy_doc_kind(kind: DocumentKind) -> &'static str {
    if kind.is_foreign() {
        DocumentKind::ForeignPassport.as_str()
    } else {
        DocumentKind::IdCard.as_str()
    }
}

impl D1Store {
    /// Inserts the applicant unless their document is registered already.
    fn insert_applicant_stmt(&self, a: &Applicant) -> ApiResult<worker::D1PreparedStatement> {
        let d = &a.document;
        self.stmt(
            "INSERT INTO applicants (applicant_id, name, doc_kind, doc_hash, doc_masked, doc_sealed, \
               nationality, birth_date, created_at, doc_type, name_zh, name_sealed, name_zh_sealed) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (doc_hash) DO NOTHING",
            &[
                a.id.as_str().into(),
                mask::mask_name(&a.name).into(),
                legacy_doc_kind(d.kind).into(),
                d.hash.as_str().into(),
                d.masked.as_str().into(),
                d.sealed.as_str().into(),
                d.nationality.as_deref().into(),
                a.birth_date.map(|b| b.to_string()).map_or(Arg::Null, Arg::Owned),
                rfc3339(&a.created_at).into(),
                d.kind.as_str().into(),
                a.name_zh.as_ref().map(mask::mask_name).map_or(Arg::Null, Arg::Owned),
                self.seal(NAME, a.id.as_str(), a.name.as_str())?.into(),
                a.name_zh
                    .as_ref()
                    .map(|n| self.seal(NAME_ZH, a.id.as_str(), n.as_str()))
                    .transpose()?
                    .map_or(Arg::Null, Arg::Owned),
            ],
        )
    }

    /// The link's columns as ?1..?9, in `links`' column order.
    fn link_args(l: &Link) -> ApiResult<Vec<Arg<'_>>> {
        Ok(vec![
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
        ])
    }

    /// Live links counted toward a limit, as `Link::is_live` defines them, other than the pair's
    /// own: `column` is `helper_user_id` or `applicant_id`.
    async fn live_links(&self, column: &str, id: &str, other: &str, at: &str) -> ApiResult<u32> {
        #[derive(Deserialize)]
        struct Count {
            n: f64,
        }
        let other_column = if column == "applicant_id" {
            "helper_user_id"
        } else {
            "applicant_id"
        };
        let sql = format!(
            "SELECT count(*) AS n FROM links WHERE {column} = ?1 AND {other_column} <> ?2 \
             AND relation <> 'self' AND {LIVE}"
        );
        let row: Option<Count> = self
            .first(&sql, &[id.into(), other.into(), at.into()])
            .await?;
        Ok(row.map_or(0, |c| c.n as u32))
    }

    async fn applicants_where(
        &self,
        clause: &str,
        args: &[Arg<'_>],
    ) -> ApiResult<Option<Applicant>> {
        let sql = format!("{APPLICANT_SELECT} WHERE {clause}");
        let row: Option<ApplicantRow> = self.first(&sql, args).await?;
        row.map(|r| r.into_model(self)).transpose()
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
        let insert = self.insert_applicant_stmt(a)?;
        let select = self.stmt(
            &format!("{APPLICANT_SELECT} WHERE doc_hash = ?1"),
            &[a.document.hash.as_str().into()],
        )?;
        let results = self.batch(vec![insert, select]).await?;
        let rows: Vec<ApplicantRow> = super::rows(results.get(1).ok_or_else(ApiError::internal)?)?;
        rows.into_iter()
            .next()
            .ok_or_else(ApiError::internal)?
            .into_model(self)
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
            &Self::link_args(l)?,
        )
        .await
        .map(|_| ())
    }

    async fn add_link(
        &self,
        l: &Link,
        new_person: Option<&Applicant>,
        limits: &LinkLimits,
        audit: &AuditEntry,
    ) -> ApiResult<AddLink> {
        let at = rfc3339(&l.updated_at);
        let mut args = Self::link_args(l)?;
        args.push(Arg::Int(limits.principals_per_user.into()));
        args.push(Arg::Int(limits.helpers_per_principal.into()));
        // One transaction: the person (if new), the link if both sides are within their limits
        // and the pair has no live link, its audit row if it was written, and the person again
        // removed if the link was not, so a refusal leaves nothing behind.
        let insert = self.stmt(
            &format!(
                "INSERT INTO links (helper_user_id, applicant_id, relation, status, consent, invitation_hash, \
                   invitation_expires_at, created_at, updated_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 \
                 WHERE EXISTS (SELECT 1 FROM applicants WHERE applicant_id = ?2) \
                   AND (SELECT count(*) FROM links WHERE helper_user_id = ?1 AND applicant_id <> ?2 \
                        AND relation <> 'self' AND {LIVE_AT_9}) < ?10 \
                   AND (SELECT count(*) FROM links WHERE applicant_id = ?2 AND helper_user_id <> ?1 \
                        AND relation <> 'self' AND {LIVE_AT_9}) < ?11 \
                 ON CONFLICT (helper_user_id, applicant_id) DO UPDATE SET relation = excluded.relation, \
                   status = excluded.status, consent = excluded.consent, \
                   invitation_hash = excluded.invitation_hash, \
                   invitation_expires_at = excluded.invitation_expires_at, \
                   created_at = excluded.created_at, updated_at = excluded.updated_at \
                 WHERE NOT (links.status = 'active' OR (links.status = 'pending' AND \
                   (links.invitation_expires_at IS NULL OR links.invitation_expires_at > excluded.updated_at)))"
            ),
            &args,
        )?;
        let mut stmts = Vec::with_capacity(4);
        if let Some(p) = new_person {
            stmts.push(self.insert_applicant_stmt(p)?);
        }
        stmts.push(insert);
        stmts.push(self.audit_stmt_if_changed(audit)?);
        if let Some(p) = new_person {
            stmts.push(self.stmt(
                "DELETE FROM applicants WHERE applicant_id = ?1 \
                 AND NOT EXISTS (SELECT 1 FROM links WHERE applicant_id = ?1)",
                &[p.id.as_str().into()],
            )?);
        }
        let results = self.batch(stmts).await?;
        let link_result = results
            .get(usize::from(new_person.is_some()))
            .ok_or_else(ApiError::internal)?;
        if changes(link_result) == 1 {
            return Ok(AddLink::Added);
        }
        // Refused: say why, from what is stored now.
        if let Some(p) = new_person {
            if self
                .applicant_by_document(&p.document.hash)
                .await?
                .is_some()
            {
                return Ok(AddLink::PersonExists);
            }
        }
        if let Some(existing) = self.link(&l.helper, &l.applicant).await? {
            if existing.is_live(l.updated_at) {
                return Ok(AddLink::Exists(Box::new(existing)));
            }
        }
        let helper = l.helper.as_str();
        let applicant = l.applicant.as_str();
        if self
            .live_links("helper_user_id", helper, applicant, &at)
            .await?
            >= limits.principals_per_user
        {
            return Ok(AddLink::PrincipalsFull);
        }
        if self
            .live_links("applicant_id", applicant, helper, &at)
            .await?
            >= limits.helpers_per_principal
        {
            return Ok(AddLink::HelpersFull);
        }
        // The limits were reached at the moment of the write and freed since: report the one
        // the helper can act on.
        Ok(AddLink::PrincipalsFull)
    }

    async fn change_link(
        &self,
        current: &Link,
        next: &Link,
        audit: &AuditEntry,
    ) -> ApiResult<bool> {
        let mut args = Self::link_args(next)?;
        args.push(to_column(&current.status)?.into());
        args.push(rfc3339(&current.updated_at).into());
        let update = self.stmt(
            "UPDATE links SET relation = ?3, status = ?4, consent = ?5, invitation_hash = ?6, \
               invitation_expires_at = ?7, created_at = ?8, updated_at = ?9 \
             WHERE helper_user_id = ?1 AND applicant_id = ?2 AND status = ?10 AND updated_at = ?11",
            &args,
        )?;
        let results = self
            .batch(vec![update, self.audit_stmt_if_changed(audit)?])
            .await?;
        Ok(results.first().map(changes) == Some(1))
    }

    async fn drop_lapsed_invitations(
        &self,
        lapsed_before: Instant,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<u32> {
        const LAPSED: &str = "status = 'pending' AND invitation_expires_at IS NOT NULL \
             AND invitation_expires_at < ?1";
        let before = rfc3339(&lapsed_before);
        // The audit rows first, from the very rows the delete then removes, in one transaction.
        let audit = self.audit_each_stmt(
            "helper.invitation_dropped",
            ("applicant_id", "helper_user_id"),
            (
                &format!("links WHERE {LAPSED}"),
                vec![before.as_str().into()],
            ),
            actor,
            request_id,
            &at,
        )?;
        let delete = self.stmt(
            &format!("DELETE FROM links WHERE {LAPSED}"),
            &[before.as_str().into()],
        )?;
        let results = self.batch(vec![audit, delete]).await?;
        Ok(results.get(1).map(changes).unwrap_or(0) as u32)
    }
}

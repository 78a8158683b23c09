//! The applicants' audit trail (`audit_log`): every action anyone took for a person.

use super::bookings::instant;
use super::{corrupt, storage_error, Arg, D1Store};
use serde::Deserialize;
use worker::D1PreparedStatement;
use yuyue_shared::store::{Actor, ApplicantId, Audit, AuditEntry, UserId};
use yuyue_shared::time::{rfc3339, Instant};
use yuyue_shared::{ApiError, ApiResult};

#[derive(Deserialize)]
struct Row {
    actor_kind: String,
    actor_id: Option<String>,
    subject: String,
    action: String,
    target: Option<String>,
    request_id: String,
    at: String,
}

/// `audit_log.actor_kind` and `actor_id` of an actor.
pub(crate) fn actor_columns(actor: &Actor) -> (&'static str, Option<&str>) {
    match actor {
        Actor::User(u) => ("user", Some(u.as_str())),
        Actor::Ops(name) => ("ops", Some(name.as_str())),
        Actor::System => ("system", None),
    }
}

impl D1Store {
    pub(crate) fn audit_stmt(&self, e: &AuditEntry) -> ApiResult<D1PreparedStatement> {
        self.audit_insert(e, "")
    }

    /// The audit row of a guarded write, in the same batch right after it: written only if that
    /// statement changed a row.
    pub(crate) fn audit_stmt_if_changed(&self, e: &AuditEntry) -> ApiResult<D1PreparedStatement> {
        self.audit_insert(e, " WHERE changes() = 1")
    }

    /// One audit row for each row `FROM {from}` selects (`?1`…`?n` are its `args`), the subject and
    /// target taken from its `subject` and `target` columns. Put before the bulk write that
    /// changes those rows, in the same batch: the trail names exactly the rows it changed.
    pub(crate) fn audit_each_stmt(
        &self,
        action: &str,
        (subject, target): (&str, &str),
        (from, args): (&str, Vec<Arg<'_>>),
        actor: &Actor,
        request_id: &str,
        at: &Instant,
    ) -> ApiResult<D1PreparedStatement> {
        let n = args.len();
        let (kind, id) = actor_columns(actor);
        let mut all = args;
        all.extend([
            kind.into(),
            id.into(),
            action.into(),
            request_id.into(),
            Arg::Owned(rfc3339(at)),
        ]);
        self.stmt(
            &format!(
                "INSERT INTO audit_log (actor_kind, actor_id, subject, action, target, request_id, at) \
                 SELECT ?{}, ?{}, {subject}, ?{}, {target}, ?{}, ?{} FROM {from}",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5
            ),
            &all,
        )
    }

    fn audit_insert(&self, e: &AuditEntry, condition: &str) -> ApiResult<D1PreparedStatement> {
        let (kind, id) = actor_columns(&e.actor);
        self.stmt(
            &format!(
                "INSERT INTO audit_log (actor_kind, actor_id, subject, action, target, request_id, at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7{condition}"
            ),
            &[
                kind.into(),
                id.into(),
                e.subject.as_str().into(),
                e.action.as_str().into(),
                e.target.as_deref().into(),
                e.request_id.as_str().into(),
                rfc3339(&e.at).into(),
            ],
        )
    }
}

impl Audit for D1Store {
    async fn record(&self, entry: &AuditEntry) -> ApiResult<()> {
        self.audit_stmt(entry)?
            .run()
            .await
            .map(|_| ())
            .map_err(storage_error)
    }

    async fn record_all(&self, entries: &[AuditEntry]) -> ApiResult<()> {
        let stmts = entries
            .iter()
            .map(|e| self.audit_stmt(e))
            .collect::<ApiResult<Vec<_>>>()?;
        self.batch(stmts).await.map(|_| ())
    }

    async fn audit_of(&self, subjects: &[ApplicantId], limit: u32) -> ApiResult<Vec<AuditEntry>> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let ids =
            serde_json::to_string(&subjects.iter().map(ApplicantId::as_str).collect::<Vec<_>>())
                .map_err(|_| ApiError::internal())?;
        let rows: Vec<Row> = self
            .all(
                "SELECT actor_kind, actor_id, subject, action, target, request_id, at FROM audit_log \
                 WHERE subject IN (SELECT value FROM json_each(?1)) ORDER BY at DESC, id DESC LIMIT ?2",
                &[ids.into(), Arg::Int(limit.into())],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let actor = match (r.actor_kind.as_str(), r.actor_id) {
                    ("user", Some(id)) => {
                        Actor::User(UserId::parse(&id).map_err(|_| corrupt("audit_log.actor_id"))?)
                    }
                    ("ops", Some(name)) => Actor::Ops(name),
                    _ => Actor::System,
                };
                Ok(AuditEntry {
                    actor,
                    subject: ApplicantId::parse(&r.subject)
                        .map_err(|_| corrupt("audit_log.subject"))?,
                    action: r.action,
                    target: r.target,
                    request_id: r.request_id,
                    at: instant(&r.at)?,
                })
            })
            .collect()
    }
}

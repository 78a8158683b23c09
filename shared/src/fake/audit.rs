//! The audit trail.

use super::*;

impl Audit for MemoryStore {
    async fn record(&self, entry: &AuditEntry) -> ApiResult<()> {
        self.step("record").await?;
        self.state.borrow_mut().audit.push(entry.clone());
        Ok(())
    }

    async fn record_all(&self, entries: &[AuditEntry]) -> ApiResult<()> {
        self.step("record_all").await?;
        self.state.borrow_mut().audit.extend_from_slice(entries);
        Ok(())
    }

    async fn audit_of(&self, subjects: &[ApplicantId], limit: u32) -> ApiResult<Vec<AuditEntry>> {
        self.step("audit_of").await?;
        let st = self.state.borrow();
        // Newest first, and among entries of the same second the last written first, as D1
        // orders them (`at DESC, id DESC`).
        let mut out: Vec<AuditEntry> = st
            .audit
            .iter()
            .rev()
            .filter(|e| subjects.contains(&e.subject))
            .cloned()
            .collect();
        out.sort_by_key(|e| std::cmp::Reverse(e.at));
        out.truncate(limit as usize);
        Ok(out)
    }
}

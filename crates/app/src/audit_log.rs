//! Reading the audit log (administrators).

use crate::{App, AppResult, Principal};
use kefu_domain::Permission;
use kefu_store::{audit, AuditEntry};

impl App {
    pub async fn audit_log(
        &self,
        p: &Principal,
        filter: audit::AuditFilter,
    ) -> AppResult<Vec<AuditEntry>> {
        p.require(Permission::AuditView)?;
        let mut conn = self.store.conn().await?;
        Ok(audit::list(&mut conn, &p.tenant, &filter).await?)
    }
}

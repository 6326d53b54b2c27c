//! The audit log: who changed what, when, with the record before and after.

use crate::{now_ms, AuditEntry, Conn, Result, TenantScope};
use kefu_domain::AuditId;
use sqlx::{any::AnyRow, Row};

pub struct NewAudit<'a> {
    pub actor_id: Option<&'a str>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<&'a str>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip: Option<&'a str>,
}

pub async fn record(conn: &mut Conn, t: &TenantScope, a: NewAudit<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, tenant_id, actor_id, actor_name, action, resource_type, resource_id, \
         before_json, after_json, ip, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(AuditId::new().as_str())
    .bind(t.id())
    .bind(a.actor_id)
    .bind(a.actor_name)
    .bind(a.action)
    .bind(a.resource_type)
    .bind(a.resource_id)
    .bind(a.before.map(|v| v.to_string()))
    .bind(a.after.map(|v| v.to_string()))
    .bind(a.ip)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub resource_type: Option<String>,
    pub actor_id: Option<String>,
    /// Only entries strictly older than this (for paging back in time).
    pub before_at: Option<i64>,
    pub limit: i64,
}

fn parse_json(s: Option<String>) -> Option<serde_json::Value> {
    s.and_then(|s| serde_json::from_str(&s).ok())
}

fn from_row(r: &AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.try_get("id")?,
        actor_id: r.try_get("actor_id")?,
        actor_name: r.try_get("actor_name")?,
        action: r.try_get("action")?,
        resource_type: r.try_get("resource_type")?,
        resource_id: r.try_get("resource_id")?,
        before: parse_json(r.try_get("before_json")?),
        after: parse_json(r.try_get("after_json")?),
        ip: r.try_get("ip")?,
        at: r.try_get("at")?,
    })
}

/// Newest first.
pub async fn list(conn: &mut Conn, t: &TenantScope, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT id, actor_id, actor_name, action, resource_type, resource_id, before_json, after_json, ip, at \
         FROM audit_log WHERE tenant_id = $1 \
         AND ($2 = '' OR resource_type = $2) AND ($3 = '' OR actor_id = $3) AND at < $4 \
         ORDER BY at DESC, id DESC LIMIT $5",
    )
    .bind(t.id())
    .bind(f.resource_type.as_deref().unwrap_or(""))
    .bind(f.actor_id.as_deref().unwrap_or(""))
    .bind(f.before_at.unwrap_or(i64::MAX))
    .bind(f.limit.clamp(1, 500))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

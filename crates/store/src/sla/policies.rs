//! SLA policies: targets per ticket type and priority, and finding the one for a ticket.

use super::{json_col, new_id};
use crate::{now_ms, one_row, Conn, Result, StoreError, TenantScope};
use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use utoipa::ToSchema;

/// An SLA policy: targets in business minutes for tickets of one type and
/// priority (either may be "any"), the warning threshold and the escalation.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SlaPolicy {
    pub id: String,
    pub name: String,
    /// `null`: every ticket type without a policy of its own.
    pub ticket_type_id: Option<String>,
    /// `null`: every priority without a policy of its own.
    pub priority: Option<String>,
    /// `null`: counted around the clock.
    pub calendar_id: Option<String>,
    pub first_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    /// Warn when this share (1–99 %) of a target is used…
    pub warn_percent: Option<i64>,
    /// …or this many business minutes before it is due.
    pub warn_before_minutes: Option<i64>,
    /// `{"action": "none"}`, `{"action": "reassign", "user_id"?, "group_id"?}`
    /// or `{"action": "notify", "user_id"}`.
    #[schema(value_type = Object)]
    pub escalation: serde_json::Value,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a policy is made of, for create and (full) update.
#[derive(Debug, Clone)]
pub struct PolicyFields<'a> {
    pub name: &'a str,
    pub ticket_type_id: Option<&'a str>,
    pub priority: Option<&'a str>,
    pub calendar_id: Option<&'a str>,
    pub first_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    pub warn_percent: Option<i64>,
    pub warn_before_minutes: Option<i64>,
    pub escalation: &'a serde_json::Value,
    pub enabled: bool,
}

const POLICY_COLS: &str = "id, name, ticket_type_id, priority, calendar_id, \
    first_response_minutes, resolution_minutes, warn_percent, warn_before_minutes, \
    escalation, enabled, created_at, updated_at";

fn policy_row(r: &AnyRow) -> Result<SlaPolicy> {
    Ok(SlaPolicy {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        ticket_type_id: r.try_get("ticket_type_id")?,
        priority: r.try_get("priority")?,
        calendar_id: r.try_get("calendar_id")?,
        first_response_minutes: r.try_get("first_response_minutes")?,
        resolution_minutes: r.try_get("resolution_minutes")?,
        warn_percent: r.try_get("warn_percent")?,
        warn_before_minutes: r.try_get("warn_before_minutes")?,
        escalation: json_col(r, "escalation")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A second policy for the same (type, priority) is a [`StoreError::Conflict`],
/// as is a second policy with the same name.
pub async fn create_policy(
    conn: &mut Conn,
    t: &TenantScope,
    f: &PolicyFields<'_>,
) -> Result<SlaPolicy> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO sla_policies (id, tenant_id, name, ticket_type_id, priority, calendar_id, \
         first_response_minutes, resolution_minutes, warn_percent, warn_before_minutes, \
         escalation, enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
    )
    .bind(&id)
    .bind(t.id())
    .bind(f.name)
    .bind(f.ticket_type_id)
    .bind(f.priority)
    .bind(f.calendar_id)
    .bind(f.first_response_minutes)
    .bind(f.resolution_minutes)
    .bind(f.warn_percent)
    .bind(f.warn_before_minutes)
    .bind(f.escalation.to_string())
    .bind(crate::flag(f.enabled))
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    get_policy(conn, t, &id).await?.ok_or(StoreError::NotFound)
}

pub async fn get_policy(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<SlaPolicy>> {
    let row = sqlx::query(&format!(
        "SELECT {POLICY_COLS} FROM sla_policies WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(policy_row).transpose()
}

pub async fn list_policies(conn: &mut Conn, t: &TenantScope) -> Result<Vec<SlaPolicy>> {
    let rows = sqlx::query(&format!(
        "SELECT {POLICY_COLS} FROM sla_policies WHERE tenant_id = $1 ORDER BY name, id"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(policy_row).collect()
}

pub async fn update_policy(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    f: &PolicyFields<'_>,
) -> Result<SlaPolicy> {
    let done = sqlx::query(
        "UPDATE sla_policies SET name = $3, ticket_type_id = $4, priority = $5, calendar_id = $6, \
         first_response_minutes = $7, resolution_minutes = $8, warn_percent = $9, \
         warn_before_minutes = $10, escalation = $11, enabled = $12, updated_at = $13 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(f.name)
    .bind(f.ticket_type_id)
    .bind(f.priority)
    .bind(f.calendar_id)
    .bind(f.first_response_minutes)
    .bind(f.resolution_minutes)
    .bind(f.warn_percent)
    .bind(f.warn_before_minutes)
    .bind(f.escalation.to_string())
    .bind(crate::flag(f.enabled))
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    one_row(done.rows_affected())?;
    get_policy(conn, t, id).await?.ok_or(StoreError::NotFound)
}

/// Refused with [`StoreError::Reference`] once a ticket's clock used it
/// (disable it instead, so reports keep their meaning).
pub async fn delete_policy(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let used: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sla_timers WHERE tenant_id = $1 AND policy_id = $2",
    )
    .bind(t.id())
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if used > 0 {
        return Err(StoreError::Reference);
    }
    let done = sqlx::query("DELETE FROM sla_policies WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    one_row(done.rows_affected())
}

/// The enabled policy for a ticket: the most specific of (type, priority),
/// (type, any), (any, priority), (any, any).
pub async fn find_policy(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_type_id: Option<&str>,
    priority: Option<&str>,
) -> Result<Option<SlaPolicy>> {
    let rows = sqlx::query(&format!(
        "SELECT {POLICY_COLS} FROM sla_policies WHERE tenant_id = $1 AND enabled = 1 \
         AND (ticket_type_id IS NULL OR ticket_type_id = $2) \
         AND (priority IS NULL OR priority = $3)"
    ))
    .bind(t.id())
    .bind(ticket_type_id.unwrap_or(""))
    .bind(priority.unwrap_or(""))
    .fetch_all(&mut *conn)
    .await?;
    let mut all = rows.iter().map(policy_row).collect::<Result<Vec<_>>>()?;
    // Type beats priority; "any" loses to a match.
    all.sort_by_key(|p| (p.ticket_type_id.is_none(), p.priority.is_none()));
    Ok(all.into_iter().next())
}

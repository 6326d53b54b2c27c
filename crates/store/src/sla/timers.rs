//! The clocks running on tickets (`sla_timers`): start, due, warned, breached, met.

use super::new_id;
use crate::{Conn, Result, StoreError, TenantScope};
use kefu_domain::TenantId;
use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use utoipa::ToSchema;

pub const FIRST_RESPONSE: &str = "first_response";
pub const RESOLUTION: &str = "resolution";

/// One clock on a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SlaTimer {
    pub id: String,
    pub ticket_id: String,
    /// `first_response` or `resolution`.
    pub target: String,
    pub policy_id: String,
    pub started_at: i64,
    /// When the warning is due (absent: the policy does not warn).
    pub warn_at: Option<i64>,
    pub due_at: i64,
    pub warned_at: Option<i64>,
    pub breached_at: Option<i64>,
    /// When the target was fulfilled (on time or late).
    pub met_at: Option<i64>,
}

const TIMER_COLS: &str = "id, ticket_id, target, policy_id, started_at, warn_at, due_at, \
    warned_at, breached_at, met_at";

fn timer_row(r: &AnyRow) -> Result<SlaTimer> {
    Ok(SlaTimer {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        target: r.try_get("target")?,
        policy_id: r.try_get("policy_id")?,
        started_at: r.try_get("started_at")?,
        warn_at: r.try_get("warn_at")?,
        due_at: r.try_get("due_at")?,
        warned_at: r.try_get("warned_at")?,
        breached_at: r.try_get("breached_at")?,
        met_at: r.try_get("met_at")?,
    })
}

/// The next instant the ticker must look at a clock: its warning, then its
/// breach; none once met or breached.
fn next_at(t: &SlaTimer) -> Option<i64> {
    if t.met_at.is_some() || t.breached_at.is_some() {
        return None;
    }
    match (t.warn_at, t.warned_at) {
        (Some(w), None) if w < t.due_at => Some(w),
        _ => Some(t.due_at),
    }
}

pub struct NewTimer<'a> {
    pub ticket_id: &'a str,
    pub target: &'a str,
    pub policy_id: &'a str,
    pub started_at: i64,
    pub warn_at: Option<i64>,
    pub due_at: i64,
}

/// Starts a clock; a ticket has at most one per target ([`StoreError::Conflict`]).
pub async fn start_timer(conn: &mut Conn, t: &TenantScope, n: &NewTimer<'_>) -> Result<SlaTimer> {
    let timer = SlaTimer {
        id: new_id(),
        ticket_id: n.ticket_id.to_string(),
        target: n.target.to_string(),
        policy_id: n.policy_id.to_string(),
        started_at: n.started_at,
        warn_at: n.warn_at,
        due_at: n.due_at,
        warned_at: None,
        breached_at: None,
        met_at: None,
    };
    sqlx::query(
        "INSERT INTO sla_timers (id, tenant_id, ticket_id, target, policy_id, started_at, \
         warn_at, due_at, next_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&timer.id)
    .bind(t.id())
    .bind(&timer.ticket_id)
    .bind(&timer.target)
    .bind(&timer.policy_id)
    .bind(timer.started_at)
    .bind(timer.warn_at)
    .bind(timer.due_at)
    .bind(next_at(&timer))
    .execute(&mut *conn)
    .await?;
    Ok(timer)
}

/// A ticket's clocks, first response first.
pub async fn timers_of(conn: &mut Conn, t: &TenantScope, ticket_id: &str) -> Result<Vec<SlaTimer>> {
    let rows = sqlx::query(&format!(
        "SELECT {TIMER_COLS} FROM sla_timers WHERE tenant_id = $1 AND ticket_id = $2 \
         ORDER BY started_at, target"
    ))
    .bind(t.id())
    .bind(ticket_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut v = rows.iter().map(timer_row).collect::<Result<Vec<_>>>()?;
    v.sort_by_key(|t| (t.target != FIRST_RESPONSE, t.started_at));
    Ok(v)
}

async fn timer(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<SlaTimer> {
    let row = sqlx::query(&format!(
        "SELECT {TIMER_COLS} FROM sla_timers WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref()
        .map(timer_row)
        .transpose()?
        .ok_or(StoreError::NotFound)
}

/// Clocks of every tenant with something due at `now` (the background ticker's
/// question, before it knows any tenant), oldest first.
pub async fn due_unscoped(
    conn: &mut Conn,
    now: i64,
    limit: i64,
) -> Result<Vec<(TenantId, SlaTimer)>> {
    let rows = sqlx::query(&format!(
        "SELECT tenant_id, {TIMER_COLS} FROM sla_timers \
         WHERE next_at IS NOT NULL AND next_at <= $1 ORDER BY next_at, id LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((TenantId::from_db(r.try_get("tenant_id")?), timer_row(r)?)))
        .collect()
}

/// What a state change did, when it did anything.
async fn transition(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    set: &str,
    guard: &str,
    at: i64,
) -> Result<Option<SlaTimer>> {
    // The guard makes each step happen once even when two nodes tick together.
    let done = sqlx::query(&format!(
        "UPDATE sla_timers SET {set} = $3 WHERE tenant_id = $1 AND id = $2 AND {guard}"
    ))
    .bind(t.id())
    .bind(id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    let tm = timer(conn, t, id).await?;
    sqlx::query("UPDATE sla_timers SET next_at = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .bind(next_at(&tm))
        .execute(&mut *conn)
        .await?;
    Ok(Some(tm))
}

/// Marks the warning as given; `None` if it already was, or the clock stopped.
pub async fn mark_warned(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    at: i64,
) -> Result<Option<SlaTimer>> {
    let guard = "warned_at IS NULL AND met_at IS NULL AND breached_at IS NULL";
    transition(conn, t, id, "warned_at", guard, at).await
}

/// Marks the breach; `None` if already breached or met.
pub async fn mark_breached(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    at: i64,
) -> Result<Option<SlaTimer>> {
    let guard = "breached_at IS NULL AND met_at IS NULL";
    transition(conn, t, id, "breached_at", guard, at).await
}

/// Stops a ticket's clock for `target`; `None` if it has none running.
pub async fn mark_met(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
    target: &str,
    at: i64,
) -> Result<Option<SlaTimer>> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT id FROM sla_timers WHERE tenant_id = $1 AND ticket_id = $2 AND target = $3 \
         AND met_at IS NULL",
    )
    .bind(t.id())
    .bind(ticket_id)
    .bind(target)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(None) };
    transition(conn, t, &id, "met_at", "met_at IS NULL", at).await
}

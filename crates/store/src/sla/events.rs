//! What happened to clocks (`sla_events`), as reports count it.

use super::new_id;
use super::SlaTimer;
use crate::{Conn, Result, StoreError, TenantScope};
use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use utoipa::ToSchema;

/// One thing that happened to a clock: `started`, `warned`, `breached`,
/// `escalated` or `met`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SlaEvent {
    pub id: String,
    pub ticket_id: String,
    /// `first_response` or `resolution`.
    pub target: String,
    pub kind: String,
    pub at: i64,
    pub due_at: Option<i64>,
    pub policy_id: Option<String>,
    /// What it did: for `escalated` the action and to whom; for `met` whether on time.
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

const EVENT_COLS: &str = "id, ticket_id, target, kind, at, due_at, policy_id, detail";

fn event_row(r: &AnyRow) -> Result<SlaEvent> {
    let detail: Option<String> = r.try_get("detail")?;
    Ok(SlaEvent {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        target: r.try_get("target")?,
        kind: r.try_get("kind")?,
        at: r.try_get("at")?,
        due_at: r.try_get("due_at")?,
        policy_id: r.try_get("policy_id")?,
        detail: detail
            .map(|d| serde_json::from_str(&d))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("sla event detail: {e}")))?,
    })
}

pub async fn record_event(
    conn: &mut Conn,
    t: &TenantScope,
    timer: &SlaTimer,
    kind: &str,
    at: i64,
    detail: Option<serde_json::Value>,
) -> Result<SlaEvent> {
    let e = SlaEvent {
        id: new_id(),
        ticket_id: timer.ticket_id.clone(),
        target: timer.target.clone(),
        kind: kind.to_string(),
        at,
        due_at: Some(timer.due_at),
        policy_id: Some(timer.policy_id.clone()),
        detail,
    };
    sqlx::query(
        "INSERT INTO sla_events (id, tenant_id, ticket_id, target, kind, at, due_at, policy_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&e.id)
    .bind(t.id())
    .bind(&e.ticket_id)
    .bind(&e.target)
    .bind(&e.kind)
    .bind(e.at)
    .bind(e.due_at)
    .bind(e.policy_id.as_deref())
    .bind(e.detail.as_ref().map(|d| d.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(e)
}

/// Which events to list or count.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub ticket_id: Option<String>,
    pub kind: Option<String>,
    pub target: Option<String>,
    /// `at >= from`
    pub from: Option<i64>,
    /// `at < to`
    pub to: Option<i64>,
}

fn event_where(f: &EventFilter) -> (String, Vec<String>, Vec<i64>) {
    let mut sql = String::from("tenant_id = $1");
    let mut texts = Vec::new();
    let mut nums = Vec::new();
    let mut n = 1;
    for (col, v) in [
        ("ticket_id", &f.ticket_id),
        ("kind", &f.kind),
        ("target", &f.target),
    ] {
        if let Some(v) = v {
            n += 1;
            sql.push_str(&format!(" AND {col} = ${n}"));
            texts.push(v.clone());
        }
    }
    for (op, v) in [(">=", f.from), ("<", f.to)] {
        if let Some(v) = v {
            n += 1;
            sql.push_str(&format!(" AND at {op} ${n}"));
            nums.push(v);
        }
    }
    (sql, texts, nums)
}

/// Events in time order (oldest first), at most `limit`.
pub async fn list_events(
    conn: &mut Conn,
    t: &TenantScope,
    f: &EventFilter,
    limit: i64,
) -> Result<Vec<SlaEvent>> {
    let (w, texts, nums) = event_where(f);
    let sql = format!(
        "SELECT {EVENT_COLS} FROM sla_events WHERE {w} ORDER BY at, id LIMIT {}",
        limit.clamp(1, 10_000)
    );
    let mut q = sqlx::query(&sql).bind(t.id());
    for s in &texts {
        q = q.bind(s);
    }
    for v in &nums {
        q = q.bind(*v);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter().map(event_row).collect()
}

/// `(target, kind, count)` over the filter, sorted, for reports.
pub async fn count_events(
    conn: &mut Conn,
    t: &TenantScope,
    f: &EventFilter,
) -> Result<Vec<(String, String, i64)>> {
    let (w, texts, nums) = event_where(f);
    let sql = format!(
        "SELECT target, kind, COUNT(*) AS n FROM sla_events WHERE {w} GROUP BY target, kind"
    );
    let mut q = sqlx::query(&sql).bind(t.id());
    for s in &texts {
        q = q.bind(s);
    }
    for v in &nums {
        q = q.bind(*v);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut out = rows
        .iter()
        .map(|r| Ok((r.try_get("target")?, r.try_get("kind")?, r.try_get("n")?)))
        .collect::<Result<Vec<(String, String, i64)>>>()?;
    out.sort();
    Ok(out)
}

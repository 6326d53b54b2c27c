//! SLA (服务水平) storage: named business calendars, policies per ticket type and
//! priority, the clocks running on tickets (`sla_timers`), the events reports
//! count (`sla_events`), satisfaction surveys, and the tenant's link key.
//!
//! Business-time arithmetic is not done here: the app computes due instants with
//! `kefu_routing::calendar` and stores plain Unix milliseconds.

use crate::{now_ms, one_row, Conn, Result, StoreError, TenantScope};
use kefu_domain::TenantId;
use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use utoipa::ToSchema;

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn json_col(r: &AnyRow, col: &str) -> Result<serde_json::Value> {
    let s: String = r.try_get(col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

// ---- calendars --------------------------------------------------------------

/// A named business calendar (工作日历): weekly hours, holidays, make-up days.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BusinessCalendar {
    pub id: String,
    pub name: String,
    /// The hours in the shape channels use (`utc_offset_minutes`, `weekly`,
    /// `holidays`, `workdays`).
    #[schema(value_type = Object)]
    pub hours: serde_json::Value,
    pub created_at: i64,
    pub updated_at: i64,
}

const CAL_COLS: &str = "id, name, hours, created_at, updated_at";

fn calendar_row(r: &AnyRow) -> Result<BusinessCalendar> {
    Ok(BusinessCalendar {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        hours: json_col(r, "hours")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn create_calendar(
    conn: &mut Conn,
    t: &TenantScope,
    name: &str,
    hours: &serde_json::Value,
) -> Result<BusinessCalendar> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO business_calendars (id, tenant_id, name, hours, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&id)
    .bind(t.id())
    .bind(name)
    .bind(hours.to_string())
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    get_calendar(conn, t, &id)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get_calendar(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
) -> Result<Option<BusinessCalendar>> {
    let row = sqlx::query(&format!(
        "SELECT {CAL_COLS} FROM business_calendars WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(calendar_row).transpose()
}

pub async fn list_calendars(conn: &mut Conn, t: &TenantScope) -> Result<Vec<BusinessCalendar>> {
    let rows = sqlx::query(&format!(
        "SELECT {CAL_COLS} FROM business_calendars WHERE tenant_id = $1 ORDER BY name, id"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(calendar_row).collect()
}

pub async fn update_calendar(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    name: &str,
    hours: &serde_json::Value,
) -> Result<BusinessCalendar> {
    let done = sqlx::query(
        "UPDATE business_calendars SET name = $3, hours = $4, updated_at = $5 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(name)
    .bind(hours.to_string())
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    one_row(done.rows_affected())?;
    get_calendar(conn, t, id).await?.ok_or(StoreError::NotFound)
}

/// Refused with [`StoreError::Reference`] while a policy counts in it.
pub async fn delete_calendar(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let used: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sla_policies WHERE tenant_id = $1 AND calendar_id = $2",
    )
    .bind(t.id())
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if used > 0 {
        return Err(StoreError::Reference);
    }
    let done = sqlx::query("DELETE FROM business_calendars WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    one_row(done.rows_affected())
}

// ---- policies ---------------------------------------------------------------

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

// ---- timers -----------------------------------------------------------------

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

// ---- events -----------------------------------------------------------------

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

// ---- surveys ----------------------------------------------------------------

/// A customer's satisfaction answer (满意度) for a resolved ticket.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TicketSurvey {
    pub ticket_id: String,
    /// 1–5 stars.
    pub rating: i64,
    pub comment: String,
    pub created_at: i64,
}

/// Stored once per ticket: a second answer is a [`StoreError::Conflict`].
pub async fn insert_survey(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
    rating: i64,
    comment: &str,
) -> Result<TicketSurvey> {
    let s = TicketSurvey {
        ticket_id: ticket_id.to_string(),
        rating,
        comment: comment.to_string(),
        created_at: now_ms(),
    };
    sqlx::query(
        "INSERT INTO ticket_surveys (ticket_id, tenant_id, rating, comment, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.ticket_id)
    .bind(t.id())
    .bind(s.rating)
    .bind(&s.comment)
    .bind(s.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(s)
}

pub async fn get_survey(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
) -> Result<Option<TicketSurvey>> {
    let row = sqlx::query(
        "SELECT ticket_id, rating, comment, created_at FROM ticket_surveys \
         WHERE tenant_id = $1 AND ticket_id = $2",
    )
    .bind(t.id())
    .bind(ticket_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(TicketSurvey {
            ticket_id: r.try_get("ticket_id")?,
            rating: r.try_get("rating")?,
            comment: r.try_get("comment")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// The tenant of a ticket, found by its id alone (a progress link names only
/// the ticket; its signature is then checked with that tenant's key).
pub async fn ticket_tenant_unscoped(conn: &mut Conn, ticket_id: &str) -> Result<Option<TenantId>> {
    let t: Option<String> = sqlx::query_scalar("SELECT tenant_id FROM tickets WHERE id = $1")
        .bind(ticket_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(t.map(TenantId::from_db))
}

// ---- link key ---------------------------------------------------------------

/// The tenant's key for signing customer links. The first caller's `fresh`
/// value becomes the key; later calls return the stored one.
pub async fn link_secret(conn: &mut Conn, t: &TenantScope, fresh: &str) -> Result<String> {
    sqlx::query("UPDATE tenants SET link_secret = $2 WHERE id = $1 AND link_secret IS NULL")
        .bind(t.id())
        .bind(fresh)
        .execute(&mut *conn)
        .await?;
    let s: Option<String> = sqlx::query_scalar("SELECT link_secret FROM tenants WHERE id = $1")
        .bind(t.id())
        .fetch_one(&mut *conn)
        .await?;
    s.ok_or(StoreError::NotFound)
}

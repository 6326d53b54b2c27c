//! Tickets (工单): numbered per tenant, of a type, with the type's form values,
//! linked to a customer, a conversation or an offline message, assigned to an
//! agent and/or a skill group, in one of the type's workflow statuses.
//! Comments, history, watchers and notifications are in `ticket_activity`.

use crate::conversations::to_json;
use crate::customer_filter::{bind_all, Arg};
use crate::{now_ms, Conn, Result, StoreError, TenantScope};
use kefu_domain::TicketId;
use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ticket {
    pub id: String,
    /// Human-readable, per tenant: 1, 2, 3 … (shown as #1).
    pub number: i64,
    pub type_id: String,
    pub type_name: String,
    pub title: String,
    /// The type's form values, by field key.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub conversation_id: Option<String>,
    pub offline_message_id: Option<String>,
    /// manual, api, conversation, offline_message or bot.
    pub source: String,
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    pub skill_group_id: Option<String>,
    pub skill_group_name: Option<String>,
    /// A status key of the type's workflow.
    pub status: String,
    /// The status's category: open, resolved or closed.
    pub status_category: String,
    /// low, normal, high or urgent.
    pub priority: String,
    pub due_at: Option<i64>,
    pub created_by: Option<String>,
    pub created_by_name: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
}

const SELECT: &str = "SELECT k.id, k.number, k.type_id, ty.name AS type_name, k.title, k.field_values, \
    k.customer_id, cu.name AS customer_name, k.conversation_id, k.offline_message_id, k.source, \
    k.assignee_id, u.display_name AS assignee_name, k.skill_group_id, g.name AS skill_group_name, \
    k.status, k.status_category, k.priority, k.due_at, k.created_by, k.created_by_name, k.created_at, \
    k.updated_at, k.resolved_at, k.closed_at \
    FROM tickets k \
    JOIN ticket_types ty ON ty.id = k.type_id AND ty.tenant_id = k.tenant_id \
    LEFT JOIN customers cu ON cu.id = k.customer_id AND cu.tenant_id = k.tenant_id \
    LEFT JOIN users u ON u.id = k.assignee_id AND u.tenant_id = k.tenant_id \
    LEFT JOIN skill_groups g ON g.id = k.skill_group_id AND g.tenant_id = k.tenant_id";

fn from_row(r: &AnyRow) -> Result<Ticket> {
    let fields: String = r.try_get("field_values")?;
    Ok(Ticket {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        type_id: r.try_get("type_id")?,
        type_name: r.try_get("type_name")?,
        title: r.try_get("title")?,
        fields: serde_json::from_str(&fields)
            .map_err(|e| StoreError::Corrupt(format!("ticket fields: {e}")))?,
        customer_id: r.try_get("customer_id")?,
        customer_name: r.try_get("customer_name")?,
        conversation_id: r.try_get("conversation_id")?,
        offline_message_id: r.try_get("offline_message_id")?,
        source: r.try_get("source")?,
        assignee_id: r.try_get("assignee_id")?,
        assignee_name: r.try_get("assignee_name")?,
        skill_group_id: r.try_get("skill_group_id")?,
        skill_group_name: r.try_get("skill_group_name")?,
        status: r.try_get("status")?,
        status_category: r.try_get("status_category")?,
        priority: r.try_get("priority")?,
        due_at: r.try_get("due_at")?,
        created_by: r.try_get("created_by")?,
        created_by_name: r.try_get("created_by_name")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        resolved_at: r.try_get("resolved_at")?,
        closed_at: r.try_get("closed_at")?,
    })
}

/// A new ticket, already validated against its type.
pub struct NewTicket<'a> {
    pub type_id: &'a str,
    pub title: &'a str,
    pub fields: &'a serde_json::Map<String, serde_json::Value>,
    pub customer_id: Option<&'a str>,
    pub conversation_id: Option<&'a str>,
    pub offline_message_id: Option<&'a str>,
    pub source: &'a str,
    pub assignee_id: Option<&'a str>,
    pub skill_group_id: Option<&'a str>,
    pub status: &'a str,
    pub status_category: &'a str,
    pub priority: &'a str,
    pub due_at: Option<i64>,
    pub created_by: Option<&'a str>,
    pub created_by_name: &'a str,
}

/// The next ticket number of the tenant. Call inside the transaction that
/// inserts the ticket, so a rolled-back creation does not use up a number.
pub async fn next_number(conn: &mut Conn, t: &TenantScope) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO ticket_counters (tenant_id, last_number) VALUES ($1, 1) \
         ON CONFLICT (tenant_id) DO UPDATE SET last_number = ticket_counters.last_number + 1 \
         RETURNING last_number",
    )
    .bind(t.id())
    .fetch_one(&mut *conn)
    .await?)
}

pub async fn create(conn: &mut Conn, t: &TenantScope, n: &NewTicket<'_>) -> Result<Ticket> {
    let id = TicketId::new();
    let number = next_number(conn, t).await?;
    let now = now_ms();
    sqlx::query(
        "INSERT INTO tickets (id, tenant_id, number, type_id, title, field_values, customer_id, conversation_id, \
         offline_message_id, source, assignee_id, skill_group_id, status, status_category, priority, due_at, \
         created_by, created_by_name, created_at, updated_at, resolved_at, closed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $20, $21)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(number)
    .bind(n.type_id)
    .bind(n.title)
    .bind(to_json(n.fields))
    .bind(n.customer_id)
    .bind(n.conversation_id)
    .bind(n.offline_message_id)
    .bind(n.source)
    .bind(n.assignee_id)
    .bind(n.skill_group_id)
    .bind(n.status)
    .bind(n.status_category)
    .bind(n.priority)
    .bind(n.due_at)
    .bind(n.created_by)
    .bind(n.created_by_name)
    .bind(now)
    .bind((n.status_category == "resolved").then_some(now))
    .bind((n.status_category == "closed").then_some(now))
    .execute(&mut *conn)
    .await?;
    get(conn, t, id.as_str()).await?.ok_or(StoreError::NotFound)
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<Ticket>> {
    let row = sqlx::query(&format!("{SELECT} WHERE k.tenant_id = $1 AND k.id = $2"))
        .bind(t.id())
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn get_by_number(
    conn: &mut Conn,
    t: &TenantScope,
    number: i64,
) -> Result<Option<Ticket>> {
    let row = sqlx::query(&format!(
        "{SELECT} WHERE k.tenant_id = $1 AND k.number = $2"
    ))
    .bind(t.id())
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Who may see which tickets, when not everything: those assigned to or
/// created by the user, those they watch, and those of their skill groups.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    pub user_id: String,
    pub skill_groups: Vec<String>,
}

/// A list query; every set field narrows it.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    /// open, resolved or closed.
    pub category: Option<String>,
    /// A workflow status key.
    pub status: Option<String>,
    pub assignee_id: Option<String>,
    /// Tickets nobody is assigned to.
    pub unassigned: bool,
    pub skill_group_id: Option<String>,
    pub priority: Option<String>,
    pub type_id: Option<String>,
    pub customer_id: Option<String>,
    pub conversation_id: Option<String>,
    pub visible_to: Option<Visibility>,
    pub limit: i64,
    pub offset: i64,
}

fn where_clause(t: &TenantScope, f: &TicketFilter) -> (String, Vec<Arg>) {
    let mut args = vec![Arg::S(t.id().to_string())];
    let mut push = |a: Arg| {
        args.push(a);
        format!("${}", args.len())
    };
    let mut sql = " WHERE k.tenant_id = $1".to_string();
    let eq = [
        ("k.status_category", &f.category),
        ("k.status", &f.status),
        ("k.assignee_id", &f.assignee_id),
        ("k.skill_group_id", &f.skill_group_id),
        ("k.priority", &f.priority),
        ("k.type_id", &f.type_id),
        ("k.customer_id", &f.customer_id),
        ("k.conversation_id", &f.conversation_id),
    ];
    for (col, v) in eq {
        if let Some(v) = v {
            sql += &format!(" AND {col} = {}", push(Arg::S(v.clone())));
        }
    }
    if f.unassigned {
        sql += " AND k.assignee_id IS NULL";
    }
    if let Some(v) = &f.visible_to {
        let u = push(Arg::S(v.user_id.clone()));
        let mut any = format!(
            "k.assignee_id = {u} OR k.created_by = {u} OR EXISTS (SELECT 1 FROM ticket_watchers w \
             WHERE w.tenant_id = k.tenant_id AND w.ticket_id = k.id AND w.user_id = {u})"
        );
        if !v.skill_groups.is_empty() {
            let list: Vec<String> = v
                .skill_groups
                .iter()
                .map(|g| push(Arg::S(g.clone())))
                .collect();
            any += &format!(" OR k.skill_group_id IN ({})", list.join(", "));
        }
        sql += &format!(" AND ({any})");
    }
    (sql, args)
}

/// Newest first.
pub async fn list(conn: &mut Conn, t: &TenantScope, f: &TicketFilter) -> Result<Vec<Ticket>> {
    let (clause, mut args) = where_clause(t, f);
    args.push(Arg::I(f.limit.clamp(1, 1000)));
    args.push(Arg::I(f.offset.max(0)));
    let sql = format!(
        "{SELECT}{clause} ORDER BY k.number DESC LIMIT ${} OFFSET ${}",
        args.len() - 1,
        args.len()
    );
    let rows = bind_all(sqlx::query(&sql), args)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn count(conn: &mut Conn, t: &TenantScope, f: &TicketFilter) -> Result<i64> {
    let (clause, args) = where_clause(t, f);
    let sql = format!("SELECT COUNT(*) FROM tickets k{clause}");
    let row = bind_all(sqlx::query(&sql), args)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get(0)?)
}

/// The editable parts of a ticket (the caller records the history).
pub struct TicketEdit<'a> {
    pub title: &'a str,
    pub fields: &'a serde_json::Map<String, serde_json::Value>,
    pub priority: &'a str,
    pub due_at: Option<i64>,
    pub customer_id: Option<&'a str>,
}

pub async fn update(conn: &mut Conn, t: &TenantScope, id: &str, e: &TicketEdit<'_>) -> Result<()> {
    let done = sqlx::query(
        "UPDATE tickets SET title = $3, field_values = $4, priority = $5, due_at = $6, customer_id = $7, \
         updated_at = $8 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(e.title)
    .bind(to_json(e.fields))
    .bind(e.priority)
    .bind(e.due_at)
    .bind(e.customer_id)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

/// Move to a workflow status, only if the ticket is still in `from` (so two
/// people moving it at once cannot both win). Resolved/closed times are set
/// when entering such a status and cleared when reopened.
pub async fn set_status(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    from: &str,
    to: &str,
    category: &str,
) -> Result<bool> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE tickets SET status = $4, status_category = $5, updated_at = $6, \
         resolved_at = CASE WHEN $5 = 'resolved' THEN $6 WHEN $5 = 'open' THEN NULL ELSE resolved_at END, \
         closed_at = CASE WHEN $5 = 'closed' THEN $6 ELSE NULL END \
         WHERE tenant_id = $1 AND id = $2 AND status = $3",
    )
    .bind(t.id())
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(category)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Who works on it: an agent, a skill group, or both (either may be none).
pub async fn set_assignment(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    assignee_id: Option<&str>,
    skill_group_id: Option<&str>,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE tickets SET assignee_id = $3, skill_group_id = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(assignee_id)
    .bind(skill_group_id)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

/// Open tickets with a skill group, oldest first: what routing must know
/// about after a restart (assigned ones count against their agent's ticket
/// capacity; the others wait in their group's queue).
pub async fn open_for_routing(conn: &mut Conn, t: &TenantScope) -> Result<Vec<Ticket>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE k.tenant_id = $1 AND k.status_category = 'open' AND k.skill_group_id IS NOT NULL \
         ORDER BY k.number"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// OneID merge: the tickets of a merged customer move to the kept one.
pub async fn move_customer(conn: &mut Conn, t: &TenantScope, from: &str, to: &str) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE tickets SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2",
    )
    .bind(t.id())
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

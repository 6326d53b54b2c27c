//! What happens around a ticket: comments (public replies and internal notes),
//! the history of every change, watchers (关注), and the per-user in-app
//! notifications that watching produces.

use crate::conversations::{json_list, to_json};
use crate::{now_ms, Conn, Result, StoreError, TenantScope};
use kefu_domain::{NotificationId, TicketCommentId, TicketHistoryId};
use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use utoipa::ToSchema;

// ---- comments ----------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketComment {
    pub id: String,
    pub ticket_id: String,
    /// `reply` (public: the customer sees it) or `note` (internal).
    pub kind: String,
    /// agent, customer or system.
    pub author_type: String,
    pub author_id: Option<String>,
    pub author_name: String,
    pub body: String,
    /// Attachment ids.
    pub attachments: Vec<String>,
    pub created_at: i64,
}

pub struct NewComment<'a> {
    pub kind: &'a str,
    pub author_type: &'a str,
    pub author_id: Option<&'a str>,
    pub author_name: &'a str,
    pub body: &'a str,
    pub attachments: &'a [String],
}

fn comment(r: &AnyRow) -> Result<TicketComment> {
    Ok(TicketComment {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        kind: r.try_get("kind")?,
        author_type: r.try_get("author_type")?,
        author_id: r.try_get("author_id")?,
        author_name: r.try_get("author_name")?,
        body: r.try_get("body")?,
        attachments: json_list(&r.try_get::<String, _>("attachments")?),
        created_at: r.try_get("created_at")?,
    })
}

const COMMENT_COLS: &str =
    "id, ticket_id, kind, author_type, author_id, author_name, body, attachments, created_at";

pub async fn add_comment(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
    c: &NewComment<'_>,
) -> Result<TicketComment> {
    let id = TicketCommentId::new();
    sqlx::query(
        "INSERT INTO ticket_comments (id, tenant_id, ticket_id, kind, author_type, author_id, author_name, body, \
         attachments, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(ticket_id)
    .bind(c.kind)
    .bind(c.author_type)
    .bind(c.author_id)
    .bind(c.author_name)
    .bind(c.body)
    .bind(to_json(&c.attachments))
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE tickets SET updated_at = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(ticket_id)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query(&format!(
        "SELECT {COMMENT_COLS} FROM ticket_comments WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id.as_str())
    .fetch_one(&mut *conn)
    .await?;
    comment(&row)
}

/// Oldest first; internal notes only when `with_notes`.
pub async fn comments(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
    with_notes: bool,
) -> Result<Vec<TicketComment>> {
    let rows = sqlx::query(&format!(
        "SELECT {COMMENT_COLS} FROM ticket_comments WHERE tenant_id = $1 AND ticket_id = $2 \
         AND ($3 = 1 OR kind = 'reply') ORDER BY created_at, id"
    ))
    .bind(t.id())
    .bind(ticket_id)
    .bind(with_notes as i64)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(comment).collect()
}

// ---- history -----------------------------------------------------------------

/// One change: who, when, which field, old → new (JSON values; `None` = unset).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketChange {
    pub id: String,
    pub ticket_id: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    /// created, title, fields.KEY, status, priority, due_at, assignee, skill_group, customer, watcher…
    pub field: String,
    #[schema(value_type = Option<Object>)]
    pub old_value: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub new_value: Option<serde_json::Value>,
    pub at: i64,
}

pub struct NewChange<'a> {
    pub actor_id: Option<&'a str>,
    pub actor_name: &'a str,
    pub field: &'a str,
    pub old_value: Option<&'a serde_json::Value>,
    pub new_value: Option<&'a serde_json::Value>,
}

pub async fn record_change(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
    c: &NewChange<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ticket_history (id, tenant_id, ticket_id, actor_id, actor_name, field, old_value, new_value, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(TicketHistoryId::new().as_str())
    .bind(t.id())
    .bind(ticket_id)
    .bind(c.actor_id)
    .bind(c.actor_name)
    .bind(c.field)
    .bind(c.old_value.map(to_json))
    .bind(c.new_value.map(to_json))
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn parse_json(s: Option<String>) -> Result<Option<serde_json::Value>> {
    s.map(|s| {
        serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("ticket history: {e}")))
    })
    .transpose()
}

/// Oldest first.
pub async fn history(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
) -> Result<Vec<TicketChange>> {
    let rows = sqlx::query(
        "SELECT id, ticket_id, actor_id, actor_name, field, old_value, new_value, at FROM ticket_history \
         WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY at, id",
    )
    .bind(t.id())
    .bind(ticket_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TicketChange {
                id: r.try_get("id")?,
                ticket_id: r.try_get("ticket_id")?,
                actor_id: r.try_get("actor_id")?,
                actor_name: r.try_get("actor_name")?,
                field: r.try_get("field")?,
                old_value: parse_json(r.try_get("old_value")?)?,
                new_value: parse_json(r.try_get("new_value")?)?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

// ---- watchers ----------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Watcher {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub since: i64,
}

/// Returns false when the user was already watching.
pub async fn watch(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
    user_id: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO ticket_watchers (tenant_id, ticket_id, user_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, ticket_id, user_id) DO NOTHING",
    )
    .bind(t.id())
    .bind(ticket_id)
    .bind(user_id)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Returns false when the user was not watching.
pub async fn unwatch(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
    user_id: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM ticket_watchers WHERE tenant_id = $1 AND ticket_id = $2 AND user_id = $3",
    )
    .bind(t.id())
    .bind(ticket_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn watchers(conn: &mut Conn, t: &TenantScope, ticket_id: &str) -> Result<Vec<Watcher>> {
    let rows = sqlx::query(
        "SELECT w.user_id, u.username, u.display_name, w.created_at FROM ticket_watchers w \
         JOIN users u ON u.id = w.user_id AND u.tenant_id = w.tenant_id \
         WHERE w.tenant_id = $1 AND w.ticket_id = $2 ORDER BY w.created_at, u.username",
    )
    .bind(t.id())
    .bind(ticket_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Watcher {
                user_id: r.try_get("user_id")?,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
                since: r.try_get("created_at")?,
            })
        })
        .collect()
}

// ---- notifications -----------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub id: String,
    pub user_id: String,
    /// e.g. ticket_assigned, ticket_status, ticket_comment, ticket_transferred.
    pub kind: String,
    pub ticket_id: Option<String>,
    pub title: String,
    pub body: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

pub struct NewNotification<'a> {
    pub user_id: &'a str,
    pub kind: &'a str,
    pub ticket_id: Option<&'a str>,
    pub title: &'a str,
    pub body: &'a str,
}

pub async fn notify(
    conn: &mut Conn,
    t: &TenantScope,
    n: &NewNotification<'_>,
) -> Result<Notification> {
    let id = NotificationId::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO notifications (id, tenant_id, user_id, kind, ticket_id, title, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(n.user_id)
    .bind(n.kind)
    .bind(n.ticket_id)
    .bind(n.title)
    .bind(n.body)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(Notification {
        id: id.to_string(),
        user_id: n.user_id.to_string(),
        kind: n.kind.to_string(),
        ticket_id: n.ticket_id.map(str::to_string),
        title: n.title.to_string(),
        body: n.body.to_string(),
        created_at: now,
        read_at: None,
    })
}

/// Newest first.
pub async fn notifications(
    conn: &mut Conn,
    t: &TenantScope,
    user_id: &str,
    unread_only: bool,
    limit: i64,
) -> Result<Vec<Notification>> {
    let rows = sqlx::query(
        "SELECT id, user_id, kind, ticket_id, title, body, created_at, read_at FROM notifications \
         WHERE tenant_id = $1 AND user_id = $2 AND ($3 = 0 OR read_at IS NULL) \
         ORDER BY created_at DESC, id DESC LIMIT $4",
    )
    .bind(t.id())
    .bind(user_id)
    .bind(unread_only as i64)
    .bind(limit.clamp(1, 500))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Notification {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
                kind: r.try_get("kind")?,
                ticket_id: r.try_get("ticket_id")?,
                title: r.try_get("title")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
                read_at: r.try_get("read_at")?,
            })
        })
        .collect()
}

pub async fn unread_count(conn: &mut Conn, t: &TenantScope, user_id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE tenant_id = $1 AND user_id = $2 AND read_at IS NULL",
    )
    .bind(t.id())
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?)
}

/// Mark one notification (or, with `None`, all of them) read. A notification
/// of someone else is not found.
pub async fn mark_read(
    conn: &mut Conn,
    t: &TenantScope,
    user_id: &str,
    id: Option<&str>,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE notifications SET read_at = $4 WHERE tenant_id = $1 AND user_id = $2 \
         AND ($3 = '' OR id = $3) AND read_at IS NULL",
    )
    .bind(t.id())
    .bind(user_id)
    .bind(id.unwrap_or(""))
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    if let Some(id) = id {
        if done.rows_affected() == 0 {
            let exists: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM notifications WHERE tenant_id = $1 AND user_id = $2 AND id = $3",
            )
            .bind(t.id())
            .bind(user_id)
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
            if exists == 0 {
                return Err(StoreError::NotFound);
            }
        }
    }
    Ok(done.rows_affected())
}

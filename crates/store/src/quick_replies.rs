//! 快捷回复: personal (owner set) and team (owner absent) canned replies.

use crate::{now_ms, Conn, QuickReply, Result, StoreError, TenantScope};
use kefu_domain::QuickReplyId;
use sqlx::{any::AnyRow, Row};

fn from_row(r: &AnyRow) -> Result<QuickReply> {
    Ok(QuickReply {
        id: r.try_get("id")?,
        owner_id: r.try_get("owner_id")?,
        title: r.try_get("title")?,
        text: r.try_get("text")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn create(
    conn: &mut Conn,
    t: &TenantScope,
    owner_id: Option<&str>,
    title: &str,
    text: &str,
) -> Result<QuickReply> {
    let id = QuickReplyId::new();
    sqlx::query("INSERT INTO quick_replies (id, tenant_id, owner_id, title, text, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id.as_str())
        .bind(t.id())
        .bind(owner_id)
        .bind(title)
        .bind(text)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    get(conn, t, id.as_str()).await?.ok_or(StoreError::NotFound)
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<QuickReply>> {
    let row = sqlx::query("SELECT id, owner_id, title, text, created_at FROM quick_replies WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The team's replies and this user's own, matching `search` in title or text.
pub async fn visible_to(
    conn: &mut Conn,
    t: &TenantScope,
    user_id: &str,
    search: &str,
) -> Result<Vec<QuickReply>> {
    let pattern = format!("%{}%", search.replace(['%', '_'], ""));
    let rows = sqlx::query(
        "SELECT id, owner_id, title, text, created_at FROM quick_replies \
         WHERE tenant_id = $1 AND (owner_id IS NULL OR owner_id = $2) AND (title LIKE $3 OR text LIKE $3) \
         ORDER BY owner_id IS NULL, title LIMIT 50",
    )
    .bind(t.id())
    .bind(user_id)
    .bind(pattern)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn delete(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM quick_replies WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::one_row(done.rows_affected())
}

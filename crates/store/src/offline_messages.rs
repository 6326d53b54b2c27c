//! 留言: messages left when nobody could serve.

use crate::{now_ms, Conn, OfflineMessage, Result, StoreError, TenantScope};
use kefu_domain::OfflineMessageId;
use sqlx::{any::AnyRow, Row};

const COLS: &str =
    "id, channel_id, visitor_id, name, phone, email, text, created_at, handled_by, handled_at";

fn from_row(r: &AnyRow) -> Result<OfflineMessage> {
    Ok(OfflineMessage {
        id: r.try_get("id")?,
        channel_id: r.try_get("channel_id")?,
        visitor_id: r.try_get("visitor_id")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        email: r.try_get("email")?,
        text: r.try_get("text")?,
        created_at: r.try_get("created_at")?,
        handled_by: r.try_get("handled_by")?,
        handled_at: r.try_get("handled_at")?,
    })
}

pub struct NewOfflineMessage<'a> {
    pub channel_id: &'a str,
    pub visitor_id: Option<&'a str>,
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub text: &'a str,
}

pub async fn create(
    conn: &mut Conn,
    t: &TenantScope,
    m: &NewOfflineMessage<'_>,
) -> Result<OfflineMessage> {
    let id = OfflineMessageId::new();
    sqlx::query(
        "INSERT INTO offline_messages (id, tenant_id, channel_id, visitor_id, name, phone, email, text, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(m.channel_id)
    .bind(m.visitor_id)
    .bind(m.name)
    .bind(m.phone)
    .bind(m.email)
    .bind(m.text)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    get(conn, t, id.as_str()).await?.ok_or(StoreError::NotFound)
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<OfflineMessage>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM offline_messages WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Newest first; unhandled only if asked.
pub async fn list(
    conn: &mut Conn,
    t: &TenantScope,
    unhandled_only: bool,
    limit: i64,
) -> Result<Vec<OfflineMessage>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM offline_messages WHERE tenant_id = $1 AND ($2 = 0 OR handled_at IS NULL) \
         ORDER BY created_at DESC LIMIT $3"
    ))
    .bind(t.id())
    .bind(unhandled_only as i64)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn mark_handled(conn: &mut Conn, t: &TenantScope, id: &str, by: &str) -> Result<()> {
    let done = sqlx::query("UPDATE offline_messages SET handled_by = $3, handled_at = $4 WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .bind(by)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    crate::one_row(done.rows_affected())
}

//! Channels (渠道): configured entry points. Only the web channel exists yet; the
//! widget (another issue) will read its key, greeting and skill group.

use crate::{now_ms, Channel, Conn, Result, TenantScope};
use kefu_domain::ChannelId;
use sqlx::{any::AnyRow, Row};

const COLS: &str = "id, name, kind, public_key, skill_group_id, greeting, created_at";

fn from_row(r: &AnyRow) -> Result<Channel> {
    Ok(Channel {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        public_key: r.try_get("public_key")?,
        skill_group_id: r.try_get("skill_group_id")?,
        greeting: r.try_get("greeting")?,
        created_at: r.try_get("created_at")?,
    })
}

pub struct ChannelFields<'a> {
    pub name: &'a str,
    pub skill_group_id: Option<&'a str>,
    pub greeting: &'a str,
}

pub async fn create(
    conn: &mut Conn,
    t: &TenantScope,
    kind: &str,
    public_key: &str,
    f: &ChannelFields<'_>,
) -> Result<Channel> {
    let id = ChannelId::new();
    sqlx::query(
        "INSERT INTO channels (id, tenant_id, name, kind, public_key, skill_group_id, greeting, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(f.name)
    .bind(kind)
    .bind(public_key)
    .bind(f.skill_group_id)
    .bind(f.greeting)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    get(conn, t, id.as_str())
        .await?
        .ok_or(crate::StoreError::NotFound)
}

pub async fn list(conn: &mut Conn, t: &TenantScope) -> Result<Vec<Channel>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM channels WHERE tenant_id = $1 ORDER BY created_at"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<Channel>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM channels WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn update(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    f: &ChannelFields<'_>,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE channels SET name = $3, skill_group_id = $4, greeting = $5 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(f.name)
    .bind(f.skill_group_id)
    .bind(f.greeting)
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

pub async fn delete(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM channels WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::one_row(done.rows_affected())
}

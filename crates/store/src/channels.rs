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
    // The channel's own bot thresholds go with it (`channel_id` is no foreign key:
    // the tenant-wide row has channel '').
    sqlx::query("DELETE FROM bot_thresholds WHERE tenant_id = $1 AND channel_id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM channels WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::one_row(done.rows_affected())
}

/// A visitor arrives with only a channel's public key: find the channel and
/// with it the tenant.
pub async fn find_by_key_unscoped(
    conn: &mut Conn,
    public_key: &str,
) -> Result<Option<(kefu_domain::TenantId, Channel)>> {
    let row = sqlx::query(&format!(
        "SELECT tenant_id, {COLS} FROM channels WHERE public_key = $1"
    ))
    .bind(public_key)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(Some((
            kefu_domain::TenantId::from_db(r.try_get("tenant_id")?),
            from_row(&r)?,
        ))),
    }
}

/// Widget settings kept out of the public record: the pre-chat form, whether
/// the bot answers first, and the identity-validation secret.
#[derive(Debug, Clone, Default)]
pub struct WidgetSettings {
    pub prechat_fields: serde_json::Value,
    pub bot_first: bool,
    pub identity_secret: Option<String>,
    /// Opening hours as the app's JSON shape; `null` = always open.
    pub business_hours: serde_json::Value,
}

pub async fn widget_settings(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<WidgetSettings> {
    let r = sqlx::query("SELECT prechat_fields, bot_first, identity_secret, business_hours FROM channels WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let fields: String = r.try_get("prechat_fields")?;
    Ok(WidgetSettings {
        prechat_fields: serde_json::from_str(&fields).unwrap_or(serde_json::json!([])),
        bot_first: r.try_get::<i64, _>("bot_first")? != 0,
        identity_secret: r.try_get("identity_secret")?,
        business_hours: serde_json::from_str(&r.try_get::<String, _>("business_hours")?)
            .unwrap_or(serde_json::Value::Null),
    })
}

pub async fn set_widget_settings(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    s: &WidgetSettings,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE channels SET prechat_fields = $3, bot_first = $4, identity_secret = $5, business_hours = $6 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(s.prechat_fields.to_string())
    .bind(s.bot_first as i64)
    .bind(s.identity_secret.as_deref())
    .bind(s.business_hours.to_string())
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

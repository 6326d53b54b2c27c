//! The bot's thresholds (机器人阈值) per tenant and per bot channel: at what
//! confidence the bot answers, offers "did you mean" (您是不是想问) choices, or
//! admits no match. The tenant's own row has channel `''`; a channel's row
//! overrides it for that channel's conversations. Values are checked by the app.

use crate::{now_ms, one_row, Conn, Result, TenantScope};
use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use utoipa::ToSchema;

/// One stored setting: the tenant's (`channel_id` `None`) or a channel's.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoredThresholds {
    /// `None` for the tenant-wide setting.
    pub channel_id: Option<String>,
    pub lexical_answer: f64,
    pub lexical_suggest: f64,
    pub semantic_answer: f64,
    pub semantic_suggest: f64,
    pub updated_by: Option<String>,
    pub updated_at: i64,
}

/// The four values of a setting, as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdValues {
    pub lexical_answer: f64,
    pub lexical_suggest: f64,
    pub semantic_answer: f64,
    pub semantic_suggest: f64,
}

const COLS: &str = "channel_id, lexical_answer, lexical_suggest, semantic_answer, \
     semantic_suggest, updated_by, updated_at";

fn row(r: &AnyRow) -> Result<StoredThresholds> {
    let channel: String = r.try_get("channel_id")?;
    Ok(StoredThresholds {
        channel_id: (!channel.is_empty()).then_some(channel),
        lexical_answer: r.try_get("lexical_answer")?,
        lexical_suggest: r.try_get("lexical_suggest")?,
        semantic_answer: r.try_get("semantic_answer")?,
        semantic_suggest: r.try_get("semantic_suggest")?,
        updated_by: r.try_get("updated_by")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Every setting of the tenant: its own first (if any), then the channels'.
pub async fn list(conn: &mut Conn, t: &TenantScope) -> Result<Vec<StoredThresholds>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM bot_thresholds WHERE tenant_id = $1 ORDER BY channel_id"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(row).collect()
}

/// What applies to a conversation on `channel_id` (or to no channel): the
/// channel's setting if it has one, else the tenant's, else `None` (defaults).
/// One query, on every question the bot answers.
pub async fn effective(
    conn: &mut Conn,
    t: &TenantScope,
    channel_id: Option<&str>,
) -> Result<Option<StoredThresholds>> {
    let r = sqlx::query(&format!(
        "SELECT {COLS} FROM bot_thresholds WHERE tenant_id = $1 AND (channel_id = '' OR channel_id = $2) \
         ORDER BY channel_id DESC LIMIT 1"
    ))
    .bind(t.id())
    .bind(channel_id.unwrap_or(""))
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(row).transpose()
}

/// Create or replace the tenant's setting (`channel_id` `None`) or a channel's.
pub async fn put(
    conn: &mut Conn,
    t: &TenantScope,
    channel_id: Option<&str>,
    v: &ThresholdValues,
    by: Option<&str>,
) -> Result<StoredThresholds> {
    let channel = channel_id.unwrap_or("");
    sqlx::query(
        "INSERT INTO bot_thresholds (tenant_id, channel_id, lexical_answer, lexical_suggest, \
         semantic_answer, semantic_suggest, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (tenant_id, channel_id) DO UPDATE SET lexical_answer = excluded.lexical_answer, \
         lexical_suggest = excluded.lexical_suggest, semantic_answer = excluded.semantic_answer, \
         semantic_suggest = excluded.semantic_suggest, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
    )
    .bind(t.id())
    .bind(channel)
    .bind(v.lexical_answer)
    .bind(v.lexical_suggest)
    .bind(v.semantic_answer)
    .bind(v.semantic_suggest)
    .bind(by)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    let r = sqlx::query(&format!(
        "SELECT {COLS} FROM bot_thresholds WHERE tenant_id = $1 AND channel_id = $2"
    ))
    .bind(t.id())
    .bind(channel)
    .fetch_one(&mut *conn)
    .await?;
    row(&r)
}

/// Remove a setting (back to the tenant's, or to the defaults). Not found when
/// there is none.
pub async fn delete(conn: &mut Conn, t: &TenantScope, channel_id: Option<&str>) -> Result<()> {
    let done = sqlx::query("DELETE FROM bot_thresholds WHERE tenant_id = $1 AND channel_id = $2")
        .bind(t.id())
        .bind(channel_id.unwrap_or(""))
        .execute(&mut *conn)
        .await?;
    one_row(done.rows_affected())
}

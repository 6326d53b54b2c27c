//! Multi-turn flows (多轮对话): flow definitions, each conversation's running flow
//! state, and the flow a knowledge item starts. The definition and the state are
//! JSON text; `kefu-bot` gives them meaning, the store only keeps them.

use crate::{now_ms, one_row, Conn, Result, StoreError, TenantScope};
use kefu_domain::FlowId;
use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FlowRecord {
    pub id: String,
    pub name: String,
    /// The graph: `{"triggers": [...], "start": "...", "nodes": [...]}`.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A conversation's flow: the one running, or the last one.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ConversationFlow {
    pub conversation_id: String,
    pub flow_id: String,
    /// `active`, `finished` or `handed_off`.
    pub status: String,
    /// `{"node", "slots": {...}, "retries", "phase"}`.
    #[schema(value_type = Object)]
    pub state: serde_json::Value,
    pub started_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, name, definition, enabled, created_at, updated_at";

fn json_of(r: &AnyRow, col: &str) -> Result<serde_json::Value> {
    let s: String = r.try_get(col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn flow_row(r: &AnyRow) -> Result<FlowRecord> {
    Ok(FlowRecord {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        definition: json_of(r, "definition")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn create(
    conn: &mut Conn,
    t: &TenantScope,
    name: &str,
    definition: &serde_json::Value,
    enabled: bool,
) -> Result<FlowRecord> {
    let id = FlowId::new();
    sqlx::query(
        "INSERT INTO flows (id, tenant_id, name, definition, enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(name)
    .bind(definition.to_string())
    .bind(i64::from(enabled))
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    get(conn, t, id.as_str()).await?.ok_or(StoreError::NotFound)
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<FlowRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM flows WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(flow_row).transpose()
}

/// Every flow of the tenant, by name.
pub async fn list(conn: &mut Conn, t: &TenantScope) -> Result<Vec<FlowRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM flows WHERE tenant_id = $1 ORDER BY name, id"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(flow_row).collect()
}

/// (id, updated_at) of every enabled flow: enough to tell whether a cached intent
/// index is still current.
pub async fn fingerprint(conn: &mut Conn, t: &TenantScope) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT id, updated_at FROM flows WHERE tenant_id = $1 AND enabled = 1 ORDER BY id",
    )
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("updated_at")?)))
        .collect()
}

pub async fn update(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    name: &str,
    definition: &serde_json::Value,
    enabled: bool,
) -> Result<FlowRecord> {
    // updated_at must change even for two saves in one millisecond (intent cache).
    let before = get(conn, t, id).await?.ok_or(StoreError::NotFound)?;
    let now = now_ms().max(before.updated_at + 1);
    let done = sqlx::query(
        "UPDATE flows SET name = $1, definition = $2, enabled = $3, updated_at = $4 \
         WHERE tenant_id = $5 AND id = $6",
    )
    .bind(name)
    .bind(definition.to_string())
    .bind(i64::from(enabled))
    .bind(now)
    .bind(t.id())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    one_row(done.rows_affected())?;
    get(conn, t, id).await?.ok_or(StoreError::NotFound)
}

/// Delete a flow no knowledge item starts (`Reference` otherwise). Conversations
/// that ran it keep their (finished) state rows.
pub async fn delete(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let used: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM knowledge_items WHERE tenant_id = $1 AND flow_id = $2",
    )
    .bind(t.id())
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if get(conn, t, id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    if used > 0 {
        return Err(StoreError::Reference);
    }
    let done = sqlx::query("DELETE FROM flows WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    one_row(done.rows_affected())
}

// ---- a conversation's flow ---------------------------------------------------

fn conv_row(r: &AnyRow) -> Result<ConversationFlow> {
    Ok(ConversationFlow {
        conversation_id: r.try_get("conversation_id")?,
        flow_id: r.try_get("flow_id")?,
        status: r.try_get("status")?,
        state: json_of(r, "state")?,
        started_at: r.try_get("started_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn conversation_flow(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
) -> Result<Option<ConversationFlow>> {
    let row = sqlx::query(
        "SELECT conversation_id, flow_id, status, state, started_at, updated_at \
         FROM conversation_flows WHERE tenant_id = $1 AND conversation_id = $2",
    )
    .bind(t.id())
    .bind(conversation_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(conv_row).transpose()
}

/// Start (or restart) a flow in a conversation, replacing whatever ran before.
pub async fn begin_conversation_flow(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
    flow_id: &str,
    status: &str,
    state: &serde_json::Value,
) -> Result<()> {
    let now = now_ms();
    // The conversation must be this tenant's: the key alone would accept another's.
    let ok: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM conversations WHERE tenant_id = $1 AND id = $2")
            .bind(t.id())
            .bind(conversation_id)
            .fetch_one(&mut *conn)
            .await?;
    if ok == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query(
        "INSERT INTO conversation_flows (conversation_id, tenant_id, flow_id, status, state, started_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (conversation_id) DO UPDATE SET flow_id = excluded.flow_id, \
         status = excluded.status, state = excluded.state, started_at = excluded.started_at, \
         updated_at = excluded.updated_at WHERE conversation_flows.tenant_id = excluded.tenant_id",
    )
    .bind(conversation_id)
    .bind(t.id())
    .bind(flow_id)
    .bind(status)
    .bind(state.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Record a step's result.
pub async fn save_conversation_flow(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
    status: &str,
    state: &serde_json::Value,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE conversation_flows SET status = $1, state = $2, updated_at = $3 \
         WHERE tenant_id = $4 AND conversation_id = $5",
    )
    .bind(status)
    .bind(state.to_string())
    .bind(now_ms())
    .bind(t.id())
    .bind(conversation_id)
    .execute(&mut *conn)
    .await?;
    one_row(done.rows_affected())
}

// ---- knowledge items that start a flow -----------------------------------------

/// Link a knowledge item to a flow (or unlink with `None`).
pub async fn set_item_flow(
    conn: &mut Conn,
    t: &TenantScope,
    item_id: &str,
    flow_id: Option<&str>,
) -> Result<()> {
    let done =
        sqlx::query("UPDATE knowledge_items SET flow_id = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(flow_id)
            .bind(t.id())
            .bind(item_id)
            .execute(&mut *conn)
            .await?;
    one_row(done.rows_affected())
}

/// The flow a knowledge item starts, if any.
pub async fn item_flow(conn: &mut Conn, t: &TenantScope, item_id: &str) -> Result<Option<String>> {
    let v: Option<Option<String>> =
        sqlx::query_scalar("SELECT flow_id FROM knowledge_items WHERE tenant_id = $1 AND id = $2")
            .bind(t.id())
            .bind(item_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(v.flatten())
}

/// Item id → flow id for every item of the tenant that starts a flow.
pub async fn item_flows(conn: &mut Conn, t: &TenantScope) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT id, flow_id FROM knowledge_items WHERE tenant_id = $1 AND flow_id IS NOT NULL",
    )
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("flow_id")?)))
        .collect()
}

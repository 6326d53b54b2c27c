//! Visitors, conversations and their gap-free event log, and assignments. The
//! customer record itself is in [`crate::customers`].

use crate::{
    flag, now_ms, Assignment, Conn, Conversation, Result, StoreError, TenantScope, Visitor,
};
use kefu_domain::{AuditId, ConversationId, TenantId, VisitorId};
use sqlx::{any::AnyRow, Row};

mod events;
pub use events::*;

pub(crate) fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

// ---- customers -------------------------------------------------------------
// The customer record lives in `customers` (the CRM); the chat keeps calling it
// from here.
pub use crate::customers::{create_customer, get_customer, update_customer};

// ---- visitors --------------------------------------------------------------

const VISITOR_COLS: &str =
    "id, channel_id, external_user_id, customer_id, created_at, last_seen_at";

fn visitor(r: &AnyRow) -> Result<Visitor> {
    Ok(Visitor {
        id: r.try_get("id")?,
        channel_id: r.try_get("channel_id")?,
        external_user_id: r.try_get("external_user_id")?,
        customer_id: r.try_get("customer_id")?,
        created_at: r.try_get("created_at")?,
        last_seen_at: r.try_get("last_seen_at")?,
    })
}

pub async fn create_visitor(
    conn: &mut Conn,
    t: &TenantScope,
    channel_id: &str,
    token_hash: &str,
    external_user_id: Option<&str>,
    customer_id: &str,
) -> Result<Visitor> {
    let id = VisitorId::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO visitors (id, tenant_id, channel_id, token_hash, external_user_id, customer_id, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(channel_id)
    .bind(token_hash)
    .bind(external_user_id)
    .bind(customer_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    get_visitor(conn, t, id.as_str())
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get_visitor(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<Visitor>> {
    let row = sqlx::query(&format!(
        "SELECT {VISITOR_COLS} FROM visitors WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(visitor).transpose()
}

/// A returning anonymous visitor, by the hash of their token, in this channel.
pub async fn find_visitor_by_token(
    conn: &mut Conn,
    t: &TenantScope,
    channel_id: &str,
    token_hash: &str,
) -> Result<Option<Visitor>> {
    let row = sqlx::query(&format!(
        "SELECT {VISITOR_COLS} FROM visitors WHERE tenant_id = $1 AND channel_id = $2 AND token_hash = $3"
    ))
    .bind(t.id())
    .bind(channel_id)
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(visitor).transpose()
}

/// An identified visitor (the host site's user id), in this channel.
pub async fn find_visitor_by_external_id(
    conn: &mut Conn,
    t: &TenantScope,
    channel_id: &str,
    user_id: &str,
) -> Result<Option<Visitor>> {
    let row = sqlx::query(&format!(
        "SELECT {VISITOR_COLS} FROM visitors WHERE tenant_id = $1 AND channel_id = $2 AND external_user_id = $3 \
         ORDER BY created_at LIMIT 1"
    ))
    .bind(t.id())
    .bind(channel_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(visitor).transpose()
}

pub async fn touch_visitor(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    sqlx::query("UPDATE visitors SET last_seen_at = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---- conversations -----------------------------------------------------------

const CONV_COLS: &str = "id, channel_id, visitor_id, customer_id, state, skill_group_id, agent_id, priority, last_seq, \
    created_at, queued_at, assigned_at, ended_at, summary, tags, rating_stars, rating_tags, rating_comment, rated_at, rating_invited_at";

fn conversation(r: &AnyRow) -> Result<Conversation> {
    Ok(Conversation {
        id: r.try_get("id")?,
        channel_id: r.try_get("channel_id")?,
        visitor_id: r.try_get("visitor_id")?,
        customer_id: r.try_get("customer_id")?,
        state: r.try_get("state")?,
        skill_group_id: r.try_get("skill_group_id")?,
        agent_id: r.try_get("agent_id")?,
        priority: r.try_get("priority")?,
        last_seq: r.try_get("last_seq")?,
        created_at: r.try_get("created_at")?,
        queued_at: r.try_get("queued_at")?,
        assigned_at: r.try_get("assigned_at")?,
        ended_at: r.try_get("ended_at")?,
        summary: r.try_get("summary")?,
        tags: json_list(&r.try_get::<String, _>("tags")?),
        rating_stars: r.try_get("rating_stars")?,
        rating_tags: r
            .try_get::<Option<String>, _>("rating_tags")?
            .map(|s| json_list(&s))
            .unwrap_or_default(),
        rating_comment: r.try_get("rating_comment")?,
        rated_at: r.try_get("rated_at")?,
        rating_invited_at: r.try_get("rating_invited_at")?,
    })
}

pub struct NewConversation<'a> {
    pub channel_id: &'a str,
    pub visitor_id: &'a str,
    pub customer_id: &'a str,
    pub state: &'a str,
    pub skill_group_id: Option<&'a str>,
    pub priority: i64,
}

pub async fn create_conversation(
    conn: &mut Conn,
    t: &TenantScope,
    c: &NewConversation<'_>,
) -> Result<Conversation> {
    let id = ConversationId::new();
    let now = now_ms();
    let queued = (c.state == "queued").then_some(now);
    sqlx::query(
        "INSERT INTO conversations (id, tenant_id, channel_id, visitor_id, customer_id, state, skill_group_id, priority, created_at, queued_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(c.channel_id)
    .bind(c.visitor_id)
    .bind(c.customer_id)
    .bind(c.state)
    .bind(c.skill_group_id)
    .bind(c.priority)
    .bind(now)
    .bind(queued)
    .execute(&mut *conn)
    .await?;
    get_conversation(conn, t, id.as_str())
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get_conversation(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
) -> Result<Option<Conversation>> {
    let row = sqlx::query(&format!(
        "SELECT {CONV_COLS} FROM conversations WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(conversation).transpose()
}

const OPEN: &str = "state IN ('bot', 'queued', 'active', 'transferred')";

/// The visitor's conversation that is still open, if any.
pub async fn open_conversation_of_visitor(
    conn: &mut Conn,
    t: &TenantScope,
    visitor_id: &str,
) -> Result<Option<Conversation>> {
    let row = sqlx::query(&format!(
        "SELECT {CONV_COLS} FROM conversations WHERE tenant_id = $1 AND visitor_id = $2 AND {OPEN} ORDER BY created_at DESC LIMIT 1"
    ))
    .bind(t.id())
    .bind(visitor_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(conversation).transpose()
}

/// The agent who served the customer most recently (主叫记忆: sticky routing
/// offers a returning customer to them first).
pub async fn last_agent_of_customer(
    conn: &mut Conn,
    t: &TenantScope,
    customer_id: &str,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT agent_id FROM conversations WHERE tenant_id = $1 AND customer_id = $2 \
         AND agent_id IS NOT NULL ORDER BY COALESCE(assigned_at, created_at) DESC, id DESC LIMIT 1",
    )
    .bind(t.id())
    .bind(customer_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get("agent_id")).transpose()?)
}

/// Every open conversation of the tenant (to rebuild routing after a restart,
/// and for supervision).
pub async fn open_conversations(conn: &mut Conn, t: &TenantScope) -> Result<Vec<Conversation>> {
    let rows = sqlx::query(&format!(
        "SELECT {CONV_COLS} FROM conversations WHERE tenant_id = $1 AND {OPEN} ORDER BY created_at"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(conversation).collect()
}

pub async fn open_conversations_of_agent(
    conn: &mut Conn,
    t: &TenantScope,
    agent_id: &str,
) -> Result<Vec<Conversation>> {
    let rows = sqlx::query(&format!(
        "SELECT {CONV_COLS} FROM conversations WHERE tenant_id = $1 AND agent_id = $2 AND {OPEN} ORDER BY created_at"
    ))
    .bind(t.id())
    .bind(agent_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(conversation).collect()
}

pub async fn conversations_of_customer(
    conn: &mut Conn,
    t: &TenantScope,
    customer_id: &str,
    limit: i64,
) -> Result<Vec<Conversation>> {
    let rows = sqlx::query(&format!(
        "SELECT {CONV_COLS} FROM conversations WHERE tenant_id = $1 AND customer_id = $2 ORDER BY created_at DESC LIMIT $3"
    ))
    .bind(t.id())
    .bind(customer_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(conversation).collect()
}

/// Move a conversation to a new state (already checked by the domain's state
/// machine) with the fields that go with it.
pub struct StateChange<'a> {
    pub state: &'a str,
    pub agent_id: Option<&'a str>,
    pub skill_group_id: Option<&'a str>,
    pub queued: bool,
    pub assigned: bool,
    pub ended: bool,
}

pub async fn set_state(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    c: &StateChange<'_>,
) -> Result<()> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE conversations SET state = $3, agent_id = $4, skill_group_id = COALESCE($5, skill_group_id), \
         queued_at = CASE WHEN $6 = 1 THEN $9 ELSE queued_at END, \
         assigned_at = CASE WHEN $7 = 1 THEN $9 ELSE assigned_at END, \
         ended_at = CASE WHEN $8 = 1 THEN $9 ELSE ended_at END \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(c.state)
    .bind(c.agent_id)
    .bind(c.skill_group_id)
    .bind(flag(c.queued))
    .bind(flag(c.assigned))
    .bind(flag(c.ended))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

pub async fn set_summary(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    summary: &str,
    tags: &[String],
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE conversations SET summary = $3, tags = $4 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(summary)
    .bind(to_json(&tags))
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

pub async fn set_rating_invited(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let done = sqlx::query(
        "UPDATE conversations SET rating_invited_at = $3 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

pub async fn set_rating(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    stars: i64,
    tags: &[String],
    comment: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE conversations SET rating_stars = $3, rating_tags = $4, rating_comment = $5, rated_at = $6 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(stars)
    .bind(to_json(&tags))
    .bind(comment)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

// ---- assignments -------------------------------------------------------------

pub async fn record_assignment(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
    agent_id: &str,
    group_id: Option<&str>,
    explanation: Option<&serde_json::Value>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO assignments (id, tenant_id, conversation_id, agent_id, skill_group_id, explanation, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(AuditId::new().as_str())
    .bind(t.id())
    .bind(conversation_id)
    .bind(agent_id)
    .bind(group_id)
    .bind(explanation.map(|e| e.to_string()))
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn assignments_of(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
) -> Result<Vec<Assignment>> {
    let rows = sqlx::query(
        "SELECT id, conversation_id, agent_id, skill_group_id, explanation, at FROM assignments \
         WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY at, id",
    )
    .bind(t.id())
    .bind(conversation_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let ex: Option<String> = r.try_get("explanation")?;
            Ok(Assignment {
                id: r.try_get("id")?,
                conversation_id: r.try_get("conversation_id")?,
                agent_id: r.try_get("agent_id")?,
                skill_group_id: r.try_get("skill_group_id")?,
                explanation: ex.and_then(|s| serde_json::from_str(&s).ok()),
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// Tenants that have open conversations (to restore their routing at start-up).
pub async fn tenants_with_open_conversations_unscoped(conn: &mut Conn) -> Result<Vec<TenantId>> {
    let ids: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT DISTINCT tenant_id FROM conversations WHERE {OPEN}"
    ))
    .fetch_all(&mut *conn)
    .await?;
    Ok(ids.into_iter().map(TenantId::from_db).collect())
}

/// An identified visitor on another device gets a fresh token on the same
/// visitor, so every device follows the same conversation.
pub async fn set_visitor_token(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    token_hash: &str,
) -> Result<()> {
    let done = sqlx::query("UPDATE visitors SET token_hash = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    crate::one_row(done.rows_affected())
}

//! The bot in the conversation: the decision log (every decision with its scores), the
//! visitor's feedback on answers, and unmatched questions (未匹配问题) for review.

use crate::{now_ms, one_row, Conn, Result, StoreError, TenantScope};
use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BotDecision {
    pub id: String,
    pub conversation_id: String,
    pub question: String,
    /// `answer`, `suggest`, `no_match`, `chosen` (a suggestion clicked), `handoff`, `flow`.
    pub outcome: String,
    pub item_id: Option<String>,
    /// Confidence, thresholds, whether embeddings were used, the emotion reading, and the
    /// best candidates with every signal.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// `helpful` or `unhelpful`, once the visitor said.
    pub feedback: Option<String>,
    pub feedback_at: Option<i64>,
    pub created_at: i64,
}

pub struct NewDecision<'a> {
    pub conversation_id: &'a str,
    pub question: &'a str,
    pub outcome: &'a str,
    pub item_id: Option<&'a str>,
    pub detail: &'a serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UnmatchedQuestion {
    pub id: String,
    pub conversation_id: String,
    pub decision_id: Option<String>,
    pub text: String,
    /// `no_match` or `unhelpful`.
    pub reason: String,
    /// `open`, `attached`, `created` or `dismissed`.
    pub status: String,
    /// The knowledge item it was attached to or became.
    pub item_id: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
    pub created_at: i64,
}

const DECISION_COLS: &str =
    "id, conversation_id, question, outcome, item_id, detail, feedback, feedback_at, created_at";
const UNMATCHED_COLS: &str = "id, conversation_id, decision_id, text, reason, status, item_id, \
     resolved_by, resolved_at, created_at";

fn decision_row(r: &AnyRow) -> Result<BotDecision> {
    let detail: String = r.try_get("detail")?;
    Ok(BotDecision {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        question: r.try_get("question")?,
        outcome: r.try_get("outcome")?,
        item_id: r.try_get("item_id")?,
        detail: serde_json::from_str(&detail)
            .map_err(|e| StoreError::Corrupt(format!("bot decision detail: {e}")))?,
        feedback: r.try_get("feedback")?,
        feedback_at: r.try_get("feedback_at")?,
        created_at: r.try_get("created_at")?,
    })
}

fn unmatched_row(r: &AnyRow) -> Result<UnmatchedQuestion> {
    Ok(UnmatchedQuestion {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        decision_id: r.try_get("decision_id")?,
        text: r.try_get("text")?,
        reason: r.try_get("reason")?,
        status: r.try_get("status")?,
        item_id: r.try_get("item_id")?,
        resolved_by: r.try_get("resolved_by")?,
        resolved_at: r.try_get("resolved_at")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A fresh time-ordered id.
fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub async fn insert_decision(
    conn: &mut Conn,
    t: &TenantScope,
    d: &NewDecision<'_>,
) -> Result<BotDecision> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO bot_decisions (id, tenant_id, conversation_id, question, outcome, item_id, detail, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(t.id())
    .bind(d.conversation_id)
    .bind(d.question)
    .bind(d.outcome)
    .bind(d.item_id)
    .bind(d.detail.to_string())
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    get_decision(conn, t, &id)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get_decision(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
) -> Result<Option<BotDecision>> {
    let r = sqlx::query(&format!(
        "SELECT {DECISION_COLS} FROM bot_decisions WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(decision_row).transpose()
}

/// A conversation's decisions, oldest first.
pub async fn decisions_of_conversation(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
) -> Result<Vec<BotDecision>> {
    let rows = sqlx::query(&format!(
        "SELECT {DECISION_COLS} FROM bot_decisions WHERE tenant_id = $1 AND conversation_id = $2 \
         ORDER BY created_at, id"
    ))
    .bind(t.id())
    .bind(conversation_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(decision_row).collect()
}

/// The tenant's latest decisions, newest first.
pub async fn recent_decisions(
    conn: &mut Conn,
    t: &TenantScope,
    limit: i64,
) -> Result<Vec<BotDecision>> {
    let rows = sqlx::query(&format!(
        "SELECT {DECISION_COLS} FROM bot_decisions WHERE tenant_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(t.id())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(decision_row).collect()
}

/// The outcomes of a conversation's last `n` decisions, newest first.
pub async fn last_outcomes(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
    n: i64,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT outcome FROM bot_decisions WHERE tenant_id = $1 AND conversation_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(t.id())
    .bind(conversation_id)
    .bind(n)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| r.try_get("outcome").map_err(Into::into))
        .collect()
}

/// Record the visitor's feedback on an answer of their own conversation; a second
/// click replaces the first.
pub async fn set_feedback(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    conversation_id: &str,
    feedback: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE bot_decisions SET feedback = $4, feedback_at = $5 \
         WHERE tenant_id = $1 AND id = $2 AND conversation_id = $3",
    )
    .bind(t.id())
    .bind(id)
    .bind(conversation_id)
    .bind(feedback)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    one_row(done.rows_affected())
}

pub async fn insert_unmatched(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
    decision_id: Option<&str>,
    text: &str,
    reason: &str,
) -> Result<UnmatchedQuestion> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO unmatched_questions (id, tenant_id, conversation_id, decision_id, text, reason, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)",
    )
    .bind(&id)
    .bind(t.id())
    .bind(conversation_id)
    .bind(decision_id)
    .bind(text)
    .bind(reason)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    get_unmatched(conn, t, &id)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get_unmatched(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
) -> Result<Option<UnmatchedQuestion>> {
    let r = sqlx::query(&format!(
        "SELECT {UNMATCHED_COLS} FROM unmatched_questions WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(unmatched_row).transpose()
}

/// Questions in one status, oldest first, at most `limit`.
pub async fn list_unmatched(
    conn: &mut Conn,
    t: &TenantScope,
    status: &str,
    limit: i64,
) -> Result<Vec<UnmatchedQuestion>> {
    let rows = sqlx::query(&format!(
        "SELECT {UNMATCHED_COLS} FROM unmatched_questions WHERE tenant_id = $1 AND status = $2 \
         ORDER BY created_at, id LIMIT $3"
    ))
    .bind(t.id())
    .bind(status)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(unmatched_row).collect()
}

/// Close an open question (attached, created or dismissed). Not found when it is not this
/// tenant's or no longer open.
pub async fn resolve_unmatched(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    status: &str,
    item_id: Option<&str>,
    by: Option<&str>,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE unmatched_questions SET status = $3, item_id = $4, resolved_by = $5, resolved_at = $6 \
         WHERE tenant_id = $1 AND id = $2 AND status = 'open'",
    )
    .bind(t.id())
    .bind(id)
    .bind(status)
    .bind(item_id)
    .bind(by)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    one_row(done.rows_affected())
}

/// Raise (never lower) a conversation's queue priority.
pub async fn raise_priority(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
    priority: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE conversations SET priority = $3 WHERE tenant_id = $1 AND id = $2 AND priority < $3",
    )
    .bind(t.id())
    .bind(conversation_id)
    .bind(priority)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The visitor's latest texts in a conversation (typed messages, or the labels of buttons
/// they clicked), newest first, with their seq; at most 20.
pub async fn recent_visitor_texts(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
) -> Result<Vec<(i64, String)>> {
    let sql = crate::conversations::with_journal(
        conn,
        conversation_id,
        "SELECT seq, body FROM {table} WHERE tenant_id = $1 AND conversation_id = $2 \
         AND sender_type = 'visitor' AND kind = 'message'",
        " ORDER BY seq DESC LIMIT 20",
    );
    let rows = sqlx::query(&sql)
        .bind(t.id())
        .bind(conversation_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let body: String = r.try_get("body")?;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let text = match v["kind"].as_str() {
            Some("text") => v["text"].as_str(),
            Some("button") => v["label"].as_str().filter(|l| !l.is_empty()),
            _ => None,
        };
        if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) {
            out.push((r.try_get("seq")?, text.to_string()));
        }
    }
    Ok(out)
}

//! The per-conversation event log: gap-free numbering, idempotent appends by
//! client id, and reads of what a client missed. On a SQLite file the
//! message writer's newest events wait in a journal part
//! (`crate::event_log`); every read here reads that part too.

use crate::{flag, now_ms, Conn, ConversationEvent, Result, StoreError, TenantScope};
use sqlx::{any::AnyRow, Row};

pub struct NewEvent<'a> {
    pub kind: &'a str,
    pub sender: &'a str,
    pub sender_id: Option<&'a str>,
    pub sender_name: &'a str,
    pub client_id: Option<&'a str>,
    pub body: &'a serde_json::Value,
    pub private: bool,
}

// The append statements, shared with the SQLite writer in `event_log`.
// $3 = 1: only while the conversation is open; $4: only while it is that agent's.
pub(crate) const BUMP_SEQ: &str = "UPDATE conversations SET last_seq = last_seq + 1 \
     WHERE tenant_id = $1 AND id = $2 AND ($3 = 0 OR state NOT IN ('closed', 'completed')) \
     AND ($4 = '' OR agent_id = $4) RETURNING last_seq";
pub(crate) const INSERT_EVENT: &str = "INSERT INTO conversation_events (conversation_id, seq, tenant_id, kind, sender_type, sender_id, sender_name, client_id, body, private, at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
/// The event stored under a client id in `conversation_events` alone: the
/// writer knows its own journal's client ids.
pub(crate) const EVENT_BY_CLIENT_ID: &str = "SELECT conversation_id, seq, kind, sender_type, sender_id, sender_name, client_id, body, private, at \
     FROM conversation_events WHERE tenant_id = $1 AND conversation_id = $2 AND client_id = $3";
pub(crate) const EVENT_COLS: &str =
    "conversation_id, seq, kind, sender_type, sender_id, sender_name, client_id, body, private, at";

fn event(r: &AnyRow) -> Result<ConversationEvent> {
    let body: String = r.try_get("body")?;
    Ok(ConversationEvent {
        conversation_id: r.try_get("conversation_id")?,
        seq: r.try_get("seq")?,
        kind: r.try_get("kind")?,
        sender: r.try_get("sender_type")?,
        sender_id: r.try_get("sender_id")?,
        sender_name: r.try_get("sender_name")?,
        client_id: r.try_get("client_id")?,
        body: serde_json::from_str(&body)
            .map_err(|e| StoreError::Corrupt(format!("event body: {e}")))?,
        private: r.try_get::<i64, _>("private")? != 0,
        at: r.try_get("at")?,
    })
}

/// Append to a conversation's log and return the stored event with its
/// sequence number. With a `client_id` already stored, return that event and
/// `false`: a retried send stores nothing twice. Call inside a transaction so
/// the counter and the row commit together.
pub async fn append_event(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
    e: &NewEvent<'_>,
) -> Result<(ConversationEvent, bool)> {
    append_event_if(conn, t, conversation_id, e, &AppendIf::default()).await
}

/// Conditions on the conversation for an append; one not met is `NotFound`.
/// They let the message path append without reading the conversation first.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppendIf<'a> {
    /// Not closed or completed (a visitor's message must open a new one).
    pub open: bool,
    /// Assigned to this agent.
    pub agent: Option<&'a str>,
}

/// [`append_event`] under conditions.
pub async fn append_event_if(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
    e: &NewEvent<'_>,
    cond: &AppendIf<'_>,
) -> Result<(ConversationEvent, bool)> {
    let now = now_ms();
    let seq = if conn.backend_name() == "PostgreSQL" {
        append_in_one_statement(conn, t, conversation_id, e, cond, now).await?
    } else {
        append_in_three_statements(conn, t, conversation_id, e, cond, now).await?
    };
    match seq {
        Appended::New(seq) => Ok((e.stored(conversation_id, seq, now), true)),
        Appended::Existing(existing) => Ok((existing, false)),
    }
}

impl NewEvent<'_> {
    /// The event as stored under `seq` at `at`.
    pub fn stored(&self, conversation_id: &str, seq: i64, at: i64) -> ConversationEvent {
        ConversationEvent {
            conversation_id: conversation_id.to_string(),
            seq,
            kind: self.kind.to_string(),
            sender: self.sender.to_string(),
            sender_id: self.sender_id.map(str::to_string),
            sender_name: self.sender_name.to_string(),
            client_id: self.client_id.map(str::to_string),
            body: self.body.clone(),
            private: self.private,
            at,
        }
    }
}

enum Appended {
    New(i64),
    Existing(ConversationEvent),
}

/// Look up the client id, bump the counter, insert: what SQLite can run.
async fn append_in_three_statements(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
    e: &NewEvent<'_>,
    cond: &AppendIf<'_>,
    now: i64,
) -> Result<Appended> {
    if let Some(cid) = e.client_id {
        if let Some(existing) = event_by_client_id(conn, t, conversation_id, cid).await? {
            return Ok(Appended::Existing(existing));
        }
    }
    let seq: Option<i64> = sqlx::query_scalar(BUMP_SEQ)
        .bind(t.id())
        .bind(conversation_id)
        .bind(flag(cond.open))
        .bind(cond.agent.unwrap_or(""))
        .fetch_optional(&mut *conn)
        .await?;
    let seq = seq.ok_or(StoreError::NotFound)?;
    sqlx::query(INSERT_EVENT)
        .bind(conversation_id)
        .bind(seq)
        .bind(t.id())
        .bind(e.kind)
        .bind(e.sender)
        .bind(e.sender_id)
        .bind(e.sender_name)
        .bind(e.client_id)
        .bind(e.body.to_string())
        .bind(flag(e.private))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(Appended::New(seq))
}

/// PostgreSQL: the same three steps in one statement (a data-modifying CTE),
/// so a message costs one round trip, not three. No row back means the client
/// id was stored before, or the conversation is missing or fails `cond`.
async fn append_in_one_statement(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
    e: &NewEvent<'_>,
    cond: &AppendIf<'_>,
    now: i64,
) -> Result<Appended> {
    let seq: Option<i64> = sqlx::query_scalar(
        "WITH bump AS ( \
           UPDATE conversations SET last_seq = last_seq + 1 \
           WHERE tenant_id = $1 AND id = $2 AND ($3 = 0 OR state NOT IN ('closed', 'completed')) \
             AND ($4 = '' OR agent_id = $4) \
             AND NOT EXISTS (SELECT 1 FROM conversation_events \
               WHERE tenant_id = $1 AND conversation_id = $2 AND client_id = $5) \
           RETURNING last_seq) \
         INSERT INTO conversation_events (conversation_id, seq, tenant_id, kind, sender_type, sender_id, sender_name, client_id, body, private, at) \
         SELECT $2, last_seq, $1, $6, $7, $8, $9, $5, $10, $11, $12 FROM bump RETURNING seq",
    )
    .bind(t.id())
    .bind(conversation_id)
    .bind(flag(cond.open))
    .bind(cond.agent.unwrap_or(""))
    .bind(e.client_id)
    .bind(e.kind)
    .bind(e.sender)
    .bind(e.sender_id)
    .bind(e.sender_name)
    .bind(e.body.to_string())
    .bind(flag(e.private))
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(seq) = seq {
        return Ok(Appended::New(seq));
    }
    if let Some(cid) = e.client_id {
        if let Some(existing) = event_by_client_id(conn, t, conversation_id, cid).await? {
            return Ok(Appended::Existing(existing));
        }
    }
    Err(StoreError::NotFound)
}

pub(crate) async fn event_by_client_id(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
    client_id: &str,
) -> Result<Option<ConversationEvent>> {
    let sql = with_journal(
        conn,
        conversation_id,
        &format!(
            "SELECT {EVENT_COLS} FROM {{table}} \
             WHERE tenant_id = $1 AND conversation_id = $2 AND client_id = $3"
        ),
        "",
    );
    let row = sqlx::query(&sql)
        .bind(t.id())
        .bind(conversation_id)
        .bind(client_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(event).transpose()
}

/// `select` over the log (`{table}` = `conversation_events`), on SQLite
/// `UNION ALL` the same over the journal part that holds the conversation's
/// newest events (the message writer's, see `event_log`); then `tail`.
pub(crate) fn with_journal(conn: &Conn, conversation_id: &str, select: &str, tail: &str) -> String {
    let stored = select.replace("{table}", "conversation_events");
    if conn.backend_name() == "PostgreSQL" {
        return format!("{stored}{tail}");
    }
    let journal = select.replace("{table}", crate::event_log::journal_table(conversation_id));
    format!("{stored} UNION ALL {journal}{tail}")
}

/// Events after `after_seq`, oldest first — what a reconnecting client missed.
pub async fn events_after(
    conn: &mut Conn,
    t: &TenantScope,
    conversation_id: &str,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<ConversationEvent>> {
    let sql = with_journal(
        conn,
        conversation_id,
        &format!(
            "SELECT {EVENT_COLS} FROM {{table}} \
             WHERE tenant_id = $1 AND conversation_id = $2 AND seq > $3"
        ),
        " ORDER BY seq LIMIT $4",
    );
    let rows = sqlx::query(&sql)
        .bind(t.id())
        .bind(conversation_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(event).collect()
}

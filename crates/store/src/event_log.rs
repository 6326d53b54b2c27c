//! The message writer's storage: appends batches of conversation events in one
//! transaction each.
//!
//! On a SQLite file the writer owns a connection of its own, outside sqlx, on
//! the thread that calls it. Through sqlx every statement is a round trip to
//! the driver's worker thread; at thousands of messages a second those
//! hand-offs, not SQLite, were the limit (docs/benchmarks.md). The statements
//! are the same ones the sqlx path runs ([`conversations`]), prepared once and
//! cached. Every other backend goes through sqlx on the caller's runtime.

use crate::conversations::{self, AppendIf, NewEvent, BUMP_SEQ, EVENT_BY_CLIENT_ID, INSERT_EVENT};
use crate::{now_ms, ConversationEvent, Result, Store, StoreError, TenantScope};
use rusqlite::{OptionalExtension, TransactionBehavior};
use std::path::Path;

/// One event to append.
pub struct Append<'a> {
    pub scope: &'a TenantScope,
    pub conversation_id: &'a str,
    pub event: NewEvent<'a>,
    pub cond: AppendIf<'a>,
}

/// Each append's outcome: the stored event and whether it is new (`false`
/// when its client id was stored before). A missing (or, with
/// `require_open`, closed) conversation fails that append alone.
pub type Appended = Result<(ConversationEvent, bool)>;

pub struct EventLog {
    inner: Inner,
}

enum Inner {
    Sqlite {
        conn: Box<rusqlite::Connection>,
        /// Dropping it stops the checkpoint thread.
        _checkpoints: std::sync::mpsc::Sender<()>,
    },
    Sql {
        store: Store,
        runtime: tokio::runtime::Handle,
    },
}

impl EventLog {
    /// Open the writer for `store`. Call it inside the tokio runtime; use the
    /// result from one (non-runtime) thread: [`EventLog::append_batch`] blocks.
    pub fn open(store: &Store) -> Result<Self> {
        let inner = match store.sqlite_file() {
            Some(path) => Inner::Sqlite {
                conn: Box::new(open_sqlite(path)?),
                _checkpoints: start_checkpoints(path)?,
            },
            None => Inner::Sql {
                store: store.clone(),
                runtime: tokio::runtime::Handle::try_current().map_err(|_| {
                    StoreError::Corrupt("the event log must be opened inside the runtime".into())
                })?,
            },
        };
        Ok(Self { inner })
    }

    /// Store `batch` in one transaction. `Err` means nothing was stored (the
    /// caller may retry the appends one by one); otherwise one outcome per
    /// append, in order.
    pub fn append_batch(&mut self, batch: &[Append<'_>]) -> Result<Vec<Appended>> {
        match &mut self.inner {
            Inner::Sqlite { conn, .. } => append_sqlite(conn, batch),
            Inner::Sql { store, runtime } => runtime.block_on(append_sql(store, batch)),
        }
    }
}

fn open_sqlite(path: &Path) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path).map_err(sqlite_err)?;
    // The writer touches the same hot pages (recent events, open
    // conversations) over and over: a large cache and memory-mapped reads
    // spare it a read() per page miss. It never checkpoints: copying the
    // WAL into the database (and the fsync) would stall the messages of
    // that commit; `start_checkpoints` does it on a thread of its own.
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
         PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; \
         PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; \
         PRAGMA wal_autocheckpoint=1000;",
    )
    .map_err(sqlite_err)?;
    conn.set_prepared_statement_cache_capacity(16);
    Ok(conn)
}

/// Checkpoint the WAL once a second, in PASSIVE mode (never waits for the
/// writer), on a connection and thread of its own, until the sender returned
/// is dropped.
fn start_checkpoints(path: &Path) -> Result<std::sync::mpsc::Sender<()>> {
    let conn = rusqlite::Connection::open(path).map_err(sqlite_err)?;
    conn.execute_batch("PRAGMA busy_timeout=10000;")
        .map_err(sqlite_err)?;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("kefu-checkpoint".into())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(std::time::Duration::from_secs(1))
            {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
        })
        .map_err(|e| StoreError::Native(format!("cannot start the checkpoint thread: {e}")))?;
    Ok(stop)
}

fn append_sqlite(conn: &mut rusqlite::Connection, batch: &[Append<'_>]) -> Result<Vec<Appended>> {
    // IMMEDIATE: take the write lock up front, as `Store::begin` does.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_err)?;
    let mut out = Vec::with_capacity(batch.len());
    for a in batch {
        out.push(append_one_sqlite(&tx, a)?);
    }
    tx.commit().map_err(sqlite_err)?;
    Ok(out)
}

/// The outer `Err` aborts the batch; the inner one fails this append only.
fn append_one_sqlite(tx: &rusqlite::Transaction<'_>, a: &Append<'_>) -> Result<Appended> {
    let (t, conv, e) = (a.scope.id(), a.conversation_id, &a.event);
    if let Some(cid) = e.client_id {
        let mut stmt = tx.prepare_cached(EVENT_BY_CLIENT_ID).map_err(sqlite_err)?;
        let existing = stmt
            .query_row((t, conv, cid), |r| {
                Ok((
                    ConversationEvent {
                        conversation_id: r.get(0)?,
                        seq: r.get(1)?,
                        kind: r.get(2)?,
                        sender: r.get(3)?,
                        sender_id: r.get(4)?,
                        sender_name: r.get(5)?,
                        client_id: r.get(6)?,
                        body: serde_json::Value::Null,
                        private: r.get::<_, i64>(8)? != 0,
                        at: r.get(9)?,
                    },
                    r.get::<_, String>(7)?,
                ))
            })
            .optional()
            .map_err(sqlite_err)?;
        if let Some((mut event, body)) = existing {
            event.body = serde_json::from_str(&body)
                .map_err(|e| StoreError::Corrupt(format!("event body: {e}")))?;
            return Ok(Ok((event, false)));
        }
    }
    let cond = (a.cond.open as i64, a.cond.agent.unwrap_or(""));
    let seq: Option<i64> = tx
        .prepare_cached(BUMP_SEQ)
        .map_err(sqlite_err)?
        .query_row((t, conv, cond.0, cond.1), |r| r.get(0))
        .optional()
        .map_err(sqlite_err)?;
    let Some(seq) = seq else {
        return Ok(Err(StoreError::NotFound));
    };
    let now = now_ms();
    let body = e.body.to_string();
    tx.prepare_cached(INSERT_EVENT)
        .map_err(sqlite_err)?
        .execute((
            conv,
            seq,
            t,
            e.kind,
            e.sender,
            e.sender_id,
            e.sender_name,
            e.client_id,
            &body,
            e.private as i64,
            now,
        ))
        .map_err(sqlite_err)?;
    Ok(Ok((a.event.stored(a.conversation_id, seq, now), true)))
}

async fn append_sql(store: &Store, batch: &[Append<'_>]) -> Result<Vec<Appended>> {
    let mut tx = store.begin().await?;
    let mut out = Vec::with_capacity(batch.len());
    for a in batch {
        let r =
            conversations::append_event_if(&mut tx, a.scope, a.conversation_id, &a.event, &a.cond)
                .await;
        match r {
            // A missing conversation wrote nothing: the others may commit.
            Err(StoreError::NotFound) => out.push(Err(StoreError::NotFound)),
            Err(e) => return Err(e),
            Ok(v) => out.push(Ok(v)),
        }
    }
    tx.commit().await?;
    Ok(out)
}

fn sqlite_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if f.code == rusqlite::ErrorCode::ConstraintViolation {
            return StoreError::Conflict;
        }
    }
    StoreError::Native(e.to_string())
}

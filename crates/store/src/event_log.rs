//! The message writer's storage: appends batches of conversation events in one
//! transaction each.
//!
//! On a SQLite file the writer owns a connection of its own, outside sqlx, on
//! the thread that calls it. Through sqlx every statement is a round trip to
//! the driver's worker thread; at thousands of messages a second those
//! hand-offs, not SQLite, were the limit (docs/benchmarks.md). The statements
//! are the same ones the sqlx path runs ([`conversations`]), prepared once and
//! cached. Every other backend goes through sqlx on the caller's runtime.
//!
//! On a SQLite file a new event first goes to a journal table ([`journal`]),
//! one with no index but its rowid, and the writer moves the journal into
//! `conversation_events` part by part, each part every two seconds, sorted
//! by conversation ([`EventLog::maintain`]). Appending to
//! `conversation_events` directly wrote, per message, a leaf of its primary
//! key and one of its client-id index, each at that conversation's place in
//! the index: with 2,000 busy conversations nearly every message dirtied pages
//! no other message of its commit shared, and copying those pages through the
//! WAL was most of the writer's time. An append now writes its part's last
//! page; a move writes each conversation's leaves once for all its new events.
//! Readers read both (`conversations::events_after`); the writer remembers
//! its journal's client ids, so a retry is still answered with the stored
//! event.

use crate::conversations::{self, AppendIf, NewEvent, EVENT_BY_CLIENT_ID};
use crate::{now_ms, ConversationEvent, Result, Store, StoreError, TenantScope};
use rusqlite::{OptionalExtension, TransactionBehavior};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod journal;
pub use journal::journal_table;
use journal::Journal;

/// `conversations::BUMP_SEQ` without `RETURNING`, for the writer: SQLite
/// implements `RETURNING` with a temporary table opened and torn down per
/// execution, work the writer spares itself by reading the new value back
/// with [`LAST_SEQ`] (a page it has just written, so in its cache).
const BUMP_SEQ_PLAIN: &str = "UPDATE conversations SET last_seq = last_seq + 1 \
     WHERE tenant_id = $1 AND id = $2 AND ($3 = 0 OR state NOT IN ('closed', 'completed')) \
     AND ($4 = '' OR agent_id = $4)";
const LAST_SEQ: &str = "SELECT last_seq FROM conversations WHERE tenant_id = $1 AND id = $2";
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
        wal: Arc<WalState>,
        /// The background pass count when the writer last finished the WAL.
        seen_pass: u64,
        journal: Journal,
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
            Some(path) => {
                let wal = Arc::new(WalState::default());
                let mut conn = Box::new(open_sqlite(path)?);
                // Whatever an earlier run left in the journal: the writer's
                // memory of its client ids starts empty.
                move_all(&mut conn)?;
                Inner::Sqlite {
                    conn,
                    _checkpoints: start_checkpoints(path, wal.clone())?,
                    wal,
                    seen_pass: 0,
                    journal: Journal::default(),
                }
            }
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
            Inner::Sqlite { conn, journal, .. } => append_sqlite(conn, journal, batch),
            Inner::Sql { store, runtime } => runtime.block_on(append_sql(store, batch)),
        }
    }

    /// Housekeeping between batches, after their acknowledgements went out.
    ///
    /// On SQLite the checkpoint thread copies the WAL into the database in
    /// the background, but under steady writes it never catches up with the
    /// last frame, and SQLite only starts the WAL over when a writer finds it
    /// wholly copied. So once a background pass has copied most of a large
    /// WAL, the writer copies the few frames written since (a short stall
    /// instead of the whole checkpoint's), and its next commit starts the WAL
    /// from the beginning.
    ///
    /// It also moves the journal once [`EventLog::due_in`] says so.
    pub fn maintain(&mut self) {
        if self.due_in() == Some(Duration::ZERO) {
            if let Err(e) = self.move_due_part() {
                tracing::warn!(error = %e, "moving the event journal failed; will retry");
            }
        }
        let Inner::Sqlite {
            conn,
            wal,
            seen_pass,
            ..
        } = &mut self.inner
        else {
            return;
        };
        if !coordinated() {
            return;
        }
        let pass = wal.passes.load(Ordering::Acquire);
        if pass == *seen_pass || wal.frames.load(Ordering::Acquire) < restart_frames() {
            return;
        }
        *seen_pass = pass;
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

impl EventLog {
    /// How long until the next part of the journal should move (`maintain`
    /// does it); `None` when there is nothing to move. A caller waiting for
    /// appends waits no longer than this, so the journal moves on a quiet
    /// server too.
    pub fn due_in(&self) -> Option<Duration> {
        match &self.inner {
            Inner::Sqlite { journal, .. } => journal.due_in(),
            Inner::Sql { .. } => None,
        }
    }

    /// Move one part of the journal, the one due.
    fn move_due_part(&mut self) -> Result<()> {
        let Inner::Sqlite { conn, journal, .. } = &mut self.inner else {
            return Ok(());
        };
        let part = journal.due_part();
        if !journal.is_empty(part) {
            if let Err(e) = move_part(conn, part) {
                journal.postpone();
                return Err(e);
            }
        }
        journal.moved(part);
        Ok(())
    }

    /// Move the whole journal into `conversation_events` now.
    pub fn move_journal(&mut self) -> Result<()> {
        let Inner::Sqlite { conn, journal, .. } = &mut self.inner else {
            return Ok(());
        };
        move_all(conn)?;
        *journal = Journal::default();
        Ok(())
    }
}

fn move_all(conn: &mut rusqlite::Connection) -> Result<()> {
    (0..journal::PARTS).try_for_each(|part| move_part(conn, part))
}

fn move_part(conn: &mut rusqlite::Connection, part: usize) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_err)?;
    tx.execute_batch(&journal::move_sql(part))
        .map_err(sqlite_err)?;
    tx.commit().map_err(sqlite_err)
}

/// What the checkpoint thread last saw, for the writer.
#[derive(Default)]
struct WalState {
    /// Completed background passes.
    passes: AtomicU64,
    /// Frames in the WAL at the last pass.
    frames: AtomicU64,
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Checkpoints are coordinated: a background thread copies the WAL and the
/// writer finishes its passes between batches (see [`EventLog::maintain`]).
/// Measured against SQLite's own checkpoint inside the commit, in the same
/// runs, it cut the p99 at 12,000 msgs/s from 180 ms to 53 ms
/// (docs/benchmarks.md). `KEFU_WAL_CHECKPOINT=inline` brings the old way back.
fn coordinated() -> bool {
    static C: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *C.get_or_init(|| std::env::var("KEFU_WAL_CHECKPOINT").as_deref() != Ok("inline"))
}

fn restart_frames() -> u64 {
    static F: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *F.get_or_init(|| env_u64("KEFU_WAL_RESTART_FRAMES", 4096))
}

fn open_sqlite(path: &Path) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path).map_err(sqlite_err)?;
    // The writer touches the same hot pages (recent events, open
    // conversations) over and over: memory-mapped reads spare it a read() per
    // page miss. Its page cache is small (2 MiB) on purpose: at the end of
    // every write transaction SQLite walks the page cache's hash table
    // (`pcache1TruncateUnsafe`), which grows with the cache; with 64 MiB it
    // was the writer's most expensive function (6.5 % of the server's CPU at
    // 14,400 msgs/s), and 2 MiB kept p99 under 50 ms at 15,600 msgs/s where
    // 64 MiB did not (docs/benchmarks.md, 2026-11-22). It does not checkpoint inside a
    // commit: copying the WAL into the database (and the fsync) would stall
    // the messages of that commit; `start_checkpoints` copies it on a thread
    // of its own and `maintain` finishes the pass between batches.
    // Foreign keys are not checked on this connection: its statements meet
    // them by construction (an event is inserted only after the `UPDATE` of
    // its conversation, matched on id and tenant, returned a row), and the
    // two look-ups per message they would cost are pure overhead.
    // `KEFU_WRITER_CACHE_KIB` overrides the cache size for experiments.
    let cache_kib = env_u64("KEFU_WRITER_CACHE_KIB", 2048);
    conn.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
         PRAGMA foreign_keys=OFF; PRAGMA busy_timeout=10000; \
         PRAGMA cache_size=-{cache_kib}; PRAGMA mmap_size=268435456;"
    ))
    .map_err(sqlite_err)?;
    let auto = if coordinated() { 0 } else { 1000 };
    conn.execute_batch(&format!("PRAGMA wal_autocheckpoint={auto};"))
        .map_err(sqlite_err)?;
    // Two statements per journal part, and the rest.
    conn.set_prepared_statement_cache_capacity(48);
    Ok(conn)
}

/// Checkpoint the WAL in PASSIVE mode (never waits for the writer) on a
/// connection and thread of its own, every `KEFU_WAL_PASS_MS` (50 ms; once a
/// second with the inline mode), until the sender returned is dropped.
fn start_checkpoints(path: &Path, wal: Arc<WalState>) -> Result<std::sync::mpsc::Sender<()>> {
    let every = std::time::Duration::from_millis(env_u64(
        "KEFU_WAL_PASS_MS",
        if coordinated() { 50 } else { 1000 },
    ));
    let conn = rusqlite::Connection::open(path).map_err(sqlite_err)?;
    conn.execute_batch("PRAGMA busy_timeout=10000;")
        .map_err(sqlite_err)?;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("kefu-checkpoint".into())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every)
            {
                match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1)) {
                    Ok(frames) => {
                        wal.frames.store(frames.max(0) as u64, Ordering::Release);
                        wal.passes.fetch_add(1, Ordering::AcqRel);
                    }
                    Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
                }
            }
        })
        .map_err(|e| StoreError::Native(format!("cannot start the checkpoint thread: {e}")))?;
    Ok(stop)
}

fn append_sqlite(
    conn: &mut rusqlite::Connection,
    journal: &mut Journal,
    batch: &[Append<'_>],
) -> Result<Vec<Appended>> {
    // What this batch adds to the journal's memory, undone if it does not
    // commit.
    let mut added = Vec::new();
    let stored = append_sqlite_tx(conn, journal, &mut added, batch);
    match &stored {
        Ok(_) => journal.committed(),
        Err(_) => journal.forget(added),
    }
    stored
}

fn append_sqlite_tx(
    conn: &mut rusqlite::Connection,
    journal: &mut Journal,
    added: &mut Vec<(usize, Option<String>)>,
    batch: &[Append<'_>],
) -> Result<Vec<Appended>> {
    // IMMEDIATE: take the write lock up front, as `Store::begin` does.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_err)?;
    let mut out = Vec::with_capacity(batch.len());
    for a in batch {
        out.push(append_one_sqlite(&tx, journal, added, a)?);
    }
    tx.commit().map_err(sqlite_err)?;
    Ok(out)
}

/// The outer `Err` aborts the batch; the inner one fails this append only.
fn append_one_sqlite(
    tx: &rusqlite::Transaction<'_>,
    journal: &mut Journal,
    added: &mut Vec<(usize, Option<String>)>,
    a: &Append<'_>,
) -> Result<Appended> {
    let (t, conv, e) = (a.scope.id(), a.conversation_id, &a.event);
    if let Some(cid) = e.client_id {
        // In the journal (the writer's own memory) or moved out of it.
        let existing = match journal.find(t, conv, cid) {
            Some((part, id)) => tx
                .prepare_cached(journal::by_id_sql(part))
                .map_err(sqlite_err)?
                .query_row([id], stored_event)
                .optional(),
            None => tx
                .prepare_cached(EVENT_BY_CLIENT_ID)
                .map_err(sqlite_err)?
                .query_row((t, conv, cid), stored_event)
                .optional(),
        }
        .map_err(sqlite_err)?;
        if let Some((mut event, body)) = existing {
            event.body = serde_json::from_str(&body)
                .map_err(|e| StoreError::Corrupt(format!("event body: {e}")))?;
            return Ok(Ok((event, false)));
        }
    }
    let cond = (a.cond.open as i64, a.cond.agent.unwrap_or(""));
    let bumped = tx
        .prepare_cached(BUMP_SEQ_PLAIN)
        .map_err(sqlite_err)?
        .execute((t, conv, cond.0, cond.1))
        .map_err(sqlite_err)?;
    if bumped == 0 {
        return Ok(Err(StoreError::NotFound));
    }
    let seq: i64 = tx
        .prepare_cached(LAST_SEQ)
        .map_err(sqlite_err)?
        .query_row((t, conv), |r| r.get(0))
        .map_err(sqlite_err)?;
    let now = now_ms();
    let body = e.body.to_string();
    tx.prepare_cached(journal::insert_sql(journal::part_of(conv)))
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
    added.push(journal.remember(t, conv, e.client_id, tx.last_insert_rowid()));
    Ok(Ok((a.event.stored(a.conversation_id, seq, now), true)))
}

/// A stored event, its body still JSON text.
fn stored_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<(ConversationEvent, String)> {
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
}

async fn append_sql(store: &Store, batch: &[Append<'_>]) -> Result<Vec<Appended>> {
    let mut tx = store.begin().await?;
    if tx.backend_name() == "PostgreSQL" {
        let out = crate::event_log_pg::append_batch(&mut tx, batch).await?;
        tx.commit().await?;
        return Ok(out);
    }
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

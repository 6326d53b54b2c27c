//! Group commit for the message path. Under load, many conversations append at
//! once; one transaction per message would serialise them on the database's
//! commit (SQLite has a single writer). The appender collects what arrives
//! while the previous batch commits and stores it in one transaction, so the
//! commit cost is shared. A message is acknowledged only after its batch has
//! committed, and a batch that fails is retried one message at a time so one
//! bad append cannot sink the others.
//!
//! The writer is one thread of its own with its own database connection on
//! SQLite (see `kefu_store::event_log`): the whole batch is stored without
//! a thread hand-off per statement.
//!
//! Each stored event is published in commit order (by a publisher thread the
//! writer hands each committed batch to, so the next batch commits while the
//! last one's frames go out; a sender is answered after its event is
//! published): sockets drop
//! any event whose sequence number is not above the last they delivered, so
//! events of one conversation must reach the hub in sequence order, which
//! concurrent publishers after the commit could not guarantee.

use crate::hub::Hub;
use crate::{AppError, AppResult};
use kefu_store::event_log::{Append, Appended, EventLog};
use kefu_store::{conversations, ConversationEvent, Store, TenantScope};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

const MAX_BATCH: usize = 256;
/// The shortest time between two commits of the writer (see `run`).
/// 2 ms: with the event journal a commit's cost is mostly its journal pages,
/// the same for 20 messages as for 40; at 19,200 msgs/s p99 went from 66 ms
/// (1 ms) to 31 ms (docs/benchmarks.md, 2026-11-22).
const COMMIT_WINDOW_US: u64 = 2000;

#[derive(Clone)]
pub struct OwnedEvent {
    pub kind: String,
    pub sender: String,
    pub sender_id: Option<String>,
    pub sender_name: String,
    pub client_id: Option<String>,
    pub body: serde_json::Value,
    pub private: bool,
}

impl OwnedEvent {
    pub fn from(e: &conversations::NewEvent<'_>) -> Self {
        Self {
            kind: e.kind.to_string(),
            sender: e.sender.to_string(),
            sender_id: e.sender_id.map(str::to_string),
            sender_name: e.sender_name.to_string(),
            client_id: e.client_id.map(str::to_string),
            body: e.body.clone(),
            private: e.private,
        }
    }

    pub(crate) fn borrow(&self) -> conversations::NewEvent<'_> {
        conversations::NewEvent {
            kind: &self.kind,
            sender: &self.sender,
            sender_id: self.sender_id.as_deref(),
            sender_name: &self.sender_name,
            client_id: self.client_id.as_deref(),
            body: &self.body,
            private: self.private,
        }
    }
}

/// Owned [`conversations::AppendIf`], to cross to the writer thread.
#[derive(Debug, Clone, Default)]
pub struct Cond {
    pub open: bool,
    pub agent: Option<String>,
}

struct Job {
    scope: TenantScope,
    conversation: String,
    event: OwnedEvent,
    cond: Cond,
    reply: oneshot::Sender<AppResult<(ConversationEvent, bool)>>,
}

impl Job {
    fn append(&self) -> Append<'_> {
        Append {
            scope: &self.scope,
            conversation_id: &self.conversation,
            event: self.event.borrow(),
            cond: conversations::AppendIf {
                open: self.cond.open,
                agent: self.cond.agent.as_deref(),
            },
        }
    }
}

#[derive(Clone)]
pub struct Appender {
    tx: mpsc::Sender<Job>,
}

impl Appender {
    /// Start the writer thread. Call inside the runtime (the PostgreSQL path
    /// runs its statements on it).
    pub fn start(store: Store, hub: Arc<Hub>) -> AppResult<Self> {
        let log = EventLog::open(&store)?;
        let (tx, rx) = mpsc::channel(8192);
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Vec<(Job, Appended)>>();
        let start = |name: &str| std::thread::Builder::new().name(name.into());
        start("kefu-publisher")
            .spawn(move || {
                for batch in done_rx {
                    for (job, r) in batch {
                        finish(&hub, job, r);
                    }
                }
            })
            .map_err(|e| AppError::Internal(format!("cannot start the publisher: {e}")))?;
        start("kefu-writer")
            .spawn(move || run(log, done_tx, rx))
            .map_err(|e| AppError::Internal(format!("cannot start the message writer: {e}")))?;
        Ok(Self { tx })
    }

    /// Store `event` and publish it, if the conversation meets `cond`
    /// (otherwise `NotFound`).
    pub async fn append(
        &self,
        scope: &TenantScope,
        conversation: &str,
        event: OwnedEvent,
        cond: Cond,
    ) -> AppResult<(ConversationEvent, bool)> {
        let (reply, wait) = oneshot::channel();
        let job = Job {
            scope: scope.clone(),
            conversation: conversation.to_string(),
            event,
            cond,
            reply,
        };
        self.tx
            .send(job)
            .await
            .map_err(|_| AppError::Internal("the message writer has stopped".into()))?;
        wait.await
            .map_err(|_| AppError::Internal("the message writer dropped a message".into()))?
    }
}

/// The writer: stores batches and hands them, in commit order, to the
/// publisher thread, which publishes each new event and then answers its
/// sender. Serialising frames and waking sockets is not the writer's work:
/// the next batch commits meanwhile.
fn run(
    mut log: EventLog,
    done: std::sync::mpsc::Sender<Vec<(Job, Appended)>>,
    mut rx: mpsc::Receiver<Job>,
) {
    // `KEFU_WRITER_WINDOW_US` overrides the window for experiments.
    let window_us = std::env::var("KEFU_WRITER_WINDOW_US")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(COMMIT_WINDOW_US);
    let commit_window = Duration::from_micros(window_us);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut last_commit = Instant::now()
        .checked_sub(commit_window)
        .unwrap_or_else(Instant::now);
    // Only to wait for the next message with a deadline (see `next`).
    let timer = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "the message writer cannot start its timer");
            return;
        }
    };
    while let Some(first) = next(&mut log, &timer, &mut rx) {
        batch.push(first);
        // Under load, commit at most once per window: every commit rewrites
        // the hot pages (open conversations, index leaves) to the WAL, so
        // fewer, larger batches store more messages per page written. A
        // message arriving after a quiet spell is committed at once.
        let since = last_commit.elapsed();
        if since < commit_window {
            std::thread::sleep(commit_window - since);
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let appends: Vec<Append<'_>> = batch.iter().map(Job::append).collect();
        let results = log.append_batch(&appends);
        last_commit = Instant::now();
        drop(appends);
        let outcomes: Vec<(Job, Appended)> = match results {
            Ok(results) => batch.drain(..).zip(results).collect(),
            Err(e) => {
                tracing::warn!(error = %e, size = batch.len(), "batch append failed; retrying one by one");
                batch
                    .drain(..)
                    .map(|job| {
                        let r = match log.append_batch(&[job.append()]) {
                            Ok(mut one) => {
                                one.pop().unwrap_or(Err(kefu_store::StoreError::NotFound))
                            }
                            Err(e) => Err(e),
                        };
                        (job, r)
                    })
                    .collect()
            }
        };
        if done.send(outcomes).is_err() {
            return;
        }
        // The batch is the publisher's now: a checkpoint here delays the
        // next batch, never the messages just stored.
        log.maintain();
    }
}

/// The next message, moving the writer's journal when it falls due while
/// none arrives; `None` once every sender is gone.
fn next(
    log: &mut EventLog,
    timer: &tokio::runtime::Runtime,
    rx: &mut mpsc::Receiver<Job>,
) -> Option<Job> {
    loop {
        let Some(due) = log.due_in() else {
            return rx.blocking_recv();
        };
        // The timeout is made inside `block_on`: its timer needs the runtime.
        match timer.block_on(async { tokio::time::timeout(due, rx.recv()).await }) {
            Ok(job) => return job,
            Err(_) => log.maintain(),
        }
    }
}

/// Publish a new event (in commit order: this runs on the writer thread) and
/// answer the sender.
fn finish(hub: &Hub, job: Job, r: Appended) {
    let r = r.map_err(|e| AppError::from_store("conversation", e));
    if let Ok((event, true)) = &r {
        super::publish(hub, event);
    }
    let _ = job.reply.send(r);
}

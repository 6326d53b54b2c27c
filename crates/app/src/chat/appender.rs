//! Group commit for the message path. Under load, many conversations append at
//! once; one transaction per message would serialise them on the database's
//! commit (SQLite has a single writer). The appender collects what arrives
//! while the previous batch commits and stores it in one transaction, so the
//! commit cost is shared. A message is acknowledged only after its batch has
//! committed, and a batch that fails is retried one message at a time so one
//! bad append cannot sink the others.
//!
//! The writer also publishes each stored event, in commit order: sockets drop
//! any event whose sequence number is not above the last they delivered, so
//! events of one conversation must reach the hub in sequence order, which
//! concurrent publishers after the commit could not guarantee.

use crate::hub::Hub;
use crate::{AppError, AppResult};
use kefu_store::{conversations, ConversationEvent, Store, TenantScope};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

const MAX_BATCH: usize = 256;

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

    fn borrow(&self) -> conversations::NewEvent<'_> {
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

struct Job {
    scope: TenantScope,
    conversation: String,
    event: OwnedEvent,
    reply: oneshot::Sender<AppResult<(ConversationEvent, bool)>>,
}

#[derive(Clone)]
pub struct Appender {
    tx: mpsc::Sender<Job>,
}

impl Appender {
    pub fn start(store: Store, hub: Arc<Hub>) -> Self {
        let (tx, rx) = mpsc::channel(8192);
        tokio::spawn(run(store, hub, rx));
        Self { tx }
    }

    pub async fn append(
        &self,
        scope: &TenantScope,
        conversation: &str,
        event: OwnedEvent,
    ) -> AppResult<(ConversationEvent, bool)> {
        let (reply, wait) = oneshot::channel();
        let job = Job {
            scope: scope.clone(),
            conversation: conversation.to_string(),
            event,
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

async fn run(store: Store, hub: Arc<Hub>, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        match write_batch(&store, &batch).await {
            Ok(results) => {
                for (job, r) in batch.drain(..).zip(results) {
                    if r.1 {
                        super::publish(&hub, &r.0);
                    }
                    let _ = job.reply.send(Ok(r));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, size = batch.len(), "batch append failed; retrying one by one");
                for job in batch.drain(..) {
                    let r = write_one(&store, &job).await;
                    if let Ok((event, true)) = &r {
                        super::publish(&hub, event);
                    }
                    let _ = job.reply.send(r);
                }
            }
        }
    }
}

async fn write_batch(store: &Store, batch: &[Job]) -> AppResult<Vec<(ConversationEvent, bool)>> {
    let mut tx = store.begin().await?;
    let mut out = Vec::with_capacity(batch.len());
    for job in batch {
        out.push(
            conversations::append_event(
                &mut tx,
                &job.scope,
                &job.conversation,
                &job.event.borrow(),
            )
            .await?,
        );
    }
    tx.commit().await?;
    Ok(out)
}

async fn write_one(store: &Store, job: &Job) -> AppResult<(ConversationEvent, bool)> {
    let mut tx = store.begin().await?;
    let r =
        conversations::append_event(&mut tx, &job.scope, &job.conversation, &job.event.borrow())
            .await
            .map_err(|e| AppError::from_store("conversation", e))?;
    tx.commit().await?;
    Ok(r)
}

//! Visitors' presence: a visitor whose socket drops keeps their place in the
//! queue for a grace period; if they have not come back by then, the waiting
//! conversation is closed as abandoned (排队放弃) so no agent is given a chat
//! nobody is reading.

use crate::App;
use kefu_domain::conversation::ConversationAction;
use kefu_store::{conversations, TenantScope};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// How long a dropped visitor keeps their place.
pub const GRACE: Duration = Duration::from_secs(90);

#[derive(Default)]
pub struct Presence {
    /// Open sockets per conversation.
    sockets: Mutex<HashMap<String, u32>>,
}

impl Presence {
    pub fn connected(&self, conversation: &str) {
        *self.lock().entry(conversation.to_string()).or_default() += 1;
    }

    /// Returns true when this was the conversation's last socket.
    fn disconnected(&self, conversation: &str) -> bool {
        let mut m = self.lock();
        match m.get_mut(conversation) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            _ => {
                m.remove(conversation);
                true
            }
        }
    }

    fn is_connected(&self, conversation: &str) -> bool {
        self.lock().get(conversation).is_some_and(|n| *n > 0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.sockets.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl App {
    pub fn visitor_socket_opened(&self, conversation: &str) {
        self.presence.connected(conversation);
    }

    /// The visitor's socket closed: after the grace period, a conversation still
    /// waiting in the queue with no socket back is abandoned.
    pub fn visitor_socket_closed(&self, scope: &TenantScope, conversation: &str) {
        if !self.presence.disconnected(conversation) {
            return;
        }
        let app = self.clone();
        let scope = scope.clone();
        let conversation = conversation.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(app.visitor_grace).await;
            if app.presence.is_connected(&conversation) {
                return;
            }
            let still_waiting = match app.store.conn().await {
                Ok(mut c) => conversations::get_conversation(&mut c, &scope, &conversation)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|c| matches!(c.state.as_str(), "queued" | "bot")),
                Err(_) => false,
            };
            if still_waiting {
                let body = serde_json::json!({"event": "closed", "reason": "abandoned"});
                if let Err(e) = app
                    .end_conversation(&scope, &conversation, ConversationAction::Close, body)
                    .await
                {
                    tracing::warn!(error = %e, conversation, "closing an abandoned conversation failed");
                }
            }
        });
    }
}

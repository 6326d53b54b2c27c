//! WebSocket endpoints for visitors and agents (docs/realtime-protocol.md).
//! Each socket is one task: client frames are handled in order; hub frames are
//! forwarded with a per-conversation sequence filter, so a replay from the
//! store and the live stream never deliver the same event twice.

pub mod agent;
pub mod visitor;

use axum::extract::ws::{Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use std::collections::HashMap;

/// Largest frame a client may send (a text message is ≤ 5,000 characters).
pub const MAX_FRAME: usize = 64 * 1024;

#[derive(serde::Deserialize)]
struct EventHead<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    conversation_id: Option<&'a str>,
    seq: Option<i64>,
}

pub(crate) struct Out {
    sink: SplitSink<WebSocket, Message>,
    /// Highest event seq sent per conversation.
    sent: HashMap<String, i64>,
}

impl Out {
    pub fn new(sink: SplitSink<WebSocket, Message>) -> Self {
        Self {
            sink,
            sent: HashMap::new(),
        }
    }

    pub async fn send(&mut self, v: &serde_json::Value) -> bool {
        self.sink
            .send(Message::Text(v.to_string().into()))
            .await
            .is_ok()
    }

    /// Send a stored event unless this socket already has it.
    pub async fn event(&mut self, e: &kefu_store::ConversationEvent) -> bool {
        let last = self.sent.entry(e.conversation_id.clone()).or_insert(0);
        if e.seq <= *last {
            return true;
        }
        *last = e.seq;
        let frame = kefu_app::chat::event_frame(e);
        self.send(&frame).await
    }

    /// Forward a hub frame; event frames go through the sequence filter.
    pub async fn forward(&mut self, text: &str) -> bool {
        if text.contains(r#""type":"event""#) {
            // Only the three fields the filter needs, borrowed, not the whole frame.
            if let Ok(head) = serde_json::from_str::<EventHead<'_>>(text) {
                if head.kind == "event" {
                    let seq = head.seq.unwrap_or(0);
                    let conv = head.conversation_id.unwrap_or("");
                    match self.sent.get_mut(conv) {
                        Some(last) if seq <= *last => return true,
                        Some(last) => *last = seq,
                        None => {
                            self.sent.insert(conv.to_string(), seq);
                        }
                    }
                }
            }
        }
        self.sink
            .send(Message::Text(text.to_string().into()))
            .await
            .is_ok()
    }

    pub fn last_sent(&self, conversation: &str) -> i64 {
        self.sent.get(conversation).copied().unwrap_or(0)
    }

    pub fn mark(&mut self, conversation: &str, seq: i64) {
        let last = self.sent.entry(conversation.to_string()).or_insert(0);
        *last = (*last).max(seq);
    }

    pub async fn error(&mut self, e: &kefu_app::AppError) -> bool {
        // Closed: besides the error, the notice that shows the leave-message form.
        if e.code() == "outside_hours"
            && !self
                .send(&serde_json::json!({"type": "offline", "reason": "outside_hours"}))
                .await
        {
            return false;
        }
        self.send(&serde_json::json!({"type": "error", "code": e.code(), "message": e.to_string()}))
            .await
    }

    pub async fn bad_frame(&mut self, why: &str) -> bool {
        self.send(&serde_json::json!({"type": "error", "code": "invalid_frame", "message": why}))
            .await
    }
}

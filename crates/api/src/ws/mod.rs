//! WebSocket endpoints for visitors and agents (docs/realtime-protocol.md).
//! Each socket is one task: client frames are handled in order; hub frames are
//! forwarded with a per-conversation sequence filter, so a replay from the
//! store and the live stream never deliver the same event twice.

pub mod agent;
pub mod visitor;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
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
    /// Frames written to the socket buffer but not flushed yet (see [`Out::flush`]).
    unflushed: bool,
}

/// Hub frames written per flush at most, so one busy socket still yields.
pub(crate) const BURST: usize = 64;

impl Out {
    pub fn new(sink: SplitSink<WebSocket, Message>) -> Self {
        Self {
            sink,
            sent: HashMap::new(),
            unflushed: false,
        }
    }

    /// Write a frame without flushing: acks and hub frames are flushed
    /// together at the end of the socket loop's turn ([`Out::flush`]), so a
    /// visitor's ack and the event that follows it leave in one write.
    async fn feed(&mut self, text: Utf8Bytes) -> bool {
        self.unflushed = true;
        self.sink.feed(Message::Text(text)).await.is_ok()
    }

    /// Flush what [`Out::feed`] wrote.
    pub async fn flush(&mut self) -> bool {
        if !std::mem::take(&mut self.unflushed) {
            return true;
        }
        self.sink.flush().await.is_ok()
    }

    /// Forward the hub frames already waiting (up to a burst), then flush.
    /// Call at the end of every turn of a visitor's socket loop (the agent's
    /// loop acts on some frames, see `agent::Agent::hub_frame`).
    pub async fn drain(
        &mut self,
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<kefu_app::hub::Frame>,
    ) -> bool {
        for _ in 0..BURST {
            match rx.try_recv() {
                Ok(frame) => {
                    if !self.forward(&frame).await {
                        return false;
                    }
                }
                Err(_) => break,
            }
        }
        self.flush().await
    }

    /// Send a frame now (with anything fed before it).
    pub async fn send(&mut self, v: &serde_json::Value) -> bool {
        self.unflushed = false;
        self.sink
            .send(Message::Text(v.to_string().into()))
            .await
            .is_ok()
    }

    /// The `ack` of a stored message (one per message: serialised directly).
    pub async fn ack(&mut self, client_id: &str, conversation_id: &str, seq: i64) -> bool {
        #[derive(serde::Serialize)]
        struct Ack<'a> {
            #[serde(rename = "type")]
            kind: &'static str,
            client_id: &'a str,
            conversation_id: &'a str,
            seq: i64,
        }
        let ack = Ack {
            kind: "ack",
            client_id,
            conversation_id,
            seq,
        };
        match serde_json::to_string(&ack) {
            Ok(text) => self.feed(text.into()).await,
            Err(_) => false,
        }
    }

    /// Send a stored event unless this socket already has it.
    pub async fn event(&mut self, e: &kefu_store::ConversationEvent) -> bool {
        let last = self.sent.entry(e.conversation_id.clone()).or_insert(0);
        if e.seq <= *last {
            return true;
        }
        *last = e.seq;
        let frame = kefu_app::chat::event_frame(e);
        self.unflushed = false;
        self.sink.send(Message::Text(frame.into())).await.is_ok()
    }

    /// Forward a hub frame (unflushed); event frames go through the sequence filter.
    pub async fn forward(&mut self, frame: &kefu_app::hub::Frame) -> bool {
        let text: &str = frame;
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
        // The hub's buffer itself: one frame, shared by every socket it goes to.
        let Ok(text) = Utf8Bytes::try_from(frame.bytes()) else {
            return true;
        };
        self.feed(text).await
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

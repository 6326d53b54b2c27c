//! WebSocket endpoints for visitors and agents (docs/realtime-protocol.md).
//! Each socket is one task: client frames are handled in order; hub frames are
//! forwarded with a per-conversation sequence filter, so a replay from the
//! store and the live stream never deliver the same event twice.

pub mod agent;
pub mod visitor;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::{Sink, SinkExt};
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

/// A socket's writing half. Generic over the sink only so that tests can count its
/// writes and flushes; the server always uses the WebSocket's.
pub(crate) struct Out<S = SplitSink<WebSocket, Message>> {
    sink: S,
    /// Highest event seq sent per conversation.
    sent: HashMap<String, i64>,
    /// Frames written to the socket buffer but not flushed yet (see [`Out::flush`]).
    unflushed: bool,
}

/// Hub frames written per flush at most, so one busy socket still yields.
pub(crate) const BURST: usize = 64;

impl<S: Sink<Message> + Unpin> Out<S> {
    pub fn new(sink: S) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// A sink that keeps what was written and counts the flushes (one write to the
    /// network each, on a real socket).
    #[derive(Default)]
    struct Recorder {
        frames: Vec<String>,
        flushes: usize,
    }

    impl Sink<Message> for Recorder {
        type Error = ();
        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
            Poll::Ready(Ok(()))
        }
        fn start_send(mut self: Pin<&mut Self>, m: Message) -> Result<(), ()> {
            if let Message::Text(t) = m {
                self.frames.push(t.to_string());
            }
            Ok(())
        }
        fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
            self.flushes += 1;
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn event(conv: &str, seq: i64) -> kefu_app::hub::Frame {
        format!(r#"{{"type":"event","conversation_id":"{conv}","seq":{seq},"event":{{}}}}"#).into()
    }

    fn seqs(out: &Out<Recorder>) -> Vec<i64> {
        out.sink
            .frames
            .iter()
            .filter_map(|f| serde_json::from_str::<serde_json::Value>(f).ok())
            .filter_map(|v| v["seq"].as_i64())
            .collect()
    }

    #[tokio::test]
    async fn a_turn_forwards_at_most_a_burst_in_one_write_and_the_rest_next_turn() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for seq in 1..=BURST as i64 + 6 {
            tx.send(event("c1", seq)).expect("open");
        }
        let mut out = Out::new(Recorder::default());
        assert!(out.drain(&mut rx).await);
        assert_eq!(out.sink.frames.len(), BURST);
        assert_eq!(out.sink.flushes, 1, "one write for the whole burst");
        assert!(out.drain(&mut rx).await);
        assert_eq!(seqs(&out), (1..=BURST as i64 + 6).collect::<Vec<_>>());
        assert_eq!(out.sink.flushes, 2);
        // nothing waiting, nothing written: no empty flush
        assert!(out.drain(&mut rx).await);
        assert_eq!(out.sink.flushes, 2);
    }

    #[tokio::test]
    async fn an_ack_and_the_events_behind_it_leave_in_one_write() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        tx.send(event("c1", 1)).expect("open");
        tx.send(event("c2", 1)).expect("open");
        let mut out = Out::new(Recorder::default());
        assert!(out.ack("m-1", "c1", 1).await);
        assert_eq!(out.sink.flushes, 0, "an ack waits for the end of the turn");
        assert!(out.drain(&mut rx).await);
        assert_eq!(out.sink.frames.len(), 3);
        assert!(out.sink.frames[0].contains(r#""type":"ack""#));
        assert_eq!(out.sink.flushes, 1);
    }

    #[tokio::test]
    async fn events_a_socket_already_has_are_not_sent_again() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut out = Out::new(Recorder::default());
        // the replay from the store sent up to 5
        out.mark("c1", 5);
        for seq in [3, 5, 6, 7, 7, 6, 8] {
            tx.send(event("c1", seq)).expect("open");
        }
        // other conversations and other frames are not filtered by it
        tx.send(event("c2", 2)).expect("open");
        tx.send(kefu_app::hub::Frame::from(
            r#"{"type":"typing","conversation_id":"c1"}"#.to_string(),
        ))
        .expect("open");
        assert!(out.drain(&mut rx).await);
        assert_eq!(seqs(&out), vec![6, 7, 8, 2]);
        assert_eq!(out.sink.frames.len(), 5);
        assert_eq!(out.last_sent("c1"), 8);
    }
}

//! Real-time fan-out inside one node: sockets subscribe to topics and receive
//! pre-serialised JSON frames. Frames are notifications of what is already
//! stored; a socket that falls behind or reconnects reads the store (DESIGN.md:
//! nothing depends on delivery being lossless).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::mpsc;

/// A serialised JSON frame. Cloning it for many sockets shares one buffer, and
/// a socket hands the buffer to its WebSocket as is (no copy per recipient).
#[derive(Clone, Debug)]
pub struct Frame(bytes::Bytes);

impl Frame {
    /// The buffer, for the socket writer.
    pub fn bytes(&self) -> bytes::Bytes {
        self.0.clone()
    }
}

impl From<String> for Frame {
    fn from(s: String) -> Self {
        Frame(bytes::Bytes::from(s))
    }
}

impl std::ops::Deref for Frame {
    type Target = str;
    fn deref(&self) -> &str {
        // SAFETY: the only constructor takes a `String`, so the bytes are UTF-8.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }
}

pub type FrameTx = mpsc::UnboundedSender<Frame>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// What the visitor of a conversation may see.
    Visitor(String),
    /// Everything about a conversation, internal notes included (agents, leads).
    Staff(String),
    /// New work and changes for one agent.
    Agent(String),
    /// Live monitoring of a tenant (team leads).
    Monitor(String),
    /// A socket's own topic: gives it a subscription id before it follows anything.
    Socket(String),
}

#[derive(Default)]
pub struct Hub {
    subs: Mutex<HashMap<Topic, Vec<(u64, FrameTx)>>>,
    next: AtomicU64,
}

impl Hub {
    pub fn subscribe(&self, topic: Topic, tx: FrameTx) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().entry(topic).or_default().push((id, tx));
        id
    }

    /// Add another topic to an existing subscription id (one socket, many topics).
    pub fn subscribe_as(&self, id: u64, topic: Topic, tx: FrameTx) {
        let mut subs = self.lock();
        let list = subs.entry(topic).or_default();
        if !list.iter().any(|(i, _)| *i == id) {
            list.push((id, tx));
        }
    }

    pub fn unsubscribe(&self, topic: &Topic, id: u64) {
        let mut subs = self.lock();
        if let Some(list) = subs.get_mut(topic) {
            list.retain(|(i, _)| *i != id);
            if list.is_empty() {
                subs.remove(topic);
            }
        }
    }

    /// Send a frame to every subscriber of `topic`, dropping closed ones.
    pub fn publish(&self, topic: &Topic, frame: &serde_json::Value) {
        self.publish_text(topic, Frame::from(frame.to_string()));
    }

    /// [`Hub::publish`] for a frame already serialised (one frame, many topics).
    pub fn publish_text(&self, topic: &Topic, text: Frame) {
        let mut subs = self.lock();
        if let Some(list) = subs.get_mut(topic) {
            list.retain(|(_, tx)| tx.send(text.clone()).is_ok());
        }
    }

    /// Subscribe everyone listening on `from` to `to` as well (an agent's
    /// sockets start following a conversation assigned to them).
    pub fn link(&self, from: &Topic, to: Topic) {
        let mut subs = self.lock();
        let senders: Vec<(u64, FrameTx)> = subs.get(from).cloned().unwrap_or_default();
        let list = subs.entry(to).or_default();
        for (id, tx) in senders {
            if !list.iter().any(|(i, _)| *i == id) {
                list.push((id, tx));
            }
        }
    }

    /// Stop `from`'s listeners following `to` (a conversation transferred away).
    pub fn unlink(&self, from: &Topic, to: &Topic) {
        let mut subs = self.lock();
        let ids: Vec<u64> = subs
            .get(from)
            .map(|l| l.iter().map(|(i, _)| *i).collect())
            .unwrap_or_default();
        if let Some(list) = subs.get_mut(to) {
            list.retain(|(i, _)| !ids.contains(i));
        }
    }

    /// A socket closed: drop its subscription everywhere.
    pub fn unsubscribe_all(&self, id: u64) {
        let mut subs = self.lock();
        subs.retain(|_, list| {
            list.retain(|(i, _)| *i != id);
            !list.is_empty()
        });
    }

    pub fn has_subscribers(&self, topic: &Topic) -> bool {
        self.lock().get(topic).is_some_and(|l| !l.is_empty())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Topic, Vec<(u64, FrameTx)>>> {
        self.subs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_reach_subscribers_of_the_topic_only() {
        let hub = Hub::default();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (tx2, mut rx2) = mpsc::unbounded_channel();
        let id = hub.subscribe(Topic::Visitor("c1".into()), tx);
        hub.subscribe(Topic::Staff("c1".into()), tx2);
        hub.publish(
            &Topic::Visitor("c1".into()),
            &serde_json::json!({"type": "typing"}),
        );
        assert_eq!(&*rx.try_recv().unwrap(), r#"{"type":"typing"}"#);
        assert!(rx2.try_recv().is_err());
        hub.unsubscribe(&Topic::Visitor("c1".into()), id);
        hub.publish(
            &Topic::Visitor("c1".into()),
            &serde_json::json!({"type": "typing"}),
        );
        assert!(rx.try_recv().is_err());
    }
}

//! The event bus. Events are *notifications* that something already stored has
//! happened; subscribers that miss one re-read the store (DESIGN.md: nothing
//! depends on the bus being lossless). The embedded deployment uses this
//! in-process broadcast; a NATS implementation of the same interface comes with
//! scale-out.

use kefu_domain::TenantId;
use serde::Serialize;
use tokio::sync::broadcast;

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub tenant_id: TenantId,
    /// Dotted topic, e.g. `agent.status_changed`.
    pub topic: String,
    pub payload: serde_json::Value,
    pub at_ms: i64,
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl EventBus {
    pub fn in_process() -> Self {
        let (tx, _) = broadcast::channel(4096);
        Self { tx }
    }

    /// Publish; having no subscriber is fine.
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_receive_published_events() {
        let bus = EventBus::in_process();
        let mut rx = bus.subscribe();
        bus.publish(Event {
            tenant_id: TenantId::new(),
            topic: "agent.status_changed".into(),
            payload: serde_json::json!({"status": "online"}),
            at_ms: 1,
        });
        let got = rx.recv().await.unwrap();
        assert_eq!(got.topic, "agent.status_changed");
    }
}

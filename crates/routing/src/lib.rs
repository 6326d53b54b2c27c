//! kefu's routing engine (ACD): one library deciding who serves every chat,
//! call and ticket. Pure and deterministic — no I/O, no async, no clock: every
//! operation takes `now` — so it can be property-tested, simulated and
//! benchmarked alone, and rebuilt from stored state after a restart.
//!
//! Guarantees, checked by `Engine::check_invariants` and the property tests:
//! no agent is given work beyond their capacity or while their status forbids
//! it or outside their skill groups; FIFO within a priority class, with aging
//! across classes; no item waits in a queue while an eligible agent has room;
//! every item is assigned, offered, queued or given its fallback.

pub mod agents;
pub mod calendar;
pub mod engine;
pub mod explain;
mod invariants;
mod items;
pub mod model;
pub mod queue;
pub mod rules;
pub mod snapshot;
mod status;

pub use engine::{Decline, Engine, EngineConfig, HandleStats, RoutingError};
pub use explain::{Candidate, Exclusion, Explanation, Score, Verdict};
pub use model::*;

/// Where a waiting item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStatus {
    pub group: GroupId,
    /// 0 = served next.
    pub position: usize,
    pub queue_len: usize,
    /// None when nobody in the group is receiving (no honest estimate exists).
    pub estimated_wait_ms: Option<Millis>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallbackReason {
    OutsideHours,
    NobodyReceiving,
}

/// What happened. Operations return every outcome they caused in the order
/// they happened, starting with those of timers that fell due before the
/// operation itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A chat or ticket (or an accepted broadcast) now belongs to the agent.
    Assigned {
        item: ItemId,
        agent: AgentId,
        group: GroupId,
        waited_ms: Millis,
        explanation: Option<Box<Explanation>>,
    },
    /// A call rings at the agent until `ring_until`; their call capacity is held.
    Offered {
        item: ItemId,
        agent: AgentId,
        group: GroupId,
        ring_until: Millis,
        explanation: Option<Box<Explanation>>,
    },
    /// 抢单: the item waits in a broadcast group's pool and is shown to these
    /// agents; the first eligible member to `accept` it wins.
    Broadcast {
        item: ItemId,
        group: GroupId,
        agents: Vec<AgentId>,
    },
    /// Waiting in line.
    Queued {
        item: ItemId,
        group: GroupId,
        position: usize,
        estimated_wait_ms: Option<Millis>,
        /// Why nobody could take it now.
        explanation: Option<Box<Explanation>>,
    },
    /// Waiting for the customer's previous agent until `until`, then for anyone.
    StickyWait {
        item: ItemId,
        agent: AgentId,
        until: Millis,
    },
    /// Nobody can serve at all: leave a message / voicemail / ticket.
    Fallback {
        item: ItemId,
        group: GroupId,
        fallback: Fallback,
        reason: FallbackReason,
    },
    /// A call offer failed and the item went back to routing with its place kept.
    Requeued {
        item: ItemId,
        agent: AgentId,
        reason: Decline,
    },
    /// Too many unanswered offers: the agent was taken off receiving.
    AgentOnBreak { agent: AgentId, no_answers: u32 },
}

impl Outcome {
    pub fn item(&self) -> Option<ItemId> {
        match self {
            Outcome::Assigned { item, .. }
            | Outcome::Offered { item, .. }
            | Outcome::Broadcast { item, .. }
            | Outcome::Queued { item, .. }
            | Outcome::StickyWait { item, .. }
            | Outcome::Fallback { item, .. }
            | Outcome::Requeued { item, .. } => Some(*item),
            Outcome::AgentOnBreak { .. } => None,
        }
    }
}

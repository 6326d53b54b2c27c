//! The engine: state, the public operations, and the timer wheel that turns
//! time passing into events (ring timeouts, wrap-up ends, sticky deadlines,
//! overflow). Every operation takes `now`; the engine never reads a clock and
//! has no I/O, so the same inputs give the same decisions.

use crate::agents::{Agent, Key, Slot};
use crate::model::*;
use crate::queue::Queue;
use crate::Outcome;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Seed for weighted random draws.
    pub seed: u64,
    /// Build an explanation for every decision (cheap, but not free).
    pub explain: bool,
    /// Where "today" starts for fewest-served-today (minutes east of UTC).
    pub utc_offset_minutes: i32,
    /// Assumed handle time per media before any work has been completed.
    pub default_handle_ms: [Millis; 3],
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            seed: 0x6b65_6675,
            explain: true,
            utc_offset_minutes: 480,
            default_handle_ms: [300_000, 180_000, 3_600_000],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutingError {
    UnknownGroup(GroupId),
    UnknownAgent(AgentId),
    UnknownItem(ItemId),
    DuplicateItem(ItemId),
    /// The item is not on offer to this agent (already taken, timed out…).
    NotOffered {
        item: ItemId,
        agent: AgentId,
    },
    /// The agent can no longer take it (full, not receiving…).
    NotEligible {
        item: ItemId,
        agent: AgentId,
    },
}

/// Recent handle times of one (group, media): an exponential moving average.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HandleStats {
    pub mean_ms: f64,
    pub samples: u64,
}

impl HandleStats {
    pub(crate) fn record(&mut self, ms: Millis) {
        // The first samples are averaged plainly; after that recent work counts
        // more (alpha 0.05 ≈ the last 20 completions) so estimates follow the day.
        self.samples += 1;
        let alpha = (1.0 / self.samples as f64).max(0.05);
        self.mean_ms += alpha * (ms.max(0) as f64 - self.mean_ms);
    }
}

pub(crate) struct Group {
    pub cfg: GroupConfig,
    pub avail: [BTreeMap<Key, u32>; 3],
    pub queues: [Queue; 3],
    pub members: Vec<u32>,
    /// Members whose status allows receiving, busy or not: zero means nobody
    /// can ever take work here, so arrivals get the fallback at once.
    pub receivers: u32,
    pub stats: [HandleStats; 3],
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum State {
    Queued,
    StickyWait {
        agent: u32,
        until: Millis,
    },
    Offered {
        agent: u32,
        group: u32,
        until: Millis,
    },
    Assigned {
        agent: u32,
        group: u32,
        at: Millis,
    },
}

pub(crate) struct Item {
    pub w: WorkItem,
    pub seq: u64,
    pub state: State,
    /// Groups the item is routed in: its own and any it overflowed to. While
    /// queued it sits in each of these groups' queues.
    pub groups: Vec<u32>,
    pub gen: u32,
}

/// Timers carry ids (not internal indexes) so their order is the same after a
/// restore; a stale timer is recognised by its generation and skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Timer {
    AgentReady(AgentId),
    Ring(ItemId),
    Sticky(ItemId),
    Overflow(ItemId),
}

pub struct Engine {
    pub(crate) cfg: EngineConfig,
    pub(crate) now: Millis,
    pub(crate) day: i64,
    pub(crate) seq: u64,
    pub(crate) groups: Vec<Group>,
    pub(crate) group_ix: HashMap<GroupId, u32>,
    pub(crate) agents: Vec<Agent>,
    pub(crate) agent_ix: HashMap<AgentId, u32>,
    pub(crate) items: Vec<Option<Item>>,
    pub(crate) free: Vec<u32>,
    pub(crate) item_ix: HashMap<ItemId, u32>,
    pub(crate) timers: BinaryHeap<Reverse<(Millis, Timer, u32)>>,
}

impl Engine {
    pub fn new(cfg: EngineConfig) -> Self {
        Self {
            cfg,
            now: 0,
            day: 0,
            seq: 0,
            groups: Vec::new(),
            group_ix: HashMap::new(),
            agents: Vec::new(),
            agent_ix: HashMap::new(),
            items: Vec::new(),
            free: Vec::new(),
            item_ix: HashMap::new(),
            timers: BinaryHeap::new(),
        }
    }

    pub fn now(&self) -> Millis {
        self.now
    }

    /// Add a skill group or change its configuration (strategy, calendar,
    /// overflow…). A strategy change re-orders the group's agents at once.
    pub fn configure_group(&mut self, cfg: GroupConfig) {
        match self.group_ix.get(&cfg.id) {
            Some(&g) => {
                let strategy_changed = self.groups[g as usize].cfg.strategy != cfg.strategy;
                self.groups[g as usize].cfg = cfg;
                if strategy_changed {
                    for a in self.groups[g as usize].members.clone() {
                        self.unindex(a);
                        self.reindex(a);
                    }
                }
            }
            None => {
                let g = self.groups.len() as u32;
                let default = self.cfg.default_handle_ms;
                self.group_ix.insert(cfg.id, g);
                self.groups.push(Group {
                    cfg,
                    avail: Default::default(),
                    queues: Default::default(),
                    members: Vec::new(),
                    receivers: 0,
                    stats: default.map(|d| HandleStats {
                        mean_ms: d as f64,
                        samples: 0,
                    }),
                });
            }
        }
    }

    pub(crate) fn group_ix(&self, g: GroupId) -> Option<u32> {
        self.group_ix.get(&g).copied()
    }

    pub(crate) fn item(&self, i: u32) -> &Item {
        self.items[i as usize]
            .as_ref()
            .expect("item index refers to a live item")
    }

    pub(crate) fn item_mut(&mut self, i: u32) -> &mut Item {
        self.items[i as usize]
            .as_mut()
            .expect("item index refers to a live item")
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub(crate) fn schedule(&mut self, at: Millis, t: Timer, gen: u32) {
        self.timers.push(Reverse((at, t, gen)));
    }

    fn local_day(&self, now: Millis) -> i64 {
        (now + self.cfg.utc_offset_minutes as i64 * 60_000).div_euclid(86_400_000)
    }

    /// Move the clock forward, firing every timer that is due, in time order.
    /// The clock never goes back: an earlier `now` is treated as the current time.
    pub fn advance(&mut self, now: Millis) -> Vec<Outcome> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        out
    }

    pub(crate) fn advance_into(&mut self, now: Millis, out: &mut Vec<Outcome>) {
        while let Some(Reverse((at, timer, gen))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            self.set_now(at);
            self.fire(timer, gen, out);
        }
        self.set_now(now);
    }

    fn set_now(&mut self, t: Millis) {
        if t > self.now {
            self.now = t;
        }
        let day = self.local_day(self.now);
        if day != self.day {
            self.day = day;
            // "Served today" restarts at midnight: re-key groups that order by it.
            if self
                .groups
                .iter()
                .any(|g| g.cfg.strategy == Strategy::FewestToday)
            {
                for a in 0..self.agents.len() as u32 {
                    self.reindex(a);
                }
            }
        }
    }

    fn fire(&mut self, timer: Timer, gen: u32, out: &mut Vec<Outcome>) {
        match timer {
            Timer::AgentReady(id) => {
                if let Some(&a) = self.agent_ix.get(&id) {
                    self.reindex(a);
                    self.pull(a, out);
                }
            }
            Timer::Ring(id) => {
                if let Some(i) = self.live_item(id, gen) {
                    if let State::Offered { agent, .. } = self.item(i).state {
                        self.decline_offer(i, agent, Decline::NoAnswer, out);
                    }
                }
            }
            Timer::Sticky(id) => {
                if let Some(i) = self.live_item(id, gen) {
                    if let State::StickyWait { agent, .. } = self.item(i).state {
                        self.agents[agent as usize].sticky.retain(|x| *x != i);
                        self.route(i, out);
                    }
                }
            }
            Timer::Overflow(id) => {
                if let Some(&i) = self.item_ix.get(&id) {
                    // The generation is the arrival's sequence number, so a timer
                    // of an earlier item with a reused id does nothing.
                    if self.item(i).state == State::Queued && self.item(i).seq as u32 == gen {
                        self.requeue_with_overflow(i, out);
                    }
                }
            }
        }
    }

    fn live_item(&self, id: ItemId, gen: u32) -> Option<u32> {
        self.item_ix
            .get(&id)
            .copied()
            .filter(|&i| self.item(i).gen == gen)
    }

    fn agent(&self, id: AgentId) -> Result<u32, RoutingError> {
        self.agent_ix
            .get(&id)
            .copied()
            .filter(|&a| !self.agents[a as usize].removed)
            .ok_or(RoutingError::UnknownAgent(id))
    }

    /// Add an agent or replace their description (groups, levels, capacities,
    /// status). Whatever room they have is filled from the queues at once.
    pub fn upsert_agent(
        &mut self,
        now: Millis,
        spec: AgentSpec,
    ) -> Result<Vec<Outcome>, RoutingError> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        let mut wanted = Vec::with_capacity(spec.groups.len());
        for (g, level) in &spec.groups {
            let gi = self.group_ix(*g).ok_or(RoutingError::UnknownGroup(*g))?;
            if !wanted.iter().any(|(x, _)| *x == gi) {
                wanted.push((gi, (*level).clamp(1, 10)));
            }
        }
        let a = match self.agent_ix.get(&spec.id) {
            Some(&a) => a,
            None => {
                let a = self.agents.len() as u32;
                self.agent_ix.insert(spec.id, a);
                self.agents.push(Agent {
                    id: spec.id,
                    receiving: false,
                    slots: Vec::new(),
                    capacity: [0; 3],
                    weight: 0,
                    load: [0; 3],
                    last_assigned_at: None,
                    idle_since: Some(now),
                    wrap_up_until: 0,
                    delayed_until: 0,
                    no_answers: 0,
                    served_today: 0,
                    served_day: self.day,
                    sticky: Vec::new(),
                    removed: false,
                });
                a
            }
        };
        self.unindex(a);
        self.set_membership(a, &wanted, spec.receiving);
        let agent = &mut self.agents[a as usize];
        agent.removed = false;
        agent.capacity = spec.capacity;
        agent.weight = spec.weight;
        self.reindex(a);
        // Customers waiting for this agent in a group they just left stop waiting.
        let left: Vec<u32> = self.agents[a as usize]
            .sticky
            .iter()
            .copied()
            .filter(|&i| {
                self.group_ix(self.item(i).w.group)
                    .is_none_or(|g| self.agents[a as usize].slot_of(g).is_none())
            })
            .collect();
        self.agents[a as usize].sticky.retain(|i| !left.contains(i));
        for i in left {
            self.route(i, &mut out);
        }
        self.pull(a, &mut out);
        Ok(out)
    }

    /// Rewrite group memberships and receiver counts, keeping rotation stamps
    /// of groups the agent stays in.
    pub(crate) fn set_membership(&mut self, a: u32, wanted: &[(u32, u8)], receiving: bool) {
        let old = std::mem::take(&mut self.agents[a as usize].slots);
        let was_receiving = self.agents[a as usize].receiving && !self.agents[a as usize].removed;
        for s in &old {
            let g = &mut self.groups[s.group as usize];
            g.members.retain(|m| *m != a);
            if was_receiving {
                g.receivers -= 1;
            }
        }
        let slots = wanted
            .iter()
            .map(|(g, level)| Slot {
                group: *g,
                level: *level,
                rr: old
                    .iter()
                    .find(|s| s.group == *g)
                    .map(|s| s.rr)
                    .unwrap_or(0),
                keys: [None; 3],
            })
            .collect::<Vec<_>>();
        for s in &slots {
            let g = &mut self.groups[s.group as usize];
            g.members.push(a);
            if receiving {
                g.receivers += 1;
            }
        }
        let agent = &mut self.agents[a as usize];
        agent.slots = slots;
        if receiving && !agent.receiving {
            agent.no_answers = 0;
        }
        agent.receiving = receiving;
    }

    /// Change an agent's reception status (接待状态). Becoming available pulls
    /// queued work at once.
    pub fn set_receiving(
        &mut self,
        now: Millis,
        id: AgentId,
        receiving: bool,
    ) -> Result<Vec<Outcome>, RoutingError> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        let a = self.agent(id)?;
        let wanted: Vec<(u32, u8)> = self.agents[a as usize]
            .slots
            .iter()
            .map(|s| (s.group, s.level))
            .collect();
        self.unindex(a);
        self.set_membership(a, &wanted, receiving);
        self.reindex(a);
        if !receiving {
            // Customers waiting for this agent in particular stop waiting: the
            // agent went on break, so the sticky wait would only cost them time.
            for i in std::mem::take(&mut self.agents[a as usize].sticky) {
                self.route(i, &mut out);
            }
        }
        self.pull(a, &mut out);
        Ok(out)
    }

    /// Change one capacity (e.g. the chat reception limit 接待上限). Raising it
    /// pulls queued work; lowering it below the current load takes nothing away
    /// but gives nothing new until the load falls.
    pub fn set_capacity(
        &mut self,
        now: Millis,
        id: AgentId,
        media: Media,
        capacity: u16,
    ) -> Result<Vec<Outcome>, RoutingError> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        let a = self.agent(id)?;
        self.agents[a as usize].capacity[media.idx()] = capacity;
        self.reindex(a);
        self.pull(a, &mut out);
        Ok(out)
    }

    /// The agent leaves (logged out for good, deleted). Work they hold stays
    /// theirs until finished; items waiting for them in particular are routed
    /// to others now.
    pub fn remove_agent(&mut self, now: Millis, id: AgentId) -> Result<Vec<Outcome>, RoutingError> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        let a = self.agent(id)?;
        self.unindex(a);
        self.set_membership(a, &[], false);
        self.agents[a as usize].removed = true;
        for i in std::mem::take(&mut self.agents[a as usize].sticky) {
            self.route(i, &mut out);
        }
        Ok(out)
    }

    /// Give every agent's free room its queued work — after a `restore`, which
    /// rebuilds state without deciding anything.
    pub fn settle(&mut self, now: Millis) -> Vec<Outcome> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        for a in 0..self.agents.len() as u32 {
            self.reindex(a);
            self.pull(a, &mut out);
        }
        out
    }

    /// Estimated handle time currently used for a group's media.
    pub fn handle_stats(&self, group: GroupId, media: Media) -> Option<HandleStats> {
        self.group_ix(group)
            .map(|g| self.groups[g as usize].stats[media.idx()])
    }

    /// Queue length of a group's media.
    pub fn queue_len(&self, group: GroupId, media: Media) -> usize {
        self.group_ix(group)
            .map(|g| self.groups[g as usize].queues[media.idx()].len())
            .unwrap_or(0)
    }

    /// Agents (by id) who can take work of this media in this group right now.
    pub fn available_agents(&self, group: GroupId, media: Media) -> Vec<AgentId> {
        self.group_ix(group)
            .map(|g| {
                self.groups[g as usize].avail[media.idx()]
                    .values()
                    .map(|a| self.agents[*a as usize].id)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Current load of an agent per media.
    pub fn agent_load(&self, id: AgentId) -> Option<[u16; 3]> {
        self.agent_ix
            .get(&id)
            .map(|a| self.agents[*a as usize].load)
    }

    /// Number of items the engine holds (queued, offered or being served).
    pub fn item_count(&self) -> usize {
        self.item_ix.len()
    }
}

/// Why a call offer did not connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decline {
    NoAnswer,
    Reject,
    Busy,
}

//! The engine's state as plain data, and rebuilding an engine from it. The
//! server restores the engine after a restart from what the database holds
//! (queued items, agents' states); everything else — indexes, queues, timers —
//! is derived, so a restored engine decides exactly as the original would.

use crate::agents::{Agent, Slot};
use crate::engine::{Engine, EngineConfig, HandleStats, Item, State, Timer};
use crate::model::*;
use crate::queue::Entry;

#[derive(Debug, Clone, PartialEq)]
pub struct AgentSnapshot {
    pub spec: AgentSpec,
    pub load: [u16; 3],
    pub last_assigned_at: Option<Millis>,
    pub idle_since: Option<Millis>,
    pub wrap_up_until: Millis,
    pub delayed_until: Millis,
    pub no_answers: u32,
    pub served_today: u32,
    pub served_day: i64,
    /// Round-robin memory per group.
    pub rotation: Vec<(GroupId, u64)>,
    /// Removed agents are kept while they may still hold work, so a restart
    /// does not lose what they are finishing.
    pub removed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemStateSnapshot {
    Queued,
    StickyWait {
        agent: AgentId,
        until: Millis,
    },
    Offered {
        agent: AgentId,
        group: GroupId,
        until: Millis,
    },
    Assigned {
        agent: AgentId,
        group: GroupId,
        at: Millis,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ItemSnapshot {
    pub item: WorkItem,
    /// Arrival order; breaks ties between equal enqueue times.
    pub seq: u64,
    pub state: ItemStateSnapshot,
    pub groups: Vec<GroupId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub now: Millis,
    pub seq: u64,
    pub agents: Vec<AgentSnapshot>,
    pub items: Vec<ItemSnapshot>,
    pub handle_stats: Vec<(GroupId, [HandleStats; 3])>,
}

impl Engine {
    pub fn snapshot(&self) -> Snapshot {
        let gid = |g: u32| self.groups[g as usize].cfg.id;
        let aid = |a: u32| self.agents[a as usize].id;
        let agents = self
            .agents
            .iter()
            .map(|a| AgentSnapshot {
                spec: AgentSpec {
                    id: a.id,
                    receiving: a.receiving,
                    groups: a.slots.iter().map(|s| (gid(s.group), s.level)).collect(),
                    capacity: a.capacity,
                    weight: a.weight,
                },
                load: a.load,
                last_assigned_at: a.last_assigned_at,
                idle_since: a.idle_since,
                wrap_up_until: a.wrap_up_until,
                delayed_until: a.delayed_until,
                no_answers: a.no_answers,
                served_today: a.served_today,
                served_day: a.served_day,
                rotation: a.slots.iter().map(|s| (gid(s.group), s.rr)).collect(),
                removed: a.removed,
            })
            .collect();
        let mut items: Vec<ItemSnapshot> = self
            .items
            .iter()
            .flatten()
            .map(|it| ItemSnapshot {
                item: it.w.clone(),
                seq: it.seq,
                groups: it.groups.iter().map(|g| gid(*g)).collect(),
                state: match &it.state {
                    State::Queued => ItemStateSnapshot::Queued,
                    State::StickyWait { agent, until } => ItemStateSnapshot::StickyWait {
                        agent: aid(*agent),
                        until: *until,
                    },
                    State::Offered {
                        agent,
                        group,
                        until,
                    } => ItemStateSnapshot::Offered {
                        agent: aid(*agent),
                        group: gid(*group),
                        until: *until,
                    },
                    State::Assigned { agent, group, at } => ItemStateSnapshot::Assigned {
                        agent: aid(*agent),
                        group: gid(*group),
                        at: *at,
                    },
                },
            })
            .collect();
        items.sort_by_key(|i| i.seq);
        Snapshot {
            now: self.now,
            seq: self.seq,
            agents,
            items,
            handle_stats: self.groups.iter().map(|g| (g.cfg.id, g.stats)).collect(),
        }
    }

    /// Rebuild an engine from group configurations and a snapshot. Unknown
    /// groups or agents referenced by the snapshot are skipped (they were
    /// deleted while the server was down).
    pub fn restore(cfg: EngineConfig, groups: Vec<GroupConfig>, snap: &Snapshot) -> Engine {
        let mut e = Engine::new(cfg);
        for g in groups {
            e.configure_group(g);
        }
        e.now = snap.now;
        e.day = (snap.now + e.cfg.utc_offset_minutes as i64 * 60_000).div_euclid(86_400_000);
        e.seq = snap.seq;
        for (g, stats) in &snap.handle_stats {
            if let Some(gi) = e.group_ix(*g) {
                e.groups[gi as usize].stats = *stats;
            }
        }
        for s in &snap.agents {
            let a = e.agents.len() as u32;
            let slots: Vec<Slot> = s
                .spec
                .groups
                .iter()
                .filter_map(|(g, level)| {
                    let gi = e.group_ix(*g)?;
                    let rr = s
                        .rotation
                        .iter()
                        .find(|(x, _)| x == g)
                        .map(|(_, r)| *r)
                        .unwrap_or(0);
                    Some(Slot {
                        group: gi,
                        level: *level,
                        rr,
                        keys: [None; 3],
                    })
                })
                .collect();
            for slot in &slots {
                let grp = &mut e.groups[slot.group as usize];
                grp.members.push(a);
                if s.spec.receiving {
                    grp.receivers += 1;
                }
            }
            e.agent_ix.insert(s.spec.id, a);
            e.agents.push(Agent {
                id: s.spec.id,
                receiving: s.spec.receiving,
                slots,
                capacity: s.spec.capacity,
                weight: s.spec.weight,
                load: [0; 3],
                last_assigned_at: s.last_assigned_at,
                idle_since: s.idle_since,
                wrap_up_until: s.wrap_up_until,
                delayed_until: s.delayed_until,
                no_answers: s.no_answers,
                served_today: s.served_today,
                served_day: s.served_day,
                sticky: Vec::new(),
                removed: s.removed,
            });
            if s.wrap_up_until > e.now {
                e.schedule(s.wrap_up_until, Timer::AgentReady(s.spec.id), 0);
            }
            if s.delayed_until > e.now {
                e.schedule(s.delayed_until, Timer::AgentReady(s.spec.id), 0);
            }
        }
        for s in &snap.items {
            let i = e.items.len() as u32;
            let groups: Vec<u32> = s.groups.iter().filter_map(|g| e.group_ix(*g)).collect();
            let agent = |id: &AgentId| e.agent_ix.get(id).copied();
            let group = |id: &GroupId| e.group_ix(*id);
            let m = s.item.media.idx();
            let state = match &s.state {
                ItemStateSnapshot::Queued => Some(State::Queued),
                ItemStateSnapshot::StickyWait { agent: a, until } => {
                    agent(a).map(|a| State::StickyWait {
                        agent: a,
                        until: *until,
                    })
                }
                ItemStateSnapshot::Offered {
                    agent: a,
                    group: g,
                    until,
                } => agent(a).zip(group(g)).map(|(a, g)| State::Offered {
                    agent: a,
                    group: g,
                    until: *until,
                }),
                ItemStateSnapshot::Assigned {
                    agent: a,
                    group: g,
                    at,
                } => agent(a).zip(group(g)).map(|(a, g)| State::Assigned {
                    agent: a,
                    group: g,
                    at: *at,
                }),
            };
            let (Some(state), false) = (state, groups.is_empty()) else {
                continue;
            };
            let id = s.item.id;
            match &state {
                State::Queued => {
                    let entry = Entry {
                        enq: s.item.enqueued_at,
                        seq: s.seq,
                        item: i,
                    };
                    for &g in &groups {
                        e.groups[g as usize].queues[m].insert(s.item.priority.idx(), entry);
                    }
                }
                State::StickyWait { agent, until } => {
                    e.agents[*agent as usize].sticky.push(i);
                    e.schedule(*until, Timer::Sticky(id), 0);
                }
                State::Offered { agent, until, .. } => {
                    e.agents[*agent as usize].load[m] += 1;
                    e.schedule(*until, Timer::Ring(id), 0);
                }
                State::Assigned { agent, .. } => e.agents[*agent as usize].load[m] += 1,
            }
            e.item_ix.insert(id, i);
            e.items.push(Some(Item {
                w: s.item.clone(),
                seq: s.seq,
                state,
                groups,
                gen: 0,
            }));
            let home = e.group_ix(s.item.group);
            let waits: Vec<Millis> = home
                .map(|h| {
                    e.groups[h as usize]
                        .cfg
                        .overflow
                        .iter()
                        .filter_map(|o| o.after_wait_ms)
                        .collect()
                })
                .unwrap_or_default();
            for w in waits {
                if s.item.enqueued_at + w > e.now {
                    e.schedule(s.item.enqueued_at + w, Timer::Overflow(id), s.seq as u32);
                }
            }
        }
        for a in 0..e.agents.len() as u32 {
            e.reindex(a);
        }
        e
    }
}

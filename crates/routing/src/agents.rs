//! Agents' live state, their ordering keys per skill group, and keeping each
//! group's "available" index exact. An agent is in `avail[m]` of a group exactly
//! when they are a member, may receive, have room for media `m`, and are not in
//! wrap-up or held back — so picking an agent is taking the first key.

use crate::engine::Engine;
use crate::explain::{Exclusion, Score};
use crate::model::{AgentId, Media, Millis, Strategy};

/// Strategy measure first, then a tie-break, then the agent id so keys are
/// unique and ties resolve the same way after a restore.
pub(crate) type Key = (u64, u64, u64);

#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub group: u32,
    pub level: u8,
    /// Rotation stamp in this group (round robin): the engine sequence number
    /// of the last item this agent received from this group; 0 = never.
    pub rr: u64,
    pub keys: [Option<Key>; 3],
}

#[derive(Debug, Clone)]
pub(crate) struct Agent {
    pub id: AgentId,
    pub receiving: bool,
    pub slots: Vec<Slot>,
    pub capacity: [u16; 3],
    pub weight: u32,
    pub load: [u16; 3],
    pub last_assigned_at: Option<Millis>,
    pub idle_since: Option<Millis>,
    pub wrap_up_until: Millis,
    pub delayed_until: Millis,
    pub no_answers: u32,
    pub served_today: u32,
    pub served_day: i64,
    /// Items waiting specifically for this agent (sticky routing).
    pub sticky: Vec<u32>,
    pub removed: bool,
}

impl Agent {
    /// Why this agent cannot take work of media `m` now, if they cannot.
    pub fn blocked(&self, m: Media, now: Millis) -> Option<Exclusion> {
        let i = m.idx();
        if !self.receiving || self.removed {
            return Some(Exclusion::NotReceiving);
        }
        if self.load[i] >= self.capacity[i] {
            return Some(Exclusion::Full {
                load: self.load[i],
                capacity: self.capacity[i],
            });
        }
        // Wrap-up and no-answer holds concern calls: an agent writing up a call
        // can still be given a ticket.
        if m == Media::Call && self.wrap_up_until > now {
            return Some(Exclusion::WrapUp {
                until: self.wrap_up_until,
            });
        }
        if m == Media::Call && self.delayed_until > now {
            return Some(Exclusion::Delayed {
                until: self.delayed_until,
            });
        }
        None
    }

    pub fn ratio(&self, m: Media) -> u64 {
        ((self.load[m.idx()] as u64) << 32) / (self.capacity[m.idx()].max(1) as u64)
    }

    pub fn served_on(&self, day: i64) -> u32 {
        if self.served_day == day {
            self.served_today
        } else {
            0
        }
    }

    pub fn slot_of(&self, group: u32) -> Option<usize> {
        self.slots.iter().position(|s| s.group == group)
    }

    pub fn key(&self, slot: &Slot, m: Media, strategy: Strategy, day: i64) -> Key {
        let ratio = self.ratio(m);
        let id = self.id.0;
        let stamp = |t: Option<Millis>| t.map(|t| t.max(0) as u64 + 1).unwrap_or(0);
        match strategy {
            Strategy::RoundRobin => (slot.rr, 0, id),
            Strategy::LeastBusy | Strategy::Sticky { .. } => {
                (ratio, stamp(self.last_assigned_at), id)
            }
            Strategy::LongestIdle => {
                if self.load[m.idx()] == 0 {
                    (0, stamp(self.idle_since), id)
                } else {
                    (1, ratio, id)
                }
            }
            Strategy::MostSkilled => (10u64.saturating_sub(slot.level as u64), ratio, id),
            Strategy::FewestToday => (self.served_on(day) as u64, ratio, id),
            Strategy::WeightedRandom | Strategy::Broadcast => (0, 0, id),
        }
    }

    pub fn score(&self, slot: &Slot, m: Media, strategy: Strategy, day: i64) -> Score {
        let ratio = self.load[m.idx()] as f64 / self.capacity[m.idx()].max(1) as f64;
        match strategy {
            Strategy::RoundRobin => Score::Rotation {
                last_served: slot.rr,
            },
            Strategy::LeastBusy | Strategy::Sticky { .. } => Score::Load { ratio },
            Strategy::LongestIdle => Score::Idle {
                idle_since: if self.load[m.idx()] == 0 {
                    Some(self.idle_since.unwrap_or(0))
                } else {
                    None
                },
                ratio,
            },
            Strategy::MostSkilled => Score::Skill {
                level: slot.level,
                ratio,
            },
            Strategy::FewestToday => Score::Today {
                served: self.served_on(day),
                ratio,
            },
            Strategy::WeightedRandom => Score::Weight {
                weight: self.weight,
            },
            Strategy::Broadcast => Score::Broadcast,
        }
    }
}

impl Engine {
    /// Bring every group index of agent `a` up to date with its state.
    pub(crate) fn reindex(&mut self, a: u32) {
        let now = self.now;
        let day = self.day;
        for s in 0..self.agents[a as usize].slots.len() {
            for m in Media::ALL {
                let agent = &self.agents[a as usize];
                let slot = &agent.slots[s];
                let g = slot.group as usize;
                let strategy = self.groups[g].cfg.strategy;
                let new = agent
                    .blocked(m, now)
                    .is_none()
                    .then(|| agent.key(slot, m, strategy, day));
                let old = slot.keys[m.idx()];
                if new != old {
                    let avail = &mut self.groups[g].avail[m.idx()];
                    if let Some(k) = old {
                        avail.remove(&k);
                    }
                    if let Some(k) = new {
                        avail.insert(k, a);
                    }
                    self.agents[a as usize].slots[s].keys[m.idx()] = new;
                }
            }
        }
    }

    /// Take agent `a` out of every group index (before removing or regrouping).
    pub(crate) fn unindex(&mut self, a: u32) {
        for s in 0..self.agents[a as usize].slots.len() {
            let g = self.agents[a as usize].slots[s].group as usize;
            for m in Media::ALL {
                if let Some(k) = self.agents[a as usize].slots[s].keys[m.idx()].take() {
                    self.groups[g].avail[m.idx()].remove(&k);
                }
            }
        }
    }

    /// Agent `a` may have room: give them queued work until they have none,
    /// best-scored first across all their groups (and items waiting for them
    /// in particular before anything else).
    pub(crate) fn pull(&mut self, a: u32, out: &mut Vec<crate::Outcome>) {
        // Each round either raises the agent's load or takes an item out of a
        // queue (a broadcast), so this ends.
        while let Some((item, group)) = self.best_for(a) {
            self.dispatch_from_queue(item, group, a, out);
        }
        // Broadcast pools are not handed out: show this agent what waits there.
        let agent = &self.agents[a as usize];
        let mut shown = Vec::new();
        for slot in &agent.slots {
            let g = &self.groups[slot.group as usize];
            if g.cfg.strategy != Strategy::Broadcast {
                continue;
            }
            for m in Media::ALL {
                if agent.blocked(m, self.now).is_none() {
                    for (_, e) in g.queues[m.idx()].in_order(&g.cfg.class_base_ms) {
                        shown.push(crate::Outcome::Broadcast {
                            item: self.item(e.item).w.id,
                            group: g.cfg.id,
                            agents: vec![agent.id],
                        });
                    }
                }
            }
        }
        out.extend(shown);
    }

    fn best_for(&self, a: u32) -> Option<(u32, u32)> {
        let agent = &self.agents[a as usize];
        // (rank, item, group): sticky items first, then by aged score, then seq.
        type Rank = (i64, Millis, std::cmp::Reverse<u64>);
        let mut best: Option<(Rank, u32, u32)> = None;
        for m in Media::ALL {
            if agent.blocked(m, self.now).is_some() {
                continue;
            }
            for &i in &agent.sticky {
                let it = self.item(i);
                if it.w.media == m {
                    // Sticky items outrank any queue: they wait for this agent alone.
                    let rank = (1, -it.w.enqueued_at, std::cmp::Reverse(it.seq));
                    let group = self.group_ix(it.w.group).unwrap_or(0);
                    if best.as_ref().is_none_or(|(r, _, _)| rank > *r) {
                        best = Some((rank, i, group));
                    }
                }
            }
            for slot in &agent.slots {
                let g = &self.groups[slot.group as usize];
                if g.cfg.strategy == Strategy::Broadcast {
                    continue;
                }
                if let Some((c, e)) = g.queues[m.idx()].head(&g.cfg.class_base_ms) {
                    let rank = (0, g.cfg.class_base_ms[c] - e.enq, std::cmp::Reverse(e.seq));
                    if best.as_ref().is_none_or(|(r, _, _)| rank > *r) {
                        best = Some((rank, e.item, slot.group));
                    }
                }
            }
        }
        best.map(|(_, i, g)| (i, g))
    }
}

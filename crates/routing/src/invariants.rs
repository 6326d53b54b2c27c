//! A full consistency check of the engine's indexes against its state, used by
//! the property tests after every step (and available to the server in debug
//! builds). It recomputes everything from scratch, so it is slow on purpose.

use crate::engine::{Engine, State};
use crate::model::Media;
use crate::queue::Entry;
use std::collections::BTreeMap;

impl Engine {
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut load = vec![[0u16; 3]; self.agents.len()];
        let mut queued: Vec<BTreeMap<(usize, usize), usize>> =
            vec![BTreeMap::new(); self.groups.len()];
        for (i, it) in self.items.iter().enumerate() {
            let Some(it) = it else { continue };
            let m = it.w.media.idx();
            match &it.state {
                State::Offered { agent, .. } | State::Assigned { agent, .. } => {
                    load[*agent as usize][m] += 1
                }
                State::Queued => {
                    for &g in &it.groups {
                        let grp = &self.groups[g as usize];
                        let e = Entry {
                            enq: it.w.enqueued_at,
                            seq: it.seq,
                            item: i as u32,
                        };
                        let pos =
                            grp.queues[m].position(&grp.cfg.class_base_ms, it.w.priority.idx(), &e);
                        if grp.queues[m]
                            .in_order(&grp.cfg.class_base_ms)
                            .get(pos)
                            .map(|x| x.1)
                            != Some(e)
                        {
                            return Err(format!(
                                "item {:?} is queued but missing from group {:?}",
                                it.w.id, grp.cfg.id
                            ));
                        }
                        *queued[g as usize].entry((m, 0)).or_default() += 1;
                    }
                }
                State::StickyWait { agent, .. } => {
                    if !self.agents[*agent as usize].sticky.contains(&(i as u32)) {
                        return Err(format!(
                            "item {:?} waits for an agent who does not know",
                            it.w.id
                        ));
                    }
                }
            }
        }
        for (a, agent) in self.agents.iter().enumerate() {
            if agent.load != load[a] {
                return Err(format!(
                    "agent {:?} load {:?} but holds {:?}",
                    agent.id, agent.load, load[a]
                ));
            }
        }
        for (g, grp) in self.groups.iter().enumerate() {
            let receivers = grp
                .members
                .iter()
                .filter(|a| self.agents[**a as usize].receiving)
                .count() as u32;
            if receivers != grp.receivers {
                return Err(format!(
                    "group {:?} counts {} receivers, has {}",
                    grp.cfg.id, grp.receivers, receivers
                ));
            }
            for m in Media::ALL {
                let expected: BTreeMap<_, _> = grp
                    .members
                    .iter()
                    .filter_map(|&a| {
                        let agent = &self.agents[a as usize];
                        let slot = &agent.slots[agent.slot_of(g as u32)?];
                        agent
                            .blocked(m, self.now)
                            .is_none()
                            .then(|| (agent.key(slot, m, grp.cfg.strategy, self.day), a))
                    })
                    .collect();
                if expected != grp.avail[m.idx()] {
                    return Err(format!(
                        "group {:?} {:?}: available index is stale",
                        grp.cfg.id, m
                    ));
                }
                let n = queued[g].get(&(m.idx(), 0)).copied().unwrap_or(0);
                if n != grp.queues[m.idx()].len() {
                    return Err(format!(
                        "group {:?} {:?}: queue holds {} entries for {} queued items",
                        grp.cfg.id,
                        m,
                        grp.queues[m.idx()].len(),
                        n
                    ));
                }
                // The promise users care about most: nobody waits while someone
                // eligible has room.
                // (A broadcast pool waits for someone to accept, by design.)
                if n > 0
                    && !grp.avail[m.idx()].is_empty()
                    && grp.cfg.strategy != crate::model::Strategy::Broadcast
                {
                    return Err(format!(
                        "group {:?} {:?}: {} queued while {} agents have room",
                        grp.cfg.id,
                        m,
                        n,
                        grp.avail[m.idx()].len()
                    ));
                }
            }
        }
        Ok(())
    }
}

//! Reading the engine without changing it: where a waiting item stands (with
//! an honest estimated wait), and why a group would give an item to whom.

use crate::engine::{Engine, State};
use crate::explain::{Candidate, Explanation, Verdict};
use crate::model::*;
use crate::queue::Entry;
use crate::QueueStatus;

impl Engine {
    /// Where a waiting item stands: position (0 = next) in the first of its
    /// groups, queue length, and an estimated wait from recent handle times and
    /// the capacity of agents who are receiving.
    pub fn position(&self, item: ItemId) -> Option<QueueStatus> {
        self.item_ix.get(&item).and_then(|&i| self.status_of(i))
    }

    pub(crate) fn status_of(&self, i: u32) -> Option<QueueStatus> {
        let it = self.item(i);
        match it.state {
            State::Queued => {
                let g = *it.groups.first()?;
                let grp = &self.groups[g as usize];
                let m = it.w.media;
                let e = Entry {
                    enq: it.w.enqueued_at,
                    seq: it.seq,
                    item: i,
                };
                let position =
                    grp.queues[m.idx()].position(&grp.cfg.class_base_ms, it.w.priority.idx(), &e);
                let slots: u64 = grp
                    .members
                    .iter()
                    .map(|a| &self.agents[*a as usize])
                    .filter(|a| a.receiving)
                    .map(|a| a.capacity[m.idx()] as u64)
                    .sum();
                // Each busy slot frees on average every `mean` ms, so with `slots`
                // slots the (position+1)-th item waits about (position+1)·mean/slots.
                let estimated_wait_ms = (slots > 0).then(|| {
                    ((position as f64 + 1.0) * grp.stats[m.idx()].mean_ms / slots as f64) as Millis
                });
                Some(QueueStatus {
                    group: grp.cfg.id,
                    position,
                    queue_len: grp.queues[m.idx()].len(),
                    estimated_wait_ms,
                })
            }
            State::StickyWait { until, .. } => Some(QueueStatus {
                group: it.w.group,
                position: 0,
                queue_len: 1,
                estimated_wait_ms: Some((until - self.now).max(0)),
            }),
            _ => None,
        }
    }

    /// Why group `g` would give item `i` to `winner`: every member, excluded or scored.
    pub(crate) fn explain(&self, i: u32, g: u32, winner: Option<u32>) -> Explanation {
        let grp = &self.groups[g as usize];
        let m = self.item(i).w.media;
        let strategy = grp.cfg.strategy;
        let mut candidates: Vec<Candidate> = grp
            .members
            .iter()
            .map(|&a| {
                let agent = &self.agents[a as usize];
                let verdict = match agent.blocked(m, self.now) {
                    Some(x) => Verdict::Excluded(x),
                    None => {
                        let slot = agent.slot_of(g).map(|s| &agent.slots[s]);
                        match slot {
                            Some(_)
                                if Some(a) == winner
                                    && self.item(i).w.last_agent == Some(agent.id)
                                    && matches!(strategy, Strategy::Sticky { .. }) =>
                            {
                                Verdict::Eligible(crate::explain::Score::Sticky)
                            }
                            Some(slot) => {
                                Verdict::Eligible(agent.score(slot, m, strategy, self.day))
                            }
                            None => Verdict::Excluded(crate::explain::Exclusion::NotReceiving),
                        }
                    }
                };
                Candidate {
                    agent: agent.id,
                    verdict,
                }
            })
            .collect();
        candidates.sort_by_key(|c| c.agent);
        let winner_id = winner.map(|a| self.agents[a as usize].id);
        let eligible = candidates
            .iter()
            .filter(|c| matches!(c.verdict, Verdict::Eligible(_)))
            .count();
        let summary = match winner_id {
            Some(w) => format!(
                "{} chose agent {} among {} eligible of {} members",
                strategy.name(),
                w.0,
                eligible,
                candidates.len()
            ),
            None => format!(
                "no member of {} can take it now ({} members)",
                grp.cfg.id.0,
                candidates.len()
            ),
        };
        Explanation {
            group: grp.cfg.id,
            strategy: strategy.name(),
            candidates,
            winner: winner_id,
            summary,
        }
    }

    /// The decision that would be made for a queued item if it arrived now
    /// (for team leads asking "why is this one still waiting?").
    pub fn explain_item(&self, item: ItemId) -> Option<Explanation> {
        let &i = self.item_ix.get(&item)?;
        let g = *self.item(i).groups.first()?;
        Some(self.explain(i, g, None))
    }
}

//! Routing one item: arrival, picking an agent by the group's strategy,
//! queueing with positions and honest estimated waits, overflow, call offers,
//! broadcast pick-up, completion.

use crate::engine::{Decline, Engine, Item, RoutingError, State, Timer};
use crate::model::*;
use crate::queue::Entry;
use crate::{FallbackReason, Outcome, QueueStatus};

impl Engine {
    /// A new item arrives. After the outcomes of any timers that fell due
    /// first, the outcomes say what became of it: assigned,
    /// offered, broadcast, queued (with position and estimated wait), waiting
    /// for its previous agent, or the group's fallback when nobody can ever
    /// serve it (nobody receiving, or outside business hours).
    pub fn arrive(&mut self, now: Millis, w: WorkItem) -> Result<Vec<Outcome>, RoutingError> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        let home = self
            .group_ix(w.group)
            .ok_or(RoutingError::UnknownGroup(w.group))?;
        if self.item_ix.contains_key(&w.id) {
            return Err(RoutingError::DuplicateItem(w.id));
        }
        let m = w.media;
        // Long queue: spill at once to the overflow groups configured for it.
        let mut groups = vec![home];
        for o in &self.groups[home as usize].cfg.overflow {
            let long = o
                .queue_len_at_least
                .is_some_and(|n| self.groups[home as usize].queues[m.idx()].len() >= n);
            if let (true, Some(t)) = (long, self.group_ix(o.to)) {
                if o.mode == OverflowMode::Move {
                    groups.clear();
                }
                if !groups.contains(&t) {
                    groups.push(t);
                }
            }
        }
        if !self.anyone_could_serve(home, &groups) {
            let cfg = &self.groups[home as usize].cfg;
            let reason = if cfg.calendar.is_open(self.now) {
                FallbackReason::NobodyReceiving
            } else {
                FallbackReason::OutsideHours
            };
            out.insert(
                0,
                Outcome::Fallback {
                    item: w.id,
                    group: w.group,
                    fallback: cfg.fallback,
                    reason,
                },
            );
            return Ok(out);
        }
        let i = self.insert_item(w, groups);
        if !self.try_sticky(i, home, &mut out) {
            self.route(i, &mut out);
        }
        self.schedule_overflow(i);
        Ok(out)
    }

    /// Store a new item (reusing a free slot) in arrival order.
    fn insert_item(&mut self, w: WorkItem, groups: Vec<u32>) -> u32 {
        let id = w.id;
        let seq = self.next_seq();
        let item = Item {
            w,
            seq,
            state: State::Queued,
            groups,
            gen: 0,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.items[i as usize] = Some(item);
                i
            }
            None => {
                self.items.push(Some(item));
                (self.items.len() - 1) as u32
            }
        };
        self.item_ix.insert(id, i);
        i
    }

    /// Is there a group, among those the item may go to now or later, that is
    /// open and has anyone whose status allows receiving?
    fn anyone_could_serve(&self, home: u32, now_groups: &[u32]) -> bool {
        let later = self.groups[home as usize]
            .cfg
            .overflow
            .iter()
            .filter_map(|o| self.group_ix(o.to));
        now_groups.iter().copied().chain(later).any(|g| {
            let g = &self.groups[g as usize];
            g.receivers > 0 && g.cfg.calendar.is_open(self.now)
        })
    }

    /// 主叫记忆: hand the item to the customer's previous agent, or hold it for
    /// them until the group's sticky wait runs out.
    fn try_sticky(&mut self, i: u32, home: u32, out: &mut Vec<Outcome>) -> bool {
        let Strategy::Sticky { wait_ms } = self.groups[home as usize].cfg.strategy else {
            return false;
        };
        let Some(last) = self.item(i).w.last_agent else {
            return false;
        };
        let Some(&a) = self.agent_ix.get(&last) else {
            return false;
        };
        let agent = &self.agents[a as usize];
        if !agent.receiving || agent.removed || agent.slot_of(home).is_none() {
            return false;
        }
        let m = self.item(i).w.media;
        if agent.blocked(m, self.now).is_none() {
            self.assign(i, a, home, out);
            return true;
        }
        let until = self.item(i).w.enqueued_at + wait_ms;
        if until <= self.now {
            return false;
        }
        let it = self.item_mut(i);
        it.state = State::StickyWait { agent: a, until };
        it.gen += 1;
        let (id, gen) = (it.w.id, it.gen);
        self.agents[a as usize].sticky.push(i);
        self.schedule(until, Timer::Sticky(id), gen);
        out.push(Outcome::StickyWait {
            item: id,
            agent: last,
            until,
        });
        true
    }

    fn schedule_overflow(&mut self, i: u32) {
        let Some(it) = self.items[i as usize].as_ref() else {
            return;
        };
        let home = self.group_ix(it.w.group).unwrap_or(0);
        let (id, enq, gen) = (it.w.id, it.w.enqueued_at, it.seq as u32);
        let times: Vec<Millis> = self.groups[home as usize]
            .cfg
            .overflow
            .iter()
            .filter_map(|o| o.after_wait_ms)
            .map(|w| enq + w)
            .collect();
        for at in times {
            if at > self.now {
                self.schedule(at, Timer::Overflow(id), gen);
            }
        }
    }

    /// Overflow targets whose wait threshold has passed, added to (or, for
    /// "move", replacing) the item's groups.
    fn overflow_due(&mut self, i: u32) {
        let it = self.item(i);
        let home = self.group_ix(it.w.group).unwrap_or(0);
        let waited = self.now - it.w.enqueued_at;
        let due: Vec<(u32, OverflowMode)> = self.groups[home as usize]
            .cfg
            .overflow
            .iter()
            .filter(|o| o.after_wait_ms.is_some_and(|w| waited >= w))
            .filter_map(|o| self.group_ix(o.to).map(|t| (t, o.mode)))
            .collect();
        let it = self.item_mut(i);
        for (t, mode) in due {
            if mode == OverflowMode::Move {
                it.groups.retain(|g| *g == t);
            }
            if !it.groups.contains(&t) {
                it.groups.push(t);
            }
        }
    }

    pub(crate) fn requeue_with_overflow(&mut self, i: u32, out: &mut Vec<Outcome>) {
        self.dequeue(i);
        self.route(i, out);
    }

    /// Find an agent for item `i` in its groups (own group first); if none has
    /// room, queue it in every one of its groups.
    pub(crate) fn route(&mut self, i: u32, out: &mut Vec<Outcome>) {
        self.overflow_due(i);
        let m = self.item(i).w.media;
        let groups = self.item(i).groups.clone();
        for &g in &groups {
            if self.groups[g as usize].cfg.strategy != Strategy::Broadcast {
                if let Some(a) = self.pick(i, g) {
                    self.assign(i, a, g, out);
                    return;
                }
            }
        }
        self.enqueue(i);
        // 抢单 groups: the item waits in the pool and is shown to everyone who
        // could take it now; agents who free up later are shown it by `pull`.
        let mut offered = false;
        for &g in &groups {
            if self.groups[g as usize].cfg.strategy == Strategy::Broadcast
                && !self.groups[g as usize].avail[m.idx()].is_empty()
            {
                let agents = self.groups[g as usize].avail[m.idx()]
                    .values()
                    .map(|a| self.agents[*a as usize].id)
                    .collect();
                out.push(Outcome::Broadcast {
                    item: self.item(i).w.id,
                    group: self.groups[g as usize].cfg.id,
                    agents,
                });
                offered = true;
            }
        }
        if offered {
            return;
        }
        let explanation = self
            .cfg
            .explain
            .then(|| Box::new(self.explain(i, groups[0], None)));
        let item = self.item(i).w.id;
        let (group, position, estimated_wait_ms) = match self.status_of(i) {
            Some(s) => (s.group, s.position, s.estimated_wait_ms),
            None => (self.item(i).w.group, 0, None),
        };
        out.push(Outcome::Queued {
            item,
            group,
            position,
            estimated_wait_ms,
            explanation,
        });
    }

    /// The group's strategy picks among its available agents.
    fn pick(&self, i: u32, g: u32) -> Option<u32> {
        let m = self.item(i).w.media;
        let avail = &self.groups[g as usize].avail[m.idx()];
        match self.groups[g as usize].cfg.strategy {
            Strategy::WeightedRandom => {
                let total: u64 = avail
                    .values()
                    .map(|a| self.agents[*a as usize].weight as u64)
                    .sum();
                if total == 0 {
                    return avail.values().next().copied();
                }
                let mut r =
                    splitmix(self.cfg.seed ^ self.item(i).w.id.0.rotate_left(17) ^ self.now as u64)
                        % total;
                for a in avail.values() {
                    let w = self.agents[*a as usize].weight as u64;
                    if r < w {
                        return Some(*a);
                    }
                    r -= w;
                }
                None
            }
            _ => avail.values().next().copied(),
        }
    }

    fn enqueue(&mut self, i: u32) {
        let it = self.item_mut(i);
        it.state = State::Queued;
        it.gen += 1;
        let (m, class, e) = (
            it.w.media,
            it.w.priority.idx(),
            Entry {
                enq: it.w.enqueued_at,
                seq: it.seq,
                item: i,
            },
        );
        for g in it.groups.clone() {
            self.groups[g as usize].queues[m.idx()].insert(class, e);
        }
    }

    /// Take item `i` out of every queue it is in.
    pub(crate) fn dequeue(&mut self, i: u32) {
        let it = self.item(i);
        if it.state != State::Queued {
            return;
        }
        let (m, class, e) = (
            it.w.media,
            it.w.priority.idx(),
            Entry {
                enq: it.w.enqueued_at,
                seq: it.seq,
                item: i,
            },
        );
        for g in it.groups.clone() {
            self.groups[g as usize].queues[m.idx()].remove(class, &e);
        }
    }

    /// Agent `a` pulled item `i` (from group `g`'s queue or its sticky list).
    pub(crate) fn dispatch_from_queue(&mut self, i: u32, g: u32, a: u32, out: &mut Vec<Outcome>) {
        if let State::StickyWait { agent, .. } = self.item(i).state {
            self.agents[agent as usize].sticky.retain(|x| *x != i);
        }
        self.assign(i, a, g, out);
    }

    /// Give item `i` to agent `a` in group `g`: a call is offered (ringing,
    /// capacity reserved); chats and tickets are assigned.
    pub(crate) fn assign(&mut self, i: u32, a: u32, g: u32, out: &mut Vec<Outcome>) {
        let explanation = self
            .cfg
            .explain
            .then(|| Box::new(self.explain(i, g, Some(a))));
        self.dequeue(i);
        let seq = self.next_seq();
        let (now, day) = (self.now, self.day);
        let m = self.item(i).w.media;
        let agent = &mut self.agents[a as usize];
        agent.load[m.idx()] += 1;
        agent.last_assigned_at = Some(now);
        if agent.served_day != day {
            agent.served_day = day;
            agent.served_today = 0;
        }
        agent.served_today += 1;
        if let Some(s) = agent.slot_of(g) {
            agent.slots[s].rr = seq;
        }
        let agent_id = agent.id;
        let ring = self.groups[g as usize].cfg.ring_timeout_ms;
        let group = self.groups[g as usize].cfg.id;
        let it = self.item_mut(i);
        it.gen += 1;
        let (id, gen, waited) = (it.w.id, it.gen, now - it.w.enqueued_at);
        if m == Media::Call {
            it.state = State::Offered {
                agent: a,
                group: g,
                until: now + ring,
            };
            self.schedule(now + ring, Timer::Ring(id), gen);
            out.push(Outcome::Offered {
                item: id,
                agent: agent_id,
                group,
                ring_until: now + ring,
                explanation,
            });
        } else {
            it.state = State::Assigned {
                agent: a,
                group: g,
                at: now,
            };
            out.push(Outcome::Assigned {
                item: id,
                agent: agent_id,
                group,
                waited_ms: waited,
                explanation,
            });
        }
        self.reindex(a);
    }

    /// 抢单: the first eligible member of a broadcast group to accept a waiting
    /// item gets it (for a call, accepting is answering).
    pub fn accept(
        &mut self,
        now: Millis,
        item: ItemId,
        agent: AgentId,
    ) -> Result<Vec<Outcome>, RoutingError> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        let i = *self
            .item_ix
            .get(&item)
            .ok_or(RoutingError::UnknownItem(item))?;
        let a = *self
            .agent_ix
            .get(&agent)
            .ok_or(RoutingError::UnknownAgent(agent))?;
        if self.item(i).state != State::Queued {
            return Err(RoutingError::NotOffered { item, agent });
        }
        let Some(group) = self.item(i).groups.iter().copied().find(|g| {
            self.groups[*g as usize].cfg.strategy == Strategy::Broadcast
                && self.agents[a as usize].slot_of(*g).is_some()
        }) else {
            return Err(RoutingError::NotOffered { item, agent });
        };
        // Still a member, still receiving, still with room: an offer made a
        // minute ago does not outlive a status or group change.
        let ag = &self.agents[a as usize];
        if ag.removed
            || ag.slot_of(group).is_none()
            || ag.blocked(self.item(i).w.media, self.now).is_some()
        {
            return Err(RoutingError::NotEligible { item, agent });
        }
        let mut mine = Vec::new();
        self.assign(i, a, group, &mut mine);
        // A broadcast call is answered by accepting it.
        if let State::Offered { agent, group, .. } = self.item(i).state {
            self.item_mut(i).state = State::Assigned {
                agent,
                group,
                at: self.now,
            };
            self.item_mut(i).gen += 1;
            if let Some(Outcome::Offered {
                item,
                agent,
                group,
                explanation,
                ..
            }) = mine.pop()
            {
                let waited = self.now - self.item(i).w.enqueued_at;
                mine.push(Outcome::Assigned {
                    item,
                    agent,
                    group,
                    waited_ms: waited,
                    explanation,
                });
            }
        }
        out.append(&mut mine);
        Ok(out)
    }

    /// The agent answered a ringing call: it is now theirs.
    pub fn answer(
        &mut self,
        now: Millis,
        item: ItemId,
        agent: AgentId,
    ) -> Result<Vec<Outcome>, RoutingError> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        let i = *self
            .item_ix
            .get(&item)
            .ok_or(RoutingError::UnknownItem(item))?;
        match self.item(i).state {
            State::Offered {
                agent: a, group, ..
            } if self.agents[a as usize].id == agent => {
                self.agents[a as usize].no_answers = 0;
                let it = self.item_mut(i);
                it.state = State::Assigned {
                    agent: a,
                    group,
                    at: now,
                };
                it.gen += 1;
                Ok(out)
            }
            _ => Err(RoutingError::NotOffered { item, agent }),
        }
    }

    /// The agent rejected the call or their phone was busy.
    pub fn decline(
        &mut self,
        now: Millis,
        item: ItemId,
        agent: AgentId,
        why: Decline,
    ) -> Result<Vec<Outcome>, RoutingError> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        let i = *self
            .item_ix
            .get(&item)
            .ok_or(RoutingError::UnknownItem(item))?;
        match self.item(i).state {
            State::Offered { agent: a, .. } if self.agents[a as usize].id == agent => {
                self.decline_offer(i, a, why, &mut out);
                Ok(out)
            }
            _ => Err(RoutingError::NotOffered { item, agent }),
        }
    }

    /// A ringing offer failed: free the agent, hold them back for the
    /// configured time (a break after too many no-answers), and route the item
    /// again with its original place in line.
    pub(crate) fn decline_offer(&mut self, i: u32, a: u32, why: Decline, out: &mut Vec<Outcome>) {
        let State::Offered { group, .. } = self.item(i).state else {
            return;
        };
        let cfg = &self.groups[group as usize].cfg;
        let delay = match why {
            Decline::NoAnswer => cfg.no_answer_delay_ms,
            Decline::Reject => cfg.reject_delay_ms,
            Decline::Busy => cfg.busy_delay_ms,
        };
        let max_no_answer = cfg.max_no_answer;
        let now = self.now;
        let m = self.item(i).w.media;
        let agent = &mut self.agents[a as usize];
        agent.load[m.idx()] = agent.load[m.idx()].saturating_sub(1);
        agent.delayed_until = agent.delayed_until.max(now + delay);
        let agent_id = agent.id;
        let mut on_break = None;
        if why == Decline::NoAnswer {
            agent.no_answers += 1;
            if max_no_answer > 0 && agent.no_answers >= max_no_answer {
                on_break = Some(agent.no_answers);
            }
        }
        let until = agent.delayed_until;
        self.schedule(until, Timer::AgentReady(agent_id), 0);
        if let Some(n) = on_break {
            let wanted: Vec<(u32, u8)> = self.agents[a as usize]
                .slots
                .iter()
                .map(|s| (s.group, s.level))
                .collect();
            self.unindex(a);
            self.set_membership(a, &wanted, false);
            self.agents[a as usize].no_answers = n;
        }
        self.reindex(a);
        let item = self.item(i).w.id;
        out.push(Outcome::Requeued {
            item,
            agent: agent_id,
            reason: why,
        });
        if let Some(n) = on_break {
            out.push(Outcome::AgentOnBreak {
                agent: agent_id,
                no_answers: n,
            });
        }
        self.route(i, out);
    }

    /// The work is done (chat ended, call hung up, ticket resolved). The agent's
    /// capacity returns (after wrap-up for calls) and queued work flows in.
    pub fn finish(&mut self, now: Millis, item: ItemId) -> Result<Vec<Outcome>, RoutingError> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        let i = *self
            .item_ix
            .get(&item)
            .ok_or(RoutingError::UnknownItem(item))?;
        let m = self.item(i).w.media;
        let freed = match self.item(i).state {
            State::Assigned { agent, group, at } => {
                self.groups[group as usize].stats[m.idx()].record(self.now - at);
                let wrap = self.groups[group as usize].cfg.wrap_up_ms;
                let ag = &mut self.agents[agent as usize];
                ag.idle_since = Some(self.now);
                if m == Media::Call && wrap > 0 {
                    ag.wrap_up_until = self.now + wrap;
                    let id = ag.id;
                    self.schedule(self.now + wrap, Timer::AgentReady(id), 0);
                }
                Some(agent)
            }
            State::Offered { agent, .. } => Some(agent),
            _ => None,
        };
        self.drop_item(i);
        if let Some(a) = freed {
            let ag = &mut self.agents[a as usize];
            ag.load[m.idx()] = ag.load[m.idx()].saturating_sub(1);
            self.reindex(a);
            self.pull(a, &mut out);
        }
        Ok(out)
    }

    /// The customer left before being served (排队放弃), or while ringing.
    pub fn abandon(&mut self, now: Millis, item: ItemId) -> Result<Vec<Outcome>, RoutingError> {
        self.finish(now, item)
    }

    fn drop_item(&mut self, i: u32) {
        self.dequeue(i);
        if let State::StickyWait { agent, .. } = self.item(i).state {
            self.agents[agent as usize].sticky.retain(|x| *x != i);
        }
        if let Some(it) = self.items[i as usize].take() {
            self.item_ix.remove(&it.w.id);
            self.free.push(i);
        }
    }
}

/// SplitMix64: a tiny, good-enough mixer for deterministic weighted draws.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Engine {
    /// A person chose the agent — a transfer to a named colleague, a team
    /// lead's reassignment: the item goes to them if their status allows and
    /// they have room, whatever the group's strategy; otherwise `NotEligible`.
    pub fn arrive_for_agent(
        &mut self,
        now: Millis,
        w: WorkItem,
        agent: AgentId,
    ) -> Result<Vec<Outcome>, RoutingError> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        let home = self
            .group_ix(w.group)
            .ok_or(RoutingError::UnknownGroup(w.group))?;
        if self.item_ix.contains_key(&w.id) {
            return Err(RoutingError::DuplicateItem(w.id));
        }
        let a = *self
            .agent_ix
            .get(&agent)
            .ok_or(RoutingError::UnknownAgent(agent))?;
        if self.agents[a as usize].removed
            || self.agents[a as usize].blocked(w.media, self.now).is_some()
        {
            return Err(RoutingError::NotEligible { item: w.id, agent });
        }
        let i = self.insert_item(w, vec![home]);
        self.assign(i, a, home, &mut out);
        Ok(out)
    }

    /// The items waiting in a group's queue for a media, in service order, with
    /// their positions and estimated waits (to refresh every waiting customer).
    pub fn queued_items(&self, group: GroupId, media: Media) -> Vec<(ItemId, QueueStatus)> {
        let Some(g) = self.group_ix(group) else {
            return Vec::new();
        };
        let grp = &self.groups[g as usize];
        grp.queues[media.idx()]
            .in_order(&grp.cfg.class_base_ms)
            .into_iter()
            .filter_map(|(_, e)| {
                let it = self.item(e.item);
                // Items also queued elsewhere report the position of their first group.
                let status = self.status_of(e.item)?;
                Some((it.w.id, status))
            })
            .collect()
    }
}

//! The discrete-event simulation with the routing engine as the router.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ev {
    Arrive(u32),
    Finish(u32),
    AbandonCheck(u32),
    BreakStart(u32),
    BreakEnd(u32),
    /// Broadcast pick-up: this agent tries to accept this customer's chat.
    Accept(u32, AgentId),
    /// Lets engine timers (sticky deadline, broadcast end) fire on time.
    Tick,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cust {
    NotYet,
    Waiting,
    Served,
    Done,
    Abandoned,
    Fallback,
}

#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) arrivals: usize,
    pub(crate) answered: usize,
    pub(crate) waits: Vec<Millis>,
    pub(crate) answered_in_sl: usize,
    pub(crate) abandoned: usize,
    pub(crate) abandoned_in_sl: usize,
    pub(crate) fallback: usize,
    /// Broadcast accepts refused by the engine: the agent is full or not
    /// receiving any more (NotEligible) …
    pub(crate) accept_not_eligible: usize,
    /// … or the item is no longer on offer to them (NotOffered).
    pub(crate) accept_not_offered: usize,
    pub(crate) invariant_checks: usize,
}

pub(crate) struct Sim<'a> {
    pub(crate) sc: &'a Scenario,
    pub(crate) strategy: Strategy,
    pub(crate) accept: AcceptPolicy,
    pub(crate) engine: Engine,
    pub(crate) heap: BinaryHeap<Reverse<(Millis, u64, Ev)>>,
    pub(crate) seq: u64,
    pub(crate) cust: Vec<Cust>,
    pub(crate) abandon_scheduled: Vec<bool>,
    pub(crate) on_break: Vec<bool>,
    pub(crate) work: Vec<u32>,
    pub(crate) rng: Rng,
    pub(crate) stats: Stats,
    /// Violations seen by the simulator itself (beyond check_invariants).
    pub(crate) errors: Vec<String>,
}

pub(crate) fn cix(item: ItemId) -> usize {
    item.0 as usize - 1
}

pub(crate) fn aix(agent: AgentId) -> usize {
    agent.0 as usize - 1
}

impl<'a> Sim<'a> {
    pub(crate) fn new(
        sc: &'a Scenario,
        strategy: Strategy,
        seed: u64,
        accept: AcceptPolicy,
    ) -> Self {
        let mut engine = Engine::new(EngineConfig {
            explain: false,
            seed,
            ..Default::default()
        });
        engine.configure_group(GroupConfig::new(GROUP, strategy));
        let mut sim = Sim {
            sc,
            strategy,
            accept,
            engine,
            heap: BinaryHeap::new(),
            seq: 0,
            cust: vec![Cust::NotYet; sc.customers.len()],
            abandon_scheduled: vec![false; sc.customers.len()],
            on_break: vec![false; sc.agents.len()],
            work: vec![0; sc.agents.len()],
            rng: Rng::new(seed ^ 0x6272_6f61_6463_6173),
            stats: Stats::default(),
            errors: Vec::new(),
        };
        for (a, plan) in sc.agents.iter().enumerate() {
            let out = sim
                .engine
                .upsert_agent(
                    0,
                    AgentSpec {
                        id: AgentId(a as u64 + 1),
                        receiving: true,
                        groups: vec![(GROUP, plan.level)],
                        capacity: [sc.capacity, 1, 5],
                        weight: plan.weight,
                    },
                )
                .expect("the group exists");
            sim.handle(0, out);
            for &b in &plan.breaks {
                sim.push(b, Ev::BreakStart(a as u32));
            }
        }
        for (c, cu) in sc.customers.iter().enumerate() {
            sim.push(cu.at, Ev::Arrive(c as u32));
        }
        sim
    }

    pub(crate) fn push(&mut self, at: Millis, ev: Ev) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, ev)));
    }

    pub(crate) fn error(&mut self, t: Millis, msg: String) {
        self.errors.push(format!("t={t} ms: {msg}"));
    }

    pub(crate) fn waiting(&mut self, c: usize) {
        self.cust[c] = Cust::Waiting;
        if !self.abandon_scheduled[c] {
            self.abandon_scheduled[c] = true;
            let cu = &self.sc.customers[c];
            self.push(cu.at + cu.patience_ms, Ev::AbandonCheck(c as u32));
        }
    }

    /// Act on everything the engine reports.
    pub(crate) fn handle(&mut self, t: Millis, out: Vec<Outcome>) {
        for o in out {
            match o {
                Outcome::Assigned {
                    item,
                    agent,
                    waited_ms,
                    ..
                } => {
                    let (c, a) = (cix(item), aix(agent));
                    if !matches!(self.cust[c], Cust::NotYet | Cust::Waiting) {
                        let s = self.cust[c];
                        self.error(t, format!("{item:?} assigned while {s:?}"));
                    }
                    if self.on_break[a] {
                        self.error(t, format!("{item:?} assigned to {agent:?} who is on break"));
                    }
                    self.cust[c] = Cust::Served;
                    self.work[a] += 1;
                    self.stats.answered += 1;
                    self.stats.waits.push(waited_ms);
                    if waited_ms <= SL_MS {
                        self.stats.answered_in_sl += 1;
                    }
                    // The engine may have assigned at a timer's time, before `t`.
                    let cu = &self.sc.customers[c];
                    let at = cu.at + waited_ms;
                    if at > t {
                        self.error(t, format!("{item:?} assigned in the future ({at})"));
                    }
                    self.push((at + cu.handle_ms).max(t), Ev::Finish(c as u32));
                }
                Outcome::Queued { item, .. } => self.waiting(cix(item)),
                Outcome::StickyWait { item, until, .. } => {
                    self.waiting(cix(item));
                    self.push(until.max(t), Ev::Tick);
                }
                Outcome::Broadcast { item, agents, .. } => {
                    let c = cix(item);
                    self.waiting(c);
                    let pick = match self.accept {
                        AcceptPolicy::First => 0,
                        AcceptPolicy::Random => self.rng.below(agents.len() as u64) as usize,
                    };
                    if let Some(&agent) = agents.get(pick) {
                        let delay = self.rng.below(BROADCAST_MAX_DELAY_MS + 1) as Millis;
                        self.push(t + delay, Ev::Accept(c as u32, agent));
                    }
                }
                Outcome::Fallback { item, .. } => {
                    self.cust[cix(item)] = Cust::Fallback;
                    self.stats.fallback += 1;
                }
                other => self.error(t, format!("unexpected outcome for a chat: {other:?}")),
            }
        }
    }

    pub(crate) fn check(&mut self, t: Millis) -> Result<(), String> {
        self.stats.invariant_checks += 1;
        self.engine
            .check_invariants()
            .map_err(|e| format!("{} at t={t} ms: {e}", self.strategy.name()))
    }

    pub(crate) fn run(mut self) -> Result<Report, String> {
        let mut events: u64 = 0;
        let mut since_check = 0;
        let mut last_t = 0;
        while let Some(Reverse((t, _, ev))) = self.heap.pop() {
            last_t = t;
            let out = self.engine.advance(t);
            self.handle(t, out);
            match ev {
                Ev::Arrive(c) => {
                    let cu = &self.sc.customers[c as usize];
                    let w = WorkItem {
                        id: ItemId(c as u64 + 1),
                        media: Media::Chat,
                        group: GROUP,
                        priority: cu.priority,
                        region: None,
                        tags: Vec::new(),
                        last_agent: match self.strategy {
                            Strategy::Sticky { .. } => cu.last_agent,
                            _ => None,
                        },
                        enqueued_at: cu.at,
                    };
                    self.stats.arrivals += 1;
                    let out = self
                        .engine
                        .arrive(t, w)
                        .map_err(|e| format!("arrive at t={t}: {e:?}"))?;
                    let id = ItemId(c as u64 + 1);
                    if !out.iter().any(|o| o.item() == Some(id)) {
                        self.error(t, format!("arrive says nothing about {id:?}: {out:?}"));
                    }
                    self.handle(t, out);
                }
                Ev::Finish(c) => {
                    if self.cust[c as usize] == Cust::Served {
                        self.cust[c as usize] = Cust::Done;
                        match self.engine.finish(t, ItemId(c as u64 + 1)) {
                            Ok(out) => self.handle(t, out),
                            Err(e) => self.error(t, format!("finish: {e:?}")),
                        }
                    } else {
                        let s = self.cust[c as usize];
                        self.error(t, format!("finish of customer {c} in state {s:?}"));
                    }
                }
                Ev::AbandonCheck(c) => {
                    if self.cust[c as usize] == Cust::Waiting {
                        self.cust[c as usize] = Cust::Abandoned;
                        self.stats.abandoned += 1;
                        if self.sc.customers[c as usize].patience_ms <= SL_MS {
                            self.stats.abandoned_in_sl += 1;
                        }
                        match self.engine.abandon(t, ItemId(c as u64 + 1)) {
                            Ok(out) => self.handle(t, out),
                            Err(e) => self.error(t, format!("abandon: {e:?}")),
                        }
                    }
                }
                Ev::BreakStart(a) => {
                    self.on_break[a as usize] = true;
                    self.push(t + BREAK_MS, Ev::BreakEnd(a));
                    let out = self
                        .engine
                        .set_receiving(t, AgentId(a as u64 + 1), false)
                        .map_err(|e| format!("set_receiving: {e:?}"))?;
                    self.handle(t, out);
                }
                Ev::BreakEnd(a) => {
                    self.on_break[a as usize] = false;
                    let out = self
                        .engine
                        .set_receiving(t, AgentId(a as u64 + 1), true)
                        .map_err(|e| format!("set_receiving: {e:?}"))?;
                    self.handle(t, out);
                }
                Ev::Accept(c, agent) => {
                    if self.cust[c as usize] == Cust::Waiting {
                        // Err: someone else got it, or this agent is full now.
                        match self.engine.accept(t, ItemId(c as u64 + 1), agent) {
                            Ok(out) => self.handle(t, out),
                            Err(RoutingError::NotEligible { .. }) => {
                                self.stats.accept_not_eligible += 1
                            }
                            Err(RoutingError::NotOffered { .. }) => {
                                self.stats.accept_not_offered += 1
                            }
                            Err(e) => self.error(t, format!("accept: {e:?}")),
                        }
                    }
                }
                Ev::Tick => {}
            }
            events += 1;
            since_check += 1;
            if since_check == INVARIANT_EVERY {
                since_check = 0;
                self.check(t)?;
            }
        }
        self.check(last_t)?;
        let left = self.engine.item_count();
        if left != 0 {
            self.error(last_t, format!("{left} items still held after the run"));
        }
        let st = &self.stats;
        let resolved = st.answered + st.abandoned + st.fallback;
        if resolved != st.arrivals {
            let msg = format!("{resolved} customers resolved of {} arrivals", st.arrivals);
            self.error(last_t, msg);
        }
        if !self.errors.is_empty() {
            let n = self.errors.len();
            let shown: Vec<&str> = self.errors.iter().take(10).map(String::as_str).collect();
            return Err(format!(
                "{}: {n} simulator-detected violations, first ones:\n  {}",
                self.strategy.name(),
                shown.join("\n  ")
            ));
        }
        Ok(Report {
            strategy: self.strategy,
            stats: self.stats,
            work: self.work,
            events,
        })
    }
}

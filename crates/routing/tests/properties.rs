//! Property tests: random sequences of arrivals, status changes, completions,
//! capacity changes, call answers/declines, pick-ups and clock advances. After
//! every step the engine must keep its promises; at the end, with everyone
//! back at work, every item must drain — nothing is ever stuck.

use kefu_routing::*;
use proptest::prelude::{
    any, prop_assert, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig,
};
use proptest::strategy::Strategy as Gen;
use std::collections::HashMap;

const AGENTS: u64 = 6;
const GROUPS: u32 = 3;

#[derive(Debug, Clone)]
enum Op {
    Arrive {
        group: u32,
        media: u8,
        class: u8,
        last_agent: Option<u64>,
    },
    Finish {
        pick: usize,
    },
    Abandon {
        pick: usize,
    },
    Receiving {
        agent: u64,
        on: bool,
    },
    Capacity {
        agent: u64,
        media: u8,
        cap: u16,
    },
    Regroup {
        agent: u64,
        groups: Vec<(u32, u8)>,
    },
    Remove {
        agent: u64,
    },
    Answer {
        pick: usize,
    },
    Decline {
        pick: usize,
        why: u8,
    },
    Accept {
        pick: usize,
        agent: usize,
    },
    Advance {
        ms: i64,
    },
}

fn op() -> impl Gen<Value = Op> {
    prop_oneof![
        4 => (0..GROUPS, 0u8..3, 0u8..3, proptest::option::of(0..AGENTS)).prop_map(|(group, media, class, last_agent)| Op::Arrive { group, media, class, last_agent }),
        3 => any::<usize>().prop_map(|pick| Op::Finish { pick }),
        1 => any::<usize>().prop_map(|pick| Op::Abandon { pick }),
        2 => (0..AGENTS, any::<bool>()).prop_map(|(agent, on)| Op::Receiving { agent, on }),
        1 => (0..AGENTS, 0u8..3, 0u16..4).prop_map(|(agent, media, cap)| Op::Capacity { agent, media, cap }),
        1 => (0..AGENTS, proptest::collection::vec((0..GROUPS, 1u8..=10), 0..3)).prop_map(|(agent, groups)| Op::Regroup { agent, groups }),
        1 => (0..AGENTS).prop_map(|agent| Op::Remove { agent }),
        2 => any::<usize>().prop_map(|pick| Op::Answer { pick }),
        1 => (any::<usize>(), 0u8..3).prop_map(|(pick, why)| Op::Decline { pick, why }),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(pick, agent)| Op::Accept { pick, agent }),
        3 => (0i64..45_000).prop_map(|ms| Op::Advance { ms }),
    ]
}

fn strategy() -> impl Gen<Value = kefu_routing::Strategy> {
    prop_oneof![
        Just(kefu_routing::Strategy::RoundRobin),
        Just(kefu_routing::Strategy::LeastBusy),
        Just(kefu_routing::Strategy::LongestIdle),
        Just(kefu_routing::Strategy::MostSkilled),
        Just(kefu_routing::Strategy::FewestToday),
        Just(kefu_routing::Strategy::Sticky { wait_ms: 20_000 }),
        Just(kefu_routing::Strategy::WeightedRandom),
        Just(kefu_routing::Strategy::Broadcast),
    ]
}

/// What the test believes about each agent, from its own operations and the
/// engine's outcomes — independent of the engine's internals.
#[derive(Debug, Clone)]
struct AgentModel {
    removed: bool,
    receiving: bool,
    groups: Vec<u32>,
    capacity: [u16; 3],
    load: [u16; 3],
}

#[derive(Debug, Clone, PartialEq)]
enum ItemModel {
    Queued,
    Sticky,
    Offered(u64),
    Assigned(u64),
}

#[derive(Debug, Clone)]
struct Tracked {
    group: u32,
    media: Media,
    class: u8,
    enq: Millis,
    order: u64,
    state: ItemModel,
}

fn gids(g: &[(u32, u8)]) -> Vec<(GroupId, u8)> {
    g.iter().map(|(g, l)| (GroupId(*g), *l)).collect()
}

struct World {
    engine: Engine,
    agents: HashMap<u64, AgentModel>,
    items: HashMap<u64, Tracked>,
    /// Overflow targets per home group (for the membership check).
    overflow_to: HashMap<u32, Vec<u32>>,
    strategies: [kefu_routing::Strategy; 3],
    now: Millis,
    next_item: u64,
}

impl World {
    fn new(strategies: [kefu_routing::Strategy; 3]) -> Self {
        let mut engine = Engine::new(EngineConfig::default());
        let mut overflow_to = HashMap::new();
        for g in 0..GROUPS {
            let mut cfg = GroupConfig::new(GroupId(g), strategies[g as usize]);
            if g == 0 {
                // Group 0 spills to group 1 after 30 s, and at once when 4 are queued.
                cfg.overflow = vec![
                    Overflow {
                        to: GroupId(1),
                        after_wait_ms: Some(30_000),
                        queue_len_at_least: None,
                        mode: OverflowMode::Also,
                    },
                    Overflow {
                        to: GroupId(1),
                        after_wait_ms: None,
                        queue_len_at_least: Some(4),
                        mode: OverflowMode::Also,
                    },
                ];
                overflow_to.insert(0, vec![1]);
            }
            engine.configure_group(cfg);
        }
        let mut w = World {
            engine,
            agents: HashMap::new(),
            items: HashMap::new(),
            overflow_to,
            strategies,
            now: 0,
            next_item: 0,
        };
        for a in 0..AGENTS {
            let groups = vec![
                ((a % 3) as u32, (a % 10 + 1) as u8),
                (((a + 1) % 3) as u32, 5),
            ];
            let spec = AgentSpec {
                id: AgentId(a),
                receiving: true,
                groups: gids(&groups),
                capacity: [2, 1, 2],
                weight: (a % 3 + 1) as u32,
            };
            w.agents.insert(
                a,
                AgentModel {
                    removed: false,
                    receiving: true,
                    groups: groups.iter().map(|g| g.0).collect(),
                    capacity: spec.capacity,
                    load: [0; 3],
                },
            );
            let out = w.engine.upsert_agent(0, spec).unwrap();
            w.absorb(&out, None).unwrap();
        }
        w
    }

    fn pick(&self, pick: usize, f: impl Fn(&ItemModel) -> bool) -> Option<u64> {
        let mut ids: Vec<u64> = self
            .items
            .iter()
            .filter(|(_, t)| f(&t.state))
            .map(|(id, _)| *id)
            .collect();
        ids.sort();
        (!ids.is_empty()).then(|| ids[pick % ids.len()])
    }

    /// Check each outcome against the model, then update the model.
    fn absorb(&mut self, out: &[Outcome], arrived: Option<u64>) -> Result<(), String> {
        if let Some(id) = arrived {
            if !out.iter().any(|o| o.item() == Some(ItemId(id))) {
                return Err(format!("arrival {id} got no outcome of its own: {out:?}"));
            }
        }
        for o in out {
            match o {
                Outcome::Assigned { item, agent, .. } | Outcome::Offered { item, agent, .. } => {
                    let t = self
                        .items
                        .get(&item.0)
                        .ok_or(format!("unknown item {item:?} assigned"))?
                        .clone();
                    let a = self.agents.get_mut(&agent.0).ok_or("unknown agent")?;
                    let was_offered_to_them = t.state == ItemModel::Offered(agent.0);
                    if !was_offered_to_them {
                        if !a.receiving {
                            return Err(format!(
                                "{item:?} given to {agent:?} who is not receiving"
                            ));
                        }
                        let allowed: Vec<u32> = std::iter::once(t.group)
                            .chain(self.overflow_to.get(&t.group).cloned().unwrap_or_default())
                            .collect();
                        if !a.groups.iter().any(|g| allowed.contains(g)) {
                            return Err(format!(
                                "{item:?} of group {} given to {agent:?} in groups {:?}",
                                t.group, a.groups
                            ));
                        }
                        let m = t.media as usize;
                        if a.load[m] >= a.capacity[m] {
                            return Err(format!(
                                "{agent:?} over capacity for {:?}: load {} cap {}",
                                t.media, a.load[m], a.capacity[m]
                            ));
                        }
                        a.load[m] += 1;
                    }
                    // FIFO within a class, checked at the moment of service: in group 2
                    // (no overflow in or out) nothing leaves the queue while an older
                    // item of its class and media is still waiting in it.
                    // (In a 抢单 pool agents choose, so the order is theirs.)
                    let pool = self.strategies[2] == kefu_routing::Strategy::Broadcast;
                    if t.state == ItemModel::Queued && t.group == 2 && !pool {
                        if let Some((yid, _)) = self.items.iter().find(|(yid, y)| {
                            **yid != item.0
                                && y.state == ItemModel::Queued
                                && y.group == 2
                                && y.media == t.media
                                && y.class == t.class
                                && (y.enq, y.order) < (t.enq, t.order)
                        }) {
                            return Err(format!(
                                "FIFO broken: item {} served before older item {yid}",
                                item.0
                            ));
                        }
                    }
                    let st = if matches!(o, Outcome::Offered { .. }) {
                        ItemModel::Offered(agent.0)
                    } else {
                        ItemModel::Assigned(agent.0)
                    };
                    self.items.get_mut(&item.0).ok_or("gone")?.state = st;
                }
                Outcome::Broadcast { item, agents, .. } => {
                    // Shown to agents while it waits in the 抢单 pool: still queued.
                    if agents.is_empty() {
                        return Err(format!("{item:?} broadcast to nobody"));
                    }
                    self.items.get_mut(&item.0).ok_or("gone")?.state = ItemModel::Queued;
                }
                Outcome::Queued { item, .. } => {
                    self.items.get_mut(&item.0).ok_or("gone")?.state = ItemModel::Queued
                }
                Outcome::StickyWait { item, .. } => {
                    self.items.get_mut(&item.0).ok_or("gone")?.state = ItemModel::Sticky
                }
                Outcome::Fallback { item, group, .. } => {
                    let groups: Vec<u32> = std::iter::once(group.0)
                        .chain(self.overflow_to.get(&group.0).cloned().unwrap_or_default())
                        .collect();
                    if self
                        .agents
                        .values()
                        .any(|a| a.receiving && a.groups.iter().any(|g| groups.contains(g)))
                    {
                        return Err(format!(
                            "{item:?} got the fallback while someone in {groups:?} is receiving"
                        ));
                    }
                    self.items.remove(&item.0);
                }
                Outcome::Requeued { item, agent, .. } => {
                    let t = self.items.get(&item.0).ok_or("gone")?;
                    self.agents.get_mut(&agent.0).ok_or("agent")?.load[t.media as usize] -= 1;
                }
                Outcome::AgentOnBreak { agent, .. } => {
                    self.agents.get_mut(&agent.0).ok_or("agent")?.receiving = false
                }
            }
        }
        self.engine.check_invariants()
    }

    fn apply(&mut self, op: &Op) -> Result<(), String> {
        let now = self.now;
        let (out, arrived) = match op.clone() {
            Op::Arrive {
                group,
                media,
                class,
                last_agent,
            } => {
                self.next_item += 1;
                let id = self.next_item;
                let media = Media::ALL[media as usize];
                let priority = [Priority::Normal, Priority::Vip, Priority::Green][class as usize];
                self.items.insert(
                    id,
                    Tracked {
                        group,
                        media,
                        class,
                        enq: now,
                        order: id,
                        state: ItemModel::Queued,
                    },
                );
                let w = WorkItem {
                    id: ItemId(id),
                    media,
                    group: GroupId(group),
                    priority,
                    region: None,
                    tags: vec![],
                    last_agent: last_agent.map(AgentId),
                    enqueued_at: now,
                };
                (
                    self.engine.arrive(now, w).map_err(|e| format!("{e:?}"))?,
                    Some(id),
                )
            }
            Op::Finish { pick } | Op::Abandon { pick } => {
                let Some(id) = self.pick(pick, |_| true) else {
                    return Ok(());
                };
                let t = self.items.remove(&id).ok_or("gone")?;
                if let ItemModel::Assigned(a) | ItemModel::Offered(a) = t.state {
                    self.agents.get_mut(&a).ok_or("agent")?.load[t.media as usize] -= 1;
                }
                (
                    self.engine
                        .finish(now, ItemId(id))
                        .map_err(|e| format!("{e:?}"))?,
                    None,
                )
            }
            Op::Receiving { agent, on } => {
                let removed = self.agents[&agent].removed;
                match self.engine.set_receiving(now, AgentId(agent), on) {
                    Ok(out) if !removed => {
                        self.agents.get_mut(&agent).ok_or("agent")?.receiving = on;
                        (out, None)
                    }
                    Err(RoutingError::UnknownAgent(_)) if removed => {
                        (self.engine.advance(now), None)
                    }
                    other => return Err(format!("set_receiving on removed={removed}: {other:?}")),
                }
            }
            Op::Capacity { agent, media, cap } => {
                let removed = self.agents[&agent].removed;
                match self
                    .engine
                    .set_capacity(now, AgentId(agent), Media::ALL[media as usize], cap)
                {
                    Ok(out) if !removed => {
                        self.agents.get_mut(&agent).ok_or("agent")?.capacity[media as usize] = cap;
                        (out, None)
                    }
                    Err(RoutingError::UnknownAgent(_)) if removed => {
                        (self.engine.advance(now), None)
                    }
                    other => return Err(format!("set_capacity on removed={removed}: {other:?}")),
                }
            }
            Op::Regroup { agent, groups } => {
                let model = self.agents.get_mut(&agent).ok_or("agent")?;
                model.removed = false;
                model.groups = groups.iter().map(|g| g.0).collect();
                let spec = AgentSpec {
                    id: AgentId(agent),
                    receiving: model.receiving,
                    groups: gids(&groups),
                    capacity: model.capacity,
                    weight: 1,
                };
                (
                    self.engine
                        .upsert_agent(now, spec)
                        .map_err(|e| format!("{e:?}"))?,
                    None,
                )
            }
            Op::Remove { agent } => {
                let model = self.agents.get_mut(&agent).ok_or("agent")?;
                model.receiving = false;
                model.removed = true;
                model.groups.clear();
                match self.engine.remove_agent(now, AgentId(agent)) {
                    Ok(out) => (out, None),
                    // Already removed: nothing to do, and saying so is right.
                    Err(RoutingError::UnknownAgent(_)) => (self.engine.advance(now), None),
                    Err(e) => return Err(format!("{e:?}")),
                }
            }
            Op::Answer { pick } => {
                let Some(id) = self.pick(pick, |s| matches!(s, ItemModel::Offered(_))) else {
                    return Ok(());
                };
                let ItemModel::Offered(a) = self.items[&id].state else {
                    return Ok(());
                };
                let out = self
                    .engine
                    .answer(now, ItemId(id), AgentId(a))
                    .map_err(|e| format!("{e:?}"))?;
                self.items.get_mut(&id).ok_or("gone")?.state = ItemModel::Assigned(a);
                (out, None)
            }
            Op::Decline { pick, why } => {
                let Some(id) = self.pick(pick, |s| matches!(s, ItemModel::Offered(_))) else {
                    return Ok(());
                };
                let ItemModel::Offered(a) = self.items[&id].state else {
                    return Ok(());
                };
                let why = [Decline::NoAnswer, Decline::Reject, Decline::Busy][why as usize];
                (
                    self.engine
                        .decline(now, ItemId(id), AgentId(a), why)
                        .map_err(|e| format!("{e:?}"))?,
                    None,
                )
            }
            Op::Accept { pick, agent } => {
                let Some(id) = self.pick(pick, |s| *s == ItemModel::Queued) else {
                    return Ok(());
                };
                let a = (agent as u64) % AGENTS;
                match self.engine.accept(now, ItemId(id), AgentId(a)) {
                    Ok(out) => (out, None),
                    // Not in a pool this agent belongs to, or they cannot take it
                    // now: refused. Accepted ones are checked in `absorb`.
                    Err(RoutingError::NotEligible { .. } | RoutingError::NotOffered { .. }) => {
                        (self.engine.advance(now), None)
                    }
                    Err(e) => return Err(format!("accept refused: {e:?}")),
                }
            }
            Op::Advance { ms } => {
                self.now += ms;
                (self.engine.advance(self.now), None)
            }
        };
        if std::env::var_os("KEFU_TRACE").is_some() {
            eprintln!("t={now} {op:?}\n   -> {out:?}");
        }
        self.absorb(&out, arrived)
    }

    /// Everyone back at work with room; keep serving until nothing is left.
    fn drain(&mut self) -> Result<(), String> {
        for a in 0..AGENTS {
            let groups: Vec<(u32, u8)> = (0..GROUPS).map(|g| (g, 5)).collect();
            let model = self.agents.get_mut(&a).ok_or("agent")?;
            model.receiving = true;
            model.removed = false;
            model.groups = groups.iter().map(|g| g.0).collect();
            model.capacity = [3, 1, 3];
            let spec = AgentSpec {
                id: AgentId(a),
                receiving: true,
                groups: gids(&groups),
                capacity: model.capacity,
                weight: 1,
            };
            let out = self
                .engine
                .upsert_agent(self.now, spec)
                .map_err(|e| format!("{e:?}"))?;
            self.absorb(&out, None)?;
        }
        for _ in 0..2_000 {
            if self.items.is_empty() {
                return if self.engine.item_count() == 0 {
                    Ok(())
                } else {
                    Err("engine still holds items the model does not".into())
                };
            }
            let ids: Vec<u64> = {
                let mut v: Vec<u64> = self.items.keys().copied().collect();
                v.sort();
                v
            };
            for id in ids {
                let Some(t) = self.items.get(&id).cloned() else {
                    continue;
                };
                match t.state {
                    ItemModel::Assigned(_) => self.apply(&Op::Finish { pick: 0 }).map(|_| ())?,
                    ItemModel::Offered(a) => {
                        let out = self
                            .engine
                            .answer(self.now, ItemId(id), AgentId(a))
                            .map_err(|e| format!("{e:?}"))?;
                        self.items.get_mut(&id).ok_or("gone")?.state = ItemModel::Assigned(a);
                        self.absorb(&out, None)?;
                    }
                    ItemModel::Queued => {
                        for a in 0..AGENTS {
                            if let Ok(out) = self.engine.accept(self.now, ItemId(id), AgentId(a)) {
                                self.absorb(&out, None)?;
                                break;
                            }
                        }
                    }
                    ItemModel::Sticky => {}
                }
            }
            self.apply(&Op::Advance { ms: 40_000 })?;
        }
        Err(format!("items stuck after draining: {:?}", self.items))
    }
}

proptest! {
    // 128 cases per run in the suite; PROPTEST_CASES=20000 for a long hunt.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128),
        max_shrink_iters: 4_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_engine_keeps_its_promises(s0 in strategy(), s1 in strategy(), s2 in strategy(), ops in proptest::collection::vec(op(), 1..160)) {
        let mut w = World::new([s0, s1, s2]);
        for (n, op) in ops.iter().enumerate() {
            if let Err(e) = w.apply(op) {
                prop_assert!(false, "step {n} {op:?}: {e}");
            }
        }
        if let Err(e) = w.drain() {
            prop_assert!(false, "drain: {e}");
        }
    }

    #[test]
    fn a_restored_engine_makes_the_same_decisions(s0 in strategy(), s1 in strategy(), s2 in strategy(), before in proptest::collection::vec(op(), 1..80), after in proptest::collection::vec(op(), 1..80)) {
        let mut w = World::new([s0, s1, s2]);
        for op in &before {
            let _ = w.apply(op);
        }
        let groups: Vec<GroupConfig> = (0..GROUPS).map(|g| {
            let mut cfg = GroupConfig::new(GroupId(g), [s0, s1, s2][g as usize]);
            if g == 0 {
                cfg.overflow = vec![
                    Overflow { to: GroupId(1), after_wait_ms: Some(30_000), queue_len_at_least: None, mode: OverflowMode::Also },
                    Overflow { to: GroupId(1), after_wait_ms: None, queue_len_at_least: Some(4), mode: OverflowMode::Also },
                ];
            }
            cfg
        }).collect();
        let restored = Engine::restore(EngineConfig::default(), groups, &w.engine.snapshot());
        prop_assert_eq!(restored.check_invariants(), Ok(()));
        prop_assert_eq!(restored.snapshot(), w.engine.snapshot());
        let mut twin = World { engine: restored, agents: w.agents.clone(), items: w.items.clone(), overflow_to: w.overflow_to.clone(), strategies: w.strategies, now: w.now, next_item: w.next_item };
        for op in &after {
            let a = w.apply(op);
            let b = twin.apply(op);
            prop_assert_eq!(a, b);
            prop_assert_eq!(w.engine.snapshot(), twin.engine.snapshot());
        }
    }
}

fn arrive(group: u32, media: u8) -> Op {
    Op::Arrive {
        group,
        media,
        class: 0,
        last_agent: None,
    }
}

/// Found by the property test: two calls queued at the same instant must be
/// served in arrival order even when one of them went through a ring timeout.
#[test]
fn regression_fifo_after_ring_timeout() {
    use kefu_routing::Strategy::RoundRobin;
    let ops = vec![
        arrive(0, 1),
        arrive(0, 0),
        Op::Receiving {
            agent: 0,
            on: false,
        },
        arrive(0, 1),
        arrive(0, 0),
        Op::Advance { ms: 33780 },
        Op::Advance { ms: 6220 },
        Op::Finish {
            pick: 5114476474869598658,
        },
        arrive(2, 1),
        Op::Capacity {
            agent: 0,
            media: 0,
            cap: 0,
        },
        arrive(0, 1),
        Op::Finish {
            pick: 1880465507184116619,
        },
        arrive(0, 0),
        arrive(0, 1),
        arrive(0, 2),
        arrive(2, 1),
        Op::Advance { ms: 6922 },
        arrive(0, 2),
        Op::Advance { ms: 43078 },
    ];
    let mut w = World::new([RoundRobin, RoundRobin, RoundRobin]);
    for (n, op) in ops.iter().enumerate() {
        w.apply(op)
            .unwrap_or_else(|e| panic!("step {n} {op:?}: {e}"));
    }
}

//! Behaviour a team lead would notice, one scenario per rule.

use kefu_routing::calendar::{Calendar, Weekday, Window};
use kefu_routing::*;

const G: GroupId = GroupId(1);
const G2: GroupId = GroupId(2);

fn engine(strategy: Strategy) -> Engine {
    let mut e = Engine::new(EngineConfig::default());
    e.configure_group(GroupConfig::new(G, strategy));
    e.configure_group(GroupConfig::new(G2, Strategy::LeastBusy));
    e
}

fn agent(id: u64, chats: u16) -> AgentSpec {
    AgentSpec {
        id: AgentId(id),
        receiving: true,
        groups: vec![(G, 5)],
        capacity: [chats, 1, 5],
        weight: 1,
    }
}

fn chat(id: u64, at: Millis) -> WorkItem {
    WorkItem {
        id: ItemId(id),
        media: Media::Chat,
        group: G,
        priority: Priority::Normal,
        region: None,
        tags: vec![],
        last_agent: None,
        enqueued_at: at,
    }
}

fn call(id: u64, at: Millis) -> WorkItem {
    WorkItem {
        media: Media::Call,
        ..chat(id, at)
    }
}

fn assigned_to(out: &[Outcome], item: u64) -> Option<u64> {
    out.iter().find_map(|o| match o {
        Outcome::Assigned { item: i, agent, .. } | Outcome::Offered { item: i, agent, .. }
            if *i == ItemId(item) =>
        {
            Some(agent.0)
        }
        _ => None,
    })
}

#[test]
fn least_busy_takes_the_lowest_load_ratio_and_explains_why() {
    let mut e = engine(Strategy::LeastBusy);
    e.upsert_agent(0, agent(1, 2)).unwrap(); // will hold 1 of 2 = 0.5
    e.upsert_agent(0, agent(2, 4)).unwrap(); // will hold 1 of 4 = 0.25
    e.upsert_agent(
        0,
        AgentSpec {
            receiving: false,
            ..agent(3, 4)
        },
    )
    .unwrap();
    let a = assigned_to(&e.arrive(1, chat(1, 1)).unwrap(), 1).unwrap();
    let b = assigned_to(&e.arrive(2, chat(2, 2)).unwrap(), 2).unwrap();
    assert_ne!(
        a, b,
        "the second chat goes to the other, now less busy, agent"
    );
    let out = e.arrive(3, chat(3, 3)).unwrap();
    assert_eq!(assigned_to(&out, 3), Some(2), "1/4 beats 1/2");
    let Outcome::Assigned {
        explanation: Some(x),
        ..
    } = &out[0]
    else {
        panic!("{out:?}")
    };
    assert_eq!(x.winner, Some(AgentId(2)));
    assert_eq!(x.candidates.len(), 3);
    let three = x.candidates.iter().find(|c| c.agent == AgentId(3)).unwrap();
    assert_eq!(three.verdict, Verdict::Excluded(Exclusion::NotReceiving));
    e.check_invariants().unwrap();
}

#[test]
fn round_robin_rotates_and_remembers() {
    let mut e = engine(Strategy::RoundRobin);
    for id in 1..=3 {
        e.upsert_agent(0, agent(id, 10)).unwrap();
    }
    let order: Vec<u64> = (1..=6)
        .map(|i| assigned_to(&e.arrive(i, chat(i as u64, i)).unwrap(), i as u64).unwrap())
        .collect();
    assert_eq!(&order[..3], &order[3..], "the rotation repeats");
    let mut first = order[..3].to_vec();
    first.sort();
    assert_eq!(first, vec![1, 2, 3], "everyone served once per round");
}

#[test]
fn queued_work_is_pulled_the_moment_capacity_frees() {
    let mut e = engine(Strategy::LeastBusy);
    e.upsert_agent(0, agent(1, 1)).unwrap();
    assert_eq!(assigned_to(&e.arrive(1, chat(1, 1)).unwrap(), 1), Some(1));
    let out = e.arrive(2, chat(2, 2)).unwrap();
    assert!(
        matches!(out[0], Outcome::Queued { position: 0, .. }),
        "{out:?}"
    );
    let out = e.arrive(3, chat(3, 3)).unwrap();
    assert!(
        matches!(
            out[0],
            Outcome::Queued {
                position: 1,
                estimated_wait_ms: Some(_),
                ..
            }
        ),
        "{out:?}"
    );
    let out = e.finish(10, ItemId(1)).unwrap();
    assert_eq!(
        assigned_to(&out, 2),
        Some(1),
        "FIFO: the first waiter goes first"
    );
    assert_eq!(e.position(ItemId(3)).unwrap().position, 0);
    // Raising the limit pulls the next one at once.
    let out = e.set_capacity(11, AgentId(1), Media::Chat, 2).unwrap();
    assert_eq!(assigned_to(&out, 3), Some(1));
    e.check_invariants().unwrap();
}

#[test]
fn vip_goes_first_but_cannot_starve_a_long_waiter() {
    let mut e = engine(Strategy::LeastBusy);
    e.upsert_agent(0, agent(1, 1)).unwrap();
    e.arrive(0, chat(100, 0)).unwrap(); // occupies the agent
    e.arrive(1_000, chat(1, 1_000)).unwrap(); // normal, t=1 s
    e.arrive(
        2_000,
        WorkItem {
            priority: Priority::Vip,
            ..chat(2, 2_000)
        },
    )
    .unwrap(); // VIP at 2 s: +60 s
    assert_eq!(e.position(ItemId(2)).unwrap().position, 0);
    assert_eq!(e.position(ItemId(1)).unwrap().position, 1);
    // A VIP arriving 120 s later has aged less than the normal item has waited.
    e.arrive(
        122_000,
        WorkItem {
            priority: Priority::Vip,
            ..chat(3, 122_000)
        },
    )
    .unwrap();
    let out = e.finish(123_000, ItemId(100)).unwrap();
    assert_eq!(assigned_to(&out, 2), Some(1));
    let out = e.finish(124_000, ItemId(2)).unwrap();
    assert_eq!(
        assigned_to(&out, 1),
        Some(1),
        "the normal item waited 123 s > 60 s + 2 s the new VIP has"
    );
}

#[test]
fn nobody_receiving_or_closed_gives_the_fallback_at_once() {
    let mut e = engine(Strategy::LeastBusy);
    let out = e.arrive(1, chat(1, 1)).unwrap();
    assert!(
        matches!(
            out[0],
            Outcome::Fallback {
                reason: FallbackReason::NobodyReceiving,
                fallback: Fallback::LeaveMessage,
                ..
            }
        ),
        "{out:?}"
    );
    e.upsert_agent(1, agent(1, 1)).unwrap();
    let mut cfg = GroupConfig::new(G, Strategy::LeastBusy);
    cfg.calendar = Calendar::new(480).with_weekdays(
        &[
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ],
        Window::parse("09:00-18:00").unwrap(),
    );
    cfg.fallback = Fallback::Ticket;
    e.configure_group(cfg);
    // 2026-11-21 is a Saturday: 12:00 Beijing time = 04:00 UTC.
    let saturday_noon =
        kefu_routing::calendar::days_from_civil(2026, 11, 21) * 86_400_000 + 4 * 3_600_000;
    let out = e.arrive(saturday_noon, chat(2, saturday_noon)).unwrap();
    assert!(
        matches!(
            out[0],
            Outcome::Fallback {
                reason: FallbackReason::OutsideHours,
                fallback: Fallback::Ticket,
                ..
            }
        ),
        "{out:?}"
    );
    assert_eq!(e.item_count(), 0);
}

#[test]
fn calls_ring_and_no_answers_delay_then_break_the_agent() {
    let mut e = engine(Strategy::LeastBusy);
    e.upsert_agent(0, agent(1, 5)).unwrap();
    e.upsert_agent(0, agent(2, 5)).unwrap();
    let out = e.arrive(0, call(1, 0)).unwrap();
    let first = assigned_to(&out, 1).unwrap();
    let Outcome::Offered { ring_until, .. } = out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(ring_until, 20_000);
    // Nobody picks up: the call goes to the other agent, keeping its place.
    let out = e.advance(20_000);
    assert!(
        out.iter().any(|o| matches!(
            o,
            Outcome::Requeued {
                reason: Decline::NoAnswer,
                ..
            }
        )),
        "{out:?}"
    );
    let second = assigned_to(&out, 1).unwrap();
    assert_ne!(first, second);
    e.answer(21_000, ItemId(1), AgentId(second)).unwrap();
    // After the call, wrap-up keeps the agent from the next call for 15 s.
    e.finish(60_000, ItemId(1)).unwrap();
    e.set_receiving(60_000, AgentId(first), false).unwrap();
    let out = e.arrive(61_000, call(2, 61_000)).unwrap();
    assert!(matches!(out[0], Outcome::Queued { .. }), "wrap-up: {out:?}");
    let out = e.advance(75_000);
    assert_eq!(
        assigned_to(&out, 2),
        Some(second),
        "wrap-up over, the call rings"
    );
    // Three unanswered offers in a row put the agent on break.
    let mut t = 75_000;
    let mut broke = false;
    for n in 3..=10u64 {
        t += 20_000;
        let out = e.advance(t);
        if out.iter().any(|o| matches!(o, Outcome::AgentOnBreak { agent: AgentId(a), no_answers: 3 } if *a == second)) {
            broke = true;
            break;
        }
        t += 30_000; // the no-answer hold
        let _ = e.advance(t);
        let _ = n;
    }
    assert!(broke, "agent put on break after 3 no-answers");
    e.check_invariants().unwrap();
}

#[test]
fn overflow_after_waiting_spills_to_the_other_group() {
    let mut e = engine(Strategy::LeastBusy);
    let mut cfg = GroupConfig::new(G, Strategy::LeastBusy);
    cfg.overflow = vec![Overflow {
        to: G2,
        after_wait_ms: Some(30_000),
        queue_len_at_least: None,
        mode: OverflowMode::Also,
    }];
    e.configure_group(cfg);
    e.upsert_agent(0, agent(1, 1)).unwrap();
    e.upsert_agent(
        0,
        AgentSpec {
            groups: vec![(G2, 5)],
            ..agent(2, 1)
        },
    )
    .unwrap();
    e.arrive(
        0,
        WorkItem {
            group: G2,
            ..chat(50, 0)
        },
    )
    .unwrap(); // agent 2 busy in G2
    e.arrive(0, chat(1, 0)).unwrap(); // agent 1 busy
    assert!(matches!(
        e.arrive(1_000, chat(2, 1_000)).unwrap()[0],
        Outcome::Queued { .. }
    ));
    assert!(
        e.finish(10_000, ItemId(50)).unwrap().is_empty(),
        "agent 2 frees but item 2 has not overflowed yet"
    );
    let out = e.advance(31_000);
    assert_eq!(
        assigned_to(&out, 2),
        Some(2),
        "after 30 s the item spills to G2's free agent"
    );
    e.check_invariants().unwrap();
}

#[test]
fn sticky_waits_for_the_previous_agent_then_falls_back() {
    let mut e = engine(Strategy::Sticky { wait_ms: 20_000 });
    e.upsert_agent(0, agent(1, 1)).unwrap();
    e.upsert_agent(0, agent(2, 1)).unwrap();
    e.arrive(
        0,
        WorkItem {
            last_agent: Some(AgentId(1)),
            ..chat(1, 0)
        },
    )
    .unwrap();
    let out = e
        .arrive(
            1,
            WorkItem {
                last_agent: Some(AgentId(1)),
                ..chat(2, 1)
            },
        )
        .unwrap();
    assert!(
        matches!(
            out[0],
            Outcome::StickyWait {
                agent: AgentId(1),
                ..
            }
        ),
        "{out:?}"
    );
    let out = e.finish(5_000, ItemId(1)).unwrap();
    assert_eq!(
        assigned_to(&out, 2),
        Some(1),
        "the old agent frees up within the wait and gets their customer back"
    );
    let out = e
        .arrive(
            6_000,
            WorkItem {
                last_agent: Some(AgentId(1)),
                ..chat(3, 6_000)
            },
        )
        .unwrap();
    assert!(matches!(out[0], Outcome::StickyWait { .. }));
    let out = e.advance(26_001);
    assert_eq!(assigned_to(&out, 3), Some(2), "after the wait, anyone");
    e.check_invariants().unwrap();
}

#[test]
fn broadcast_offers_to_all_and_the_first_accept_wins() {
    let mut e = engine(Strategy::Broadcast);
    for id in 1..=3 {
        e.upsert_agent(0, agent(id, 1)).unwrap();
    }
    let out = e.arrive(0, chat(1, 0)).unwrap();
    let Outcome::Broadcast { agents, .. } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(agents.len(), 3);
    let won = e.accept(1, ItemId(1), AgentId(2)).unwrap();
    assert_eq!(assigned_to(&won, 1), Some(2));
    assert!(matches!(
        e.accept(2, ItemId(1), AgentId(3)),
        Err(RoutingError::NotOffered { .. })
    ));
    e.check_invariants().unwrap();
}

#[test]
fn weighted_random_follows_the_weights() {
    let mut e = engine(Strategy::WeightedRandom);
    e.upsert_agent(
        0,
        AgentSpec {
            weight: 1,
            ..agent(1, 10_000)
        },
    )
    .unwrap();
    e.upsert_agent(
        0,
        AgentSpec {
            weight: 3,
            ..agent(2, 10_000)
        },
    )
    .unwrap();
    let mut count = [0u32; 3];
    for i in 1..=4000u64 {
        let out = e.arrive(i as i64, chat(i, i as i64)).unwrap();
        count[assigned_to(&out, i).unwrap() as usize] += 1;
    }
    let share = count[2] as f64 / 4000.0;
    assert!((0.72..0.78).contains(&share), "weight 3 of 4 got {share}");
}

#[test]
fn most_skilled_and_fewest_today() {
    let mut e = engine(Strategy::MostSkilled);
    e.upsert_agent(
        0,
        AgentSpec {
            groups: vec![(G, 3)],
            ..agent(1, 5)
        },
    )
    .unwrap();
    e.upsert_agent(
        0,
        AgentSpec {
            groups: vec![(G, 9)],
            ..agent(2, 5)
        },
    )
    .unwrap();
    assert_eq!(assigned_to(&e.arrive(1, chat(1, 1)).unwrap(), 1), Some(2));
    assert_eq!(
        assigned_to(&e.arrive(2, chat(2, 2)).unwrap(), 2),
        Some(2),
        "level before load"
    );
    e.configure_group(GroupConfig::new(G, Strategy::FewestToday));
    assert_eq!(
        assigned_to(&e.arrive(3, chat(3, 3)).unwrap(), 3),
        Some(1),
        "agent 1 served fewer today"
    );
    e.check_invariants().unwrap();
}

#[test]
fn restored_engine_decides_exactly_like_the_original() {
    let mut a = engine(Strategy::RoundRobin);
    for id in 1..=4 {
        a.upsert_agent(0, agent(id, 2)).unwrap();
    }
    for i in 1..=12u64 {
        a.arrive(i as i64 * 10, chat(i, i as i64 * 10)).unwrap();
    }
    let groups = vec![
        GroupConfig::new(G, Strategy::RoundRobin),
        GroupConfig::new(G2, Strategy::LeastBusy),
    ];
    let mut b = Engine::restore(EngineConfig::default(), groups, &a.snapshot());
    b.check_invariants().unwrap();
    assert_eq!(a.snapshot(), b.snapshot());
    for i in 1..=8u64 {
        let t = 1_000 + i as i64 * 10;
        assert_eq!(
            a.finish(t, ItemId(i)).unwrap(),
            b.finish(t, ItemId(i)).unwrap()
        );
        assert_eq!(
            a.arrive(t + 1, chat(100 + i, t + 1)).unwrap(),
            b.arrive(t + 1, chat(100 + i, t + 1)).unwrap()
        );
    }
}

#[test]
fn a_broadcast_pool_is_shown_to_agents_who_free_up_later() {
    let mut e = engine(Strategy::Broadcast);
    e.upsert_agent(0, agent(1, 1)).unwrap();
    e.upsert_agent(0, agent(2, 1)).unwrap();
    for i in 1..=2 {
        let out = e.arrive(i, chat(i as u64, i)).unwrap();
        let Outcome::Broadcast { agents, .. } = &out[0] else {
            panic!("{out:?}")
        };
        e.accept(i, ItemId(i as u64), agents[0]).unwrap();
    }
    for i in 3..=5 {
        assert!(
            matches!(
                e.arrive(i, chat(i as u64, i)).unwrap()[0],
                Outcome::Queued { .. }
            ),
            "nobody free: into the pool"
        );
    }
    let out = e.finish(10, ItemId(1)).unwrap();
    let shown: Vec<u64> = out
        .iter()
        .filter_map(|o| {
            if let Outcome::Broadcast { item, .. } = o {
                Some(item.0)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        shown,
        vec![3, 4, 5],
        "the freed agent sees the whole pool, oldest first"
    );
    let out = e.finish(11, ItemId(2)).unwrap();
    assert_eq!(
        out.len(),
        3,
        "and so does the next agent to free up: {out:?}"
    );
    let a = e.available_agents(G, Media::Chat);
    assert_eq!(a.len(), 2);
    assert_eq!(
        assigned_to(&e.accept(12, ItemId(4), a[1]).unwrap(), 4),
        Some(a[1].0),
        "agents pick any item from the pool"
    );
    assert_eq!(
        assigned_to(&e.accept(13, ItemId(3), a[0]).unwrap(), 3),
        Some(a[0].0)
    );
    assert!(
        matches!(
            e.accept(14, ItemId(5), a[0]),
            Err(RoutingError::NotEligible { .. })
        ),
        "full now"
    );
    e.check_invariants().unwrap();
}

#[test]
fn a_sticky_customer_stops_waiting_when_their_agent_goes_on_break() {
    let mut e = engine(Strategy::Sticky { wait_ms: 30_000 });
    e.upsert_agent(0, agent(1, 1)).unwrap();
    e.upsert_agent(0, agent(2, 1)).unwrap();
    e.arrive(
        0,
        WorkItem {
            last_agent: Some(AgentId(1)),
            ..chat(1, 0)
        },
    )
    .unwrap();
    let out = e
        .arrive(
            1,
            WorkItem {
                last_agent: Some(AgentId(1)),
                ..chat(2, 1)
            },
        )
        .unwrap();
    assert!(matches!(out[0], Outcome::StickyWait { .. }));
    let out = e.set_receiving(2_000, AgentId(1), false).unwrap();
    assert_eq!(
        assigned_to(&out, 2),
        Some(2),
        "served by someone else at once, not after 30 s"
    );
    e.check_invariants().unwrap();
}

#[test]
fn a_restart_keeps_work_held_by_a_removed_agent() {
    let mut a = engine(Strategy::LeastBusy);
    a.upsert_agent(0, agent(1, 1)).unwrap();
    a.arrive(1, chat(1, 1)).unwrap();
    a.remove_agent(2, AgentId(1)).unwrap();
    let groups = vec![
        GroupConfig::new(G, Strategy::LeastBusy),
        GroupConfig::new(G2, Strategy::LeastBusy),
    ];
    let mut b = Engine::restore(EngineConfig::default(), groups, &a.snapshot());
    assert_eq!(b.item_count(), 1);
    assert_eq!(
        a.finish(3, ItemId(1)).unwrap(),
        b.finish(3, ItemId(1)).unwrap()
    );
    b.check_invariants().unwrap();
}

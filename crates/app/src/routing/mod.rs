//! The routing engine inside the app: one engine per tenant, rebuilt from the
//! database the first time the tenant needs it (so after a restart queued and
//! active conversations carry on), fed by status and capacity changes, and
//! turning the engine's outcomes into `Decision`s the chat use cases apply.

mod pool;

use crate::{App, AppResult};
use kefu_domain::TenantId;
use kefu_routing::snapshot::{AgentSnapshot, ItemSnapshot, ItemStateSnapshot, Snapshot};
use kefu_routing::{
    AgentId, AgentSpec, Engine, EngineConfig, Exclusion, Explanation, GroupConfig, GroupId, ItemId,
    Media, Outcome, Priority, Score, Strategy, Verdict, WorkItem,
};
use kefu_store::{conversations, now_ms, skill_groups, statuses, users, TenantScope};
use std::collections::HashMap;
use std::sync::Mutex;

/// Stable 64-bit engine ids from our UUIDs (FNV-1a); the maps below turn them back.
fn key64(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

pub(crate) struct TenantRouting {
    pub engine: Engine,
    groups: HashMap<String, GroupId>,
    group_uuid: HashMap<u32, String>,
    agents: HashMap<u64, String>,
    /// Display names, for explanations.
    names: HashMap<u64, String>,
    items: HashMap<u64, String>,
    /// Tickets the engine knows, by engine id: our id and the work item.
    tickets: HashMap<u64, (String, WorkItem)>,
    /// Tickets that found nobody receiving in their group (the engine's
    /// fallback): offered again when an agent's status or groups change.
    parked: std::collections::BTreeSet<u64>,
    /// Broadcast (抢单) groups, whose waiting chats agents pick up themselves.
    pools: Vec<GroupId>,
}

/// What the chat layer must do after a routing decision, in our ids.
#[derive(Debug, Clone)]
pub enum Decision {
    Assigned {
        conversation: String,
        agent: String,
        group: Option<String>,
        explanation: Option<serde_json::Value>,
    },
    Queued {
        conversation: String,
        position: usize,
        estimated_wait_ms: Option<i64>,
    },
    Fallback {
        conversation: String,
        outside_hours: bool,
    },
    AgentOnBreak {
        agent: String,
    },
    /// Routing gave a ticket to an agent (ticket media, ticket capacity).
    TicketAssigned {
        ticket: String,
        agent: String,
        group: Option<String>,
        explanation: Option<serde_json::Value>,
    },
    /// These agents' pick-up lists (抢单) changed: send them again.
    Pickups {
        agents: Vec<String>,
    },
}

#[derive(Default)]
pub struct RoutingService {
    tenants: Mutex<HashMap<String, TenantRouting>>,
    /// Bumped whenever any pick-up pool changes; lists carry it so a client
    /// can drop a list computed before one it already shows.
    pool_version: std::sync::atomic::AtomicU64,
}

/// Explanations are stored as JSON with the assignment and shown to team
/// leads, in our ids and people's names rather than the engine's numbers.
pub fn explanation_json(
    x: &Explanation,
    agents: &HashMap<u64, String>,
    names: &HashMap<u64, String>,
) -> serde_json::Value {
    let id = |a: &AgentId| agents.get(&a.0).cloned().unwrap_or_else(|| a.0.to_string());
    let name = |a: &AgentId| names.get(&a.0).cloned().unwrap_or_default();
    let eligible = x
        .candidates
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Eligible(_)))
        .count();
    let sticky = x.candidates.iter().any(|c| {
        Some(c.agent) == x.winner && matches!(c.verdict, Verdict::Eligible(Score::Sticky))
    });
    let summary = match &x.winner {
        Some(w) if sticky => format!("{} served this customer last (sticky)", name(w)),
        Some(w) if x.strategy == Strategy::Broadcast.name() => format!(
            "{} picked it up first (broadcast) among {} eligible of {} members",
            name(w),
            eligible,
            x.candidates.len()
        ),
        Some(w) => format!(
            "{} chose {} among {} eligible of {} members",
            x.strategy,
            name(w),
            eligible,
            x.candidates.len()
        ),
        None => format!("nobody of {} members could take it", x.candidates.len()),
    };
    serde_json::json!({
        "strategy": x.strategy,
        "summary": summary,
        "winner": x.winner.as_ref().map(id),
        "winner_name": x.winner.as_ref().map(name),
        "candidates": x.candidates.iter().map(|c| match &c.verdict {
            Verdict::Eligible(score) => serde_json::json!({"agent": id(&c.agent), "name": name(&c.agent), "eligible": true, "score": score_json(score)}),
            Verdict::Excluded(why) => serde_json::json!({"agent": id(&c.agent), "name": name(&c.agent), "eligible": false, "excluded": exclusion_json(why)}),
        }).collect::<Vec<_>>(),
    })
}

/// The strategy's measure as data (`kind` plus its numbers) and a short
/// `text` for people, so a lead's tool can sort by it and the workbench can
/// show it without parsing.
fn score_json(s: &Score) -> serde_json::Value {
    use serde_json::json;
    let pct = |r: f64| format!("{:.0}%", r * 100.0);
    match *s {
        Score::Rotation { last_served } => json!({"kind": "rotation", "last_served": last_served,
            "text": if last_served == 0 { "not served in this group yet".to_string() } else { format!("turn #{last_served}") }}),
        Score::Load { ratio } => {
            json!({"kind": "load", "ratio": ratio, "text": format!("load {}", pct(ratio))})
        }
        Score::Idle { idle_since, ratio } => {
            json!({"kind": "idle", "idle_since": idle_since, "ratio": ratio,
            "text": match idle_since { Some(_) => format!("idle, load {}", pct(ratio)), None => format!("busy, load {}", pct(ratio)) }})
        }
        Score::Skill { level, ratio } => {
            json!({"kind": "skill", "level": level, "ratio": ratio, "text": format!("level {level}, load {}", pct(ratio))})
        }
        Score::Today { served, ratio } => {
            json!({"kind": "today", "served": served, "ratio": ratio, "text": format!("{served} today, load {}", pct(ratio))})
        }
        Score::Weight { weight } => {
            json!({"kind": "weight", "weight": weight, "text": format!("weight {weight}")})
        }
        Score::Sticky => json!({"kind": "sticky", "text": "the customer's previous agent"}),
        Score::Broadcast => json!({"kind": "broadcast", "text": "offered to everyone eligible"}),
    }
}

fn exclusion_json(e: &Exclusion) -> serde_json::Value {
    use serde_json::json;
    match *e {
        Exclusion::NotReceiving => json!({"reason": "not_receiving", "text": "not receiving"}),
        Exclusion::Full { load, capacity } => {
            json!({"reason": "full", "load": load, "capacity": capacity, "text": format!("full ({load}/{capacity})")})
        }
        Exclusion::WrapUp { until } => {
            json!({"reason": "wrap_up", "until": until, "text": "in wrap-up"})
        }
        Exclusion::Delayed { until } => {
            json!({"reason": "delayed", "until": until, "text": "held back after a missed offer"})
        }
    }
}

impl TenantRouting {
    fn group(&self, uuid: Option<&str>) -> Option<GroupId> {
        uuid.and_then(|u| self.groups.get(u).copied())
    }

    fn decisions(&mut self, out: Vec<Outcome>, touched: &mut Vec<GroupId>) -> Vec<Decision> {
        let mut d = Vec::new();
        for o in out {
            if let Some(t) = self.ticket_decision(&o) {
                d.extend(t);
                continue;
            }
            match o {
                Outcome::Assigned {
                    item,
                    agent,
                    group,
                    explanation,
                    ..
                }
                | Outcome::Offered {
                    item,
                    agent,
                    group,
                    explanation,
                    ..
                } => {
                    touched.push(group);
                    if let (Some(c), Some(a)) = (self.items.get(&item.0), self.agents.get(&agent.0))
                    {
                        d.push(Decision::Assigned {
                            conversation: c.clone(),
                            agent: a.clone(),
                            group: self.group_uuid.get(&group.0).cloned(),
                            explanation: explanation
                                .map(|x| explanation_json(&x, &self.agents, &self.names)),
                        });
                    }
                }
                Outcome::Queued {
                    item,
                    group,
                    position,
                    estimated_wait_ms,
                    ..
                } => {
                    touched.push(group);
                    if let Some(c) = self.items.get(&item.0) {
                        d.push(Decision::Queued {
                            conversation: c.clone(),
                            position,
                            estimated_wait_ms,
                        });
                    }
                }
                Outcome::Fallback { item, reason, .. } => {
                    if let Some(c) = self.items.get(&item.0) {
                        d.push(Decision::Fallback {
                            conversation: c.clone(),
                            outside_hours: reason == kefu_routing::FallbackReason::OutsideHours,
                        });
                    }
                }
                Outcome::AgentOnBreak { agent, .. } => {
                    if let Some(a) = self.agents.get(&agent.0) {
                        d.push(Decision::AgentOnBreak { agent: a.clone() });
                    }
                }
                // Waiting in a pick-up pool: the visitor hears their place
                // (from the positions of the groups touched).
                Outcome::Broadcast { group, .. } => touched.push(group),
                // Held for the previous agent until `until`, then routed as usual.
                Outcome::StickyWait { item, until, .. } => {
                    if let Some(c) = self.items.get(&item.0) {
                        d.push(Decision::Queued {
                            conversation: c.clone(),
                            position: 0,
                            estimated_wait_ms: Some((until - self.engine.now()).max(0)),
                        });
                    }
                }
                Outcome::Requeued { .. } => {}
            }
        }
        d
    }

    /// Fresh positions for everyone waiting in the groups a decision touched.
    fn positions(&self, touched: &[GroupId]) -> Vec<Decision> {
        let mut seen = Vec::new();
        let mut d = Vec::new();
        for g in touched {
            if seen.contains(g) {
                continue;
            }
            seen.push(*g);
            for (item, s) in self.engine.queued_items(*g, Media::Chat) {
                if let Some(c) = self.items.get(&item.0) {
                    d.push(Decision::Queued {
                        conversation: c.clone(),
                        position: s.position,
                        estimated_wait_ms: s.estimated_wait_ms,
                    });
                }
            }
        }
        d
    }
}

impl App {
    /// Run `f` on the tenant's engine (building it from the database first if
    /// needed) and translate what happened.
    pub(crate) async fn route<F>(&self, scope: &TenantScope, f: F) -> AppResult<Vec<Decision>>
    where
        F: FnOnce(&mut TenantRouting, i64) -> Vec<Outcome>,
    {
        let (settled, fresh) = self.ensure_routing(scope).await?;
        let key = scope.tenant_id().to_string();
        let mut tenants = self
            .routing
            .tenants
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let Some(tr) = tenants.get_mut(&key) else {
            return Ok(Vec::new());
        };
        // A freshly built engine's pools are news to every eligible agent.
        let before = if fresh { Vec::new() } else { tr.pool_view() };
        let mut out = settled;
        out.extend(f(tr, now_ms()));
        let mut touched = Vec::new();
        let mut d = tr.decisions(out, &mut touched);
        d.extend(tr.positions(&touched));
        let changed = tr.pool_changes(&before, &tr.pool_view());
        if !changed.is_empty() {
            self.routing
                .pool_version
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            d.push(Decision::Pickups { agents: changed });
        }
        Ok(d)
    }

    /// Build the tenant's engine from the database: skill groups, agents with
    /// their status and memberships, open conversations (queued ones wait in
    /// line again in their original order; active ones count against their
    /// agent's capacity).
    /// Returns the outcomes of settling a freshly rebuilt engine (queued work
    /// given to agents with room), for the caller to apply with its own, and
    /// whether the engine was built just now.
    async fn ensure_routing(&self, scope: &TenantScope) -> AppResult<(Vec<Outcome>, bool)> {
        let key = scope.tenant_id().to_string();
        if self
            .routing
            .tenants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&key)
        {
            return Ok((Vec::new(), false));
        }
        let mut conn = self.store.conn().await?;
        let groups = skill_groups::list(&mut conn, scope).await?;
        let receiving: HashMap<String, bool> = statuses::list(&mut conn, scope)
            .await?
            .into_iter()
            .map(|s| (s.id, s.can_receive))
            .collect();
        let people = users::list(&mut conn, scope).await?;
        let mut tr = TenantRouting {
            engine: Engine::new(EngineConfig::default()),
            groups: HashMap::new(),
            group_uuid: HashMap::new(),
            agents: HashMap::new(),
            names: HashMap::new(),
            items: HashMap::new(),
            tickets: HashMap::new(),
            parked: Default::default(),
            pools: Vec::new(),
        };
        let mut configs = Vec::new();
        for (i, g) in groups.iter().enumerate() {
            let id = GroupId(i as u32 + 1);
            tr.groups.insert(g.id.clone(), id);
            tr.group_uuid.insert(id.0, g.id.clone());
            let strategy = match g.strategy.as_str() {
                "round_robin" => Strategy::RoundRobin,
                "longest_idle" => Strategy::LongestIdle,
                "most_skilled" => Strategy::MostSkilled,
                "fewest_today" => Strategy::FewestToday,
                "weighted_random" => Strategy::WeightedRandom,
                "sticky" => Strategy::Sticky {
                    wait_ms: g.sticky_wait_seconds.clamp(0, 86_400) * 1000,
                },
                "broadcast" => {
                    tr.pools.push(id);
                    Strategy::Broadcast
                }
                _ => Strategy::LeastBusy,
            };
            configs.push(GroupConfig::new(id, strategy));
        }
        let mut agents = Vec::new();
        for u in people.iter().filter(|u| u.active) {
            let memberships = skill_groups::groups_of_user(&mut conn, scope, &u.id).await?;
            let id = AgentId(key64(&u.id));
            tr.agents.insert(id.0, u.id.clone());
            tr.names.insert(id.0, u.display_name.clone());
            let is_receiving = u
                .status_id
                .as_ref()
                .and_then(|s| receiving.get(s))
                .copied()
                .unwrap_or(false);
            agents.push(AgentSnapshot {
                spec: AgentSpec {
                    id,
                    receiving: is_receiving,
                    groups: memberships
                        .iter()
                        .filter_map(|(g, level)| {
                            tr.groups.get(&g.id).map(|gid| (*gid, *level as u8))
                        })
                        .collect(),
                    capacity: [
                        u.reception_limit.clamp(0, u16::MAX as i64) as u16,
                        1,
                        u.ticket_limit.clamp(0, u16::MAX as i64) as u16,
                    ],
                    weight: 1,
                },
                load: [0; 3],
                last_assigned_at: None,
                idle_since: None,
                wrap_up_until: 0,
                delayed_until: 0,
                no_answers: 0,
                served_today: 0,
                served_day: 0,
                rotation: Vec::new(),
                removed: false,
            });
        }
        let mut items = Vec::new();
        for (seq, c) in conversations::open_conversations(&mut conn, scope)
            .await?
            .into_iter()
            .enumerate()
        {
            let Some(group) = tr.group(c.skill_group_id.as_deref()) else {
                continue;
            };
            let id = ItemId(key64(&c.id));
            let state = match (c.state.as_str(), c.agent_id.as_deref()) {
                ("active", Some(a)) => ItemStateSnapshot::Assigned {
                    agent: AgentId(key64(a)),
                    group,
                    at: c.assigned_at.unwrap_or(c.created_at),
                },
                ("queued" | "transferred", _) => ItemStateSnapshot::Queued,
                _ => continue,
            };
            tr.items.insert(id.0, c.id.clone());
            items.push(ItemSnapshot {
                item: work_item(id, group, c.priority, c.queued_at.unwrap_or(c.created_at)),
                seq: seq as u64 + 1,
                state,
                groups: vec![group],
            });
        }
        // Open tickets of a group: assigned ones hold ticket capacity, the
        // others wait in line (oldest first).
        for k in kefu_store::tickets::open_for_routing(&mut conn, scope).await? {
            let Some(group) = tr.group(k.skill_group_id.as_deref()) else {
                continue;
            };
            let w = crate::tickets::assign::ticket_item(&k.id, group, &k.priority, k.created_at);
            let state = match k.assignee_id.as_deref() {
                Some(a) if tr.agents.contains_key(&key64(a)) => ItemStateSnapshot::Assigned {
                    agent: AgentId(key64(a)),
                    group,
                    at: k.updated_at,
                },
                Some(_) => continue,
                None => ItemStateSnapshot::Queued,
            };
            tr.tickets.insert(w.id.0, (k.id.clone(), w.clone()));
            let seq = items.len() as u64 + 1;
            items.push(ItemSnapshot {
                item: w,
                seq,
                state,
                groups: vec![group],
            });
        }
        let snapshot = Snapshot {
            now: now_ms(),
            seq: items.len() as u64 + 1,
            agents,
            items,
            handle_stats: Vec::new(),
        };
        tr.engine = Engine::restore(EngineConfig::default(), configs, &snapshot);
        let settled = tr.engine.settle(now_ms());
        let mut tenants = self
            .routing
            .tenants
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if tenants.contains_key(&key) {
            // Someone else rebuilt it meanwhile; theirs stands.
            return Ok((Vec::new(), false));
        }
        tenants.insert(key, tr);
        Ok((settled, true))
    }

    /// Re-read one agent (status, limit, groups) into routing; whatever room
    /// they now have is filled from the queues.
    pub async fn refresh_agent(
        &self,
        scope: &TenantScope,
        user_id: &str,
    ) -> AppResult<Vec<Decision>> {
        let mut conn = self.store.conn().await?;
        let Some(u) = users::get(&mut conn, scope, user_id).await? else {
            return Ok(Vec::new());
        };
        let receiving = match &u.status_id {
            Some(s) => statuses::get(&mut conn, scope, s)
                .await?
                .is_some_and(|s| s.can_receive),
            None => false,
        } && u.active;
        let memberships = skill_groups::groups_of_user(&mut conn, scope, &u.id).await?;
        drop(conn);
        self.route(scope, |tr, now| {
            let id = AgentId(key64(&u.id));
            tr.agents.insert(id.0, u.id.clone());
            tr.names.insert(id.0, u.display_name.clone());
            let spec = AgentSpec {
                id,
                receiving,
                groups: memberships
                    .iter()
                    .filter_map(|(g, level)| tr.groups.get(&g.id).map(|gid| (*gid, *level as u8)))
                    .collect(),
                capacity: [
                    u.reception_limit.clamp(0, u16::MAX as i64) as u16,
                    1,
                    u.ticket_limit.clamp(0, u16::MAX as i64) as u16,
                ],
                weight: 1,
            };
            let mut out = tr.engine.upsert_agent(now, spec).unwrap_or_default();
            out.extend(tr.retry_parked(now));
            out
        })
        .await
    }

    /// Forget a tenant's engine so the next use rebuilds it (after skill groups
    /// are added or removed).
    pub fn reset_routing(&self, tenant: &TenantId) {
        self.routing
            .tenants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(tenant.as_str());
    }

    /// Fire due timers (overflow, sticky deadlines …) of every loaded tenant.
    pub async fn routing_tick(&self) -> Vec<(TenantScope, Vec<Decision>)> {
        let keys: Vec<String> = self
            .routing
            .tenants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        let mut all = Vec::new();
        for k in keys {
            let scope = TenantScope::new(TenantId::from_db(k));
            if let Ok(d) = self.route(&scope, |tr, now| tr.engine.advance(now)).await {
                if !d.is_empty() {
                    all.push((scope, d));
                }
            }
        }
        all
    }
}

pub(crate) fn work_item(id: ItemId, group: GroupId, priority: i64, enqueued_at: i64) -> WorkItem {
    WorkItem {
        id,
        media: Media::Chat,
        group,
        priority: match priority {
            2.. => Priority::Green,
            1 => Priority::Vip,
            _ => Priority::Normal,
        },
        region: None,
        tags: Vec::new(),
        last_agent: None,
        enqueued_at,
    }
}

pub(crate) fn conv_key(id: &str) -> ItemId {
    ItemId(key64(id))
}

pub(crate) fn agent_key(id: &str) -> AgentId {
    AgentId(key64(id))
}

impl TenantRouting {
    pub(crate) fn track_item(&mut self, conversation: &str) -> ItemId {
        let id = conv_key(conversation);
        self.items.insert(id.0, conversation.to_string());
        id
    }

    pub(crate) fn group_of(&self, uuid: Option<&str>) -> Option<GroupId> {
        self.group(uuid)
    }

    pub(crate) fn any_group(&self) -> Option<GroupId> {
        self.groups.values().min().copied()
    }

    /// Remember a ticket's work item so its outcomes are recognised as a ticket's.
    pub(crate) fn track_ticket(&mut self, ticket: &str, w: &WorkItem) {
        self.parked.remove(&w.id.0);
        self.tickets.insert(w.id.0, (ticket.to_string(), w.clone()));
    }

    /// Forget a ticket (resolved, closed, or about to arrive again elsewhere).
    pub(crate) fn forget_ticket(&mut self, item: ItemId) {
        self.parked.remove(&item.0);
        self.tickets.remove(&item.0);
    }

    /// The ticket outcomes of an engine step, as decisions (`None`: not a ticket's).
    fn ticket_decision(&mut self, o: &Outcome) -> Option<Vec<Decision>> {
        let item = o.item()?;
        let (ticket, _) = self.tickets.get(&item.0)?.clone();
        Some(match o {
            Outcome::Assigned {
                agent,
                group,
                explanation,
                ..
            }
            | Outcome::Offered {
                agent,
                group,
                explanation,
                ..
            } => {
                self.parked.remove(&item.0);
                match self.agents.get(&agent.0) {
                    Some(a) => vec![Decision::TicketAssigned {
                        ticket,
                        agent: a.clone(),
                        group: self.group_uuid.get(&group.0).cloned(),
                        explanation: explanation
                            .as_ref()
                            .map(|x| explanation_json(x, &self.agents, &self.names)),
                    }],
                    None => Vec::new(),
                }
            }
            Outcome::Fallback { .. } => {
                // Nobody receiving in the group: the ticket waits in its
                // group unassigned and is offered again later.
                self.parked.insert(item.0);
                Vec::new()
            }
            _ => Vec::new(),
        })
    }

    /// Offer every parked ticket again (someone may be receiving now).
    pub(crate) fn retry_parked(&mut self, now: i64) -> Vec<Outcome> {
        let mut out = Vec::new();
        for id in std::mem::take(&mut self.parked) {
            if let Some((_, w)) = self.tickets.get(&id) {
                match self.engine.arrive(now, w.clone()) {
                    Ok(o) => out.extend(o),
                    Err(e) => tracing::warn!(?e, "routing refused a parked ticket"),
                }
            }
        }
        out
    }
}

impl App {
    /// Position (0 = next) and estimated wait of a queued conversation.
    pub async fn queue_status(
        &self,
        scope: &TenantScope,
        conversation: &str,
    ) -> Option<(usize, Option<i64>)> {
        // Not built yet means nothing is queued in it: no position to report.
        let tenants = self
            .routing
            .tenants
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let tr = tenants.get(scope.tenant_id().as_str())?;
        tr.engine
            .position(conv_key(conversation))
            .map(|s| (s.position, s.estimated_wait_ms))
    }
}

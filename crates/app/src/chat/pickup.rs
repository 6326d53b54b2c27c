//! 抢单 (pick-up): conversations waiting in a broadcast skill group are shown
//! to every member who could take one now, in the workbench's "待抢单 / Pick
//! up" list; the first to claim one gets it, like any assignment (state,
//! assignment record with its explanation, `assigned` frame). Lists travel as
//! whole `pickups` frames on the agent socket, versioned so a client never
//! replaces a newer list with an older one.

use super::summary;
use crate::hub::Topic;
use crate::routing::{agent_key, conv_key};
use crate::{parse_id, App, AppError, AppResult, Principal};
use kefu_routing::RoutingError;
use kefu_store::{conversations, skill_groups, TenantScope};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Why a claim failed, decided inside the routing step.
enum Refusal {
    Taken,
    NotOffered,
    NotEligible,
}

impl App {
    /// `{type: "pickups", version, conversations: [summary + skill_group_name
    /// + preview]}`: what `user_id` may pick up now.
    pub async fn pickups_frame(&self, scope: &TenantScope, user_id: &str) -> AppResult<Value> {
        // The engine may not be built yet (first use after a start): build it,
        // applying whatever settling it decided.
        let settled = self.route(scope, |_, _| Vec::new()).await?;
        if !settled.is_empty() {
            Box::pin(self.apply_decisions(scope, settled)).await;
        }
        let mut cache = HashMap::new();
        self.pickups_frame_cached(scope, user_id, &mut cache).await
    }

    /// [`App::pickups_frame`] with the summaries of one refresh shared between
    /// the agents it goes to (and without building the engine).
    async fn pickups_frame_cached(
        &self,
        scope: &TenantScope,
        user_id: &str,
        cache: &mut HashMap<String, Option<Value>>,
    ) -> AppResult<Value> {
        let (version, ids) = self
            .with_routing(scope, |tr| {
                (self.pool_version(), tr.pickable_by(agent_key(user_id)))
            })
            .unwrap_or_else(|| (self.pool_version(), Vec::new()));
        let mut list = Vec::new();
        for (id, group) in ids {
            if !cache.contains_key(&id) {
                let v = self.pickup_summary(scope, &id, group.as_deref()).await?;
                cache.insert(id.clone(), v);
            }
            if let Some(Some(v)) = cache.get(&id) {
                list.push(v.clone());
            }
        }
        Ok(json!({"type": "pickups", "version": version, "conversations": list}))
    }

    /// A waiting conversation as the pick-up list shows it: the workbench
    /// summary, the group's name and the visitor's latest words.
    async fn pickup_summary(
        &self,
        scope: &TenantScope,
        id: &str,
        group: Option<&str>,
    ) -> AppResult<Option<Value>> {
        let mut conn = self.store.conn().await?;
        let Some(c) = conversations::get_conversation(&mut conn, scope, id).await? else {
            return Ok(None);
        };
        if !matches!(c.state.as_str(), "queued" | "transferred") {
            return Ok(None);
        }
        let name = conversations::get_customer(&mut conn, scope, &c.customer_id)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        let group_name = match group {
            Some(g) => skill_groups::get(&mut conn, scope, g)
                .await?
                .map(|g| g.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let preview = conversations::events_after(&mut conn, scope, id, 0, 50)
            .await?
            .iter()
            .rev()
            .find(|e| e.kind == "message" && e.sender == "visitor")
            .and_then(|e| {
                e.body["text"]
                    .as_str()
                    .map(|t| t.chars().take(80).collect())
            })
            .unwrap_or_else(String::new);
        let mut v = summary(&c, &name);
        v["skill_group_name"] = json!(group_name);
        v["preview"] = json!(preview);
        Ok(Some(v))
    }

    /// Push fresh pick-up lists to these agents' sockets.
    pub(crate) async fn push_pickups(&self, scope: &TenantScope, agents: &[String]) {
        let mut cache = HashMap::new();
        for a in agents {
            let topic = Topic::Agent(a.clone());
            if !self.hub.has_subscribers(&topic) {
                continue;
            }
            match self.pickups_frame_cached(scope, a, &mut cache).await {
                Ok(frame) => self.hub.publish(&topic, &frame),
                Err(e) => tracing::error!(error = %e, "computing a pick-up list failed"),
            }
        }
    }

    /// The agent's pick-up list (`GET /api/v1/pickups`).
    pub async fn pickups(&self, p: &Principal) -> AppResult<Value> {
        let me = p.require_user()?.to_string();
        self.pickups_frame(&p.tenant, &me).await
    }

    /// 抢单: claim a conversation waiting in one of the agent's broadcast
    /// groups. The first claim wins; a later one is refused with 409
    /// `already_taken`, one by an agent who cannot take more work with 409
    /// `not_eligible`. Returns the conversation's summary.
    pub async fn pick_up(&self, p: &Principal, id: &str) -> AppResult<Value> {
        let me = p.require_user()?.to_string();
        let id = parse_id("conversation", id)?;
        let mut conn = self.store.conn().await?;
        conversations::get_conversation(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("conversation"))?;
        drop(conn);
        let mut refusal = None;
        let decisions = self
            .route(&p.tenant, |tr, now| {
                let item = conv_key(&id);
                match tr.engine.accept(now, item, agent_key(&me)) {
                    Ok(out) => out,
                    Err(e) => {
                        refusal = Some(match e {
                            RoutingError::NotOffered { .. }
                                if tr.engine.position(item).is_some() =>
                            {
                                Refusal::NotOffered
                            }
                            RoutingError::NotEligible { .. } | RoutingError::UnknownAgent(_) => {
                                Refusal::NotEligible
                            }
                            _ => Refusal::Taken,
                        });
                        Vec::new()
                    }
                }
            })
            .await?;
        self.apply_decisions(&p.tenant, decisions).await;
        match refusal {
            None => {}
            Some(Refusal::Taken) => {
                return Err(AppError::conflict(
                    "already_taken",
                    "this conversation is no longer waiting: another agent picked it up first, or the visitor left",
                ))
            }
            Some(Refusal::NotOffered) => {
                return Err(AppError::conflict(
                    "not_offered",
                    "this conversation is not waiting for pick-up in any of your skill groups",
                ))
            }
            Some(Refusal::NotEligible) => {
                return Err(AppError::conflict(
                    "not_eligible",
                    "you cannot take more conversations now: your status does not allow receiving or you are at your reception limit",
                ))
            }
        }
        let mut conn = self.store.conn().await?;
        let c = conversations::get_conversation(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("conversation"))?;
        let name = conversations::get_customer(&mut conn, &p.tenant, &c.customer_id)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        Ok(summary(&c, &name))
    }

    /// Sticky groups (主叫记忆): the agent who served this customer last, so
    /// routing offers a returning customer to them first.
    pub(crate) async fn sticky_last_agent(
        &self,
        scope: &TenantScope,
        customer_id: &str,
        group: Option<&str>,
    ) -> AppResult<Option<String>> {
        let Some(group) = group else {
            return Ok(None);
        };
        let mut conn = self.store.conn().await?;
        let sticky = skill_groups::get(&mut conn, scope, group)
            .await?
            .is_some_and(|g| g.strategy == "sticky");
        if !sticky {
            return Ok(None);
        }
        Ok(conversations::last_agent_of_customer(&mut conn, scope, customer_id).await?)
    }
}

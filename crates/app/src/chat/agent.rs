//! What an agent does in the workbench: see their conversations, reply, write
//! internal notes, transfer, close with a summary, invite a rating. Team leads
//! (`conversations.supervise`) may act on any conversation.

use super::appender::{Cond, OwnedEvent};
use super::{body, next_state, summary};
use crate::hub::Topic;
use crate::{missing_ref, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::conversation::ConversationAction;
use kefu_domain::{Permission, ValidationError};
use kefu_store::{
    conversations, skill_groups, users, Conversation, ConversationEvent, TenantScope,
};
use serde_json::json;

impl App {
    async fn conversation_for(&self, p: &Principal, id: &str) -> AppResult<Conversation> {
        let id = parse_id("conversation", id)?;
        let mut conn = self.store.conn().await?;
        let c = conversations::get_conversation(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("conversation"))?;
        let mine = p.user_id.is_some() && c.agent_id == p.user_id;
        if !mine && !p.can(Permission::Supervise) {
            // Not theirs and not a lead: as if it did not exist.
            return Err(AppError::NotFound("conversation"));
        }
        Ok(c)
    }

    /// The agent's open conversations, for the workbench list.
    pub async fn agent_conversations(&self, p: &Principal) -> AppResult<Vec<serde_json::Value>> {
        let me = p.require_user()?;
        let mut conn = self.store.conn().await?;
        let mut out = Vec::new();
        for c in conversations::open_conversations_of_agent(&mut conn, &p.tenant, me).await? {
            let name = conversations::get_customer(&mut conn, &p.tenant, &c.customer_id)
                .await?
                .map(|c| c.name)
                .unwrap_or_default();
            out.push(summary(&c, &name));
        }
        Ok(out)
    }

    pub async fn get_conversation(&self, p: &Principal, id: &str) -> AppResult<Conversation> {
        self.conversation_for(p, id).await
    }

    /// Every routing decision for the conversation with its explanation.
    pub async fn conversation_assignments(
        &self,
        p: &Principal,
        id: &str,
    ) -> AppResult<Vec<kefu_store::Assignment>> {
        let c = self.conversation_for(p, id).await?;
        let mut conn = self.store.conn().await?;
        Ok(conversations::assignments_of(&mut conn, &p.tenant, &c.id).await?)
    }

    pub async fn conversation_events(
        &self,
        p: &Principal,
        id: &str,
        after_seq: i64,
        limit: i64,
    ) -> AppResult<Vec<ConversationEvent>> {
        let c = self.conversation_for(p, id).await?;
        let mut conn = self.store.conn().await?;
        Ok(conversations::events_after(
            &mut conn,
            &p.tenant,
            &c.id,
            after_seq,
            limit.clamp(1, 1000),
        )
        .await?)
    }

    pub async fn agent_send(
        &self,
        p: &Principal,
        id: &str,
        client_id: &str,
        raw: &serde_json::Value,
        private: bool,
    ) -> AppResult<(ConversationEvent, bool)> {
        if client_id.is_empty() || client_id.len() > 64 {
            return Err(ValidationError::new("client_id", "must be 1–64 characters").into());
        }
        let body = body::parse(raw, false)?;
        let me = p.require_user()?;
        let event = OwnedEvent::from(&conversations::NewEvent {
            kind: "message",
            sender: "agent",
            sender_id: Some(me),
            sender_name: &p.display_name,
            client_id: Some(client_id),
            body: &body,
            private,
        });
        // The common case, in one step: an open conversation of this agent's.
        let mine = Cond {
            open: true,
            agent: Some(me.to_string()),
        };
        match self
            .appender()?
            .append(&p.tenant, id, event.clone(), mine)
            .await
        {
            Err(AppError::NotFound(_)) => {}
            r => return r,
        }
        // Otherwise say why — or let a team lead write into a colleague's.
        let c = self.conversation_for(p, id).await?;
        if !super::state_of(&c)?.is_open() {
            return Err(AppError::conflict(
                "conversation_ended",
                "the conversation has ended",
            ));
        }
        let open = Cond {
            open: true,
            agent: None,
        };
        self.appender()?.append(&p.tenant, &c.id, event, open).await
    }

    pub fn typing(&self, conversation_id: &str, from_agent: bool) {
        let frame = json!({"type": "typing", "conversation_id": conversation_id, "sender": if from_agent { "agent" } else { "visitor" }});
        if from_agent {
            self.hub
                .publish(&Topic::Visitor(conversation_id.to_string()), &frame);
        } else {
            self.hub
                .publish(&Topic::Staff(conversation_id.to_string()), &frame);
        }
    }

    /// Hand the conversation to a colleague (who must be receiving and have
    /// room) or to a skill group (where it queues like new work), with a note
    /// the next agent sees.
    pub async fn agent_transfer(
        &self,
        p: &Principal,
        id: &str,
        to_agent: Option<&str>,
        to_group: Option<&str>,
        note: &str,
    ) -> AppResult<()> {
        let c = self.conversation_for(p, id).await?;
        next_state(&c, ConversationAction::Transfer)?;
        let note: String = note.trim().chars().take(1000).collect();
        let mut conn = self.store.conn().await?;
        let (agent, group) = match (to_agent, to_group) {
            (Some(a), None) => {
                let a = parse_id("user", a).map_err(|_| missing_ref("to_agent_id", "agent"))?;
                let u = users::get(&mut conn, &p.tenant, &a)
                    .await?
                    .ok_or_else(|| missing_ref("to_agent_id", "agent"))?;
                if Some(&u.id) == c.agent_id.as_ref() {
                    return Err(ValidationError::new(
                        "to_agent_id",
                        "is already serving this conversation",
                    )
                    .into());
                }
                (Some(u), None)
            }
            (None, Some(g)) => {
                let g = parse_id("skill group", g)
                    .map_err(|_| missing_ref("to_group_id", "skill group"))?;
                let g = skill_groups::get(&mut conn, &p.tenant, &g)
                    .await?
                    .ok_or_else(|| missing_ref("to_group_id", "skill group"))?;
                (None, Some(g))
            }
            _ => {
                return Err(ValidationError::new(
                    "to_agent_id",
                    "give exactly one of to_agent_id and to_group_id",
                )
                .into())
            }
        };
        drop(conn);
        let from = c.agent_id.clone();
        let conv = c.id.clone();
        let target = agent.as_ref().map(|u| u.id.clone());
        let group_id = group
            .as_ref()
            .map(|g| g.id.clone())
            .or(c.skill_group_id.clone());
        let priority = c.priority;
        // One routing step: release the current agent, then give it to the
        // colleague or queue it in the group. A colleague without room refuses.
        let refused = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let refused2 = refused.clone();
        let decisions = self
            .route(&p.tenant, move |tr, now| {
                let item = crate::routing::conv_key(&conv);
                let g = tr.group_of(group_id.as_deref()).or_else(|| tr.any_group());
                let Some(g) = g else { return Vec::new() };
                let w = crate::routing::work_item(item, g, priority, now);
                match target {
                    Some(t) => {
                        let agent = crate::routing::agent_key(&t);
                        let mut out = tr.engine.finish(now, item).unwrap_or_default();
                        match tr.engine.arrive_for_agent(now, w.clone(), agent) {
                            Ok(o) => out.extend(o),
                            Err(_) => {
                                refused2.store(true, std::sync::atomic::Ordering::SeqCst);
                                // Give it back to whoever had it.
                                if let Some(f) = from {
                                    out = tr
                                        .engine
                                        .arrive_for_agent(now, w, crate::routing::agent_key(&f))
                                        .unwrap_or_default();
                                    out.retain(|o| {
                                        !matches!(o, kefu_routing::Outcome::Assigned { .. })
                                    });
                                }
                            }
                        }
                        out
                    }
                    None => {
                        let mut out = tr.engine.finish(now, item).unwrap_or_default();
                        let moved = tr.engine.arrive(now, w.clone()).unwrap_or_default();
                        if moved
                            .iter()
                            .any(|o| matches!(o, kefu_routing::Outcome::Fallback { .. }))
                        {
                            // Nobody in that group can ever take it now: keep it
                            // with its agent rather than end the customer's chat.
                            refused2.store(true, std::sync::atomic::Ordering::SeqCst);
                            if let Some(f) = from {
                                out = tr
                                    .engine
                                    .arrive_for_agent(now, w, crate::routing::agent_key(&f))
                                    .unwrap_or_default();
                                out.retain(|o| {
                                    !matches!(o, kefu_routing::Outcome::Assigned { .. })
                                });
                            }
                            return out;
                        }
                        out.extend(moved);
                        out
                    }
                }
            })
            .await?;
        if refused.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(match to_agent {
                Some(_) => AppError::conflict(
                    "agent_unavailable",
                    "that agent is not receiving or has no room; transfer to their skill group instead",
                ),
                None => AppError::conflict(
                    "nobody_available",
                    "nobody in that skill group is receiving; the conversation stays with you",
                ),
            });
        }
        // The conversation is now "transferred" until the routing decision assigns it.
        let mut tx = self.store.begin().await?;
        conversations::set_state(
            &mut tx,
            &p.tenant,
            &c.id,
            &conversations::StateChange {
                state: "transferred",
                agent_id: None,
                skill_group_id: group.as_ref().map(|g| g.id.as_str()),
                queued: true,
                assigned: false,
                ended: false,
            },
        )
        .await?;
        tx.commit().await?;
        self.system_event(
            &p.tenant,
            &c.id,
            json!({"event": "transferred", "from_agent_id": c.agent_id, "to_agent_id": agent.as_ref().map(|u| &u.id), "to_group_id": group.as_ref().map(|g| &g.id), "note": note}),
        )
        .await?;
        if let Some(prev) = &c.agent_id {
            self.hub.publish(
                &Topic::Agent(prev.clone()),
                &json!({"type": "conversation_removed", "conversation_id": c.id}),
            );
            self.hub
                .unlink(&Topic::Agent(prev.clone()), &Topic::Staff(c.id.clone()));
        }
        self.apply_decisions(&p.tenant, decisions).await;
        Ok(())
    }

    /// End with a summary (服务总结) and tags: resolved = 完成, else 关闭.
    pub async fn agent_close(
        &self,
        p: &Principal,
        id: &str,
        resolved: bool,
        summary_text: &str,
        tags: &[String],
    ) -> AppResult<()> {
        let c = self.conversation_for(p, id).await?;
        let action = if resolved {
            ConversationAction::Complete
        } else {
            ConversationAction::Close
        };
        next_state(&c, action)?;
        let summary_text: String = summary_text.trim().chars().take(2000).collect();
        let tags: Vec<String> = tags
            .iter()
            .filter(|t| !t.trim().is_empty())
            .take(20)
            .map(|t| t.trim().chars().take(30).collect())
            .collect();
        let mut conn = self.store.conn().await?;
        conversations::set_summary(&mut conn, &p.tenant, &c.id, &summary_text, &tags).await?;
        drop(conn);
        let event = if resolved { "completed" } else { "closed" };
        self.end_conversation(
            &p.tenant,
            &c.id,
            action,
            json!({"event": event, "reason": "agent", "by": p.user_id}),
        )
        .await?;
        if let Some(a) = &c.agent_id {
            self.hub.publish(
                &Topic::Agent(a.clone()),
                &json!({"type": "conversation_removed", "conversation_id": c.id}),
            );
        }
        Ok(())
    }

    /// 邀评: ask the visitor to rate.
    pub async fn agent_invite_rating(&self, p: &Principal, id: &str) -> AppResult<()> {
        let c = self.conversation_for(p, id).await?;
        let mut conn = self.store.conn().await?;
        conversations::set_rating_invited(&mut conn, &p.tenant, &c.id).await?;
        drop(conn);
        self.system_event(&p.tenant, &c.id, json!({"event": "rating_invited"}))
            .await?;
        self.hub.publish(
            &Topic::Visitor(c.id.clone()),
            &json!({"type": "rating_invite", "conversation_id": c.id}),
        );
        Ok(())
    }

    /// Everything a team lead's monitor shows, per skill group.
    pub async fn monitor_snapshot(&self, p: &Principal) -> AppResult<serde_json::Value> {
        p.require(Permission::Supervise)?;
        let mut conn = self.store.conn().await?;
        let groups = skill_groups::list(&mut conn, &p.tenant).await?;
        let open = conversations::open_conversations(&mut conn, &p.tenant).await?;
        let people = users::list(&mut conn, &p.tenant).await?;
        let statuses = kefu_store::statuses::list(&mut conn, &p.tenant).await?;
        let now = kefu_store::now_ms();
        let mut out = Vec::new();
        for g in &groups {
            let queued: Vec<&Conversation> = open
                .iter()
                .filter(|c| {
                    c.skill_group_id.as_ref() == Some(&g.id)
                        && matches!(c.state.as_str(), "queued" | "transferred")
                })
                .collect();
            let longest = queued
                .iter()
                .filter_map(|c| c.queued_at)
                .map(|t| now - t)
                .max();
            let members = skill_groups::members(&mut conn, &p.tenant, &g.id).await?;
            let agents: Vec<serde_json::Value> = members
                .iter()
                .filter_map(|m| people.iter().find(|u| u.id == m.user_id))
                .map(|u| {
                    let status = u.status_id.as_ref().and_then(|s| statuses.iter().find(|x| &x.id == s));
                    json!({
                        "id": u.id,
                        "name": u.display_name,
                        "status": status.map(|s| s.name.clone()),
                        "status_id": u.status_id,
                        "can_receive": status.is_some_and(|s| s.can_receive),
                        "load": open.iter().filter(|c| c.agent_id.as_ref() == Some(&u.id) && c.state == "active").count(),
                        "limit": u.reception_limit,
                    })
                })
                .collect();
            out.push(json!({"group": g, "queue_length": queued.len(), "longest_wait_ms": longest, "agents": agents}));
        }
        Ok(json!({"groups": out, "open_conversations": open.len(), "at": now}))
    }

    /// Re-route after a reception-status change, so it takes effect at once.
    pub(crate) async fn after_agent_change(&self, scope: &TenantScope, user_id: &str) {
        match self.refresh_agent(scope, user_id).await {
            Ok(d) => self.apply_decisions(scope, d).await,
            Err(e) => tracing::error!(error = %e, "routing refresh failed"),
        }
        self.hub.publish(
            &Topic::Monitor(scope.tenant_id().to_string()),
            &json!({"type": "monitor_changed"}),
        );
    }

    /// Keep routing timers going (overflow, sticky deadlines…). Runs forever.
    pub async fn run_routing_timers(self) {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
        loop {
            tick.tick().await;
            for (scope, decisions) in self.routing_tick().await {
                self.apply_decisions(&scope, decisions).await;
            }
        }
    }
}

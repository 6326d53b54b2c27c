//! Online service (在线客服): conversations between visitors and agents. The
//! message path follows DESIGN.md: validate, store (with the conversation's
//! next sequence number, idempotent by client id), then notify through the hub.
//! Routing decisions from the engine are applied here.

pub mod agent;
pub mod appender;
pub mod body;
pub mod customers;
pub mod files;
pub mod pickup;
pub mod presence;
pub mod visitor;
pub mod workbench;

use crate::hub::Topic;
use crate::routing::Decision;
use crate::{App, AppError, AppResult};
use kefu_domain::conversation::{transition, ConversationAction, ConversationState};
use kefu_store::{conversations, users, Conversation, ConversationEvent, TenantScope};
use serde_json::json;

/// The frame every socket receives for a stored event, serialised straight
/// from the event (on the message path a `Value` map cost an allocation per
/// field).
pub fn event_frame(e: &ConversationEvent) -> String {
    #[derive(serde::Serialize)]
    struct EventFrame<'a> {
        #[serde(rename = "type")]
        kind_of_frame: &'static str,
        conversation_id: &'a str,
        seq: i64,
        kind: &'a str,
        sender: &'a str,
        sender_name: &'a str,
        client_id: Option<&'a str>,
        body: &'a serde_json::Value,
        private: bool,
        at: i64,
    }
    let frame = EventFrame {
        kind_of_frame: "event",
        conversation_id: &e.conversation_id,
        seq: e.seq,
        kind: &e.kind,
        sender: &e.sender,
        sender_name: &e.sender_name,
        client_id: e.client_id.as_deref(),
        body: &e.body,
        private: e.private,
        at: e.at,
    };
    // Serialising strings, numbers and a JSON value cannot fail.
    serde_json::to_string(&frame).unwrap_or_default()
}

/// Notify everyone on the conversation's staff topic, and the visitor unless
/// it is an internal note.
pub(crate) fn publish(hub: &crate::hub::Hub, e: &ConversationEvent) {
    let frame = crate::hub::Frame::from(event_frame(e));
    if !e.private {
        hub.publish_text(&Topic::Visitor(e.conversation_id.clone()), frame.clone());
    }
    hub.publish_text(&Topic::Staff(e.conversation_id.clone()), frame);
}

/// What the workbench lists for a conversation.
pub fn summary(c: &Conversation, visitor_name: &str) -> serde_json::Value {
    json!({
        "id": c.id,
        "state": c.state,
        "visitor_name": visitor_name,
        "customer_id": c.customer_id,
        "channel_id": c.channel_id,
        "skill_group_id": c.skill_group_id,
        "agent_id": c.agent_id,
        "last_seq": c.last_seq,
        "created_at": c.created_at,
        "waiting_since": c.queued_at,
        "assigned_at": c.assigned_at,
    })
}

pub(crate) fn state_of(c: &Conversation) -> AppResult<ConversationState> {
    ConversationState::parse(&c.state)
        .ok_or_else(|| AppError::Internal(format!("unknown conversation state {}", c.state)))
}

/// A forbidden move is the caller's mistake, said plainly.
pub(crate) fn next_state(
    c: &Conversation,
    action: ConversationAction,
) -> AppResult<ConversationState> {
    transition(state_of(c)?, action)
        .map_err(|e| AppError::conflict("invalid_transition", e.to_string()))
}

impl App {
    /// Store one event and notify: everyone on the conversation's staff topic,
    /// and the visitor unless it is an internal note. Returns the event and
    /// whether it is new (false = a retried client id).
    pub(crate) async fn append_and_publish(
        &self,
        scope: &TenantScope,
        conversation_id: &str,
        e: &conversations::NewEvent<'_>,
    ) -> AppResult<(ConversationEvent, bool)> {
        // The writer stores and publishes (in commit order); see `appender`.
        self.appender()?
            .append(
                scope,
                conversation_id,
                appender::OwnedEvent::from(e),
                appender::Cond::default(),
            )
            .await
    }

    pub(crate) fn appender(&self) -> AppResult<&appender::Appender> {
        if let Some(a) = self.appender.get() {
            return Ok(a);
        }
        let started = appender::Appender::start(self.store.clone(), self.hub.clone())?;
        // Two first callers may race: the loser's writer stops when its
        // sender is dropped here.
        Ok(self.appender.get_or_init(|| started))
    }

    pub(crate) async fn system_event(
        &self,
        scope: &TenantScope,
        conversation_id: &str,
        body: serde_json::Value,
    ) -> AppResult<ConversationEvent> {
        let e = conversations::NewEvent {
            kind: "system",
            sender: "system",
            sender_id: None,
            sender_name: "",
            client_id: None,
            body: &body,
            private: false,
        };
        Ok(self.append_and_publish(scope, conversation_id, &e).await?.0)
    }

    /// Carry out what routing decided.
    pub async fn apply_decisions(&self, scope: &TenantScope, decisions: Vec<Decision>) {
        let touched = !decisions.is_empty();
        for d in decisions {
            if let Err(e) = self.apply_one(scope, d).await {
                tracing::error!(error = %e, "applying a routing decision failed");
            }
        }
        if touched {
            self.hub.publish(
                &Topic::Monitor(scope.tenant_id().to_string()),
                &json!({"type": "monitor_changed"}),
            );
        }
    }

    async fn apply_one(&self, scope: &TenantScope, d: Decision) -> AppResult<()> {
        match d {
            Decision::Assigned {
                conversation,
                agent,
                group,
                explanation,
            } => {
                let mut tx = self.store.begin().await?;
                let c = conversations::get_conversation(&mut tx, scope, &conversation)
                    .await?
                    .ok_or(AppError::NotFound("conversation"))?;
                let to = next_state(&c, ConversationAction::Assign)?;
                conversations::set_state(
                    &mut tx,
                    scope,
                    &conversation,
                    &conversations::StateChange {
                        state: to.key(),
                        agent_id: Some(&agent),
                        skill_group_id: group.as_deref(),
                        queued: false,
                        assigned: true,
                        ended: false,
                    },
                )
                .await?;
                conversations::record_assignment(
                    &mut tx,
                    scope,
                    &conversation,
                    &agent,
                    group.as_deref(),
                    explanation.as_ref(),
                )
                .await?;
                let name = users::get(&mut tx, scope, &agent)
                    .await?
                    .map(|u| u.display_name)
                    .unwrap_or_default();
                tx.commit().await?;
                self.system_event(
                    scope,
                    &conversation,
                    json!({"event": "assigned", "agent_id": agent, "agent_name": name}),
                )
                .await?;
                let mut conn = self.store.conn().await?;
                let c = conversations::get_conversation(&mut conn, scope, &conversation)
                    .await?
                    .ok_or(AppError::NotFound("conversation"))?;
                let visitor_name = conversations::get_customer(&mut conn, scope, &c.customer_id)
                    .await?
                    .map(|c| c.name)
                    .unwrap_or_default();
                self.hub.link(
                    &Topic::Agent(agent.clone()),
                    Topic::Staff(conversation.clone()),
                );
                self.hub.publish(
                    &Topic::Agent(agent),
                    &json!({"type": "assigned", "conversation": summary(&c, &visitor_name), "explanation": explanation}),
                );
            }
            Decision::Queued {
                conversation,
                position,
                estimated_wait_ms,
            } => {
                self.hub.publish(
                    &Topic::Visitor(conversation),
                    &json!({"type": "queue", "position": position, "estimated_wait_ms": estimated_wait_ms}),
                );
            }
            Decision::Fallback {
                conversation,
                outside_hours,
            } => {
                self.end_conversation(
                    scope,
                    &conversation,
                    ConversationAction::Close,
                    json!({"event": "closed", "reason": "nobody_available"}),
                )
                .await?;
                self.hub.publish(
                    &Topic::Visitor(conversation),
                    &json!({"type": "offline", "reason": if outside_hours { "outside_hours" } else { "nobody_online" }}),
                );
            }
            Decision::TicketAssigned {
                ticket,
                agent,
                group,
                explanation,
            } => {
                self.apply_ticket_assigned(scope, &ticket, &agent, group.as_deref(), explanation)
                    .await?;
            }
            Decision::Pickups { agents } => {
                self.push_pickups(scope, &agents).await;
            }
            Decision::AgentOnBreak { agent } => {
                tracing::info!(
                    agent,
                    "agent put on break by routing after unanswered offers"
                );
            }
        }
        Ok(())
    }

    /// Close or complete a conversation: state, timestamp, system event, and
    /// the agent's sockets stop following it.
    pub(crate) async fn end_conversation(
        &self,
        scope: &TenantScope,
        id: &str,
        action: ConversationAction,
        body: serde_json::Value,
    ) -> AppResult<Conversation> {
        let mut tx = self.store.begin().await?;
        let c = conversations::get_conversation(&mut tx, scope, id)
            .await?
            .ok_or(AppError::NotFound("conversation"))?;
        let to = next_state(&c, action)?;
        conversations::set_state(
            &mut tx,
            scope,
            id,
            &conversations::StateChange {
                state: to.key(),
                agent_id: c.agent_id.as_deref(),
                skill_group_id: None,
                queued: false,
                assigned: false,
                ended: true,
            },
        )
        .await?;
        tx.commit().await?;
        self.system_event(scope, id, body).await?;
        let decisions = self
            .route(scope, |tr, now| {
                tr.engine
                    .finish(now, crate::routing::conv_key(id))
                    .unwrap_or_default()
            })
            .await?;
        // Boxed: applying decisions can end conversations, which applies decisions.
        Box::pin(self.apply_decisions(scope, decisions)).await;
        Ok(c)
    }

    /// Put a conversation in line for its group (or a given one) and apply the
    /// routing outcome.
    pub(crate) async fn enqueue_conversation(
        &self,
        scope: &TenantScope,
        c: &Conversation,
        group: Option<&str>,
    ) -> AppResult<()> {
        let id = c.id.clone();
        let priority = c.priority;
        let group = group.map(str::to_string).or(c.skill_group_id.clone());
        let last_agent = self
            .sticky_last_agent(scope, &c.customer_id, group.as_deref())
            .await?;
        let decisions = self
            .route(scope, move |tr, now| {
                let Some(g) = tr.group_of(group.as_deref()).or_else(|| tr.any_group()) else {
                    return Vec::new();
                };
                let item = tr.track_item(&id);
                // Routing rebuilt from the database just now already holds this
                // (it saw the conversation queued) without having decided on it:
                // take it out and decide now, fallback included.
                let mut w = crate::routing::work_item(item, g, priority, now);
                w.last_agent = last_agent.as_deref().map(crate::routing::agent_key);
                let out = match tr.engine.arrive(now, w.clone()) {
                    Err(kefu_routing::RoutingError::DuplicateItem(_)) => {
                        let _ = tr.engine.finish(now, item);
                        tr.engine.arrive(now, w)
                    }
                    other => other,
                };
                out.unwrap_or_else(|e| {
                    tracing::error!(?e, "routing refused a new conversation");
                    Vec::new()
                })
            })
            .await?;
        if decisions.is_empty() {
            // No skill group at all: nobody can ever serve.
            self.apply_decisions(
                scope,
                vec![Decision::Fallback {
                    conversation: c.id.clone(),
                    outside_hours: false,
                }],
            )
            .await;
        } else {
            self.apply_decisions(scope, decisions).await;
        }
        Ok(())
    }
}

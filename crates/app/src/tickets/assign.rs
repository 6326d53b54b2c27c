//! Who works on a ticket. New tickets of a skill group go through the routing
//! engine as ticket media (the agent's ticket capacity, the group's strategy);
//! a person may assign one by hand; a hand-over to another skill group is
//! limited by the flow scope of the operator's groups (SPEC §3) and routes the
//! ticket again in the new group. Resolving or closing a ticket gives the
//! agent's ticket capacity back.

use super::records::{may_work, not_yours};
use super::{change, operator_groups, By};
use crate::hub::Topic;
use crate::routing::Decision;
use crate::{parse_id, App, AppError, AppResult, Principal};
use kefu_domain::ticket::{flow_targets, FlowTargets};
use kefu_domain::Permission;
use kefu_routing::{GroupId, ItemId, Media, Priority, WorkItem};
use kefu_store::ticket_activity::{self as activity, NewNotification};
use kefu_store::tickets::{self, Ticket};
use kefu_store::{skill_groups, users, Conn, SkillGroup, TenantScope};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// The engine's id of a ticket (its own space: a ticket and a conversation
/// with the same UUID text cannot collide, since UUIDs are unique anyway).
pub(crate) fn ticket_key(id: &str) -> ItemId {
    crate::routing::conv_key(&format!("ticket:{id}"))
}

pub(crate) fn ticket_item(id: &str, group: GroupId, priority: &str, created_at: i64) -> WorkItem {
    WorkItem {
        id: ticket_key(id),
        media: Media::Ticket,
        group,
        priority: match priority {
            "urgent" => Priority::Green,
            "high" => Priority::Vip,
            _ => Priority::Normal,
        },
        region: None,
        tags: Vec::new(),
        last_agent: None,
        enqueued_at: created_at,
    }
}

/// SPEC §3 for this operator: may they hand a ticket to `target`? Refused
/// with 403 `outside_flow_scope` otherwise.
pub(crate) fn check_flow_scope(operator_groups: &[SkillGroup], target: &str) -> AppResult<()> {
    let scopes: Vec<Option<Vec<String>>> = operator_groups
        .iter()
        .map(|g| g.flow_scope.clone())
        .collect();
    match flow_targets(&scopes) {
        t if t.allows(target) => Ok(()),
        _ => Err(AppError::Refused {
            code: "outside_flow_scope",
            message: "that skill group is outside the ticket flow scope (工单流转范围) of your skill groups".into(),
        }),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// The agent; `null` takes the ticket off its agent (it waits in its group).
    pub assignee_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    /// The skill group to hand the ticket to.
    pub skill_group_id: String,
    /// Why, shown to the new group as an internal note.
    #[serde(default)]
    pub note: String,
}

/// Where the operator may hand tickets: every group, or these.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct FlowScopeView {
    /// True when every skill group is allowed.
    pub any: bool,
    pub skill_groups: Vec<SkillGroup>,
}

impl App {
    /// Hand a new ticket to routing: a chosen assignee holds ticket capacity
    /// (if they can take it now); otherwise an agent of its group is picked,
    /// or it waits in the group.
    pub(crate) async fn route_new_ticket(&self, t: &TenantScope, k: &Ticket) -> AppResult<()> {
        let id = k.id.clone();
        let group = k.skill_group_id.clone();
        let priority = k.priority.clone();
        let assignee = k.assignee_id.clone();
        let created = k.created_at;
        let decisions = self
            .route(t, move |tr, now| {
                let Some(g) = tr.group_of(group.as_deref()) else {
                    return Vec::new();
                };
                let w = ticket_item(&id, g, &priority, created.min(now));
                let _ = tr.engine.finish(now, w.id);
                tr.track_ticket(&id, &w);
                let out = match assignee {
                    Some(a) => tr
                        .engine
                        .arrive_for_agent(now, w, crate::routing::agent_key(&a))
                        // Not receiving or full: the ticket is theirs all the same.
                        .unwrap_or_default(),
                    None => tr.engine.arrive(now, w).unwrap_or_else(|e| {
                        tracing::error!(?e, "routing refused a ticket");
                        Vec::new()
                    }),
                };
                out
            })
            .await?;
        // A chosen assignee needs no decision applied: they are stored already.
        let decisions = if k.assignee_id.is_some() {
            decisions
                .into_iter()
                .filter(
                    |d| !matches!(d, Decision::TicketAssigned { ticket, .. } if *ticket == k.id),
                )
                .collect()
        } else {
            decisions
        };
        self.apply_decisions(t, decisions).await;
        Ok(())
    }

    /// The ticket's work is over (resolved or closed): the agent's ticket
    /// capacity returns and queued tickets flow in.
    pub(crate) async fn ticket_done(&self, t: &TenantScope, ticket_id: &str) -> AppResult<()> {
        let key = ticket_key(ticket_id);
        let decisions = self
            .route(t, move |tr, now| {
                tr.forget_ticket(key);
                tr.engine.finish(now, key).unwrap_or_default()
            })
            .await?;
        self.apply_decisions(t, decisions).await;
        Ok(())
    }

    /// Routing chose an agent for a ticket: store it, write the history with
    /// the explanation, tell the agent (notification list and their sockets).
    pub(crate) async fn apply_ticket_assigned(
        &self,
        t: &TenantScope,
        ticket_id: &str,
        agent: &str,
        group: Option<&str>,
        explanation: Option<Value>,
    ) -> AppResult<()> {
        let mut tx = self.store.begin().await?;
        let Some(k) = tickets::get(&mut tx, t, ticket_id).await? else {
            return Ok(());
        };
        if k.status_category != "open" {
            return Ok(());
        }
        let group = group.map(str::to_string).or(k.skill_group_id.clone());
        tickets::set_assignment(&mut tx, t, &k.id, Some(agent), group.as_deref()).await?;
        let name = users::get(&mut tx, t, agent)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        change(
            &mut tx,
            t,
            By {
                id: None,
                name: "routing",
            },
            &k.id,
            "assignee",
            k.assignee_id.clone().map(|a| json!({ "id": a })),
            Some(json!({
                "id": agent,
                "name": name,
                "explanation": explanation.as_ref().and_then(|x| x.get("summary")).cloned(),
            })),
        )
        .await?;
        tx.commit().await?;
        self.ticket_event(
            t,
            "ticket.assigned",
            json!({"ticket_id": k.id, "agent_id": agent, "skill_group_id": group}),
        );
        self.notify_users(t, &[agent.to_string()], "ticket_assigned", &k)
            .await?;
        Ok(())
    }

    /// Assign by hand: oneself (a member of the ticket's group, or anyone who
    /// may work on it), or anyone with `tickets.manage`; `None` unassigns.
    pub async fn assign_ticket(
        &self,
        p: &Principal,
        id: &str,
        input: AssignInput,
    ) -> AppResult<Ticket> {
        let mut tx = self.store.begin().await?;
        let k = self.visible_ticket(&mut tx, p, id).await?;
        let groups = operator_groups(&mut tx, p).await?;
        if !may_work(p, &groups, &k) {
            return Err(not_yours());
        }
        let to = match input.assignee_id.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(a) => {
                let a =
                    parse_id("user", a).map_err(|_| crate::missing_ref("assignee_id", "user"))?;
                let u = users::get(&mut tx, &p.tenant, &a)
                    .await?
                    .filter(|u| u.active)
                    .ok_or_else(|| crate::missing_ref("assignee_id", "user"))?;
                Some(u)
            }
        };
        let to_self = to.as_ref().is_some_and(|u| p.is_user(&u.id));
        if !to_self {
            p.require(Permission::TicketsManage)?;
        }
        if k.status_category != "open" {
            return Err(AppError::conflict(
                "ticket_not_open",
                "only open tickets can be assigned",
            ));
        }
        let to_id = to.as_ref().map(|u| u.id.clone());
        tickets::set_assignment(
            &mut tx,
            &p.tenant,
            &k.id,
            to_id.as_deref(),
            k.skill_group_id.as_deref(),
        )
        .await?;
        change(
            &mut tx,
            &p.tenant,
            By::of(p),
            &k.id,
            "assignee",
            k.assignee_id
                .clone()
                .map(|a| json!({"id": a, "name": k.assignee_name})),
            to.as_ref()
                .map(|u| json!({"id": u.id, "name": u.display_name})),
        )
        .await?;
        let after = tickets::get(&mut tx, &p.tenant, &k.id)
            .await?
            .ok_or(AppError::NotFound("ticket"))?;
        tx.commit().await?;
        // Routing: the old holder's capacity returns; the new one's is taken
        // (or the ticket waits in its group again).
        self.reroute(&p.tenant, &after).await?;
        if let Some(u) = &to {
            if !p.is_user(&u.id) {
                self.notify_users(
                    &p.tenant,
                    std::slice::from_ref(&u.id),
                    "ticket_assigned",
                    &after,
                )
                .await?;
            }
        }
        self.notify_watchers(&p.tenant, p, &after, "ticket_assignee")
            .await?;
        let mut conn = self.store.conn().await?;
        tickets::get(&mut conn, &p.tenant, &after.id)
            .await?
            .ok_or(AppError::NotFound("ticket"))
    }

    /// Put a ticket through routing again as it now stands.
    pub(crate) async fn reroute(&self, t: &TenantScope, k: &Ticket) -> AppResult<()> {
        let key = ticket_key(&k.id);
        let decisions = self
            .route(t, move |tr, now| {
                tr.forget_ticket(key);
                tr.engine.finish(now, key).unwrap_or_default()
            })
            .await?;
        self.apply_decisions(t, decisions).await;
        if k.status_category == "open" {
            self.route_new_ticket(t, k).await?;
        }
        Ok(())
    }

    /// 转交: hand the ticket to another skill group, within the flow scope of
    /// the operator's groups (403 `outside_flow_scope` otherwise). It leaves
    /// its agent and is routed to an agent of the new group.
    pub async fn transfer_ticket(
        &self,
        p: &Principal,
        id: &str,
        input: TransferInput,
    ) -> AppResult<Ticket> {
        let mut tx = self.store.begin().await?;
        let k = self.visible_ticket(&mut tx, p, id).await?;
        let groups = operator_groups(&mut tx, p).await?;
        if !may_work(p, &groups, &k) {
            return Err(not_yours());
        }
        let target = parse_id("skill group", &input.skill_group_id)
            .map_err(|_| crate::missing_ref("skill_group_id", "skill group"))?;
        let g = skill_groups::get(&mut tx, &p.tenant, &target)
            .await?
            .ok_or_else(|| crate::missing_ref("skill_group_id", "skill group"))?;
        check_flow_scope(&groups, &g.id)?;
        if k.status_category != "open" {
            return Err(AppError::conflict(
                "ticket_not_open",
                "only open tickets can be handed over",
            ));
        }
        tickets::set_assignment(&mut tx, &p.tenant, &k.id, None, Some(&g.id)).await?;
        change(
            &mut tx,
            &p.tenant,
            By::of(p),
            &k.id,
            "skill_group",
            k.skill_group_id
                .clone()
                .map(|id| json!({"id": id, "name": k.skill_group_name})),
            Some(json!({"id": g.id, "name": g.name})),
        )
        .await?;
        if let Some(a) = &k.assignee_id {
            change(
                &mut tx,
                &p.tenant,
                By::of(p),
                &k.id,
                "assignee",
                Some(json!({"id": a, "name": k.assignee_name})),
                None,
            )
            .await?;
        }
        let note = input.note.trim();
        if !note.is_empty() {
            activity::add_comment(
                &mut tx,
                &p.tenant,
                &k.id,
                &activity::NewComment {
                    kind: "note",
                    author_type: "agent",
                    author_id: p.user_id.as_deref(),
                    author_name: &p.display_name,
                    body: note,
                    attachments: &[],
                },
            )
            .await?;
        }
        let after = tickets::get(&mut tx, &p.tenant, &k.id)
            .await?
            .ok_or(AppError::NotFound("ticket"))?;
        tx.commit().await?;
        self.reroute(&p.tenant, &after).await?;
        self.notify_watchers(&p.tenant, p, &after, "ticket_transferred")
            .await?;
        let mut conn = self.store.conn().await?;
        tickets::get(&mut conn, &p.tenant, &after.id)
            .await?
            .ok_or(AppError::NotFound("ticket"))
    }

    /// Where the operator may hand tickets (for the hand-over menu).
    pub async fn ticket_flow_scope(&self, p: &Principal) -> AppResult<FlowScopeView> {
        super::require_tickets(p)?;
        let mut conn = self.store.conn().await?;
        let mine = operator_groups(&mut conn, p).await?;
        let all = skill_groups::list(&mut conn, &p.tenant).await?;
        let scopes: Vec<Option<Vec<String>>> = mine.iter().map(|g| g.flow_scope.clone()).collect();
        let targets = flow_targets(&scopes);
        Ok(FlowScopeView {
            any: targets == FlowTargets::Any,
            skill_groups: all.into_iter().filter(|g| targets.allows(&g.id)).collect(),
        })
    }

    /// In-app notifications (and a frame on each user's agent sockets). The
    /// `kind` says what happened (ticket_assigned, ticket_status,
    /// ticket_reply, ticket_note, ticket_assignee, ticket_transferred); the
    /// title is the ticket's number and title, so each reader's page can say
    /// it in their own language.
    pub(crate) async fn notify_users(
        &self,
        t: &TenantScope,
        user_ids: &[String],
        kind: &str,
        k: &Ticket,
    ) -> AppResult<()> {
        let title = format!("#{} {}", k.number, k.title);
        let mut conn = self.store.conn().await?;
        for u in user_ids {
            let n = activity::notify(
                &mut conn,
                t,
                &NewNotification {
                    user_id: u,
                    kind,
                    ticket_id: Some(&k.id),
                    customer_id: None,
                    title: &title,
                    body: "",
                },
            )
            .await?;
            self.hub.publish(
                &Topic::Agent(u.clone()),
                &json!({"type": "notification", "notification": n, "ticket": {"id": k.id, "number": k.number, "title": k.title}}),
            );
        }
        Ok(())
    }

    /// Tell the watchers and the assignee (not the one who acted) what changed.
    pub(crate) async fn notify_watchers(
        &self,
        t: &TenantScope,
        p: &Principal,
        k: &Ticket,
        kind: &str,
    ) -> AppResult<()> {
        let mut conn = self.store.conn().await?;
        let mut to: Vec<String> = watchers_and_assignee(&mut conn, t, k).await?;
        to.retain(|u| !p.is_user(u));
        drop(conn);
        self.notify_users(t, &to, kind, k).await
    }
}

async fn watchers_and_assignee(
    conn: &mut Conn,
    t: &TenantScope,
    k: &Ticket,
) -> AppResult<Vec<String>> {
    let mut to: Vec<String> = activity::watchers(conn, t, &k.id)
        .await?
        .into_iter()
        .map(|w| w.user_id)
        .collect();
    if let Some(a) = &k.assignee_id {
        if !to.contains(a) {
            to.push(a.clone());
        }
    }
    Ok(to)
}

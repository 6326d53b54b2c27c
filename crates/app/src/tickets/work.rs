//! Working a ticket: workflow transitions (enforced here, refused with a clear
//! error and no change), public replies and internal notes, watchers (关注),
//! the history, and each user's notification list.

use super::records::{may_work, not_yours};
use super::{change, operator_groups, require_tickets, By};
use crate::principal::PrincipalKind;
use crate::{parse_id, App, AppError, AppResult, Principal};
use kefu_domain::ticket::{self, Actor, TransitionRefused};
use kefu_domain::Permission;
use kefu_events::Event;
use kefu_store::ticket_activity::{
    self as activity, Notification, TicketChange, TicketComment, Watcher,
};
use kefu_store::ticket_types::{self, TicketType};
use kefu_store::tickets::{self, Ticket};
use kefu_store::{now_ms, tokens, users, Conn, TenantScope};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// The workflow status to move to.
    pub to: String,
    /// An internal note to go with the move.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// `reply` (public: the customer sees it) or `note` (internal).
    pub kind: String,
    pub body: String,
    /// Attachment ids (from `/api/v1/files`).
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// A move the workflow offers from the ticket's status, and whether the
/// viewer may make it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransitionOption {
    pub to: String,
    pub to_label: String,
    pub label: String,
    pub allowed: bool,
}

/// Everything the ticket page shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketDetail {
    pub ticket: Ticket,
    #[schema(value_type = Object)]
    pub ticket_type: TicketType,
    pub status_label: String,
    pub transitions: Vec<TransitionOption>,
    pub comments: Vec<TicketComment>,
    pub history: Vec<TicketChange>,
    pub watchers: Vec<Watcher>,
    pub watching: bool,
    /// May the viewer edit, move, assign or hand it over.
    pub may_work: bool,
    /// Its SLA clocks (due in / overdue) and their events.
    pub sla: crate::sla::clock::TicketSla,
    /// The customer's satisfaction answer, once given.
    pub survey: Option<kefu_store::sla::TicketSurvey>,
}

/// The role behind the principal (a user's, or an API token's).
async fn role_of(conn: &mut Conn, p: &Principal) -> AppResult<Option<String>> {
    if let Some(u) = &p.user_id {
        return Ok(users::get(conn, &p.tenant, u).await?.map(|u| u.role_id));
    }
    if let PrincipalKind::ApiToken { token_id } = &p.kind {
        return Ok(tokens::get(conn, &p.tenant, token_id)
            .await?
            .map(|t| t.role_id));
    }
    Ok(None)
}

impl App {
    pub(crate) fn ticket_event(&self, t: &TenantScope, topic: &str, payload: serde_json::Value) {
        self.bus.publish(Event {
            tenant_id: t.tenant_id().clone(),
            topic: topic.to_string(),
            payload,
            at_ms: now_ms(),
        });
    }

    /// The ticket with its type, the moves open to the viewer, comments
    /// (notes included), history and watchers.
    pub async fn ticket_detail(&self, p: &Principal, id: &str) -> AppResult<TicketDetail> {
        let mut conn = self.store.conn().await?;
        let k = self.visible_ticket(&mut conn, p, id).await?;
        let ty = ticket_types::get(&mut conn, &p.tenant, &k.type_id)
            .await?
            .ok_or(AppError::NotFound("ticket type"))?;
        let groups = operator_groups(&mut conn, p).await?;
        let group_ids: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
        let role = role_of(&mut conn, p).await?;
        let actor = Actor {
            role_id: role.as_deref(),
            skill_groups: &group_ids,
        };
        let work = may_work(p, &groups, &k);
        let transitions = ty
            .workflow
            .from_status(&k.status)
            .map(|t| TransitionOption {
                to: t.to.clone(),
                to_label: ty
                    .workflow
                    .status(&t.to)
                    .map(|s| s.label.clone())
                    .unwrap_or_else(|| t.to.clone()),
                label: t.label.clone(),
                allowed: work && ticket::may_perform(t, &actor),
            })
            .collect();
        let watchers = activity::watchers(&mut conn, &p.tenant, &k.id).await?;
        let now = kefu_store::now_ms();
        let sla = self.sla_of(&mut conn, &p.tenant, &k.id, now).await?;
        let survey = kefu_store::sla::get_survey(&mut conn, &p.tenant, &k.id).await?;
        Ok(TicketDetail {
            sla,
            survey,
            status_label: ty
                .workflow
                .status(&k.status)
                .map(|s| s.label.clone())
                .unwrap_or_else(|| k.status.clone()),
            transitions,
            comments: activity::comments(&mut conn, &p.tenant, &k.id, true).await?,
            history: activity::history(&mut conn, &p.tenant, &k.id).await?,
            watching: watchers.iter().any(|w| p.is_user(&w.user_id)),
            watchers,
            may_work: work,
            ticket: k,
            ticket_type: ty,
        })
    }

    /// Move a ticket along its workflow. A move the workflow does not have is
    /// 409 `transition_not_allowed`; one reserved for other roles or groups is
    /// 403 `transition_forbidden`; a ticket moved by someone else meanwhile is
    /// 409 `stale_status`. Nothing changes in any of these cases.
    pub async fn transition_ticket(
        &self,
        p: &Principal,
        id: &str,
        input: TransitionInput,
    ) -> AppResult<Ticket> {
        let mut tx = self.store.begin().await?;
        let k = self.visible_ticket(&mut tx, p, id).await?;
        let groups = operator_groups(&mut tx, p).await?;
        if !may_work(p, &groups, &k) {
            return Err(not_yours());
        }
        let ty = ticket_types::get(&mut tx, &p.tenant, &k.type_id)
            .await?
            .ok_or(AppError::NotFound("ticket type"))?;
        let group_ids: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
        let role = role_of(&mut tx, p).await?;
        let actor = Actor {
            role_id: role.as_deref(),
            skill_groups: &group_ids,
        };
        let wf = &ty.workflow;
        let label = |key: &str| {
            wf.status(key)
                .map(|s| format!("{} ({key})", s.label))
                .unwrap_or_else(|| key.to_string())
        };
        match ticket::check_transition(wf, &k.status, &input.to, &actor) {
            Ok(_) => {}
            Err(TransitionRefused::NotInWorkflow { from, to }) => {
                let open: Vec<String> = wf.from_status(&from).map(|t| label(&t.to)).collect();
                return Err(AppError::conflict(
                    "transition_not_allowed",
                    format!(
                        "the workflow of “{}” has no step from {} to {}; from {} it allows: {}",
                        ty.name,
                        label(&from),
                        label(&to),
                        label(&from),
                        if open.is_empty() {
                            "nothing".to_string()
                        } else {
                            open.join(", ")
                        }
                    ),
                ));
            }
            Err(TransitionRefused::NotPermitted { from, to }) => {
                return Err(AppError::Refused {
                    code: "transition_forbidden",
                    message: format!(
                        "the step from {} to {} is reserved for other roles or skill groups",
                        label(&from),
                        label(&to)
                    ),
                })
            }
        }
        let to = wf
            .status(&input.to)
            .ok_or_else(|| AppError::Internal("workflow status vanished".into()))?;
        if !tickets::set_status(
            &mut tx,
            &p.tenant,
            &k.id,
            &k.status,
            &to.key,
            to.category.key(),
        )
        .await?
        {
            return Err(AppError::conflict(
                "stale_status",
                "someone else moved this ticket meanwhile; reload it",
            ));
        }
        change(
            &mut tx,
            &p.tenant,
            By::of(p),
            &k.id,
            "status",
            Some(json!({"key": k.status, "label": wf.status(&k.status).map(|s| s.label.clone())})),
            Some(json!({"key": to.key, "label": to.label})),
        )
        .await?;
        if !input.note.trim().is_empty() {
            activity::add_comment(
                &mut tx,
                &p.tenant,
                &k.id,
                &activity::NewComment {
                    kind: "note",
                    author_type: "agent",
                    author_id: p.user_id.as_deref(),
                    author_name: &p.display_name,
                    body: input.note.trim(),
                    attachments: &[],
                },
            )
            .await?;
        }
        let after = tickets::get(&mut tx, &p.tenant, &k.id)
            .await?
            .ok_or(AppError::NotFound("ticket"))?;
        if k.status_category == "open" && after.status_category != "open" {
            crate::sla::clock::resolved(&mut tx, &p.tenant, &k.id, after.updated_at).await?;
        }
        tx.commit().await?;
        match (k.status_category.as_str(), after.status_category.as_str()) {
            ("open", "resolved" | "closed") => self.ticket_done(&p.tenant, &k.id).await?,
            ("resolved" | "closed", "open") => self.route_new_ticket(&p.tenant, &after).await?,
            _ => {}
        }
        self.ticket_event(
            &p.tenant,
            "ticket.status_changed",
            json!({"ticket_id": after.id, "from": k.status, "to": after.status, "category": after.status_category}),
        );
        self.notify_watchers(&p.tenant, p, &after, "ticket_status")
            .await?;
        Ok(after)
    }

    /// A public reply (the customer sees it) or an internal note.
    pub async fn comment_ticket(
        &self,
        p: &Principal,
        id: &str,
        input: CommentInput,
    ) -> AppResult<TicketComment> {
        let mut tx = self.store.begin().await?;
        let k = self.visible_ticket(&mut tx, p, id).await?;
        let mut errs = Vec::new();
        if !matches!(input.kind.as_str(), "reply" | "note") {
            errs.push(kefu_domain::crm::FieldError::new(
                "kind",
                "invalid_kind",
                "must be reply or note",
            ));
        }
        let body = input.body.trim();
        if body.is_empty() || body.chars().count() > 20_000 {
            errs.push(kefu_domain::crm::FieldError::new(
                "body",
                "invalid_body",
                "must be 1–20000 characters",
            ));
        }
        let mut files = Vec::new();
        for a in &input.attachments {
            match parse_id("attachment", a) {
                Ok(id)
                    if kefu_store::attachments::get(&mut tx, &p.tenant, &id)
                        .await?
                        .is_some() =>
                {
                    files.push(id)
                }
                _ => errs.push(kefu_domain::crm::FieldError::new(
                    "attachments",
                    "unknown_attachment",
                    format!("no such attachment: {a}"),
                )),
            }
        }
        if !errs.is_empty() {
            return Err(AppError::InvalidFields(errs));
        }
        let c = activity::add_comment(
            &mut tx,
            &p.tenant,
            &k.id,
            &activity::NewComment {
                kind: &input.kind,
                author_type: "agent",
                author_id: p.user_id.as_deref(),
                author_name: &p.display_name,
                body,
                attachments: &files,
            },
        )
        .await?;
        if c.kind == "reply" {
            crate::sla::clock::agent_replied(&mut tx, &p.tenant, &k.id, c.created_at).await?;
        }
        tx.commit().await?;
        self.ticket_event(
            &p.tenant,
            "ticket.commented",
            json!({"ticket_id": k.id, "comment_id": c.id, "kind": c.kind, "author_type": "agent"}),
        );
        let kind = if c.kind == "reply" {
            "ticket_reply"
        } else {
            "ticket_note"
        };
        self.notify_watchers(&p.tenant, p, &k, kind).await?;
        Ok(c)
    }

    pub async fn ticket_comments(&self, p: &Principal, id: &str) -> AppResult<Vec<TicketComment>> {
        let mut conn = self.store.conn().await?;
        let k = self.visible_ticket(&mut conn, p, id).await?;
        Ok(activity::comments(&mut conn, &p.tenant, &k.id, true).await?)
    }

    pub async fn ticket_history(&self, p: &Principal, id: &str) -> AppResult<Vec<TicketChange>> {
        let mut conn = self.store.conn().await?;
        let k = self.visible_ticket(&mut conn, p, id).await?;
        Ok(activity::history(&mut conn, &p.tenant, &k.id).await?)
    }

    pub async fn ticket_watchers(&self, p: &Principal, id: &str) -> AppResult<Vec<Watcher>> {
        let mut conn = self.store.conn().await?;
        let k = self.visible_ticket(&mut conn, p, id).await?;
        Ok(activity::watchers(&mut conn, &p.tenant, &k.id).await?)
    }

    /// Follow a ticket (oneself; someone else needs `tickets.manage`).
    pub async fn watch_ticket(&self, p: &Principal, id: &str, user_id: &str) -> AppResult<()> {
        self.set_watching(p, id, user_id, true).await
    }

    pub async fn unwatch_ticket(&self, p: &Principal, id: &str, user_id: &str) -> AppResult<()> {
        self.set_watching(p, id, user_id, false).await
    }

    async fn set_watching(
        &self,
        p: &Principal,
        id: &str,
        user_id: &str,
        on: bool,
    ) -> AppResult<()> {
        let mut tx = self.store.begin().await?;
        let k = self.visible_ticket(&mut tx, p, id).await?;
        let uid = parse_id("user", user_id)?;
        if !p.is_user(&uid) {
            p.require(Permission::TicketsManage)?;
        }
        let u = users::get(&mut tx, &p.tenant, &uid)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let changed = if on {
            activity::watch(&mut tx, &p.tenant, &k.id, &u.id).await?
        } else {
            activity::unwatch(&mut tx, &p.tenant, &k.id, &u.id).await?
        };
        if changed {
            let v = json!({"id": u.id, "name": u.display_name});
            let (old, new) = if on { (None, Some(v)) } else { (Some(v), None) };
            change(&mut tx, &p.tenant, By::of(p), &k.id, "watcher", old, new).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The signed-in user's notifications, newest first.
    pub async fn notifications(
        &self,
        p: &Principal,
        unread_only: bool,
    ) -> AppResult<Vec<Notification>> {
        let me = p.require_user()?;
        let mut conn = self.store.conn().await?;
        Ok(activity::notifications(&mut conn, &p.tenant, me, unread_only, 100).await?)
    }

    pub async fn unread_notifications(&self, p: &Principal) -> AppResult<i64> {
        let me = p.require_user()?;
        let mut conn = self.store.conn().await?;
        Ok(activity::unread_count(&mut conn, &p.tenant, me).await?)
    }

    /// Mark one notification read (`None`: all of them). Returns how many changed.
    pub async fn read_notifications(&self, p: &Principal, id: Option<&str>) -> AppResult<u64> {
        let me = p.require_user()?;
        let id = id.map(|i| parse_id("notification", i)).transpose()?;
        let mut conn = self.store.conn().await?;
        activity::mark_read(&mut conn, &p.tenant, me, id.as_deref())
            .await
            .map_err(|e| AppError::from_store("notification", e))
    }

    /// `tickets.view` or more: may the principal work with tickets at all.
    pub fn can_work_tickets(&self, p: &Principal) -> bool {
        require_tickets(p).is_ok()
    }
}

impl App {
    /// The transcript of the conversation a ticket came from: whoever may see
    /// the ticket may read it (the ticket carries the conversation on).
    pub async fn ticket_transcript(
        &self,
        p: &Principal,
        id: &str,
    ) -> AppResult<Vec<kefu_store::ConversationEvent>> {
        let mut conn = self.store.conn().await?;
        let k = self.visible_ticket(&mut conn, p, id).await?;
        let Some(c) = k.conversation_id else {
            return Err(AppError::NotFound("conversation"));
        };
        Ok(kefu_store::conversations::events_after(&mut conn, &p.tenant, &c, 0, 2000).await?)
    }
}

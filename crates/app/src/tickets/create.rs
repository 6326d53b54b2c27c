//! Creating tickets: by hand or through the API, from a conversation (customer
//! and transcript linked; several per conversation), from an offline message
//! (留言), and for the bot when its conversation ends unresolved. One path
//! (`insert_ticket`) checks everything at once, writes the ticket, its first
//! history row and the creator's watch in one transaction, then routes it.

use super::records::{checked_values, live_customer, priority_of, title_error};
use super::{change, operator_groups, require_tickets, By};
use crate::{parse_id, App, AppError, AppResult, Principal};
use kefu_domain::crm::FieldError;
use kefu_domain::Permission;
use kefu_store::ticket_activity as activity;
use kefu_store::ticket_types;
use kefu_store::tickets::{self, NewTicket, Ticket};
use kefu_store::{conversations, offline_messages, users, TenantScope};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketInput {
    pub type_id: String,
    pub title: String,
    /// The type's form values, by field key.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    pub customer_id: Option<String>,
    /// Link a conversation (its customer is taken when `customer_id` is absent).
    pub conversation_id: Option<String>,
    /// low, normal, high or urgent; absent: the type's default.
    pub priority: Option<String>,
    /// Unix ms.
    pub due_at: Option<i64>,
    /// Hand it to this skill group (within the flow scope of the creator's
    /// groups); absent: the type's group.
    pub skill_group_id: Option<String>,
    /// Assign it at once (oneself, or anyone with `tickets.manage`); absent:
    /// routing picks an agent of the skill group.
    pub assignee_id: Option<String>,
}

/// How a ticket came to be, and what it is linked to.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Origin<'a> {
    pub source: &'a str,
    pub conversation_id: Option<&'a str>,
    pub offline_message_id: Option<&'a str>,
    pub customer_id: Option<&'a str>,
}

impl App {
    /// Create a ticket by hand (web) or through the API.
    pub async fn create_ticket(&self, p: &Principal, input: TicketInput) -> AppResult<Ticket> {
        let source = match p.kind {
            crate::principal::PrincipalKind::ApiToken { .. } => "api",
            _ => "manual",
        };
        self.create_ticket_from(
            p,
            input,
            Origin {
                source,
                ..Origin::default()
            },
        )
        .await
    }

    /// 从会话创建工单: the customer and the conversation (its transcript) are
    /// linked; a conversation may have any number of tickets.
    pub async fn create_ticket_from_conversation(
        &self,
        p: &Principal,
        conversation_id: &str,
        mut input: TicketInput,
    ) -> AppResult<Ticket> {
        require_tickets(p)?;
        let c = self.get_conversation(p, conversation_id).await?;
        input.conversation_id = None;
        let customer = input.customer_id.clone().unwrap_or(c.customer_id.clone());
        self.create_ticket_from(
            p,
            input,
            Origin {
                source: "conversation",
                conversation_id: Some(&c.id),
                customer_id: Some(&customer),
                ..Origin::default()
            },
        )
        .await
    }

    /// A ticket from an offline message (留言): the message becomes the
    /// ticket's first public comment (from the customer), the visitor's
    /// customer is linked, and the message is marked handled.
    pub async fn create_ticket_from_offline_message(
        &self,
        p: &Principal,
        message_id: &str,
        mut input: TicketInput,
    ) -> AppResult<Ticket> {
        require_tickets(p)?;
        let id = parse_id("offline message", message_id)?;
        let mut conn = self.store.conn().await?;
        let m = offline_messages::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("offline message"))?;
        let customer = match (&input.customer_id, &m.visitor_id) {
            (Some(c), _) => Some(c.clone()),
            (None, Some(v)) => conversations::get_visitor(&mut conn, &p.tenant, v)
                .await?
                .map(|v| v.customer_id),
            _ => None,
        };
        drop(conn);
        if input.title.trim().is_empty() {
            input.title = m.text.chars().take(60).collect();
        }
        let k = self
            .create_ticket_from(
                p,
                input,
                Origin {
                    source: "offline_message",
                    offline_message_id: Some(&m.id),
                    customer_id: customer.as_deref(),
                    ..Origin::default()
                },
            )
            .await?;
        let mut tx = self.store.begin().await?;
        let who = if m.name.is_empty() {
            "customer"
        } else {
            &m.name
        };
        activity::add_comment(
            &mut tx,
            &p.tenant,
            &k.id,
            &activity::NewComment {
                kind: "reply",
                author_type: "customer",
                author_id: None,
                author_name: who,
                body: &m.text,
                attachments: &[],
            },
        )
        .await?;
        if let Some(me) = &p.user_id {
            offline_messages::mark_handled(&mut tx, &p.tenant, &m.id, me).await?;
        }
        tx.commit().await?;
        Ok(k)
    }

    /// For the bot: its conversation ended without an answer, so a ticket
    /// carries the question on (SPEC §5 closing loop). Takes the first active
    /// ticket type (by name) unless one is given; the ticket goes through
    /// routing to the type's skill group, or the conversation's when the type
    /// has none. `None` when the tenant has no
    /// active ticket type.
    pub async fn create_ticket_for_unresolved_bot_conversation(
        &self,
        scope: &TenantScope,
        conversation_id: &str,
        type_id: Option<&str>,
        title: &str,
    ) -> AppResult<Option<Ticket>> {
        let mut conn = self.store.conn().await?;
        let c = conversations::get_conversation(&mut conn, scope, conversation_id)
            .await?
            .ok_or(AppError::NotFound("conversation"))?;
        let types = ticket_types::list(&mut conn, scope).await?;
        let ty = match type_id {
            Some(id) => types.into_iter().find(|t| t.id == id && t.active),
            None => types.into_iter().find(|t| t.active),
        };
        let Some(ty) = ty else {
            return Ok(None);
        };
        drop(conn);
        let input = TicketInput {
            type_id: ty.id.clone(),
            title: if title.trim().is_empty() {
                "机器人未解决的咨询 / Unresolved bot conversation".into()
            } else {
                title.chars().take(200).collect()
            },
            // The type's group, else the group the conversation was in.
            skill_group_id: ty.skill_group_id.clone().or(c.skill_group_id.clone()),
            ..TicketInput::default()
        };
        let origin = Origin {
            source: "bot",
            conversation_id: Some(&c.id),
            customer_id: Some(&c.customer_id),
            ..Origin::default()
        };
        // The bot fills no form: required fields are left for the agent.
        self.insert_ticket(
            scope,
            By {
                id: None,
                name: "bot",
            },
            None,
            input,
            origin,
            false,
        )
        .await
        .map(Some)
    }

    pub(crate) async fn create_ticket_from(
        &self,
        p: &Principal,
        input: TicketInput,
        origin: Origin<'_>,
    ) -> AppResult<Ticket> {
        require_tickets(p)?;
        self.insert_ticket(&p.tenant, By::of(p), Some(p), input, origin, true)
            .await
    }

    /// The one creation path. `p` is the person creating it (checks of
    /// assignee and flow scope apply to them); `strict` checks the form's
    /// required fields.
    async fn insert_ticket(
        &self,
        t: &TenantScope,
        by: By<'_>,
        p: Option<&Principal>,
        input: TicketInput,
        origin: Origin<'_>,
        strict: bool,
    ) -> AppResult<Ticket> {
        let mut errs = Vec::new();
        let mut tx = self.store.begin().await?;
        let ty = match parse_id("ticket type", &input.type_id) {
            Ok(id) => ticket_types::get(&mut tx, t, &id).await?,
            Err(_) => None,
        };
        let Some(ty) = ty.filter(|ty| ty.active) else {
            errs.push(FieldError::new(
                "type_id",
                "unknown_type",
                "no such active ticket type",
            ));
            errs.extend(title_error(&input.title));
            return Err(AppError::InvalidFields(errs));
        };
        errs.extend(title_error(&input.title));
        let values = if strict {
            checked_values(&mut tx, t, &ty, &input.fields, &mut errs).await?
        } else {
            input.fields.clone()
        };
        let priority = priority_of(input.priority.as_deref(), &ty.default_priority, &mut errs);
        if input.due_at.is_some_and(|d| d <= 0) {
            errs.push(FieldError::new(
                "due_at",
                "invalid_due_at",
                "must be a time (Unix ms)",
            ));
        }
        let mut customer = None;
        if let Some(c) = input.customer_id.as_deref().or(origin.customer_id) {
            customer = live_customer(&mut tx, t, c).await?;
            if customer.is_none() {
                errs.push(FieldError::new(
                    "customer_id",
                    "unknown_customer",
                    "no such customer",
                ));
            }
        }
        let mut conversation = origin.conversation_id.map(str::to_string);
        if let Some(cid) = &input.conversation_id {
            let found = match parse_id("conversation", cid) {
                Ok(id) => conversations::get_conversation(&mut tx, t, &id).await?,
                Err(_) => None,
            };
            match found {
                Some(c) => {
                    if customer.is_none() {
                        customer = live_customer(&mut tx, t, &c.customer_id).await?;
                    }
                    conversation = Some(c.id);
                }
                None => errs.push(FieldError::new(
                    "conversation_id",
                    "unknown_conversation",
                    "no such conversation",
                )),
            }
        }
        let explicit_group = input.skill_group_id.clone().filter(|g| !g.is_empty());
        if let Some(g) = &explicit_group {
            if !super::types::group_exists(&mut tx, t, g).await? {
                errs.push(FieldError::new(
                    "skill_group_id",
                    "unknown_skill_group",
                    "no such skill group",
                ));
            }
        }
        let mut assignee = None;
        if let Some(a) = input.assignee_id.as_deref().filter(|a| !a.is_empty()) {
            let u = match parse_id("user", a) {
                Ok(id) => users::get(&mut tx, t, &id).await?.filter(|u| u.active),
                Err(_) => None,
            };
            match u {
                Some(u) => assignee = Some(u.id),
                None => errs.push(FieldError::new(
                    "assignee_id",
                    "unknown_user",
                    "no such active user",
                )),
            }
        }
        if !errs.is_empty() {
            return Err(AppError::InvalidFields(errs));
        }
        let group = match explicit_group {
            Some(g) => {
                if let Some(p) = p {
                    let mine = operator_groups(&mut tx, p).await?;
                    super::assign::check_flow_scope(&mine, &g)?;
                }
                Some(g)
            }
            None => ty.skill_group_id.clone(),
        };
        if let (Some(a), Some(p)) = (&assignee, p) {
            if !p.is_user(a) {
                p.require(Permission::TicketsManage)?;
            }
        }
        let initial = ty
            .workflow
            .initial()
            .ok_or_else(|| AppError::Internal("ticket type without initial status".into()))?;
        let k = tickets::create(
            &mut tx,
            t,
            &NewTicket {
                type_id: &ty.id,
                title: input.title.trim(),
                fields: &values,
                customer_id: customer.as_deref(),
                conversation_id: conversation.as_deref(),
                offline_message_id: origin.offline_message_id,
                source: origin.source,
                assignee_id: assignee.as_deref(),
                skill_group_id: group.as_deref(),
                status: &initial.key,
                status_category: initial.category.key(),
                priority: priority.key(),
                due_at: input.due_at,
                created_by: by.id,
                created_by_name: by.name,
            },
        )
        .await?;
        change(
            &mut tx,
            t,
            by,
            &k.id,
            "created",
            None,
            Some(json!({"number": k.number, "title": k.title, "status": k.status, "source": k.source})),
        )
        .await?;
        if let Some(me) = by.id {
            activity::watch(&mut tx, t, &k.id, me).await?;
        }
        crate::sla::clock::start_clocks(&mut tx, t, &crate::sla::clock::TicketFacts::of(&k))
            .await?;
        tx.commit().await?;
        self.ticket_event(
            t,
            "ticket.created",
            json!({"ticket_id": k.id, "number": k.number, "type_id": k.type_id, "priority": k.priority, "source": k.source}),
        );
        self.route_new_ticket(t, &k).await?;
        if let Some(a) = k.assignee_id.as_ref().filter(|a| by.id != Some(a.as_str())) {
            self.notify_users(t, std::slice::from_ref(a), "ticket_assigned", &k)
                .await?;
        }
        let mut conn = self.store.conn().await?;
        tickets::get(&mut conn, t, &k.id)
            .await?
            .ok_or(AppError::NotFound("ticket"))
    }
}

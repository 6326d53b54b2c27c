//! Reading, listing and editing tickets (creation is in `create`), and the
//! checks both share: title, priority, form values with their attachments,
//! the customer link, and who may work a ticket. Every edit is written to the
//! ticket's history, field by field.

use super::{change, operator_groups, require_tickets, visibility, By};
use crate::{parse_id, App, AppError, AppResult, Principal};
use kefu_domain::crm::FieldError;
use kefu_domain::ticket::{self, TicketPriority};
use kefu_domain::Permission;
use kefu_store::ticket_types::{self, TicketType};
use kefu_store::tickets::{self, Ticket, TicketEdit, TicketFilter};
use kefu_store::{attachments, customers, Conn, TenantScope};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// A workflow status key.
    pub status: Option<String>,
    /// open, resolved or closed.
    pub category: Option<String>,
    /// Only tickets assigned to me.
    #[serde(default)]
    pub mine: bool,
    /// Only tickets nobody is assigned to.
    #[serde(default)]
    pub unassigned: bool,
    pub skill_group_id: Option<String>,
    pub priority: Option<String>,
    pub type_id: Option<String>,
    pub customer_id: Option<String>,
    pub conversation_id: Option<String>,
    /// 1–1000, default 100.
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketPage {
    pub total: i64,
    pub tickets: Vec<Ticket>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    pub title: Option<String>,
    /// Replaces all form values.
    #[schema(value_type = Option<Object>)]
    pub fields: Option<Map<String, Value>>,
    pub priority: Option<String>,
    /// Unix ms; `null` clears it.
    #[serde(default, deserialize_with = "crate::double_option")]
    #[schema(value_type = Option<i64>)]
    pub due_at: Option<Option<i64>>,
    /// `null` unlinks the customer.
    #[serde(default, deserialize_with = "crate::double_option")]
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<Option<String>>,
}

pub(super) fn title_error(title: &str) -> Option<FieldError> {
    let n = title.trim().chars().count();
    (n == 0 || n > 200)
        .then(|| FieldError::new("title", "invalid_title", "must be 1–200 characters"))
}

pub(super) fn priority_of(
    s: Option<&str>,
    default: &str,
    errs: &mut Vec<FieldError>,
) -> TicketPriority {
    match s {
        None => TicketPriority::parse(default).unwrap_or_default(),
        Some(s) => TicketPriority::parse(s).unwrap_or_else(|| {
            errs.push(FieldError::new(
                "priority",
                "invalid_priority",
                "must be low, normal, high or urgent",
            ));
            TicketPriority::Normal
        }),
    }
}

/// The values checked against the form, attachments included (they must be
/// files of this tenant).
pub(super) async fn checked_values(
    conn: &mut Conn,
    t: &TenantScope,
    ty: &TicketType,
    input: &Map<String, Value>,
    errs: &mut Vec<FieldError>,
) -> AppResult<Map<String, Value>> {
    match ticket::validate_values(&ty.fields, input) {
        Ok(v) => {
            for d in ty
                .fields
                .iter()
                .filter(|d| d.kind == ticket::TicketFieldKind::Attachment)
            {
                let ids = ticket::attachments_in(std::slice::from_ref(d), &v);
                for id in ids {
                    if attachments::get(conn, t, &id).await?.is_none() {
                        errs.push(FieldError::new(
                            format!("fields.{}", d.key),
                            "unknown_attachment",
                            format!("no such attachment: {id}"),
                        ));
                    }
                }
            }
            Ok(v)
        }
        Err(e) => {
            errs.extend(e);
            Ok(Map::new())
        }
    }
}

/// A customer id of this tenant, following a merge to the live record.
pub(super) async fn live_customer(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
) -> AppResult<Option<String>> {
    let Ok(id) = parse_id("customer", id) else {
        return Ok(None);
    };
    let Some(c) = customers::get_customer(conn, t, &id).await? else {
        return Ok(None);
    };
    Ok(Some(c.merged_into.unwrap_or(c.id)))
}

/// May `p` edit and move this ticket (beyond seeing it)?
pub(crate) fn may_work(p: &Principal, groups: &[kefu_store::SkillGroup], k: &Ticket) -> bool {
    if p.can(Permission::TicketsManage) {
        return true;
    }
    let Some(me) = p.user_id.as_deref() else {
        return false;
    };
    k.assignee_id.as_deref() == Some(me)
        || k.created_by.as_deref() == Some(me)
        || k.skill_group_id
            .as_ref()
            .is_some_and(|g| groups.iter().any(|x| &x.id == g))
}

pub(crate) fn not_yours() -> AppError {
    AppError::NotAllowed(
        "only the assignee, the creator, members of the ticket's skill group or holders of tickets.manage may change this ticket".into(),
    )
}

impl App {
    pub async fn ticket(&self, p: &Principal, id: &str) -> AppResult<Ticket> {
        let mut conn = self.store.conn().await?;
        self.visible_ticket(&mut conn, p, id).await
    }

    /// By the human-readable number (`#12`), with the same visibility.
    pub async fn ticket_by_number(&self, p: &Principal, number: i64) -> AppResult<Ticket> {
        let mut conn = self.store.conn().await?;
        let k = tickets::get_by_number(&mut conn, &p.tenant, number)
            .await?
            .ok_or(AppError::NotFound("ticket"))?;
        self.visible_ticket(&mut conn, p, &k.id).await
    }

    pub async fn tickets(&self, p: &Principal, q: &TicketQuery) -> AppResult<TicketPage> {
        require_tickets(p)?;
        let mut conn = self.store.conn().await?;
        let groups = operator_groups(&mut conn, p).await?;
        let ids = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
        let f = TicketFilter {
            category: ids(&q.category),
            status: ids(&q.status),
            assignee_id: if q.mine {
                Some(p.require_user()?.to_string())
            } else {
                None
            },
            unassigned: q.unassigned,
            skill_group_id: ids(&q.skill_group_id),
            priority: ids(&q.priority),
            type_id: ids(&q.type_id),
            customer_id: ids(&q.customer_id),
            conversation_id: ids(&q.conversation_id),
            visible_to: visibility(p, &groups),
            limit: q.limit.unwrap_or(100).clamp(1, 1000),
            offset: q.offset.max(0),
        };
        Ok(TicketPage {
            total: tickets::count(&mut conn, &p.tenant, &f).await?,
            tickets: tickets::list(&mut conn, &p.tenant, &f).await?,
        })
    }

    /// Change title, form values, priority, due date or customer; each
    /// changed field is written to the history (old → new).
    pub async fn update_ticket(
        &self,
        p: &Principal,
        id: &str,
        patch: TicketPatch,
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
        let mut errs = Vec::new();
        let title = match &patch.title {
            Some(t) => {
                errs.extend(title_error(t));
                t.trim().to_string()
            }
            None => k.title.clone(),
        };
        let fields = match &patch.fields {
            Some(f) => checked_values(&mut tx, &p.tenant, &ty, f, &mut errs).await?,
            None => k.fields.clone(),
        };
        let priority = priority_of(patch.priority.as_deref(), &k.priority, &mut errs);
        let due_at = patch.due_at.unwrap_or(k.due_at);
        if due_at.is_some_and(|d| d <= 0) {
            errs.push(FieldError::new(
                "due_at",
                "invalid_due_at",
                "must be a time (Unix ms)",
            ));
        }
        let customer = match &patch.customer_id {
            None => k.customer_id.clone(),
            Some(None) => None,
            Some(Some(c)) => {
                let found = live_customer(&mut tx, &p.tenant, c).await?;
                if found.is_none() {
                    errs.push(FieldError::new(
                        "customer_id",
                        "unknown_customer",
                        "no such customer",
                    ));
                }
                found
            }
        };
        if !errs.is_empty() {
            return Err(AppError::InvalidFields(errs));
        }
        tickets::update(
            &mut tx,
            &p.tenant,
            &k.id,
            &TicketEdit {
                title: &title,
                fields: &fields,
                priority: priority.key(),
                due_at,
                customer_id: customer.as_deref(),
            },
        )
        .await?;
        let by = By::of(p);
        let t = &p.tenant;
        change(
            &mut tx,
            t,
            by,
            &k.id,
            "title",
            Some(json!(k.title)),
            Some(json!(title)),
        )
        .await?;
        let mut keys: Vec<&String> = k.fields.keys().chain(fields.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            change(
                &mut tx,
                t,
                by,
                &k.id,
                &format!("fields.{key}"),
                k.fields.get(key).cloned(),
                fields.get(key).cloned(),
            )
            .await?;
        }
        change(
            &mut tx,
            t,
            by,
            &k.id,
            "priority",
            Some(json!(k.priority)),
            Some(json!(priority.key())),
        )
        .await?;
        change(
            &mut tx,
            t,
            by,
            &k.id,
            "due_at",
            k.due_at.map(Value::from),
            due_at.map(Value::from),
        )
        .await?;
        change(
            &mut tx,
            t,
            by,
            &k.id,
            "customer",
            k.customer_id.clone().map(Value::from),
            customer.map(Value::from),
        )
        .await?;
        let after = tickets::get(&mut tx, t, &k.id)
            .await?
            .ok_or(AppError::NotFound("ticket"))?;
        tx.commit().await?;
        Ok(after)
    }

    /// The tickets of a customer the viewer may see (the workbench panel).
    pub async fn customer_tickets(
        &self,
        p: &Principal,
        customer_id: &str,
    ) -> AppResult<Vec<Ticket>> {
        require_tickets(p)?;
        let mut conn = self.store.conn().await?;
        let (c, _) = self.customer_access(&mut conn, p, customer_id).await?;
        let groups = operator_groups(&mut conn, p).await?;
        Ok(tickets::list(
            &mut conn,
            &p.tenant,
            &TicketFilter {
                customer_id: Some(c.id),
                visible_to: visibility(p, &groups),
                limit: 100,
                ..TicketFilter::default()
            },
        )
        .await?)
    }

    /// The tickets created from a conversation.
    pub async fn conversation_tickets(
        &self,
        p: &Principal,
        conversation_id: &str,
    ) -> AppResult<Vec<Ticket>> {
        require_tickets(p)?;
        let c = self.get_conversation(p, conversation_id).await?;
        let mut conn = self.store.conn().await?;
        let groups = operator_groups(&mut conn, p).await?;
        Ok(tickets::list(
            &mut conn,
            &p.tenant,
            &TicketFilter {
                conversation_id: Some(c.id),
                visible_to: visibility(p, &groups),
                limit: 100,
                ..TicketFilter::default()
            },
        )
        .await?)
    }
}

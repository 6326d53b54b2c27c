//! Ticket types (工单模板): administrators define the form, the workflow (and
//! who may make each move), the skill group and the default priority; everyone
//! who works on tickets reads them.

use super::require_tickets;
use crate::{audit, json, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::crm::FieldError;
use kefu_domain::ticket::{self, TicketFieldDef, TicketPriority, Workflow};
use kefu_domain::Permission;
use kefu_store::ticket_types::{self, TicketType, TypeFields};
use kefu_store::{roles, skill_groups, Conn, TenantScope};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketTypeInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The form: `{key, label, kind, required?, options?, cascade?}`; kind is
    /// one of text, rich_text, number, date, select, multi_select, cascade, attachment.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<TicketFieldDef>,
    /// `{statuses: [{key, label, initial?, category?}], transitions: [{from, to, label, roles?, skill_groups?}]}`;
    /// category is open (default), resolved or closed; `roles` are role ids and
    /// `skill_groups` skill-group ids that may make the move (both empty: anyone
    /// who may work on the ticket). Absent: the standard workflow
    /// (new → in_progress → resolved → closed, reopen).
    #[schema(value_type = Option<Object>)]
    pub workflow: Option<Workflow>,
    /// New tickets of the type go to this skill group.
    pub skill_group_id: Option<String>,
    /// low, normal (default), high or urgent.
    pub default_priority: Option<String>,
    /// Inactive types keep their tickets but take no new ones.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Everything wrong with a type's definition, at once.
struct Checked {
    name: String,
    workflow: Workflow,
    group: Option<String>,
    priority: TicketPriority,
}

async fn check(
    conn: &mut Conn,
    t: &TenantScope,
    input: &TicketTypeInput,
    zh: bool,
) -> AppResult<Checked> {
    let mut errs: Vec<FieldError> = Vec::new();
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        errs.push(FieldError::new(
            "name",
            "invalid_name",
            "must be 1–100 characters",
        ));
    }
    if let Err(e) = ticket::validate_form(&input.fields) {
        errs.extend(e);
    }
    let workflow = input
        .workflow
        .clone()
        .unwrap_or_else(|| Workflow::standard(zh));
    if let Err(e) = ticket::validate_workflow(&workflow) {
        errs.extend(e);
    }
    for (i, tr) in workflow.transitions.iter().enumerate() {
        for r in &tr.roles {
            let ok = match parse_id("role", r) {
                Ok(id) => roles::get(conn, t, &id).await?.is_some(),
                Err(_) => false,
            };
            if !ok {
                errs.push(FieldError::new(
                    format!("workflow.transitions[{i}].roles"),
                    "unknown_role",
                    format!("no such role: {r}"),
                ));
            }
        }
        for g in &tr.skill_groups {
            if !group_exists(conn, t, g).await? {
                errs.push(FieldError::new(
                    format!("workflow.transitions[{i}].skill_groups"),
                    "unknown_skill_group",
                    format!("no such skill group: {g}"),
                ));
            }
        }
    }
    let group = input.skill_group_id.clone().filter(|g| !g.is_empty());
    if let Some(g) = &group {
        if !group_exists(conn, t, g).await? {
            errs.push(FieldError::new(
                "skill_group_id",
                "unknown_skill_group",
                "no such skill group",
            ));
        }
    }
    let priority = match input.default_priority.as_deref() {
        None => TicketPriority::Normal,
        Some(s) => TicketPriority::parse(s).unwrap_or_else(|| {
            errs.push(FieldError::new(
                "default_priority",
                "invalid_priority",
                "must be low, normal, high or urgent",
            ));
            TicketPriority::Normal
        }),
    };
    if !errs.is_empty() {
        return Err(AppError::InvalidFields(errs));
    }
    Ok(Checked {
        name,
        workflow,
        group,
        priority,
    })
}

pub(crate) async fn group_exists(conn: &mut Conn, t: &TenantScope, id: &str) -> AppResult<bool> {
    Ok(match parse_id("skill group", id) {
        Ok(id) => skill_groups::get(conn, t, &id).await?.is_some(),
        Err(_) => false,
    })
}

fn zh(p: &Principal) -> bool {
    p.locale.as_deref().is_none_or(|l| l.starts_with("zh"))
}

impl App {
    pub async fn ticket_types(&self, p: &Principal) -> AppResult<Vec<TicketType>> {
        if !p.can(Permission::TicketTypesManage) {
            require_tickets(p)?;
        }
        let mut conn = self.store.conn().await?;
        Ok(ticket_types::list(&mut conn, &p.tenant).await?)
    }

    pub async fn ticket_type(&self, p: &Principal, id: &str) -> AppResult<TicketType> {
        if !p.can(Permission::TicketTypesManage) {
            require_tickets(p)?;
        }
        let id = parse_id("ticket type", id)?;
        let mut conn = self.store.conn().await?;
        ticket_types::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("ticket type"))
    }

    pub async fn create_ticket_type(
        &self,
        p: &Principal,
        input: TicketTypeInput,
    ) -> AppResult<TicketType> {
        p.require(Permission::TicketTypesManage)?;
        let mut tx = self.store.begin().await?;
        let c = check(&mut tx, &p.tenant, &input, zh(p)).await?;
        let ty = ticket_types::create(
            &mut tx,
            &p.tenant,
            &TypeFields {
                name: &c.name,
                description: input.description.trim(),
                fields: &input.fields,
                workflow: &c.workflow,
                skill_group_id: c.group.as_deref(),
                default_priority: c.priority.key(),
                active: input.active,
            },
        )
        .await
        .map_err(|e| AppError::from_store("ticket type", e))?;
        audit(
            &mut tx,
            p,
            "ticket_type.create",
            "ticket_type",
            Some(&ty.id),
            None,
            json(&ty),
        )
        .await?;
        tx.commit().await?;
        Ok(ty)
    }

    /// Existing tickets keep their values and status; a status removed from
    /// the workflow leaves its tickets there until someone with
    /// `tickets.manage` moves them (no transition leads out of it any more).
    pub async fn update_ticket_type(
        &self,
        p: &Principal,
        id: &str,
        input: TicketTypeInput,
    ) -> AppResult<TicketType> {
        p.require(Permission::TicketTypesManage)?;
        let id = parse_id("ticket type", id)?;
        let mut tx = self.store.begin().await?;
        let before = ticket_types::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("ticket type"))?;
        let c = check(&mut tx, &p.tenant, &input, zh(p)).await?;
        let ty = ticket_types::update(
            &mut tx,
            &p.tenant,
            &id,
            &TypeFields {
                name: &c.name,
                description: input.description.trim(),
                fields: &input.fields,
                workflow: &c.workflow,
                skill_group_id: c.group.as_deref(),
                default_priority: c.priority.key(),
                active: input.active,
            },
        )
        .await
        .map_err(|e| AppError::from_store("ticket type", e))?;
        audit(
            &mut tx,
            p,
            "ticket_type.update",
            "ticket_type",
            Some(&id),
            json(&before),
            json(&ty),
        )
        .await?;
        tx.commit().await?;
        Ok(ty)
    }

    /// Refused (409 `in_use`) while tickets of the type exist.
    pub async fn delete_ticket_type(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::TicketTypesManage)?;
        let id = parse_id("ticket type", id)?;
        let mut tx = self.store.begin().await?;
        let before = ticket_types::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("ticket type"))?;
        ticket_types::delete(&mut tx, &p.tenant, &id)
            .await
            .map_err(|e| AppError::from_store("ticket type", e))?;
        audit(
            &mut tx,
            p,
            "ticket_type.delete",
            "ticket_type",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The demo tenant's ticket type (售后工单): a form of the usual kinds, the
/// standard workflow, handled by 售后服务.
pub(crate) async fn seed_demo_type(
    conn: &mut Conn,
    t: &TenantScope,
    group_id: &str,
) -> AppResult<TicketType> {
    let fields: Vec<TicketFieldDef> = serde_json::from_value(serde_json::json!([
        {"key": "order_no", "label": "订单号", "kind": "text", "required": true},
        {"key": "reason", "label": "问题类型", "kind": "select", "options": ["退货", "换货", "维修", "发票"]},
        {"key": "product", "label": "产品", "kind": "cascade", "cascade": [
            {"label": "手机", "children": [{"label": "旗舰"}, {"label": "入门"}]},
            {"label": "配件"}]},
        {"key": "detail", "label": "问题描述", "kind": "rich_text"},
        {"key": "photos", "label": "照片", "kind": "attachment"}
    ]))
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(ticket_types::create(
        conn,
        t,
        &TypeFields {
            name: "售后工单",
            description: "退货、换货、维修、发票",
            fields: &fields,
            workflow: &Workflow::standard(true),
            skill_group_id: Some(group_id),
            default_priority: "normal",
            active: true,
        },
    )
    .await?)
}

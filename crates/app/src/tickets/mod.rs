//! Tickets (工单): work that outlives a conversation.
//!
//! Who sees a ticket: with `tickets.view_all`, every ticket of the tenant;
//! with `tickets.view`, those assigned to them, created by them, watched by
//! them, or in one of their skill groups. Anything else answers 404, like
//! another tenant's id. `tickets.manage` may assign anyone and edit any
//! ticket they see; `ticket_types.manage` defines types and workflows.
//!
//! - `types`: ticket types (工单模板) with their form and workflow.
//! - `create`: creating tickets (by hand, API, conversation, offline message, bot).
//! - `records`: reading, listing and editing tickets, with the history of every change.
//! - `work`: workflow transitions, comments and notes, watchers, notifications.
//! - `assign`: assignment through the routing engine and hand-over within the
//!   skill-group flow scope.

pub mod assign;
pub mod create;
pub mod records;
pub mod types;
pub mod work;

use crate::{parse_id, App, AppError, AppResult, Principal};
use kefu_domain::Permission;
use kefu_store::ticket_activity::{self as activity, NewChange};
use kefu_store::tickets::{self, Ticket, Visibility};
use kefu_store::{skill_groups, Conn, SkillGroup, TenantScope};

pub use kefu_store::ticket_activity::{Notification, TicketChange, TicketComment, Watcher};
pub use kefu_store::ticket_types::TicketType;
pub use kefu_store::tickets::Ticket as TicketRecord;

/// The skill groups the principal's user belongs to (none for API tokens).
pub(crate) async fn operator_groups(conn: &mut Conn, p: &Principal) -> AppResult<Vec<SkillGroup>> {
    match &p.user_id {
        Some(u) => Ok(skill_groups::groups_of_user(conn, &p.tenant, u)
            .await?
            .into_iter()
            .map(|(g, _)| g)
            .collect()),
        None => Ok(Vec::new()),
    }
}

/// What the principal may see, as a list filter; `None` = everything.
pub(crate) fn visibility(p: &Principal, groups: &[SkillGroup]) -> Option<Visibility> {
    if p.can(Permission::TicketsViewAll) {
        return None;
    }
    Some(Visibility {
        // An API token without view_all sees only tickets of nobody: "" matches no user.
        user_id: p.user_id.clone().unwrap_or_default(),
        skill_groups: groups.iter().map(|g| g.id.clone()).collect(),
    })
}

pub(crate) fn require_tickets(p: &Principal) -> AppResult<()> {
    if p.can(Permission::TicketsViewAll) || p.can(Permission::TicketsManage) {
        return Ok(());
    }
    p.require(Permission::TicketsView)
}

impl App {
    /// The ticket behind an id if `p` may see it; 404 otherwise.
    pub(crate) async fn visible_ticket(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &str,
    ) -> AppResult<Ticket> {
        require_tickets(p)?;
        let id = parse_id("ticket", id)?;
        let k = tickets::get(conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("ticket"))?;
        if p.can(Permission::TicketsViewAll) {
            return Ok(k);
        }
        let Some(me) = p.user_id.as_deref() else {
            return Err(AppError::NotFound("ticket"));
        };
        if k.assignee_id.as_deref() == Some(me) || k.created_by.as_deref() == Some(me) {
            return Ok(k);
        }
        let groups = operator_groups(conn, p).await?;
        if k.skill_group_id
            .as_ref()
            .is_some_and(|g| groups.iter().any(|x| &x.id == g))
        {
            return Ok(k);
        }
        if activity::watchers(conn, &p.tenant, &k.id)
            .await?
            .iter()
            .any(|w| w.user_id == me)
        {
            return Ok(k);
        }
        Err(AppError::NotFound("ticket"))
    }
}

/// Who made a change, as the history shows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct By<'a> {
    pub id: Option<&'a str>,
    pub name: &'a str,
}

impl<'a> By<'a> {
    pub(crate) fn of(p: &'a Principal) -> Self {
        By {
            id: p.user_id.as_deref(),
            name: &p.display_name,
        }
    }
}

/// One history row: who, which field, old → new.
pub(crate) async fn change(
    conn: &mut Conn,
    t: &TenantScope,
    by: By<'_>,
    ticket_id: &str,
    field: &str,
    old: Option<serde_json::Value>,
    new: Option<serde_json::Value>,
) -> AppResult<()> {
    if old == new {
        return Ok(());
    }
    activity::record_change(
        conn,
        t,
        ticket_id,
        &NewChange {
            actor_id: by.id,
            actor_name: by.name,
            field,
            old_value: old.as_ref(),
            new_value: new.as_ref(),
        },
    )
    .await?;
    Ok(())
}

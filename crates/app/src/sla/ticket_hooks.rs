//! Where SLA meets the ticket system: the few facts and actions it needs from
//! tickets (type and priority check, assignee, reassignment, notification,
//! visibility, the customer's view and reply). Kept in one place so the clock
//! and the progress page depend on the ticket store's public functions only.

use crate::{missing_ref, parse_id, AppError, AppResult};
use kefu_domain::ticket::TicketPriority;
use kefu_domain::ValidationError;
use kefu_store::ticket_activity::{self, NewChange, NewComment, NewNotification};
use kefu_store::{ticket_types, tickets, Conn, TenantScope};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// How the SLA machinery signs its changes in a ticket's history.
const ACTOR: &str = "SLA";

pub async fn check_ticket_type(conn: &mut Conn, t: &TenantScope, id: &str) -> AppResult<String> {
    let bad = || missing_ref("ticket_type_id", "ticket type");
    let id = parse_id("ticket type", id).map_err(|_| bad())?;
    ticket_types::get(conn, t, &id).await?.ok_or_else(bad)?;
    Ok(id)
}

pub fn check_priority(p: &str) -> AppResult<String> {
    TicketPriority::parse(p)
        .map(|p| p.key().to_string())
        .ok_or_else(|| ValidationError::new("priority", "one of low, normal, high, urgent").into())
}

/// Who works the ticket now (its assignee, if any).
pub async fn assignee(conn: &mut Conn, t: &TenantScope, ticket_id: &str) -> AppResult<Vec<String>> {
    let k = tickets::get(conn, t, ticket_id).await?;
    Ok(k.and_then(|k| k.assignee_id).into_iter().collect())
}

fn target_label(target: &str) -> &'static str {
    if target == kefu_store::sla::FIRST_RESPONSE {
        "首次响应 / first response"
    } else {
        "解决 / resolution"
    }
}

/// An in-app notification about the ticket's SLA.
pub async fn notify(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
    user_id: &str,
    kind: &str,
    target: &str,
) -> AppResult<()> {
    let Some(k) = tickets::get(conn, t, ticket_id).await? else {
        return Ok(());
    };
    let what = match kind {
        "sla_warning" => "SLA 即将超时 / SLA due soon",
        _ => "SLA 已超时 / SLA breached",
    };
    let title = format!("#{} {what}: {}", k.number, target_label(target));
    ticket_activity::notify(
        conn,
        t,
        &NewNotification {
            user_id,
            kind,
            ticket_id: Some(ticket_id),
            customer_id: None,
            title: &title,
            body: &k.title,
        },
    )
    .await?;
    Ok(())
}

/// Escalation by reassignment: to the agent (in their group when given), or
/// to the group's queue. Recorded in the ticket's history as done by "SLA".
pub async fn reassign(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
    user_id: Option<&str>,
    group_id: Option<&str>,
) -> AppResult<()> {
    let Some(k) = tickets::get(conn, t, ticket_id).await? else {
        return Ok(());
    };
    let group = group_id.map(str::to_string).or(k.skill_group_id.clone());
    tickets::set_assignment(conn, t, ticket_id, user_id, group.as_deref()).await?;
    if k.assignee_id.as_deref() != user_id {
        let (old, new) = (json!(k.assignee_id), json!(user_id));
        let change = NewChange {
            actor_id: None,
            actor_name: ACTOR,
            field: "assignee",
            old_value: Some(&old),
            new_value: Some(&new),
        };
        ticket_activity::record_change(conn, t, ticket_id, &change).await?;
    }
    if k.skill_group_id != group {
        let (old, new) = (json!(k.skill_group_id), json!(group));
        let change = NewChange {
            actor_id: None,
            actor_name: ACTOR,
            field: "skill_group",
            old_value: Some(&old),
            new_value: Some(&new),
        };
        ticket_activity::record_change(conn, t, ticket_id, &change).await?;
    }
    if let Some(u) = user_id {
        let title = format!(
            "#{} SLA 超时转派给你 / reassigned to you after an SLA breach",
            k.number
        );
        ticket_activity::notify(
            conn,
            t,
            &NewNotification {
                user_id: u,
                kind: "ticket_assigned",
                ticket_id: Some(ticket_id),
                customer_id: None,
                title: &title,
                body: &k.title,
            },
        )
        .await?;
    }
    Ok(())
}

/// What the customer may see of a ticket: never internal notes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicTicket {
    pub id: String,
    /// The number people quote: 1024 for "#1024".
    pub number: i64,
    pub title: String,
    /// The workflow status's label, as the tenant named it.
    pub status: String,
    /// open, resolved or closed.
    pub status_category: String,
    /// True once the ticket is in a resolved or closed status.
    pub resolved: bool,
    pub created_at: i64,
    pub replies: Vec<PublicReply>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicReply {
    /// `agent` or `customer`.
    pub from: String,
    pub author: String,
    pub body: String,
    pub at: i64,
}

pub async fn public_ticket(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
) -> AppResult<PublicTicket> {
    let k = tickets::get(conn, t, ticket_id)
        .await?
        .ok_or(AppError::NotFound("ticket"))?;
    let status = match ticket_types::get(conn, t, &k.type_id).await? {
        Some(ty) => ty
            .workflow
            .status(&k.status)
            .map(|s| s.label.clone())
            .unwrap_or_else(|| k.status.clone()),
        None => k.status.clone(),
    };
    let replies = ticket_activity::comments(conn, t, ticket_id, false)
        .await?
        .into_iter()
        .filter(|c| c.kind == "reply")
        .map(|c| PublicReply {
            from: if c.author_type == "customer" {
                "customer"
            } else {
                "agent"
            }
            .to_string(),
            author: c.author_name,
            body: c.body,
            at: c.created_at,
        })
        .collect();
    Ok(PublicTicket {
        id: k.id,
        number: k.number,
        title: k.title,
        status,
        resolved: k.status_category != "open",
        status_category: k.status_category,
        created_at: k.created_at,
        replies,
    })
}

/// The customer's reply from the progress page becomes a public comment from
/// the customer; the assignee and watchers get a notification. Returns who.
pub async fn customer_reply(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
    body: &str,
) -> AppResult<Vec<String>> {
    let k = tickets::get(conn, t, ticket_id)
        .await?
        .ok_or(AppError::NotFound("ticket"))?;
    let name = k
        .customer_name
        .clone()
        .unwrap_or_else(|| "客户 / Customer".into());
    ticket_activity::add_comment(
        conn,
        t,
        ticket_id,
        &NewComment {
            kind: "reply",
            author_type: "customer",
            author_id: k.customer_id.as_deref(),
            author_name: &name,
            body,
            attachments: &[],
        },
    )
    .await?;
    let mut tell: Vec<String> = k.assignee_id.into_iter().collect();
    for w in ticket_activity::watchers(conn, t, ticket_id).await? {
        if !tell.contains(&w.user_id) {
            tell.push(w.user_id);
        }
    }
    let title = format!("#{} 客户回复 / the customer replied", k.number);
    for u in &tell {
        ticket_activity::notify(
            conn,
            t,
            &NewNotification {
                user_id: u,
                kind: "ticket_comment",
                ticket_id: Some(ticket_id),
                customer_id: None,
                title: &title,
                body,
            },
        )
        .await?;
    }
    Ok(tell)
}

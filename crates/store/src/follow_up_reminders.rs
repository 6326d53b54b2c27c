//! Follow-up reminders (跟进提醒): customers whose next follow-up has come,
//! found across tenants for the reminder ticker, and marked once reminded.

use crate::{Conn, Result, TenantScope};
use sqlx::Row;

/// A follow-up that has come due and whose owner was not yet reminded.
#[derive(Debug, Clone)]
pub struct DueFollowUp {
    pub tenant_id: String,
    pub customer_id: String,
    pub name: String,
    pub owner_id: String,
    pub due_at: i64,
}

const DUE: &str = "next_follow_up_at IS NOT NULL AND next_follow_up_at <= $1 \
    AND owner_id IS NOT NULL AND merged_into IS NULL \
    AND (follow_up_reminded_at IS NULL OR follow_up_reminded_at < next_follow_up_at)";

/// The oldest `limit` due follow-ups of every tenant. Unscoped on purpose:
/// the ticker serves all tenants; everything it then writes is scoped.
pub async fn due_unscoped(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<DueFollowUp>> {
    let rows = sqlx::query(&format!(
        "SELECT tenant_id, id, name, owner_id, next_follow_up_at FROM customers \
         WHERE {DUE} ORDER BY next_follow_up_at LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DueFollowUp {
                tenant_id: r.try_get("tenant_id")?,
                customer_id: r.try_get("id")?,
                name: r.try_get("name")?,
                owner_id: r.try_get("owner_id")?,
                due_at: r.try_get("next_follow_up_at")?,
            })
        })
        .collect()
}

/// Record the reminder for this due date. False when it was already recorded
/// (another node got there first) or the date changed meanwhile.
pub async fn mark_reminded(
    conn: &mut Conn,
    t: &TenantScope,
    customer_id: &str,
    due_at: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(&format!(
        "UPDATE customers SET follow_up_reminded_at = $4 \
         WHERE tenant_id = $2 AND id = $3 AND next_follow_up_at = $5 AND {DUE}"
    ))
    .bind(now)
    .bind(t.id())
    .bind(customer_id)
    .bind(now)
    .bind(due_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

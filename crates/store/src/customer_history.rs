//! What a customer has been through: follow-up history (跟进历史) with the next
//! follow-up date, and OneID merges that move everything of one record onto
//! another.

use crate::{now_ms, Conn, FollowUp, Result, StoreError, TenantScope};
use kefu_domain::FollowUpId;
use sqlx::{any::AnyRow, Row};

const COLS: &str =
    "id, customer_id, author_id, author_name, kind, body, next_follow_up_at, created_at";

fn follow_up(r: &AnyRow) -> Result<FollowUp> {
    Ok(FollowUp {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        author_id: r.try_get("author_id")?,
        author_name: r.try_get("author_name")?,
        kind: r.try_get("kind")?,
        body: r.try_get("body")?,
        next_follow_up_at: r.try_get("next_follow_up_at")?,
        created_at: r.try_get("created_at")?,
    })
}

pub struct NewFollowUp<'a> {
    pub author_id: Option<&'a str>,
    pub author_name: &'a str,
    pub kind: &'a str,
    pub body: &'a str,
    pub next_follow_up_at: Option<i64>,
}

/// Record a follow-up. Unless it is a `system` entry, its next follow-up date
/// becomes the customer's (none clears the plan).
pub async fn add_follow_up(
    conn: &mut Conn,
    t: &TenantScope,
    customer_id: &str,
    f: &NewFollowUp<'_>,
) -> Result<FollowUp> {
    let id = FollowUpId::new();
    let now = now_ms();
    sqlx::query(&format!(
        "INSERT INTO customer_follow_ups ({COLS}, tenant_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(id.as_str())
    .bind(customer_id)
    .bind(f.author_id)
    .bind(f.author_name)
    .bind(f.kind)
    .bind(f.body)
    .bind(f.next_follow_up_at)
    .bind(now)
    .bind(t.id())
    .execute(&mut *conn)
    .await?;
    if f.kind != "system" {
        let done = sqlx::query(
            "UPDATE customers SET next_follow_up_at = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(t.id())
        .bind(customer_id)
        .bind(f.next_follow_up_at)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        crate::one_row(done.rows_affected())?;
    }
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM customer_follow_ups WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref()
        .map(follow_up)
        .transpose()?
        .ok_or(StoreError::NotFound)
}

/// Newest first.
pub async fn follow_ups(
    conn: &mut Conn,
    t: &TenantScope,
    customer_id: &str,
    limit: i64,
) -> Result<Vec<FollowUp>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM customer_follow_ups WHERE tenant_id = $1 AND customer_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT $3"
    ))
    .bind(t.id())
    .bind(customer_id)
    .bind(limit.clamp(1, 1000))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(follow_up).collect()
}

/// How much a merge moved from the merged record to the kept one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MergeMoved {
    pub visitors: u64,
    pub conversations: u64,
    pub follow_ups: u64,
    pub tickets: u64,
}

/// OneID merge, the storage half: everything that points at `gone` points at
/// `keep` afterwards, and `gone` is marked `merged_into = keep` (kept for
/// history, invisible to lists and look-ups). Earlier records merged into
/// `gone` now point at `keep` too, so one hop always reaches the live record.
/// The caller has written the combined profile onto `keep` and records the
/// audit entry, all in the same transaction.
pub async fn merge(conn: &mut Conn, t: &TenantScope, keep: &str, gone: &str) -> Result<MergeMoved> {
    if keep == gone {
        return Err(StoreError::Conflict);
    }
    let mut moved = MergeMoved::default();
    for (table, count) in [
        ("visitors", &mut moved.visitors),
        ("conversations", &mut moved.conversations),
        ("customer_follow_ups", &mut moved.follow_ups),
        ("tickets", &mut moved.tickets),
    ] {
        let done = sqlx::query(&format!(
            "UPDATE {table} SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2"
        ))
        .bind(t.id())
        .bind(gone)
        .bind(keep)
        .execute(&mut *conn)
        .await?;
        *count = done.rows_affected();
    }
    sqlx::query("UPDATE customers SET merged_into = $3 WHERE tenant_id = $1 AND merged_into = $2")
        .bind(t.id())
        .bind(gone)
        .bind(keep)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query(
        "UPDATE customers SET merged_into = $3, updated_at = $4 \
         WHERE tenant_id = $1 AND id = $2 AND merged_into IS NULL",
    )
    .bind(t.id())
    .bind(gone)
    .bind(keep)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())?;
    Ok(moved)
}

//! The customer data board (数据看板): counts over any filtered list — totals,
//! status funnel, follow-up plan state, sources, owners' departments.

use crate::customer_filter::{bind_all, where_clause, Arg, CustomerFilter};
use crate::{Conn, Result, TenantScope};
use sqlx::Row;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardCounts {
    pub total: i64,
    /// Filed and unowned (the public pool, hidden statuses included).
    pub pool: i64,
    /// A next follow-up is set and still ahead / already past / not set.
    pub follow_up_on_plan: i64,
    pub follow_up_overdue: i64,
    pub follow_up_none: i64,
    /// Status → count (`""` for none), most first.
    pub by_status: Vec<(String, i64)>,
    /// Source → count, most first.
    pub by_source: Vec<(String, i64)>,
    /// The owner's department → count; `None` for unowned customers or owners
    /// without a department.
    pub by_department: Vec<(Option<String>, i64)>,
}

async fn grouped(
    conn: &mut Conn,
    t: &TenantScope,
    f: &CustomerFilter,
    key_expr: &str,
) -> Result<Vec<(Option<String>, i64)>> {
    let (clause, args) = where_clause(t, f);
    let sql = format!(
        "SELECT k, COUNT(*) AS n FROM (SELECT {key_expr} AS k FROM customers{clause}) grouped \
         GROUP BY k"
    );
    let rows = bind_all(sqlx::query(&sql), args)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<Option<String>, _>("k")?,
                r.try_get::<i64, _>("n")?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    // Most first, then by key in byte order: the same on both backends,
    // whatever the database's collation.
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// Counts over the customers the filter selects (its paging is ignored).
pub async fn board(conn: &mut Conn, t: &TenantScope, f: &CustomerFilter) -> Result<BoardCounts> {
    let f = CustomerFilter {
        before_id: None,
        ..f.clone()
    };
    let (clause, mut args) = where_clause(t, &f);
    args.push(Arg::I(f.now));
    let now = format!("${}", args.len());
    let sql = format!(
        "SELECT COUNT(*) AS total, \
         COUNT(CASE WHEN owner_id IS NULL AND template_id IS NOT NULL THEN 1 END) AS pool, \
         COUNT(CASE WHEN next_follow_up_at >= {now} THEN 1 END) AS on_plan, \
         COUNT(CASE WHEN next_follow_up_at < {now} THEN 1 END) AS overdue, \
         COUNT(CASE WHEN next_follow_up_at IS NULL THEN 1 END) AS none_set \
         FROM customers{clause}"
    );
    let row = bind_all(sqlx::query(&sql), args)
        .fetch_one(&mut *conn)
        .await?;
    let plain = |v: Vec<(Option<String>, i64)>| {
        v.into_iter()
            .map(|(k, n)| (k.unwrap_or_default(), n))
            .collect()
    };
    Ok(BoardCounts {
        total: row.try_get("total")?,
        pool: row.try_get("pool")?,
        follow_up_on_plan: row.try_get("on_plan")?,
        follow_up_overdue: row.try_get("overdue")?,
        follow_up_none: row.try_get("none_set")?,
        by_status: plain(grouped(conn, t, &f, "status").await?),
        by_source: plain(grouped(conn, t, &f, "source").await?),
        by_department: grouped(
            conn,
            t,
            &f,
            "(SELECT u.department_id FROM users u WHERE u.tenant_id = customers.tenant_id AND u.id = customers.owner_id)",
        )
        .await?,
    })
}

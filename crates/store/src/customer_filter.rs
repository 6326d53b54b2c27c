//! Customer lists: the filter (text, template, status, tag, owner, follow-up
//! plan, what a user may see) as one `WHERE` clause, shared by lists, exports
//! and the data board.

use crate::conversations::to_json;
use crate::customers::{customer, in_pool, CUSTOMER_COLS};
use crate::{Conn, Customer, Result, TenantScope};

/// Whose customers a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum OwnerFilter {
    #[default]
    Any,
    /// The public pool (公海), without the customers its templates hide.
    Pool,
    User(String),
}

/// Follow-up plan state (跟进计划).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpPlan {
    /// A next follow-up is set and still ahead.
    OnPlan,
    /// A next follow-up is set and past.
    Overdue,
    /// No next follow-up set.
    None,
}

#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Text in name, phone or e-mail.
    pub q: Option<String>,
    pub template_id: Option<String>,
    pub status: Option<String>,
    pub tag: Option<String>,
    pub owner: OwnerFilter,
    /// Only what this user may see without "see every customer": their own,
    /// the pool (minus hidden statuses), and those they served in a conversation.
    pub visible_to: Option<String>,
    pub follow_up: Option<FollowUpPlan>,
    /// "Now" for the follow-up plan.
    pub now: i64,
    /// Paging: only ids before this one (lists are newest first).
    pub before_id: Option<String>,
    pub limit: i64,
}

pub(crate) enum Arg {
    S(String),
    I(i64),
}

fn like_pattern(s: &str) -> String {
    let escaped = s
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The `WHERE` clause of a filter (on table `customers`, unaliased) with its
/// arguments; the tenant is `$1`.
pub(crate) fn where_clause(t: &TenantScope, f: &CustomerFilter) -> (String, Vec<Arg>) {
    let mut args = vec![Arg::S(t.id().to_string())];
    let mut push = |a: Arg| {
        args.push(a);
        format!("${}", args.len())
    };
    let mut sql = " WHERE tenant_id = $1 AND merged_into IS NULL".to_string();
    if let Some(q) = f.q.as_deref().filter(|q| !q.trim().is_empty()) {
        let n = push(Arg::S(like_pattern(q.trim())));
        sql += &format!(
            " AND (LOWER(name) LIKE {n} ESCAPE '\\' OR phone LIKE {n} ESCAPE '\\' OR email LIKE {n} ESCAPE '\\')"
        );
    }
    if let Some(v) = &f.template_id {
        sql += &format!(" AND template_id = {}", push(Arg::S(v.clone())));
    }
    if let Some(v) = &f.status {
        sql += &format!(" AND status = {}", push(Arg::S(v.clone())));
    }
    if let Some(v) = &f.tag {
        let n = push(Arg::S(like_pattern(&to_json(v))));
        sql += &format!(" AND LOWER(tags) LIKE {n} ESCAPE '\\'");
    }
    match &f.owner {
        OwnerFilter::Any => {}
        OwnerFilter::Pool => sql += &format!(" AND {}", in_pool()),
        OwnerFilter::User(u) => sql += &format!(" AND owner_id = {}", push(Arg::S(u.clone()))),
    }
    if let Some(u) = &f.visible_to {
        let n = push(Arg::S(u.clone()));
        sql += &format!(
            " AND (owner_id = {n} OR {} OR EXISTS (SELECT 1 FROM conversations cv \
             WHERE cv.tenant_id = customers.tenant_id AND cv.customer_id = customers.id AND cv.agent_id = {n}))",
            in_pool()
        );
    }
    match f.follow_up {
        None => {}
        Some(FollowUpPlan::None) => sql += " AND next_follow_up_at IS NULL",
        Some(FollowUpPlan::OnPlan) => {
            sql += &format!(" AND next_follow_up_at >= {}", push(Arg::I(f.now)))
        }
        Some(FollowUpPlan::Overdue) => {
            sql += &format!(" AND next_follow_up_at < {}", push(Arg::I(f.now)))
        }
    }
    if let Some(b) = &f.before_id {
        sql += &format!(" AND id < {}", push(Arg::S(b.clone())));
    }
    (sql, args)
}

pub(crate) fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::S(s) => q.bind(s),
            Arg::I(i) => q.bind(i),
        };
    }
    q
}

/// Customers matching the filter, newest first. Merged-away records never show.
pub async fn list_customers(
    conn: &mut Conn,
    t: &TenantScope,
    f: &CustomerFilter,
) -> Result<Vec<Customer>> {
    let (clause, mut args) = where_clause(t, f);
    args.push(Arg::I(f.limit.clamp(1, 10_000)));
    let sql = format!(
        "SELECT {CUSTOMER_COLS} FROM customers{clause} ORDER BY id DESC LIMIT ${}",
        args.len()
    );
    let rows = bind_all(sqlx::query(&sql), args)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(customer).collect()
}

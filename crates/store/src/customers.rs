//! Customers (客户): the one record per person that chat, calls, tickets and the
//! CRM share. Templates are in [`crate::customer_templates`], follow-ups and
//! OneID merging in [`crate::customer_history`].
//!
//! A record merged into another keeps its row (`merged_into` set) for history
//! and old links, but no list or look-up here returns it.

use crate::conversations::{json_list, to_json};
use crate::{now_ms, Conn, Customer, Result, StoreError, TenantScope};
use kefu_domain::CustomerId;
use sqlx::{any::AnyRow, Row};

pub(crate) const CUSTOMER_COLS: &str =
    "id, name, phone, email, tags, notes, template_id, field_values, status, \
    owner_id, source, next_follow_up_at, claimed_at, merged_into, created_at, updated_at";

/// A pool customer whose status is the one its template hides from the pool.
pub(crate) const HIDDEN_FROM_POOL: &str = "EXISTS (SELECT 1 FROM customer_templates ct \
    WHERE ct.tenant_id = customers.tenant_id AND ct.id = customers.template_id \
    AND ct.pool_hidden_status = customers.status)";

/// In the public pool: filed in a template, nobody's, not merged away, and not
/// in the template's hidden status.
pub(crate) fn in_pool() -> String {
    format!(
        "(owner_id IS NULL AND template_id IS NOT NULL AND merged_into IS NULL AND NOT {HIDDEN_FROM_POOL})"
    )
}

pub(crate) fn customer(r: &AnyRow) -> Result<Customer> {
    let fields: String = r.try_get("field_values")?;
    Ok(Customer {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        email: r.try_get("email")?,
        tags: json_list(&r.try_get::<String, _>("tags")?),
        notes: r.try_get("notes")?,
        template_id: r.try_get("template_id")?,
        fields: serde_json::from_str(&fields)
            .map_err(|e| StoreError::Corrupt(format!("customer fields: {e}")))?,
        status: r.try_get("status")?,
        owner_id: r.try_get("owner_id")?,
        source: r.try_get("source")?,
        next_follow_up_at: r.try_get("next_follow_up_at")?,
        claimed_at: r.try_get("claimed_at")?,
        merged_into: r.try_get("merged_into")?,
        masked: false,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A new customer as the CRM files it.
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    pub template_id: Option<String>,
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub status: String,
    pub owner_id: Option<String>,
    pub source: String,
    pub next_follow_up_at: Option<i64>,
}

pub async fn insert_customer(
    conn: &mut Conn,
    t: &TenantScope,
    c: &NewCustomer,
) -> Result<Customer> {
    let id = CustomerId::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO customers (id, tenant_id, name, phone, email, tags, notes, template_id, field_values, status, \
         owner_id, source, next_follow_up_at, claimed_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(&c.name)
    .bind(c.phone.as_deref())
    .bind(c.email.as_deref())
    .bind(to_json(&c.tags))
    .bind(&c.notes)
    .bind(c.template_id.as_deref())
    .bind(serde_json::Value::Object(c.fields.clone()).to_string())
    .bind(&c.status)
    .bind(c.owner_id.as_deref())
    .bind(&c.source)
    .bind(c.next_follow_up_at)
    .bind(c.owner_id.as_ref().map(|_| now))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    // The row as written, without reading it back (imports insert many).
    let created = Customer {
        id: id.to_string(),
        name: c.name.clone(),
        phone: c.phone.clone(),
        email: c.email.clone(),
        tags: c.tags.clone(),
        notes: c.notes.clone(),
        template_id: c.template_id.clone(),
        fields: c.fields.clone(),
        status: c.status.clone(),
        owner_id: c.owner_id.clone(),
        source: c.source.clone(),
        next_follow_up_at: c.next_follow_up_at,
        claimed_at: c.owner_id.as_ref().map(|_| now),
        merged_into: None,
        masked: false,
        created_at: now,
        updated_at: now,
    };
    sync_phones(conn, t, &created, false).await?;
    Ok(created)
}

/// The bare record a new chat contact starts with (no template, not in the pool).
pub async fn create_customer(
    conn: &mut Conn,
    t: &TenantScope,
    name: &str,
    phone: Option<&str>,
    email: Option<&str>,
) -> Result<Customer> {
    insert_customer(
        conn,
        t,
        &NewCustomer {
            name: name.to_string(),
            phone: phone.map(str::to_string),
            email: email.map(str::to_string),
            source: "chat".into(),
            ..NewCustomer::default()
        },
    )
    .await
}

/// By id, merged or not (callers follow `merged_into`).
pub async fn get_customer(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<Customer>> {
    let row = sqlx::query(&format!(
        "SELECT {CUSTOMER_COLS} FROM customers WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(customer).transpose()
}

/// Write the editable part of the record: profile, template, values, status and
/// next follow-up. The owner changes only through [`claim`] and [`set_owner`].
pub async fn update_customer(conn: &mut Conn, t: &TenantScope, c: &Customer) -> Result<()> {
    let done = sqlx::query(
        "UPDATE customers SET name = $3, phone = $4, email = $5, tags = $6, notes = $7, template_id = $8, \
         field_values = $9, status = $10, next_follow_up_at = $11, updated_at = $12 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(&c.id)
    .bind(&c.name)
    .bind(c.phone.as_deref())
    .bind(c.email.as_deref())
    .bind(to_json(&c.tags))
    .bind(&c.notes)
    .bind(c.template_id.as_deref())
    .bind(serde_json::Value::Object(c.fields.clone()).to_string())
    .bind(&c.status)
    .bind(c.next_follow_up_at)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())?;
    sync_phones(conn, t, c, true).await
}

/// Rebuild the customer's rows in `customer_phones`: the main phone and the
/// values of the template's phone fields.
async fn sync_phones(conn: &mut Conn, t: &TenantScope, c: &Customer, replace: bool) -> Result<()> {
    let mut phones: Vec<String> = c.phone.iter().cloned().collect();
    if let Some(tid) = c.template_id.as_ref().filter(|_| !c.fields.is_empty()) {
        if let Some(tpl) = crate::customer_templates::get(conn, t, tid).await? {
            for f in tpl
                .fields
                .iter()
                .filter(|f| f.kind == kefu_domain::crm::FieldKind::Phone)
            {
                if let Some(serde_json::Value::String(p)) = c.fields.get(&f.key) {
                    phones.push(p.clone());
                }
            }
        }
    }
    phones.retain(|p| !p.is_empty());
    phones.sort();
    phones.dedup();
    if replace {
        sqlx::query("DELETE FROM customer_phones WHERE tenant_id = $1 AND customer_id = $2")
            .bind(t.id())
            .bind(&c.id)
            .execute(&mut *conn)
            .await?;
    }
    for p in phones {
        sqlx::query(
            "INSERT INTO customer_phones (tenant_id, customer_id, phone) VALUES ($1, $2, $3)",
        )
        .bind(t.id())
        .bind(&c.id)
        .bind(p)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub use crate::customer_filter::{list_customers, CustomerFilter, FollowUpPlan, OwnerFilter};

/// Has this user served the customer in a conversation?
pub async fn served_by(
    conn: &mut Conn,
    t: &TenantScope,
    customer_id: &str,
    user_id: &str,
) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM conversations WHERE tenant_id = $1 AND customer_id = $2 AND agent_id = $3",
    )
    .bind(t.id())
    .bind(customer_id)
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// Is the customer in the public pool (and not hidden from it)?
pub async fn is_in_pool(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM customers WHERE tenant_id = $1 AND id = $2 AND {}",
        in_pool()
    ))
    .bind(t.id())
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

// ---- OneID look-ups -----------------------------------------------------------

/// The live customers behind these ids: a merged-away record leads to the
/// record it was merged into (one hop always reaches it); each once, by id.
/// Look-ups find ids with one indexed query and then read rows by primary key:
/// a plan that cannot go wrong on a table the planner has no statistics for.
async fn live_by_ids(conn: &mut Conn, t: &TenantScope, ids: Vec<String>) -> Result<Vec<Customer>> {
    let mut out: Vec<Customer> = Vec::new();
    for id in ids {
        let Some(mut c) = get_customer(conn, t, &id).await? else {
            continue;
        };
        if let Some(live) = c.merged_into.clone() {
            match get_customer(conn, t, &live).await? {
                Some(l) if l.merged_into.is_none() => c = l,
                _ => continue,
            }
        }
        if !out.iter().any(|o| o.id == c.id) {
            out.push(c);
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

async fn ids(conn: &mut Conn, sql: &str, t: &TenantScope, args: &[&str]) -> Result<Vec<String>> {
    let mut q = sqlx::query_scalar::<_, String>(sql).bind(t.id());
    for a in args {
        q = q.bind(a.to_string());
    }
    Ok(q.fetch_all(&mut *conn).await?)
}

/// Live customers whose phone is exactly this (already normalised) number.
/// A number of a record merged away leads to the record it was merged into,
/// so a merge never makes the person findable as new.
pub async fn find_by_phone(conn: &mut Conn, t: &TenantScope, phone: &str) -> Result<Vec<Customer>> {
    let found = ids(
        conn,
        "SELECT id FROM customers WHERE tenant_id = $1 AND phone = $2",
        t,
        &[phone],
    )
    .await?;
    live_by_ids(conn, t, found).await
}

/// Live customers with this number anywhere: as their phone or in a phone
/// field of their template (the screen pop; a shared number finds several).
pub async fn find_by_any_phone(
    conn: &mut Conn,
    t: &TenantScope,
    phone: &str,
) -> Result<Vec<Customer>> {
    let found = ids(
        conn,
        "SELECT customer_id FROM customer_phones WHERE tenant_id = $1 AND phone = $2",
        t,
        &[phone],
    )
    .await?;
    live_by_ids(conn, t, found).await
}

/// Live customers with this (lower-cased) e-mail address.
pub async fn find_by_email(conn: &mut Conn, t: &TenantScope, email: &str) -> Result<Vec<Customer>> {
    let found = ids(
        conn,
        "SELECT id FROM customers WHERE tenant_id = $1 AND email = $2",
        t,
        &[email],
    )
    .await?;
    live_by_ids(conn, t, found).await
}

/// Live customers behind a channel's user id (the id the host site or the
/// messaging platform gives its user).
pub async fn find_by_channel_user(
    conn: &mut Conn,
    t: &TenantScope,
    channel_id: &str,
    user_id: &str,
) -> Result<Vec<Customer>> {
    let found = ids(
        conn,
        "SELECT customer_id FROM visitors WHERE tenant_id = $1 AND channel_id = $2 AND external_user_id = $3",
        t,
        &[channel_id, user_id],
    )
    .await?;
    live_by_ids(conn, t, found).await
}

// ---- the public pool (公海) -----------------------------------------------------

/// Take a pool customer. `false` when the customer is not (or no longer) in the
/// pool — someone else was quicker, or the template hides its status.
pub async fn claim(conn: &mut Conn, t: &TenantScope, id: &str, user_id: &str) -> Result<bool> {
    let now = now_ms();
    let done = sqlx::query(&format!(
        "UPDATE customers SET owner_id = $3, claimed_at = $4, updated_at = $4 \
         WHERE tenant_id = $1 AND id = $2 AND {}",
        in_pool()
    ))
    .bind(t.id())
    .bind(id)
    .bind(user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Give the customer to someone, or (with `None`) back to the pool.
pub async fn set_owner(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    owner: Option<&str>,
) -> Result<()> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE customers SET owner_id = $3, claimed_at = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(owner)
    .bind(owner.map(|_| now))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

/// What OneID found for a new record.
#[derive(Debug, Clone)]
pub enum Deduped {
    Created(Box<Customer>),
    /// An existing live customer has the same phone or e-mail; nothing was
    /// written. `matched_by` is `phone` or `email`.
    Duplicate {
        customer_id: String,
        matched_by: &'static str,
    },
}

/// The first live customer with this phone, else with this e-mail (both
/// already normalised).
pub async fn find_match(
    conn: &mut Conn,
    t: &TenantScope,
    phone: Option<&str>,
    email: Option<&str>,
) -> Result<Option<(Customer, &'static str)>> {
    if let Some(p) = phone {
        if let Some(c) = find_by_phone(conn, t, p).await?.into_iter().next() {
            return Ok(Some((c, "phone")));
        }
    }
    if let Some(e) = email {
        if let Some(c) = find_by_email(conn, t, e).await?.into_iter().next() {
            return Ok(Some((c, "email")));
        }
    }
    Ok(None)
}

/// Serialise OneID checks on the same phone/e-mail across connections until
/// the caller's transaction ends. SQLite needs nothing (`BEGIN IMMEDIATE`
/// already makes writers take turns); on PostgreSQL two nodes checking the same
/// number at once would both see "no match" without this advisory lock.
pub async fn lock_identity(
    conn: &mut Conn,
    t: &TenantScope,
    phone: Option<&str>,
    email: Option<&str>,
) -> Result<()> {
    if conn.backend_name() != "PostgreSQL" {
        return Ok(());
    }
    let mut keys: Vec<i64> = [("phone", phone), ("email", email)]
        .into_iter()
        .filter_map(|(kind, v)| v.map(|v| identity_key(t, kind, v)))
        .collect();
    // Always in the same order, so two transactions cannot deadlock on them.
    keys.sort_unstable();
    for k in keys {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(k)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Refresh the query planner's statistics of the customer tables (after a
/// bulk import; PostgreSQL's autovacuum would do it later, if it is on).
pub async fn refresh_statistics(conn: &mut Conn) -> Result<()> {
    let sql = if conn.backend_name() == "PostgreSQL" {
        "ANALYZE customers, customer_phones"
    } else {
        "ANALYZE customers"
    };
    sqlx::query(sql).execute(&mut *conn).await?;
    Ok(())
}

/// The advisory-lock key of one identity (a phone or an e-mail) in a tenant.
pub(crate) fn identity_key(t: &TenantScope, kind: &str, value: &str) -> i64 {
    fnv1a(&format!("oneid|{}|{kind}|{value}", t.id()))
}

/// FNV-1a, 64 bits: a stable hash (the same on every node and version).
fn fnv1a(s: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

/// Insert unless OneID finds the person already (import, API create). Run in
/// the caller's transaction so rows earlier in the same batch count too.
pub async fn insert_unless_duplicate(
    conn: &mut Conn,
    t: &TenantScope,
    c: &NewCustomer,
) -> Result<Deduped> {
    // One code path with the bulk import, so the two cannot drift apart.
    crate::customer_bulk::insert_many_unless_duplicate(conn, t, std::slice::from_ref(c))
        .await?
        .pop()
        .ok_or_else(|| StoreError::Corrupt("bulk insert gave no outcome for its row".into()))
}

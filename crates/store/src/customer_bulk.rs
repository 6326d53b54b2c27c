//! OneID-checked inserts in bulk (CSV import, seeding). The row-at-a-time
//! path costs about seven round trips per customer (identity locks, two
//! look-ups, the template for phone fields, the insert, its phone rows); on
//! PostgreSQL that was ~1.1 ms a row, too slow for a 100,000-row import. Here a
//! batch takes its identity locks in one statement, finds every existing
//! match with two `IN` queries and writes with multi-row `INSERT`s, while
//! keeping the per-row rules of [`crate::customers::insert_unless_duplicate`]:
//! a phone match wins over an e-mail match, a number of a merged record leads
//! to the record it was merged into, and rows earlier in the same batch count.

use crate::conversations::to_json;
use crate::customers::{find_by_email, find_by_phone, Deduped, NewCustomer};
use crate::{now_ms, values_clause, Conn, Customer, Result, TenantScope};
use kefu_domain::crm::FieldKind;
use kefu_domain::CustomerId;
use sqlx::Row;
use std::collections::HashMap;

/// Rows per multi-row statement: 16 values a customer stays far below the
/// bind-parameter limits of SQLite (32,766) and PostgreSQL (65,535).
const ROWS_PER_INSERT: usize = 200;
/// Values per `IN (…)` list.
const KEYS_PER_QUERY: usize = 1000;

/// Insert each row unless OneID finds the person already, in the caller's
/// transaction. The outcome of row *i* is at index *i*.
pub async fn insert_many_unless_duplicate(
    conn: &mut Conn,
    t: &TenantScope,
    rows: &[NewCustomer],
) -> Result<Vec<Deduped>> {
    let phones: Vec<&str> = rows.iter().filter_map(|r| r.phone.as_deref()).collect();
    let emails: Vec<&str> = rows.iter().filter_map(|r| r.email.as_deref()).collect();
    lock_identities(conn, t, &phones, &emails).await?;
    let mut by_phone = existing(conn, t, "phone", &phones).await?;
    let mut by_email = existing(conn, t, "email", &emails).await?;

    let now = now_ms();
    let mut out = Vec::with_capacity(rows.len());
    let mut created: Vec<Customer> = Vec::new();
    for r in rows {
        let hit = match (r.phone.as_deref(), r.email.as_deref()) {
            (Some(p), _) if by_phone.contains_key(p) => Some((by_phone[p].clone(), "phone")),
            (_, Some(e)) if by_email.contains_key(e) => Some((by_email[e].clone(), "email")),
            _ => None,
        };
        if let Some((id, by)) = hit {
            out.push(Deduped::Duplicate {
                customer_id: id,
                matched_by: by,
            });
            continue;
        }
        let c = new_row(r, now);
        if let Some(p) = &c.phone {
            by_phone.insert(p.clone(), c.id.clone());
        }
        if let Some(e) = &c.email {
            by_email.insert(e.clone(), c.id.clone());
        }
        created.push(c.clone());
        out.push(Deduped::Created(Box::new(c)));
    }
    insert_rows(conn, t, &created).await?;
    insert_phones(conn, t, &created).await?;
    Ok(out)
}

/// The record as it will be written (no read-back: imports insert many).
fn new_row(c: &NewCustomer, now: i64) -> Customer {
    Customer {
        id: CustomerId::new().to_string(),
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
    }
}

/// The PostgreSQL advisory locks of [`crate::customers::lock_identity`] for
/// a whole batch, in one statement. Keys are sorted in Rust and a `VALUES`
/// list is scanned in order, so two batches cannot deadlock on them.
async fn lock_identities(
    conn: &mut Conn,
    t: &TenantScope,
    phones: &[&str],
    emails: &[&str],
) -> Result<()> {
    if conn.backend_name() != "PostgreSQL" {
        return Ok(());
    }
    let mut keys: Vec<i64> = phones
        .iter()
        .map(|p| crate::customers::identity_key(t, "phone", p))
        .chain(
            emails
                .iter()
                .map(|e| crate::customers::identity_key(t, "email", e)),
        )
        .collect();
    keys.sort_unstable();
    keys.dedup();
    for part in keys.chunks(KEYS_PER_QUERY) {
        let values: Vec<String> = (1..=part.len())
            .map(|i| format!("(${i}::bigint)"))
            .collect();
        let sql = format!(
            "SELECT pg_advisory_xact_lock(k) FROM (VALUES {}) AS v(k)",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for k in part {
            q = q.bind(*k);
        }
        q.fetch_all(&mut *conn).await?;
    }
    Ok(())
}

/// For each value that some customer has in `column`, the live customer it
/// leads to. Merged-away records are rare; they are followed one by one with
/// the same look-up the single-row path uses.
async fn existing(
    conn: &mut Conn,
    t: &TenantScope,
    column: &'static str,
    values: &[&str],
) -> Result<HashMap<String, String>> {
    let mut found: HashMap<String, String> = HashMap::new();
    let mut merged: Vec<String> = Vec::new();
    for part in values.chunks(KEYS_PER_QUERY) {
        let list: Vec<String> = (2..part.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, {column} AS v, merged_into FROM customers \
             WHERE tenant_id = $1 AND {column} IN ({}) ORDER BY id",
            list.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(t.id());
        for v in part {
            q = q.bind(v.to_string());
        }
        for r in q.fetch_all(&mut *conn).await? {
            let v: String = r.try_get("v")?;
            let merged_into: Option<String> = r.try_get("merged_into")?;
            if merged_into.is_some() {
                merged.push(v);
            } else {
                // The first live customer by id, as `find_by_*` orders them.
                let id: String = r.try_get("id")?;
                found.entry(v).or_insert(id);
            }
        }
    }
    for v in merged {
        if found.contains_key(&v) {
            continue;
        }
        let live = match column {
            "phone" => find_by_phone(conn, t, &v).await?,
            _ => find_by_email(conn, t, &v).await?,
        };
        if let Some(c) = live.into_iter().next() {
            found.insert(v, c.id);
        }
    }
    Ok(found)
}

async fn insert_rows(conn: &mut Conn, t: &TenantScope, rows: &[Customer]) -> Result<()> {
    for part in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO customers (id, tenant_id, name, phone, email, tags, notes, template_id, \
             field_values, status, owner_id, source, next_follow_up_at, claimed_at, created_at, updated_at) \
             VALUES {}",
            values_clause(conn, part.len(), 16)
        );
        let mut q = sqlx::query(&sql);
        for c in part {
            q = q
                .bind(c.id.clone())
                .bind(t.id().to_string())
                .bind(c.name.clone())
                .bind(c.phone.clone())
                .bind(c.email.clone())
                .bind(to_json(&c.tags))
                .bind(c.notes.clone())
                .bind(c.template_id.clone())
                .bind(serde_json::Value::Object(c.fields.clone()).to_string())
                .bind(c.status.clone())
                .bind(c.owner_id.clone())
                .bind(c.source.clone())
                .bind(c.next_follow_up_at)
                .bind(c.claimed_at)
                .bind(c.created_at)
                .bind(c.created_at); // updated_at
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The screen-pop numbers of the new records: the main phone and the values
/// of their templates' phone fields (templates read once per batch).
async fn insert_phones(conn: &mut Conn, t: &TenantScope, rows: &[Customer]) -> Result<()> {
    let mut phone_keys: HashMap<String, Vec<String>> = HashMap::new();
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for c in rows {
        let mut phones: Vec<String> = c.phone.iter().cloned().collect();
        if let Some(tid) = c.template_id.as_ref().filter(|_| !c.fields.is_empty()) {
            if !phone_keys.contains_key(tid) {
                let keys = match crate::customer_templates::get(conn, t, tid).await? {
                    Some(tpl) => tpl
                        .fields
                        .iter()
                        .filter(|f| f.kind == FieldKind::Phone)
                        .map(|f| f.key.clone())
                        .collect(),
                    None => Vec::new(),
                };
                phone_keys.insert(tid.clone(), keys);
            }
            for k in &phone_keys[tid] {
                if let Some(serde_json::Value::String(p)) = c.fields.get(k) {
                    phones.push(p.clone());
                }
            }
        }
        phones.retain(|p| !p.is_empty());
        phones.sort();
        phones.dedup();
        pairs.extend(phones.into_iter().map(|p| (c.id.as_str(), p)));
    }
    for part in pairs.chunks(ROWS_PER_INSERT * 5) {
        let sql = format!(
            "INSERT INTO customer_phones (tenant_id, customer_id, phone) VALUES {}",
            values_clause(conn, part.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for (id, p) in part {
            q = q
                .bind(t.id().to_string())
                .bind(id.to_string())
                .bind(p.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

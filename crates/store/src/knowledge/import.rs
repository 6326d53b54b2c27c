//! The bulk path of the knowledge import: category paths found or created as the rows need
//! them, and items with their phrasings written many rows per statement, so 100,000 items
//! take a few hundred round trips instead of half a million (docs/benchmarks.md, "Bot at
//! scale"). The row-at-a-time path (`import_item`, one savepoint per row) stays for a batch
//! the database refuses: the import then learns which row it was.

use super::categories::find_category;
use super::{ItemFields, MAX_DEPTH};
use crate::values_clause;
use crate::{now_ms, Conn, Result, StoreError, TenantScope};
use kefu_domain::{KnowledgeCategoryId, KnowledgeItemId};
use sqlx::Connection;
use std::collections::HashMap;

/// Bound parameters per multi-row statement: well under SQLite's 32,766 and PostgreSQL's
/// 65,535, and small enough that one statement stays a few hundred kilobytes.
const MAX_PARAMS: usize = 8_000;

/// Find or create the category path `names` (1 to 3 names). `cache` maps a `/`-joined path
/// to its id and is only read; the categories created are answered as (path, id) for the
/// caller to add once what it is doing is kept. Answers the leaf's id.
pub async fn ensure_category_path(
    conn: &mut Conn,
    t: &TenantScope,
    names: &[&str],
    cache: &HashMap<String, String>,
) -> Result<(String, Vec<(String, String)>)> {
    if names.is_empty() || names.len() as i64 > MAX_DEPTH {
        return Err(StoreError::Invalid {
            field: "category",
            message: format!("a category path has 1 to {MAX_DEPTH} names"),
        });
    }
    let mut parent: Option<String> = None;
    let mut fresh: Vec<(String, String)> = Vec::new();
    for depth in 1..=names.len() {
        let path = names[..depth].join("/");
        if let Some(id) = cache.get(&path) {
            parent = Some(id.clone());
            continue;
        }
        let found = find_category(conn, t, names[depth - 1], parent.as_deref()).await?;
        let id = match found {
            Some(c) => c.id,
            None => {
                let id = KnowledgeCategoryId::new();
                let now = now_ms();
                sqlx::query(
                    "INSERT INTO knowledge_categories (id, tenant_id, name, parent_id, depth, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6)",
                )
                .bind(id.as_str())
                .bind(t.id())
                .bind(names[depth - 1])
                .bind(parent.as_deref())
                .bind(depth as i64)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                fresh.push((path.clone(), id.as_str().to_string()));
                id.as_str().to_string()
            }
        };
        parent = Some(id);
    }
    let leaf = parent.ok_or(StoreError::NotFound)?;
    Ok((leaf, fresh))
}

/// Insert items whose categories are already known to be this tenant's (the import
/// resolved them), with their phrasings, many rows per statement; no read-back. Answers
/// the new ids in order. The caller wraps it in a transaction or savepoint: on an error
/// some statements may have run, and the batch must be rolled back whole.
pub async fn insert_items_batch(
    conn: &mut Conn,
    t: &TenantScope,
    items: &[ItemFields<'_>],
) -> Result<Vec<String>> {
    const ITEM_COLS: usize = 10;
    const PHRASING_COLS: usize = 4;
    let ids: Vec<String> = items
        .iter()
        .map(|_| KnowledgeItemId::new().as_str().to_string())
        .collect();
    let answers: Vec<String> = items.iter().map(|f| f.answer.to_string()).collect();
    let rows: Vec<usize> = (0..items.len()).collect();
    for part in rows.chunks(MAX_PARAMS / ITEM_COLS) {
        let sql = format!(
            "INSERT INTO knowledge_items (id, tenant_id, category_id, question, answer, enabled, \
             valid_from, valid_to, created_at, updated_at) VALUES {}",
            values_clause(conn, part.len(), ITEM_COLS)
        );
        let mut q = sqlx::query(&sql);
        for &i in part {
            let f = &items[i];
            let now = now_ms();
            q = q
                .bind(ids[i].as_str())
                .bind(t.id())
                .bind(f.category_id)
                .bind(f.question)
                .bind(answers[i].as_str())
                .bind(i64::from(f.enabled))
                .bind(f.valid_from)
                .bind(f.valid_to)
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    let phrasings: Vec<(usize, usize, &str)> = items
        .iter()
        .enumerate()
        .flat_map(|(i, f)| {
            f.similar
                .iter()
                .enumerate()
                .map(move |(pos, text)| (i, pos, text.as_str()))
        })
        .collect();
    for part in phrasings.chunks(MAX_PARAMS / PHRASING_COLS) {
        let sql = format!(
            "INSERT INTO knowledge_phrasings (tenant_id, item_id, position, text) VALUES {}",
            values_clause(conn, part.len(), PHRASING_COLS)
        );
        let mut q = sqlx::query(&sql);
        for &(i, pos, text) in part {
            q = q
                .bind(t.id())
                .bind(ids[i].as_str())
                .bind(pos as i64)
                .bind(text);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(ids)
}

/// One row of a batch: its category path (1 to 3 names) and its fields (`category_id` is
/// filled in from the path).
pub struct ImportRow<'a> {
    pub names: Vec<&'a str>,
    pub fields: ItemFields<'a>,
}

/// Store a batch of rows inside one savepoint: each row's category path found or created
/// (a path created for an earlier row is not looked up again), then every item and
/// phrasing in a few multi-row statements. All or nothing: on an error the savepoint is
/// rolled back, the caller's transaction goes on, and `cache` is as it was. Answers how
/// many categories were created.
pub async fn import_batch(
    conn: &mut Conn,
    t: &TenantScope,
    rows: &[ImportRow<'_>],
    cache: &mut HashMap<String, String>,
) -> Result<usize> {
    let mut sp = conn.begin().await?;
    let mut fresh_all: Vec<(String, String)> = Vec::new();
    let result = async {
        let mut local: HashMap<String, String> = HashMap::new();
        let mut category_ids = Vec::with_capacity(rows.len());
        for r in rows {
            let path = r.names.join("/");
            if let Some(id) = local.get(&path).or_else(|| cache.get(&path)) {
                category_ids.push(id.clone());
                continue;
            }
            let (id, fresh) = ensure_category_path(&mut sp, t, &r.names, cache).await?;
            for (p, cid) in &fresh {
                local.insert(p.clone(), cid.clone());
            }
            fresh_all.extend(fresh);
            local.insert(path, id.clone());
            category_ids.push(id);
        }
        let items: Vec<ItemFields<'_>> = rows
            .iter()
            .zip(&category_ids)
            .map(|(r, cid)| ItemFields {
                category_id: cid.as_str(),
                ..r.fields.clone()
            })
            .collect();
        insert_items_batch(&mut sp, t, &items).await?;
        Ok::<(), StoreError>(())
    }
    .await;
    match result {
        Ok(()) => {
            sp.commit().await?;
            let n = fresh_all.len();
            cache.extend(fresh_all);
            Ok(n)
        }
        Err(e) => {
            sp.rollback().await?;
            Err(e)
        }
    }
}

/// Find or create the category path `names` (at most three), then insert the item, all
/// inside one savepoint: a row is stored whole or not at all while the caller's
/// transaction goes on. `cache` maps a `/`-joined path to its id; it is read and, once the
/// row is in, extended. Answers the new item's id and how many categories were created.
pub async fn import_item(
    conn: &mut Conn,
    t: &TenantScope,
    names: &[&str],
    cache: &mut HashMap<String, String>,
    f: &ItemFields<'_>,
) -> Result<(String, usize)> {
    let mut sp = conn.begin().await?;
    let (category_id, fresh) = ensure_category_path(&mut sp, t, names, cache).await?;
    let fields = ItemFields {
        category_id: &category_id,
        ..f.clone()
    };
    let mut ids = insert_items_batch(&mut sp, t, std::slice::from_ref(&fields)).await?;
    sp.commit().await?;
    let created = fresh.len();
    cache.extend(fresh);
    Ok((ids.pop().ok_or(StoreError::NotFound)?, created))
}

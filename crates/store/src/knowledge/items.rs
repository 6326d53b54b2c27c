//! Knowledge items with their similar phrasings (相似问法), and the console's search.

use super::categories::get_category;
use super::{item_row, ItemFields, KnowledgeItem, ITEM_COLS};
use crate::{now_ms, one_row, Conn, Result, StoreError, TenantScope};
use kefu_domain::KnowledgeItemId;
use sqlx::{Connection, Row};
use std::collections::HashMap;

async fn phrasings(conn: &mut Conn, t: &TenantScope, item_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT text FROM knowledge_phrasings WHERE tenant_id = $1 AND item_id = $2 ORDER BY position",
    )
    .bind(t.id())
    .bind(item_id)
    .fetch_all(&mut *conn)
    .await?)
}

async fn write_phrasings(
    conn: &mut Conn,
    t: &TenantScope,
    item_id: &str,
    similar: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM knowledge_phrasings WHERE tenant_id = $1 AND item_id = $2")
        .bind(t.id())
        .bind(item_id)
        .execute(&mut *conn)
        .await?;
    for (i, text) in similar.iter().enumerate() {
        sqlx::query(
            "INSERT INTO knowledge_phrasings (tenant_id, item_id, position, text) VALUES ($1, $2, $3, $4)",
        )
        .bind(t.id())
        .bind(item_id)
        .bind(i as i64)
        .bind(text.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn check_category(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    match get_category(conn, t, id).await? {
        Some(_) => Ok(()),
        None => Err(StoreError::Invalid {
            field: "category_id",
            message: "no such category".into(),
        }),
    }
}

pub async fn create_item(
    conn: &mut Conn,
    t: &TenantScope,
    f: &ItemFields<'_>,
) -> Result<KnowledgeItem> {
    let mut tx = conn.begin().await?;
    check_category(&mut tx, t, f.category_id).await?;
    let id = KnowledgeItemId::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO knowledge_items (id, tenant_id, category_id, question, answer, enabled, valid_from, valid_to, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(f.category_id)
    .bind(f.question)
    .bind(f.answer.to_string())
    .bind(i64::from(f.enabled))
    .bind(f.valid_from)
    .bind(f.valid_to)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    write_phrasings(&mut tx, t, id.as_str(), f.similar).await?;
    tx.commit().await?;
    get_item(conn, t, id.as_str())
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get_item(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<KnowledgeItem>> {
    let row = sqlx::query(&format!(
        "SELECT {ITEM_COLS} FROM knowledge_items WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let similar = phrasings(conn, t, id).await?;
            item_row(&r, similar).map(Some)
        }
    }
}

/// The tenant's items, optionally of one category, oldest first.
pub async fn list_items(
    conn: &mut Conn,
    t: &TenantScope,
    category_id: Option<&str>,
) -> Result<Vec<KnowledgeItem>> {
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLS} FROM knowledge_items WHERE tenant_id = $1 \
         AND ($2 = '' OR category_id = $2) ORDER BY created_at, id"
    ))
    .bind(t.id())
    .bind(category_id.unwrap_or(""))
    .fetch_all(&mut *conn)
    .await?;
    let mut similar: HashMap<String, Vec<String>> = HashMap::new();
    let ph = sqlx::query(
        "SELECT item_id, text FROM knowledge_phrasings WHERE tenant_id = $1 ORDER BY item_id, position",
    )
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    for r in &ph {
        similar
            .entry(r.try_get("item_id")?)
            .or_default()
            .push(r.try_get("text")?);
    }
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            item_row(r, similar.remove(&id).unwrap_or_default())
        })
        .collect()
}

/// Replace an item; its phrasings are replaced in the same transaction, so a
/// reader sees either the old list or the new one.
pub async fn update_item(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    f: &ItemFields<'_>,
) -> Result<KnowledgeItem> {
    let mut tx = conn.begin().await?;
    check_category(&mut tx, t, f.category_id).await?;
    let done = sqlx::query(
        "UPDATE knowledge_items SET category_id = $1, question = $2, answer = $3, enabled = $4, \
         valid_from = $5, valid_to = $6, updated_at = $7 WHERE tenant_id = $8 AND id = $9",
    )
    .bind(f.category_id)
    .bind(f.question)
    .bind(f.answer.to_string())
    .bind(i64::from(f.enabled))
    .bind(f.valid_from)
    .bind(f.valid_to)
    .bind(now_ms())
    .bind(t.id())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    one_row(done.rows_affected())?;
    write_phrasings(&mut tx, t, id, f.similar).await?;
    tx.commit().await?;
    get_item(conn, t, id).await?.ok_or(StoreError::NotFound)
}

pub async fn delete_item(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let mut tx = conn.begin().await?;
    sqlx::query("DELETE FROM knowledge_phrasings WHERE tenant_id = $1 AND item_id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("DELETE FROM knowledge_items WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    one_row(done.rows_affected())?;
    tx.commit().await?;
    Ok(())
}

/// What the item list of the console asks for.
#[derive(Debug, Clone, Default)]
pub struct ItemSearch<'a> {
    pub category_id: Option<&'a str>,
    /// Matched (case-sensitively on PostgreSQL, ASCII-insensitively on SQLite)
    /// against the standard question and the similar phrasings.
    pub text: Option<&'a str>,
    pub limit: i64,
    pub offset: i64,
}

/// One page of items (oldest first) and how many match in all.
pub async fn search_items(
    conn: &mut Conn,
    t: &TenantScope,
    s: &ItemSearch<'_>,
) -> Result<(Vec<KnowledgeItem>, i64)> {
    let pattern = s
        .text
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| {
            let esc = x
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{esc}%")
        })
        .unwrap_or_default();
    let filter = "FROM knowledge_items i WHERE i.tenant_id = $1 AND ($2 = '' OR i.category_id = $2) \
         AND ($3 = '' OR i.question LIKE $3 ESCAPE '\\' OR EXISTS (SELECT 1 FROM knowledge_phrasings p \
         WHERE p.tenant_id = $1 AND p.item_id = i.id AND p.text LIKE $3 ESCAPE '\\'))";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {filter}"))
        .bind(t.id())
        .bind(s.category_id.unwrap_or(""))
        .bind(&pattern)
        .fetch_one(&mut *conn)
        .await?;
    let cols = ITEM_COLS
        .split(", ")
        .map(|c| format!("i.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {cols} {filter} ORDER BY i.created_at, i.id LIMIT $4 OFFSET $5"
    ))
    .bind(t.id())
    .bind(s.category_id.unwrap_or(""))
    .bind(&pattern)
    .bind(s.limit)
    .bind(s.offset)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: String = r.try_get("id")?;
        let similar = phrasings(conn, t, &id).await?;
        out.push(item_row(r, similar)?);
    }
    Ok((out, total))
}

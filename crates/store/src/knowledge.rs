//! 知识库: categories (at most three levels), knowledge items with their similar
//! phrasings (相似问法), and the tenant's synonym groups (同义词库).

use crate::{now_ms, one_row, Conn, Result, StoreError, TenantScope};
use kefu_domain::{KnowledgeCategoryId, KnowledgeItemId, SynonymGroupId};
use serde::Serialize;
use sqlx::{any::AnyRow, Connection, Row};
use std::collections::HashMap;
use utoipa::ToSchema;

/// Categories nest at most this deep (a top-level category is depth 1).
pub const MAX_DEPTH: i64 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KnowledgeCategory {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    /// 1 for a top-level category, at most 3.
    pub depth: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KnowledgeItem {
    pub id: String,
    pub category_id: String,
    /// The standard question (标准问题).
    pub question: String,
    /// Similar phrasings (相似问法), in order.
    pub similar: Vec<String>,
    /// `{"text": "...", "rich": {...}?}`.
    #[schema(value_type = Object)]
    pub answer: serde_json::Value,
    pub enabled: bool,
    pub valid_from: Option<i64>,
    pub valid_to: Option<i64>,
    /// A multi-turn flow this item starts instead of (after) answering (migration 0010).
    pub flow_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SynonymGroup {
    pub id: String,
    /// Terms that mean the same thing.
    pub terms: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an item is made of, for create and (full) update.
#[derive(Debug, Clone)]
pub struct ItemFields<'a> {
    pub category_id: &'a str,
    pub question: &'a str,
    pub similar: &'a [String],
    pub answer: &'a serde_json::Value,
    pub enabled: bool,
    pub valid_from: Option<i64>,
    pub valid_to: Option<i64>,
}

const CAT_COLS: &str = "id, name, parent_id, depth, created_at, updated_at";
const ITEM_COLS: &str = "id, category_id, question, answer, enabled, valid_from, valid_to, flow_id, created_at, updated_at";

fn category_row(r: &AnyRow) -> Result<KnowledgeCategory> {
    Ok(KnowledgeCategory {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        parent_id: r.try_get("parent_id")?,
        depth: r.try_get("depth")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn item_row(r: &AnyRow, similar: Vec<String>) -> Result<KnowledgeItem> {
    let answer: String = r.try_get("answer")?;
    Ok(KnowledgeItem {
        id: r.try_get("id")?,
        category_id: r.try_get("category_id")?,
        question: r.try_get("question")?,
        similar,
        answer: serde_json::from_str(&answer)
            .map_err(|e| StoreError::Corrupt(format!("knowledge answer: {e}")))?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        valid_from: r.try_get("valid_from")?,
        valid_to: r.try_get("valid_to")?,
        flow_id: r.try_get("flow_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn synonym_row(r: &AnyRow) -> Result<SynonymGroup> {
    let terms: String = r.try_get("terms")?;
    Ok(SynonymGroup {
        id: r.try_get("id")?,
        terms: serde_json::from_str(&terms)
            .map_err(|e| StoreError::Corrupt(format!("synonym terms: {e}")))?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn too_deep() -> StoreError {
    StoreError::Invalid {
        field: "parent_id",
        message: format!("categories nest at most {MAX_DEPTH} levels deep"),
    }
}

/// The depth a child of `parent_id` would have; the parent must be this tenant's.
async fn child_depth(conn: &mut Conn, t: &TenantScope, parent_id: Option<&str>) -> Result<i64> {
    let Some(pid) = parent_id else { return Ok(1) };
    let parent = get_category(conn, t, pid)
        .await?
        .ok_or_else(|| StoreError::Invalid {
            field: "parent_id",
            message: "no such category".into(),
        })?;
    if parent.depth >= MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(parent.depth + 1)
}

// ---- categories -----------------------------------------------------------

pub async fn create_category(
    conn: &mut Conn,
    t: &TenantScope,
    name: &str,
    parent_id: Option<&str>,
) -> Result<KnowledgeCategory> {
    let depth = child_depth(conn, t, parent_id).await?;
    let id = KnowledgeCategoryId::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO knowledge_categories (id, tenant_id, name, parent_id, depth, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(name)
    .bind(parent_id)
    .bind(depth)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    get_category(conn, t, id.as_str())
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get_category(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
) -> Result<Option<KnowledgeCategory>> {
    let row = sqlx::query(&format!(
        "SELECT {CAT_COLS} FROM knowledge_categories WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(category_row).transpose()
}

/// Every category of the tenant, parents before children, by name.
pub async fn list_categories(conn: &mut Conn, t: &TenantScope) -> Result<Vec<KnowledgeCategory>> {
    let rows = sqlx::query(&format!(
        "SELECT {CAT_COLS} FROM knowledge_categories WHERE tenant_id = $1 ORDER BY depth, name, id"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(category_row).collect()
}

/// The category named `name` under `parent_id` (top level when absent).
pub async fn find_category(
    conn: &mut Conn,
    t: &TenantScope,
    name: &str,
    parent_id: Option<&str>,
) -> Result<Option<KnowledgeCategory>> {
    let row = sqlx::query(&format!(
        "SELECT {CAT_COLS} FROM knowledge_categories \
         WHERE tenant_id = $1 AND name = $2 AND COALESCE(parent_id, '') = $3"
    ))
    .bind(t.id())
    .bind(name)
    .bind(parent_id.unwrap_or(""))
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(category_row).transpose()
}

async fn has_children(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM knowledge_categories WHERE tenant_id = $1 AND parent_id = $2",
    )
    .bind(t.id())
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// Rename or move a category. A category with subcategories keeps its parent
/// (moving a subtree could push it past three levels).
pub async fn update_category(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    name: &str,
    parent_id: Option<&str>,
) -> Result<KnowledgeCategory> {
    let before = get_category(conn, t, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut depth = before.depth;
    if before.parent_id.as_deref() != parent_id {
        if parent_id == Some(id) {
            return Err(StoreError::Invalid {
                field: "parent_id",
                message: "a category cannot be its own parent".into(),
            });
        }
        if has_children(conn, t, id).await? {
            return Err(StoreError::Invalid {
                field: "parent_id",
                message: "a category with subcategories cannot be moved".into(),
            });
        }
        depth = child_depth(conn, t, parent_id).await?;
    }
    let done = sqlx::query(
        "UPDATE knowledge_categories SET name = $1, parent_id = $2, depth = $3, updated_at = $4 \
         WHERE tenant_id = $5 AND id = $6",
    )
    .bind(name)
    .bind(parent_id)
    .bind(depth)
    .bind(now_ms())
    .bind(t.id())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    one_row(done.rows_affected())?;
    get_category(conn, t, id).await?.ok_or(StoreError::NotFound)
}

/// Delete an empty category; one with subcategories or items is refused
/// (`Reference`), so deleting never loses knowledge silently.
pub async fn delete_category(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    if get_category(conn, t, id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    let items: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM knowledge_items WHERE tenant_id = $1 AND category_id = $2",
    )
    .bind(t.id())
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if items > 0 || has_children(conn, t, id).await? {
        return Err(StoreError::Reference);
    }
    let done = sqlx::query("DELETE FROM knowledge_categories WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    one_row(done.rows_affected())
}

// ---- items ----------------------------------------------------------------

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

// ---- synonyms -------------------------------------------------------------

fn terms_json(terms: &[String]) -> Result<String> {
    serde_json::to_string(terms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub async fn create_synonyms(
    conn: &mut Conn,
    t: &TenantScope,
    terms: &[String],
) -> Result<SynonymGroup> {
    let id = SynonymGroupId::new();
    sqlx::query(
        "INSERT INTO knowledge_synonyms (id, tenant_id, terms, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(terms_json(terms)?)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    get_synonyms(conn, t, id.as_str())
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get_synonyms(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
) -> Result<Option<SynonymGroup>> {
    let row = sqlx::query(
        "SELECT id, terms, created_at, updated_at FROM knowledge_synonyms WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(synonym_row).transpose()
}

pub async fn list_synonyms(conn: &mut Conn, t: &TenantScope) -> Result<Vec<SynonymGroup>> {
    let rows = sqlx::query(
        "SELECT id, terms, created_at, updated_at FROM knowledge_synonyms WHERE tenant_id = $1 ORDER BY created_at, id",
    )
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(synonym_row).collect()
}

pub async fn update_synonyms(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    terms: &[String],
) -> Result<SynonymGroup> {
    let done = sqlx::query(
        "UPDATE knowledge_synonyms SET terms = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
    )
    .bind(terms_json(terms)?)
    .bind(now_ms())
    .bind(t.id())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    one_row(done.rows_affected())?;
    get_synonyms(conn, t, id).await?.ok_or(StoreError::NotFound)
}

pub async fn delete_synonyms(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM knowledge_synonyms WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    one_row(done.rows_affected())
}

// ---- bulk import and search -----------------------------------------------

/// Insert an item whose category is already known to be this tenant's (the
/// import checked it), with its phrasings in one statement; no read-back.
/// The caller wraps it in a transaction or savepoint.
pub async fn insert_item_unchecked(
    conn: &mut Conn,
    t: &TenantScope,
    f: &ItemFields<'_>,
) -> Result<String> {
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
    .execute(&mut *conn)
    .await?;
    // At most 100 rows (400 parameters) per statement.
    for (c, chunk) in f.similar.chunks(100).enumerate() {
        let mut sql = String::from(
            "INSERT INTO knowledge_phrasings (tenant_id, item_id, position, text) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * 4;
            sql.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
        }
        let mut q = sqlx::query(&sql);
        for (i, text) in chunk.iter().enumerate() {
            q = q
                .bind(t.id())
                .bind(id.as_str())
                .bind((c * 100 + i) as i64)
                .bind(text.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(id.as_str().to_string())
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

/// Find or create the category path `names` (at most three), then insert the
/// item, all inside one savepoint: a row is stored whole or not at all while
/// the caller's transaction goes on. `cache` maps a `/`-joined path to its id;
/// it is read and, once the row is in, extended. Answers the new item's id
/// and how many categories were created.
pub async fn import_item(
    conn: &mut Conn,
    t: &TenantScope,
    names: &[&str],
    cache: &mut HashMap<String, String>,
    f: &ItemFields<'_>,
) -> Result<(String, usize)> {
    if names.is_empty() || names.len() as i64 > MAX_DEPTH {
        return Err(StoreError::Invalid {
            field: "category",
            message: format!("a category path has 1 to {MAX_DEPTH} names"),
        });
    }
    let mut sp = conn.begin().await?;
    let mut parent: Option<String> = None;
    let mut fresh: Vec<(String, String)> = Vec::new();
    for depth in 1..=names.len() {
        let path = names[..depth].join("/");
        if let Some(id) = cache.get(&path) {
            parent = Some(id.clone());
            continue;
        }
        let found = find_category(&mut sp, t, names[depth - 1], parent.as_deref()).await?;
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
                .execute(&mut *sp)
                .await?;
                fresh.push((path.clone(), id.as_str().to_string()));
                id.as_str().to_string()
            }
        };
        parent = Some(id);
    }
    let category_id = parent.ok_or(StoreError::NotFound)?;
    let fields = ItemFields {
        category_id: &category_id,
        ..f.clone()
    };
    let id = insert_item_unchecked(&mut sp, t, &fields).await?;
    sp.commit().await?;
    let created = fresh.len();
    cache.extend(fresh);
    Ok((id, created))
}

/// Every category's `/`-joined path of names, by id.
pub fn category_paths(cats: &[KnowledgeCategory]) -> HashMap<String, String> {
    let by_id: HashMap<&str, &KnowledgeCategory> =
        cats.iter().map(|c| (c.id.as_str(), c)).collect();
    cats.iter()
        .map(|c| {
            let mut names = Vec::new();
            let mut cur = Some(c);
            while let Some(x) = cur {
                names.push(x.name.as_str());
                cur = x.parent_id.as_deref().and_then(|p| by_id.get(p).copied());
            }
            names.reverse();
            (c.id.clone(), names.join("/"))
        })
        .collect()
}

//! The category tree: at most three levels, names unique among siblings.

use super::{category_row, KnowledgeCategory, CAT_COLS, MAX_DEPTH};
use crate::{now_ms, one_row, Conn, Result, StoreError, TenantScope};
use kefu_domain::KnowledgeCategoryId;
use std::collections::HashMap;

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

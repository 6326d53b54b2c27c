//! The tenant's synonym groups (同义词库).

use super::{synonym_row, SynonymGroup};
use crate::{now_ms, one_row, Conn, Result, StoreError, TenantScope};
use kefu_domain::SynonymGroupId;

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

//! API tokens for integrations. Only a SHA-256 of the token is stored; the token
//! itself is shown once, at creation.

use crate::{now_ms, ApiToken, Conn, Result, TenantScope};
use kefu_domain::{ApiTokenId, TenantId};
use sqlx::{any::AnyRow, Row};

const COLS: &str = "id, name, prefix, role_id, created_by, created_at, last_used_at, revoked_at";

fn from_row(r: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        prefix: r.try_get("prefix")?,
        role_id: r.try_get("role_id")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

pub async fn create(
    conn: &mut Conn,
    t: &TenantScope,
    name: &str,
    token_hash: &str,
    prefix: &str,
    role_id: &str,
    created_by: Option<&str>,
) -> Result<ApiToken> {
    let id = ApiTokenId::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO api_tokens (id, tenant_id, name, token_hash, prefix, role_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(name)
    .bind(token_hash)
    .bind(prefix)
    .bind(role_id)
    .bind(created_by)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    get(conn, t, id.as_str())
        .await?
        .ok_or(crate::StoreError::NotFound)
}

pub async fn list(conn: &mut Conn, t: &TenantScope) -> Result<Vec<ApiToken>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM api_tokens WHERE tenant_id = $1 ORDER BY created_at DESC"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<ApiToken>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM api_tokens WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Revoke; revoking twice keeps the first revocation time.
pub async fn revoke(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

/// Authenticate a bearer token: the tenant is learnt from the token itself.
pub async fn find_by_hash_unscoped(
    conn: &mut Conn,
    token_hash: &str,
) -> Result<Option<(TenantId, ApiToken)>> {
    let row = sqlx::query(&format!(
        "SELECT tenant_id, {COLS} FROM api_tokens WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(Some((
            TenantId::from_db(r.try_get("tenant_id")?),
            from_row(&r)?,
        ))),
    }
}

/// Record use, at most once a minute per token: a write on every API call would
/// serialise all integrations on SQLite's single writer for a "last used" hint.
pub async fn touch(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2 \
         AND (last_used_at IS NULL OR last_used_at < $3 - 60000)",
    )
    .bind(t.id())
    .bind(id)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

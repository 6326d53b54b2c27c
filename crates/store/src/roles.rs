//! Roles: the three built-ins and any custom role, each a set of permission keys.

use crate::{now_ms, Conn, Result, Role, StoreError, TenantScope};
use kefu_domain::RoleId;
use sqlx::{any::AnyRow, Row};

const COLS: &str = "id, name, builtin, permissions, description, created_at";

fn from_row(r: &AnyRow) -> Result<Role> {
    let perms: String = r.try_get("permissions")?;
    Ok(Role {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        builtin: r.try_get("builtin")?,
        permissions: serde_json::from_str(&perms)
            .map_err(|e| StoreError::Corrupt(format!("role permissions: {e}")))?,
        description: r.try_get("description")?,
        created_at: r.try_get("created_at")?,
    })
}

pub struct RoleFields<'a> {
    pub name: &'a str,
    pub permissions: &'a [String],
    pub description: &'a str,
}

pub async fn create(
    conn: &mut Conn,
    t: &TenantScope,
    builtin: Option<&str>,
    f: &RoleFields<'_>,
) -> Result<Role> {
    let id = RoleId::new();
    let now = now_ms();
    let perms =
        serde_json::to_string(f.permissions).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO roles (id, tenant_id, name, builtin, permissions, description, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(f.name)
    .bind(builtin)
    .bind(&perms)
    .bind(f.description)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(Role {
        id: id.to_string(),
        name: f.name.to_string(),
        builtin: builtin.map(str::to_string),
        permissions: f.permissions.to_vec(),
        description: f.description.to_string(),
        created_at: now,
    })
}

pub async fn list(conn: &mut Conn, t: &TenantScope) -> Result<Vec<Role>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM roles WHERE tenant_id = $1 ORDER BY created_at, id"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<Role>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM roles WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find_builtin(conn: &mut Conn, t: &TenantScope, key: &str) -> Result<Option<Role>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM roles WHERE tenant_id = $1 AND builtin = $2"
    ))
    .bind(t.id())
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn update(conn: &mut Conn, t: &TenantScope, id: &str, f: &RoleFields<'_>) -> Result<()> {
    let perms =
        serde_json::to_string(f.permissions).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let done = sqlx::query(
        "UPDATE roles SET name = $3, permissions = $4, description = $5 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(f.name)
    .bind(&perms)
    .bind(f.description)
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

pub async fn delete(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM roles WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::one_row(done.rows_affected())
}

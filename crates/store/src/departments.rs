//! The organisation tree (部门/组织架构).

use crate::{now_ms, Conn, Department, Result, TenantScope};
use kefu_domain::DepartmentId;
use sqlx::{any::AnyRow, Row};

const COLS: &str = "id, name, parent_id, created_at";

fn from_row(r: &AnyRow) -> Result<Department> {
    Ok(Department {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        parent_id: r.try_get("parent_id")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn create(
    conn: &mut Conn,
    t: &TenantScope,
    name: &str,
    parent_id: Option<&str>,
) -> Result<Department> {
    let id = DepartmentId::new();
    let now = now_ms();
    sqlx::query("INSERT INTO departments (id, tenant_id, name, parent_id, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id.as_str())
        .bind(t.id())
        .bind(name)
        .bind(parent_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(Department {
        id: id.to_string(),
        name: name.to_string(),
        parent_id: parent_id.map(str::to_string),
        created_at: now,
    })
}

pub async fn list(conn: &mut Conn, t: &TenantScope) -> Result<Vec<Department>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM departments WHERE tenant_id = $1 ORDER BY created_at, id"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<Department>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM departments WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn update(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    name: &str,
    parent_id: Option<&str>,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE departments SET name = $3, parent_id = $4 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(name)
    .bind(parent_id)
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

pub async fn delete(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM departments WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::one_row(done.rows_affected())
}

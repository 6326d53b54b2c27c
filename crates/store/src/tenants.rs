//! Tenants (企业/账户). A tenant row's `tenant_id` is its own id, so the table
//! obeys the same "every table has tenant_id" rule as all others.

use crate::{now_ms, Conn, Result, Tenant, TenantScope};
use kefu_domain::{Name, TenantId, TenantSlug};
use sqlx::{any::AnyRow, Row};

const COLS: &str = "id, slug, name, created_at";

fn from_row(r: &AnyRow) -> Result<Tenant> {
    Ok(Tenant {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        name: r.try_get("name")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn create(conn: &mut Conn, slug: &TenantSlug, name: &Name) -> Result<Tenant> {
    let id = TenantId::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO tenants (id, tenant_id, slug, name, created_at) VALUES ($1, $1, $2, $3, $4)",
    )
    .bind(id.as_str())
    .bind(slug.as_str())
    .bind(name.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(Tenant {
        id: id.to_string(),
        slug: slug.as_str().to_string(),
        name: name.as_str().to_string(),
        created_at: now,
    })
}

/// Login names a tenant by slug before anyone is authenticated.
pub async fn find_by_slug_unscoped(conn: &mut Conn, slug: &str) -> Result<Option<Tenant>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM tenants WHERE slug = $1"))
        .bind(slug.trim().to_lowercase())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn get(conn: &mut Conn, t: &TenantScope) -> Result<Tenant> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM tenants WHERE id = $1 AND tenant_id = $1"
    ))
    .bind(t.id())
    .fetch_one(&mut *conn)
    .await?;
    from_row(&row)
}

/// Operator commands (`kefu admin …`) list every tenant.
pub async fn list_unscoped(conn: &mut Conn) -> Result<Vec<Tenant>> {
    let rows = sqlx::query(&format!("SELECT {COLS} FROM tenants ORDER BY created_at"))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

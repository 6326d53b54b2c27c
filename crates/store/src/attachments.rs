//! Uploaded files. The bytes live under the data directory; the row says where.

use crate::{now_ms, Attachment, Conn, Result, TenantScope};
use sqlx::Row;

pub struct NewAttachment<'a> {
    pub id: &'a str,
    pub visitor_id: Option<&'a str>,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub path: &'a str,
}

pub async fn create(conn: &mut Conn, t: &TenantScope, a: &NewAttachment<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO attachments (id, tenant_id, visitor_id, name, content_type, size, path, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.id)
    .bind(t.id())
    .bind(a.visitor_id)
    .bind(a.name)
    .bind(a.content_type)
    .bind(a.size)
    .bind(a.path)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<Attachment>> {
    let row = sqlx::query(
        "SELECT id, visitor_id, name, content_type, size, path, created_at FROM attachments WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(Attachment {
            id: r.try_get("id")?,
            visitor_id: r.try_get("visitor_id")?,
            name: r.try_get("name")?,
            content_type: r.try_get("content_type")?,
            size: r.try_get("size")?,
            path: r.try_get("path")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// Files are fetched by capability URL (id + secret key) from visitors' and
/// agents' browsers alike, so the look-up discovers the tenant.
pub async fn get_unscoped(
    conn: &mut Conn,
    id: &str,
) -> Result<Option<(kefu_domain::TenantId, Attachment)>> {
    let row = sqlx::query("SELECT tenant_id, id, visitor_id, name, content_type, size, path, created_at FROM attachments WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok((
            kefu_domain::TenantId::from_db(r.try_get("tenant_id")?),
            Attachment {
                id: r.try_get("id")?,
                visitor_id: r.try_get("visitor_id")?,
                name: r.try_get("name")?,
                content_type: r.try_get("content_type")?,
                size: r.try_get("size")?,
                path: r.try_get("path")?,
                created_at: r.try_get("created_at")?,
            },
        ))
    })
    .transpose()
}

//! Customer templates (客户模板) and the reports of CSV imports into them.

use crate::conversations::{json_list, to_json};
use crate::{now_ms, Conn, CustomerImport, CustomerTemplate, Result, StoreError, TenantScope};
use kefu_domain::crm::FieldDef;
use kefu_domain::{CustomerImportId, CustomerTemplateId};
use sqlx::{any::AnyRow, Row};

const COLS: &str = "id, name, fields, statuses, pool_hidden_status, created_at, updated_at";

fn template(r: &AnyRow) -> Result<CustomerTemplate> {
    let fields: String = r.try_get("fields")?;
    Ok(CustomerTemplate {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        fields: serde_json::from_str(&fields)
            .map_err(|e| StoreError::Corrupt(format!("template fields: {e}")))?,
        statuses: json_list(&r.try_get::<String, _>("statuses")?),
        pool_hidden_status: r.try_get("pool_hidden_status")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// What an administrator defines (already validated by the domain).
pub struct TemplateFields<'a> {
    pub name: &'a str,
    pub fields: &'a [FieldDef],
    pub statuses: &'a [String],
    pub pool_hidden_status: Option<&'a str>,
}

pub async fn create(
    conn: &mut Conn,
    t: &TenantScope,
    f: &TemplateFields<'_>,
) -> Result<CustomerTemplate> {
    let id = CustomerTemplateId::new();
    sqlx::query(
        "INSERT INTO customer_templates (id, tenant_id, name, fields, statuses, pool_hidden_status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(f.name)
    .bind(to_json(&f.fields))
    .bind(to_json(&f.statuses))
    .bind(f.pool_hidden_status)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    get(conn, t, id.as_str()).await?.ok_or(StoreError::NotFound)
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<CustomerTemplate>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM customer_templates WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(template).transpose()
}

pub async fn list(conn: &mut Conn, t: &TenantScope) -> Result<Vec<CustomerTemplate>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM customer_templates WHERE tenant_id = $1 ORDER BY name"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(template).collect()
}

pub async fn update(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    f: &TemplateFields<'_>,
) -> Result<CustomerTemplate> {
    let done = sqlx::query(
        "UPDATE customer_templates SET name = $3, fields = $4, statuses = $5, pool_hidden_status = $6, updated_at = $7 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(f.name)
    .bind(to_json(&f.fields))
    .bind(to_json(&f.statuses))
    .bind(f.pool_hidden_status)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())?;
    get(conn, t, id).await?.ok_or(StoreError::NotFound)
}

/// Refused (`Reference`) while customers or import reports are filed under it.
pub async fn delete(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let used: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM customers WHERE tenant_id = $1 AND template_id = $2) \
         + (SELECT COUNT(*) FROM customer_imports WHERE tenant_id = $1 AND template_id = $2)",
    )
    .bind(t.id())
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if used > 0 {
        // Only say "in use" about a template of this tenant.
        return match get(conn, t, id).await? {
            Some(_) => Err(StoreError::Reference),
            None => Err(StoreError::NotFound),
        };
    }
    let done = sqlx::query("DELETE FROM customer_templates WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::one_row(done.rows_affected())
}

// ---- imports and their reports ---------------------------------------------------

/// Start an import of `total` rows: `running`, nothing processed yet.
pub async fn start_import(
    conn: &mut Conn,
    t: &TenantScope,
    template_id: &str,
    actor_id: Option<&str>,
    total: i64,
) -> Result<CustomerImport> {
    let id = CustomerImportId::new();
    sqlx::query(
        "INSERT INTO customer_imports (id, tenant_id, template_id, actor_id, total, created_count, duplicate_count, \
         error_count, report, status, processed, created_at) VALUES ($1, $2, $3, $4, $5, 0, 0, 0, '[]', 'running', 0, $6)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(template_id)
    .bind(actor_id)
    .bind(total)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    get_import(conn, t, id.as_str())
        .await?
        .ok_or(StoreError::NotFound)
}

/// Counts so far (the progress a client polls for).
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportCounts {
    pub processed: i64,
    pub created: i64,
    pub duplicates: i64,
    pub errors: i64,
}

pub async fn import_progress(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    n: ImportCounts,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE customer_imports SET processed = $3, created_count = $4, duplicate_count = $5, error_count = $6 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(n.processed)
    .bind(n.created)
    .bind(n.duplicates)
    .bind(n.errors)
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

/// The end of an import: `done` (or `failed` with the reason) and its report.
pub async fn finish_import(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    n: ImportCounts,
    report: &[serde_json::Value],
    error: Option<&str>,
) -> Result<CustomerImport> {
    import_progress(conn, t, id, n).await?;
    sqlx::query(
        "UPDATE customer_imports SET report = $3, status = $4, error = $5 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(to_json(&report))
    .bind(if error.is_some() { "failed" } else { "done" })
    .bind(error)
    .execute(&mut *conn)
    .await?;
    get_import(conn, t, id).await?.ok_or(StoreError::NotFound)
}

pub async fn get_import(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
) -> Result<Option<CustomerImport>> {
    let row = sqlx::query(
        "SELECT id, template_id, actor_id, total, created_count, duplicate_count, error_count, report, status, \
         processed, error, created_at FROM customer_imports WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        let report: String = r.try_get("report")?;
        Ok(CustomerImport {
            id: r.try_get("id")?,
            template_id: r.try_get("template_id")?,
            actor_id: r.try_get("actor_id")?,
            status: r.try_get("status")?,
            total: r.try_get("total")?,
            processed: r.try_get("processed")?,
            created: r.try_get("created_count")?,
            duplicates: r.try_get("duplicate_count")?,
            errors: r.try_get("error_count")?,
            error: r.try_get("error")?,
            report: serde_json::from_str(&report)
                .map_err(|e| StoreError::Corrupt(format!("import report: {e}")))?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

//! Knowledge imports (CSV, XLSX, JSONL): a row from the start (`running`,
//! `processed` of `total`) that every committed chunk updates, so a client can
//! poll it for a progress bar, and the per-row error report at the end.

use crate::{conversations::to_json, now_ms, one_row, Conn, Result, StoreError, TenantScope};
use kefu_domain::KnowledgeImportId;
use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use utoipa::ToSchema;

/// One bad row of an import.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct ImportRowError {
    /// 1-based: the line of a JSONL file, the spreadsheet row of CSV/XLSX
    /// (the header is row 1).
    pub row: usize,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KnowledgeImport {
    pub id: String,
    pub actor_id: Option<String>,
    /// `jsonl`, `csv` or `xlsx`.
    pub format: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// Data rows in the file.
    pub total: i64,
    /// Rows read so far (the progress bar).
    pub processed: i64,
    pub created: i64,
    pub failed: i64,
    pub categories_created: i64,
    /// Why a `failed` import stopped.
    pub error: Option<String>,
    /// Every bad row (complete once the import is no longer `running`).
    pub errors: Vec<ImportRowError>,
    pub created_at: i64,
}

/// Counts so far.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub processed: i64,
    pub created: i64,
    pub failed: i64,
    pub categories_created: i64,
}

const COLS: &str = "id, actor_id, format, status, total, processed, created_count, error_count, \
                    categories_created, error, report, created_at";

fn import_row(r: &AnyRow) -> Result<KnowledgeImport> {
    let report: String = r.try_get("report")?;
    Ok(KnowledgeImport {
        id: r.try_get("id")?,
        actor_id: r.try_get("actor_id")?,
        format: r.try_get("format")?,
        status: r.try_get("status")?,
        total: r.try_get("total")?,
        processed: r.try_get("processed")?,
        created: r.try_get("created_count")?,
        failed: r.try_get("error_count")?,
        categories_created: r.try_get("categories_created")?,
        error: r.try_get("error")?,
        errors: serde_json::from_str(&report)
            .map_err(|e| StoreError::Corrupt(format!("knowledge import report: {e}")))?,
        created_at: r.try_get("created_at")?,
    })
}

/// Start an import of `total` rows: `running`, nothing processed yet.
pub async fn start(
    conn: &mut Conn,
    t: &TenantScope,
    actor_id: Option<&str>,
    format: &str,
    total: i64,
) -> Result<KnowledgeImport> {
    let id = KnowledgeImportId::new();
    sqlx::query(
        "INSERT INTO knowledge_imports (id, tenant_id, actor_id, format, total, processed, created_count, \
         error_count, categories_created, report, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, 0, 0, 0, '[]', 'running', $6)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(actor_id)
    .bind(format)
    .bind(total)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    get(conn, t, id.as_str()).await?.ok_or(StoreError::NotFound)
}

pub async fn progress(conn: &mut Conn, t: &TenantScope, id: &str, n: Counts) -> Result<()> {
    let done = sqlx::query(
        "UPDATE knowledge_imports SET processed = $3, created_count = $4, error_count = $5, \
         categories_created = $6 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(n.processed)
    .bind(n.created)
    .bind(n.failed)
    .bind(n.categories_created)
    .execute(&mut *conn)
    .await?;
    one_row(done.rows_affected())
}

/// The end of an import: `done` (or `failed` with the reason) and its report.
pub async fn finish(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    n: Counts,
    errors: &[ImportRowError],
    error: Option<&str>,
) -> Result<KnowledgeImport> {
    progress(conn, t, id, n).await?;
    sqlx::query(
        "UPDATE knowledge_imports SET report = $3, status = $4, error = $5 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(to_json(&errors))
    .bind(if error.is_some() { "failed" } else { "done" })
    .bind(error)
    .execute(&mut *conn)
    .await?;
    get(conn, t, id).await?.ok_or(StoreError::NotFound)
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<KnowledgeImport>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM knowledge_imports WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(import_row).transpose()
}

/// The tenant's latest imports, newest first (reports included).
pub async fn list(conn: &mut Conn, t: &TenantScope, limit: i64) -> Result<Vec<KnowledgeImport>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM knowledge_imports WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(t.id())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(import_row).collect()
}

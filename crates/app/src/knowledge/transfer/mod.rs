//! Knowledge import and export in three formats — JSONL (the `kefu bot eval`
//! format), CSV (UTF-8 with or without BOM, or GBK) and XLSX — through one
//! path: the upload is read into rows, an import record is started, and the
//! rows are stored in chunks of [`CHUNK`], each chunk one transaction with its
//! progress (so a client can poll for a progress bar); a row is stored whole or
//! not at all. The per-row error report is kept with the import and can be
//! downloaded as CSV afterwards.
//!
//! Modules: `parse` reads an upload into numbered rows (and times in and out of cells),
//! `import_job` stores the rows — checked first, then each chunk's good rows in a few
//! multi-row statements, falling back to one savepoint per row only when the database
//! refuses the batch, so the per-row report is the same either way — and `export` writes
//! the three formats.

mod export;
mod import_job;
mod parse;

pub use parse::{format_time, parse_time, BadTime};

use super::answer::{check_answer, Answer};
use super::sheet::TextEncoding;
use crate::{audit, json, parse_id, App, AppError, AppResult, Principal};
use import_job::ImportJob;
use kefu_domain::{csv, Permission, ValidationError};
use kefu_store::knowledge_imports::{self as imports, ImportRowError, KnowledgeImport};
use parse::parse_upload;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The most data rows one import takes.
pub const MAX_ROWS: usize = 100_000;
/// The largest upload the import endpoint takes (100,000 rich rows fit).
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;
/// Rows per transaction.
pub(super) const CHUNK: usize = 500;
/// The columns of the CSV/XLSX format, in export order.
pub const COLUMNS: [&str; 8] = [
    "id",
    "category",
    "question",
    "similar",
    "answer",
    "enabled",
    "valid_from",
    "valid_to",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(s: Option<&str>) -> AppResult<Format> {
        match s.unwrap_or("jsonl").trim().to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            _ => Err(ValidationError::new("format", "must be jsonl, csv or xlsx").into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jsonl => "application/x-ndjson; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `jsonl` (default), `csv` or `xlsx`.
    pub format: Option<String>,
    /// CSV only: `auto` (default: UTF-8, a BOM allowed, else GBK), `utf-8` or `gbk`.
    pub encoding: Option<String>,
    /// Answer at once (202, `running`) and import in the background; poll
    /// `GET /knowledge/imports/{id}` for `processed` of `total`.
    pub background: Option<bool>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `jsonl` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// The synchronous JSONL import's answer (`POST /knowledge/import`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Non-blank lines read.
    pub total: usize,
    pub created: usize,
    pub failed: usize,
    pub categories_created: usize,
    pub errors: Vec<ImportRowError>,
}

impl From<KnowledgeImport> for ImportReport {
    fn from(i: KnowledgeImport) -> Self {
        ImportReport {
            total: i.total as usize,
            created: i.created as usize,
            failed: i.failed as usize,
            categories_created: i.categories_created as usize,
            errors: i.errors,
        }
    }
}

impl App {
    /// Start an import of `bytes` in `format` (see [`ImportQuery`]). Without
    /// `background` the import runs to the end before answering; with it the
    /// answer is the `running` import, to be polled with
    /// [`App::knowledge_import`]. The upload is read whole first: a file that
    /// cannot be read, or a CSV/XLSX header with unknown or missing columns,
    /// is a 422 and starts nothing.
    pub async fn import_knowledge_file(
        &self,
        p: &Principal,
        q: &ImportQuery,
        bytes: &[u8],
    ) -> AppResult<KnowledgeImport> {
        p.require(Permission::KnowledgeManage)?;
        let format = Format::parse(q.format.as_deref())?;
        let enc = TextEncoding::parse(q.encoding.as_deref())
            .ok_or_else(|| ValidationError::new("encoding", "must be auto, utf-8 or gbk"))?;
        let rows = parse_upload(format, bytes, enc)?;
        if rows.len() > MAX_ROWS {
            return Err(
                ValidationError::new("file", format!("has more than {MAX_ROWS} rows")).into(),
            );
        }
        let mut tx = self.store.begin().await?;
        let started = imports::start(
            &mut tx,
            &p.tenant,
            p.user_id.as_deref(),
            format.as_str(),
            rows.len() as i64,
        )
        .await?;
        audit(
            &mut tx,
            p,
            "knowledge.import",
            "knowledge_import",
            Some(&started.id),
            None,
            json(&serde_json::json!({"format": format.as_str(), "total": started.total})),
        )
        .await?;
        tx.commit().await?;
        let job = ImportJob {
            app: self.clone(),
            p: p.clone(),
            id: started.id.clone(),
            rows,
        };
        if q.background.unwrap_or(false) {
            tokio::spawn(async move {
                if let Err(e) = job.run().await {
                    tracing::error!(error = %e, "background knowledge import failed");
                }
            });
            return Ok(started);
        }
        job.run().await
    }

    /// Import JSONL and answer with the report (the original endpoint).
    pub async fn import_knowledge(&self, p: &Principal, body: &str) -> AppResult<ImportReport> {
        let q = ImportQuery::default();
        Ok(self
            .import_knowledge_file(p, &q, body.as_bytes())
            .await?
            .into())
    }

    pub async fn knowledge_import(&self, p: &Principal, id: &str) -> AppResult<KnowledgeImport> {
        p.require(Permission::KnowledgeManage)?;
        let id = parse_id("knowledge import", id)?;
        let mut conn = self.store.conn().await?;
        imports::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("knowledge import"))
    }

    /// The latest imports, newest first.
    pub async fn knowledge_imports(&self, p: &Principal) -> AppResult<Vec<KnowledgeImport>> {
        p.require(Permission::KnowledgeManage)?;
        let mut conn = self.store.conn().await?;
        Ok(imports::list(&mut conn, &p.tenant, 20).await?)
    }

    /// An import's error report as CSV: `row, code, message`.
    pub async fn knowledge_import_report_csv(&self, p: &Principal, id: &str) -> AppResult<String> {
        let imp = self.knowledge_import(p, id).await?;
        let mut out = String::from("\u{feff}");
        out += &csv::write_row(&["row", "code", "message"]);
        for e in &imp.errors {
            out += &csv::write_row(&[e.row.to_string(), e.code.clone(), e.message.clone()]);
        }
        Ok(out)
    }
}

/// Validate an answer for the API (used by [`check_item`]).
pub(super) fn checked_answer(a: &Answer) -> AppResult<serde_json::Value> {
    let a = check_answer(a).map_err(AppError::InvalidFields)?;
    serde_json::to_value(a).map_err(|e| AppError::Internal(e.to_string()))
}

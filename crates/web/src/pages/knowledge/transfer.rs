//! Import and export: the upload form posts the file with htmx and gets back a progress
//! fragment that polls itself every second until the import is done, then links the
//! error report. Without JavaScript the form posts normally and the page shows the
//! import. Export links go to the API (`/api/v1/knowledge/export`).

use super::{kb_tr, tr::KbTr};
use crate::render::{html, page, Chrome, Nav, Page};
use crate::session::Viewer;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use kefu_app::knowledge::ImportQuery;
use kefu_app::{App, AppError};
use kefu_domain::{Permission, ValidationError};
use kefu_store::knowledge_imports::KnowledgeImport;
use serde::Deserialize;

pub struct ImportView {
    pub id: String,
    pub status: String,
    pub status_label: &'static str,
    pub running: bool,
    pub format: String,
    pub total: i64,
    pub processed: i64,
    pub created: i64,
    pub failed: i64,
    pub error: String,
}

fn view(k: &KbTr, i: KnowledgeImport) -> ImportView {
    ImportView {
        status_label: match i.status.as_str() {
            "running" => k.running,
            "failed" => k.failed,
            _ => k.done,
        },
        running: i.status == "running",
        id: i.id,
        status: i.status,
        format: i.format,
        total: i.total,
        processed: i.processed,
        created: i.created,
        failed: i.failed,
        error: i.error.unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "knowledge_transfer.html")]
struct TransferTpl {
    c: Chrome,
    k: &'static KbTr,
    current: Option<ImportView>,
    recent: Vec<ImportView>,
    can_manage: bool,
    error: String,
}

#[derive(Template)]
#[template(path = "knowledge_progress.html")]
struct ProgressTpl {
    k: &'static KbTr,
    current: Option<ImportView>,
    error: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct TransferQuery {
    pub import: Option<String>,
}

async fn transfer_page(
    app: &App,
    v: &Viewer,
    current: Option<String>,
    error: String,
    status: StatusCode,
) -> Page {
    if !v.p.can(Permission::KnowledgeManage) {
        v.require(Permission::KnowledgeView)?;
    }
    let k = kb_tr(v.lang);
    let can_manage = v.p.can(Permission::KnowledgeManage);
    let (current, recent) = if can_manage {
        let cur = match current {
            Some(id) => Some(view(
                k,
                app.knowledge_import(&v.p, &id)
                    .await
                    .map_err(|e| v.fail(e))?,
            )),
            None => None,
        };
        let recent = app
            .knowledge_imports(&v.p)
            .await
            .map_err(|e| v.fail(e))?
            .into_iter()
            .map(|i| view(k, i))
            .collect();
        (cur, recent)
    } else {
        (None, Vec::new())
    };
    let c = Chrome::load(app, v, Nav::Knowledge, k.transfer).await?;
    let t = TransferTpl {
        c,
        k,
        current,
        recent,
        can_manage,
        error,
    };
    Ok(page(v, status, &t))
}

/// `GET /knowledge/transfer?import=`
pub async fn index(State(app): State<App>, v: Viewer, Query(q): Query<TransferQuery>) -> Page {
    transfer_page(&app, &v, q.import, String::new(), StatusCode::OK).await
}

/// The upload's fields.
#[derive(Default)]
struct Upload {
    csrf: Option<String>,
    format: Option<String>,
    encoding: Option<String>,
    file: Vec<u8>,
    file_name: String,
}

async fn read_upload(mut mp: Multipart) -> Result<Upload, AppError> {
    let bad = |m: String| AppError::Validation(ValidationError::new("file", m));
    let mut u = Upload::default();
    while let Some(field) = mp.next_field().await.map_err(|e| bad(e.to_string()))? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            u.file_name = field.file_name().unwrap_or("").to_string();
            u.file = field
                .bytes()
                .await
                .map_err(|e| bad(e.to_string()))?
                .to_vec();
        } else {
            let text = field.text().await.map_err(|e| bad(e.to_string()))?;
            match name.as_str() {
                "_csrf" => u.csrf = Some(text),
                "format" => u.format = Some(text),
                "encoding" => u.encoding = Some(text),
                _ => {}
            }
        }
    }
    Ok(u)
}

/// The format named by the form, else by the file's extension.
fn format_of(u: &Upload) -> Option<String> {
    u.format
        .clone()
        .filter(|f| !f.is_empty() && f != "auto")
        .or_else(|| {
            let lower = u.file_name.to_ascii_lowercase();
            ["xlsx", "csv", "jsonl"]
                .into_iter()
                .find(|ext| lower.ends_with(&format!(".{ext}")))
                .map(str::to_string)
        })
}

/// `POST /knowledge/transfer` (multipart: file, format, encoding, _csrf): start a
/// background import and answer with its progress (htmx) or the page showing it.
pub async fn start(State(app): State<App>, v: Viewer, headers: HeaderMap, mp: Multipart) -> Page {
    let k = kb_tr(v.lang);
    let upload = read_upload(mp).await;
    let token = upload
        .as_ref()
        .ok()
        .and_then(|u| u.csrf.clone())
        .or_else(|| {
            headers
                .get("x-csrf-token")
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        });
    app.check_csrf(&v.p, token.as_deref())
        .map_err(|e| v.fail(e))?;
    v.require(Permission::KnowledgeManage)?;
    let result = match upload {
        Err(e) => Err(e),
        Ok(u) if u.file.is_empty() => Err(AppError::Validation(ValidationError::new(
            "file", k.no_file,
        ))),
        Ok(u) => {
            let q = ImportQuery {
                format: format_of(&u),
                encoding: u.encoding.clone(),
                background: Some(true),
            };
            app.import_knowledge_file(&v.p, &q, &u.file).await
        }
    };
    let (current, error, status) = match result {
        Ok(imp) => (Some(imp.id), String::new(), StatusCode::OK),
        Err(e @ (AppError::Validation(_) | AppError::InvalidFields(_))) => {
            let msg = match &e {
                AppError::InvalidFields(errs) => errs
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                AppError::Validation(ve) => crate::messages::validation_text(v.lang, ve),
                _ => String::new(),
            };
            (None, msg, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return Err(v.fail(e).into()),
    };
    if v.htmx {
        let current = match current {
            Some(id) => Some(view(
                k,
                app.knowledge_import(&v.p, &id)
                    .await
                    .map_err(|e| v.fail(e))?,
            )),
            None => None,
        };
        // htmx swaps only 2xx answers by default; the error is shown in the fragment.
        return Ok(html(StatusCode::OK, &ProgressTpl { k, current, error }));
    }
    transfer_page(&app, &v, current, error, status).await
}

/// `GET /knowledge/imports/{id}/progress`: the progress fragment (polls itself while
/// the import runs).
pub async fn progress(State(app): State<App>, v: Viewer, Path(id): Path<String>) -> Page {
    let k = kb_tr(v.lang);
    let imp = app
        .knowledge_import(&v.p, &id)
        .await
        .map_err(|e| v.fail(e))?;
    Ok(html(
        StatusCode::OK,
        &ProgressTpl {
            k,
            current: Some(view(k, imp)),
            error: String::new(),
        },
    ))
}

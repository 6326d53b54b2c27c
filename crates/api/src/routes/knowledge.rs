//! /api/v1/knowledge (知识库): categories, items with similar phrasings,
//! synonym groups, and import/export (JSONL, CSV, XLSX) with progress and a
//! per-row report. Reading needs `knowledge.view`,
//! changing `knowledge.manage`.

use super::created;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kefu_app::knowledge::{
    CategoryInput, ExportQuery, Format, ImportQuery, ImportReport, ItemInput, ItemQuery,
    SynonymInput,
};
use kefu_app::App;
use kefu_store::knowledge::{KnowledgeCategory, KnowledgeItem, SynonymGroup};
use kefu_store::knowledge_imports::KnowledgeImport;

/// Every category, parents before children.
#[utoipa::path(get, path = "/api/v1/knowledge/categories", tag = "knowledge",
    responses((status = 200, body = [KnowledgeCategory]), (status = 403, body = ErrorBody)))]
pub async fn list_categories(
    State(app): State<App>,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<KnowledgeCategory>>> {
    Ok(Json(app.knowledge_categories(&p).await?))
}

/// Create a category; at most three levels deep (422 otherwise).
#[utoipa::path(post, path = "/api/v1/knowledge/categories", tag = "knowledge", request_body = CategoryInput,
    responses((status = 201, body = KnowledgeCategory), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_category(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<CategoryInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_knowledge_category(&p, b).await?))
}

/// One category.
#[utoipa::path(get, path = "/api/v1/knowledge/categories/{id}", tag = "knowledge", params(("id" = String, Path)),
    responses((status = 200, body = KnowledgeCategory), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_category(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<KnowledgeCategory>> {
    Ok(Json(app.knowledge_category(&p, &id).await?))
}

/// Rename or move a category (a category with subcategories cannot move).
#[utoipa::path(put, path = "/api/v1/knowledge/categories/{id}", tag = "knowledge", params(("id" = String, Path)),
    request_body = CategoryInput,
    responses((status = 200, body = KnowledgeCategory), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_category(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CategoryInput>,
) -> ApiResult<Json<KnowledgeCategory>> {
    Ok(Json(app.update_knowledge_category(&p, &id, b).await?))
}

/// Delete an empty category (409 `in_use` while it has items or subcategories).
#[utoipa::path(delete, path = "/api/v1/knowledge/categories/{id}", tag = "knowledge", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_category(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_knowledge_category(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Items, optionally of one category, with their similar phrasings.
#[utoipa::path(get, path = "/api/v1/knowledge/items", tag = "knowledge", params(ItemQuery),
    responses((status = 200, body = [KnowledgeItem]), (status = 403, body = ErrorBody)))]
pub async fn list_items(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<ItemQuery>,
) -> ApiResult<Json<Vec<KnowledgeItem>>> {
    Ok(Json(
        app.knowledge_items(&p, q.category_id.as_deref()).await?,
    ))
}

/// Create an item: standard question, similar phrasings, answer, validity.
#[utoipa::path(post, path = "/api/v1/knowledge/items", tag = "knowledge", request_body = ItemInput,
    responses((status = 201, body = KnowledgeItem), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_item(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<ItemInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_knowledge_item(&p, b).await?))
}

/// One item.
#[utoipa::path(get, path = "/api/v1/knowledge/items/{id}", tag = "knowledge", params(("id" = String, Path)),
    responses((status = 200, body = KnowledgeItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_item(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<KnowledgeItem>> {
    Ok(Json(app.knowledge_item(&p, &id).await?))
}

/// Replace an item; its similar phrasings are replaced as a whole.
#[utoipa::path(put, path = "/api/v1/knowledge/items/{id}", tag = "knowledge", params(("id" = String, Path)),
    request_body = ItemInput,
    responses((status = 200, body = KnowledgeItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_item(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ItemInput>,
) -> ApiResult<Json<KnowledgeItem>> {
    Ok(Json(app.update_knowledge_item(&p, &id, b).await?))
}

/// Delete an item and its phrasings.
#[utoipa::path(delete, path = "/api/v1/knowledge/items/{id}", tag = "knowledge", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_item(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_knowledge_item(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's synonym groups (同义词库).
#[utoipa::path(get, path = "/api/v1/knowledge/synonyms", tag = "knowledge",
    responses((status = 200, body = [SynonymGroup]), (status = 403, body = ErrorBody)))]
pub async fn list_synonyms(
    State(app): State<App>,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<SynonymGroup>>> {
    Ok(Json(app.knowledge_synonyms(&p).await?))
}

/// Create a synonym group of at least two distinct terms.
#[utoipa::path(post, path = "/api/v1/knowledge/synonyms", tag = "knowledge", request_body = SynonymInput,
    responses((status = 201, body = SynonymGroup), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_synonyms(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<SynonymInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_knowledge_synonyms(&p, b).await?))
}

/// One synonym group.
#[utoipa::path(get, path = "/api/v1/knowledge/synonyms/{id}", tag = "knowledge", params(("id" = String, Path)),
    responses((status = 200, body = SynonymGroup), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_synonyms(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SynonymGroup>> {
    Ok(Json(app.knowledge_synonym_group(&p, &id).await?))
}

/// Replace a synonym group's terms.
#[utoipa::path(put, path = "/api/v1/knowledge/synonyms/{id}", tag = "knowledge", params(("id" = String, Path)),
    request_body = SynonymInput,
    responses((status = 200, body = SynonymGroup), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_synonyms(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SynonymInput>,
) -> ApiResult<Json<SynonymGroup>> {
    Ok(Json(app.update_knowledge_synonyms(&p, &id, b).await?))
}

/// Delete a synonym group.
#[utoipa::path(delete, path = "/api/v1/knowledge/synonyms/{id}", tag = "knowledge", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_synonyms(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_knowledge_synonyms(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Import JSONL lines `{"id","category","question","similar":[…],"answer"}`
/// (`category` a `/`-joined path, created if missing; `answer` text or
/// `{text, rich}`; `id` ignored). Each line is stored whole or not at all;
/// the report lists bad lines by number with a code and message.
#[utoipa::path(post, path = "/api/v1/knowledge/import", tag = "knowledge",
    request_body(content = String, content_type = "application/x-ndjson"),
    responses((status = 200, body = ImportReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(app): State<App>,
    Auth(p): Auth,
    body: String,
) -> ApiResult<Json<ImportReport>> {
    Ok(Json(app.import_knowledge(&p, &body).await?))
}

/// Every item in the import format: `format=jsonl` (default), `csv` (UTF-8
/// with BOM) or `xlsx`; columns id, category, question, similar (one per
/// line), answer (text, or JSON with rich parts/variants), enabled,
/// valid_from, valid_to (UTC).
#[utoipa::path(get, path = "/api/v1/knowledge/export", tag = "knowledge", params(ExportQuery),
    responses((status = 200, body = String, content_type = "application/x-ndjson"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let format = Format::parse(q.format.as_deref())?;
    let body = app.export_knowledge_as(&p, format).await?;
    let disposition = format!("attachment; filename=\"knowledge.{}\"", format.as_str());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// Import a file: `format=jsonl|csv|xlsx`, CSV `encoding=auto|utf-8|gbk`.
/// Each row is stored whole or not at all; bad rows are reported by number
/// (JSONL line, spreadsheet row with the header as row 1) with a code and
/// message. With `background=true` the answer is 202 and the import
/// `running`; poll `GET /knowledge/imports/{id}` for `processed` of `total`.
/// An unreadable file or a header with unknown/missing columns is 422.
#[utoipa::path(post, path = "/api/v1/knowledge/imports", tag = "knowledge", params(ImportQuery),
    request_body(content = String, content_type = "application/octet-stream"),
    responses((status = 201, body = KnowledgeImport), (status = 202, body = KnowledgeImport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_import(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let imp = app.import_knowledge_file(&p, &q, &body).await?;
    Ok(if q.background.unwrap_or(false) {
        (StatusCode::ACCEPTED, Json(imp)).into_response()
    } else {
        created(imp)
    })
}

/// The latest 20 imports, newest first.
#[utoipa::path(get, path = "/api/v1/knowledge/imports", tag = "knowledge",
    responses((status = 200, body = [KnowledgeImport]), (status = 403, body = ErrorBody)))]
pub async fn list_imports(
    State(app): State<App>,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<KnowledgeImport>>> {
    Ok(Json(app.knowledge_imports(&p).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json` (default) or `csv` (a download: row, code, message).
    pub format: Option<String>,
}

/// An import: progress (`status`, `processed` of `total`) and its error
/// report — JSON, or with `format=csv` a download.
#[utoipa::path(get, path = "/api/v1/knowledge/imports/{id}", tag = "knowledge", params(("id" = String, Path), ReportQuery),
    responses((status = 200, body = KnowledgeImport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_import(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    Ok(match q.format.as_deref() {
        Some("csv") => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"knowledge-import-report.csv\"",
                ),
            ],
            app.knowledge_import_report_csv(&p, &id).await?,
        )
            .into_response(),
        _ => Json(app.knowledge_import(&p, &id).await?).into_response(),
    })
}

//! /api/v1/customer-templates (客户模板) and /api/v1/customer-imports (CSV).

use super::created;
use super::customers::csv_response;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kefu_app::crm::templates::TemplateInput;
use kefu_app::crm::transfer::{ImportQuery, ReportQuery};
use kefu_app::App;
use kefu_store::{CustomerImport, CustomerTemplate};

/// Every customer template of the tenant.
#[utoipa::path(get, path = "/api/v1/customer-templates", tag = "customers",
    responses((status = 200, body = [CustomerTemplate]), (status = 403, body = ErrorBody)))]
pub async fn list(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<Vec<CustomerTemplate>>> {
    Ok(Json(app.customer_templates(&p).await?))
}

/// Define a template (needs `customer_templates.manage`): fields of kinds text,
/// number, date, select, multi_select, cascade, phone, email, region; statuses;
/// and the one status hidden from the pool.
#[utoipa::path(post, path = "/api/v1/customer-templates", tag = "customers", request_body = TemplateInput,
    responses((status = 201, body = CustomerTemplate), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<TemplateInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_customer_template(&p, b).await?))
}

/// One template.
#[utoipa::path(get, path = "/api/v1/customer-templates/{id}", tag = "customers", params(("id" = String, Path)),
    responses((status = 200, body = CustomerTemplate), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CustomerTemplate>> {
    Ok(Json(app.customer_template(&p, &id).await?))
}

/// Replace a template's definition.
#[utoipa::path(put, path = "/api/v1/customer-templates/{id}", tag = "customers", params(("id" = String, Path)),
    request_body = TemplateInput,
    responses((status = 200, body = CustomerTemplate), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TemplateInput>,
) -> ApiResult<Json<CustomerTemplate>> {
    Ok(Json(app.update_customer_template(&p, &id, b).await?))
}

/// Delete a template nobody is filed in (409 `in_use` otherwise).
#[utoipa::path(delete, path = "/api/v1/customer-templates/{id}", tag = "customers", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_customer_template(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Import customers from a CSV body — UTF-8 (with or without BOM) or GBK, as
/// Excel in China saves it; `encoding` picks one, else it is detected (needs
/// `customers.import`). The first
/// line names the columns: name, phone, email, tags (`;`-separated), notes,
/// status, and the template's field keys or labels. Rows matching an existing
/// customer by phone or e-mail are reported as duplicates, not written; rows
/// with bad values are reported with each field's code.
#[utoipa::path(post, path = "/api/v1/customer-imports", tag = "customers", params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, description = "imported", body = CustomerImport),
        (status = 202, description = "with `background=true`: running; poll for progress", body = CustomerImport),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let imp = app.import_customers(&p, &q, &body).await?;
    Ok(if q.background.unwrap_or(false) {
        (StatusCode::ACCEPTED, Json(imp)).into_response()
    } else {
        created(imp)
    })
}

/// An import: its progress (`status`, `processed` of `total`) and, once done,
/// its report — JSON, or with `format=csv` a download with one line per
/// duplicate or bad field.
#[utoipa::path(get, path = "/api/v1/customer-imports/{id}", tag = "customers", params(("id" = String, Path), ReportQuery),
    responses((status = 200, body = CustomerImport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn report(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    Ok(match q.format.as_deref() {
        Some("csv") => csv_response(
            "import-report.csv",
            app.customer_import_report_csv(&p, &id).await?,
        ),
        _ => Json(app.customer_import(&p, &id).await?).into_response(),
    })
}

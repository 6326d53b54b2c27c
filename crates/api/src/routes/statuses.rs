//! /api/v1/reception-statuses — tenant-defined 接待状态.

use super::created;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use kefu_app::statuses::StatusInput;
use kefu_app::App;
use kefu_store::ReceptionStatus;

/// List reception statuses in display order.
#[utoipa::path(get, path = "/api/v1/reception-statuses", tag = "reception statuses", responses((status = 200, body = [ReceptionStatus])))]
pub async fn list(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<Vec<ReceptionStatus>>> {
    Ok(Json(app.list_statuses(&p).await?))
}

/// Create a status (needs `statuses.manage`).
#[utoipa::path(post, path = "/api/v1/reception-statuses", tag = "reception statuses", request_body = StatusInput,
    responses((status = 201, body = ReceptionStatus), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<StatusInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_status(&p, b).await?))
}

/// One status.
#[utoipa::path(get, path = "/api/v1/reception-statuses/{id}", tag = "reception statuses", params(("id" = String, Path)),
    responses((status = 200, body = ReceptionStatus), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ReceptionStatus>> {
    Ok(Json(app.get_status(&p, &id).await?))
}

/// Replace a status.
#[utoipa::path(put, path = "/api/v1/reception-statuses/{id}", tag = "reception statuses", params(("id" = String, Path)), request_body = StatusInput,
    responses((status = 200, body = ReceptionStatus), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StatusInput>,
) -> ApiResult<Json<ReceptionStatus>> {
    Ok(Json(app.update_status(&p, &id, b).await?))
}

/// Delete a status no agent is in.
#[utoipa::path(delete, path = "/api/v1/reception-statuses/{id}", tag = "reception statuses", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_status(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! /api/v1/roles — built-in and custom roles.

use super::created;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use kefu_app::roles::RoleInput;
use kefu_app::App;
use kefu_store::Role;

/// List roles.
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", responses((status = 200, body = [Role])))]
pub async fn list(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<Vec<Role>>> {
    Ok(Json(app.list_roles(&p).await?))
}

/// Create a custom role (needs `roles.manage`; you can grant only what you hold).
#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", request_body = RoleInput,
    responses((status = 201, body = Role), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<RoleInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_role(&p, b).await?))
}

/// One role.
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "roles", params(("id" = String, Path)),
    responses((status = 200, body = Role), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Role>> {
    Ok(Json(app.get_role(&p, &id).await?))
}

/// Replace a custom role's name, permissions and description.
#[utoipa::path(put, path = "/api/v1/roles/{id}", tag = "roles", params(("id" = String, Path)), request_body = RoleInput,
    responses((status = 200, body = Role), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RoleInput>,
) -> ApiResult<Json<Role>> {
    Ok(Json(app.update_role(&p, &id, b).await?))
}

/// Delete a custom role nobody holds.
#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = "roles", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_role(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

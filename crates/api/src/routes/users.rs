//! /api/v1/users — people, their reception status and its history.

use super::created;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use kefu_app::users::{CreateUser, UpdateUser};
use kefu_app::App;
use kefu_store::{AgentStatusEvent, User};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// List the tenant's users (needs `users.view`).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = [User]), (status = 403, body = ErrorBody)))]
pub async fn list(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(app.list_users(&p).await?))
}

/// Create a user (needs `users.manage`; the role may not exceed your own permissions).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<CreateUser>,
) -> ApiResult<Response> {
    Ok(created(app.create_user(&p, b).await?))
}

/// One user (yourself, or anyone with `users.view`).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<User>> {
    Ok(Json(app.get_user(&p, &id).await?))
}

/// Change a user; only the fields sent are changed.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)), request_body = UpdateUser,
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UpdateUser>,
) -> ApiResult<Json<User>> {
    Ok(Json(app.update_user(&p, &id, b).await?))
}

/// Delete a user. The last active administrator cannot be deleted.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_user(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Clear a lock-out after repeated failed sign-ins.
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn unlock(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.unlock_user(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    pub status_id: String,
}

/// Set an agent's reception status (接待状态). Your own, or anyone's with
/// `agents.status.manage`. The change is recorded as an event.
#[utoipa::path(put, path = "/api/v1/users/{id}/status", tag = "users", params(("id" = String, Path)), request_body = StatusBody,
    responses((status = 200, body = AgentStatusEvent), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_status(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StatusBody>,
) -> ApiResult<Json<AgentStatusEvent>> {
    Ok(Json(app.set_agent_status(&p, &id, &b.status_id).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct EventsQuery {
    /// At most this many, newest first (default 100, max 500).
    pub limit: Option<i64>,
}

/// The history of an agent's status changes, newest first.
#[utoipa::path(get, path = "/api/v1/users/{id}/status-events", tag = "users", params(("id" = String, Path), EventsQuery),
    responses((status = 200, body = [AgentStatusEvent]), (status = 404, body = ErrorBody)))]
pub async fn status_events(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Json<Vec<AgentStatusEvent>>> {
    Ok(Json(
        app.agent_status_events(&p, &id, q.limit.unwrap_or(100))
            .await?,
    ))
}

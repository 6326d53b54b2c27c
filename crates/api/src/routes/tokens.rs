//! /api/v1/api-tokens — integration tokens (needs `tokens.manage`).

use super::created;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use kefu_app::tokens::{CreateToken, CreatedToken};
use kefu_app::App;
use kefu_store::ApiToken;

/// List tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/api-tokens", tag = "API tokens", responses((status = 200, body = [ApiToken]), (status = 403, body = ErrorBody)))]
pub async fn list(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(app.list_tokens(&p).await?))
}

/// Create a token. The response carries the secret, shown only this once.
#[utoipa::path(post, path = "/api/v1/api-tokens", tag = "API tokens", request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<CreateToken>,
) -> ApiResult<Response> {
    Ok(created(app.create_token(&p, b).await?))
}

/// One token.
#[utoipa::path(get, path = "/api/v1/api-tokens/{id}", tag = "API tokens", params(("id" = String, Path)),
    responses((status = 200, body = ApiToken), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiToken>> {
    Ok(Json(app.get_token(&p, &id).await?))
}

/// Revoke a token: from now on it gets 401.
#[utoipa::path(delete, path = "/api/v1/api-tokens/{id}", tag = "API tokens", params(("id" = String, Path)),
    responses((status = 200, body = ApiToken), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiToken>> {
    Ok(Json(app.revoke_token(&p, &id).await?))
}

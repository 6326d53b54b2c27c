//! /api/v1/channels — entry points (web for now).

use super::created;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use kefu_app::channels::ChannelInput;
use kefu_app::App;
use kefu_store::Channel;

/// List channels.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels", responses((status = 200, body = [Channel])))]
pub async fn list(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<Vec<Channel>>> {
    Ok(Json(app.list_channels(&p).await?))
}

/// Create a web channel; its public key is generated (needs `org.manage`).
#[utoipa::path(post, path = "/api/v1/channels", tag = "channels", request_body = ChannelInput,
    responses((status = 201, body = Channel), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<ChannelInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_web_channel(&p, b).await?))
}

/// One channel.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = String, Path)),
    responses((status = 200, body = Channel), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(app.get_channel(&p, &id).await?))
}

/// Replace a channel's name, skill group and greeting.
#[utoipa::path(put, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = String, Path)), request_body = ChannelInput,
    responses((status = 200, body = Channel), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ChannelInput>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(app.update_channel(&p, &id, b).await?))
}

/// Delete a channel.
#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_channel(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set the widget's pre-chat form and whether the bot answers first.
#[utoipa::path(put, path = "/api/v1/channels/{id}/widget", tag = "channels", params(("id" = String, Path)),
    request_body = kefu_app::channels::WidgetSettingsInput,
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn widget(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<kefu_app::channels::WidgetSettingsInput>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(app.set_widget_settings(&p, &id, b).await?))
}

/// Rotate the identity-validation secret; the response is the only time it is shown.
#[utoipa::path(post, path = "/api/v1/channels/{id}/identity-secret", tag = "channels", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn identity_secret(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(
        serde_json::json!({"secret": app.rotate_identity_secret(&p, &id).await?}),
    ))
}

//! /api/v1/flows: multi-turn flows (多轮对话) — CRUD, validation and the test
//! console, all under `flows.manage`; and a conversation's flow with its slots.
//! Also the demo tenant's pretend order API (`/demo/api/orders/{no}`, outside /api/v1).

use super::created;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kefu_app::flows::{FlowInput, FlowTestInput, FlowTestStep, ValidateInput, ValidateReport};
use kefu_app::App;
use kefu_store::flows::{ConversationFlow, FlowRecord};

/// Every flow of the tenant.
#[utoipa::path(get, path = "/api/v1/flows", tag = "flows",
    responses((status = 200, body = [FlowRecord]), (status = 403, body = ErrorBody)))]
pub async fn list(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<Vec<FlowRecord>>> {
    Ok(Json(app.flows(&p).await?))
}

/// Create a flow. An invalid graph is a 422 `invalid_fields` listing every problem
/// (`details.errors[] = {field: "definition.nodes[2].next", code: "unknown_node", message}`).
#[utoipa::path(post, path = "/api/v1/flows", tag = "flows", request_body = FlowInput,
    responses((status = 201, body = FlowRecord), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<FlowInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_flow(&p, b).await?))
}

/// Check a definition without saving it (422 `invalid_fields` with every problem).
#[utoipa::path(post, path = "/api/v1/flows/validate", tag = "flows", request_body = ValidateInput,
    responses((status = 200, body = ValidateReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn validate(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<ValidateInput>,
) -> ApiResult<Json<ValidateReport>> {
    Ok(Json(app.validate_flow(&p, &b)?))
}

/// One flow.
#[utoipa::path(get, path = "/api/v1/flows/{id}", tag = "flows", params(("id" = String, Path)),
    responses((status = 200, body = FlowRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<FlowRecord>> {
    Ok(Json(app.flow(&p, &id).await?))
}

/// Replace a flow (same validation as create).
#[utoipa::path(put, path = "/api/v1/flows/{id}", tag = "flows", params(("id" = String, Path)),
    request_body = FlowInput,
    responses((status = 200, body = FlowRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<FlowInput>,
) -> ApiResult<Json<FlowRecord>> {
    Ok(Json(app.update_flow(&p, &id, b).await?))
}

/// Delete a flow (409 `in_use` while a knowledge item starts it).
#[utoipa::path(delete, path = "/api/v1/flows/{id}", tag = "flows", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_flow(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The test console: run one step of the flow against the real engine, with real
/// HTTP calls. Start without `state`; then send `{state, text}` with the `state` of
/// the previous answer. `definition` tests unsaved changes. Nothing is stored.
#[utoipa::path(post, path = "/api/v1/flows/{id}/test", tag = "flows", params(("id" = String, Path)),
    request_body = FlowTestInput,
    responses((status = 200, body = FlowTestStep), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn test(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<FlowTestInput>,
) -> ApiResult<Json<FlowTestStep>> {
    Ok(Json(app.test_flow(&p, &id, b).await?))
}

/// The flow a conversation runs or ran last, with the slots it collected (what a
/// hand-off gives the agent). 404 when no flow ran.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/flow", tag = "flows", params(("id" = String, Path)),
    responses((status = 200, body = ConversationFlow), (status = 404, body = ErrorBody)))]
pub async fn conversation_flow(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationFlow>> {
    Ok(Json(app.conversation_flow(&p, &id).await?))
}

/// `GET /demo/api/orders/{no}`: the demo's pretend order system (no authentication;
/// fake data only). 200 with `{order_no, status, eta, carrier}`, 404 otherwise.
pub async fn demo_order(Path(no): Path<String>) -> Response {
    match kefu_app::flows::demo_orders::lookup(&no) {
        Some(v) => Json(v).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": "not_found", "order_no": no})),
        )
            .into_response(),
    }
}

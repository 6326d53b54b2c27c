//! The bot in operation: unmatched questions (未匹配问题) grouped for review, the decision
//! log, and agent assist. Reviewing needs `knowledge.view`, acting on a question
//! `knowledge.manage`; a conversation's decisions and assist follow the conversation's own
//! access (its serving agent, or a lead); the tenant-wide log needs `conversations.supervise`;
//! the thresholds (per tenant, overridable per channel) need `knowledge.manage`.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use kefu_app::bot::review::{AssistAnswer, AttachInput, CreateFromUnmatchedInput, UnmatchedGroup};
use kefu_app::bot::{BotThresholds, SavedThresholds, ThresholdSet};
use kefu_app::App;
use kefu_store::bot::BotDecision;
use kefu_store::knowledge::KnowledgeItem;
use serde::Deserialize;

/// Open unmatched questions grouped by similarity, biggest group first.
#[utoipa::path(get, path = "/api/v1/bot/unmatched", tag = "bot",
    responses((status = 200, body = [UnmatchedGroup]), (status = 403, body = ErrorBody)))]
pub async fn unmatched(
    State(app): State<App>,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<UnmatchedGroup>>> {
    Ok(Json(app.unmatched_groups(&p).await?))
}

/// Attach the question to a knowledge item as a new similar phrasing (the bot learns it at
/// once). 409 `already_resolved` if it was handled already.
#[utoipa::path(post, path = "/api/v1/bot/unmatched/{id}/attach", tag = "bot", params(("id" = String, Path)),
    request_body = AttachInput,
    responses((status = 200, body = KnowledgeItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn attach(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AttachInput>,
) -> ApiResult<Json<KnowledgeItem>> {
    Ok(Json(app.attach_unmatched(&p, &id, b).await?))
}

/// Make a new knowledge item of the question.
#[utoipa::path(post, path = "/api/v1/bot/unmatched/{id}/create", tag = "bot", params(("id" = String, Path)),
    request_body = CreateFromUnmatchedInput,
    responses((status = 200, body = KnowledgeItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CreateFromUnmatchedInput>,
) -> ApiResult<Json<KnowledgeItem>> {
    Ok(Json(app.create_from_unmatched(&p, &id, b).await?))
}

/// Dismiss the question.
#[utoipa::path(post, path = "/api/v1/bot/unmatched/{id}/dismiss", tag = "bot", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn dismiss(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.dismiss_unmatched(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DecisionQuery {
    /// At most this many, newest first (default 100, at most 500).
    pub limit: Option<i64>,
}

/// The tenant's latest bot decisions with their scores (leads).
#[utoipa::path(get, path = "/api/v1/bot/decisions", tag = "bot", params(DecisionQuery),
    responses((status = 200, body = [BotDecision]), (status = 403, body = ErrorBody)))]
pub async fn decisions(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<DecisionQuery>,
) -> ApiResult<Json<Vec<BotDecision>>> {
    Ok(Json(
        app.recent_bot_decisions(&p, q.limit.unwrap_or(100)).await?,
    ))
}

/// The bot's decisions in one conversation, oldest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/bot-decisions", tag = "bot", params(("id" = String, Path)),
    responses((status = 200, body = [BotDecision]), (status = 404, body = ErrorBody)))]
pub async fn conversation_decisions(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<BotDecision>>> {
    Ok(Json(app.conversation_bot_decisions(&p, &id).await?))
}

/// Agent assist: the three best knowledge answers for the visitor's last message.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/assist", tag = "bot", params(("id" = String, Path)),
    responses((status = 200, body = AssistAnswer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn assist(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AssistAnswer>> {
    Ok(Json(app.assist(&p, &id).await?))
}

/// The bot's thresholds: the defaults, the tenant's own setting and the channels' settings
/// (`knowledge.manage`).
#[utoipa::path(get, path = "/api/v1/bot/thresholds", tag = "bot",
    responses((status = 200, body = BotThresholds), (status = 403, body = ErrorBody)))]
pub async fn thresholds(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<BotThresholds>> {
    Ok(Json(app.bot_thresholds(&p).await?))
}

/// Save the tenant's thresholds; the next question is decided with them. 422
/// `invalid_fields` with one error per field (`lexical.answer` …) when a value is outside
/// [0, 1] or an answer threshold is not above its suggest threshold.
#[utoipa::path(put, path = "/api/v1/bot/thresholds", tag = "bot", request_body = ThresholdSet,
    responses((status = 200, body = SavedThresholds), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_thresholds(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<ThresholdSet>,
) -> ApiResult<Json<SavedThresholds>> {
    Ok(Json(app.set_bot_thresholds(&p, None, b).await?))
}

/// Forget the tenant's thresholds (back to the defaults). 404 when none were saved.
#[utoipa::path(delete, path = "/api/v1/bot/thresholds", tag = "bot",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn clear_thresholds(State(app): State<App>, Auth(p): Auth) -> ApiResult<StatusCode> {
    app.clear_bot_thresholds(&p, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Save one channel's thresholds: its conversations are decided with them instead of the
/// tenant's. 404 for an unknown channel; 422 as for the tenant's.
#[utoipa::path(put, path = "/api/v1/bot/thresholds/channels/{id}", tag = "bot",
    params(("id" = String, Path, description = "channel id")), request_body = ThresholdSet,
    responses((status = 200, body = SavedThresholds), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_channel_thresholds(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ThresholdSet>,
) -> ApiResult<Json<SavedThresholds>> {
    Ok(Json(app.set_bot_thresholds(&p, Some(&id), b).await?))
}

/// Forget one channel's thresholds (back to the tenant's). 404 when it has none.
#[utoipa::path(delete, path = "/api/v1/bot/thresholds/channels/{id}", tag = "bot",
    params(("id" = String, Path, description = "channel id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn clear_channel_thresholds(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.clear_bot_thresholds(&p, Some(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

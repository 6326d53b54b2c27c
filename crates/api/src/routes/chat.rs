//! /api/v1 conversations, offline messages, quick replies and the monitor —
//! the REST side of online service (the live side is the WebSocket).

use super::created;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use kefu_app::App;
use kefu_store::{Conversation, ConversationEvent, OfflineMessage, QuickReply};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// My open conversations (the workbench list).
#[utoipa::path(get, path = "/api/v1/conversations", tag = "online service", responses((status = 200, body = [Object])))]
pub async fn mine(
    State(app): State<App>,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<serde_json::Value>>> {
    Ok(Json(app.agent_conversations(&p).await?))
}

/// One conversation (its agent, or a team lead).
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "online service", params(("id" = String, Path)),
    responses((status = 200, body = Conversation), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Conversation>> {
    Ok(Json(app.get_conversation(&p, &id).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct EventsQuery {
    /// Only events after this sequence number.
    pub after: Option<i64>,
    /// Default 500, max 1000.
    pub limit: Option<i64>,
}

/// The conversation's log (messages, notes and system events) in order.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/events", tag = "online service", params(("id" = String, Path), EventsQuery),
    responses((status = 200, body = [ConversationEvent]), (status = 404, body = ErrorBody)))]
pub async fn events(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Json<Vec<ConversationEvent>>> {
    Ok(Json(
        app.conversation_events(&p, &id, q.after.unwrap_or(0), q.limit.unwrap_or(500))
            .await?,
    ))
}

/// Who was given the conversation, when, and why (the routing explanation).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/assignments", tag = "online service", params(("id" = String, Path)),
    responses((status = 200, body = [kefu_store::Assignment]), (status = 404, body = ErrorBody)))]
pub async fn assignments(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<kefu_store::Assignment>>> {
    Ok(Json(app.conversation_assignments(&p, &id).await?))
}

/// 抢单: the conversations I may pick up now (waiting in my broadcast skill
/// groups while I am receiving and have room), oldest first. The same list is
/// pushed on the agent socket as `pickups` whenever it changes.
#[utoipa::path(get, path = "/api/v1/pickups", tag = "online service",
    responses((status = 200, description = "`{type: \"pickups\", version, conversations: [summary with skill_group_name and preview]}`", body = Object)))]
pub async fn pickups(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(app.pickups(&p).await?))
}

/// 抢单: claim a waiting conversation of one of my broadcast skill groups.
/// The first claim wins and the conversation is assigned to me (with its
/// routing explanation); a later claim is refused.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/pickup", tag = "online service", params(("id" = String, Path)),
    responses((status = 200, description = "Assigned to me: the conversation summary", body = Object),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`already_taken` (someone was first, or the visitor left), `not_offered` (not waiting for pick-up in my groups), `not_eligible` (I am not receiving or am full)", body = ErrorBody)))]
pub async fn pickup(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(app.pick_up(&p, &id).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct OfflineQuery {
    /// Only those nobody has handled yet.
    pub unhandled: Option<bool>,
}

/// Messages visitors left when nobody could serve (留言), newest first.
#[utoipa::path(get, path = "/api/v1/offline-messages", tag = "online service", params(OfflineQuery), responses((status = 200, body = [OfflineMessage])))]
pub async fn offline(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<OfflineQuery>,
) -> ApiResult<Json<Vec<OfflineMessage>>> {
    Ok(Json(
        app.offline_messages(&p, q.unhandled.unwrap_or(false))
            .await?,
    ))
}

/// Mark an offline message handled.
#[utoipa::path(post, path = "/api/v1/offline-messages/{id}/handled", tag = "online service", params(("id" = String, Path)),
    responses((status = 200, body = OfflineMessage), (status = 404, body = ErrorBody)))]
pub async fn handled(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OfflineMessage>> {
    Ok(Json(app.mark_offline_handled(&p, &id).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct ReplySearch {
    /// Text to find in title or body ("/" search in the composer).
    pub q: Option<String>,
}

/// Quick replies I may use: the team's and my own.
#[utoipa::path(get, path = "/api/v1/quick-replies", tag = "online service", params(ReplySearch), responses((status = 200, body = [QuickReply])))]
pub async fn replies(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<ReplySearch>,
) -> ApiResult<Json<Vec<QuickReply>>> {
    Ok(Json(
        app.quick_replies(&p, q.q.as_deref().unwrap_or("")).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuickReplyInput {
    pub title: String,
    pub text: String,
    /// A team reply (needs `conversations.supervise`) instead of a personal one.
    #[serde(default)]
    pub team: bool,
}

/// Add a quick reply.
#[utoipa::path(post, path = "/api/v1/quick-replies", tag = "online service", request_body = QuickReplyInput,
    responses((status = 201, body = QuickReply), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_reply(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<QuickReplyInput>,
) -> ApiResult<Response> {
    Ok(created(
        app.create_quick_reply(&p, &b.title, &b.text, b.team)
            .await?,
    ))
}

/// Delete a quick reply (my own; team ones need `conversations.supervise`).
#[utoipa::path(delete, path = "/api/v1/quick-replies/{id}", tag = "online service", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_reply(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_quick_reply(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Live monitoring (监控): per skill group queue length, longest wait, agents by status and load.
#[utoipa::path(get, path = "/api/v1/monitor", tag = "online service", responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn monitor(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(app.monitor_snapshot(&p).await?))
}

/// A customer with previous conversations and follow-ups (the workbench side
/// panel, 弹屏). An id of a merged record leads to the record it was merged into.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = String, Path)),
    responses((status = 200, body = kefu_app::crm::records::CustomerDetail), (status = 404, body = ErrorBody)))]
pub async fn customer(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<kefu_app::crm::records::CustomerDetail>> {
    Ok(Json(app.customer_detail(&p, &id).await?))
}

/// Change a customer's profile, template values, status or next follow-up.
/// Values that do not fit the template answer 422 `invalid_fields` with one
/// `{field, code, message}` per problem; a phone or e-mail of another customer
/// answers 409 `duplicate_customer` with its id.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = String, Path)),
    request_body = kefu_app::chat::customers::CustomerPatch,
    responses((status = 200, body = kefu_store::Customer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_customer(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<kefu_app::chat::customers::CustomerPatch>,
) -> ApiResult<Json<kefu_store::Customer>> {
    Ok(Json(app.update_customer(&p, &id, b).await?))
}

/// Skill groups and agents a conversation can be transferred to.
#[utoipa::path(get, path = "/api/v1/transfer-targets", tag = "online service", responses((status = 200, body = Object)))]
pub async fn transfer_targets(
    State(app): State<App>,
    Auth(p): Auth,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(app.transfer_targets(&p).await?))
}

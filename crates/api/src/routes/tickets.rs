//! /api/v1/tickets (工单), /api/v1/ticket-types (工单模板), the ticket links of
//! conversations, customers and offline messages, and /api/v1/notifications.

use super::created;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use kefu_app::tickets::assign::{AssignInput, FlowScopeView, TransferInput};
use kefu_app::tickets::create::TicketInput;
use kefu_app::tickets::records::{TicketPage, TicketPatch, TicketQuery};
use kefu_app::tickets::types::TicketTypeInput;
use kefu_app::tickets::work::{CommentInput, TicketDetail, TransitionInput};
use kefu_app::tickets::{Notification, TicketChange, TicketComment, TicketType, Watcher};
use kefu_app::App;
use kefu_store::tickets::Ticket;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

// ---- ticket types ----------------------------------------------------------------

/// Every ticket type of the tenant.
#[utoipa::path(get, path = "/api/v1/ticket-types", tag = "tickets",
    responses((status = 200, body = [TicketType]), (status = 403, body = ErrorBody)))]
pub async fn list_types(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<Vec<TicketType>>> {
    Ok(Json(app.ticket_types(&p).await?))
}

/// Define a ticket type (needs `ticket_types.manage`): its form, workflow
/// (statuses, allowed transitions, who may make each), skill group and default
/// priority. Every problem of the definition comes back at once as 422
/// `invalid_fields`.
#[utoipa::path(post, path = "/api/v1/ticket-types", tag = "tickets", request_body = TicketTypeInput,
    responses((status = 201, body = TicketType), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_type(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<TicketTypeInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_ticket_type(&p, b).await?))
}

/// One ticket type.
#[utoipa::path(get, path = "/api/v1/ticket-types/{id}", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = TicketType), (status = 404, body = ErrorBody)))]
pub async fn get_type(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<TicketType>> {
    Ok(Json(app.ticket_type(&p, &id).await?))
}

/// Replace a ticket type's definition.
#[utoipa::path(put, path = "/api/v1/ticket-types/{id}", tag = "tickets", params(("id" = String, Path)),
    request_body = TicketTypeInput,
    responses((status = 200, body = TicketType), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_type(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TicketTypeInput>,
) -> ApiResult<Json<TicketType>> {
    Ok(Json(app.update_ticket_type(&p, &id, b).await?))
}

/// Delete a ticket type that has no tickets (409 `in_use` otherwise; make it
/// inactive instead).
#[utoipa::path(delete, path = "/api/v1/ticket-types/{id}", tag = "tickets", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_type(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_ticket_type(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- tickets -----------------------------------------------------------------

/// Tickets I may see, newest first, with the total matching.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(TicketQuery),
    responses((status = 200, body = TicketPage), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<TicketQuery>,
) -> ApiResult<Json<TicketPage>> {
    Ok(Json(app.tickets(&p, &q).await?))
}

/// Create a ticket. Form values are checked against the type (422
/// `invalid_fields` with every bad field); a skill group outside the flow
/// scope of my groups is 403 `outside_flow_scope`. Without an assignee,
/// routing gives it to an agent of the skill group.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = TicketInput,
    responses((status = 201, body = Ticket), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<TicketInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_ticket(&p, b).await?))
}

/// One ticket.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = Ticket), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Ticket>> {
    Ok(Json(app.ticket(&p, &id).await?))
}

/// The ticket with its type, the transitions open to me, comments, history and watchers.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/detail", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<TicketDetail>> {
    Ok(Json(app.ticket_detail(&p, &id).await?))
}

/// Change title, form values, priority, due date or customer; every change is
/// written to the history.
#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = String, Path)),
    request_body = TicketPatch,
    responses((status = 200, body = Ticket), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TicketPatch>,
) -> ApiResult<Json<Ticket>> {
    Ok(Json(app.update_ticket(&p, &id, b).await?))
}

/// Move the ticket along its workflow. 409 `transition_not_allowed` when the
/// workflow has no such step from the current status; 403
/// `transition_forbidden` when the step is reserved for other roles or skill
/// groups; 409 `stale_status` when someone moved it meanwhile. Nothing
/// changes when refused.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/transitions", tag = "tickets", params(("id" = String, Path)),
    request_body = TransitionInput,
    responses((status = 200, body = Ticket), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn transition(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TransitionInput>,
) -> ApiResult<Json<Ticket>> {
    Ok(Json(app.transition_ticket(&p, &id, b).await?))
}

/// Assign to an agent (oneself, or anyone with `tickets.manage`), or unassign.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/assign", tag = "tickets", params(("id" = String, Path)),
    request_body = AssignInput,
    responses((status = 200, body = Ticket), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AssignInput>,
) -> ApiResult<Json<Ticket>> {
    Ok(Json(app.assign_ticket(&p, &id, b).await?))
}

/// Hand the ticket to another skill group (转交). Limited by the flow scope
/// of my skill groups (技能组工单流转范围): 403 `outside_flow_scope` otherwise.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/transfer", tag = "tickets", params(("id" = String, Path)),
    request_body = TransferInput,
    responses((status = 200, body = Ticket), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transfer(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TransferInput>,
) -> ApiResult<Json<Ticket>> {
    Ok(Json(app.transfer_ticket(&p, &id, b).await?))
}

/// The skill groups I may hand tickets to.
#[utoipa::path(get, path = "/api/v1/ticket-flow-scope", tag = "tickets",
    responses((status = 200, body = FlowScopeView), (status = 403, body = ErrorBody)))]
pub async fn flow_scope(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<FlowScopeView>> {
    Ok(Json(app.ticket_flow_scope(&p).await?))
}

/// Comments, oldest first: public replies and internal notes.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/comments", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = [TicketComment]), (status = 404, body = ErrorBody)))]
pub async fn comments(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TicketComment>>> {
    Ok(Json(app.ticket_comments(&p, &id).await?))
}

/// Add a public reply (`kind: reply`, the customer sees it) or an internal note.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/comments", tag = "tickets", params(("id" = String, Path)),
    request_body = CommentInput,
    responses((status = 201, body = TicketComment), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_comment(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CommentInput>,
) -> ApiResult<Response> {
    Ok(created(app.comment_ticket(&p, &id, b).await?))
}

/// Every change: who, when, field, old → new.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/history", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = [TicketChange]), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TicketChange>>> {
    Ok(Json(app.ticket_history(&p, &id).await?))
}

/// Who follows the ticket (关注).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/watchers", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = [Watcher]), (status = 404, body = ErrorBody)))]
pub async fn watchers(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Watcher>>> {
    Ok(Json(app.ticket_watchers(&p, &id).await?))
}

/// Follow the ticket (oneself; someone else needs `tickets.manage`).
#[utoipa::path(put, path = "/api/v1/tickets/{id}/watchers/{user_id}", tag = "tickets",
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn watch(
    State(app): State<App>,
    Auth(p): Auth,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    app.watch_ticket(&p, &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stop following the ticket.
#[utoipa::path(delete, path = "/api/v1/tickets/{id}/watchers/{user_id}", tag = "tickets",
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unwatch(
    State(app): State<App>,
    Auth(p): Auth,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    app.unwatch_ticket(&p, &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- links -------------------------------------------------------------------

/// The tickets created from a conversation (there may be several).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/tickets", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = [Ticket]), (status = 404, body = ErrorBody)))]
pub async fn of_conversation(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Ticket>>> {
    Ok(Json(app.conversation_tickets(&p, &id).await?))
}

/// Create a ticket from a conversation: its customer and transcript are linked.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/tickets", tag = "tickets", params(("id" = String, Path)),
    request_body = TicketInput,
    responses((status = 201, body = Ticket), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn from_conversation(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TicketInput>,
) -> ApiResult<Response> {
    Ok(created(
        app.create_ticket_from_conversation(&p, &id, b).await?,
    ))
}

/// Create a ticket from an offline message (留言): the message becomes its first
/// public comment, the visitor's customer is linked, the message is marked
/// handled. An empty title takes the message's first words.
#[utoipa::path(post, path = "/api/v1/offline-messages/{id}/ticket", tag = "tickets", params(("id" = String, Path)),
    request_body = TicketInput,
    responses((status = 201, body = Ticket), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn from_offline_message(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TicketInput>,
) -> ApiResult<Response> {
    Ok(created(
        app.create_ticket_from_offline_message(&p, &id, b).await?,
    ))
}

/// The tickets of a customer (those I may see).
#[utoipa::path(get, path = "/api/v1/customers/{id}/tickets", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = [Ticket]), (status = 404, body = ErrorBody)))]
pub async fn of_customer(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Ticket>>> {
    Ok(Json(app.customer_tickets(&p, &id).await?))
}

// ---- notifications -------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    #[serde(default)]
    pub unread: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub unread: i64,
    pub notifications: Vec<Notification>,
}

/// My notifications, newest first (also pushed as `notification` frames on
/// my agent sockets).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "tickets", params(NotificationQuery),
    responses((status = 200, body = NotificationList), (status = 403, body = ErrorBody)))]
pub async fn notifications(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<NotificationQuery>,
) -> ApiResult<Json<NotificationList>> {
    Ok(Json(NotificationList {
        notifications: app.notifications(&p, q.unread).await?,
        unread: app.unread_notifications(&p).await?,
    }))
}

/// Mark one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "tickets", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.read_notifications(&p, Some(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark all my notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "tickets",
    responses((status = 204), (status = 403, body = ErrorBody)))]
pub async fn read_all(State(app): State<App>, Auth(p): Auth) -> ApiResult<StatusCode> {
    app.read_notifications(&p, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

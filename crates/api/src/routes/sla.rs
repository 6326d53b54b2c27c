//! SLA: business calendars and policies (`sla.manage`), SLA events and counts
//! for reports, a ticket's SLA state, survey and progress link, and the
//! customer's progress page API (`/progress/{id}/{key}`, no sign-in: the
//! signed link is the credential; a wrong one is 404).

use super::created;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use kefu_app::sla::clock::{EventQuery, SlaCount, TicketSla};
use kefu_app::sla::progress::{CustomerReply, ProgressLink, ProgressView, SurveyInput};
use kefu_app::sla::{CalendarInput, PolicyInput};
use kefu_app::App;
use kefu_store::sla::{BusinessCalendar, SlaEvent, SlaPolicy, TicketSurvey};

/// Every business calendar of the tenant.
#[utoipa::path(get, path = "/api/v1/business-calendars", tag = "sla",
    responses((status = 200, body = [BusinessCalendar]), (status = 403, body = ErrorBody)))]
pub async fn list_calendars(
    State(app): State<App>,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<BusinessCalendar>>> {
    Ok(Json(app.business_calendars(&p).await?))
}

/// Create a calendar: weekly hours, holidays (法定节假日), make-up days (调休).
#[utoipa::path(post, path = "/api/v1/business-calendars", tag = "sla", request_body = CalendarInput,
    responses((status = 201, body = BusinessCalendar), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_calendar(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<CalendarInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_business_calendar(&p, b).await?))
}

/// One calendar.
#[utoipa::path(get, path = "/api/v1/business-calendars/{id}", tag = "sla", params(("id" = String, Path)),
    responses((status = 200, body = BusinessCalendar), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_calendar(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<BusinessCalendar>> {
    Ok(Json(app.business_calendar(&p, &id).await?))
}

/// Replace a calendar (running clocks keep the due times they were given).
#[utoipa::path(put, path = "/api/v1/business-calendars/{id}", tag = "sla", params(("id" = String, Path)),
    request_body = CalendarInput,
    responses((status = 200, body = BusinessCalendar), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_calendar(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CalendarInput>,
) -> ApiResult<Json<BusinessCalendar>> {
    Ok(Json(app.update_business_calendar(&p, &id, b).await?))
}

/// Delete a calendar no policy uses (409 `in_use` otherwise).
#[utoipa::path(delete, path = "/api/v1/business-calendars/{id}", tag = "sla", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_calendar(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_business_calendar(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every SLA policy.
#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "sla",
    responses((status = 200, body = [SlaPolicy]), (status = 403, body = ErrorBody)))]
pub async fn list_policies(
    State(app): State<App>,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<SlaPolicy>>> {
    Ok(Json(app.sla_policies(&p).await?))
}

/// Create a policy for a ticket type and priority (either may be "any").
#[utoipa::path(post, path = "/api/v1/sla-policies", tag = "sla", request_body = PolicyInput,
    responses((status = 201, body = SlaPolicy), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_policy(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<PolicyInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_sla_policy(&p, b).await?))
}

/// One policy.
#[utoipa::path(get, path = "/api/v1/sla-policies/{id}", tag = "sla", params(("id" = String, Path)),
    responses((status = 200, body = SlaPolicy), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_policy(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SlaPolicy>> {
    Ok(Json(app.sla_policy(&p, &id).await?))
}

/// Replace a policy (applies to tickets created afterwards).
#[utoipa::path(put, path = "/api/v1/sla-policies/{id}", tag = "sla", params(("id" = String, Path)),
    request_body = PolicyInput,
    responses((status = 200, body = SlaPolicy), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_policy(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PolicyInput>,
) -> ApiResult<Json<SlaPolicy>> {
    Ok(Json(app.update_sla_policy(&p, &id, b).await?))
}

/// Delete a policy that never timed a ticket (409 `in_use`: disable it instead).
#[utoipa::path(delete, path = "/api/v1/sla-policies/{id}", tag = "sla", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_policy(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_sla_policy(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// SLA events (started, warned, breached, escalated, met), oldest first.
#[utoipa::path(get, path = "/api/v1/sla-events", tag = "sla", params(EventQuery),
    responses((status = 200, body = [SlaEvent]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn events(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<EventQuery>,
) -> ApiResult<Json<Vec<SlaEvent>>> {
    Ok(Json(app.sla_events(&p, q).await?))
}

/// Counts of SLA events by target and kind, for reports.
#[utoipa::path(get, path = "/api/v1/sla-report", tag = "sla", params(EventQuery),
    responses((status = 200, body = [SlaCount]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<EventQuery>,
) -> ApiResult<Json<Vec<SlaCount>>> {
    Ok(Json(app.sla_counts(&p, q).await?))
}

/// A ticket's SLA: each target's due time and state, and its events.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/sla", tag = "sla", params(("id" = String, Path)),
    responses((status = 200, body = TicketSla), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn ticket_sla(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<TicketSla>> {
    Ok(Json(app.ticket_sla(&p, &id).await?))
}

/// The customer's satisfaction answer for a ticket (`null` until given).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/survey", tag = "sla", params(("id" = String, Path)),
    responses((status = 200, body = Option<TicketSurvey>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn ticket_survey(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Option<TicketSurvey>>> {
    Ok(Json(app.ticket_survey(&p, &id).await?))
}

/// The signed link to send the customer (进度跟踪).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/progress-link", tag = "sla", params(("id" = String, Path)),
    responses((status = 200, body = ProgressLink), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn progress_link(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ProgressLink>> {
    Ok(Json(app.progress_link(&p, &id).await?))
}

/// The customer's view of a ticket through its signed link (no sign-in).
#[utoipa::path(get, path = "/api/v1/progress/{id}/{key}", tag = "sla", params(("id" = String, Path), ("key" = String, Path)),
    security(()),
    responses((status = 200, body = ProgressView), (status = 404, body = ErrorBody)))]
pub async fn progress(
    State(app): State<App>,
    Path((id, key)): Path<(String, String)>,
) -> ApiResult<Json<ProgressView>> {
    Ok(Json(app.progress_view(&id, &key).await?))
}

/// The customer replies (a public comment from the customer).
#[utoipa::path(post, path = "/api/v1/progress/{id}/{key}/replies", tag = "sla", params(("id" = String, Path), ("key" = String, Path)),
    request_body = CustomerReply, security(()),
    responses((status = 201, body = ProgressView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn progress_reply(
    State(app): State<App>,
    Path((id, key)): Path<(String, String)>,
    ApiJson(b): ApiJson<CustomerReply>,
) -> ApiResult<Response> {
    Ok(created(app.progress_reply(&id, &key, b).await?))
}

/// The satisfaction survey, once, after resolution (409 `not_resolved` /
/// `already_rated`).
#[utoipa::path(post, path = "/api/v1/progress/{id}/{key}/survey", tag = "sla", params(("id" = String, Path), ("key" = String, Path)),
    request_body = SurveyInput, security(()),
    responses((status = 201, body = TicketSurvey), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn progress_survey(
    State(app): State<App>,
    Path((id, key)): Path<(String, String)>,
    ApiJson(b): ApiJson<SurveyInput>,
) -> ApiResult<Response> {
    Ok(created(app.progress_survey(&id, &key, b).await?))
}

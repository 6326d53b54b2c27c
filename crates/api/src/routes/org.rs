//! /api/v1/departments and /api/v1/skill-groups (with members and levels).

use super::created;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use kefu_app::org::{DepartmentInput, MemberInput, SkillGroupInput};
use kefu_app::App;
use kefu_store::{Department, SkillGroup, SkillGroupMember};

/// The organisation tree as a flat list (each with its `parent_id`).
#[utoipa::path(get, path = "/api/v1/departments", tag = "organisation", responses((status = 200, body = [Department])))]
pub async fn list_departments(
    State(app): State<App>,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<Department>>> {
    Ok(Json(app.list_departments(&p).await?))
}

/// Create a department (needs `org.manage`).
#[utoipa::path(post, path = "/api/v1/departments", tag = "organisation", request_body = DepartmentInput,
    responses((status = 201, body = Department), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_department(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<DepartmentInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_department(&p, b).await?))
}

/// One department.
#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "organisation", params(("id" = String, Path)),
    responses((status = 200, body = Department), (status = 404, body = ErrorBody)))]
pub async fn get_department(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Department>> {
    Ok(Json(app.get_department(&p, &id).await?))
}

/// Rename or move a department (a department cannot move inside itself).
#[utoipa::path(put, path = "/api/v1/departments/{id}", tag = "organisation", params(("id" = String, Path)), request_body = DepartmentInput,
    responses((status = 200, body = Department), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_department(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DepartmentInput>,
) -> ApiResult<Json<Department>> {
    Ok(Json(app.update_department(&p, &id, b).await?))
}

/// Delete an empty department.
#[utoipa::path(delete, path = "/api/v1/departments/{id}", tag = "organisation", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_department(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_department(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List skill groups (技能组).
#[utoipa::path(get, path = "/api/v1/skill-groups", tag = "organisation", responses((status = 200, body = [SkillGroup])))]
pub async fn list_groups(
    State(app): State<App>,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<SkillGroup>>> {
    Ok(Json(app.list_skill_groups(&p).await?))
}

/// Create a skill group (needs `org.manage`).
#[utoipa::path(post, path = "/api/v1/skill-groups", tag = "organisation", request_body = SkillGroupInput,
    responses((status = 201, body = SkillGroup), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_group(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<SkillGroupInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_skill_group(&p, b).await?))
}

/// One skill group.
#[utoipa::path(get, path = "/api/v1/skill-groups/{id}", tag = "organisation", params(("id" = String, Path)),
    responses((status = 200, body = SkillGroup), (status = 404, body = ErrorBody)))]
pub async fn get_group(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SkillGroup>> {
    Ok(Json(app.get_skill_group(&p, &id).await?))
}

/// Replace a skill group's name, department and description.
#[utoipa::path(put, path = "/api/v1/skill-groups/{id}", tag = "organisation", params(("id" = String, Path)), request_body = SkillGroupInput,
    responses((status = 200, body = SkillGroup), (status = 404, body = ErrorBody)))]
pub async fn update_group(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SkillGroupInput>,
) -> ApiResult<Json<SkillGroup>> {
    Ok(Json(app.update_skill_group(&p, &id, b).await?))
}

/// Delete a skill group (its memberships go with it).
#[utoipa::path(delete, path = "/api/v1/skill-groups/{id}", tag = "organisation", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_group(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_skill_group(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The group's agents with their level in it, most skilled first.
#[utoipa::path(get, path = "/api/v1/skill-groups/{id}/members", tag = "organisation", params(("id" = String, Path)),
    responses((status = 200, body = [SkillGroupMember]), (status = 404, body = ErrorBody)))]
pub async fn members(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<SkillGroupMember>>> {
    Ok(Json(app.skill_group_members(&p, &id).await?))
}

/// Add an agent to the group, or change their level (1–10).
#[utoipa::path(put, path = "/api/v1/skill-groups/{id}/members/{user_id}", tag = "organisation",
    params(("id" = String, Path), ("user_id" = String, Path)), request_body = MemberInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_member(
    State(app): State<App>,
    Auth(p): Auth,
    Path((id, user_id)): Path<(String, String)>,
    ApiJson(b): ApiJson<MemberInput>,
) -> ApiResult<StatusCode> {
    app.put_skill_group_member(&p, &id, &user_id, b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove an agent from the group.
#[utoipa::path(delete, path = "/api/v1/skill-groups/{id}/members/{user_id}", tag = "organisation",
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_member(
    State(app): State<App>,
    Auth(p): Auth,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    app.remove_skill_group_member(&p, &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

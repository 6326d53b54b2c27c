//! /api/v1/audit-log — every administrative change (needs `audit.view`).

use crate::error::{ApiResult, ErrorBody};
use crate::extract::Auth;
use axum::extract::{Query, State};
use axum::Json;
use kefu_app::App;
use kefu_store::{audit::AuditFilter, AuditEntry};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// e.g. `user`, `role`, `skill_group`.
    pub resource_type: Option<String>,
    pub actor_id: Option<String>,
    /// Only entries older than this time (ms), to page back.
    pub before: Option<i64>,
    /// Default 100, max 500.
    pub limit: Option<i64>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit", params(AuditQuery),
    responses((status = 200, body = [AuditEntry]), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let filter = AuditFilter {
        resource_type: q.resource_type.filter(|s| !s.is_empty()),
        actor_id: q.actor_id.filter(|s| !s.is_empty()),
        before_at: q.before,
        limit: q.limit.unwrap_or(100),
    };
    Ok(Json(app.audit_log(&p, filter).await?))
}

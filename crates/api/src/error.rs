//! Every API error is JSON `{code, message, details}` with the right status.
//! `code` is stable and machine-readable; `message` is for people.

use axum::extract::rejection::JsonRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kefu_app::AppError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `not_found`, `validation_failed`.
    pub code: String,
    pub message: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub details: serde_json::Value,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            details: serde_json::json!({}),
            retry_after: None,
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let mut details = serde_json::json!({});
        let mut retry_after = None;
        let status = match &e {
            AppError::NotFound(what) => {
                details = serde_json::json!({ "resource": what });
                StatusCode::NOT_FOUND
            }
            AppError::Validation(v) => {
                details = serde_json::json!({ "field": v.field });
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::InvalidFields(errors) => {
                details = serde_json::json!({
                    "field": errors.first().map(|e| e.field.as_str()),
                    "errors": errors,
                });
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::DuplicateCustomer {
                customer_id,
                matched_by,
            } => {
                details =
                    serde_json::json!({ "customer_id": customer_id, "matched_by": matched_by });
                StatusCode::CONFLICT
            }
            AppError::Unauthenticated(_)
            | AppError::InvalidCredentials
            | AppError::TotpRequired
            | AppError::InvalidTotp => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(p) => {
                details = serde_json::json!({ "permission": p.key() });
                StatusCode::FORBIDDEN
            }
            AppError::NotAllowed(_) | AppError::CsrfFailed | AppError::Refused { .. } => {
                StatusCode::FORBIDDEN
            }
            AppError::Locked { until_ms } => {
                details = serde_json::json!({ "locked_until": until_ms });
                StatusCode::LOCKED
            }
            AppError::RateLimited { retry_after_s } => {
                retry_after = Some(*retry_after_s);
                details = serde_json::json!({ "retry_after_seconds": retry_after_s });
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Internal(detail) => {
                // The detail may name tables or values; it goes to the log only.
                tracing::error!(error = %detail, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let message = match &e {
            AppError::Validation(v) => format!("{} {}", v.field, v.message),
            other => other.to_string(),
        };
        Self {
            status,
            code: e.code().to_string(),
            message,
            details,
            retry_after,
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonSyntaxError(e) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the request body is not valid JSON: {}", e.body_text()),
            ),
            JsonRejection::JsonDataError(e) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!(
                    "the request body does not have the expected fields: {}",
                    e.body_text()
                ),
            ),
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ),
            other => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", other.body_text()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code,
            message: self.message,
            details: self.details,
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

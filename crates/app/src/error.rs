//! The one error type of the use-case layer. Each variant knows its stable,
//! machine-readable code; the API maps variants to HTTP statuses.

use kefu_domain::{Permission, ValidationError};
use kefu_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Validation(#[from] ValidationError),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("this action needs the permission {}", .0.key())]
    Forbidden(Permission),
    #[error("{0}")]
    NotAllowed(String),
    /// A rule refused the action for this person (403) with its own code,
    /// e.g. `transition_forbidden`, `outside_flow_scope`.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("account locked after repeated failed sign-ins; try again after the lock expires or ask an administrator to unlock it")]
    Locked { until_ms: i64 },
    #[error("too many sign-in attempts from this address; wait {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    #[error("two-step verification code required")]
    TotpRequired,
    #[error("the two-step verification code is wrong or already used")]
    InvalidTotp,
    #[error("missing or wrong CSRF token; reload the page and try again")]
    CsrfFailed,
    /// Customer field values that do not fit the template, each with its code.
    #[error("some field values are not valid")]
    InvalidFields(Vec<kefu_domain::crm::FieldError>),
    /// OneID found the person already; nothing was created.
    #[error("this customer already exists (same {matched_by}); open or merge the existing record")]
    DuplicateCustomer {
        customer_id: String,
        matched_by: &'static str,
    },
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "not_found",
            AppError::Validation(_) => "validation_failed",
            AppError::Conflict { code, .. } => code,
            AppError::Unauthenticated(_) => "unauthenticated",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotAllowed(_) => "not_allowed",
            AppError::Refused { code, .. } => code,
            AppError::Locked { .. } => "account_locked",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::TotpRequired => "totp_required",
            AppError::InvalidTotp => "invalid_totp",
            AppError::CsrfFailed => "csrf_failed",
            AppError::InvalidFields(_) => "invalid_fields",
            AppError::DuplicateCustomer { .. } => "duplicate_customer",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// Map a store error for a given resource: a missing row is that resource's
    /// 404, a uniqueness clash a 409, a dangling reference a 422-ish validation
    /// failure.
    pub fn from_store(resource: &'static str, e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound(resource),
            StoreError::Conflict => AppError::conflict(
                "already_exists",
                format!("a {resource} with that name already exists"),
            ),
            StoreError::Reference => AppError::conflict(
                "in_use",
                format!(
                    "the {resource} is still in use or refers to something that does not exist"
                ),
            ),
            StoreError::Invalid { field, message } => {
                AppError::Validation(ValidationError::new(field, message))
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::from_store("record", e)
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<kefu_store::SqlxError> for AppError {
    fn from(e: kefu_store::SqlxError) -> Self {
        StoreError::from(e).into()
    }
}

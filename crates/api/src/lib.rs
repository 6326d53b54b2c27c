//! The REST API under `/api/v1`, and the OpenAPI document that describes it.

pub mod error;
pub mod extract;

pub use error::{ApiError, ApiResult};

use axum::Router;
use kefu_app::App;

/// The `/api/v1` router (to be nested by the server).
pub fn router() -> Router<App> {
    Router::new().fallback(extract::not_found)
}

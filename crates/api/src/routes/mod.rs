//! Handlers, one module per resource. Each handler is thin: extract, call the
//! use case, shape the response.

pub mod audit;
pub mod auth;
pub mod bot;
pub mod channels;
pub mod chat;
pub mod customer_board;
pub mod customer_templates;
pub mod customers;
pub mod files;
pub mod flows;
pub mod knowledge;
pub mod org;
pub mod roles;
pub mod sla;
pub mod statuses;
pub mod tickets;
pub mod tokens;
pub mod users;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// 201 with the created record.
pub(crate) fn created<T: serde::Serialize>(v: T) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

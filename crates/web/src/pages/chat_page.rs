//! `/chat/{key}`: the hosted chat page — the widget filling the screen, a link
//! a company can send by SMS.

use crate::assets::CHAT_PAGE;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use kefu_app::App;

fn key_ok(k: &str) -> bool {
    (4..=64).contains(&k.len())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub async fn page(State(app): State<App>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    if !key_ok(&key) {
        return (StatusCode::NOT_FOUND, "no such chat channel").into_response();
    }
    let exists = match app.store.conn().await {
        Ok(mut c) => kefu_store::channels::find_by_key_unscoped(&mut c, &key)
            .await
            .ok()
            .flatten()
            .is_some(),
        Err(_) => false,
    };
    if !exists {
        return (StatusCode::NOT_FOUND, "no such chat channel").into_response();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    // The host header is echoed into the page: keep only what a host can contain.
    let host: String = host
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
        .collect();
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    let origin = format!("{proto}://{host}");
    Html(
        CHAT_PAGE
            .replace("__KEFU_ORIGIN__", &origin)
            .replace("__KEFU_CHANNEL__", &key),
    )
    .into_response()
}

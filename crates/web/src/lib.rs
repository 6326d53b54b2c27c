//! The web UI (placeholder until the pages land).

use axum::Router;
use kefu_app::App;

pub fn router() -> Router<App> {
    Router::new()
}

//! The REST API under `/api/v1`, and the OpenAPI document that describes it.

pub mod docs;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod routes;
pub mod ws;

pub use error::{ApiError, ApiResult};

use axum::routing::{get, post, put};
use axum::{Extension, Router};
use kefu_app::App;
use routes::*;

/// The `/api/v1` router; the server nests it at `/api/v1`.
pub fn router(secure_cookies: bool) -> Router<App> {
    Router::new()
        .route("/openapi.json", get(openapi::serve))
        .route("/docs", get(docs::page))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me).patch(auth::update_profile))
        .route("/me/password", put(auth::change_password))
        .route("/me/totp", post(auth::totp_begin))
        .route("/me/totp/confirm", post(auth::totp_confirm))
        .route("/me/totp/disable", post(auth::totp_disable))
        .route("/permissions", get(auth::permissions))
        .route("/users", get(users::list).post(users::create))
        .route(
            "/users/{id}",
            get(users::get).patch(users::update).delete(users::delete),
        )
        .route("/users/{id}/unlock", post(users::unlock))
        .route("/users/{id}/status", put(users::set_status))
        .route("/users/{id}/status-events", get(users::status_events))
        .route("/roles", get(roles::list).post(roles::create))
        .route(
            "/roles/{id}",
            get(roles::get).put(roles::update).delete(roles::delete),
        )
        .route(
            "/departments",
            get(org::list_departments).post(org::create_department),
        )
        .route(
            "/departments/{id}",
            get(org::get_department)
                .put(org::update_department)
                .delete(org::delete_department),
        )
        .route(
            "/skill-groups",
            get(org::list_groups).post(org::create_group),
        )
        .route(
            "/skill-groups/{id}",
            get(org::get_group)
                .put(org::update_group)
                .delete(org::delete_group),
        )
        .route("/skill-groups/{id}/members", get(org::members))
        .route(
            "/skill-groups/{id}/members/{user_id}",
            put(org::put_member).delete(org::remove_member),
        )
        .route(
            "/reception-statuses",
            get(statuses::list).post(statuses::create),
        )
        .route(
            "/reception-statuses/{id}",
            get(statuses::get)
                .put(statuses::update)
                .delete(statuses::delete),
        )
        .route("/api-tokens", get(tokens::list).post(tokens::create))
        .route("/api-tokens/{id}", get(tokens::get).delete(tokens::revoke))
        .route("/audit-log", get(audit::list))
        .route("/channels", get(channels::list).post(channels::create))
        .route(
            "/channels/{id}",
            get(channels::get)
                .put(channels::update)
                .delete(channels::delete),
        )
        .route("/conversations", get(chat::mine))
        .route("/conversations/{id}", get(chat::get))
        .route("/conversations/{id}/events", get(chat::events))
        .route("/conversations/{id}/assignments", get(chat::assignments))
        .route("/offline-messages", get(chat::offline))
        .route("/offline-messages/{id}/handled", post(chat::handled))
        .route(
            "/quick-replies",
            get(chat::replies).post(chat::create_reply),
        )
        .route(
            "/quick-replies/{id}",
            axum::routing::delete(chat::delete_reply),
        )
        .route("/monitor", get(chat::monitor))
        .route(
            "/customers/{id}",
            get(chat::customer).patch(chat::update_customer),
        )
        .route("/customers", get(customers::list).post(customers::create))
        .route("/customers/lookup", get(customers::lookup))
        .route("/customers/export", get(customers::export))
        .route("/customer-pool", get(customers::pool))
        .route("/customer-board", get(customer_board::board))
        .route("/customers/{id}/claim", post(customers::claim))
        .route("/customers/{id}/release", post(customers::release))
        .route("/customers/{id}/merge", post(customers::merge))
        .route(
            "/customers/{id}/follow-ups",
            get(customers::follow_ups).post(customers::add_follow_up),
        )
        .route(
            "/customer-templates",
            get(customer_templates::list).post(customer_templates::create),
        )
        .route(
            "/customer-templates/{id}",
            get(customer_templates::get)
                .put(customer_templates::update)
                .delete(customer_templates::delete),
        )
        .route(
            "/knowledge/categories",
            get(knowledge::list_categories).post(knowledge::create_category),
        )
        .route(
            "/knowledge/categories/{id}",
            get(knowledge::get_category)
                .put(knowledge::update_category)
                .delete(knowledge::delete_category),
        )
        .route(
            "/knowledge/items",
            get(knowledge::list_items).post(knowledge::create_item),
        )
        .route(
            "/knowledge/items/{id}",
            get(knowledge::get_item)
                .put(knowledge::update_item)
                .delete(knowledge::delete_item),
        )
        .route(
            "/knowledge/synonyms",
            get(knowledge::list_synonyms).post(knowledge::create_synonyms),
        )
        .route(
            "/knowledge/synonyms/{id}",
            get(knowledge::get_synonyms)
                .put(knowledge::update_synonyms)
                .delete(knowledge::delete_synonyms),
        )
        .route("/knowledge/import", post(knowledge::import))
        .route("/knowledge/export", get(knowledge::export))
        .route(
            "/knowledge/imports",
            get(knowledge::list_imports)
                .post(knowledge::start_import)
                .layer(axum::extract::DefaultBodyLimit::max(
                    kefu_app::knowledge::transfer::MAX_UPLOAD,
                )),
        )
        .route("/knowledge/imports/{id}", get(knowledge::get_import))
        .route("/customer-imports", post(customer_templates::import))
        .route("/customer-imports/{id}", get(customer_templates::report))
        .route("/transfer-targets", get(chat::transfer_targets))
        .route("/attachments", post(files::upload))
        .route("/visitor/attachments", post(files::visitor_upload))
        .route("/files/{id}/{key}", get(files::download))
        .route("/visitor/ws", get(ws::visitor::connect))
        .route("/agent/ws", get(ws::agent::connect))
        .route("/channels/{id}/widget", put(channels::widget))
        .route(
            "/channels/{id}/identity-secret",
            post(channels::identity_secret),
        )
        .fallback(extract::not_found)
        .layer(Extension(auth::SecureCookies(secure_cookies)))
        // Room for a 10 MiB attachment plus multipart framing.
        .layer(axum::extract::DefaultBodyLimit::max(
            kefu_app::chat::files::MAX_BYTES + 64 * 1024,
        ))
}

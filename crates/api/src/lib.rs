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
        .route("/conversations/{id}/pickup", post(chat::pickup))
        .route("/pickups", get(chat::pickups))
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
        .route("/flows", get(flows::list).post(flows::create))
        .route("/flows/validate", post(flows::validate))
        .route(
            "/flows/{id}",
            get(flows::get).put(flows::update).delete(flows::delete),
        )
        .route("/flows/{id}/test", post(flows::test))
        .route("/conversations/{id}/flow", get(flows::conversation_flow))
        .route("/knowledge/import", post(knowledge::import))
        .route("/knowledge/export", get(knowledge::export))
        .route(
            "/business-calendars",
            get(sla::list_calendars).post(sla::create_calendar),
        )
        .route(
            "/business-calendars/{id}",
            get(sla::get_calendar)
                .put(sla::update_calendar)
                .delete(sla::delete_calendar),
        )
        .route(
            "/sla-policies",
            get(sla::list_policies).post(sla::create_policy),
        )
        .route(
            "/sla-policies/{id}",
            get(sla::get_policy)
                .put(sla::update_policy)
                .delete(sla::delete_policy),
        )
        .route("/sla-events", get(sla::events))
        .route("/sla-report", get(sla::report))
        .route("/tickets/{id}/sla", get(sla::ticket_sla))
        .route("/tickets/{id}/survey", get(sla::ticket_survey))
        .route("/tickets/{id}/progress-link", get(sla::progress_link))
        .route("/progress/{id}/{key}", get(sla::progress))
        .route("/progress/{id}/{key}/replies", post(sla::progress_reply))
        .route("/progress/{id}/{key}/survey", post(sla::progress_survey))
        .route("/bot/unmatched", get(bot::unmatched))
        .route("/bot/unmatched/{id}/attach", post(bot::attach))
        .route("/bot/unmatched/{id}/create", post(bot::create))
        .route("/bot/unmatched/{id}/dismiss", post(bot::dismiss))
        .route("/bot/decisions", get(bot::decisions))
        .route(
            "/bot/thresholds",
            get(bot::thresholds)
                .put(bot::set_thresholds)
                .delete(bot::clear_thresholds),
        )
        .route(
            "/bot/thresholds/channels/{id}",
            put(bot::set_channel_thresholds).delete(bot::clear_channel_thresholds),
        )
        .route(
            "/conversations/{id}/bot-decisions",
            get(bot::conversation_decisions),
        )
        .route("/conversations/{id}/assist", get(bot::assist))
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
        .route(
            "/ticket-types",
            get(tickets::list_types).post(tickets::create_type),
        )
        .route(
            "/ticket-types/{id}",
            get(tickets::get_type)
                .put(tickets::update_type)
                .delete(tickets::delete_type),
        )
        .route("/tickets", get(tickets::list).post(tickets::create))
        .route("/tickets/attachments", post(files::ticket_upload))
        .route("/tickets/{id}", get(tickets::get).patch(tickets::update))
        .route("/tickets/{id}/detail", get(tickets::detail))
        .route("/tickets/{id}/transitions", post(tickets::transition))
        .route("/tickets/{id}/assign", post(tickets::assign))
        .route("/tickets/{id}/transfer", post(tickets::transfer))
        .route(
            "/tickets/{id}/comments",
            get(tickets::comments).post(tickets::add_comment),
        )
        .route("/tickets/{id}/history", get(tickets::history))
        .route("/tickets/{id}/watchers", get(tickets::watchers))
        .route(
            "/tickets/{id}/watchers/{user_id}",
            put(tickets::watch).delete(tickets::unwatch),
        )
        .route("/ticket-flow-scope", get(tickets::flow_scope))
        .route(
            "/conversations/{id}/tickets",
            get(tickets::of_conversation).post(tickets::from_conversation),
        )
        .route(
            "/offline-messages/{id}/ticket",
            post(tickets::from_offline_message),
        )
        .route("/customers/{id}/tickets", get(tickets::of_customer))
        .route("/notifications", get(tickets::notifications))
        .route("/notifications/read-all", post(tickets::read_all))
        .route("/notifications/{id}/read", post(tickets::read))
        .fallback(extract::not_found)
        .layer(Extension(auth::SecureCookies(secure_cookies)))
        // Room for a 10 MiB attachment plus multipart framing.
        .layer(axum::extract::DefaultBodyLimit::max(
            kefu_app::chat::files::MAX_BYTES + 64 * 1024,
        ))
}

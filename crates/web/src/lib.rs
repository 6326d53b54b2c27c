//! The web UI: server-rendered pages (askama) enhanced with htmx, in zh-CN and
//! English, with every asset embedded in the binary.
//!
//! Every form works as a plain POST answered by a 303 redirect (post/redirect/
//! get) with a flash message; htmx only adds confirmation dialogs and swaps the
//! page's `#main` region in place instead of reloading.

pub mod assets;
pub mod fmt;
pub mod i18n;
pub mod i18n_tickets;
pub mod messages;
pub mod pages;
pub mod render;
pub mod session;

use axum::extract::Extension;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use kefu_app::App;
use pages::{audit, login, org, profile, roles, skill_groups, statuses, tickets, tokens, users};

/// The UI's routes, to be merged at the root. `secure_cookies` adds `Secure`
/// to every cookie (set it whenever the site is served over HTTPS).
pub fn router(secure_cookies: bool) -> Router<App> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(login::form).post(login::submit))
        .route(
            "/login/totp",
            get(login::totp_form).post(login::totp_submit),
        )
        .route("/logout", post(login::logout))
        .route("/lang/{code}", get(pages::switch_language))
        .route("/me/status", post(pages::set_my_status))
        .route("/admin", get(pages::overview))
        .route("/admin/users", get(users::index).post(users::create))
        .route("/admin/users/{id}", get(users::edit).post(users::update))
        .route("/admin/users/{id}/unlock", post(users::unlock))
        .route("/admin/users/{id}/delete", post(users::delete))
        .route("/admin/users/{id}/status", post(users::set_status))
        .route("/admin/roles", get(roles::index).post(roles::create))
        .route("/admin/roles/{id}", post(roles::update))
        .route("/admin/roles/{id}/delete", post(roles::delete))
        .route(
            "/admin/departments",
            get(org::departments).post(org::create_department),
        )
        .route("/admin/departments/{id}", post(org::update_department))
        .route(
            "/admin/departments/{id}/delete",
            post(org::delete_department),
        )
        .route(
            "/admin/skill-groups",
            get(skill_groups::index).post(skill_groups::create),
        )
        .route(
            "/admin/skill-groups/{id}",
            get(skill_groups::members).post(skill_groups::update),
        )
        .route(
            "/admin/skill-groups/{id}/delete",
            post(skill_groups::delete),
        )
        .route(
            "/admin/skill-groups/{id}/members",
            post(skill_groups::add_member),
        )
        .route(
            "/admin/skill-groups/{id}/members/{user_id}",
            post(skill_groups::set_member_level),
        )
        .route(
            "/admin/skill-groups/{id}/members/{user_id}/remove",
            post(skill_groups::remove_member),
        )
        .route(
            "/admin/statuses",
            get(statuses::index).post(statuses::create),
        )
        .route("/admin/statuses/{id}", post(statuses::update))
        .route("/admin/statuses/{id}/delete", post(statuses::delete))
        .route("/admin/tokens", get(tokens::index).post(tokens::create))
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke))
        .route("/admin/audit", get(audit::index))
        .route("/admin/sla", get(pages::sla::index))
        .route("/admin/sla/calendars", post(pages::sla::create_calendar))
        .route(
            "/admin/sla/calendars/{id}/delete",
            post(pages::sla::delete_calendar),
        )
        .route("/admin/sla/policies", post(pages::sla::create_policy))
        .route(
            "/admin/sla/policies/{id}/delete",
            post(pages::sla::delete_policy),
        )
        .route("/progress/{id}/{key}", get(pages::progress::page))
        .route("/progress/{id}/{key}/reply", post(pages::progress::reply))
        .route("/progress/{id}/{key}/survey", post(pages::progress::survey))
        .route("/admin/flows", get(pages::flows::index))
        .route("/profile", get(profile::index).post(profile::save))
        .route("/profile/password", post(profile::password))
        .route("/profile/totp/begin", post(profile::totp_begin))
        .route("/profile/totp/confirm", post(profile::totp_confirm))
        .route("/profile/totp/disable", post(profile::totp_disable))
        .route("/widget.js", get(assets::widget))
        .route("/chat/{key}", get(pages::chat_page::page))
        .route("/assets/htmx.min.js", get(assets::htmx))
        .route("/assets/app.css", get(assets::css))
        .route("/assets/app.js", get(assets::js))
        .route("/assets/favicon.svg", get(assets::favicon))
        .route("/workbench", get(pages::workbench::workbench))
        .route("/monitor", get(pages::workbench::monitor))
        .route("/customers", get(pages::customers::index))
        .route("/tickets", get(tickets::index))
        .route(
            "/tickets/notifications/read",
            post(tickets::read_notifications),
        )
        .route(
            "/tickets/new",
            get(tickets::form::new).post(tickets::form::create),
        )
        .route("/tickets/{id}", get(tickets::detail::show_page))
        .route("/tickets/{id}/edit", post(tickets::detail::edit))
        .route(
            "/tickets/{id}/transition",
            post(tickets::detail::transition),
        )
        .route("/tickets/{id}/comments", post(tickets::detail::comment))
        .route("/tickets/{id}/watch", post(tickets::detail::watch))
        .route("/tickets/{id}/unwatch", post(tickets::detail::unwatch))
        .route("/tickets/{id}/assign-me", post(tickets::detail::assign_me))
        .route("/tickets/{id}/transfer", post(tickets::detail::transfer))
        .route("/tickets/{id}/print", get(tickets::detail::print))
        .route("/tickets/{id}/transcript", get(tickets::detail::transcript))
        .route(
            "/admin/ticket-types",
            get(tickets::types::index).post(tickets::types::create),
        )
        .route(
            "/admin/ticket-types/{id}",
            get(tickets::types::edit).post(tickets::types::update),
        )
        .route(
            "/admin/ticket-types/{id}/delete",
            post(tickets::types::delete),
        )
        .route(
            "/admin/skill-groups/{id}/flow-scope",
            post(skill_groups::set_flow_scope),
        )
        .route("/assets/tickets.css", get(assets::tickets_css))
        .route("/assets/print.css", get(assets::print_css))
        .route(
            "/assets/workbench_tickets.js",
            get(assets::workbench_tickets_js),
        )
        .route("/assets/workbench.js", get(assets::workbench_js))
        .route("/assets/workbench.css", get(assets::workbench_css))
        .route("/assets/monitor.js", get(assets::monitor_js))
        .route("/assets/customers.js", get(assets::customers_js))
        .route("/assets/flows.js", get(assets::flows_js))
        .route("/bot/unmatched", get(pages::unmatched::index))
        .route("/assets/unmatched.js", get(assets::unmatched_js))
        .route("/assets/ticket_files.js", get(assets::ticket_files_js))
        .merge(pages::knowledge::routes())
        .layer(Extension(session::WebConfig { secure_cookies }))
        .layer(axum::middleware::map_response(security_headers))
}

/// A 404 page in the reader's language, for the server's fallback if it wants
/// HTML (rather than JSON) for unknown paths outside `/api`.
pub async fn not_found(headers: HeaderMap) -> Response {
    render::not_found_page(session::request_lang(&headers, None))
}

/// Defence in depth for every page: no framing (clickjacking), no MIME
/// sniffing, scripts only from this origin (the pages have no inline script),
/// and a Referer only to ourselves (the language switch reads it).
async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, v: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(v));
        }
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "same-origin");
    r
}

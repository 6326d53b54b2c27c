//! Static assets, embedded in the binary. Pages link them with `?v=<hash of the
//! contents>`, so browsers may cache them for a long time and still pick up a
//! new build at once.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;

const HTMX: &str = include_str!("../assets/htmx.min.js");
const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
const FAVICON: &str = include_str!("../assets/favicon.svg");
/// The workbench script: one file for the browser, kept in parts named after
/// what they do. The parts share one closure (opened in `core.js`, closed in
/// `start.js`) and run in this order; concatenated at compile time, so there is
/// no build step and no module loader (docs/architecture.md, "Front-end scripts").
const WORKBENCH_JS: &str = concat!(
    include_str!("../assets/workbench/core.js"),
    include_str!("../assets/workbench/state.js"),
    include_str!("../assets/workbench/socket.js"),
    include_str!("../assets/workbench/outbox.js"),
    include_str!("../assets/workbench/conversation_list.js"),
    include_str!("../assets/workbench/chat.js"),
    include_str!("../assets/workbench/customer.js"),
    include_str!("../assets/workbench/assist.js"),
    include_str!("../assets/workbench/composer.js"),
    include_str!("../assets/workbench/dialogs.js"),
    include_str!("../assets/workbench/left_column.js"),
    include_str!("../assets/workbench/pickup.js"),
    include_str!("../assets/workbench/header.js"),
    include_str!("../assets/workbench/start.js"),
);
const WORKBENCH_CSS: &str = include_str!("../assets/workbench.css");
const MONITOR_JS: &str = include_str!("../assets/monitor.js");
const CUSTOMERS_JS: &str = include_str!("../assets/customers.js");
const TICKETS_CSS: &str = include_str!("../assets/tickets.css");
const PRINT_CSS: &str = include_str!("../assets/print.css");
const WORKBENCH_TICKETS_JS: &str = include_str!("../assets/workbench_tickets.js");
const FLOWS_JS: &str = include_str!("../assets/flows.js");
const UNMATCHED_JS: &str = include_str!("../assets/unmatched.js");
const TICKET_FILES_JS: &str = include_str!("../assets/ticket_files.js");
/// The visitor widget, served as the one script customers' sites embed
/// (`/widget.js`), assembled the same way from `assets/widget/` (`helpers.js`
/// opens the closure, `events.js` closes it). `widget.test.mjs` reads this
/// list to evaluate the same concatenation under Node.
pub const WIDGET: &str = concat!(
    include_str!("../assets/widget/helpers.js"),
    include_str!("../assets/widget/timeline.js"),
    include_str!("../assets/widget/outbox.js"),
    include_str!("../assets/widget/i18n.js"),
    include_str!("../assets/widget/setup.js"),
    include_str!("../assets/widget/styles.js"),
    include_str!("../assets/widget/dom.js"),
    include_str!("../assets/widget/render.js"),
    include_str!("../assets/widget/panel.js"),
    include_str!("../assets/widget/connection.js"),
    include_str!("../assets/widget/composer.js"),
    include_str!("../assets/widget/forms.js"),
    include_str!("../assets/widget/rating.js"),
    include_str!("../assets/widget/events.js"),
);
pub(crate) const CHAT_PAGE: &str = include_str!("../assets/chat.html");

/// FNV-1a over all assets: cheap, stable, and only needs to change when they do.
pub fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let all = [
            HTMX,
            CSS,
            JS,
            FAVICON,
            WORKBENCH_JS,
            WORKBENCH_CSS,
            MONITOR_JS,
            CUSTOMERS_JS,
            TICKETS_CSS,
            PRINT_CSS,
            WORKBENCH_TICKETS_JS,
            FLOWS_JS,
            TICKET_FILES_JS,
        ];
        for b in all.iter().flat_map(|a| a.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{:x}", h & 0xffff_ffff)
    })
}

fn serve(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=604800"),
            ),
        ],
        body,
    )
        .into_response()
}

pub async fn htmx() -> Response {
    serve(HTMX, "text/javascript; charset=utf-8")
}

pub async fn css() -> Response {
    serve(CSS, "text/css; charset=utf-8")
}

pub async fn js() -> Response {
    serve(JS, "text/javascript; charset=utf-8")
}

pub async fn favicon() -> Response {
    serve(FAVICON, "image/svg+xml")
}

pub async fn workbench_js() -> Response {
    serve(WORKBENCH_JS, "text/javascript; charset=utf-8")
}

pub async fn workbench_css() -> Response {
    serve(WORKBENCH_CSS, "text/css; charset=utf-8")
}

pub async fn monitor_js() -> Response {
    serve(MONITOR_JS, "text/javascript; charset=utf-8")
}

pub async fn customers_js() -> Response {
    serve(CUSTOMERS_JS, "text/javascript; charset=utf-8")
}

pub async fn tickets_css() -> Response {
    serve(TICKETS_CSS, "text/css; charset=utf-8")
}

pub async fn workbench_tickets_js() -> Response {
    serve(WORKBENCH_TICKETS_JS, "text/javascript; charset=utf-8")
}

pub async fn print_css() -> Response {
    serve(PRINT_CSS, "text/css; charset=utf-8")
}

pub async fn flows_js() -> Response {
    serve(FLOWS_JS, "text/javascript; charset=utf-8")
}

pub async fn ticket_files_js() -> Response {
    serve(TICKET_FILES_JS, "text/javascript; charset=utf-8")
}

pub async fn unmatched_js() -> Response {
    serve(UNMATCHED_JS, "text/javascript; charset=utf-8")
}

/// The visitor widget, loaded by customers' sites with one script tag. A short
/// cache so a new build reaches every site within minutes.
pub async fn widget() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        WIDGET,
    )
        .into_response()
}

//! `/admin/flows` (多轮对话): the tenant's flows, a JSON editor that validates through
//! the API (every problem listed with its place), and a test console that runs the
//! flow step by step against the real engine, HTTP calls included (`flows.js`).

use crate::pages::workbench::script_strings;
use crate::render::{page, Chrome, Nav, Page};
use crate::session::Viewer;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_app::App;
use kefu_domain::Permission;

pub struct FlowRow {
    id: String,
    name: String,
    enabled: bool,
    triggers: String,
}

#[derive(Template)]
#[template(path = "flows.html")]
struct FlowsTpl {
    c: Chrome,
    rows: Vec<FlowRow>,
    /// A starting point for "new flow": the shipped example.
    example: String,
    strings: String,
}

/// `GET /admin/flows`: `flows.manage`.
pub async fn index(State(app): State<App>, v: Viewer) -> Page {
    v.require(Permission::FlowsManage)?;
    let tr = v.lang.tr();
    let list = app.flows(&v.p).await.map_err(|e| v.fail(e))?;
    let c = Chrome::load(&app, &v, Nav::Flows, tr.flows_title).await?;
    let rows = list
        .into_iter()
        .map(|f| FlowRow {
            triggers: f.definition["triggers"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(" · ")
                })
                .unwrap_or_default(),
            id: f.id,
            name: f.name,
            enabled: f.enabled,
        })
        .collect();
    let t = FlowsTpl {
        c,
        rows,
        example: kefu_app::flows::ORDER_LOOKUP_EXAMPLE.to_string(),
        strings: script_strings(tr, "flows_js_"),
    };
    Ok(page(&v, StatusCode::OK, &t))
}

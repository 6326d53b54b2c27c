//! `/bot/unmatched` (未匹配问题): the questions the bot could not answer (or answered
//! unhelpfully), grouped by similarity. `unmatched.js` reads and acts through the API:
//! attach a question to an item as a similar phrasing, make a new item of it, or dismiss it.

use crate::pages::workbench::script_strings;
use crate::render::{page, Chrome, Nav, Page};
use crate::session::Viewer;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_app::App;
use kefu_domain::Permission;

#[derive(Template)]
#[template(path = "unmatched.html")]
struct UnmatchedTpl {
    c: Chrome,
    can_manage: bool,
    strings: String,
}

/// `GET /bot/unmatched`: anyone with `knowledge.view`; acting needs `knowledge.manage`.
pub async fn index(State(app): State<App>, v: Viewer) -> Page {
    if !v.p.can(Permission::KnowledgeManage) {
        v.require(Permission::KnowledgeView)?;
    }
    let tr = v.lang.tr();
    let c = Chrome::load(&app, &v, Nav::Unmatched, tr.um_title).await?;
    let t = UnmatchedTpl {
        c,
        can_manage: v.p.can(Permission::KnowledgeManage),
        strings: script_strings(tr, "um_js_"),
    };
    Ok(page(&v, StatusCode::OK, &t))
}

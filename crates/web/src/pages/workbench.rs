//! `/workbench` (客服工作台) and `/monitor` (监控): server-rendered shells whose
//! live parts are `workbench.js` and `monitor.js`, talking to the agent socket
//! and the REST API with the viewer's own session.
//!
//! The pages have no inline script (the CSP forbids it), so what the scripts
//! need from the server — translated strings, the viewer's id and what they may
//! do — travels in `data-` attributes of one element.

use crate::i18n::Tr;
use crate::render::{page, Chrome, Nav, NavItem, Page};
use crate::session::Viewer;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_app::App;
use kefu_domain::Permission;

/// The strings a script needs: every dictionary entry whose key starts with
/// `prefix`, as a JSON object (key without the prefix → text).
pub(crate) fn script_strings(tr: &Tr, prefix: &str) -> String {
    let map: serde_json::Map<String, serde_json::Value> = tr
        .entries()
        .into_iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(prefix)
                .map(|k| (k.to_string(), serde_json::Value::from(v)))
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

#[derive(Template)]
#[template(path = "workbench.html")]
struct WorkbenchTpl {
    c: Chrome,
    user_id: String,
    can_supervise: bool,
    strings: String,
    tk: &'static crate::i18n_tickets::TkTr,
    tk_strings: String,
    can_tickets: bool,
}

/// The ticket strings `workbench_tickets.js` needs (`js_` keys, prefix dropped).
fn ticket_strings(tk: &crate::i18n_tickets::TkTr) -> String {
    let map: serde_json::Map<String, serde_json::Value> = tk
        .entries()
        .into_iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("js_")
                .map(|k| (k.to_string(), serde_json::Value::from(v)))
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// `GET /workbench`: any signed-in user.
pub async fn workbench(State(app): State<App>, v: Viewer) -> Page {
    let tr = v.lang.tr();
    let c = Chrome::load(&app, &v, Nav::Overview, tr.wb_title).await?;
    let t = WorkbenchTpl {
        c,
        user_id: v.user_id().to_string(),
        can_supervise: v.p.can(Permission::Supervise),
        strings: script_strings(tr, "wb_"),
        tk: v.lang.tk(),
        tk_strings: ticket_strings(v.lang.tk()),
        can_tickets: app.can_work_tickets(&v.p),
    };
    Ok(page(&v, StatusCode::OK, &t))
}

#[derive(Template)]
#[template(path = "monitor.html")]
struct MonitorTpl {
    c: Chrome,
    can_force_status: bool,
    strings: String,
}

/// `GET /monitor`: team leads (`conversations.supervise`) only.
pub async fn monitor(State(app): State<App>, v: Viewer) -> Page {
    v.require(Permission::Supervise)?;
    let tr = v.lang.tr();
    let mut c = Chrome::load(&app, &v, Nav::Overview, tr.mon_title).await?;
    // The console's navigation has no entry of its own for this page (the
    // frame cannot tell who may supervise), so it is added here, after the overview.
    for n in &mut c.nav {
        n.active = false;
    }
    let at = c.nav.len().min(1);
    c.nav.insert(
        at,
        NavItem {
            id: "nav-monitor",
            href: "/monitor",
            label: tr.nav_monitor,
            active: true,
        },
    );
    let t = MonitorTpl {
        c,
        can_force_status: v.p.can(Permission::AgentStatusManage),
        strings: script_strings(tr, "mon_"),
    };
    Ok(page(&v, StatusCode::OK, &t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn script_strings_are_json_without_the_prefix() {
        let s = script_strings(Lang::En.tr(), "wb_");
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["send"], "Send");
        assert!(v.get("wb_send").is_none());
        assert!(v.get("title").is_some());
        let m: serde_json::Value =
            serde_json::from_str(&script_strings(Lang::Zh.tr(), "mon_")).unwrap();
        assert_eq!(m["queue_length"], "排队数");
        assert!(m.get("send").is_none());
    }
}

//! The audit log: newest first, filtered by resource type, paged back in time.

use super::Opt;
use crate::fmt::{json_pretty, When};
use crate::i18n::Lang;
use crate::render::{page, Chrome, Nav, Page};
use crate::session::{Fields, Viewer};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_app::App;
use kefu_store::audit::AuditFilter;

const PAGE_SIZE: i64 = 50;

/// The resource types the app records, with their labels.
fn resource_types(lang: Lang) -> [(&'static str, &'static str); 8] {
    let tr = lang.tr();
    [
        ("user", tr.res_user),
        ("role", tr.res_role),
        ("department", tr.res_department),
        ("skill_group", tr.res_skill_group),
        ("reception_status", tr.res_reception_status),
        ("api_token", tr.res_api_token),
        ("channel", tr.res_channel),
        ("tenant", tr.res_tenant),
    ]
}

pub struct AuditRow {
    at: When,
    actor: String,
    action: String,
    resource_type: String,
    resource_id: String,
    before: String,
    after: String,
    ip: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTpl {
    c: Chrome,
    rows: Vec<AuditRow>,
    type_opts: Vec<Opt>,
    filter: String,
    paged: bool,
    older: Option<i64>,
}

/// `GET /admin/audit?resource_type=…&before=…`
pub async fn index(State(app): State<App>, v: Viewer, q: Fields) -> Page {
    let types = resource_types(v.lang);
    // Only known types reach the query; anything else means "all".
    let filter = types
        .iter()
        .map(|(k, _)| *k)
        .find(|k| *k == q.get("resource_type"))
        .unwrap_or("")
        .to_string();
    let before = q.get("before").parse::<i64>().ok();
    let entries = app
        .audit_log(
            &v.p,
            AuditFilter {
                resource_type: (!filter.is_empty()).then(|| filter.clone()),
                actor_id: None,
                before_at: before,
                limit: PAGE_SIZE,
            },
        )
        .await
        .map_err(|e| v.fail(e))?;
    let c = Chrome::load(&app, &v, Nav::Audit, v.lang.tr().audit_title).await?;
    let older = (entries.len() as i64 == PAGE_SIZE)
        .then(|| entries.last().map(|e| e.at))
        .flatten();
    let rows = entries
        .into_iter()
        .map(|e| AuditRow {
            at: When::from_ms(e.at),
            actor: e.actor_name,
            action: e.action,
            resource_type: types
                .iter()
                .find(|(k, _)| *k == e.resource_type)
                .map(|(_, l)| l.to_string())
                .unwrap_or(e.resource_type),
            resource_id: e.resource_id.unwrap_or_default(),
            before: json_pretty(&e.before),
            after: json_pretty(&e.after),
            ip: e.ip.unwrap_or_default(),
        })
        .collect();
    let mut type_opts = vec![Opt::new("", v.lang.tr().all_types, filter.is_empty())];
    type_opts.extend(
        types
            .iter()
            .map(|(k, label)| Opt::new(k, *label, *k == filter)),
    );
    let t = AuditTpl {
        rows,
        type_opts,
        filter,
        paged: before.is_some(),
        older,
        c,
    };
    Ok(page(&v, StatusCode::OK, &t))
}

//! `/customers` (客户): the data board with server-drawn SVG charts, the public
//! pool with claim buttons, my customers, CSV export, and the CSV import with a
//! progress bar (`customers.js` polls the import's progress through the API).

use crate::pages::workbench::script_strings;
use crate::render::{page, Chrome, Nav, Page};
use crate::session::Viewer;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use kefu_app::crm::records::CustomerQuery;
use kefu_app::App;
use kefu_domain::Permission;
use serde::Deserialize;

pub struct TemplateOpt {
    id: String,
    name: String,
    selected: bool,
}

pub struct CustomerRow {
    id: String,
    name: String,
    phone: String,
    status: String,
    next_follow_up: String,
}

pub struct Chart {
    key: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct CustomersTpl {
    c: Chrome,
    templates: Vec<TemplateOpt>,
    template_id: String,
    total: i64,
    pool_size: i64,
    charts: Vec<Chart>,
    pool: Vec<CustomerRow>,
    mine: Vec<CustomerRow>,
    can_export: bool,
    can_import: bool,
    strings: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    pub template_id: Option<String>,
}

fn rows(list: Vec<kefu_store::Customer>) -> Vec<CustomerRow> {
    list.into_iter()
        .map(|c| CustomerRow {
            id: c.id,
            name: if c.name.is_empty() {
                "—".into()
            } else {
                c.name
            },
            phone: c.phone.unwrap_or_default(),
            status: c.status,
            next_follow_up: c
                .next_follow_up_at
                .map(|ms| crate::fmt::When::from_ms(ms).text)
                .unwrap_or_default(),
        })
        .collect()
}

/// `GET /customers`: anyone with `customers.view`; what they see is what the
/// API would show them (their own, the pool masked, …).
pub async fn index(State(app): State<App>, v: Viewer, Query(f): Query<Filter>) -> Page {
    v.require(Permission::CustomersView)?;
    let tr = v.lang.tr();
    let template_id = f.template_id.filter(|t| !t.is_empty());
    let q = CustomerQuery {
        template_id: template_id.clone(),
        ..CustomerQuery::default()
    };
    let templates = app.customer_templates(&v.p).await.map_err(|e| v.fail(e))?;
    let board = app.customer_board(&v.p, &q).await.map_err(|e| v.fail(e))?;
    let pool = app.customer_pool(&v.p, &q).await.map_err(|e| v.fail(e))?;
    let mine = app
        .list_customers(
            &v.p,
            &CustomerQuery {
                owner: Some("me".into()),
                ..q.clone()
            },
        )
        .await
        .map_err(|e| v.fail(e))?;
    let c = Chrome::load(&app, &v, Nav::Customers, tr.crm_title).await?;
    let t = CustomersTpl {
        c,
        templates: templates
            .into_iter()
            .map(|t| TemplateOpt {
                selected: Some(&t.id) == template_id.as_ref(),
                id: t.id,
                name: t.name,
            })
            .collect(),
        template_id: template_id.unwrap_or_default(),
        total: board.total,
        pool_size: board.pool,
        charts: vec![
            Chart {
                key: "funnel",
                label: tr.crm_chart_funnel,
            },
            Chart {
                key: "follow_up",
                label: tr.crm_chart_follow_up,
            },
            Chart {
                key: "sources",
                label: tr.crm_chart_sources,
            },
            Chart {
                key: "departments",
                label: tr.crm_chart_departments,
            },
        ],
        pool: rows(pool),
        mine: rows(mine),
        can_export: v.p.can(Permission::Export),
        can_import: v.p.can(Permission::CustomersImport),
        strings: script_strings(tr, "crm_js_"),
    };
    Ok(page(&v, StatusCode::OK, &t))
}

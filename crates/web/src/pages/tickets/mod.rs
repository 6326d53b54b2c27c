//! `/tickets` (工单): the list with its filters and my notifications, the new
//! ticket page (`form`), the ticket page with its actions and print view
//! (`detail`), and the administrators' ticket types (`types`).

pub mod detail;
pub mod form;
pub mod types;

use super::Opt;
use crate::i18n_tickets::TkTr;
use crate::render::{page, Chrome, Nav, Page};
use crate::session::{Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use kefu_app::tickets::records::TicketQuery;
use kefu_app::App;
use kefu_domain::Permission;
use serde::Deserialize;

/// One row of a ticket list.
pub struct Row {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub type_name: String,
    pub status: String,
    pub category: String,
    pub category_label: &'static str,
    pub priority: String,
    pub priority_label: &'static str,
    pub assignee: String,
    pub group: String,
    pub customer: String,
    pub updated: String,
}

pub(crate) fn row(k: &kefu_store::tickets::Ticket, tk: &TkTr, status_label: String) -> Row {
    Row {
        id: k.id.clone(),
        number: k.number,
        title: k.title.clone(),
        type_name: k.type_name.clone(),
        status: status_label,
        category: k.status_category.clone(),
        category_label: tk.category(&k.status_category),
        priority: k.priority.clone(),
        priority_label: tk.priority(&k.priority),
        assignee: k
            .assignee_name
            .clone()
            .unwrap_or_else(|| tk.unassigned.to_string()),
        group: k.skill_group_name.clone().unwrap_or_default(),
        customer: k.customer_name.clone().unwrap_or_default(),
        updated: crate::fmt::When::from_ms(k.updated_at).text,
    }
}

pub struct NoteRow {
    pub id: String,
    pub title: String,
    pub ticket_id: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct ListTpl {
    c: Chrome,
    tk: &'static TkTr,
    rows: Vec<Row>,
    total: String,
    categories: Vec<Opt>,
    priorities: Vec<Opt>,
    groups: Vec<Opt>,
    mine: bool,
    notes: Vec<NoteRow>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    pub category: Option<String>,
    pub priority: Option<String>,
    pub skill_group_id: Option<String>,
    #[serde(default)]
    pub mine: Option<String>,
}

pub(crate) fn priority_options(tk: &TkTr, selected: &str, with_all: bool) -> Vec<Opt> {
    let mut v = Vec::new();
    if with_all {
        v.push(Opt::new("", tk.all, selected.is_empty()));
    }
    for p in kefu_domain::ticket::TicketPriority::ALL {
        v.push(Opt::new(p.key(), tk.priority(p.key()), selected == p.key()));
    }
    v
}

/// `GET /tickets`: what the viewer may see, filtered by status category,
/// "mine", skill group and priority.
pub async fn index(State(app): State<App>, v: Viewer, Query(f): Query<Filter>) -> Page {
    if !app.can_work_tickets(&v.p) {
        v.require(Permission::TicketsView)?;
    }
    let tk = v.lang.tk();
    let fail = |e| v.fail(e);
    let blank = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    let category = blank(&f.category);
    let mine = f
        .mine
        .as_deref()
        .is_some_and(|m| m == "1" || m == "on" || m == "true");
    let q = TicketQuery {
        category: category.clone(),
        priority: blank(&f.priority),
        skill_group_id: blank(&f.skill_group_id),
        mine,
        limit: Some(200),
        ..TicketQuery::default()
    };
    let list = app.tickets(&v.p, &q).await.map_err(fail)?;
    let types = app.ticket_types(&v.p).await.map_err(fail)?;
    let groups = app.list_skill_groups(&v.p).await.map_err(fail)?;
    let notes = app.notifications(&v.p, true).await.map_err(fail)?;
    let c = Chrome::load(&app, &v, Nav::Tickets, tk.title).await?;
    let label = |k: &kefu_store::tickets::Ticket| {
        types
            .iter()
            .find(|t| t.id == k.type_id)
            .and_then(|t| t.workflow.status(&k.status))
            .map(|s| s.label.clone())
            .unwrap_or_else(|| k.status.clone())
    };
    let cat = category.unwrap_or_default();
    let grp = f.skill_group_id.clone().unwrap_or_default();
    let t = ListTpl {
        rows: list.tickets.iter().map(|k| row(k, tk, label(k))).collect(),
        total: tk.total.replace("{n}", &list.total.to_string()),
        categories: ["", "open", "resolved", "closed"]
            .iter()
            .map(|k| {
                Opt::new(
                    k,
                    if k.is_empty() { tk.all } else { tk.category(k) },
                    *k == cat,
                )
            })
            .collect(),
        priorities: priority_options(tk, f.priority.as_deref().unwrap_or(""), true),
        groups: std::iter::once(Opt::new("", tk.all, grp.is_empty()))
            .chain(
                groups
                    .iter()
                    .map(|g| Opt::new(&g.id, g.name.clone(), g.id == grp)),
            )
            .collect(),
        mine,
        notes: notes
            .into_iter()
            .map(|n| NoteRow {
                id: n.id,
                title: format!("{}: {}", tk.notification(&n.kind), n.title),
                ticket_id: n.ticket_id.unwrap_or_default(),
                at: crate::fmt::When::from_ms(n.created_at).text,
            })
            .collect(),
        tk,
        c,
    };
    Ok(page(&v, StatusCode::OK, &t))
}

/// `POST /tickets/notifications/read`: mark all my notifications read.
pub async fn read_notifications(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    app.read_notifications(&v.p, None)
        .await
        .map_err(|e| v.fail(e))?;
    Ok(v.done("/tickets", Flash::Saved))
}

/// `YYYY-MM-DD` → the end of that day (UTC), in Unix ms.
pub(crate) fn date_to_ms(s: &str) -> Option<i64> {
    if !kefu_domain::crm::valid_date(s) {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: i64 = s[5..7].parse().ok()?;
    let d: i64 = s[8..10].parse().ok()?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days + 1) * 86_400_000 - 1)
}

/// Unix ms → `YYYY-MM-DD` (UTC), for a date input.
pub(crate) fn ms_to_date(ms: i64) -> String {
    crate::fmt::When::from_ms(ms).iso[..10].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for d in ["2026-01-31", "2024-02-29", "1999-12-31", "2026-11-21"] {
            let ms = date_to_ms(d).unwrap();
            assert_eq!(ms_to_date(ms), d);
            assert_eq!(
                ms_to_date(ms + 1),
                ms_to_date(ms + 86_400_000),
                "end of day"
            );
        }
        assert_eq!(date_to_ms("2026-02-30"), None);
    }
}

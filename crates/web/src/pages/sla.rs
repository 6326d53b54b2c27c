//! `/admin/sla` (`sla.manage`): business calendars (工作日历: weekly hours,
//! holidays, make-up days) and SLA policies per ticket type and priority.
//! A simple page: create and delete; the REST API also replaces them.

use crate::i18n::Tr;
use crate::pages::Opt;
use crate::render::{page, Chrome, FormError, Nav, Page};
use crate::session::{Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Path, State};
use kefu_app::hours::{BusinessHours, SpecialDay, WeeklyHours};
use kefu_app::sla::{CalendarInput, Escalation, PolicyInput};
use kefu_app::{App, AppError};
use kefu_domain::{Permission, ValidationError};

const CAL_FIELDS: &[&str] = &["name", "hours"];
const POLICY_FIELDS: &[&str] = &[
    "name",
    "ticket_type_id",
    "priority",
    "calendar_id",
    "first_response_minutes",
    "resolution_minutes",
    "warn_percent",
    "warn_before_minutes",
    "escalation.user_id",
    "escalation.group_id",
];
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];

pub fn priority_label(tr: &Tr, p: &str) -> String {
    match p {
        "low" => tr.prio_low,
        "normal" => tr.prio_normal,
        "high" => tr.prio_high,
        "urgent" => tr.prio_urgent,
        other => other,
    }
    .to_string()
}

pub struct CalendarRow {
    id: String,
    name: String,
    summary: String,
}

pub struct PolicyRow {
    id: String,
    name: String,
    ticket_type: String,
    priority: String,
    calendar: String,
    first_response: String,
    resolution: String,
    warning: String,
    escalation: String,
    enabled: bool,
}

pub struct DayBox {
    n: u8,
    label: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "sla.html")]
struct SlaTpl {
    c: Chrome,
    calendars: Vec<CalendarRow>,
    policies: Vec<PolicyRow>,
    err: FormError,
    days: Vec<DayBox>,
    types: Vec<Opt>,
    priorities: Vec<Opt>,
    calendar_opts: Vec<Opt>,
    users: Vec<Opt>,
    groups: Vec<Opt>,
}

fn minutes_text(m: Option<i64>) -> String {
    m.map(|m| {
        if m % 60 == 0 {
            format!("{} h", m / 60)
        } else {
            format!("{m} min")
        }
    })
    .unwrap_or_else(|| "—".into())
}

async fn sla_page(app: &App, v: &Viewer, err: FormError) -> Page {
    v.require(Permission::SlaManage)?;
    let tr = v.lang.tr();
    let fail = |e| v.fail(e);
    let cals = app.business_calendars(&v.p).await.map_err(fail)?;
    let pols = app.sla_policies(&v.p).await.map_err(fail)?;
    // A custom role with sla.manage alone may not see ticket types: then only "any".
    let types = app.ticket_types(&v.p).await.unwrap_or_default();
    let users = app.list_users(&v.p).await.unwrap_or_default();
    let groups = app.list_skill_groups(&v.p).await.unwrap_or_default();
    let c = Chrome::load(app, v, Nav::Sla, tr.sla_title).await?;
    let cal_name = |id: &Option<String>| match id {
        None => tr.sla_around_clock.to_string(),
        Some(id) => cals
            .iter()
            .find(|c| &c.id == id)
            .map(|c| c.name.clone())
            .unwrap_or_default(),
    };
    let user_name = |id: &str| {
        users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let policies = pols
        .iter()
        .map(|p| {
            let esc: Escalation = serde_json::from_value(p.escalation.clone()).unwrap_or_default();
            PolicyRow {
                id: p.id.clone(),
                name: p.name.clone(),
                ticket_type: p
                    .ticket_type_id
                    .as_ref()
                    .map(|t| {
                        types
                            .iter()
                            .find(|x| &x.id == t)
                            .map(|x| x.name.clone())
                            .unwrap_or_else(|| t.clone())
                    })
                    .unwrap_or_else(|| tr.sla_any.to_string()),
                priority: p
                    .priority
                    .as_deref()
                    .map(|x| priority_label(tr, x))
                    .unwrap_or_else(|| tr.sla_any.to_string()),
                calendar: cal_name(&p.calendar_id),
                first_response: minutes_text(p.first_response_minutes),
                resolution: minutes_text(p.resolution_minutes),
                warning: match (p.warn_percent, p.warn_before_minutes) {
                    (Some(pct), _) => format!("{pct} %"),
                    (None, Some(b)) => format!("−{b} min"),
                    _ => "—".into(),
                },
                escalation: match esc {
                    Escalation::None => tr.sla_esc_none.to_string(),
                    Escalation::Notify { user_id } => {
                        format!("{}: {}", tr.sla_esc_notify, user_name(&user_id))
                    }
                    Escalation::Reassign { user_id, group_id } => {
                        let group = group_id.and_then(|g| {
                            groups.iter().find(|x| x.id == g).map(|x| x.name.clone())
                        });
                        let who: Vec<String> = user_id
                            .map(|u| user_name(&u))
                            .into_iter()
                            .chain(group)
                            .collect();
                        format!("{} → {}", tr.sla_esc_reassign, who.join(" / "))
                    }
                },
                enabled: p.enabled,
            }
        })
        .collect();
    let calendars = cals
        .iter()
        .map(|c| {
            let h: Option<BusinessHours> = serde_json::from_value(c.hours.clone()).ok();
            let summary = h
                .map(|h| {
                    let weekly: Vec<String> = h
                        .weekly
                        .iter()
                        .map(|w| {
                            let days: Vec<String> = w.days.iter().map(|d| d.to_string()).collect();
                            format!("{} {}–{}", days.join(","), w.from, w.to)
                        })
                        .collect();
                    format!(
                        "UTC{:+}h · {} · {} {} · {} {}",
                        h.utc_offset_minutes / 60,
                        weekly.join("; "),
                        h.holidays.len(),
                        if v.lang.is_zh() {
                            "个节假日"
                        } else {
                            "holidays"
                        },
                        h.workdays.len(),
                        if v.lang.is_zh() {
                            "个调休日"
                        } else {
                            "make-up days"
                        },
                    )
                })
                .unwrap_or_default();
            CalendarRow {
                id: c.id.clone(),
                name: c.name.clone(),
                summary,
            }
        })
        .collect();
    let day_labels: [&str; 7] = if v.lang.is_zh() {
        ["一", "二", "三", "四", "五", "六", "日"]
    } else {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    };
    let t = SlaTpl {
        days: (1..=7u8)
            .map(|n| DayBox {
                n,
                label: day_labels[usize::from(n - 1)],
                checked: n <= 5,
            })
            .collect(),
        types: types
            .iter()
            .map(|t| Opt::new(&t.id, &t.name, false))
            .collect(),
        priorities: PRIORITIES
            .iter()
            .map(|p| Opt::new(p, priority_label(tr, p), false))
            .collect(),
        calendar_opts: cals
            .iter()
            .map(|c| Opt::new(&c.id, &c.name, false))
            .collect(),
        users: users
            .iter()
            .filter(|u| u.active)
            .map(|u| Opt::new(&u.id, &u.display_name, false))
            .collect(),
        groups: groups
            .iter()
            .map(|g| Opt::new(&g.id, &g.name, false))
            .collect(),
        calendars,
        policies,
        err,
        c,
    };
    Ok(page(v, t.err.status(), &t))
}

/// `GET /admin/sla`
pub async fn index(State(app): State<App>, v: Viewer) -> Page {
    sla_page(&app, &v, FormError::none()).await
}

fn lines(s: &str) -> Vec<String> {
    s.split(|c: char| c == '\n' || c == ',' || c == '，' || c.is_whitespace())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn calendar_input(f: &Fields) -> Result<CalendarInput, AppError> {
    let offset = f.get("utc_offset_minutes").trim();
    let utc_offset_minutes = if offset.is_empty() {
        480
    } else {
        offset
            .parse()
            .map_err(|_| ValidationError::new("hours", crate::messages::WHOLE_NUMBER))?
    };
    let days: Vec<u8> = f
        .all("days")
        .iter()
        .filter_map(|d| d.parse().ok())
        .collect();
    let (from, to) = (
        f.get("from").trim().to_string(),
        f.get("to").trim().to_string(),
    );
    Ok(CalendarInput {
        name: f.get("name").to_string(),
        hours: BusinessHours {
            utc_offset_minutes,
            weekly: vec![WeeklyHours {
                days,
                from: from.clone(),
                to: to.clone(),
            }],
            holidays: lines(f.get("holidays")),
            workdays: lines(f.get("workdays"))
                .into_iter()
                .map(|date| SpecialDay {
                    date,
                    from: from.clone(),
                    to: to.clone(),
                })
                .collect(),
        },
    })
}

/// `POST /admin/sla/calendars`
pub async fn create_calendar(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let result = match calendar_input(&f) {
        Ok(input) => app.create_business_calendar(&v.p, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(v.done("/admin/sla", Flash::Created)),
        Err(e) => {
            let err = v.form_error("calendar", e, CAL_FIELDS)?;
            sla_page(&app, &v, err).await
        }
    }
}

/// `POST /admin/sla/calendars/{id}/delete`
pub async fn delete_calendar(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    match app.delete_business_calendar(&v.p, &id).await {
        Ok(()) => Ok(v.done("/admin/sla", Flash::Deleted)),
        Err(e) => {
            let err = v.form_error(&id, e, &[])?;
            sla_page(&app, &v, err).await
        }
    }
}

fn number(f: &Fields, field: &'static str) -> Result<Option<i64>, AppError> {
    match f.non_blank(field) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ValidationError::new(field, crate::messages::WHOLE_NUMBER).into()),
    }
}

fn policy_input(f: &Fields) -> Result<PolicyInput, AppError> {
    let escalation = match f.get("action") {
        "notify" => Escalation::Notify {
            user_id: f.get("esc_user_id").to_string(),
        },
        "reassign" => Escalation::Reassign {
            user_id: f.non_blank("esc_user_id"),
            group_id: f.non_blank("esc_group_id"),
        },
        _ => Escalation::None,
    };
    Ok(PolicyInput {
        name: f.get("name").to_string(),
        ticket_type_id: f.non_blank("ticket_type_id"),
        priority: f.non_blank("priority"),
        calendar_id: f.non_blank("calendar_id"),
        first_response_minutes: number(f, "first_response_minutes")?,
        resolution_minutes: number(f, "resolution_minutes")?,
        warn_percent: number(f, "warn_percent")?,
        warn_before_minutes: number(f, "warn_before_minutes")?,
        escalation,
        enabled: f.checked("enabled"),
    })
}

/// `POST /admin/sla/policies`
pub async fn create_policy(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let result = match policy_input(&f) {
        Ok(input) => app.create_sla_policy(&v.p, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(v.done("/admin/sla", Flash::Created)),
        Err(e) => {
            let err = v.form_error("policy", e, POLICY_FIELDS)?;
            sla_page(&app, &v, err).await
        }
    }
}

/// `POST /admin/sla/policies/{id}/delete`
pub async fn delete_policy(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    match app.delete_sla_policy(&v.p, &id).await {
        Ok(()) => Ok(v.done("/admin/sla", Flash::Deleted)),
        Err(e) => {
            let err = v.form_error(&id, e, &[])?;
            sla_page(&app, &v, err).await
        }
    }
}

//! The ticket form: a type's fields as inputs (and back into JSON values), and
//! the new-ticket page — by hand, or from a conversation (`?conversation_id=`,
//! customer and transcript linked) or a customer (`?customer_id=`).

use super::{date_to_ms, priority_options};
use crate::i18n_tickets::TkTr;
use crate::pages::Opt;
use crate::render::{page, Chrome, Nav, Page};
use crate::session::{Fields, Viewer};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use kefu_app::tickets::create::TicketInput;
use kefu_app::{App, AppError};
use kefu_domain::crm::FieldError;
use kefu_domain::ticket::{TicketFieldDef, TicketFieldKind};
use serde::Deserialize;
use serde_json::{Map, Value};

/// One form input.
pub struct Input {
    pub name: String,
    pub label: String,
    /// text, rich_text, number, date, select, list (multi, cascade) or
    /// attachment (ids, plus a file picker that uploads and fills them in).
    pub kind: &'static str,
    pub required: bool,
    pub value: String,
    pub options: Vec<Opt>,
    pub hint: &'static str,
    pub error: String,
}

/// A stored value as the text an input shows.
fn value_text(d: &TicketFieldDef, v: Option<&Value>) -> String {
    let join = |sep: &str| match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(sep),
        _ => String::new(),
    };
    match d.kind {
        TicketFieldKind::MultiSelect => join(";"),
        TicketFieldKind::Cascade => join("/"),
        TicketFieldKind::Attachment => join(","),
        _ => match v {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        },
    }
}

/// The inputs of a form, filled with `values` (stored JSON, or what was typed).
pub fn inputs(
    tk: &TkTr,
    defs: &[TicketFieldDef],
    values: &Map<String, Value>,
    typed: Option<&Fields>,
    errors: &[FieldError],
) -> Vec<Input> {
    defs.iter()
        .map(|d| {
            let name = format!("f_{}", d.key);
            let value = match typed {
                Some(f) => f.get(&name).to_string(),
                None => value_text(d, values.get(&d.key)),
            };
            let (kind, hint) = match d.kind {
                TicketFieldKind::Text => ("text", ""),
                TicketFieldKind::RichText => ("rich_text", ""),
                TicketFieldKind::Number => ("number", ""),
                TicketFieldKind::Date => ("date", ""),
                TicketFieldKind::Select => ("select", ""),
                TicketFieldKind::MultiSelect => ("list", tk.multi_hint),
                TicketFieldKind::Cascade => ("list", tk.cascade_hint),
                TicketFieldKind::Attachment => ("attachment", tk.attachments_hint),
            };
            let options = if d.kind == TicketFieldKind::Select {
                std::iter::once(Opt::new("", "—", value.is_empty()))
                    .chain(
                        d.options
                            .iter()
                            .map(|o| Opt::new(o, o.clone(), *o == value)),
                    )
                    .collect()
            } else {
                Vec::new()
            };
            let key = format!("fields.{}", d.key);
            Input {
                error: errors
                    .iter()
                    .filter(|e| e.field == key)
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                name,
                label: d.label.clone(),
                kind,
                required: d.required,
                value,
                options,
                hint,
            }
        })
        .collect()
}

/// What was typed, as the JSON values the API takes (the app checks them).
pub fn values_from(defs: &[TicketFieldDef], f: &Fields) -> Map<String, Value> {
    let mut out = Map::new();
    for d in defs {
        let raw = f.get(&format!("f_{}", d.key));
        let s = if d.kind == TicketFieldKind::RichText {
            raw.trim_end()
        } else {
            raw.trim()
        };
        if s.is_empty() {
            continue;
        }
        let split = |sep: char| {
            Value::from(
                s.split(sep)
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            )
        };
        let v = match d.kind {
            TicketFieldKind::Number => s
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(s.to_string())),
            TicketFieldKind::MultiSelect => split(';'),
            TicketFieldKind::Cascade => split('/'),
            TicketFieldKind::Attachment => split(','),
            _ => Value::String(s.to_string()),
        };
        out.insert(d.key.clone(), v);
    }
    out
}

/// Errors not shown next to a form field, as "field: message" lines.
pub fn other_errors(errors: &[FieldError]) -> Vec<String> {
    errors
        .iter()
        .filter(|e| !e.field.starts_with("fields."))
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    pub type_id: Option<String>,
    pub conversation_id: Option<String>,
    pub customer_id: Option<String>,
}

#[derive(Template)]
#[template(path = "ticket_new.html")]
struct NewTpl {
    c: Chrome,
    tk: &'static TkTr,
    types: Vec<Opt>,
    chosen: bool,
    type_id: String,
    type_name: String,
    conversation_id: String,
    customer_id: String,
    customer_name: String,
    title: String,
    priorities: Vec<Opt>,
    groups: Vec<Opt>,
    due: String,
    inputs: Vec<Input>,
    errors: Vec<String>,
}

async fn new_page(
    app: &App,
    v: &Viewer,
    q: NewQuery,
    typed: Option<&Fields>,
    errors: &[FieldError],
) -> Page {
    let tk = v.lang.tk();
    let fail = |e| v.fail(e);
    let types: Vec<_> = app
        .ticket_types(&v.p)
        .await
        .map_err(fail)?
        .into_iter()
        .filter(|t| t.active)
        .collect();
    let type_id = q.type_id.clone().unwrap_or_default();
    let chosen = types.iter().find(|t| t.id == type_id);
    let conversation_id = q.conversation_id.clone().unwrap_or_default();
    let mut customer_id = q.customer_id.clone().unwrap_or_default();
    if !conversation_id.is_empty() && customer_id.is_empty() {
        if let Ok(c) = app.get_conversation(&v.p, &conversation_id).await {
            customer_id = c.customer_id;
        }
    }
    let customer_name = if customer_id.is_empty() {
        String::new()
    } else {
        app.customer_detail(&v.p, &customer_id)
            .await
            .map(|c| c.customer.name)
            .unwrap_or_default()
    };
    let scope = app.ticket_flow_scope(&v.p).await.map_err(fail)?;
    let typed_group = typed
        .map(|f| f.get("skill_group_id").to_string())
        .unwrap_or_default();
    let c = Chrome::load(app, v, Nav::Tickets, tk.new).await?;
    let t = NewTpl {
        types: types
            .iter()
            .map(|t| Opt::new(&t.id, t.name.clone(), t.id == type_id))
            .collect(),
        chosen: chosen.is_some(),
        type_name: chosen.map(|t| t.name.clone()).unwrap_or_default(),
        inputs: chosen
            .map(|t| inputs(tk, &t.fields, &Map::new(), typed, errors))
            .unwrap_or_default(),
        title: typed
            .map(|f| f.get("title").to_string())
            .unwrap_or_default(),
        priorities: priority_options(
            tk,
            typed
                .map(|f| f.get("priority"))
                .filter(|p| !p.is_empty())
                .or(chosen.map(|t| t.default_priority.as_str()))
                .unwrap_or("normal"),
            false,
        ),
        groups: std::iter::once(Opt::new("", tk.group_default, typed_group.is_empty()))
            .chain(
                scope
                    .skill_groups
                    .iter()
                    .map(|g| Opt::new(&g.id, g.name.clone(), g.id == typed_group)),
            )
            .collect(),
        due: typed.map(|f| f.get("due").to_string()).unwrap_or_default(),
        errors: other_errors(errors),
        type_id,
        conversation_id,
        customer_id,
        customer_name,
        tk,
        c,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page(v, status, &t))
}

/// `GET /tickets/new`: choose a type, then fill in its form.
pub async fn new(State(app): State<App>, v: Viewer, Query(q): Query<NewQuery>) -> Page {
    if !app.can_work_tickets(&v.p) {
        v.require(kefu_domain::Permission::TicketsView)?;
    }
    new_page(&app, &v, q, None, &[]).await
}

/// `POST /tickets/new`: create, then show the ticket; bad values are shown
/// next to their inputs.
pub async fn create(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let q = NewQuery {
        type_id: f.non_blank("type_id"),
        conversation_id: f.non_blank("conversation_id"),
        customer_id: f.non_blank("customer_id"),
    };
    let defs = match &q.type_id {
        Some(id) => app
            .ticket_type(&v.p, id)
            .await
            .map(|t| t.fields)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let mut errors = Vec::new();
    let due = match f.non_blank("due") {
        None => None,
        Some(d) => match date_to_ms(&d) {
            Some(ms) => Some(ms),
            None => {
                errors.push(FieldError::new("due_at", "invalid_date", "YYYY-MM-DD"));
                None
            }
        },
    };
    let input = TicketInput {
        type_id: q.type_id.clone().unwrap_or_default(),
        title: f.get("title").to_string(),
        fields: values_from(&defs, &f),
        customer_id: q.customer_id.clone(),
        conversation_id: None,
        priority: f.non_blank("priority"),
        due_at: due,
        skill_group_id: f.non_blank("skill_group_id"),
        assignee_id: None,
    };
    if !errors.is_empty() {
        return new_page(&app, &v, q, Some(&f), &errors).await;
    }
    let made = match &q.conversation_id {
        Some(c) => app.create_ticket_from_conversation(&v.p, c, input).await,
        None => app.create_ticket(&v.p, input).await,
    };
    match made {
        Ok(k) => Ok(crate::session::see_other(&format!("/tickets/{}", k.id)).into_response()),
        Err(AppError::InvalidFields(errs)) => new_page(&app, &v, q, Some(&f), &errs).await,
        Err(AppError::Refused { message, code }) => {
            let text = crate::messages::error_text(v.lang, &AppError::Refused { code, message });
            new_page(
                &app,
                &v,
                q,
                Some(&f),
                &[FieldError::new("skill_group_id", "refused", text)],
            )
            .await
        }
        Err(e) => Err(v.fail(e).into()),
    }
}

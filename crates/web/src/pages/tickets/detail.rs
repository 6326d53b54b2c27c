//! `/tickets/{id}`: the ticket with its form, the workflow's moves as buttons,
//! replies and internal notes, watchers, hand-over within the flow scope, the
//! history, and the print view and transcript.

use super::form::{inputs, other_errors, values_from, Input};
use super::{date_to_ms, ms_to_date, priority_options};
use crate::fmt::When;
use crate::i18n_tickets::TkTr;
use crate::pages::Opt;
use crate::render::{html, page, Chrome, Nav, Page};
use crate::session::{Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kefu_app::chat::files::FileLink;
use kefu_app::tickets::assign::{AssignInput, TransferInput};
use kefu_app::tickets::records::TicketPatch;
use kefu_app::tickets::work::{CommentInput, TicketDetail, TransitionInput};
use kefu_app::{App, AppError};
use kefu_domain::crm::FieldError;
use kefu_domain::ticket::TicketFieldKind;
use serde_json::Value;

pub struct Move {
    pub to: String,
    pub label: String,
    pub to_label: String,
    pub allowed: bool,
}

pub struct CommentRow {
    pub kind: String,
    pub author: String,
    pub body: String,
    pub at: String,
    pub customer: bool,
}

pub struct ChangeRow {
    pub at: String,
    pub who: String,
    pub field: String,
    pub old: String,
    pub new: String,
}

pub struct FieldView {
    pub label: String,
    pub value: String,
    pub multiline: bool,
}

/// A history value as people read it.
fn show(v: &Option<Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => o
            .get("label")
            .or_else(|| o.get("name"))
            .or_else(|| o.get("title"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| Value::Object(o.clone()).to_string()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join(" / "),
        Some(other) => other.to_string(),
    }
}

fn changes(d: &TicketDetail, tk: &TkTr) -> Vec<ChangeRow> {
    d.history
        .iter()
        .map(|h| {
            let (old, new) = if h.field == "due_at" {
                let date = |v: &Option<Value>| {
                    v.as_ref()
                        .and_then(Value::as_i64)
                        .map(ms_to_date)
                        .unwrap_or_else(|| "—".into())
                };
                (date(&h.old_value), date(&h.new_value))
            } else if h.field == "priority" {
                let p = |v: &Option<Value>| {
                    v.as_ref()
                        .and_then(Value::as_str)
                        .map(|s| tk.priority(s).to_string())
                        .unwrap_or_else(|| "—".into())
                };
                (p(&h.old_value), p(&h.new_value))
            } else {
                (show(&h.old_value), show(&h.new_value))
            };
            ChangeRow {
                at: When::from_ms(h.at).text,
                who: h.actor_name.clone(),
                field: tk.field(&h.field),
                old,
                new,
            }
        })
        .collect()
}

/// The form's values as people read them; attachment ids become file names.
fn field_views(d: &TicketDetail, files: &[FileLink]) -> Vec<FieldView> {
    d.ticket_type
        .fields
        .iter()
        .map(|f| {
            let v = d.ticket.fields.get(&f.key).cloned();
            let value = if f.kind == TicketFieldKind::Attachment {
                let ids =
                    kefu_domain::ticket::attachments_in(std::slice::from_ref(f), &d.ticket.fields);
                let names: Vec<&str> = ids
                    .iter()
                    .map(|id| {
                        files
                            .iter()
                            .find(|l| &l.id == id)
                            .map_or(id.as_str(), |l| l.name.as_str())
                    })
                    .collect();
                if names.is_empty() {
                    "—".into()
                } else {
                    names.join(", ")
                }
            } else {
                show(&v)
            };
            FieldView {
                label: f.label.clone(),
                value,
                multiline: f.kind == TicketFieldKind::RichText,
            }
        })
        .collect()
}

/// The files in the ticket's attachment fields, as download links. Only called
/// after `ticket_detail` let the viewer see the ticket.
async fn ticket_files(app: &App, v: &Viewer, d: &TicketDetail) -> Vec<FileLink> {
    let ids = kefu_domain::ticket::attachments_in(&d.ticket_type.fields, &d.ticket.fields);
    if ids.is_empty() {
        return Vec::new();
    }
    app.file_links(&v.p.tenant, &ids).await.unwrap_or_default()
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct DetailTpl {
    c: Chrome,
    tk: &'static TkTr,
    id: String,
    number: i64,
    title: String,
    type_name: String,
    status: String,
    category: String,
    category_label: &'static str,
    priority_label: &'static str,
    priority: String,
    assignee: String,
    assigned_to_me: bool,
    group: String,
    customer: String,
    conversation_id: String,
    source: &'static str,
    created_by: String,
    created_at: String,
    due: String,
    fields: Vec<FieldView>,
    /// Files of the attachment fields, as download links.
    files: Vec<FileLink>,
    moves: Vec<Move>,
    comments: Vec<CommentRow>,
    history: Vec<ChangeRow>,
    watchers: Vec<String>,
    watching: bool,
    may_work: bool,
    open: bool,
    me: String,
    edit_title: String,
    edit_due: String,
    edit_priorities: Vec<Opt>,
    edit_inputs: Vec<Input>,
    edit_errors: Vec<String>,
    targets: Vec<Opt>,
    /// SLA (the SLA branch): clocks, the customer's link and survey answer.
    sla: Vec<crate::pages::sla_view::SlaLine>,
    progress_path: String,
    survey: Option<(i64, String)>,
}

async fn detail_page(
    app: &App,
    v: &Viewer,
    id: &str,
    error: Option<String>,
    typed: Option<&Fields>,
    errors: &[FieldError],
) -> Page {
    let tk = v.lang.tk();
    let fail = |e| v.fail(e);
    let d = app.ticket_detail(&v.p, id).await.map_err(fail)?;
    let scope = app.ticket_flow_scope(&v.p).await.map_err(fail)?;
    let files = ticket_files(app, v, &d).await;
    let title = format!("#{} {}", d.ticket.number, d.ticket.title);
    let mut c = Chrome::load(app, v, Nav::Tickets, &title).await?;
    if let Some(e) = error {
        c = c.with_error(e);
    }
    let k = &d.ticket;
    let progress_path = app
        .progress_link(&v.p, &k.id)
        .await
        .map(|l| l.path)
        .unwrap_or_default();
    let t = DetailTpl {
        sla: crate::pages::sla_view::sla_lines(v.lang, &d.sla),
        progress_path,
        survey: d.survey.as_ref().map(|s| (s.rating, s.comment.clone())),
        tk,
        id: k.id.clone(),
        number: k.number,
        title: k.title.clone(),
        type_name: k.type_name.clone(),
        status: d.status_label.clone(),
        category: k.status_category.clone(),
        category_label: tk.category(&k.status_category),
        priority_label: tk.priority(&k.priority),
        priority: k.priority.clone(),
        assignee: k
            .assignee_name
            .clone()
            .unwrap_or_else(|| tk.unassigned.to_string()),
        assigned_to_me: k.assignee_id.as_deref() == Some(v.user_id()),
        group: k.skill_group_name.clone().unwrap_or_default(),
        customer: k
            .customer_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "—".into()),
        conversation_id: k.conversation_id.clone().unwrap_or_default(),
        source: tk.source(&k.source),
        created_by: k.created_by_name.clone(),
        created_at: When::from_ms(k.created_at).text,
        due: k.due_at.map(ms_to_date).unwrap_or_default(),
        fields: field_views(&d, &files),
        files,
        moves: d
            .transitions
            .iter()
            .map(|m| Move {
                to: m.to.clone(),
                label: m.label.clone(),
                to_label: m.to_label.clone(),
                allowed: m.allowed,
            })
            .collect(),
        comments: d
            .comments
            .iter()
            .map(|c| CommentRow {
                kind: c.kind.clone(),
                author: c.author_name.clone(),
                body: c.body.clone(),
                at: When::from_ms(c.created_at).text,
                customer: c.author_type == "customer",
            })
            .collect(),
        history: changes(&d, tk),
        watchers: d.watchers.iter().map(|w| w.display_name.clone()).collect(),
        watching: d.watching,
        may_work: d.may_work,
        open: k.status_category == "open",
        me: v.user_id().to_string(),
        edit_title: typed
            .map(|f| f.get("title").to_string())
            .unwrap_or_else(|| k.title.clone()),
        edit_due: typed
            .map(|f| f.get("due").to_string())
            .unwrap_or_else(|| k.due_at.map(ms_to_date).unwrap_or_default()),
        edit_priorities: priority_options(
            tk,
            typed.map(|f| f.get("priority")).unwrap_or(&k.priority),
            false,
        ),
        edit_inputs: inputs(tk, &d.ticket_type.fields, &k.fields, typed, errors),
        edit_errors: other_errors(errors),
        targets: scope
            .skill_groups
            .iter()
            .filter(|g| Some(&g.id) != k.skill_group_id.as_ref())
            .map(|g| Opt::new(&g.id, g.name.clone(), false))
            .collect(),
        c,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page(v, status, &t))
}

/// `GET /tickets/{id}`
pub async fn show_page(State(app): State<App>, v: Viewer, Path(id): Path<String>) -> Page {
    detail_page(&app, &v, &id, None, None, &[]).await
}

/// After an action: back to the ticket, or the ticket again with the reason
/// it was refused (a rule's refusal is explained, not an error page).
async fn after<T>(app: &App, v: &Viewer, id: &str, r: Result<T, AppError>, flash: Flash) -> Page {
    match r {
        Ok(_) => Ok(v.done(&format!("/tickets/{id}"), flash)),
        Err(AppError::InvalidFields(errs)) => {
            let text = errs
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            let msg = format!("{} {text}", v.lang.tk().invalid_fields);
            detail_page(app, v, id, Some(msg), None, &[]).await
        }
        Err(
            e @ (AppError::Conflict { .. }
            | AppError::Refused { .. }
            | AppError::NotAllowed(_)
            | AppError::Validation(_)
            | AppError::Forbidden(_)),
        ) => {
            let msg = crate::messages::error_text(v.lang, &e);
            detail_page(app, v, id, Some(msg), None, &[]).await
        }
        Err(e) => Err(v.fail(e).into()),
    }
}

/// `POST /tickets/{id}/transition`
pub async fn transition(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    let r = app
        .transition_ticket(
            &v.p,
            &id,
            TransitionInput {
                to: f.get("to").to_string(),
                note: f.get("note").to_string(),
            },
        )
        .await;
    after(&app, &v, &id, r, Flash::Saved).await
}

/// `POST /tickets/{id}/comments`
pub async fn comment(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let r = app
        .comment_ticket(
            &v.p,
            &id,
            CommentInput {
                kind: f.get("kind").to_string(),
                body: f.get("body").to_string(),
                attachments: Vec::new(),
            },
        )
        .await;
    after(&app, &v, &id, r, Flash::Created).await
}

/// `POST /tickets/{id}/watch` (and `/unwatch`): oneself.
pub async fn watch(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let r = app.watch_ticket(&v.p, &id, v.user_id()).await;
    after(&app, &v, &id, r, Flash::Saved).await
}

pub async fn unwatch(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let r = app.unwatch_ticket(&v.p, &id, v.user_id()).await;
    after(&app, &v, &id, r, Flash::Saved).await
}

/// `POST /tickets/{id}/assign-me`
pub async fn assign_me(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    let r = app
        .assign_ticket(
            &v.p,
            &id,
            AssignInput {
                assignee_id: Some(v.user_id().to_string()),
            },
        )
        .await;
    after(&app, &v, &id, r, Flash::Saved).await
}

/// `POST /tickets/{id}/transfer`: within the flow scope of my groups.
pub async fn transfer(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    let r = app
        .transfer_ticket(
            &v.p,
            &id,
            TransferInput {
                skill_group_id: f.get("skill_group_id").to_string(),
                note: f.get("note").to_string(),
            },
        )
        .await;
    after(&app, &v, &id, r, Flash::Saved).await
}

/// `POST /tickets/{id}/edit`: title, priority, due date and the form.
pub async fn edit(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let d = app.ticket_detail(&v.p, &id).await.map_err(|e| v.fail(e))?;
    let due = match f.non_blank("due") {
        None => Some(None),
        Some(s) => match date_to_ms(&s) {
            Some(ms) => Some(Some(ms)),
            None => {
                let e = [FieldError::new("due_at", "invalid_date", "YYYY-MM-DD")];
                return detail_page(&app, &v, &id, None, Some(&f), &e).await;
            }
        },
    };
    let patch = TicketPatch {
        title: Some(f.get("title").to_string()),
        fields: Some(values_from(&d.ticket_type.fields, &f)),
        priority: f.non_blank("priority"),
        due_at: due,
        customer_id: None,
    };
    match app.update_ticket(&v.p, &id, patch).await {
        Err(AppError::InvalidFields(errs)) => {
            detail_page(&app, &v, &id, None, Some(&f), &errs).await
        }
        r => after(&app, &v, &id, r, Flash::Saved).await,
    }
}

#[derive(Template)]
#[template(path = "ticket_print.html")]
struct PrintTpl {
    c: crate::render::Bare,
    tk: &'static TkTr,
    number: i64,
    title: String,
    type_name: String,
    status: String,
    priority_label: &'static str,
    assignee: String,
    group: String,
    customer: String,
    source: &'static str,
    created_by: String,
    created_at: String,
    due: String,
    fields: Vec<FieldView>,
    comments: Vec<CommentRow>,
    history: Vec<ChangeRow>,
    printed_at: String,
}

/// `GET /tickets/{id}/print`: a clean page for paper — no navigation, no
/// buttons, public replies and internal notes marked as such.
pub async fn print(State(app): State<App>, v: Viewer, Path(id): Path<String>) -> Page {
    let tk = v.lang.tk();
    let d = app.ticket_detail(&v.p, &id).await.map_err(|e| v.fail(e))?;
    let files = ticket_files(&app, &v, &d).await;
    let k = &d.ticket;
    let t = PrintTpl {
        c: crate::render::Bare::new(v.lang, &format!("#{} {}", k.number, k.title)),
        tk,
        number: k.number,
        title: k.title.clone(),
        type_name: k.type_name.clone(),
        status: d.status_label.clone(),
        priority_label: tk.priority(&k.priority),
        assignee: k
            .assignee_name
            .clone()
            .unwrap_or_else(|| tk.unassigned.to_string()),
        group: k.skill_group_name.clone().unwrap_or_default(),
        customer: k
            .customer_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "—".into()),
        source: tk.source(&k.source),
        created_by: k.created_by_name.clone(),
        created_at: When::from_ms(k.created_at).text,
        due: k.due_at.map(ms_to_date).unwrap_or_default(),
        fields: field_views(&d, &files),
        comments: d
            .comments
            .iter()
            .map(|c| CommentRow {
                kind: c.kind.clone(),
                author: c.author_name.clone(),
                body: c.body.clone(),
                at: When::from_ms(c.created_at).text,
                customer: c.author_type == "customer",
            })
            .collect(),
        history: changes(&d, tk),
        printed_at: When::from_ms(kefu_store::now_ms()).text,
    };
    let mut r = html(StatusCode::OK, &t);
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

pub struct Line {
    pub who: String,
    pub text: String,
    pub at: String,
    pub private: bool,
    pub system: bool,
}

#[derive(Template)]
#[template(path = "ticket_transcript.html")]
struct TranscriptTpl {
    c: Chrome,
    tk: &'static TkTr,
    id: String,
    number: i64,
    lines: Vec<Line>,
}

/// `GET /tickets/{id}/transcript`: the conversation the ticket came from.
pub async fn transcript(State(app): State<App>, v: Viewer, Path(id): Path<String>) -> Page {
    let tk = v.lang.tk();
    let k = app.ticket(&v.p, &id).await.map_err(|e| v.fail(e))?;
    let events = app
        .ticket_transcript(&v.p, &id)
        .await
        .map_err(|e| v.fail(e))?;
    let c = Chrome::load(&app, &v, Nav::Tickets, tk.transcript_title).await?;
    let lines = events
        .iter()
        .map(|e| {
            let text = e
                .body
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    e.body
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .or_else(|| {
                    e.body
                        .get("event")
                        .and_then(Value::as_str)
                        .map(|s| format!("[{s}]"))
                })
                .unwrap_or_default();
            Line {
                who: if e.sender_name.is_empty() {
                    e.sender.clone()
                } else {
                    e.sender_name.clone()
                },
                text,
                at: When::from_ms(e.at).text,
                private: e.private,
                system: e.kind == "system",
            }
        })
        .collect();
    let t = TranscriptTpl {
        c,
        tk,
        id: k.id,
        number: k.number,
        lines,
    };
    Ok(page(&v, StatusCode::OK, &t))
}

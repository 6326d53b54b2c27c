//! `/admin/ticket-types` (工单模板): administrators define each type's form and
//! workflow as JSON (with the standard workflow as the starting point), its
//! skill group and default priority.

use super::priority_options;
use crate::i18n_tickets::TkTr;
use crate::pages::Opt;
use crate::render::{page, Chrome, Nav, Page};
use crate::session::{Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kefu_app::tickets::types::TicketTypeInput;
use kefu_app::{App, AppError};
use kefu_domain::ticket::Workflow;
use kefu_domain::Permission;

pub struct TypeRow {
    pub id: String,
    pub name: String,
    pub group: String,
    pub priority: &'static str,
    pub shape: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "ticket_types.html")]
struct TypesTpl {
    c: Chrome,
    tk: &'static TkTr,
    rows: Vec<TypeRow>,
    editing: String,
    name: String,
    description: String,
    fields: String,
    workflow: String,
    groups: Vec<Opt>,
    priorities: Vec<Opt>,
    active: bool,
    errors: Vec<String>,
}

/// What the form holds (a type being edited, or what was typed).
#[derive(Default)]
struct Form {
    editing: String,
    name: String,
    description: String,
    fields: String,
    workflow: String,
    group: String,
    priority: String,
    active: bool,
}

fn pretty<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

async fn types_page(app: &App, v: &Viewer, form: Form, errors: Vec<String>) -> Page {
    v.require(Permission::TicketTypesManage)?;
    let tk = v.lang.tk();
    let fail = |e| v.fail(e);
    let types = app.ticket_types(&v.p).await.map_err(fail)?;
    let groups = app.list_skill_groups(&v.p).await.map_err(fail)?;
    let c = Chrome::load(app, v, Nav::TicketTypes, tk.types_title).await?;
    let t = TypesTpl {
        rows: types
            .iter()
            .map(|t| TypeRow {
                id: t.id.clone(),
                name: t.name.clone(),
                group: groups
                    .iter()
                    .find(|g| Some(&g.id) == t.skill_group_id.as_ref())
                    .map(|g| g.name.clone())
                    .unwrap_or_default(),
                priority: tk.priority(&t.default_priority),
                shape: format!(
                    "{} / {}",
                    t.workflow.statuses.len(),
                    t.workflow.transitions.len()
                ),
                active: t.active,
            })
            .collect(),
        groups: std::iter::once(Opt::new("", "—", form.group.is_empty()))
            .chain(
                groups
                    .iter()
                    .map(|g| Opt::new(&g.id, g.name.clone(), g.id == form.group)),
            )
            .collect(),
        priorities: priority_options(
            tk,
            if form.priority.is_empty() {
                "normal"
            } else {
                &form.priority
            },
            false,
        ),
        editing: form.editing,
        name: form.name,
        description: form.description,
        fields: if form.fields.is_empty() {
            "[]".into()
        } else {
            form.fields
        },
        workflow: if form.workflow.is_empty() {
            pretty(&Workflow::standard(v.lang.is_zh()))
        } else {
            form.workflow
        },
        active: form.active,
        errors,
        tk,
        c,
    };
    let status = if t.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page(v, status, &t))
}

/// `GET /admin/ticket-types`
pub async fn index(State(app): State<App>, v: Viewer) -> Page {
    types_page(
        &app,
        &v,
        Form {
            active: true,
            ..Form::default()
        },
        Vec::new(),
    )
    .await
}

/// `GET /admin/ticket-types/{id}`: the list with this type in the form.
pub async fn edit(State(app): State<App>, v: Viewer, Path(id): Path<String>) -> Page {
    v.require(Permission::TicketTypesManage)?;
    let t = app.ticket_type(&v.p, &id).await.map_err(|e| v.fail(e))?;
    let form = Form {
        editing: t.id.clone(),
        name: t.name.clone(),
        description: t.description.clone(),
        fields: pretty(&t.fields),
        workflow: pretty(&t.workflow),
        group: t.skill_group_id.clone().unwrap_or_default(),
        priority: t.default_priority.clone(),
        active: t.active,
    };
    types_page(&app, &v, form, Vec::new()).await
}

fn posted(editing: &str, f: &Fields) -> Form {
    Form {
        editing: editing.to_string(),
        name: f.get("name").to_string(),
        description: f.get("description").to_string(),
        fields: f.get("fields").to_string(),
        workflow: f.get("workflow").to_string(),
        group: f.get("skill_group_id").to_string(),
        priority: f.get("default_priority").to_string(),
        active: f.checked("active"),
    }
}

/// The form as the API's input, or the JSON errors to show.
fn input(tk: &TkTr, f: &Fields) -> Result<TicketTypeInput, Vec<String>> {
    let mut errs = Vec::new();
    let bad = |field: &str, e: serde_json::Error| {
        tk.bad_json
            .replace("{field}", field)
            .replace("{msg}", &e.to_string())
    };
    let fields = match f.get("fields").trim() {
        "" => Vec::new(),
        s => serde_json::from_str(s).unwrap_or_else(|e| {
            errs.push(bad(tk.type_fields, e));
            Vec::new()
        }),
    };
    let workflow = match f.get("workflow").trim() {
        "" => None,
        s => match serde_json::from_str(s) {
            Ok(w) => Some(w),
            Err(e) => {
                errs.push(bad(tk.type_workflow, e));
                None
            }
        },
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(TicketTypeInput {
        name: f.get("name").to_string(),
        description: f.get("description").to_string(),
        fields,
        workflow,
        skill_group_id: f.non_blank("skill_group_id"),
        default_priority: f.non_blank("default_priority"),
        active: f.checked("active"),
    })
}

async fn save(app: &App, v: &Viewer, id: Option<&str>, f: &Fields) -> Page {
    v.check_csrf(app, f)?;
    let tk = v.lang.tk();
    let form = posted(id.unwrap_or(""), f);
    let input = match input(tk, f) {
        Ok(i) => i,
        Err(errs) => return types_page(app, v, form, errs).await,
    };
    let r = match id {
        Some(id) => app.update_ticket_type(&v.p, id, input).await.map(|_| ()),
        None => app.create_ticket_type(&v.p, input).await.map(|_| ()),
    };
    match r {
        Ok(()) => Ok(v.done(
            "/admin/ticket-types",
            if id.is_some() {
                Flash::Saved
            } else {
                Flash::Created
            },
        )),
        Err(AppError::InvalidFields(errs)) => {
            let lines = errs
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            types_page(app, v, form, lines).await
        }
        Err(e @ (AppError::Conflict { .. } | AppError::Validation(_))) => {
            let msg = crate::messages::error_text(v.lang, &e);
            types_page(app, v, form, vec![msg]).await
        }
        Err(e) => Err(v.fail(e).into()),
    }
}

/// `POST /admin/ticket-types`
pub async fn create(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    save(&app, &v, None, &f).await
}

/// `POST /admin/ticket-types/{id}`
pub async fn update(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    save(&app, &v, Some(&id), &f).await
}

/// `POST /admin/ticket-types/{id}/delete`
pub async fn delete(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    match app.delete_ticket_type(&v.p, &id).await {
        Ok(()) => Ok(v.done("/admin/ticket-types", Flash::Deleted)),
        Err(e @ AppError::Conflict { .. }) => {
            let msg = crate::messages::error_text(v.lang, &e);
            types_page(
                &app,
                &v,
                Form {
                    active: true,
                    ..Form::default()
                },
                vec![msg],
            )
            .await
        }
        Err(e) => Err(v.fail(e).into()),
    }
}

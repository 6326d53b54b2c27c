//! Roles: the built-in ones shown read-only, custom ones made of named
//! permissions with checkboxes.

use super::role_label;
use crate::render::{page, Chrome, FormError, Nav, Page};
use crate::session::{Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Path, State};
use kefu_app::roles::RoleInput;
use kefu_app::App;
use kefu_domain::Permission;

const FIELDS: &[&str] = &["name", "permissions"];

pub struct Check {
    key: &'static str,
    label: &'static str,
    checked: bool,
}

fn checks(v: &Viewer, held: &[String]) -> Vec<Check> {
    Permission::ALL
        .iter()
        .map(|p| Check {
            key: p.key(),
            label: p.label(v.lang.is_zh()),
            checked: held.iter().any(|k| k == p.key()),
        })
        .collect()
}

pub struct RoleRow {
    id: String,
    name: String,
    description: String,
    builtin: bool,
    perms: Vec<&'static str>,
    edit_name: String,
    edit_description: String,
    checks: Vec<Check>,
}

#[derive(Template)]
#[template(path = "roles.html")]
struct RolesTpl {
    c: Chrome,
    rows: Vec<RoleRow>,
    err: FormError,
    create_name: String,
    create_description: String,
    create_checks: Vec<Check>,
}

/// What was typed into a failed form ("create" or a role's id).
#[derive(Default)]
struct Posted {
    form: String,
    name: String,
    description: String,
    permissions: Vec<String>,
}

impl Posted {
    fn from(form: &str, f: &Fields) -> Posted {
        Posted {
            form: form.to_string(),
            name: f.get("name").to_string(),
            description: f.get("description").to_string(),
            permissions: f.all("permissions"),
        }
    }
}

async fn roles_page(app: &App, v: &Viewer, posted: Posted, err: FormError) -> Page {
    v.require(Permission::RolesManage)?;
    let roles = app.list_roles(&v.p).await.map_err(|e| v.fail(e))?;
    let c = Chrome::load(app, v, Nav::Roles, v.lang.tr().roles_title).await?;
    let zh = v.lang.is_zh();
    let rows = roles
        .iter()
        .map(|r| {
            let mine = posted.form == r.id;
            RoleRow {
                id: r.id.clone(),
                name: role_label(r, v.lang),
                // Built-in roles store their Chinese name as the description;
                // it would only repeat the (translated) name.
                description: if r.builtin.is_some() {
                    String::new()
                } else {
                    r.description.clone()
                },
                builtin: r.builtin.is_some(),
                perms: r
                    .permissions
                    .iter()
                    .filter_map(|k| Permission::parse(k))
                    .map(|p| p.label(zh))
                    .collect(),
                edit_name: if mine {
                    posted.name.clone()
                } else {
                    r.name.clone()
                },
                edit_description: if mine {
                    posted.description.clone()
                } else {
                    r.description.clone()
                },
                checks: checks(
                    v,
                    if mine {
                        &posted.permissions
                    } else {
                        &r.permissions
                    },
                ),
            }
        })
        .collect();
    let create = posted.form == "create";
    let t = RolesTpl {
        rows,
        create_name: if create {
            posted.name.clone()
        } else {
            String::new()
        },
        create_description: if create {
            posted.description.clone()
        } else {
            String::new()
        },
        create_checks: checks(v, if create { &posted.permissions } else { &[] }),
        err,
        c,
    };
    Ok(page(v, t.err.status(), &t))
}

fn input(f: &Fields) -> RoleInput {
    RoleInput {
        name: f.get("name").to_string(),
        permissions: f.all("permissions"),
        description: f.get("description").to_string(),
    }
}

/// `GET /admin/roles`
pub async fn index(State(app): State<App>, v: Viewer) -> Page {
    roles_page(&app, &v, Posted::default(), FormError::none()).await
}

/// `POST /admin/roles`
pub async fn create(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    match app.create_role(&v.p, input(&f)).await {
        Ok(_) => Ok(v.done("/admin/roles", Flash::Created)),
        Err(e) => {
            let err = v.form_error("create", e, FIELDS)?;
            roles_page(&app, &v, Posted::from("create", &f), err).await
        }
    }
}

/// `POST /admin/roles/{id}`
pub async fn update(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    match app.update_role(&v.p, &id, input(&f)).await {
        Ok(_) => Ok(v.done("/admin/roles", Flash::Saved)),
        Err(e) => {
            let err = v.form_error(&id, e, FIELDS)?;
            roles_page(&app, &v, Posted::from(&id, &f), err).await
        }
    }
}

/// `POST /admin/roles/{id}/delete`
pub async fn delete(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    match app.delete_role(&v.p, &id).await {
        Ok(()) => Ok(v.done("/admin/roles", Flash::Deleted)),
        Err(e) => {
            let err = v.form_error(&id, e, &[])?;
            roles_page(&app, &v, Posted::default(), err).await
        }
    }
}

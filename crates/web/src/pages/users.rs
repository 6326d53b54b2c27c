//! Users and agents: the list with a create form, and one user's edit page
//! (details, unlock, reception status, delete).

use super::{org::dept_options, role_label, Opt};
use crate::fmt::When;
use crate::render::{page, Chrome, FormError, Nav, Page};
use crate::session::{safe_local_path, Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Path, State};
use kefu_app::users::{CreateUser, UpdateUser};
use kefu_app::App;
use kefu_domain::{BuiltinRole, Permission};
use kefu_store::{now_ms, Role, User};

const CREATE_FIELDS: &[&str] = &[
    "username",
    "display_name",
    "email",
    "password",
    "role_id",
    "department_id",
    "reception_limit",
    "ticket_limit",
    "sip_extension",
];
const EDIT_FIELDS: &[&str] = &[
    "display_name",
    "email",
    "role_id",
    "department_id",
    "reception_limit",
    "ticket_limit",
    "sip_extension",
    "locale",
    "password",
];

/// The values of the create or edit form (never the password).
#[derive(Debug, Default, Clone)]
pub struct UserForm {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role_id: String,
    pub department_id: String,
    pub reception_limit: String,
    pub ticket_limit: String,
    pub sip_extension: String,
    pub locale: String,
    pub active: bool,
}

impl UserForm {
    fn blank() -> UserForm {
        UserForm {
            reception_limit: "5".into(),
            ticket_limit: "10".into(),
            active: true,
            ..UserForm::default()
        }
    }

    fn from_fields(f: &Fields) -> UserForm {
        UserForm {
            username: f.get("username").trim().to_string(),
            display_name: f.get("display_name").to_string(),
            email: f.get("email").trim().to_string(),
            role_id: f.get("role_id").to_string(),
            department_id: f.get("department_id").to_string(),
            reception_limit: f.get("reception_limit").trim().to_string(),
            ticket_limit: f.get("ticket_limit").trim().to_string(),
            sip_extension: f.get("sip_extension").trim().to_string(),
            locale: f.get("locale").to_string(),
            active: f.checked("active"),
        }
    }

    fn from_user(u: &User) -> UserForm {
        UserForm {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone().unwrap_or_default(),
            role_id: u.role_id.clone(),
            department_id: u.department_id.clone().unwrap_or_default(),
            reception_limit: u.reception_limit.to_string(),
            ticket_limit: u.ticket_limit.to_string(),
            sip_extension: u.sip_extension.clone().unwrap_or_default(),
            locale: u.locale.clone().unwrap_or_default(),
            active: u.active,
        }
    }
}

fn role_options(roles: &[Role], selected: &str, v: &Viewer) -> Vec<Opt> {
    // A new user defaults to the agent role, the common case.
    let default_agent = selected.is_empty();
    roles
        .iter()
        .map(|r| {
            let sel = if default_agent {
                r.builtin.as_deref() == Some(BuiltinRole::Agent.key())
            } else {
                r.id == selected
            };
            Opt::new(&r.id, role_label(r, v.lang), sel)
        })
        .collect()
}

pub struct UserRow {
    id: String,
    username: String,
    display_name: String,
    role: String,
    department: String,
    reception_limit: i64,
    ticket_limit: i64,
    status: String,
    /// Empty unless locked now.
    locked_until: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersTpl {
    c: Chrome,
    rows: Vec<UserRow>,
    can_manage: bool,
    form: UserForm,
    err: FormError,
    role_opts: Vec<Opt>,
    dept_opts: Vec<Opt>,
}

async fn list_page(app: &App, v: &Viewer, form: UserForm, err: FormError) -> Page {
    let fail = |e| v.fail(e);
    let users = app.list_users(&v.p).await.map_err(fail)?;
    let roles = app.list_roles(&v.p).await.map_err(fail)?;
    let depts = app.list_departments(&v.p).await.map_err(fail)?;
    let c = Chrome::load(app, v, Nav::Users, v.lang.tr().users_title).await?;
    let now = now_ms();
    let rows = users
        .iter()
        .map(|u| UserRow {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: roles
                .iter()
                .find(|r| r.id == u.role_id)
                .map(|r| role_label(r, v.lang))
                .unwrap_or_default(),
            department: depts
                .iter()
                .find(|d| Some(&d.id) == u.department_id.as_ref())
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            reception_limit: u.reception_limit,
            ticket_limit: u.ticket_limit,
            status: c
                .statuses
                .iter()
                .find(|s| Some(&s.id) == u.status_id.as_ref())
                .map(|s| s.name.clone())
                .unwrap_or_else(|| v.lang.tr().status_unset.to_string()),
            locked_until: u
                .locked_until
                .filter(|t| *t > now)
                .map(|t| When::from_ms(t).text)
                .unwrap_or_default(),
            active: u.active,
        })
        .collect();
    let t = UsersTpl {
        rows,
        can_manage: v.p.can(Permission::UsersManage),
        role_opts: role_options(&roles, &form.role_id, v),
        dept_opts: dept_options(&depts, &form.department_id, v.lang),
        form,
        err,
        c,
    };
    Ok(page(v, t.err.status(), &t))
}

/// `GET /admin/users`
pub async fn index(State(app): State<App>, v: Viewer) -> Page {
    list_page(&app, &v, UserForm::blank(), FormError::none()).await
}

/// A limit field: blank means "the default" (create) or "keep" (edit).
fn parse_limit(f: &Fields, field: &'static str) -> Result<Option<i64>, kefu_app::AppError> {
    match f.non_blank(field) {
        None => Ok(None),
        Some(_) => f.int(field, field).map(Some),
    }
}

/// `POST /admin/users`
pub async fn create(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let form = UserForm::from_fields(&f);
    let limits = parse_limit(&f, "reception_limit")
        .and_then(|r| parse_limit(&f, "ticket_limit").map(|t| (r, t)));
    let result = match limits {
        Err(e) => Err(e),
        Ok((limit, ticket_limit)) => {
            app.create_user(
                &v.p,
                CreateUser {
                    username: form.username.clone(),
                    password: f.get("password").to_string(),
                    display_name: form.display_name.clone(),
                    email: Some(form.email.clone()),
                    role_id: form.role_id.clone(),
                    department_id: Some(form.department_id.clone()),
                    reception_limit: limit,
                    ticket_limit,
                    sip_extension: Some(form.sip_extension.clone()),
                    locale: None,
                },
            )
            .await
        }
    };
    match result {
        Ok(_) => Ok(v.done("/admin/users", Flash::Created)),
        Err(e) => {
            let err = v.form_error("create", e, CREATE_FIELDS)?;
            list_page(&app, &v, form, err).await
        }
    }
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserTpl {
    c: Chrome,
    id: String,
    username: String,
    form: UserForm,
    err: FormError,
    status: String,
    totp: bool,
    created: When,
    locked: Option<When>,
    groups: Vec<String>,
    can_manage: bool,
    can_set_status: bool,
    can_delete: bool,
    role_opts: Vec<Opt>,
    dept_opts: Vec<Opt>,
    locale_opts: Vec<Opt>,
    status_opts: Vec<Opt>,
}

/// The edit page; `posted` keeps what was typed when a save failed.
async fn edit_page(
    app: &App,
    v: &Viewer,
    id: &str,
    posted: Option<UserForm>,
    err: FormError,
) -> Page {
    let fail = |e| v.fail(e);
    let user = app.get_user(&v.p, id).await.map_err(fail)?;
    let roles = app.list_roles(&v.p).await.map_err(fail)?;
    let depts = app.list_departments(&v.p).await.map_err(fail)?;
    let groups = app
        .groups_of_user(&v.p, &user.id)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|(g, level)| format!("{} · {level}", g.name))
        .collect();
    let title = format!("{} · {}", v.lang.tr().edit_user, user.username);
    let c = Chrome::load(app, v, Nav::Users, &title).await?;
    let form = posted.unwrap_or_else(|| UserForm::from_user(&user));
    let tr = v.lang.tr();
    let locale_opts = vec![
        Opt::new("", tr.locale_auto, form.locale.is_empty()),
        Opt::new("zh-CN", "中文 (zh-CN)", form.locale == "zh-CN"),
        Opt::new("en", "English (en)", form.locale == "en"),
    ];
    let status = c
        .statuses
        .iter()
        .find(|s| Some(&s.id) == user.status_id.as_ref())
        .map(|s| s.name.clone())
        .unwrap_or_else(|| tr.status_unset.to_string());
    let status_opts = c
        .statuses
        .iter()
        .map(|s| {
            Opt::new(
                &s.id,
                s.name.clone(),
                Some(&s.id) == user.status_id.as_ref(),
            )
        })
        .collect();
    let own = v.p.is_user(&user.id);
    let can_manage = v.p.can(Permission::UsersManage);
    let t = UserTpl {
        id: user.id.clone(),
        username: user.username.clone(),
        status,
        totp: user.totp_enabled,
        created: When::from_ms(user.created_at),
        locked: When::opt(user.locked_until.filter(|t| *t > now_ms())),
        groups,
        can_manage,
        can_set_status: own || v.p.can(Permission::AgentStatusManage),
        can_delete: can_manage && !own,
        role_opts: role_options(&roles, &form.role_id, v),
        dept_opts: dept_options(&depts, &form.department_id, v.lang),
        locale_opts,
        status_opts,
        form,
        err,
        c,
    };
    Ok(page(v, t.err.status(), &t))
}

/// `GET /admin/users/{id}`
pub async fn edit(State(app): State<App>, v: Viewer, Path(id): Path<String>) -> Page {
    edit_page(&app, &v, &id, None, FormError::none()).await
}

/// `POST /admin/users/{id}`
pub async fn update(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let form = UserForm::from_fields(&f);
    let limits = f
        .int("reception_limit", "reception_limit")
        .and_then(|r| parse_limit(&f, "ticket_limit").map(|t| (r, t)));
    let result = match limits {
        Err(e) => Err(e),
        Ok((limit, ticket_limit)) => {
            let input = UpdateUser {
                display_name: Some(form.display_name.clone()),
                email: Some(Some(form.email.clone())),
                role_id: Some(form.role_id.clone()),
                department_id: Some(Some(form.department_id.clone())),
                reception_limit: Some(limit),
                ticket_limit,
                sip_extension: Some(Some(form.sip_extension.clone())),
                locale: Some(Some(form.locale.clone())),
                active: Some(form.active),
                // Blank means "keep"; passwords are taken as typed, untrimmed.
                password: f
                    .opt("password")
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            };
            app.update_user(&v.p, &id, input).await
        }
    };
    match result {
        Ok(u) => Ok(v.done(&format!("/admin/users/{}", u.id), Flash::Saved)),
        Err(e) => {
            let err = v.form_error("edit", e, EDIT_FIELDS)?;
            let mut form = form;
            form.username = String::new();
            edit_page(&app, &v, &id, Some(form), err).await
        }
    }
}

/// `POST /admin/users/{id}/unlock`
pub async fn unlock(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    app.unlock_user(&v.p, &id).await.map_err(|e| v.fail(e))?;
    let back = safe_local_path(f.get("back"))
        .map(str::to_string)
        .unwrap_or_else(|| format!("/admin/users/{id}"));
    Ok(v.done(&back, Flash::Unlocked))
}

/// `POST /admin/users/{id}/delete`
pub async fn delete(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    match app.delete_user(&v.p, &id).await {
        Ok(()) => Ok(v.done_elsewhere("/admin/users", Flash::Deleted)),
        Err(e) => {
            let err = v.form_error("delete", e, &[])?;
            edit_page(&app, &v, &id, None, err).await
        }
    }
}

/// `POST /admin/users/{id}/status`: a team lead sets an agent's status.
pub async fn set_status(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    match app.set_agent_status(&v.p, &id, f.get("status_id")).await {
        Ok(_) => Ok(v.done(&format!("/admin/users/{id}"), Flash::Status)),
        Err(e) => {
            let err = v.form_error("status", e, &[])?;
            edit_page(&app, &v, &id, None, err).await
        }
    }
}

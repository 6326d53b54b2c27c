//! The tenant's reception statuses (接待状态): name, whether an agent in it can
//! receive new work, and the order they appear in the switcher.

use crate::render::{page, Chrome, FormError, Nav, Page};
use crate::session::{Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Path, State};
use kefu_app::statuses::StatusInput;
use kefu_app::{App, AppError};
use kefu_domain::Permission;

const FIELDS: &[&str] = &["name", "sort_order"];

pub struct StatusRow {
    id: String,
    name: String,
    can_receive: bool,
    sort_order: i64,
    edit_name: String,
    edit_can_receive: bool,
    edit_sort_order: String,
}

/// The values of a status form, as typed.
#[derive(Default, Clone)]
pub struct StatusForm {
    form: String,
    name: String,
    can_receive: bool,
    sort_order: String,
}

impl StatusForm {
    fn from(form: &str, f: &Fields) -> StatusForm {
        StatusForm {
            form: form.to_string(),
            name: f.get("name").to_string(),
            can_receive: f.checked("can_receive"),
            sort_order: f.get("sort_order").trim().to_string(),
        }
    }

    fn input(&self) -> Result<StatusInput, AppError> {
        let sort_order = if self.sort_order.is_empty() {
            0
        } else {
            self.sort_order.parse::<i64>().map_err(|_| {
                AppError::Validation(kefu_domain::ValidationError::new(
                    "sort_order",
                    crate::messages::WHOLE_NUMBER,
                ))
            })?
        };
        Ok(StatusInput {
            name: self.name.clone(),
            can_receive: self.can_receive,
            sort_order,
        })
    }
}

#[derive(Template)]
#[template(path = "statuses.html")]
struct StatusesTpl {
    c: Chrome,
    rows: Vec<StatusRow>,
    err: FormError,
    create: StatusForm,
}

async fn statuses_page(app: &App, v: &Viewer, posted: StatusForm, err: FormError) -> Page {
    v.require(Permission::StatusesManage)?;
    let list = app.list_statuses(&v.p).await.map_err(|e| v.fail(e))?;
    let c = Chrome::load(app, v, Nav::Statuses, v.lang.tr().statuses_title).await?;
    let rows = list
        .into_iter()
        .map(|s| {
            let mine = posted.form == s.id;
            StatusRow {
                edit_name: if mine {
                    posted.name.clone()
                } else {
                    s.name.clone()
                },
                edit_can_receive: if mine {
                    posted.can_receive
                } else {
                    s.can_receive
                },
                edit_sort_order: if mine {
                    posted.sort_order.clone()
                } else {
                    s.sort_order.to_string()
                },
                id: s.id,
                name: s.name,
                can_receive: s.can_receive,
                sort_order: s.sort_order,
            }
        })
        .collect::<Vec<_>>();
    let create = if posted.form == "create" {
        posted
    } else {
        StatusForm {
            sort_order: (rows.len() as i64).to_string(),
            ..StatusForm::default()
        }
    };
    let t = StatusesTpl {
        rows,
        err,
        create,
        c,
    };
    Ok(page(v, t.err.status(), &t))
}

/// `GET /admin/statuses`
pub async fn index(State(app): State<App>, v: Viewer) -> Page {
    statuses_page(&app, &v, StatusForm::default(), FormError::none()).await
}

/// `POST /admin/statuses`
pub async fn create(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let form = StatusForm::from("create", &f);
    let result = match form.input() {
        Ok(input) => app.create_status(&v.p, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(v.done("/admin/statuses", Flash::Created)),
        Err(e) => {
            let err = v.form_error("create", e, FIELDS)?;
            statuses_page(&app, &v, form, err).await
        }
    }
}

/// `POST /admin/statuses/{id}`
pub async fn update(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let form = StatusForm::from(&id, &f);
    let result = match form.input() {
        Ok(input) => app.update_status(&v.p, &id, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(v.done("/admin/statuses", Flash::Saved)),
        Err(e) => {
            let err = v.form_error(&id, e, FIELDS)?;
            statuses_page(&app, &v, form, err).await
        }
    }
}

/// `POST /admin/statuses/{id}/delete`
pub async fn delete(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    match app.delete_status(&v.p, &id).await {
        Ok(()) => Ok(v.done("/admin/statuses", Flash::Deleted)),
        Err(e) => {
            let err = v.form_error(&id, e, &[])?;
            statuses_page(&app, &v, StatusForm::default(), err).await
        }
    }
}

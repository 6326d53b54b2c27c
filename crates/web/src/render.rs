//! Turning templates into responses: the console's frame (header, navigation,
//! status switcher) every signed-in page shares, form errors, and error pages.

use crate::assets;
use crate::i18n::{Lang, Tr};
use crate::messages;
use crate::session::{clear_cookie, Notice, Viewer, FLASH_COOKIE};
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use kefu_app::{App, AppError};
use kefu_domain::Permission;

/// An already-built response (error page or redirect) that ends a handler
/// early. Boxed because a bare `Response` makes every `Result` carrying it
/// large.
pub struct Reject(Box<Response>);

impl From<Response> for Reject {
    fn from(r: Response) -> Self {
        Reject(Box::new(r))
    }
}

impl IntoResponse for Reject {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// What a page handler returns; handlers use `?` on anything that rejects.
pub type Page = Result<Response, Reject>;

/// Render a template, or a bare 500 when the template itself fails.
pub fn html<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>500</title><h1>500</h1><p>服务器内部错误 · Internal error</p>"),
            )
                .into_response()
        }
    }
}

/// A signed-in page: never cached (it may hold personal data and must not
/// reappear via the back button after sign-out), and the flash it showed is
/// cleared.
pub fn page<T: Template>(v: &Viewer, status: StatusCode, t: &T) -> Response {
    let mut r = html(status, t);
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if v.flash.is_some() {
        h.append(
            header::SET_COOKIE,
            clear_cookie(FLASH_COOKIE, "/", v.secure),
        );
    }
    r
}

/// The side navigation's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Customers,
    Tickets,
    TicketTypes,
    Flows,
    Unmatched,
    Knowledge,
    Users,
    Roles,
    Departments,
    SkillGroups,
    Statuses,
    Tokens,
    Audit,
    Sla,
    Profile,
}

pub struct NavItem {
    pub id: &'static str,
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

pub struct StatusOption {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// The frame around every console page.
pub struct Chrome {
    pub lang: Lang,
    pub tr: &'static Tr,
    pub title: String,
    pub asset_v: &'static str,
    pub csrf: String,
    pub whoami: String,
    pub username: String,
    pub statuses: Vec<StatusOption>,
    pub status_unset: bool,
    pub nav: Vec<NavItem>,
    pub notice: Option<Notice>,
}

fn nav_items(v: &Viewer, active: Nav) -> Vec<NavItem> {
    let tr = v.lang.tr();
    let p = &v.p;
    let tk = v.lang.tk();
    let tickets = p.can(Permission::TicketsView)
        || p.can(Permission::TicketsViewAll)
        || p.can(Permission::TicketsManage);
    let entries: [(Nav, &str, &str, &str, bool); 16] = [
        (
            Nav::Overview,
            "nav-overview",
            "/admin",
            tr.nav_overview,
            true,
        ),
        (
            Nav::Customers,
            "nav-customers",
            "/customers",
            tr.nav_customers,
            p.can(Permission::CustomersView),
        ),
        (Nav::Tickets, "nav-tickets", "/tickets", tk.nav, tickets),
        (
            Nav::TicketTypes,
            "nav-ticket-types",
            "/admin/ticket-types",
            tk.nav_types,
            p.can(Permission::TicketTypesManage),
        ),
        (
            Nav::Unmatched,
            "nav-unmatched",
            "/bot/unmatched",
            tr.nav_unmatched,
            p.can(Permission::KnowledgeView) || p.can(Permission::KnowledgeManage),
        ),
        (
            Nav::Knowledge,
            "nav-knowledge",
            "/knowledge",
            crate::pages::knowledge::kb_tr(v.lang).nav,
            p.can(Permission::KnowledgeView) || p.can(Permission::KnowledgeManage),
        ),
        (
            Nav::Users,
            "nav-users",
            "/admin/users",
            tr.nav_users,
            p.can(Permission::UsersView),
        ),
        (
            Nav::Roles,
            "nav-roles",
            "/admin/roles",
            tr.nav_roles,
            p.can(Permission::RolesManage),
        ),
        (
            Nav::Departments,
            "nav-departments",
            "/admin/departments",
            tr.nav_departments,
            p.can(Permission::OrgManage),
        ),
        (
            Nav::SkillGroups,
            "nav-skill-groups",
            "/admin/skill-groups",
            tr.nav_skill_groups,
            p.can(Permission::OrgManage),
        ),
        (
            Nav::Statuses,
            "nav-statuses",
            "/admin/statuses",
            tr.nav_statuses,
            p.can(Permission::StatusesManage),
        ),
        (
            Nav::Flows,
            "nav-flows",
            "/admin/flows",
            tr.nav_flows,
            p.can(Permission::FlowsManage),
        ),
        (
            Nav::Tokens,
            "nav-tokens",
            "/admin/tokens",
            tr.nav_tokens,
            p.can(Permission::TokensManage),
        ),
        (
            Nav::Audit,
            "nav-audit",
            "/admin/audit",
            tr.nav_audit,
            p.can(Permission::AuditView),
        ),
        (
            Nav::Sla,
            "nav-sla",
            "/admin/sla",
            tr.nav_sla,
            p.can(Permission::SlaManage),
        ),
        (
            Nav::Profile,
            "nav-profile",
            "/profile",
            tr.nav_profile,
            true,
        ),
    ];
    entries
        .into_iter()
        .filter(|e| e.4)
        .map(|(nav, id, href, label, _)| NavItem {
            id,
            href,
            label,
            active: nav == active,
        })
        .collect()
}

impl Chrome {
    pub async fn load(app: &App, v: &Viewer, active: Nav, title: &str) -> Result<Chrome, Reject> {
        let me = app
            .get_user(&v.p, v.user_id())
            .await
            .map_err(|e| v.fail(e))?;
        let statuses = app.list_statuses(&v.p).await.map_err(|e| v.fail(e))?;
        let current = me.status_id.as_deref();
        Ok(Chrome {
            lang: v.lang,
            tr: v.lang.tr(),
            title: title.to_string(),
            asset_v: assets::version(),
            csrf: v.csrf().to_string(),
            whoami: me.display_name.clone(),
            username: me.username.clone(),
            status_unset: !statuses.iter().any(|s| Some(s.id.as_str()) == current),
            statuses: statuses
                .into_iter()
                .map(|s| StatusOption {
                    selected: Some(s.id.as_str()) == current,
                    id: s.id,
                    name: s.name,
                })
                .collect(),
            nav: nav_items(v, active),
            notice: v.flash.map(|f| f.notice(v.lang)),
        })
    }

    /// Replace the flash with an error banner (an action failed).
    pub fn with_error(mut self, text: String) -> Chrome {
        self.notice = Some(Notice::error(text));
        self
    }
}

/// The frame of pages outside the console (sign-in, errors).
pub struct Bare {
    pub lang: Lang,
    pub tr: &'static Tr,
    pub title: String,
    pub asset_v: &'static str,
}

impl Bare {
    pub fn new(lang: Lang, title: &str) -> Bare {
        Bare {
            lang,
            tr: lang.tr(),
            title: title.to_string(),
            asset_v: assets::version(),
        }
    }
}

/// An error tied to one form on the page. `form` names the form ("create", or
/// a row's id for per-row forms); `field` is the input the message sits next
/// to, or empty for a message above the form.
#[derive(Debug, Default, Clone)]
pub struct FormError {
    pub form: String,
    pub field: String,
    pub msg: String,
    pub status: u16,
}

impl FormError {
    pub fn none() -> FormError {
        FormError::default()
    }

    /// The message for `field` of `form`, or "".
    pub fn at(&self, form: &str, field: &str) -> &str {
        if !self.msg.is_empty() && self.form == form && self.field == field {
            &self.msg
        } else {
            ""
        }
    }

    /// The message for `form` not tied to one of its inputs, or "".
    pub fn general(&self, form: &str) -> &str {
        self.at(form, "")
    }

    pub fn is_for(&self, form: &str) -> bool {
        !self.msg.is_empty() && self.form == form
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK)
    }
}

impl Viewer {
    /// Errors a form can explain next to itself become a [`FormError`]; the rest
    /// (permission, not found, internal, CSRF) become the error response.
    /// `fields` are the inputs of the form, so a message for any other field is
    /// shown above the form with its label.
    pub fn form_error(
        &self,
        form: &str,
        e: AppError,
        fields: &[&str],
    ) -> Result<FormError, Reject> {
        let (field, msg, status) = match &e {
            AppError::Validation(v) if fields.contains(&v.field) => (
                v.field.to_string(),
                messages::validation_text(self.lang, v),
                422,
            ),
            AppError::Validation(_) | AppError::InvalidTotp => {
                (String::new(), messages::error_text(self.lang, &e), 422)
            }
            AppError::Conflict { .. } => (String::new(), messages::error_text(self.lang, &e), 409),
            AppError::NotAllowed(_) | AppError::Refused { .. } => {
                (String::new(), messages::error_text(self.lang, &e), 403)
            }
            _ => return Err(self.fail(e).into()),
        };
        Ok(FormError {
            form: form.to_string(),
            field,
            msg,
            status,
        })
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTpl {
    c: Bare,
    heading: &'static str,
    text: String,
    signed_in: bool,
}

/// A full error page in the reader's language with the matching status.
pub fn error_page(lang: Lang, e: &AppError, signed_in: bool) -> Response {
    let tr = lang.tr();
    let (status, heading) = match e {
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, tr.error_forbidden),
        AppError::NotAllowed(_) | AppError::Refused { .. } => {
            (StatusCode::FORBIDDEN, tr.error_not_allowed)
        }
        AppError::CsrfFailed => (StatusCode::FORBIDDEN, tr.error_csrf),
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, tr.error_not_found),
        AppError::Validation(_) | AppError::Conflict { .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, tr.error_not_allowed)
        }
        AppError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error on a web page");
            (StatusCode::INTERNAL_SERVER_ERROR, tr.error_internal)
        }
        _ => (StatusCode::BAD_REQUEST, tr.error_not_allowed),
    };
    let text = messages::error_text(lang, e);
    let mut r = html(
        status,
        &ErrorTpl {
            c: Bare::new(lang, heading),
            heading,
            text,
            signed_in,
        },
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// 404 for a path no route knows (the server may use it as its fallback).
pub fn not_found_page(lang: Lang) -> Response {
    let tr = lang.tr();
    html(
        StatusCode::NOT_FOUND,
        &ErrorTpl {
            c: Bare::new(lang, tr.error_not_found),
            heading: tr.error_not_found,
            text: tr.error_not_found_text.to_string(),
            signed_in: false,
        },
    )
}

//! The pages. Each module owns one area of the console; this one holds the
//! small pieces that belong to none: the root redirect, the language switch,
//! the header's status switcher, and the overview.

pub mod audit;
pub mod chat_page;
pub mod customers;
pub mod flows;
pub mod knowledge;
pub mod login;
pub mod org;
pub mod profile;
pub mod progress;
pub mod roles;
pub mod skill_groups;
pub mod sla;
pub mod sla_view;
pub mod statuses;
pub mod tickets;
pub mod tokens;
pub mod unmatched;
pub mod users;
pub mod workbench;

use crate::i18n::Lang;
use crate::render::{page, Chrome, Nav, Page};
use crate::session::{
    cookie_in, request_lang, safe_local_path, see_other, set_cookie, Fields, Flash, Viewer,
    WebConfig, LANG_COOKIE,
};
use askama::Template;
use axum::extract::{Extension, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kefu_api::extract::{ClientIp, SESSION_COOKIE};
use kefu_app::App;
use kefu_domain::{BuiltinRole, Permission};
use kefu_store::Role;

/// A role's name as people read it: built-in roles in the reader's language.
pub fn role_label(role: &Role, lang: Lang) -> String {
    role.builtin
        .as_deref()
        .and_then(BuiltinRole::parse)
        .map(|b| b.name(lang.is_zh()).to_string())
        .unwrap_or_else(|| role.name.clone())
}

/// An `<option>` in a select.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: &str, label: impl Into<String>, selected: bool) -> Opt {
        Opt {
            value: value.to_string(),
            label: label.into(),
            selected,
        }
    }
}

/// `GET /`
pub async fn home(State(app): State<App>, ClientIp(ip): ClientIp, headers: HeaderMap) -> Response {
    if let Some(token) = cookie_in(&headers, SESSION_COOKIE) {
        if app.authenticate_session(token, ip).await.is_ok() {
            return see_other("/admin");
        }
    }
    see_other("/login")
}

/// `GET /lang/{code}`: remember the choice and go back where the link was.
pub async fn switch_language(
    Path(code): Path<String>,
    Extension(cfg): Extension<WebConfig>,
    headers: HeaderMap,
) -> Response {
    let secure = cfg.secure_cookies;
    let Some(lang) = Lang::parse(&code) else {
        return crate::render::not_found_page(request_lang(&headers, None));
    };
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| same_origin_path(r, headers.get(header::HOST).and_then(|h| h.to_str().ok())))
        .unwrap_or_else(|| "/".to_string());
    let mut r = see_other(&back);
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            "Path=/; Max-Age=31536000; SameSite=Lax",
            secure,
        ),
    );
    r
}

/// The path (and query) of a Referer on this same host, or `None`.
fn same_origin_path(referer: &str, host: Option<&str>) -> Option<String> {
    if let Some(p) = safe_local_path(referer) {
        return Some(p.to_string());
    }
    let rest = referer
        .strip_prefix("https://")
        .or_else(|| referer.strip_prefix("http://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host? != authority {
        return None;
    }
    let path = path.split('#').next().unwrap_or("/");
    safe_local_path(path)
        .filter(|p| !p.starts_with("/lang/"))
        .map(str::to_string)
}

/// `POST /me/status`: the header's reception-status switcher.
pub async fn set_my_status(
    State(app): State<App>,
    headers: HeaderMap,
    v: Viewer,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    app.set_agent_status(&v.p, v.user_id(), f.get("status_id"))
        .await
        .map_err(|e| v.fail(e))?;
    if v.htmx {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| same_origin_path(r, headers.get(header::HOST).and_then(|h| h.to_str().ok())))
        .unwrap_or_else(|| "/admin".to_string());
    Ok(v.done(&back, Flash::Status))
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewTpl {
    c: Chrome,
    users: Option<usize>,
    groups: usize,
    statuses: usize,
    role: String,
    can_org: bool,
    can_statuses: bool,
}

/// `GET /admin`
pub async fn overview(State(app): State<App>, v: Viewer) -> Page {
    let tr = v.lang.tr();
    let c = Chrome::load(&app, &v, Nav::Overview, tr.overview_title).await?;
    let fail = |e| v.fail(e);
    let users = if v.p.can(Permission::UsersView) {
        Some(app.list_users(&v.p).await.map_err(fail)?.len())
    } else {
        None
    };
    let groups = app.list_skill_groups(&v.p).await.map_err(fail)?.len();
    let me = app.get_user(&v.p, v.user_id()).await.map_err(fail)?;
    let role = app
        .list_roles(&v.p)
        .await
        .map_err(fail)?
        .into_iter()
        .find(|r| r.id == me.role_id)
        .map(|r| role_label(&r, v.lang))
        .unwrap_or_default();
    let t = OverviewTpl {
        statuses: c.statuses.len(),
        c,
        users,
        groups,
        role,
        can_org: v.p.can(Permission::OrgManage),
        can_statuses: v.p.can(Permission::StatusesManage),
    };
    Ok(page(&v, StatusCode::OK, &t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referer_must_be_this_host() {
        let h = Some("kefu.example:8080");
        assert_eq!(
            same_origin_path("http://kefu.example:8080/admin/users?x=1#top", h),
            Some("/admin/users?x=1".into())
        );
        assert_eq!(same_origin_path("https://evil.example/admin", h), None);
        assert_eq!(same_origin_path("http://kefu.example:8080//evil", h), None);
        assert_eq!(
            same_origin_path("http://kefu.example:8080", h),
            Some("/".into())
        );
        assert_eq!(same_origin_path("/profile", None), Some("/profile".into()));
    }
}

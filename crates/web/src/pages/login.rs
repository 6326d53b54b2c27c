//! Signing in and out: the password form, the TOTP step, and logout.
//!
//! Before a session exists there is no session CSRF token, so the sign-in forms
//! use a double-submit cookie: the page sets a random `kefu_login_csrf` cookie
//! and embeds the same value; a cross-site form can send the cookie but cannot
//! read it to fill in the field. That stops login CSRF (signing a victim into
//! an attacker's account).

use crate::messages;
use crate::render::{html, Bare};
use crate::session::{
    clear_cookie, config, safe_local_path, see_other, session_cookie, set_cookie, Fields, Flash,
    Notice, ReqLang, Viewer, FLASH_COOKIE, LOGIN_CSRF_COOKIE, TENANT_COOKIE,
};
use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kefu_api::extract::{cookie, ClientIp, SESSION_COOKIE};
use kefu_app::auth::LoginRequest;
use kefu_app::secrets::{constant_time_eq, random_token};
use kefu_app::{App, AppError};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTpl {
    c: Bare,
    csrf: String,
    next: String,
    tenant: String,
    username: String,
    error: String,
    notice: Option<Notice>,
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpTpl {
    c: Bare,
    csrf: String,
    next: String,
    error: String,
}

/// What the sign-in handlers need from the request besides the form.
pub struct SignInCtx {
    lang: crate::i18n::Lang,
    secure: bool,
    ip: Option<String>,
    session: Option<String>,
    login_csrf: Option<String>,
    remembered_tenant: Option<String>,
    flash: Option<Flash>,
}

impl FromRequestParts<App> for SignInCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let ReqLang(lang) = ReqLang::from_request_parts(parts, app).await?;
        let ClientIp(ip) = ClientIp::from_request_parts(parts, app).await?;
        let c = |name: &str| cookie(parts, name).map(str::to_string);
        Ok(SignInCtx {
            lang,
            secure: config(parts).secure_cookies,
            ip,
            session: c(SESSION_COOKIE),
            login_csrf: c(LOGIN_CSRF_COOKIE).filter(|v| looks_like_token(v)),
            remembered_tenant: c(TENANT_COOKIE).filter(|v| is_slug(v)),
            flash: cookie(parts, FLASH_COOKIE).and_then(Flash::parse),
        })
    }
}

impl SignInCtx {
    /// Keep an existing token so a second open tab does not invalidate the first.
    fn csrf_token(&self) -> String {
        self.login_csrf.clone().unwrap_or_else(|| random_token(24))
    }

    fn csrf_ok(&self, f: &Fields) -> bool {
        match (self.login_csrf.as_deref(), f.opt("_csrf")) {
            (Some(c), Some(v)) => constant_time_eq(c, v),
            _ => false,
        }
    }

    /// Add the cookies every sign-in form response carries.
    fn finish(&self, mut r: Response, csrf: &str) -> Response {
        let h = r.headers_mut();
        h.append(
            header::SET_COOKIE,
            set_cookie(
                LOGIN_CSRF_COOKIE,
                csrf,
                "Path=/login; HttpOnly; SameSite=Strict",
                self.secure,
            ),
        );
        if self.flash.is_some() {
            h.append(
                header::SET_COOKIE,
                clear_cookie(FLASH_COOKIE, "/", self.secure),
            );
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

fn looks_like_token(v: &str) -> bool {
    (16..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_slug(v: &str) -> bool {
    (2..=40).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn next_or_admin(next: &str) -> String {
    safe_local_path(next)
        .filter(|p| !p.starts_with("/login"))
        .unwrap_or("/admin")
        .to_string()
}

struct LoginView<'a> {
    tenant: String,
    username: String,
    next: String,
    error: String,
    status: StatusCode,
    ctx: &'a SignInCtx,
}

fn login_page(v: LoginView<'_>) -> Response {
    let csrf = v.ctx.csrf_token();
    let lang = v.ctx.lang;
    let t = LoginTpl {
        c: Bare::new(lang, lang.tr().sign_in),
        csrf: csrf.clone(),
        next: v.next,
        tenant: v.tenant,
        username: v.username,
        error: v.error,
        notice: v.ctx.flash.map(|f| f.notice(lang)),
    };
    v.ctx.finish(html(v.status, &t), &csrf)
}

/// `GET /login`
pub async fn form(State(app): State<App>, ctx: SignInCtx, q: Fields) -> Response {
    if let Some(token) = ctx.session.as_deref() {
        if app
            .authenticate_session(token, ctx.ip.clone())
            .await
            .is_ok()
        {
            return see_other(&next_or_admin(q.get("next")));
        }
    }
    let tenant = q
        .non_blank("tenant")
        .or_else(|| ctx.remembered_tenant.clone())
        .unwrap_or_default();
    login_page(LoginView {
        tenant,
        username: String::new(),
        next: q.get("next").to_string(),
        error: String::new(),
        status: StatusCode::OK,
        ctx: &ctx,
    })
}

/// `POST /login`
pub async fn submit(State(app): State<App>, ctx: SignInCtx, f: Fields) -> Response {
    let tenant = f.get("tenant").trim().to_lowercase();
    let username = f.get("username").trim().to_string();
    let next = f.get("next").to_string();
    let tr = ctx.lang.tr();
    if !ctx.csrf_ok(&f) {
        return login_page(LoginView {
            tenant,
            username,
            next,
            error: tr.login_form_expired.to_string(),
            status: StatusCode::FORBIDDEN,
            ctx: &ctx,
        });
    }
    let result = app
        .login(LoginRequest {
            tenant: &tenant,
            username: &username,
            password: f.get("password"),
            totp_code: None,
            ip: ctx.ip.as_deref(),
        })
        .await;
    match result {
        Ok(session) => {
            let to = if session.totp_pending {
                format!(
                    "/login/totp?next={}",
                    crate::session::encode_component(&next_or_admin(&next))
                )
            } else {
                next_or_admin(&next)
            };
            let mut r = see_other(&to);
            let h = r.headers_mut();
            h.append(
                header::SET_COOKIE,
                session_cookie(&session.token, ctx.secure),
            );
            if is_slug(&tenant) {
                h.append(
                    header::SET_COOKIE,
                    set_cookie(
                        TENANT_COOKIE,
                        &tenant,
                        "Path=/login; Max-Age=31536000; HttpOnly; SameSite=Lax",
                        ctx.secure,
                    ),
                );
            }
            r
        }
        Err(e) => {
            let status = match &e {
                AppError::Locked { .. } => StatusCode::LOCKED,
                AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                AppError::Internal(detail) => {
                    tracing::error!(error = %detail, "sign-in failed internally");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
                _ => StatusCode::UNAUTHORIZED,
            };
            login_page(LoginView {
                tenant,
                username,
                next,
                error: messages::error_text(ctx.lang, &e),
                status,
                ctx: &ctx,
            })
        }
    }
}

fn totp_page(ctx: &SignInCtx, next: &str, error: String, status: StatusCode) -> Response {
    let csrf = ctx.csrf_token();
    let t = TotpTpl {
        c: Bare::new(ctx.lang, ctx.lang.tr().totp_title),
        csrf: csrf.clone(),
        next: next.to_string(),
        error,
    };
    ctx.finish(html(status, &t), &csrf)
}

/// `GET /login/totp`
pub async fn totp_form(State(app): State<App>, ctx: SignInCtx, q: Fields) -> Response {
    let Some(token) = ctx.session.as_deref() else {
        return see_other("/login");
    };
    if app
        .authenticate_session(token, ctx.ip.clone())
        .await
        .is_ok()
    {
        return see_other(&next_or_admin(q.get("next")));
    }
    totp_page(&ctx, q.get("next"), String::new(), StatusCode::OK)
}

/// `POST /login/totp`
pub async fn totp_submit(State(app): State<App>, ctx: SignInCtx, f: Fields) -> Response {
    let next = f.get("next").to_string();
    if !ctx.csrf_ok(&f) {
        let msg = ctx.lang.tr().login_form_expired.to_string();
        return totp_page(&ctx, &next, msg, StatusCode::FORBIDDEN);
    }
    let Some(token) = ctx.session.as_deref() else {
        return see_other("/login");
    };
    let code: String = f
        .get("code")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    match app.login_totp(token, &code, ctx.ip.as_deref()).await {
        Ok(()) => see_other(&next_or_admin(&next)),
        Err(AppError::Unauthenticated(_)) => {
            let mut r = see_other("/login");
            let h = r.headers_mut();
            h.append(
                header::SET_COOKIE,
                clear_cookie(SESSION_COOKIE, "/", ctx.secure),
            );
            h.append(header::SET_COOKIE, Flash::SessionEnded.cookie(ctx.secure));
            r
        }
        Err(e) => {
            let status = match &e {
                AppError::Locked { .. } => StatusCode::LOCKED,
                AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::UNAUTHORIZED,
            };
            totp_page(&ctx, &next, messages::error_text(ctx.lang, &e), status)
        }
    }
}

/// `POST /logout`
pub async fn logout(State(app): State<App>, ctx: SignInCtx, v: Viewer, f: Fields) -> Response {
    if let Err(r) = v.check_csrf(&app, &f) {
        return r.into_response();
    }
    if let Some(token) = ctx.session.as_deref() {
        if let Err(e) = app.logout(token).await {
            return v.fail(e);
        }
    }
    let mut r = see_other("/login");
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        clear_cookie(SESSION_COOKIE, "/", ctx.secure),
    );
    h.append(header::SET_COOKIE, Flash::SignedOut.cookie(ctx.secure));
    r.into_response()
}

//! Who is looking at the page, and the cookies around that: the session cookie,
//! CSRF tokens, the language choice, and one-shot flash messages.

use crate::i18n::{self, Lang};
use crate::render::{self, Reject};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kefu_api::extract::{cookie, ClientIp, CSRF_HEADER, SESSION_COOKIE};
use kefu_app::principal::PrincipalKind;
use kefu_app::{App, AppError, Principal};
use kefu_domain::Permission;
use std::convert::Infallible;

pub const LANG_COOKIE: &str = "lang";
pub const FLASH_COOKIE: &str = "kefu_flash";
pub const LOGIN_CSRF_COOKIE: &str = "kefu_login_csrf";
/// Remembers the last tenant signed in to, so people type only their name.
pub const TENANT_COOKIE: &str = "kefu_tenant";

/// Router-wide settings, put into request extensions by `router()`.
#[derive(Debug, Clone, Copy)]
pub struct WebConfig {
    pub secure_cookies: bool,
}

pub fn config(parts: &Parts) -> WebConfig {
    parts
        .extensions
        .get::<WebConfig>()
        .copied()
        .unwrap_or(WebConfig {
            secure_cookies: false,
        })
}

/// A `Set-Cookie` value. `attrs` are the attributes after the value, e.g.
/// `"Path=/; HttpOnly; SameSite=Lax"`.
pub fn set_cookie(name: &str, value: &str, attrs: &str, secure: bool) -> HeaderValue {
    let mut s = format!("{name}={value}; {attrs}");
    if secure {
        s.push_str("; Secure");
    }
    // Values are our own random tokens or fixed keys, always header-safe; the
    // fallback only guards against a future caller passing something odd.
    HeaderValue::from_str(&s)
        .unwrap_or_else(|_| HeaderValue::from_static("kefu_invalid=; Max-Age=0"))
}

pub fn clear_cookie(name: &str, path: &str, secure: bool) -> HeaderValue {
    set_cookie(
        name,
        "",
        &format!("Path={path}; Max-Age=0; HttpOnly; SameSite=Lax"),
        secure,
    )
}

pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    set_cookie(
        SESSION_COOKIE,
        token,
        "HttpOnly; SameSite=Lax; Path=/",
        secure,
    )
}

/// One-shot messages shown after a redirect. The cookie carries only a key, so
/// nothing a user typed ever travels through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flash {
    Saved,
    Created,
    Deleted,
    Revoked,
    Unlocked,
    Status,
    Password,
    TotpOn,
    TotpOff,
    MemberSaved,
    MemberRemoved,
    SignedOut,
    SessionEnded,
}

impl Flash {
    const ALL: [Flash; 13] = [
        Flash::Saved,
        Flash::Created,
        Flash::Deleted,
        Flash::Revoked,
        Flash::Unlocked,
        Flash::Status,
        Flash::Password,
        Flash::TotpOn,
        Flash::TotpOff,
        Flash::MemberSaved,
        Flash::MemberRemoved,
        Flash::SignedOut,
        Flash::SessionEnded,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Flash::Saved => "saved",
            Flash::Created => "created",
            Flash::Deleted => "deleted",
            Flash::Revoked => "revoked",
            Flash::Unlocked => "unlocked",
            Flash::Status => "status",
            Flash::Password => "password",
            Flash::TotpOn => "totp_on",
            Flash::TotpOff => "totp_off",
            Flash::MemberSaved => "member_saved",
            Flash::MemberRemoved => "member_removed",
            Flash::SignedOut => "signed_out",
            Flash::SessionEnded => "session_ended",
        }
    }

    pub fn parse(s: &str) -> Option<Flash> {
        Flash::ALL.into_iter().find(|f| f.key() == s)
    }

    pub fn notice(self, lang: Lang) -> Notice {
        let tr = lang.tr();
        let text = match self {
            Flash::Saved => tr.flash_saved,
            Flash::Created => tr.flash_created,
            Flash::Deleted => tr.flash_deleted,
            Flash::Revoked => tr.flash_revoked,
            Flash::Unlocked => tr.flash_unlocked,
            Flash::Status => tr.flash_status,
            Flash::Password => tr.flash_password,
            Flash::TotpOn => tr.flash_totp_on,
            Flash::TotpOff => tr.flash_totp_off,
            Flash::MemberSaved => tr.flash_member_saved,
            Flash::MemberRemoved => tr.flash_member_removed,
            Flash::SignedOut => tr.signed_out,
            Flash::SessionEnded => tr.login_session_ended,
        };
        Notice::ok(text)
    }

    pub fn cookie(self, secure: bool) -> HeaderValue {
        set_cookie(
            FLASH_COOKIE,
            self.key(),
            "Path=/; Max-Age=60; HttpOnly; SameSite=Lax",
            secure,
        )
    }
}

/// A banner above the page content.
#[derive(Debug, Clone)]
pub struct Notice {
    /// `ok` or `error`, used as a CSS class suffix.
    pub kind: &'static str,
    pub text: String,
}

impl Notice {
    pub fn ok(text: impl Into<String>) -> Notice {
        Notice {
            kind: "ok",
            text: text.into(),
        }
    }
    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            kind: "error",
            text: text.into(),
        }
    }
}

/// One cookie from a header map (for handlers that hold headers, not parts).
pub fn cookie_in<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language for a request that may have no session (sign-in, errors).
pub fn request_lang(headers: &HeaderMap, user_locale: Option<&str>) -> Lang {
    let lang_cookie = cookie_in(headers, LANG_COOKIE);
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    i18n::negotiate(lang_cookie, user_locale, accept)
}

/// The reader's language as an extractor, for pages without a session.
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(request_lang(&parts.headers, None)))
    }
}

pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").and_then(|v| v.to_str().ok()) == Some("true")
}

/// A 303 to `to`; htmx follows it inside its request and swaps the result.
pub fn see_other(to: &str) -> Response {
    let loc = HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, loc)]).into_response()
}

/// Only paths on this site: `/x`, never `//evil.example` or `/\evil`.
pub fn safe_local_path(p: &str) -> Option<&str> {
    let ok = p.starts_with('/')
        && !p.starts_with("//")
        && !p.starts_with("/\\")
        && !p.chars().any(|c| c.is_control() || c == '\\');
    ok.then_some(p)
}

/// Percent-encode a path for a query parameter.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A signed-in user looking at a page. Extracting it redirects to the sign-in
/// page when there is no valid session.
pub struct Viewer {
    pub p: Principal,
    pub lang: Lang,
    /// The flash cookie that arrived with this request (consumed on render).
    pub flash: Option<Flash>,
    pub htmx: bool,
    pub secure: bool,
}

impl FromRequestParts<App> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let cfg = config(parts);
        let htmx = is_htmx(&parts.headers);
        let to_login = |parts: &Parts, ended: bool| {
            let mut target = "/login".to_string();
            if parts.method == axum::http::Method::GET {
                if let Some(pq) = parts.uri.path_and_query() {
                    target = format!("/login?next={}", encode_component(pq.as_str()));
                }
            }
            let mut resp = if htmx {
                // A swap would put the sign-in form inside the console; make
                // htmx navigate the whole window instead.
                let mut r = StatusCode::NO_CONTENT.into_response();
                if let Ok(v) = HeaderValue::from_str(&target) {
                    r.headers_mut().insert("hx-redirect", v);
                }
                r
            } else {
                see_other(&target)
            };
            // The cookie is left alone: it may be a session still owing its
            // TOTP code, which the sign-in step needs; a dead one is harmless.
            if ended {
                resp.headers_mut().append(
                    header::SET_COOKIE,
                    Flash::SessionEnded.cookie(cfg.secure_cookies),
                );
            }
            resp
        };
        let Some(token) = cookie(parts, SESSION_COOKIE).map(str::to_string) else {
            return Err(to_login(parts, false));
        };
        let ClientIp(ip) = ClientIp::from_request_parts(parts, app)
            .await
            .unwrap_or(ClientIp(None));
        let p = match app.authenticate_session(&token, ip).await {
            Ok(p) => p,
            Err(AppError::Unauthenticated(_)) => return Err(to_login(parts, true)),
            Err(e) => {
                let lang = request_lang(&parts.headers, None);
                return Err(render::error_page(lang, &e, false));
            }
        };
        let lang = request_lang(&parts.headers, p.locale.as_deref());
        let flash = cookie(parts, FLASH_COOKIE).and_then(Flash::parse);
        Ok(Viewer {
            p,
            lang,
            flash,
            htmx,
            secure: cfg.secure_cookies,
        })
    }
}

impl Viewer {
    pub fn csrf(&self) -> &str {
        match &self.p.kind {
            PrincipalKind::Session { csrf_token, .. } => csrf_token,
            PrincipalKind::ApiToken { .. } => "",
        }
    }

    pub fn user_id(&self) -> &str {
        self.p.user_id.as_deref().unwrap_or("")
    }

    /// Every state-changing form calls this before acting.
    pub fn check_csrf(&self, app: &App, f: &Fields) -> Result<(), Reject> {
        app.check_csrf(&self.p, f.csrf())
            .map_err(|e| self.fail(e).into())
    }

    pub fn require(&self, perm: Permission) -> Result<(), Reject> {
        if self.p.can(perm) {
            Ok(())
        } else {
            Err(self.fail(AppError::Forbidden(perm)).into())
        }
    }

    /// The response for an error no form can show: the sign-in page, or an
    /// error page with the right status.
    pub fn fail(&self, e: AppError) -> Response {
        if let AppError::Unauthenticated(_) = e {
            let mut r = see_other("/login");
            r.headers_mut().append(
                header::SET_COOKIE,
                clear_cookie(SESSION_COOKIE, "/", self.secure),
            );
            return r;
        }
        render::error_page(self.lang, &e, true)
    }

    /// Like [`Viewer::done`] for actions that remove the page they were taken
    /// on (deleting from an edit page): htmx is told to load `to` as a whole
    /// new page rather than swap it into the old one.
    pub fn done_elsewhere(&self, to: &str, flash: Flash) -> Response {
        if !self.htmx {
            return self.done(to, flash);
        }
        let mut r = StatusCode::OK.into_response();
        let h = r.headers_mut();
        if let Ok(v) = HeaderValue::from_str(to) {
            h.insert("hx-redirect", v);
        }
        h.append(header::SET_COOKIE, flash.cookie(self.secure));
        r
    }

    /// Post/redirect/get: 303 to `to` with a flash message for the next page.
    pub fn done(&self, to: &str, flash: Flash) -> Response {
        let mut r = see_other(to);
        r.headers_mut()
            .append(header::SET_COOKIE, flash.cookie(self.secure));
        r
    }
}

/// A urlencoded form body as name/value pairs. Never rejects: a malformed body
/// is an empty form, which then fails the CSRF check like any forgery would.
/// Repeated names (checkbox groups) are kept, which `Form<Struct>` cannot do.
#[derive(Debug, Default)]
pub struct Fields {
    pairs: Vec<(String, String)>,
    header_csrf: Option<String>,
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let header_csrf = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let pairs = match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(axum::Form(p)) => p,
            Err(_) => Vec::new(),
        };
        Ok(Fields { pairs, header_csrf })
    }
}

impl Fields {
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Fields {
        Fields {
            pairs: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            header_csrf: None,
        }
    }

    /// The field's value, or "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.opt(name).unwrap_or("")
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A trimmed value, `None` when blank.
    pub fn non_blank(&self, name: &str) -> Option<String> {
        let v = self.get(name).trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A checkbox: present and not "off"/"false".
    pub fn checked(&self, name: &str) -> bool {
        self.opt(name).is_some_and(|v| v != "false" && v != "off")
    }

    /// The CSRF token from the hidden `_csrf` field, else the htmx header.
    pub fn csrf(&self) -> Option<&str> {
        self.opt("_csrf").or(self.header_csrf.as_deref())
    }

    /// A whole number, or a validation error for `field`.
    pub fn int(&self, name: &str, field: &'static str) -> Result<i64, AppError> {
        self.get(name).trim().parse::<i64>().map_err(|_| {
            AppError::Validation(kefu_domain::ValidationError::new(
                field,
                crate::messages::WHOLE_NUMBER,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_only() {
        assert_eq!(safe_local_path("/admin/users"), Some("/admin/users"));
        assert_eq!(safe_local_path("//evil.example/x"), None);
        assert_eq!(safe_local_path("/\\evil.example"), None);
        assert_eq!(safe_local_path("https://evil.example/"), None);
        assert_eq!(safe_local_path("admin"), None);
    }

    #[test]
    fn flash_keys_round_trip() {
        for f in Flash::ALL {
            assert_eq!(Flash::parse(f.key()), Some(f));
        }
        assert_eq!(Flash::parse("<script>"), None);
    }

    #[test]
    fn fields_keep_repeated_names_and_prefer_the_form_token() {
        let f = Fields::from_pairs(&[
            ("permissions", "users.view"),
            ("permissions", "audit.view"),
            ("_csrf", "abc"),
            ("n", " 7 "),
        ]);
        assert_eq!(f.all("permissions"), vec!["users.view", "audit.view"]);
        assert_eq!(f.csrf(), Some("abc"));
        assert_eq!(f.int("n", "n").ok(), Some(7));
        assert!(f.int("missing", "n").is_err());
        assert!(!f.checked("missing"));
    }

    #[test]
    fn session_cookie_attributes() {
        let c = session_cookie("tok", true);
        assert_eq!(
            c.to_str().ok(),
            Some("kefu_session=tok; HttpOnly; SameSite=Lax; Path=/; Secure")
        );
        let c = session_cookie("tok", false);
        assert!(!c.to_str().unwrap_or("").contains("Secure"));
    }
}

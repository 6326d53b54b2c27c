//! My profile: name, e-mail and language; my password; two-step verification.

use super::Opt;
use crate::render::{page, Chrome, FormError, Nav, Page};
use crate::session::{clear_cookie, set_cookie, Fields, Flash, Viewer, LANG_COOKIE};
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use kefu_app::{App, AppError};
use kefu_domain::totp;

/// The values of the details form.
#[derive(Default)]
pub struct Details {
    display_name: String,
    email: String,
    locale: String,
}

/// The TOTP set-up in progress: shown right after "enable", and again when the
/// confirmation code was wrong (from the form's hidden fields, since the app
/// does not hand the pending secret out twice).
pub struct Setup {
    secret: String,
    uri: String,
    qr_svg: String,
}

impl Setup {
    fn new(secret: String, uri: String) -> Setup {
        let svg = kefu_app::auth::qr_svg(&uri);
        // The XML prolog is not valid inside HTML; keep only the <svg> element.
        let qr_svg = svg
            .find("<svg")
            .map(|i| svg[i..].to_string())
            .unwrap_or_default();
        Setup {
            secret,
            uri,
            qr_svg,
        }
    }

    /// Rebuild from posted hidden fields, accepting only a well-formed secret
    /// and the URI that carries exactly that secret.
    fn from_fields(f: &Fields) -> Option<Setup> {
        let secret = f.get("secret").trim();
        let uri = f.get("otpauth_uri").trim();
        let ok = totp::base32_decode(secret).is_some()
            && uri.starts_with("otpauth://totp/")
            && uri.contains(&format!("secret={secret}"));
        ok.then(|| Setup::new(secret.to_string(), uri.to_string()))
    }
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfileTpl {
    c: Chrome,
    details: Details,
    locale_opts: Vec<Opt>,
    err: FormError,
    totp_on: bool,
    setup: Option<Setup>,
}

async fn profile_page(
    app: &App,
    v: &Viewer,
    posted: Option<Details>,
    setup: Option<Setup>,
    err: FormError,
) -> Page {
    let me = app
        .get_user(&v.p, v.user_id())
        .await
        .map_err(|e| v.fail(e))?;
    let c = Chrome::load(app, v, Nav::Profile, v.lang.tr().profile_title).await?;
    let details = posted.unwrap_or_else(|| Details {
        display_name: me.display_name.clone(),
        email: me.email.clone().unwrap_or_default(),
        locale: me.locale.clone().unwrap_or_default(),
    });
    let tr = v.lang.tr();
    let locale_opts = vec![
        Opt::new("", tr.locale_auto, details.locale.is_empty()),
        Opt::new("zh-CN", "中文 (zh-CN)", details.locale == "zh-CN"),
        Opt::new("en", "English (en)", details.locale == "en"),
    ];
    let status = if setup.is_some() && err.msg.is_empty() {
        StatusCode::OK
    } else {
        err.status()
    };
    let t = ProfileTpl {
        details,
        locale_opts,
        totp_on: me.totp_enabled,
        setup,
        err,
        c,
    };
    Ok(page(v, status, &t))
}

/// `GET /profile`
pub async fn index(State(app): State<App>, v: Viewer) -> Page {
    profile_page(&app, &v, None, None, FormError::none()).await
}

/// `POST /profile`: details and language.
pub async fn save(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let details = Details {
        display_name: f.get("display_name").to_string(),
        email: f.get("email").trim().to_string(),
        locale: f.get("locale").to_string(),
    };
    let result = app
        .update_own_profile(
            &v.p,
            Some(details.display_name.clone()),
            Some(Some(details.email.clone())),
            Some(Some(details.locale.clone())),
        )
        .await;
    match result {
        Ok(user) => {
            let mut r = v.done("/profile", Flash::Saved);
            // The lang cookie outranks the profile setting, so a saved choice
            // must replace it (or drop it for "browser default") to take effect.
            let cookie: HeaderValue = match user.locale.as_deref() {
                Some(l) => set_cookie(
                    LANG_COOKIE,
                    l,
                    "Path=/; Max-Age=31536000; SameSite=Lax",
                    v.secure,
                ),
                None => clear_cookie(LANG_COOKIE, "/", v.secure),
            };
            r.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(r)
        }
        Err(e) => {
            let err = v.form_error("details", e, &["display_name", "email", "locale"])?;
            profile_page(&app, &v, Some(details), None, err).await
        }
    }
}

/// `POST /profile/password`
pub async fn password(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    match app
        .change_own_password(&v.p, f.get("current_password"), f.get("new_password"))
        .await
    {
        Ok(()) => Ok(v.done("/profile", Flash::Password)),
        Err(e) => {
            let err = v.form_error("password", e, &["current_password", "password"])?;
            profile_page(&app, &v, None, None, err).await
        }
    }
}

/// `POST /profile/totp/begin`: a fresh secret, shown once as QR and text.
pub async fn totp_begin(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    match app.totp_begin(&v.p).await {
        Ok(s) => {
            let setup = Setup::new(s.secret, s.otpauth_uri);
            profile_page(&app, &v, None, Some(setup), FormError::none()).await
        }
        Err(e) => {
            let err = v.form_error("totp", e, &[])?;
            profile_page(&app, &v, None, None, err).await
        }
    }
}

/// `POST /profile/totp/confirm`
pub async fn totp_confirm(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let code: String = f
        .get("code")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    match app.totp_confirm(&v.p, &code).await {
        Ok(()) => Ok(v.done("/profile", Flash::TotpOn)),
        Err(e) => {
            let e = match e {
                AppError::InvalidTotp => AppError::Validation(kefu_domain::ValidationError::new(
                    "code",
                    v.lang.tr().totp_wrong,
                )),
                other => other,
            };
            let err = v.form_error("totp", e, &["code"])?;
            profile_page(&app, &v, None, Setup::from_fields(&f), err).await
        }
    }
}

/// `POST /profile/totp/disable`
pub async fn totp_disable(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    match app.totp_disable(&v.p, f.get("password")).await {
        Ok(()) => Ok(v.done("/profile", Flash::TotpOff)),
        Err(e) => {
            let err = v.form_error("totp", e, &["password"])?;
            profile_page(&app, &v, None, None, err).await
        }
    }
}

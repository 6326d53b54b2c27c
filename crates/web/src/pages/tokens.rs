//! API tokens for integrations. The secret exists in clear only in the
//! response to the create form: that one response shows it (no redirect, since
//! a redirect would have to carry the secret in a cookie or URL) and is marked
//! `no-store`; afterwards only its prefix is known.

use super::{role_label, Opt};
use crate::fmt::When;
use crate::render::{page, Chrome, FormError, Nav, Page};
use crate::session::{Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kefu_app::tokens::CreateToken;
use kefu_app::App;

pub struct TokenRow {
    id: String,
    name: String,
    prefix: String,
    role: String,
    created: When,
    last_used: Option<When>,
    revoked: Option<When>,
}

pub struct NewSecret {
    name: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensTpl {
    c: Chrome,
    rows: Vec<TokenRow>,
    secret: Option<NewSecret>,
    err: FormError,
    create_name: String,
    role_opts: Vec<Opt>,
}

async fn tokens_page(
    app: &App,
    v: &Viewer,
    secret: Option<NewSecret>,
    posted: (String, String),
    err: FormError,
) -> Page {
    let fail = |e| v.fail(e);
    let tokens = app.list_tokens(&v.p).await.map_err(fail)?;
    let roles = app.list_roles(&v.p).await.map_err(fail)?;
    let c = Chrome::load(app, v, Nav::Tokens, v.lang.tr().tokens_title).await?;
    let rows = tokens
        .into_iter()
        .map(|t| TokenRow {
            role: roles
                .iter()
                .find(|r| r.id == t.role_id)
                .map(|r| role_label(r, v.lang))
                .unwrap_or_default(),
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created: When::from_ms(t.created_at),
            last_used: When::opt(t.last_used_at),
            revoked: When::opt(t.revoked_at),
        })
        .collect();
    let (create_name, role_sel) = posted;
    let role_opts = roles
        .iter()
        .map(|r| Opt::new(&r.id, role_label(r, v.lang), r.id == role_sel))
        .collect();
    let status = if secret.is_some() {
        StatusCode::CREATED
    } else {
        err.status()
    };
    let t = TokensTpl {
        rows,
        secret,
        err,
        create_name,
        role_opts,
        c,
    };
    Ok(page(v, status, &t))
}

/// `GET /admin/tokens`
pub async fn index(State(app): State<App>, v: Viewer) -> Page {
    tokens_page(&app, &v, None, Default::default(), FormError::none()).await
}

/// `POST /admin/tokens`
pub async fn create(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let input = CreateToken {
        name: f.get("name").to_string(),
        role_id: f.get("role_id").to_string(),
    };
    match app.create_token(&v.p, input).await {
        Ok(created) => {
            let secret = NewSecret {
                name: created.token.name,
                secret: created.secret,
            };
            tokens_page(
                &app,
                &v,
                Some(secret),
                Default::default(),
                FormError::none(),
            )
            .await
        }
        Err(e) => {
            let err = v.form_error("create", e, &["name", "role_id"])?;
            let posted = (f.get("name").to_string(), f.get("role_id").to_string());
            tokens_page(&app, &v, None, posted, err).await
        }
    }
}

/// `POST /admin/tokens/{id}/revoke`
pub async fn revoke(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    app.revoke_token(&v.p, &id).await.map_err(|e| v.fail(e))?;
    Ok(v.done("/admin/tokens", Flash::Revoked))
}

//! Signing in over the API (for browser-based clients; integrations use API
//! tokens), and the caller's own account.

use crate::error::ApiResult;
use crate::extract::{ApiJson, Auth, ClientIp, SESSION_COOKIE};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kefu_app::auth::{LoginRequest, TotpSetup};
use kefu_app::{App, AppError};
use kefu_domain::Permission;
use kefu_store::{Role, SkillGroup, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// The tenant's short name (e.g. `demo`).
    pub tenant: String,
    pub username: String,
    pub password: String,
    /// Required when the user has enabled two-step verification.
    pub totp_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub user_id: String,
    /// Send this as `X-CSRF-Token` on every write made with the session cookie.
    pub csrf_token: String,
}

pub(crate) fn session_cookie(token: &str, secure: bool, max_age_s: i64) -> HeaderValue {
    let s = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_s}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Sign in; sets the `kefu_session` cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses(
        (status = 200, body = LoginResponse, description = "Signed in; the session cookie is set"),
        (status = 401, body = crate::error::ErrorBody, description = "`invalid_credentials`, `totp_required` or `invalid_totp`"),
        (status = 423, body = crate::error::ErrorBody, description = "`account_locked` after repeated failures"),
        (status = 429, body = crate::error::ErrorBody, description = "`rate_limited`"),
    ))]
pub async fn login(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    secure: axum::Extension<SecureCookies>,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Response> {
    let session = app
        .login(LoginRequest {
            tenant: &body.tenant,
            username: &body.username,
            password: &body.password,
            totp_code: body.totp_code.as_deref(),
            ip: ip.as_deref(),
        })
        .await?;
    if session.totp_pending {
        // The API has no second round-trip: without a code the half-session is useless.
        app.logout(&session.token).await?;
        return Err(AppError::TotpRequired.into());
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        session_cookie(&session.token, secure.0 .0, app.auth.session_hours * 3600),
    );
    Ok((
        headers,
        Json(LoginResponse {
            user_id: session.user_id,
            csrf_token: session.csrf_token,
        }),
    )
        .into_response())
}

/// Whether cookies get the `Secure` attribute (set when served over TLS).
#[derive(Clone, Copy)]
pub struct SecureCookies(pub bool);

/// Sign out of this session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(app): State<App>, headers: HeaderMap) -> ApiResult<Response> {
    let (mut parts, _) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    if let Some(token) = crate::extract::cookie(&parts, SESSION_COOKIE) {
        app.logout(token).await?;
    }
    let mut out = HeaderMap::new();
    out.insert(header::SET_COOKIE, session_cookie("", false, 0));
    Ok((StatusCode::NO_CONTENT, out).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    /// Absent when the caller is an API token.
    pub user: Option<User>,
    pub role: Option<Role>,
    /// Permission keys the caller holds.
    pub permissions: Vec<String>,
    pub skill_groups: Vec<MyGroup>,
}

#[derive(Serialize, ToSchema)]
pub struct MyGroup {
    pub group: SkillGroup,
    pub level: i64,
}

/// Who am I?
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = Me), (status = 401, body = crate::error::ErrorBody)))]
pub async fn me(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<Me>> {
    let permissions = p
        .permissions
        .iter()
        .map(|p: &Permission| p.key().to_string())
        .collect();
    let Some(uid) = p.user_id.clone() else {
        return Ok(Json(Me {
            user: None,
            role: None,
            permissions,
            skill_groups: vec![],
        }));
    };
    let user = app.get_user(&p, &uid).await?;
    let role = app.get_role(&p, &user.role_id).await.ok();
    let skill_groups = app
        .groups_of_user(&p, &uid)
        .await?
        .into_iter()
        .map(|(group, level)| MyGroup { group, level })
        .collect();
    Ok(Json(Me {
        user: Some(user),
        role,
        permissions,
        skill_groups,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub current_password: String,
    pub new_password: String,
}

/// Change my password. My other sessions are signed out.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "me", request_body = PasswordBody,
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)))]
pub async fn change_password(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<PasswordBody>,
) -> ApiResult<StatusCode> {
    app.change_own_password(&p, &b.current_password, &b.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// `zh-CN` or `en`; empty to follow the browser.
    pub locale: Option<String>,
}

/// Update my profile.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", request_body = ProfileBody, responses((status = 200, body = User)))]
pub async fn update_profile(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<ProfileBody>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        app.update_own_profile(&p, b.display_name, b.email.map(Some), b.locale.map(Some))
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TotpSetupBody {
    pub secret: String,
    pub otpauth_uri: String,
    /// The otpauth URI as an SVG QR code.
    pub qr_svg: String,
}

impl From<TotpSetup> for TotpSetupBody {
    fn from(t: TotpSetup) -> Self {
        Self {
            secret: t.secret,
            otpauth_uri: t.otpauth_uri,
            qr_svg: t.qr_svg,
        }
    }
}

/// Start enabling two-step verification: a new secret and its QR code.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "me", responses((status = 200, body = TotpSetupBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn totp_begin(State(app): State<App>, Auth(p): Auth) -> ApiResult<Json<TotpSetupBody>> {
    Ok(Json(app.totp_begin(&p).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    pub code: String,
}

/// Confirm two-step verification with a code from the authenticator app.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "me", request_body = CodeBody, responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
pub async fn totp_confirm(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<CodeBody>,
) -> ApiResult<StatusCode> {
    app.totp_confirm(&p, &b.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableTotpBody {
    pub password: String,
}

/// Turn two-step verification off (needs the password).
#[utoipa::path(post, path = "/api/v1/me/totp/disable", tag = "me", request_body = DisableTotpBody, responses((status = 204), (status = 422, body = crate::error::ErrorBody)))]
pub async fn totp_disable(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<DisableTotpBody>,
) -> ApiResult<StatusCode> {
    app.totp_disable(&p, &b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct PermissionInfo {
    pub key: String,
    pub label_en: String,
    pub label_zh: String,
}

/// Every named permission a custom role can be built from.
#[utoipa::path(get, path = "/api/v1/permissions", tag = "roles", responses((status = 200, body = [PermissionInfo])))]
pub async fn permissions(Auth(_p): Auth) -> Json<Vec<PermissionInfo>> {
    Json(
        Permission::ALL
            .iter()
            .map(|p| PermissionInfo {
                key: p.key().into(),
                label_en: p.label(false).into(),
                label_zh: p.label(true).into(),
            })
            .collect(),
    )
}

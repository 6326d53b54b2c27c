//! Signing in and being recognised: passwords with lock-out, the TOTP second
//! step, web sessions with CSRF tokens, and bearer API tokens.

use crate::principal::{role_permissions, PrincipalKind};
use crate::secrets::{self, constant_time_eq};
use crate::{App, AppError, AppResult, Principal};
use kefu_domain::{totp, NewPassword, Permission, TenantId};
use kefu_store::{now_ms, roles, sessions, tenants, tokens, users, TenantScope};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A sliding one-minute window of sign-in attempts per client address, so one
/// address cannot try passwords against many accounts (lock-out alone only
/// protects each account).
pub struct RateLimiter {
    per_minute: usize,
    seen: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(per_minute: usize) -> Self {
        Self {
            per_minute,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Count an attempt from `key`; refuse it when the window is full.
    pub fn check(&self, key: &str) -> AppResult<()> {
        let now = Instant::now();
        let window = Duration::from_secs(60);
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let q = seen.entry(key.to_string()).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        if q.len() >= self.per_minute {
            let retry = q
                .front()
                .map(|t| window.saturating_sub(now.duration_since(*t)).as_secs() + 1)
                .unwrap_or(60);
            return Err(AppError::RateLimited {
                retry_after_s: retry,
            });
        }
        q.push_back(now);
        Ok(())
    }
}

/// A new web session: the raw cookie token (shown to the browser once, stored
/// only hashed) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub user_id: String,
    pub tenant_id: String,
    /// The password was right but the second factor is still owed.
    pub totp_pending: bool,
}

pub struct LoginRequest<'a> {
    pub tenant: &'a str,
    pub username: &'a str,
    pub password: &'a str,
    pub totp_code: Option<&'a str>,
    pub ip: Option<&'a str>,
}

impl App {
    /// Check a password. On success returns a session — complete, or pending the
    /// TOTP step when the user has enabled it and no code was given.
    pub async fn login(&self, req: LoginRequest<'_>) -> AppResult<NewSession> {
        self.limiter.check(req.ip.unwrap_or("unknown"))?;
        let mut conn = self.store.conn().await?;
        let Some(tenant) = tenants::find_by_slug_unscoped(&mut conn, req.tenant).await? else {
            secrets::burn_password_check(req.password);
            return Err(AppError::InvalidCredentials);
        };
        let scope = TenantScope::new(TenantId::from_db(tenant.id));
        let username = req.username.trim().to_lowercase();
        let Some(user) = users::find_by_username(&mut conn, &scope, &username).await? else {
            secrets::burn_password_check(req.password);
            return Err(AppError::InvalidCredentials);
        };
        let now = now_ms();
        if let Some(until) = user.locked_until.filter(|u| *u > now) {
            return Err(AppError::Locked { until_ms: until });
        }
        let creds = users::credentials(&mut conn, &scope, &user.id).await?;
        if !secrets::verify_password(req.password, &creds.password_hash) {
            return Err(self
                .count_failure(&mut conn, &scope, &user.id, creds.failed_logins)
                .await);
        }
        if !user.active {
            return Err(AppError::Unauthenticated(
                "this account is deactivated".into(),
            ));
        }
        let needs_totp = user.totp_enabled && creds.totp_secret.is_some();
        if needs_totp {
            if let Some(code) = req.totp_code {
                self.check_totp(&mut conn, &scope, &user.id, code, &creds)
                    .await?;
            } else {
                // Half a session: good only for the TOTP step.
                return self.new_session(&mut conn, &scope, &user.id, true).await;
            }
        }
        users::clear_failed_logins(&mut conn, &scope, &user.id).await?;
        self.new_session(&mut conn, &scope, &user.id, false).await
    }

    /// The second step of a web sign-in: the code for a pending session.
    pub async fn login_totp(
        &self,
        session_token: &str,
        code: &str,
        ip: Option<&str>,
    ) -> AppResult<()> {
        self.limiter.check(ip.unwrap_or("unknown"))?;
        let mut conn = self.store.conn().await?;
        let session =
            sessions::find_live_by_hash_unscoped(&mut conn, &secrets::sha256_hex(session_token))
                .await?
                .filter(|s| s.totp_pending)
                .ok_or_else(|| {
                    AppError::Unauthenticated("sign in with your password first".into())
                })?;
        let scope = TenantScope::new(TenantId::from_db(session.tenant_id.clone()));
        let user = users::get(&mut conn, &scope, &session.user_id)
            .await?
            .ok_or_else(|| AppError::Unauthenticated("sign in again".into()))?;
        if let Some(until) = user.locked_until.filter(|u| *u > now_ms()) {
            sessions::delete(&mut conn, &scope, &session.id).await?;
            return Err(AppError::Locked { until_ms: until });
        }
        let creds = users::credentials(&mut conn, &scope, &user.id).await?;
        self.check_totp(&mut conn, &scope, &user.id, code, &creds)
            .await?;
        users::clear_failed_logins(&mut conn, &scope, &user.id).await?;
        sessions::complete_totp(&mut conn, &scope, &session.id).await?;
        Ok(())
    }

    async fn check_totp(
        &self,
        conn: &mut kefu_store::Conn,
        scope: &TenantScope,
        user_id: &str,
        code: &str,
        creds: &users::Credentials,
    ) -> AppResult<()> {
        let secret = creds
            .totp_secret
            .as_deref()
            .and_then(totp::base32_decode)
            .ok_or(AppError::InvalidTotp)?;
        let now_s = (now_ms() / 1000) as u64;
        let last = creds.totp_last_step.map(|s| s as u64);
        match totp::verify(&secret, code, now_s, last) {
            Some(step) => {
                users::set_totp_last_step(conn, scope, user_id, step as i64).await?;
                Ok(())
            }
            None => {
                let err = self
                    .count_failure(conn, scope, user_id, creds.failed_logins)
                    .await;
                Err(match err {
                    AppError::Locked { .. } => err,
                    _ => AppError::InvalidTotp,
                })
            }
        }
    }

    /// Record a failed attempt; the Nth consecutive one locks the account.
    async fn count_failure(
        &self,
        conn: &mut kefu_store::Conn,
        scope: &TenantScope,
        user_id: &str,
        before: i64,
    ) -> AppError {
        let failed = before + 1;
        let lock = (failed >= self.auth.max_failed_logins)
            .then(|| now_ms() + self.auth.lockout_minutes * 60_000);
        if let Err(e) = users::record_failed_login(conn, scope, user_id, failed, lock).await {
            return e.into();
        }
        match lock {
            Some(until) => {
                tracing::warn!(tenant = %scope.tenant_id(), user_id, failed, "account locked after failed sign-ins");
                AppError::Locked { until_ms: until }
            }
            None => AppError::InvalidCredentials,
        }
    }

    async fn new_session(
        &self,
        conn: &mut kefu_store::Conn,
        scope: &TenantScope,
        user_id: &str,
        totp_pending: bool,
    ) -> AppResult<NewSession> {
        let token = secrets::random_token(32);
        let csrf = secrets::random_token(24);
        // A pending session lives just long enough to type a code.
        let ttl = if totp_pending {
            5 * 60_000
        } else {
            self.auth.session_hours * 3_600_000
        };
        sessions::create(
            conn,
            scope,
            user_id,
            &secrets::sha256_hex(&token),
            &csrf,
            totp_pending,
            now_ms() + ttl,
        )
        .await?;
        Ok(NewSession {
            token,
            csrf_token: csrf,
            user_id: user_id.to_string(),
            tenant_id: scope.tenant_id().to_string(),
            totp_pending,
        })
    }

    pub async fn logout(&self, session_token: &str) -> AppResult<()> {
        let mut conn = self.store.conn().await?;
        if let Some(s) =
            sessions::find_live_by_hash_unscoped(&mut conn, &secrets::sha256_hex(session_token))
                .await?
        {
            let scope = TenantScope::new(TenantId::from_db(s.tenant_id.clone()));
            sessions::delete(&mut conn, &scope, &s.id).await?;
        }
        Ok(())
    }

    /// Resolve a session cookie. Pending (TOTP-owed) sessions do not count.
    pub async fn authenticate_session(
        &self,
        session_token: &str,
        ip: Option<String>,
    ) -> AppResult<Principal> {
        let mut conn = self.store.conn().await?;
        let session =
            sessions::find_live_by_hash_unscoped(&mut conn, &secrets::sha256_hex(session_token))
                .await?
                .filter(|s| !s.totp_pending)
                .ok_or_else(|| {
                    AppError::Unauthenticated("your session has ended; sign in again".into())
                })?;
        let scope = TenantScope::new(TenantId::from_db(session.tenant_id.clone()));
        let user = users::get(&mut conn, &scope, &session.user_id)
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| AppError::Unauthenticated("sign in again".into()))?;
        let role = roles::get(&mut conn, &scope, &user.role_id).await?;
        Ok(Principal {
            tenant: scope,
            user_id: Some(user.id),
            name: user.username,
            display_name: user.display_name,
            permissions: role.as_ref().map(role_permissions).unwrap_or_default(),
            kind: PrincipalKind::Session {
                session_id: session.id,
                csrf_token: session.csrf_token,
            },
            ip,
            locale: user.locale,
        })
    }

    /// Resolve a bearer API token. Revoked or unknown tokens are refused alike.
    pub async fn authenticate_token(
        &self,
        token: &str,
        ip: Option<String>,
    ) -> AppResult<Principal> {
        let mut conn = self.store.conn().await?;
        let (tenant, tok) = tokens::find_by_hash_unscoped(&mut conn, &secrets::sha256_hex(token))
            .await?
            .filter(|(_, t)| t.revoked_at.is_none())
            .ok_or_else(|| {
                AppError::Unauthenticated("the API token is invalid or has been revoked".into())
            })?;
        let scope = TenantScope::new(tenant);
        let role = roles::get(&mut conn, &scope, &tok.role_id).await?;
        tokens::touch(&mut conn, &scope, &tok.id).await?;
        Ok(Principal {
            tenant: scope,
            user_id: None,
            name: format!("token:{}", tok.name),
            display_name: tok.name,
            permissions: role.as_ref().map(role_permissions).unwrap_or_default(),
            kind: PrincipalKind::ApiToken { token_id: tok.id },
            ip,
            locale: None,
        })
    }

    /// A form post or cookie-authenticated API write must carry the session's
    /// CSRF token. Bearer-token calls cannot be forged by a browser and pass.
    pub fn check_csrf(&self, p: &Principal, presented: Option<&str>) -> AppResult<()> {
        match &p.kind {
            PrincipalKind::ApiToken { .. } => Ok(()),
            PrincipalKind::Session { csrf_token, .. } => match presented {
                Some(t) if constant_time_eq(t, csrf_token) => Ok(()),
                _ => Err(AppError::CsrfFailed),
            },
        }
    }

    /// Change my own password; every other session of mine is signed out.
    pub async fn change_own_password(
        &self,
        p: &Principal,
        current: &str,
        new: &str,
    ) -> AppResult<()> {
        let me = p.require_user()?;
        let new = NewPassword::parse(new)?;
        let mut tx = self.store.begin().await?;
        let creds = users::credentials(&mut tx, &p.tenant, me).await?;
        if !secrets::verify_password(current, &creds.password_hash) {
            return Err(AppError::Validation(kefu_domain::ValidationError::new(
                "current_password",
                "is not your current password",
            )));
        }
        users::set_password(
            &mut tx,
            &p.tenant,
            me,
            &secrets::hash_password(new.expose()),
        )
        .await?;
        let keep = match &p.kind {
            PrincipalKind::Session { session_id, .. } => Some(session_id.as_str()),
            PrincipalKind::ApiToken { .. } => None,
        };
        sessions::delete_for_user(&mut tx, &p.tenant, me, keep).await?;
        crate::audit(
            &mut tx,
            p,
            "user.password_change",
            "user",
            Some(me),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Start enabling TOTP: a fresh secret, not yet in force until confirmed.
    pub async fn totp_begin(&self, p: &Principal) -> AppResult<TotpSetup> {
        let me = p.require_user()?;
        let mut conn = self.store.conn().await?;
        let user = users::get(&mut conn, &p.tenant, me)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        if user.totp_enabled {
            return Err(AppError::conflict(
                "totp_already_enabled",
                "two-step verification is already on",
            ));
        }
        let secret = totp::base32_encode(&secrets::random_bytes(20));
        users::set_totp(&mut conn, &p.tenant, me, Some(&secret), false).await?;
        let tenant = tenants::get(&mut conn, &p.tenant).await?;
        let uri = totp::otpauth_uri(
            "kefu",
            &format!("{}@{}", user.username, tenant.slug),
            &secret,
        );
        Ok(TotpSetup {
            qr_svg: qr_svg(&uri),
            otpauth_uri: uri,
            secret,
        })
    }

    /// Confirm with a code from the app; from now on sign-in asks for a code.
    pub async fn totp_confirm(&self, p: &Principal, code: &str) -> AppResult<()> {
        let me = p.require_user()?;
        let mut tx = self.store.begin().await?;
        let creds = users::credentials(&mut tx, &p.tenant, me).await?;
        let secret = creds
            .totp_secret
            .as_deref()
            .and_then(totp::base32_decode)
            .ok_or_else(|| AppError::conflict("totp_not_started", "start two-step set-up first"))?;
        let step = totp::verify(&secret, code, (now_ms() / 1000) as u64, None)
            .ok_or(AppError::InvalidTotp)?;
        users::set_totp(&mut tx, &p.tenant, me, creds.totp_secret.as_deref(), true).await?;
        users::set_totp_last_step(&mut tx, &p.tenant, me, step as i64).await?;
        crate::audit(&mut tx, p, "user.totp_enable", "user", Some(me), None, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Turn TOTP off; needs the password so a stolen session cannot do it.
    pub async fn totp_disable(&self, p: &Principal, password: &str) -> AppResult<()> {
        let me = p.require_user()?;
        let mut tx = self.store.begin().await?;
        let creds = users::credentials(&mut tx, &p.tenant, me).await?;
        if !secrets::verify_password(password, &creds.password_hash) {
            return Err(AppError::Validation(kefu_domain::ValidationError::new(
                "password",
                "is not your password",
            )));
        }
        users::set_totp(&mut tx, &p.tenant, me, None, false).await?;
        crate::audit(
            &mut tx,
            p,
            "user.totp_disable",
            "user",
            Some(me),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An administrator clears a lock-out.
    pub async fn unlock_user(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::UsersManage)?;
        let id = crate::parse_id("user", id)?;
        let mut tx = self.store.begin().await?;
        let before = users::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        users::clear_failed_logins(&mut tx, &p.tenant, &id).await?;
        crate::audit(
            &mut tx,
            p,
            "user.unlock",
            "user",
            Some(&id),
            crate::json(&before.locked_until),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TotpSetup {
    /// Base32 secret, for typing in by hand.
    pub secret: String,
    pub otpauth_uri: String,
    /// The URI as a QR code, an inline SVG document.
    pub qr_svg: String,
}

pub fn qr_svg(data: &str) -> String {
    match qrcode::QrCode::new(data.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limiter_refuses_past_the_limit_per_key() {
        let l = RateLimiter::new(3);
        for _ in 0..3 {
            l.check("1.2.3.4").unwrap();
        }
        assert!(matches!(
            l.check("1.2.3.4"),
            Err(AppError::RateLimited { .. })
        ));
        l.check("5.6.7.8").unwrap();
    }

    #[test]
    fn qr_is_an_svg() {
        assert!(qr_svg("otpauth://totp/kefu:a?secret=AAAA").contains("<svg"));
    }
}

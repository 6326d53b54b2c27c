//! Web sessions. The cookie carries a random token; only its SHA-256 is stored,
//! so a leaked database does not hand out live sessions.

use crate::{flag, now_ms, Conn, Result, Session, TenantScope};
use kefu_domain::SessionId;
use sqlx::{any::AnyRow, Row};

fn from_row(r: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        user_id: r.try_get("user_id")?,
        csrf_token: r.try_get("csrf_token")?,
        totp_pending: r.try_get::<i64, _>("totp_pending")? != 0,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

pub async fn create(
    conn: &mut Conn,
    t: &TenantScope,
    user_id: &str,
    token_hash: &str,
    csrf_token: &str,
    totp_pending: bool,
    expires_at: i64,
) -> Result<Session> {
    let id = SessionId::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (id, tenant_id, token_hash, user_id, csrf_token, totp_pending, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(token_hash)
    .bind(user_id)
    .bind(csrf_token)
    .bind(flag(totp_pending))
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(Session {
        id: id.to_string(),
        tenant_id: t.id().to_string(),
        user_id: user_id.to_string(),
        csrf_token: csrf_token.to_string(),
        totp_pending,
        created_at: now,
        expires_at,
    })
}

/// Resolve a cookie to a live (unexpired) session.
pub async fn find_live_by_hash_unscoped(
    conn: &mut Conn,
    token_hash: &str,
) -> Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT id, tenant_id, user_id, csrf_token, totp_pending, created_at, expires_at \
         FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The second factor was given: the session becomes a full one.
pub async fn complete_totp(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let done = sqlx::query("UPDATE sessions SET totp_pending = 0 WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::one_row(done.rows_affected())
}

pub async fn delete(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sign a user out everywhere (password change, deactivation), optionally
/// keeping the session that asked for it.
pub async fn delete_for_user(
    conn: &mut Conn,
    t: &TenantScope,
    user_id: &str,
    except: Option<&str>,
) -> Result<u64> {
    let done =
        sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND id <> $3")
            .bind(t.id())
            .bind(user_id)
            .bind(except.unwrap_or(""))
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected())
}

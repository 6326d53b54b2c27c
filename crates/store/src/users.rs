//! Users and agents: profile, credentials, lock-out counters, TOTP, and the
//! reception status with its history of change events.

use crate::{flag, now_ms, AgentStatusEvent, Conn, Result, TenantScope, User};
use kefu_domain::{EventId, UserId};
use sqlx::{any::AnyRow, Row};

const COLS: &str = "id, username, display_name, email, role_id, department_id, reception_limit, \
    ticket_limit, sip_extension, status_id, status_changed_at, locale, active, totp_enabled, locked_until, \
    created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<User> {
    Ok(User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        email: r.try_get("email")?,
        role_id: r.try_get("role_id")?,
        department_id: r.try_get("department_id")?,
        reception_limit: r.try_get("reception_limit")?,
        ticket_limit: r.try_get("ticket_limit")?,
        sip_extension: r.try_get("sip_extension")?,
        status_id: r.try_get("status_id")?,
        status_changed_at: r.try_get("status_changed_at")?,
        locale: r.try_get("locale")?,
        active: r.try_get::<i64, _>("active")? != 0,
        totp_enabled: r.try_get::<i64, _>("totp_enabled")? != 0,
        locked_until: r.try_get("locked_until")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Everything about a user that is not a secret and can be edited.
#[derive(Debug, Clone)]
pub struct UserFields {
    pub display_name: String,
    pub email: Option<String>,
    pub role_id: String,
    pub department_id: Option<String>,
    pub reception_limit: i64,
    /// 工单上限: most open tickets routing gives the agent at once.
    pub ticket_limit: i64,
    pub sip_extension: Option<String>,
    pub locale: Option<String>,
    pub active: bool,
}

impl From<&User> for UserFields {
    /// Start an edit from the stored record.
    fn from(u: &User) -> Self {
        UserFields {
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            role_id: u.role_id.clone(),
            department_id: u.department_id.clone(),
            reception_limit: u.reception_limit,
            ticket_limit: u.ticket_limit,
            sip_extension: u.sip_extension.clone(),
            locale: u.locale.clone(),
            active: u.active,
        }
    }
}

/// The secret half of a user, read only to check a sign-in.
#[derive(Clone)]
pub struct Credentials {
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub failed_logins: i64,
}

pub async fn create(
    conn: &mut Conn,
    t: &TenantScope,
    username: &str,
    password_hash: &str,
    f: &UserFields,
) -> Result<User> {
    let id = UserId::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO users (id, tenant_id, username, display_name, email, password_hash, role_id, \
         department_id, reception_limit, ticket_limit, sip_extension, locale, active, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(username)
    .bind(&f.display_name)
    .bind(f.email.as_deref())
    .bind(password_hash)
    .bind(&f.role_id)
    .bind(f.department_id.as_deref())
    .bind(f.reception_limit)
    .bind(f.ticket_limit)
    .bind(f.sip_extension.as_deref())
    .bind(f.locale.as_deref())
    .bind(flag(f.active))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    get(conn, t, id.as_str())
        .await?
        .ok_or(crate::StoreError::NotFound)
}

pub async fn list(conn: &mut Conn, t: &TenantScope) -> Result<Vec<User>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM users WHERE tenant_id = $1 ORDER BY username"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<User>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM users WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find_by_username(
    conn: &mut Conn,
    t: &TenantScope,
    username: &str,
) -> Result<Option<User>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM users WHERE tenant_id = $1 AND username = $2"
    ))
    .bind(t.id())
    .bind(username)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn credentials(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Credentials> {
    let r = sqlx::query(
        "SELECT password_hash, totp_secret, totp_last_step, failed_logins FROM users \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Credentials {
        password_hash: r.try_get("password_hash")?,
        totp_secret: r.try_get("totp_secret")?,
        totp_last_step: r.try_get("totp_last_step")?,
        failed_logins: r.try_get("failed_logins")?,
    })
}

pub async fn update(conn: &mut Conn, t: &TenantScope, id: &str, f: &UserFields) -> Result<()> {
    let done = sqlx::query(
        "UPDATE users SET display_name = $3, email = $4, role_id = $5, department_id = $6, \
         reception_limit = $7, ticket_limit = $8, sip_extension = $9, locale = $10, active = $11, \
         updated_at = $12 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(&f.display_name)
    .bind(f.email.as_deref())
    .bind(&f.role_id)
    .bind(f.department_id.as_deref())
    .bind(f.reception_limit)
    .bind(f.ticket_limit)
    .bind(f.sip_extension.as_deref())
    .bind(f.locale.as_deref())
    .bind(flag(f.active))
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

pub async fn delete(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    for sql in [
        "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2",
        "DELETE FROM skill_group_members WHERE tenant_id = $1 AND user_id = $2",
        "DELETE FROM agent_status_events WHERE tenant_id = $1 AND user_id = $2",
    ] {
        sqlx::query(sql)
            .bind(t.id())
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let done = sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::one_row(done.rows_affected())
}

pub async fn set_password(conn: &mut Conn, t: &TenantScope, id: &str, hash: &str) -> Result<()> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(hash)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

/// Count a failed sign-in; lock the account until `lock_until` if given.
pub async fn record_failed_login(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    failed: i64,
    lock_until: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET failed_logins = $3, locked_until = $4 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(failed)
    .bind(lock_until)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A successful sign-in (or an administrator's unlock) clears the counters.
pub async fn clear_failed_logins(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let done = sqlx::query(
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

/// Store a TOTP secret; `enabled` false while the user has not yet proven they
/// scanned it.
pub async fn set_totp(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    secret: Option<&str>,
    enabled: bool,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE users SET totp_secret = $3, totp_enabled = $4, totp_last_step = NULL, updated_at = $5 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(secret)
    .bind(flag(enabled))
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

/// Remember the last accepted TOTP step so the same code cannot be replayed.
pub async fn set_totp_last_step(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    step: i64,
) -> Result<()> {
    sqlx::query("UPDATE users SET totp_last_step = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .bind(step)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Change an agent's reception status and record the change as an event, in the
/// caller's transaction so the two never disagree.
pub async fn set_status(
    conn: &mut Conn,
    t: &TenantScope,
    user_id: &str,
    status_id: &str,
    actor_id: Option<&str>,
) -> Result<AgentStatusEvent> {
    let from: Option<Option<String>> =
        sqlx::query_scalar("SELECT status_id FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(t.id())
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    let from = from.ok_or(crate::StoreError::NotFound)?;
    let now = now_ms();
    sqlx::query(
        "UPDATE users SET status_id = $3, status_changed_at = $4 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(user_id)
    .bind(status_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let ev = AgentStatusEvent {
        id: EventId::new().to_string(),
        user_id: user_id.to_string(),
        from_status_id: from,
        to_status_id: status_id.to_string(),
        actor_id: actor_id.map(str::to_string),
        at: now,
    };
    sqlx::query(
        "INSERT INTO agent_status_events (id, tenant_id, user_id, from_status_id, to_status_id, actor_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&ev.id)
    .bind(t.id())
    .bind(&ev.user_id)
    .bind(ev.from_status_id.as_deref())
    .bind(&ev.to_status_id)
    .bind(ev.actor_id.as_deref())
    .bind(ev.at)
    .execute(&mut *conn)
    .await?;
    Ok(ev)
}

pub async fn status_events(
    conn: &mut Conn,
    t: &TenantScope,
    user_id: &str,
    limit: i64,
) -> Result<Vec<AgentStatusEvent>> {
    let rows = sqlx::query(
        "SELECT id, user_id, from_status_id, to_status_id, actor_id, at FROM agent_status_events \
         WHERE tenant_id = $1 AND user_id = $2 ORDER BY at DESC, id DESC LIMIT $3",
    )
    .bind(t.id())
    .bind(user_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AgentStatusEvent {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
                from_status_id: r.try_get("from_status_id")?,
                to_status_id: r.try_get("to_status_id")?,
                actor_id: r.try_get("actor_id")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// How many users hold a role (a role in use cannot be deleted).
pub async fn count_with_role(conn: &mut Conn, t: &TenantScope, role_id: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role_id = $2")
            .bind(t.id())
            .bind(role_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

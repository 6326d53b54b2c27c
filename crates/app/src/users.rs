//! Managing users and agents, and agents' reception status.

use crate::{
    audit, double_option, json, missing_ref, parse_id, App, AppError, AppResult, Principal,
};
use kefu_domain::{
    BuiltinRole, Email, Name, NewPassword, Permission, ReceptionLimit, SipExtension, TicketLimit,
    Username,
};
use kefu_events::Event;
use kefu_store::{
    departments, now_ms, roles, sessions, statuses, users, AgentStatusEvent, Conn, TenantScope,
    User,
};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role_id: String,
    pub department_id: Option<String>,
    /// 接待上限; defaults to 5.
    pub reception_limit: Option<i64>,
    /// 工单上限 (0–1000): most open tickets routing gives the agent at once;
    /// defaults to 10.
    pub ticket_limit: Option<i64>,
    pub sip_extension: Option<String>,
    /// `zh-CN` or `en`.
    pub locale: Option<String>,
}

/// Only the fields present are changed; `null` clears an optional field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub role_id: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub department_id: Option<Option<String>>,
    pub reception_limit: Option<i64>,
    /// 工单上限 (0–1000).
    pub ticket_limit: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub sip_extension: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub locale: Option<Option<String>>,
    pub active: Option<bool>,
    /// An administrator sets a new password; the user's sessions end.
    pub password: Option<String>,
}

fn parse_locale(l: Option<String>) -> AppResult<Option<String>> {
    match l.as_deref() {
        None | Some("") => Ok(None),
        Some("zh-CN") | Some("en") => Ok(l),
        Some(_) => Err(kefu_domain::ValidationError::new("locale", "must be zh-CN or en").into()),
    }
}

fn parse_opt<T>(
    v: Option<String>,
    f: impl Fn(&str) -> Result<T, kefu_domain::ValidationError>,
) -> AppResult<Option<String>>
where
    T: serde::Serialize,
{
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => {
            f(s)?;
            Ok(Some(s.to_string()))
        }
    }
}

async fn check_refs(
    conn: &mut Conn,
    t: &TenantScope,
    role_id: &str,
    department_id: Option<&str>,
) -> AppResult<kefu_store::Role> {
    let role = roles::get(conn, t, role_id)
        .await?
        .ok_or_else(|| missing_ref("role_id", "role"))?;
    if let Some(d) = department_id {
        departments::get(conn, t, d)
            .await?
            .ok_or_else(|| missing_ref("department_id", "department"))?;
    }
    Ok(role)
}

fn role_perms(role: &kefu_store::Role) -> Vec<Permission> {
    crate::principal::role_permissions(role)
        .into_iter()
        .collect()
}

impl App {
    pub async fn list_users(&self, p: &Principal) -> AppResult<Vec<User>> {
        p.require(Permission::UsersView)?;
        let mut conn = self.store.conn().await?;
        Ok(users::list(&mut conn, &p.tenant).await?)
    }

    /// Anyone may read their own record; others need `users.view`.
    pub async fn get_user(&self, p: &Principal, id: &str) -> AppResult<User> {
        let id = parse_id("user", id)?;
        if !p.is_user(&id) {
            p.require(Permission::UsersView)?;
        }
        let mut conn = self.store.conn().await?;
        users::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("user"))
    }

    pub async fn create_user(&self, p: &Principal, input: CreateUser) -> AppResult<User> {
        p.require(Permission::UsersManage)?;
        let username = Username::parse(&input.username)?;
        let password = NewPassword::parse(&input.password)?;
        let fields = users::UserFields {
            display_name: Name::parse("display_name", &input.display_name)?.into_string(),
            email: parse_opt(input.email, Email::parse)?.map(|e| e.to_lowercase()),
            role_id: parse_id("role", &input.role_id)
                .map_err(|_| missing_ref("role_id", "role"))?,
            department_id: input.department_id.filter(|d| !d.is_empty()),
            reception_limit: ReceptionLimit::parse(
                input
                    .reception_limit
                    .unwrap_or(ReceptionLimit::DEFAULT.get() as i64),
            )?
            .get() as i64,
            ticket_limit: TicketLimit::parse(
                input
                    .ticket_limit
                    .unwrap_or(TicketLimit::DEFAULT.get() as i64),
            )?
            .get() as i64,
            sip_extension: parse_opt(input.sip_extension, SipExtension::parse)?,
            locale: parse_locale(input.locale)?,
            active: true,
        };
        let hash = crate::secrets::hash_password(password.expose());
        let mut tx = self.store.begin().await?;
        let role = check_refs(
            &mut tx,
            &p.tenant,
            &fields.role_id,
            fields.department_id.as_deref(),
        )
        .await?;
        p.require_all(&role_perms(&role))?;
        let user = users::create(&mut tx, &p.tenant, username.as_str(), &hash, &fields)
            .await
            .map_err(|e| AppError::from_store("user", e))?;
        audit(
            &mut tx,
            p,
            "user.create",
            "user",
            Some(&user.id),
            None,
            json(&user),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn update_user(&self, p: &Principal, id: &str, input: UpdateUser) -> AppResult<User> {
        p.require(Permission::UsersManage)?;
        let id = parse_id("user", id)?;
        let mut tx = self.store.begin().await?;
        let before = users::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let mut f = users::UserFields::from(&before);
        if let Some(n) = input.display_name {
            f.display_name = Name::parse("display_name", &n)?.into_string();
        }
        if let Some(e) = input.email {
            f.email = parse_opt(e, Email::parse)?.map(|e| e.to_lowercase());
        }
        if let Some(r) = input.role_id {
            f.role_id = parse_id("role", &r).map_err(|_| missing_ref("role_id", "role"))?;
        }
        if let Some(d) = input.department_id {
            f.department_id = d.filter(|d| !d.is_empty());
        }
        if let Some(l) = input.reception_limit {
            f.reception_limit = ReceptionLimit::parse(l)?.get() as i64;
        }
        if let Some(l) = input.ticket_limit {
            f.ticket_limit = TicketLimit::parse(l)?.get() as i64;
        }
        if let Some(s) = input.sip_extension {
            f.sip_extension = parse_opt(s, SipExtension::parse)?;
        }
        if let Some(l) = input.locale {
            f.locale = parse_locale(l)?;
        }
        if let Some(a) = input.active {
            if !a && p.is_user(&id) {
                return Err(AppError::NotAllowed(
                    "you cannot deactivate your own account".into(),
                ));
            }
            f.active = a;
        }
        let new_password = input
            .password
            .as_deref()
            .map(NewPassword::parse)
            .transpose()?;
        let role = check_refs(&mut tx, &p.tenant, &f.role_id, f.department_id.as_deref()).await?;
        if f.role_id != before.role_id {
            p.require_all(&role_perms(&role))?;
        }
        let stays_admin =
            f.active && role.builtin.as_deref() == Some(BuiltinRole::Administrator.key());
        if !stays_admin {
            guard_last_admin(&mut tx, &p.tenant, &before).await?;
        }
        users::update(&mut tx, &p.tenant, &id, &f).await?;
        if let Some(pw) = new_password {
            users::set_password(
                &mut tx,
                &p.tenant,
                &id,
                &crate::secrets::hash_password(pw.expose()),
            )
            .await?;
        }
        // A reset password or a deactivation must end the sessions already open.
        if input.password.is_some() || (before.active && !f.active) {
            sessions::delete_for_user(&mut tx, &p.tenant, &id, None).await?;
        }
        let after = users::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        audit(
            &mut tx,
            p,
            "user.update",
            "user",
            Some(&id),
            json(&before),
            json(&after),
        )
        .await?;
        tx.commit().await?;
        self.after_agent_change(&p.tenant, &id).await;
        Ok(after)
    }

    pub async fn delete_user(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::UsersManage)?;
        let id = parse_id("user", id)?;
        if p.is_user(&id) {
            return Err(AppError::NotAllowed(
                "you cannot delete your own account".into(),
            ));
        }
        let mut tx = self.store.begin().await?;
        let before = users::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        guard_last_admin(&mut tx, &p.tenant, &before).await?;
        users::delete(&mut tx, &p.tenant, &id)
            .await
            .map_err(|e| AppError::from_store("user", e))?;
        audit(
            &mut tx,
            p,
            "user.delete",
            "user",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Change an agent's reception status (接待状态). Agents change their own;
    /// changing someone else's needs `agents.status.manage` and is audited. Every
    /// change is stored as an event with its time.
    pub async fn set_agent_status(
        &self,
        p: &Principal,
        user_id: &str,
        status_id: &str,
    ) -> AppResult<AgentStatusEvent> {
        let user_id = parse_id("user", user_id)?;
        let own = p.is_user(&user_id);
        if !own {
            p.require(Permission::AgentStatusManage)?;
        }
        let mut tx = self.store.begin().await?;
        users::get(&mut tx, &p.tenant, &user_id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let status_id = parse_id("status", status_id)
            .map_err(|_| missing_ref("status_id", "reception status"))?;
        let status = statuses::get(&mut tx, &p.tenant, &status_id)
            .await?
            .ok_or_else(|| missing_ref("status_id", "reception status"))?;
        let ev = users::set_status(
            &mut tx,
            &p.tenant,
            &user_id,
            &status.id,
            p.user_id.as_deref(),
        )
        .await?;
        if !own {
            audit(
                &mut tx,
                p,
                "agent.status_force",
                "user",
                Some(&user_id),
                json(&ev.from_status_id),
                json(&ev.to_status_id),
            )
            .await?;
        }
        tx.commit().await?;
        self.after_agent_change(&p.tenant, &user_id).await;
        // The agent's workbench shows a status a team lead forced, at once.
        self.hub.publish(
            &crate::hub::Topic::Agent(user_id.clone()),
            &serde_json::json!({"type": "status", "status_id": status.id, "can_receive": status.can_receive, "by": p.user_id}),
        );
        self.bus.publish(Event {
            tenant_id: p.tenant.tenant_id().clone(),
            topic: "agent.status_changed".into(),
            payload: serde_json::json!({
                "user_id": user_id,
                "status_id": status.id,
                "can_receive": status.can_receive,
            }),
            at_ms: now_ms(),
        });
        Ok(ev)
    }

    pub async fn agent_status_events(
        &self,
        p: &Principal,
        user_id: &str,
        limit: i64,
    ) -> AppResult<Vec<AgentStatusEvent>> {
        let user_id = parse_id("user", user_id)?;
        if !p.is_user(&user_id) {
            p.require(Permission::UsersView)?;
        }
        let mut conn = self.store.conn().await?;
        users::get(&mut conn, &p.tenant, &user_id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        Ok(users::status_events(&mut conn, &p.tenant, &user_id, limit.clamp(1, 500)).await?)
    }

    /// My own profile: display name, e-mail, language.
    pub async fn update_own_profile(
        &self,
        p: &Principal,
        display_name: Option<String>,
        email: Option<Option<String>>,
        locale: Option<Option<String>>,
    ) -> AppResult<User> {
        let me = p.require_user()?.to_string();
        let mut tx = self.store.begin().await?;
        let before = users::get(&mut tx, &p.tenant, &me)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let mut f = users::UserFields::from(&before);
        if let Some(n) = display_name {
            f.display_name = Name::parse("display_name", &n)?.into_string();
        }
        if let Some(e) = email {
            f.email = parse_opt(e, Email::parse)?.map(|e| e.to_lowercase());
        }
        if let Some(l) = locale {
            f.locale = parse_locale(l)?;
        }
        users::update(&mut tx, &p.tenant, &me, &f).await?;
        let after = users::get(&mut tx, &p.tenant, &me)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        tx.commit().await?;
        Ok(after)
    }
}

/// A tenant must keep at least one active administrator, or nobody could ever
/// manage it again.
async fn guard_last_admin(conn: &mut Conn, t: &TenantScope, user: &User) -> AppResult<()> {
    let Some(admin) = roles::find_builtin(conn, t, BuiltinRole::Administrator.key()).await? else {
        return Ok(());
    };
    if user.role_id != admin.id || !user.active {
        return Ok(());
    }
    let others = users::list(conn, t)
        .await?
        .into_iter()
        .filter(|u| u.role_id == admin.id && u.active && u.id != user.id)
        .count();
    if others == 0 {
        return Err(AppError::conflict(
            "last_administrator",
            "this is the last active administrator; appoint another one first",
        ));
    }
    Ok(())
}

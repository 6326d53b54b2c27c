//! Provisioning tenants and users from the operator's command line (`kefu admin
//! …`). These run with no signed-in principal; the audit log names the actor
//! `system`.

use crate::{App, AppError, AppResult};
use kefu_domain::{BuiltinRole, Name, NewPassword, ReceptionLimit, TenantId, TenantSlug, Username};
use kefu_store::{audit, roles, statuses, tenants, users, Conn, Tenant, TenantScope, User};

/// Reception statuses every new tenant starts with (接待状态). Tenants rename or
/// add their own; only `can_receive` matters to routing.
pub const DEFAULT_STATUSES: &[(&str, bool)] = &[
    ("在线", true),
    ("忙碌", false),
    ("小休", false),
    ("会议", false),
    ("培训", false),
    ("离线", false),
];

async fn system_audit(
    conn: &mut Conn,
    t: &TenantScope,
    action: &str,
    kind: &str,
    id: &str,
    after: Option<serde_json::Value>,
) -> AppResult<()> {
    audit::record(
        conn,
        t,
        audit::NewAudit {
            actor_id: None,
            actor_name: "system",
            action,
            resource_type: kind,
            resource_id: Some(id),
            before: None,
            after,
            ip: None,
        },
    )
    .await?;
    Ok(())
}

impl App {
    /// A new tenant with the three built-in roles and the default statuses.
    pub async fn create_tenant(&self, slug: &str, name: &str) -> AppResult<Tenant> {
        let slug = TenantSlug::parse(slug)?;
        let name = Name::parse("name", name)?;
        let mut tx = self.store.begin().await?;
        let tenant = tenants::create(&mut tx, &slug, &name)
            .await
            .map_err(|e| AppError::from_store("tenant", e))?;
        let scope = TenantScope::new(TenantId::from_db(tenant.id.clone()));
        for role in BuiltinRole::ALL {
            let perms: Vec<String> = role
                .permissions()
                .iter()
                .map(|p| p.key().to_string())
                .collect();
            roles::create(
                &mut tx,
                &scope,
                Some(role.key()),
                &roles::RoleFields {
                    name: role.name(false),
                    permissions: &perms,
                    description: role.name(true),
                },
            )
            .await?;
        }
        for (i, (status, can)) in DEFAULT_STATUSES.iter().enumerate() {
            statuses::create(&mut tx, &scope, status, *can, i as i64).await?;
        }
        system_audit(
            &mut tx,
            &scope,
            "tenant.create",
            "tenant",
            &tenant.id,
            crate::json(&tenant),
        )
        .await?;
        tx.commit().await?;
        Ok(tenant)
    }

    pub async fn find_tenant(&self, slug: &str) -> AppResult<Tenant> {
        let mut conn = self.store.conn().await?;
        tenants::find_by_slug_unscoped(&mut conn, slug)
            .await?
            .ok_or(AppError::NotFound("tenant"))
    }

    pub async fn list_tenants(&self) -> AppResult<Vec<Tenant>> {
        let mut conn = self.store.conn().await?;
        Ok(tenants::list_unscoped(&mut conn).await?)
    }

    /// Create a user with a built-in role in the named tenant (operator command).
    pub async fn create_user_as_operator(
        &self,
        tenant_slug: &str,
        username: &str,
        display_name: &str,
        password: &str,
        role: BuiltinRole,
    ) -> AppResult<User> {
        let tenant = self.find_tenant(tenant_slug).await?;
        let scope = TenantScope::new(TenantId::from_db(tenant.id));
        let username = Username::parse(username)?;
        let password = NewPassword::parse(password)?;
        let display = Name::parse("display_name", display_name)?;
        let mut tx = self.store.begin().await?;
        let role = roles::find_builtin(&mut tx, &scope, role.key())
            .await?
            .ok_or(AppError::NotFound("role"))?;
        let fields = users::UserFields {
            display_name: display.into_string(),
            email: None,
            role_id: role.id,
            department_id: None,
            reception_limit: ReceptionLimit::DEFAULT.get() as i64,
            ticket_limit: kefu_domain::TicketLimit::DEFAULT.get() as i64,
            sip_extension: None,
            locale: None,
            active: true,
        };
        let user = users::create(
            &mut tx,
            &scope,
            username.as_str(),
            &crate::secrets::hash_password(password.expose()),
            &fields,
        )
        .await
        .map_err(|e| AppError::from_store("user", e))?;
        system_audit(
            &mut tx,
            &scope,
            "user.create",
            "user",
            &user.id,
            crate::json(&user),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }
}

//! Roles: built-in (fixed permissions) and custom (any named permissions).

use crate::{audit, json, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::{Name, Permission, ValidationError};
use kefu_store::{roles, users, Role};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    pub name: String,
    /// Permission keys; see `GET /api/v1/permissions`.
    pub permissions: Vec<String>,
    #[serde(default)]
    pub description: String,
}

fn parse_perms(keys: &[String]) -> AppResult<Vec<Permission>> {
    let mut out = Vec::new();
    for k in keys {
        let p = Permission::parse(k).ok_or_else(|| {
            ValidationError::new("permissions", format!("unknown permission {k:?}"))
        })?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

impl App {
    /// Every signed-in user may see the roles (to read their own, and so pickers work).
    pub async fn list_roles(&self, p: &Principal) -> AppResult<Vec<Role>> {
        let mut conn = self.store.conn().await?;
        Ok(roles::list(&mut conn, &p.tenant).await?)
    }

    pub async fn get_role(&self, p: &Principal, id: &str) -> AppResult<Role> {
        let id = parse_id("role", id)?;
        let mut conn = self.store.conn().await?;
        roles::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("role"))
    }

    pub async fn create_role(&self, p: &Principal, input: RoleInput) -> AppResult<Role> {
        p.require(Permission::RolesManage)?;
        let name = Name::parse("name", &input.name)?;
        let perms = parse_perms(&input.permissions)?;
        p.require_all(&perms)?;
        let keys: Vec<String> = perms.iter().map(|p| p.key().to_string()).collect();
        let mut tx = self.store.begin().await?;
        let role = roles::create(
            &mut tx,
            &p.tenant,
            None,
            &roles::RoleFields {
                name: name.as_str(),
                permissions: &keys,
                description: input.description.trim(),
            },
        )
        .await
        .map_err(|e| AppError::from_store("role", e))?;
        audit(
            &mut tx,
            p,
            "role.create",
            "role",
            Some(&role.id),
            None,
            json(&role),
        )
        .await?;
        tx.commit().await?;
        Ok(role)
    }

    pub async fn update_role(&self, p: &Principal, id: &str, input: RoleInput) -> AppResult<Role> {
        p.require(Permission::RolesManage)?;
        let id = parse_id("role", id)?;
        let name = Name::parse("name", &input.name)?;
        let perms = parse_perms(&input.permissions)?;
        let mut tx = self.store.begin().await?;
        let before = roles::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("role"))?;
        if before.builtin.is_some() {
            return Err(AppError::NotAllowed(
                "built-in roles cannot be changed; create a custom role instead".into(),
            ));
        }
        p.require_all(&perms)?;
        let keys: Vec<String> = perms.iter().map(|p| p.key().to_string()).collect();
        roles::update(
            &mut tx,
            &p.tenant,
            &id,
            &roles::RoleFields {
                name: name.as_str(),
                permissions: &keys,
                description: input.description.trim(),
            },
        )
        .await
        .map_err(|e| AppError::from_store("role", e))?;
        let after = roles::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("role"))?;
        audit(
            &mut tx,
            p,
            "role.update",
            "role",
            Some(&id),
            json(&before),
            json(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_role(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::RolesManage)?;
        let id = parse_id("role", id)?;
        let mut tx = self.store.begin().await?;
        let before = roles::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("role"))?;
        if before.builtin.is_some() {
            return Err(AppError::NotAllowed(
                "built-in roles cannot be deleted".into(),
            ));
        }
        let holders = users::count_with_role(&mut tx, &p.tenant, &id).await?;
        if holders > 0 {
            return Err(AppError::conflict(
                "in_use",
                format!("{holders} user(s) still hold this role"),
            ));
        }
        roles::delete(&mut tx, &p.tenant, &id)
            .await
            .map_err(|e| AppError::from_store("role", e))?;
        audit(
            &mut tx,
            p,
            "role.delete",
            "role",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

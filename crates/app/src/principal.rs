//! Who is asking: an authenticated user (web session) or an integration (API
//! token), always inside exactly one tenant.

use crate::{AppError, AppResult};
use kefu_domain::Permission;
use kefu_store::TenantScope;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    Session {
        session_id: String,
        csrf_token: String,
    },
    ApiToken {
        token_id: String,
    },
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant: TenantScope,
    /// The user behind the request; `None` for API tokens.
    pub user_id: Option<String>,
    /// What the audit log shows: the username, or `token:NAME`.
    pub name: String,
    /// What a message shows as its sender: the user's display name as of
    /// sign-in (or of the socket's opening), the token's name otherwise.
    pub display_name: String,
    pub permissions: BTreeSet<Permission>,
    pub kind: PrincipalKind,
    pub ip: Option<String>,
    pub locale: Option<String>,
}

impl Principal {
    pub fn can(&self, perm: Permission) -> bool {
        self.permissions.contains(&perm)
    }

    pub fn require(&self, perm: Permission) -> AppResult<()> {
        if self.can(perm) {
            Ok(())
        } else {
            Err(AppError::Forbidden(perm))
        }
    }

    /// Operations on "my own account" need a user.
    pub fn require_user(&self) -> AppResult<&str> {
        self.user_id.as_deref().ok_or_else(|| {
            AppError::NotAllowed("this action needs a signed-in user, not an API token".into())
        })
    }

    pub fn is_user(&self, id: &str) -> bool {
        self.user_id.as_deref() == Some(id)
    }

    /// Nobody may hand out power they do not hold: a role or token may only carry
    /// permissions the granter has.
    pub fn require_all(&self, perms: &[Permission]) -> AppResult<()> {
        match perms.iter().find(|p| !self.can(**p)) {
            None => Ok(()),
            Some(p) => Err(AppError::NotAllowed(format!(
                "you cannot grant the permission {} because you do not hold it",
                p.key()
            ))),
        }
    }
}

/// Permission keys as stored on a role, parsed; unknown keys (from a newer
/// version, say) are ignored rather than granting anything.
pub fn parse_permissions(keys: &[String]) -> BTreeSet<Permission> {
    keys.iter().filter_map(|k| Permission::parse(k)).collect()
}

/// What a role grants. Built-in roles take their set from the code, so a
/// permission added in a new version reaches existing tenants' administrators.
pub fn role_permissions(role: &kefu_store::Role) -> BTreeSet<Permission> {
    match role
        .builtin
        .as_deref()
        .and_then(kefu_domain::BuiltinRole::parse)
    {
        Some(b) => b.permissions().into_iter().collect(),
        None => parse_permissions(&role.permissions),
    }
}

//! API tokens for integrations: created and revoked by administrators, shown in
//! full exactly once, stored hashed.

use crate::{audit, json, missing_ref, parse_id, secrets, App, AppError, AppResult, Principal};
use kefu_domain::{Name, Permission};
use kefu_store::{roles, tokens, ApiToken};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub name: String,
    /// The role whose permissions the token carries.
    pub role_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// The secret. It is shown only in this response; store it now.
    pub secret: String,
}

impl App {
    pub async fn list_tokens(&self, p: &Principal) -> AppResult<Vec<ApiToken>> {
        p.require(Permission::TokensManage)?;
        let mut conn = self.store.conn().await?;
        Ok(tokens::list(&mut conn, &p.tenant).await?)
    }

    pub async fn get_token(&self, p: &Principal, id: &str) -> AppResult<ApiToken> {
        p.require(Permission::TokensManage)?;
        let id = parse_id("API token", id)?;
        let mut conn = self.store.conn().await?;
        tokens::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("API token"))
    }

    pub async fn create_token(&self, p: &Principal, input: CreateToken) -> AppResult<CreatedToken> {
        p.require(Permission::TokensManage)?;
        let name = Name::parse("name", &input.name)?;
        let role_id =
            parse_id("role", &input.role_id).map_err(|_| missing_ref("role_id", "role"))?;
        let mut tx = self.store.begin().await?;
        let role = roles::get(&mut tx, &p.tenant, &role_id)
            .await?
            .ok_or_else(|| missing_ref("role_id", "role"))?;
        let perms: Vec<Permission> = crate::principal::role_permissions(&role)
            .into_iter()
            .collect();
        p.require_all(&perms)?;
        let secret = format!("kefu_{}", secrets::random_token(32));
        let prefix: String = secret.chars().take(12).collect();
        let token = tokens::create(
            &mut tx,
            &p.tenant,
            name.as_str(),
            &secrets::sha256_hex(&secret),
            &prefix,
            &role.id,
            p.user_id.as_deref(),
        )
        .await?;
        audit(
            &mut tx,
            p,
            "api_token.create",
            "api_token",
            Some(&token.id),
            None,
            json(&token),
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedToken { token, secret })
    }

    pub async fn revoke_token(&self, p: &Principal, id: &str) -> AppResult<ApiToken> {
        p.require(Permission::TokensManage)?;
        let id = parse_id("API token", id)?;
        let mut tx = self.store.begin().await?;
        let before = tokens::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("API token"))?;
        tokens::revoke(&mut tx, &p.tenant, &id).await?;
        let after = tokens::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("API token"))?;
        audit(
            &mut tx,
            p,
            "api_token.revoke",
            "api_token",
            Some(&id),
            json(&before),
            json(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

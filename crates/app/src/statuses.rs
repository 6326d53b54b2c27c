//! Tenant-defined reception statuses (接待状态).

use crate::{audit, json, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::{Name, Permission};
use kefu_store::{statuses, ReceptionStatus};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    pub name: String,
    /// May an agent in this status be given new work?
    pub can_receive: bool,
    #[serde(default)]
    pub sort_order: i64,
}

impl App {
    pub async fn list_statuses(&self, p: &Principal) -> AppResult<Vec<ReceptionStatus>> {
        let mut conn = self.store.conn().await?;
        Ok(statuses::list(&mut conn, &p.tenant).await?)
    }

    pub async fn get_status(&self, p: &Principal, id: &str) -> AppResult<ReceptionStatus> {
        let id = parse_id("reception status", id)?;
        let mut conn = self.store.conn().await?;
        statuses::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("reception status"))
    }

    pub async fn create_status(
        &self,
        p: &Principal,
        input: StatusInput,
    ) -> AppResult<ReceptionStatus> {
        p.require(Permission::StatusesManage)?;
        let name = Name::parse("name", &input.name)?;
        let mut tx = self.store.begin().await?;
        let s = statuses::create(
            &mut tx,
            &p.tenant,
            name.as_str(),
            input.can_receive,
            input.sort_order,
        )
        .await
        .map_err(|e| AppError::from_store("reception status", e))?;
        audit(
            &mut tx,
            p,
            "reception_status.create",
            "reception_status",
            Some(&s.id),
            None,
            json(&s),
        )
        .await?;
        tx.commit().await?;
        Ok(s)
    }

    pub async fn update_status(
        &self,
        p: &Principal,
        id: &str,
        input: StatusInput,
    ) -> AppResult<ReceptionStatus> {
        p.require(Permission::StatusesManage)?;
        let id = parse_id("reception status", id)?;
        let name = Name::parse("name", &input.name)?;
        let mut tx = self.store.begin().await?;
        let before = statuses::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("reception status"))?;
        statuses::update(
            &mut tx,
            &p.tenant,
            &id,
            name.as_str(),
            input.can_receive,
            input.sort_order,
        )
        .await
        .map_err(|e| AppError::from_store("reception status", e))?;
        let after = statuses::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("reception status"))?;
        audit(
            &mut tx,
            p,
            "reception_status.update",
            "reception_status",
            Some(&id),
            json(&before),
            json(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_status(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::StatusesManage)?;
        let id = parse_id("reception status", id)?;
        let mut tx = self.store.begin().await?;
        let before = statuses::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("reception status"))?;
        statuses::delete(&mut tx, &p.tenant, &id)
            .await
            .map_err(|e| AppError::from_store("reception status", e))?;
        audit(
            &mut tx,
            p,
            "reception_status.delete",
            "reception_status",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

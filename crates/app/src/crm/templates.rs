//! Customer templates (客户模板): administrators define them; everyone who
//! works with customers reads them (they are the form).

use crate::{audit, json, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::crm::{self, FieldDef};
use kefu_domain::{Name, Permission};
use kefu_store::customer_templates::{self, TemplateFields};
use kefu_store::CustomerTemplate;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub name: String,
    /// `{key, label, kind, required?, options?, cascade?}`; kind is one of
    /// text, number, date, select, multi_select, cascade, phone, email, region.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<FieldDef>,
    /// Customer statuses in funnel order, e.g. 新线索, 跟进中, 已成交.
    #[serde(default)]
    pub statuses: Vec<String>,
    /// One of `statuses`: pool customers in it are hidden from the pool.
    pub pool_hidden_status: Option<String>,
}

fn checked(input: &TemplateInput) -> AppResult<(Name, Vec<String>)> {
    let name = Name::parse("name", &input.name)?;
    let statuses: Vec<String> = input
        .statuses
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    crm::validate_template(
        &input.fields,
        &statuses,
        input.pool_hidden_status.as_deref(),
    )
    .map_err(AppError::InvalidFields)?;
    Ok((name, statuses))
}

impl App {
    pub async fn customer_templates(&self, p: &Principal) -> AppResult<Vec<CustomerTemplate>> {
        if !p.can(Permission::CustomerTemplatesManage) {
            p.require(Permission::CustomersView)?;
        }
        let mut conn = self.store.conn().await?;
        Ok(customer_templates::list(&mut conn, &p.tenant).await?)
    }

    pub async fn customer_template(&self, p: &Principal, id: &str) -> AppResult<CustomerTemplate> {
        if !p.can(Permission::CustomerTemplatesManage) {
            p.require(Permission::CustomersView)?;
        }
        let id = parse_id("customer template", id)?;
        let mut conn = self.store.conn().await?;
        customer_templates::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("customer template"))
    }

    pub async fn create_customer_template(
        &self,
        p: &Principal,
        input: TemplateInput,
    ) -> AppResult<CustomerTemplate> {
        p.require(Permission::CustomerTemplatesManage)?;
        let (name, statuses) = checked(&input)?;
        let mut tx = self.store.begin().await?;
        let t = customer_templates::create(
            &mut tx,
            &p.tenant,
            &TemplateFields {
                name: name.as_str(),
                fields: &input.fields,
                statuses: &statuses,
                pool_hidden_status: input.pool_hidden_status.as_deref(),
            },
        )
        .await
        .map_err(|e| AppError::from_store("customer template", e))?;
        audit(
            &mut tx,
            p,
            "customer_template.create",
            "customer_template",
            Some(&t.id),
            None,
            json(&t),
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Existing customers keep their values; a field removed from the template
    /// must be cleared from a customer the next time it is edited.
    pub async fn update_customer_template(
        &self,
        p: &Principal,
        id: &str,
        input: TemplateInput,
    ) -> AppResult<CustomerTemplate> {
        p.require(Permission::CustomerTemplatesManage)?;
        let id = parse_id("customer template", id)?;
        let (name, statuses) = checked(&input)?;
        let mut tx = self.store.begin().await?;
        let before = customer_templates::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("customer template"))?;
        let t = customer_templates::update(
            &mut tx,
            &p.tenant,
            &id,
            &TemplateFields {
                name: name.as_str(),
                fields: &input.fields,
                statuses: &statuses,
                pool_hidden_status: input.pool_hidden_status.as_deref(),
            },
        )
        .await
        .map_err(|e| AppError::from_store("customer template", e))?;
        audit(
            &mut tx,
            p,
            "customer_template.update",
            "customer_template",
            Some(&id),
            json(&before),
            json(&t),
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Refused while customers are filed in it.
    pub async fn delete_customer_template(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::CustomerTemplatesManage)?;
        let id = parse_id("customer template", id)?;
        let mut tx = self.store.begin().await?;
        let before = customer_templates::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("customer template"))?;
        customer_templates::delete(&mut tx, &p.tenant, &id)
            .await
            .map_err(|e| AppError::from_store("customer template", e))?;
        audit(
            &mut tx,
            p,
            "customer_template.delete",
            "customer_template",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The demo tenant's customer template (零售客户): a few fields of the common
/// kinds, a funnel, and 已成交 hidden from the pool.
pub(crate) async fn seed_demo_template(
    conn: &mut kefu_store::Conn,
    t: &kefu_store::TenantScope,
) -> AppResult<CustomerTemplate> {
    let fields: Vec<FieldDef> = serde_json::from_value(serde_json::json!([
        {"key": "level", "label": "客户等级", "kind": "select", "options": ["VIP", "普通"]},
        {"key": "product", "label": "意向产品", "kind": "cascade", "cascade": [
            {"label": "手机", "children": [{"label": "旗舰"}, {"label": "入门"}]},
            {"label": "配件"}]},
        {"key": "region", "label": "所在地区", "kind": "region"},
        {"key": "backup_phone", "label": "备用电话", "kind": "phone"}
    ]))
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let statuses: Vec<String> = ["新线索", "跟进中", "已成交"].map(String::from).to_vec();
    Ok(customer_templates::create(
        conn,
        t,
        &TemplateFields {
            name: "零售客户",
            fields: &fields,
            statuses: &statuses,
            pool_hidden_status: Some("已成交"),
        },
    )
    .await?)
}

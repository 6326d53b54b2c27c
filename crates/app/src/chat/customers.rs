//! The customer record the workbench shows (弹屏): profile, tags, notes and
//! previous conversations. The full CRM (templates, OneID merge, public pool)
//! comes with its own issue.

use crate::{parse_id, App, AppError, AppResult, Principal};
use kefu_domain::{Email, Permission, ValidationError};
use kefu_store::{conversations, Conversation, Customer};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tags: Option<Vec<String>>,
    pub notes: Option<String>,
}

impl App {
    /// Agents see customers they serve or served; leads see any.
    async fn customer_for(
        &self,
        p: &Principal,
        id: &str,
    ) -> AppResult<(Customer, Vec<Conversation>)> {
        let id = parse_id("customer", id)?;
        let mut conn = self.store.conn().await?;
        let c = conversations::get_customer(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let convs = conversations::conversations_of_customer(&mut conn, &p.tenant, &id, 50).await?;
        let served = convs
            .iter()
            .any(|c| c.agent_id.is_some() && c.agent_id == p.user_id);
        if !served && !p.can(Permission::Supervise) {
            return Err(AppError::NotFound("customer"));
        }
        Ok((c, convs))
    }

    pub async fn customer_with_history(
        &self,
        p: &Principal,
        id: &str,
    ) -> AppResult<(Customer, Vec<Conversation>)> {
        self.customer_for(p, id).await
    }

    pub async fn update_customer(
        &self,
        p: &Principal,
        id: &str,
        patch: CustomerPatch,
    ) -> AppResult<Customer> {
        let (mut c, _) = self.customer_for(p, id).await?;
        if let Some(n) = patch.name {
            c.name = n.trim().chars().take(100).collect();
        }
        if let Some(ph) = patch.phone {
            let ph = ph.trim();
            if ph.chars().count() > 40 {
                return Err(ValidationError::new("phone", "is too long").into());
            }
            c.phone = (!ph.is_empty()).then(|| ph.to_string());
        }
        if let Some(e) = patch.email {
            c.email = match e.trim() {
                "" => None,
                e => Some(Email::parse(e)?.as_str().to_string()),
            };
        }
        if let Some(t) = patch.tags {
            c.tags = t
                .into_iter()
                .map(|t| t.trim().chars().take(30).collect::<String>())
                .filter(|t| !t.is_empty())
                .take(30)
                .collect();
        }
        if let Some(n) = patch.notes {
            if n.chars().count() > 5000 {
                return Err(
                    ValidationError::new("notes", "must be at most 5000 characters").into(),
                );
            }
            c.notes = n;
        }
        let mut conn = self.store.conn().await?;
        conversations::update_customer(&mut conn, &p.tenant, &c).await?;
        conversations::get_customer(&mut conn, &p.tenant, &c.id)
            .await?
            .ok_or(AppError::NotFound("customer"))
    }

    /// Where a conversation can be transferred: every skill group, and agents
    /// with their status and load (a transfer to a full agent is refused).
    pub async fn transfer_targets(&self, p: &Principal) -> AppResult<serde_json::Value> {
        p.require_user()?;
        let mut conn = self.store.conn().await?;
        let groups = kefu_store::skill_groups::list(&mut conn, &p.tenant).await?;
        let statuses = kefu_store::statuses::list(&mut conn, &p.tenant).await?;
        let open = conversations::open_conversations(&mut conn, &p.tenant).await?;
        let agents: Vec<serde_json::Value> = kefu_store::users::list(&mut conn, &p.tenant)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| {
                let receiving = u.status_id.as_ref().is_some_and(|s| statuses.iter().any(|x| &x.id == s && x.can_receive));
                let load = open.iter().filter(|c| c.agent_id.as_ref() == Some(&u.id) && c.state == "active").count();
                serde_json::json!({"id": u.id, "name": u.display_name, "receiving": receiving, "load": load, "limit": u.reception_limit})
            })
            .collect();
        Ok(serde_json::json!({
            "groups": groups.iter().map(|g| serde_json::json!({"id": g.id, "name": g.name})).collect::<Vec<_>>(),
            "agents": agents,
        }))
    }
}

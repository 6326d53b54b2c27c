//! The workbench's customer side: the record itself (side panel, edits) is the
//! CRM's ([`crate::crm`]); what stays here is who a conversation can go to.

use crate::{App, AppResult, Principal};
use kefu_store::conversations;

pub use crate::crm::records::CustomerPatch;

impl App {
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

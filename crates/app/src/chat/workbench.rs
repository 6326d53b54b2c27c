//! The rest of what the workbench needs: offline messages (留言) and quick
//! replies (快捷回复).

use crate::{parse_id, App, AppError, AppResult, Principal};
use kefu_domain::{Name, Permission, ValidationError};
use kefu_store::{offline_messages, quick_replies, OfflineMessage, QuickReply};

impl App {
    pub async fn offline_messages(
        &self,
        p: &Principal,
        unhandled_only: bool,
    ) -> AppResult<Vec<OfflineMessage>> {
        let mut conn = self.store.conn().await?;
        Ok(offline_messages::list(&mut conn, &p.tenant, unhandled_only, 200).await?)
    }

    pub async fn mark_offline_handled(&self, p: &Principal, id: &str) -> AppResult<OfflineMessage> {
        let me = p.require_user()?.to_string();
        let id = parse_id("offline message", id)?;
        let mut conn = self.store.conn().await?;
        offline_messages::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("offline message"))?;
        offline_messages::mark_handled(&mut conn, &p.tenant, &id, &me).await?;
        offline_messages::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("offline message"))
    }

    pub async fn quick_replies(&self, p: &Principal, search: &str) -> AppResult<Vec<QuickReply>> {
        let me = p.require_user()?;
        let mut conn = self.store.conn().await?;
        Ok(quick_replies::visible_to(&mut conn, &p.tenant, me, search.trim()).await?)
    }

    /// A personal reply, or a team one (needs `conversations.supervise`).
    pub async fn create_quick_reply(
        &self,
        p: &Principal,
        title: &str,
        text: &str,
        team: bool,
    ) -> AppResult<QuickReply> {
        let me = p.require_user()?.to_string();
        if team {
            p.require(Permission::Supervise)?;
        }
        let title = Name::parse("title", title)?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 2000 {
            return Err(ValidationError::new("text", "must be 1–2000 characters").into());
        }
        let mut conn = self.store.conn().await?;
        Ok(quick_replies::create(
            &mut conn,
            &p.tenant,
            (!team).then_some(me.as_str()),
            title.as_str(),
            text,
        )
        .await?)
    }

    pub async fn delete_quick_reply(&self, p: &Principal, id: &str) -> AppResult<()> {
        let me = p.require_user()?;
        let id = parse_id("quick reply", id)?;
        let mut conn = self.store.conn().await?;
        let r = quick_replies::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("quick reply"))?;
        match &r.owner_id {
            Some(o) if o == me => {}
            Some(_) => return Err(AppError::NotFound("quick reply")),
            None => p.require(Permission::Supervise)?,
        }
        quick_replies::delete(&mut conn, &p.tenant, &id).await?;
        Ok(())
    }
}

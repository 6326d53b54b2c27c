//! Channels (渠道). Only the web channel's basic settings for now; the widget and
//! its richer configuration arrive with online service.

use crate::{audit, json, missing_ref, parse_id, secrets, App, AppError, AppResult, Principal};
use kefu_domain::{Name, Permission};
use kefu_store::{channels, skill_groups, Channel, Conn, TenantScope};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    pub name: String,
    pub skill_group_id: Option<String>,
    #[serde(default)]
    pub greeting: String,
}

async fn check_group(
    conn: &mut Conn,
    t: &TenantScope,
    id: Option<&str>,
) -> AppResult<Option<String>> {
    match id.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(id) => {
            let id = parse_id("skill group", id)
                .map_err(|_| missing_ref("skill_group_id", "skill group"))?;
            skill_groups::get(conn, t, &id)
                .await?
                .ok_or_else(|| missing_ref("skill_group_id", "skill group"))?;
            Ok(Some(id))
        }
    }
}

impl App {
    pub async fn list_channels(&self, p: &Principal) -> AppResult<Vec<Channel>> {
        let mut conn = self.store.conn().await?;
        Ok(channels::list(&mut conn, &p.tenant).await?)
    }

    pub async fn get_channel(&self, p: &Principal, id: &str) -> AppResult<Channel> {
        let id = parse_id("channel", id)?;
        let mut conn = self.store.conn().await?;
        channels::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("channel"))
    }

    pub async fn create_web_channel(
        &self,
        p: &Principal,
        input: ChannelInput,
    ) -> AppResult<Channel> {
        p.require(Permission::OrgManage)?;
        let name = Name::parse("name", &input.name)?;
        let mut tx = self.store.begin().await?;
        let group = check_group(&mut tx, &p.tenant, input.skill_group_id.as_deref()).await?;
        let key = secrets::random_token(12);
        let c = channels::create(
            &mut tx,
            &p.tenant,
            "web",
            &key,
            &channels::ChannelFields {
                name: name.as_str(),
                skill_group_id: group.as_deref(),
                greeting: input.greeting.trim(),
            },
        )
        .await?;
        audit(
            &mut tx,
            p,
            "channel.create",
            "channel",
            Some(&c.id),
            None,
            json(&c),
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn update_channel(
        &self,
        p: &Principal,
        id: &str,
        input: ChannelInput,
    ) -> AppResult<Channel> {
        p.require(Permission::OrgManage)?;
        let id = parse_id("channel", id)?;
        let name = Name::parse("name", &input.name)?;
        let mut tx = self.store.begin().await?;
        let before = channels::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("channel"))?;
        let group = check_group(&mut tx, &p.tenant, input.skill_group_id.as_deref()).await?;
        channels::update(
            &mut tx,
            &p.tenant,
            &id,
            &channels::ChannelFields {
                name: name.as_str(),
                skill_group_id: group.as_deref(),
                greeting: input.greeting.trim(),
            },
        )
        .await?;
        let after = channels::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("channel"))?;
        audit(
            &mut tx,
            p,
            "channel.update",
            "channel",
            Some(&id),
            json(&before),
            json(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_channel(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::OrgManage)?;
        let id = parse_id("channel", id)?;
        let mut tx = self.store.begin().await?;
        let before = channels::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("channel"))?;
        channels::delete(&mut tx, &p.tenant, &id).await?;
        audit(
            &mut tx,
            p,
            "channel.delete",
            "channel",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// One field of the pre-chat form (售前表单) the widget shows before chatting.
#[derive(Debug, Clone, serde::Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrechatField {
    /// `name`, `phone`, `email` fill the customer record; others are kept as given.
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetSettingsInput {
    pub prechat_fields: Vec<PrechatField>,
    /// The bot answers first (the bot arrives with its own issue; today this hands straight over).
    #[serde(default)]
    pub bot_first: bool,
    /// Opening hours; absent or null = always open.
    #[serde(default)]
    pub business_hours: Option<crate::hours::BusinessHours>,
}

impl App {
    pub async fn set_widget_settings(
        &self,
        p: &Principal,
        id: &str,
        input: WidgetSettingsInput,
    ) -> AppResult<serde_json::Value> {
        p.require(Permission::OrgManage)?;
        let id = parse_id("channel", id)?;
        if input.prechat_fields.len() > 10 {
            return Err(
                kefu_domain::ValidationError::new("prechat_fields", "at most 10 fields").into(),
            );
        }
        for f in &input.prechat_fields {
            Name::parse("prechat_fields", &f.label)?;
            if f.name.is_empty()
                || f.name.len() > 40
                || !f
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(kefu_domain::ValidationError::new(
                    "prechat_fields",
                    "field names are 1–40 of a-z, 0-9 and _",
                )
                .into());
            }
        }
        let mut tx = self.store.begin().await?;
        channels::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("channel"))?;
        let mut s = channels::widget_settings(&mut tx, &p.tenant, &id).await?;
        if let Some(h) = &input.business_hours {
            h.calendar()?;
        }
        let before = json!({"prechat_fields": s.prechat_fields, "bot_first": s.bot_first, "business_hours": s.business_hours});
        s.business_hours = serde_json::to_value(&input.business_hours).unwrap_or_default();
        s.prechat_fields = serde_json::to_value(&input.prechat_fields).unwrap_or_default();
        s.bot_first = input.bot_first;
        channels::set_widget_settings(&mut tx, &p.tenant, &id, &s).await?;
        let after = json!({"prechat_fields": s.prechat_fields, "bot_first": s.bot_first, "business_hours": s.business_hours});
        audit(
            &mut tx,
            p,
            "channel.widget_settings",
            "channel",
            Some(&id),
            Some(before),
            Some(after.clone()),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// A new identity-validation secret (the old one stops working). Shown once:
    /// the host site's server signs user ids with it (HMAC-SHA256).
    pub async fn rotate_identity_secret(&self, p: &Principal, id: &str) -> AppResult<String> {
        p.require(Permission::OrgManage)?;
        let id = parse_id("channel", id)?;
        let mut tx = self.store.begin().await?;
        channels::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("channel"))?;
        let mut s = channels::widget_settings(&mut tx, &p.tenant, &id).await?;
        let secret = secrets::random_token(32);
        s.identity_secret = Some(secret.clone());
        channels::set_widget_settings(&mut tx, &p.tenant, &id, &s).await?;
        audit(
            &mut tx,
            p,
            "channel.identity_secret_rotate",
            "channel",
            Some(&id),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(secret)
    }
}

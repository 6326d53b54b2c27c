//! What a visitor does: connect (anonymous or identified), start a
//! conversation, send messages, rate, leave a message, leave.

use super::appender::OwnedEvent;
use super::{body, next_state};
use crate::{secrets, App, AppError, AppResult};
use hmac::{Hmac, Mac};
use kefu_domain::conversation::ConversationAction;
use kefu_domain::ValidationError;
use kefu_store::channels::{self, WidgetSettings};
use kefu_store::{
    conversations, offline_messages, Channel, Conversation, ConversationEvent, Customer,
    OfflineMessage, TenantScope, Visitor,
};
use serde_json::json;
use sha2::Sha256;

/// A connected visitor, resolved from the channel key and their token.
#[derive(Debug, Clone)]
pub struct VisitorSession {
    pub scope: TenantScope,
    pub channel: Channel,
    pub settings: WidgetSettings,
    pub visitor: Visitor,
    pub customer: Customer,
    /// The token to keep in the browser (new or the one presented).
    pub token: String,
    /// The conversation this session's last message went to, if still open
    /// then: the next message tries it first, without reading the store.
    open_conversation: Option<String>,
    /// That conversation was the bot's when last seen: its messages go to the bot (which
    /// checks the stored state first).
    pub(crate) bot_active: bool,
}

impl VisitorSession {
    /// The bot serves the conversation: it answers the visitor's next message.
    pub fn bot_active(&self) -> bool {
        self.bot_active
    }

    /// Within the channel's business hours (always, if none are set).
    pub fn is_open_now(&self) -> bool {
        crate::hours::calendar_of(&self.settings.business_hours)
            .is_none_or(|c| c.is_open(kefu_store::now_ms()))
    }
}

/// Host sites sign their user id so visitors cannot claim someone else's.
fn identity_ok(secret: &str, user_id: &str, hash_hex: &str) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(user_id.as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    secrets::constant_time_eq(&expected, &hash_hex.to_lowercase())
}

impl App {
    pub async fn visitor_connect(
        &self,
        channel_key: &str,
        token: Option<&str>,
        identity: Option<(&str, &str)>,
    ) -> AppResult<VisitorSession> {
        let mut conn = self.store.conn().await?;
        let (tenant, channel) = channels::find_by_key_unscoped(&mut conn, channel_key)
            .await?
            .ok_or(AppError::NotFound("channel"))?;
        let scope = TenantScope::new(tenant);
        let settings = channels::widget_settings(&mut conn, &scope, &channel.id).await?;
        if let Some((user_id, hash)) = identity {
            let secret = settings.identity_secret.as_deref().unwrap_or("");
            if secret.is_empty()
                || user_id.is_empty()
                || user_id.len() > 200
                || !identity_ok(secret, user_id, hash)
            {
                return Err(AppError::Unauthenticated(
                    "identity_invalid: the user hash does not match".into(),
                ));
            }
        }
        let by_token = match token.filter(|t| !t.is_empty() && t.len() <= 100) {
            Some(t) => conversations::find_visitor_by_token(
                &mut conn,
                &scope,
                &channel.id,
                &secrets::sha256_hex(t),
            )
            .await?
            .map(|v| (v, t.to_string())),
            None => None,
        };
        let found = match (by_token, identity) {
            (Some(v), _) => Some(v),
            (None, Some((user_id, _))) => None.or(conversations::find_visitor_by_external_id(
                &mut conn,
                &scope,
                &channel.id,
                user_id,
            )
            .await?
            .map(|v| (v, String::new()))),
            (None, None) => None,
        };
        let (visitor, token) = match found {
            Some((v, t)) if !t.is_empty() => (v, t),
            Some((v, _)) => {
                // An identified visitor on a new device: same visitor (so the
                // same open conversation), new token for this browser.
                let t = secrets::random_token(24);
                conversations::set_visitor_token(
                    &mut conn,
                    &scope,
                    &v.id,
                    &secrets::sha256_hex(&t),
                )
                .await?;
                (v, t)
            }
            None => {
                let t = secrets::random_token(24);
                let customer =
                    conversations::create_customer(&mut conn, &scope, "", None, None).await?;
                let v = conversations::create_visitor(
                    &mut conn,
                    &scope,
                    &channel.id,
                    &secrets::sha256_hex(&t),
                    identity.map(|i| i.0),
                    &customer.id,
                )
                .await?;
                (v, t)
            }
        };
        conversations::touch_visitor(&mut conn, &scope, &visitor.id).await?;
        let customer = conversations::get_customer(&mut conn, &scope, &visitor.customer_id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        Ok(VisitorSession {
            scope,
            channel,
            settings,
            visitor,
            customer,
            token,
            open_conversation: None,
            bot_active: false,
        })
    }

    /// A returning visitor by token, without creating anyone (uploads, REST).
    pub async fn visitor_resume(
        &self,
        channel_key: &str,
        token: &str,
    ) -> AppResult<VisitorSession> {
        let mut conn = self.store.conn().await?;
        let (tenant, channel) = channels::find_by_key_unscoped(&mut conn, channel_key)
            .await?
            .ok_or(AppError::NotFound("channel"))?;
        let scope = TenantScope::new(tenant);
        let visitor = conversations::find_visitor_by_token(
            &mut conn,
            &scope,
            &channel.id,
            &secrets::sha256_hex(token),
        )
        .await?
        .ok_or_else(|| AppError::Unauthenticated("unknown visitor token".into()))?;
        let settings = channels::widget_settings(&mut conn, &scope, &channel.id).await?;
        let customer = conversations::get_customer(&mut conn, &scope, &visitor.customer_id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        Ok(VisitorSession {
            scope,
            channel,
            settings,
            visitor,
            customer,
            token: token.to_string(),
            open_conversation: None,
            bot_active: false,
        })
    }

    pub async fn visitor_conversation(
        &self,
        s: &VisitorSession,
    ) -> AppResult<Option<Conversation>> {
        let mut conn = self.store.conn().await?;
        Ok(conversations::open_conversation_of_visitor(&mut conn, &s.scope, &s.visitor.id).await?)
    }

    /// Events the visitor may see after `after_seq` (internal notes excluded).
    pub async fn visitor_events_after(
        &self,
        s: &VisitorSession,
        conversation_id: &str,
        after_seq: i64,
    ) -> AppResult<Vec<ConversationEvent>> {
        let mut conn = self.store.conn().await?;
        let c = conversations::get_conversation(&mut conn, &s.scope, conversation_id).await?;
        if c.as_ref().is_none_or(|c| c.visitor_id != s.visitor.id) {
            return Err(AppError::NotFound("conversation"));
        }
        let mut out = Vec::new();
        let mut after = after_seq;
        loop {
            let page =
                conversations::events_after(&mut conn, &s.scope, conversation_id, after, 500)
                    .await?;
            let done = page.len() < 500;
            after = page.last().map(|e| e.seq).unwrap_or(after);
            out.extend(page.into_iter().filter(|e| !e.private));
            if done {
                return Ok(out);
            }
        }
    }

    /// Start (or return) the visitor's open conversation, filling the customer
    /// record from the pre-chat form. `follow` is called with the conversation
    /// id before it is routed, so the caller's socket hears the outcome.
    pub async fn visitor_start(
        &self,
        s: &mut VisitorSession,
        fields: &serde_json::Value,
        follow: &(dyn Fn(&str) + Send + Sync),
    ) -> AppResult<Conversation> {
        let (c, created) = self.open_visitor_conversation(s, fields).await?;
        follow(&c.id);
        s.bot_active = c.state == "bot";
        if created && c.state == "queued" {
            self.enqueue_conversation(&s.scope, &c, None).await?;
        }
        Ok(c)
    }

    /// Find or create (without routing yet) the visitor's open conversation.
    async fn open_visitor_conversation(
        &self,
        s: &mut VisitorSession,
        fields: &serde_json::Value,
    ) -> AppResult<(Conversation, bool)> {
        let mut conn = self.store.conn().await?;
        let mut customer = s.customer.clone();
        let get = |k: &str| {
            fields
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        if let Some(n) = get("name") {
            customer.name = n.chars().take(100).collect();
        }
        if let Some(p) = get("phone") {
            // Stored as OneID matches it; anything unrecognisable is kept as typed.
            customer.phone = Some(
                kefu_domain::crm::normalize_phone(&p)
                    .unwrap_or_else(|| p.chars().take(40).collect()),
            );
        }
        if let Some(e) = get("email") {
            customer.email = Some(kefu_domain::Email::parse(&e)?.as_str().to_string());
        }
        if customer.name != s.customer.name
            || customer.phone != s.customer.phone
            || customer.email != s.customer.email
        {
            conversations::update_customer(&mut conn, &s.scope, &customer).await?;
            s.customer = customer;
            // OneID: a new contact whose phone or e-mail is a known customer's
            // becomes that customer instead of a duplicate.
            if let Some(known) = self.attach_contact(&s.scope, &s.customer).await? {
                s.visitor.customer_id = known.id.clone();
                s.customer = known;
            }
        }
        if let Some(c) =
            conversations::open_conversation_of_visitor(&mut conn, &s.scope, &s.visitor.id).await?
        {
            return Ok((c, false));
        }
        if !s.is_open_now() {
            return Err(AppError::conflict(
                "outside_hours",
                "we are closed now; please leave a message",
            ));
        }
        // A bot-first channel: the bot serves until the visitor asks for a human.
        let bot_first = s.settings.bot_first;
        let c = conversations::create_conversation(
            &mut conn,
            &s.scope,
            &conversations::NewConversation {
                channel_id: &s.channel.id,
                visitor_id: &s.visitor.id,
                customer_id: &s.visitor.customer_id,
                state: if bot_first { "bot" } else { "queued" },
                skill_group_id: s.channel.skill_group_id.as_deref(),
                priority: 0,
            },
        )
        .await?;
        drop(conn);
        let greeting = if bot_first {
            Self::bot_greeting(&s.channel.greeting)
        } else {
            s.channel.greeting.as_str()
        };
        if !greeting.is_empty() {
            let body = json!({"kind": "text", "text": greeting});
            let e = conversations::NewEvent {
                kind: "message",
                sender: "bot",
                sender_id: None,
                sender_name: &s.channel.name,
                client_id: None,
                body: &body,
                private: false,
            };
            self.append_and_publish(&s.scope, &c.id, &e).await?;
        }
        if !bot_first {
            self.system_event(&s.scope, &c.id, json!({"event": "queued"}))
                .await?;
        }
        Ok((c, true))
    }

    /// A visitor's message. Text typed while queued is stored like any other
    /// and is in the history the agent receives on assignment.
    pub async fn visitor_send(
        &self,
        s: &mut VisitorSession,
        client_id: &str,
        raw: &serde_json::Value,
        follow: &(dyn Fn(&str) + Send + Sync),
    ) -> AppResult<(ConversationEvent, bool)> {
        if client_id.is_empty() || client_id.len() > 64 {
            return Err(ValidationError::new("client_id", "must be 1–64 characters").into());
        }
        let body = body::parse(raw, true)?;
        let name = if s.customer.name.is_empty() {
            "访客"
        } else {
            s.customer.name.as_str()
        };
        let event = OwnedEvent::from(&conversations::NewEvent {
            kind: "message",
            sender: "visitor",
            sender_id: Some(&s.visitor.id),
            sender_name: name,
            client_id: Some(client_id),
            body: &body,
            private: false,
        });
        // The common case: the conversation of the previous message, still open.
        let open = super::appender::Cond {
            open: true,
            agent: None,
        };
        if let Some(conv) = s.open_conversation.clone() {
            match self
                .appender()?
                .append(&s.scope, &conv, event.clone(), open.clone())
                .await
            {
                Err(AppError::NotFound(_)) => s.open_conversation = None,
                r => return r,
            }
        }
        let (c, created) = self
            .open_visitor_conversation(s, &serde_json::Value::Null)
            .await?;
        follow(&c.id);
        let stored = self
            .appender()?
            .append(&s.scope, &c.id, event, Default::default())
            .await?;
        s.open_conversation = Some(c.id.clone());
        s.bot_active = c.state == "bot";
        if created && bot_first_warm(&c) {
            // The first question on a tenant builds its index: start now.
            let (app, scope) = (self.clone(), s.scope.clone());
            tokio::spawn(async move { app.bot_warm(&scope).await });
        }
        if created && c.state == "queued" {
            // Routed after the first message is stored, so the agent gets it with the assignment.
            self.enqueue_conversation(&s.scope, &c, None).await?;
        }
        Ok(stored)
    }

    pub async fn visitor_rate(
        &self,
        s: &VisitorSession,
        stars: i64,
        tags: &[String],
        comment: &str,
    ) -> AppResult<()> {
        if !(1..=5).contains(&stars) {
            return Err(ValidationError::new("stars", "must be 1 to 5").into());
        }
        let mut conn = self.store.conn().await?;
        // The conversation the visitor was invited to rate: their latest one.
        let latest = conversations::conversations_of_customer(
            &mut conn,
            &s.scope,
            &s.visitor.customer_id,
            5,
        )
        .await?
        .into_iter()
        .find(|c| {
            c.visitor_id == s.visitor.id && (c.rating_invited_at.is_some() || !c.state.eq("queued"))
        })
        .ok_or(AppError::NotFound("conversation"))?;
        let tags: Vec<String> = tags
            .iter()
            .take(10)
            .map(|t| t.chars().take(30).collect())
            .collect();
        let comment: String = comment.chars().take(1000).collect();
        conversations::set_rating(&mut conn, &s.scope, &latest.id, stars, &tags, &comment).await?;
        drop(conn);
        self.system_event(
            &s.scope,
            &latest.id,
            json!({"event": "rated", "stars": stars, "tags": tags, "comment": comment}),
        )
        .await?;
        Ok(())
    }

    /// 留言 when nobody can serve.
    pub async fn visitor_leave_message(
        &self,
        s: &VisitorSession,
        name: &str,
        phone: &str,
        email: &str,
        text: &str,
    ) -> AppResult<OfflineMessage> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 5000 {
            return Err(ValidationError::new("text", "must be 1–5000 characters").into());
        }
        let phone = Some(phone.trim()).filter(|p| !p.is_empty());
        let email = match email.trim() {
            "" => None,
            e => Some(kefu_domain::Email::parse(e)?.as_str().to_string()),
        };
        let mut conn = self.store.conn().await?;
        let m = offline_messages::create(
            &mut conn,
            &s.scope,
            &offline_messages::NewOfflineMessage {
                channel_id: &s.channel.id,
                visitor_id: Some(&s.visitor.id),
                name: name.trim(),
                phone,
                email: email.as_deref(),
                text,
            },
        )
        .await?;
        self.hub.publish(
            &crate::hub::Topic::Monitor(s.scope.tenant_id().to_string()),
            &json!({"type": "offline_message", "id": m.id}),
        );
        Ok(m)
    }

    /// The visitor ends the chat.
    pub async fn visitor_close(&self, s: &VisitorSession) -> AppResult<()> {
        let Some(c) = self.visitor_conversation(s).await? else {
            return Ok(());
        };
        next_state(&c, ConversationAction::Close)?;
        self.end_conversation(
            &s.scope,
            &c.id,
            ConversationAction::Close,
            json!({"event": "closed", "reason": "visitor_left"}),
        )
        .await?;
        if c.state == "bot" {
            // SPEC §5 closing loop: the visitor gave up on the bot unanswered.
            if let Err(e) = self.ticket_if_bot_left_unresolved(&s.scope, &c.id).await {
                tracing::warn!(error = %e, conversation = %c.id, "no ticket for an unresolved bot conversation");
            }
        }
        Ok(())
    }

    /// A bot conversation ended: if the bot's last word was not an answer the
    /// visitor kept (no match, only suggestions, or an answer marked
    /// unhelpful), a ticket carries the question on.
    async fn ticket_if_bot_left_unresolved(
        &self,
        scope: &kefu_store::TenantScope,
        conversation_id: &str,
    ) -> AppResult<()> {
        let mut conn = self.store.conn().await?;
        let decisions =
            kefu_store::bot::decisions_of_conversation(&mut conn, scope, conversation_id).await?;
        drop(conn);
        let Some(last) = decisions
            .iter()
            .rev()
            .find(|d| d.outcome != "handoff" && d.outcome != "flow")
        else {
            return Ok(());
        };
        let unresolved = matches!(last.outcome.as_str(), "no_match" | "suggest")
            || last.feedback.as_deref() == Some("unhelpful");
        if unresolved {
            let title = format!("机器人未解决：{}", last.question);
            self.create_ticket_for_unresolved_bot_conversation(
                scope,
                conversation_id,
                None,
                &title,
            )
            .await?;
        }
        Ok(())
    }
}

fn bot_first_warm(c: &Conversation) -> bool {
    c.state == "bot"
}

impl App {
    /// After a visitor's message is stored and acknowledged: if the bot serves the
    /// conversation, its reply. The bot's failure is logged, not the visitor's: their
    /// message is stored either way. `new` is false for a retried client id.
    pub async fn visitor_bot_reply(
        &self,
        s: &mut VisitorSession,
        e: &ConversationEvent,
        new: bool,
    ) {
        if !s.bot_active || !new {
            return;
        }
        match self.bot_turn(s, &e.conversation_id, e).await {
            Ok(still) => s.bot_active = still,
            Err(err) => {
                tracing::error!(error = %err, conversation = %e.conversation_id, "bot turn failed")
            }
        }
    }
}

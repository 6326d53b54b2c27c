//! The bot's turn in a conversation. A channel with `bot_first` opens conversations in state
//! `bot`; every visitor message there comes here after it is stored:
//!
//! ```text
//! button bot:human / 转人工 keyword ──────────────► hand off (→ queued, routed as usual)
//! button bot:helpful|unhelpful:<decision> ───────► feedback stored (unhelpful → unmatched)
//! button bot:ask:<item> (a "did you mean" click) ─► that item's answer
//! emotion: angry → hand off at priority 2; anxious → priority 1, carry on
//! a running flow, or a flow's trigger phrase (crate::flows::FlowRunner) ─► its replies
//! hooks.on_visitor_text (other plug-ins) ─► their replies
//! matcher: Answer → answer + 👍/👎 · Suggest → 您是不是想问 buttons · NoMatch → say so + 转人工
//!          (after `misses_before_offer` misses in a row: offer a human outright)
//! ```
//!
//! Every decision is written to `bot_decisions` with its scores. The bot's messages are
//! ordinary conversation events with sender `bot`, so the agent who takes over sees them.

use super::hooks::{BotButton, BotContext, BotReply};
use super::index::{MatchFor, Matched};
use crate::chat::next_state;
use crate::chat::visitor::VisitorSession;
use crate::{App, AppError, AppResult};
use kefu_bot::emotion::{self, Emotion};
use kefu_bot::Outcome;
use kefu_domain::conversation::ConversationAction;
use kefu_store::knowledge::KnowledgeItem;
use kefu_store::{bot, conversations, Conversation, ConversationEvent, TenantScope};
use serde_json::{json, Value};

pub const DEFAULT_GREETING: &str = "您好，我是智能助手，请问有什么可以帮您？";
const SUGGEST: &str = "您是不是想问：";
const NO_MATCH: &str = "抱歉，我没有找到相关的答案。您可以换个说法再问问，或者转人工客服。";
const OFFER_HUMAN: &str = "看来我没能帮上忙，为您转接人工客服吧？";
const HANDING_OFF: &str = "正在为您转接人工客服，请稍候。";
const ANGRY: &str = "非常抱歉给您带来不好的体验，正在为您优先转接人工客服。";
const THANKS: &str = "感谢您的反馈！";
const SORRY: &str = "抱歉没能帮到您。您可以换个说法再问，或者转人工客服。";
const HUMAN: &str = "转人工";

fn human_button() -> BotButton {
    BotButton {
        label: HUMAN.into(),
        value: "bot:human".into(),
    }
}

/// "转人工", "人工", "human", "agent" and the like, said on their own (or nearly).
pub fn wants_human(text: &str) -> bool {
    let t: String = kefu_bot::tokenize::normalize(text)
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect();
    let t = t.trim();
    if t.contains("转人工") || t.contains("人工客服") || t.contains("真人客服") {
        return true;
    }
    if t.contains("人工") && t.chars().count() <= 8 {
        return true;
    }
    const EN: &[&str] = &[
        "human",
        "agent",
        "a human",
        "an agent",
        "human agent",
        "real person",
        "talk to a human",
        "talk to an agent",
        "speak to a human",
        "speak to an agent",
        "i want a human",
        "i want an agent",
        "live agent",
        "operator",
    ];
    EN.contains(&t)
}

/// What a visitor message says to the bot.
enum Said {
    Text(String),
    /// One of the bot's own buttons (`bot:` stripped).
    Button(String),
    Other,
}

fn said(body: &Value) -> Said {
    match body["kind"].as_str() {
        Some("text") => Said::Text(body["text"].as_str().unwrap_or("").to_string()),
        Some("button") => {
            let v = body["value"].as_str().unwrap_or("");
            match v.strip_prefix("bot:") {
                Some(b) => Said::Button(b.to_string()),
                None => Said::Text(v.to_string()),
            }
        }
        _ => Said::Other,
    }
}

/// The bot's replies for an answer: a card if the answer has one, then the text with any
/// buttons of the answer and the helpful/unhelpful pair.
fn answer_replies(item: &KnowledgeItem, decision_id: &str) -> Vec<BotReply> {
    let a = &item.answer;
    let rich = &a["rich"];
    let mut out = Vec::new();
    let card = if rich["kind"] == "card" {
        Some(rich)
    } else if rich["card"].is_object() {
        Some(&rich["card"])
    } else {
        None
    };
    if let Some(c) = card.filter(|c| c["title"].is_string()) {
        let f = |k: &str| c[k].as_str().unwrap_or("").to_string();
        out.push(BotReply::Card {
            title: f("title"),
            description: f("description"),
            image_url: f("image_url"),
            url: f("url"),
        });
    }
    let mut buttons: Vec<BotButton> = rich["buttons"]
        .as_array()
        .map(|bs| {
            bs.iter()
                .filter_map(|b| {
                    let label = b["label"].as_str()?.to_string();
                    let value = b["value"].as_str().unwrap_or(&label).to_string();
                    Some(BotButton { label, value })
                })
                .take(6)
                .collect()
        })
        .unwrap_or_default();
    buttons.push(BotButton {
        label: "有帮助".into(),
        value: format!("bot:helpful:{decision_id}"),
    });
    buttons.push(BotButton {
        label: "没帮助".into(),
        value: format!("bot:unhelpful:{decision_id}"),
    });
    out.push(BotReply::Buttons {
        text: a["text"].as_str().unwrap_or("").to_string(),
        buttons,
    });
    out
}

fn reply_body(r: &BotReply, meta: &Value) -> Option<Value> {
    let mut b = match r {
        BotReply::Text { text } => json!({"kind": "text", "text": text}),
        BotReply::Buttons { text, buttons } => json!({
            "kind": "buttons",
            "text": text,
            "buttons": buttons.iter().map(|b| json!({"label": b.label, "value": b.value})).collect::<Vec<_>>(),
        }),
        BotReply::Card {
            title,
            description,
            image_url,
            url,
        } => {
            json!({"kind": "card", "title": title, "description": description, "image_url": image_url, "url": url})
        }
        BotReply::Handoff { .. } => return None,
    };
    b["bot"] = meta.clone();
    Some(b)
}

fn context(c: &Conversation, scope: &TenantScope) -> BotContext {
    BotContext {
        tenant_id: scope.tenant_id().to_string(),
        conversation_id: c.id.clone(),
        channel_id: c.channel_id.clone(),
        visitor_id: c.visitor_id.clone(),
        customer_id: c.customer_id.clone(),
    }
}

impl App {
    /// The greeting a bot-first conversation opens with.
    pub(crate) fn bot_greeting(channel_greeting: &str) -> &str {
        if channel_greeting.trim().is_empty() {
            DEFAULT_GREETING
        } else {
            channel_greeting
        }
    }

    /// Say something in the conversation as the bot.
    pub(crate) async fn bot_say(
        &self,
        scope: &TenantScope,
        conversation_id: &str,
        replies: &[BotReply],
        meta: &Value,
    ) -> AppResult<()> {
        for r in replies {
            let Some(body) = reply_body(r, meta) else {
                continue;
            };
            let e = conversations::NewEvent {
                kind: "message",
                sender: "bot",
                sender_id: None,
                sender_name: "",
                client_id: None,
                body: &body,
                private: false,
            };
            self.append_and_publish(scope, conversation_id, &e).await?;
        }
        Ok(())
    }

    async fn bot_log(
        &self,
        scope: &TenantScope,
        conversation_id: &str,
        question: &str,
        outcome: &str,
        item_id: Option<&str>,
        detail: &Value,
    ) -> AppResult<bot::BotDecision> {
        let mut conn = self.store.conn().await?;
        let q: String = question.chars().take(1000).collect();
        Ok(bot::insert_decision(
            &mut conn,
            scope,
            &bot::NewDecision {
                conversation_id,
                question: &q,
                outcome,
                item_id,
                detail,
            },
        )
        .await?)
    }

    /// A visitor message in a conversation the bot is serving (called after it is stored).
    /// Answers whether the bot still serves it afterwards.
    pub(crate) async fn bot_turn(
        &self,
        s: &VisitorSession,
        conversation_id: &str,
        e: &ConversationEvent,
    ) -> AppResult<bool> {
        let scope = &s.scope;
        let mut conn = self.store.conn().await?;
        let Some(c) = conversations::get_conversation(&mut conn, scope, conversation_id).await?
        else {
            return Ok(false);
        };
        drop(conn);
        if c.state != "bot" {
            return Ok(false);
        }
        let text = match said(&e.body) {
            Said::Other => return Ok(true),
            Said::Button(b) => return self.bot_button(scope, &c, &b).await,
            Said::Text(t) => t,
        };
        if wants_human(&text) {
            self.bot_handoff(scope, &c, "asked", 0, &text, None).await?;
            return Ok(false);
        }
        let reading = emotion::detect(&text);
        let emotion_json = serde_json::to_value(&reading).unwrap_or(Value::Null);
        match reading.emotion {
            Emotion::Angry => {
                self.bot_handoff(scope, &c, "angry", 2, &text, Some(&emotion_json))
                    .await?;
                return Ok(false);
            }
            Emotion::Anxious => {
                let mut conn = self.store.conn().await?;
                bot::raise_priority(&mut conn, scope, &c.id, 1).await?;
            }
            Emotion::Calm => {}
        }
        // A running multi-turn flow takes the text, or the text names a flow's intent.
        if let Some(replies) = self
            .flow_runner()
            .on_visitor_text(scope, &c.id, &text)
            .await?
        {
            let replies = crate::flows::FlowReply::into_bot_replies(replies);
            return self.bot_flow_replies(scope, &c, &text, replies).await;
        }
        if let Some(h) = self.bot.hooks() {
            if let Some(replies) = h.on_visitor_text(&context(&c, scope), &text).await? {
                return self.bot_flow_replies(scope, &c, &text, replies).await;
            }
        }
        let m = self
            .bot_match(scope, Some(&c.channel_id), &text, MatchFor::Answer)
            .await?;
        let mut detail = m.detail();
        detail["emotion"] = emotion_json;
        self.bot_decided(scope, &c, &text, &m, detail).await
    }

    async fn bot_decided(
        &self,
        scope: &TenantScope,
        c: &Conversation,
        text: &str,
        m: &Matched,
        detail: Value,
    ) -> AppResult<bool> {
        match &m.outcome {
            Outcome::Answer { item } => {
                let Some(cand) = m.candidates.get(*item) else {
                    return Err(AppError::Internal("answer without a candidate".into()));
                };
                self.bot_answer(scope, c, text, &cand.item, "answer", &detail)
                    .await
            }
            Outcome::Suggest { items } => {
                let d = self
                    .bot_log(scope, &c.id, text, "suggest", None, &detail)
                    .await?;
                let mut buttons: Vec<BotButton> = items
                    .iter()
                    .filter_map(|i| m.candidates.get(*i))
                    .map(|cand| BotButton {
                        label: cand.item.question.clone(),
                        value: format!("bot:ask:{}", cand.item.id),
                    })
                    .collect();
                buttons.push(human_button());
                let meta = json!({"decision_id": d.id, "outcome": "suggest"});
                self.bot_say(
                    scope,
                    &c.id,
                    &[BotReply::Buttons {
                        text: SUGGEST.into(),
                        buttons,
                    }],
                    &meta,
                )
                .await?;
                Ok(true)
            }
            Outcome::NoMatch => {
                let d = self
                    .bot_log(scope, &c.id, text, "no_match", None, &detail)
                    .await?;
                let n = self.bot.config().misses_before_offer.max(1);
                let mut conn = self.store.conn().await?;
                bot::insert_unmatched(&mut conn, scope, &c.id, Some(&d.id), text, "no_match")
                    .await?;
                let last = bot::last_outcomes(&mut conn, scope, &c.id, n as i64).await?;
                drop(conn);
                let offer = last.len() == n && last.iter().all(|o| o == "no_match");
                let meta =
                    json!({"decision_id": d.id, "outcome": "no_match", "offer_human": offer});
                let text = if offer { OFFER_HUMAN } else { NO_MATCH };
                self.bot_say(
                    scope,
                    &c.id,
                    &[BotReply::Buttons {
                        text: text.into(),
                        buttons: vec![human_button()],
                    }],
                    &meta,
                )
                .await?;
                Ok(true)
            }
        }
    }

    /// Answer with an item (or start the flow its answer names).
    async fn bot_answer(
        &self,
        scope: &TenantScope,
        c: &Conversation,
        question: &str,
        item: &KnowledgeItem,
        outcome: &str,
        detail: &Value,
    ) -> AppResult<bool> {
        if let Some(flow_id) = &item.flow_id {
            match self.flow_runner().start(scope, &c.id, flow_id).await {
                Ok(r) => {
                    let replies = crate::flows::FlowReply::into_bot_replies(r);
                    return self.bot_flow_replies(scope, c, question, replies).await;
                }
                // A disabled or broken flow: the item's own answer instead.
                Err(e) => tracing::warn!(flow_id, error = %e, "knowledge item's flow not started"),
            }
        }
        if let (Some(flow), Some(h)) = (item.answer["flow"].as_str(), self.bot.hooks()) {
            if let Some(replies) = h.start_flow(&context(c, scope), flow, &item.id).await? {
                return self.bot_flow_replies(scope, c, question, replies).await;
            }
        }
        let d = self
            .bot_log(scope, &c.id, question, outcome, Some(&item.id), detail)
            .await?;
        let meta = json!({"decision_id": d.id, "outcome": outcome, "item_id": item.id});
        self.bot_say(scope, &c.id, &answer_replies(item, &d.id), &meta)
            .await?;
        Ok(true)
    }

    async fn bot_flow_replies(
        &self,
        scope: &TenantScope,
        c: &Conversation,
        question: &str,
        replies: Vec<BotReply>,
    ) -> AppResult<bool> {
        let detail = json!({"replies": replies});
        let d = self
            .bot_log(scope, &c.id, question, "flow", None, &detail)
            .await?;
        let meta = json!({"decision_id": d.id, "outcome": "flow"});
        self.bot_say(scope, &c.id, &replies, &meta).await?;
        if let Some(BotReply::Handoff { reason, slots }) = replies
            .iter()
            .find(|r| matches!(r, BotReply::Handoff { .. }))
        {
            let extra = json!({"slots": slots});
            self.bot_handoff(scope, c, reason, 0, question, Some(&extra))
                .await?;
            return Ok(false);
        }
        Ok(true)
    }

    async fn bot_button(&self, scope: &TenantScope, c: &Conversation, b: &str) -> AppResult<bool> {
        if b == "human" {
            self.bot_handoff(scope, c, "button", 0, "", None).await?;
            return Ok(false);
        }
        if let Some(item_id) = b.strip_prefix("ask:") {
            let Some(item) = self.bot_item(scope, item_id).await? else {
                self.bot_say(
                    scope,
                    &c.id,
                    &[BotReply::Buttons {
                        text: NO_MATCH.into(),
                        buttons: vec![human_button()],
                    }],
                    &json!({"outcome": "no_match"}),
                )
                .await?;
                return Ok(true);
            };
            let detail = json!({"chosen": item.id});
            return self
                .bot_answer(scope, c, &item.question.clone(), &item, "chosen", &detail)
                .await;
        }
        let (feedback, id) = match b.split_once(':') {
            Some(("helpful", id)) => ("helpful", id),
            Some(("unhelpful", id)) => ("unhelpful", id),
            _ => return Ok(true),
        };
        let mut conn = self.store.conn().await?;
        let Some(d) = bot::get_decision(&mut conn, scope, id)
            .await?
            .filter(|d| d.conversation_id == c.id)
        else {
            return Ok(true);
        };
        bot::set_feedback(&mut conn, scope, &d.id, &c.id, feedback).await?;
        if feedback == "unhelpful" {
            bot::insert_unmatched(
                &mut conn,
                scope,
                &c.id,
                Some(&d.id),
                &d.question,
                "unhelpful",
            )
            .await?;
        }
        drop(conn);
        let reply = if feedback == "helpful" {
            BotReply::Text {
                text: THANKS.into(),
            }
        } else {
            BotReply::Buttons {
                text: SORRY.into(),
                buttons: vec![human_button()],
            }
        };
        self.bot_say(scope, &c.id, &[reply], &json!({"feedback": feedback}))
            .await?;
        Ok(true)
    }

    /// Hand the conversation to a human: bot → queued, routed like any other; the bot's
    /// messages stay in the conversation, and the `queued` event says why.
    pub(crate) async fn bot_handoff(
        &self,
        scope: &TenantScope,
        c: &Conversation,
        reason: &str,
        priority: i64,
        question: &str,
        extra: Option<&Value>,
    ) -> AppResult<()> {
        let mut tx = self.store.begin().await?;
        let now = conversations::get_conversation(&mut tx, scope, &c.id)
            .await?
            .ok_or(AppError::NotFound("conversation"))?;
        let to = next_state(&now, ConversationAction::Handoff)?;
        if priority > 0 {
            bot::raise_priority(&mut tx, scope, &c.id, priority).await?;
        }
        conversations::set_state(
            &mut tx,
            scope,
            &c.id,
            &conversations::StateChange {
                state: to.key(),
                agent_id: None,
                skill_group_id: None,
                queued: true,
                assigned: false,
                ended: false,
            },
        )
        .await?;
        tx.commit().await?;
        let detail = json!({"reason": reason, "priority": priority, "extra": extra});
        let d = self
            .bot_log(scope, &c.id, question, "handoff", None, &detail)
            .await?;
        let say = if reason == "angry" {
            ANGRY
        } else {
            HANDING_OFF
        };
        self.bot_say(
            scope,
            &c.id,
            &[BotReply::Text { text: say.into() }],
            &json!({"decision_id": d.id, "outcome": "handoff"}),
        )
        .await?;
        self.system_event(
            scope,
            &c.id,
            json!({"event": "queued", "handoff": {"from": "bot", "reason": reason, "priority": priority, "question": question, "extra": extra}}),
        )
        .await?;
        let mut conn = self.store.conn().await?;
        let fresh = conversations::get_conversation(&mut conn, scope, &c.id)
            .await?
            .ok_or(AppError::NotFound("conversation"))?;
        drop(conn);
        self.enqueue_conversation(scope, &fresh, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handoff_keywords() {
        for t in [
            "转人工",
            "人工",
            "我要人工！",
            "人工客服在吗",
            "human",
            "Agent",
            "talk to a human",
        ] {
            assert!(wants_human(t), "{t}");
        }
        for t in [
            "怎么退货",
            "人工智能是什么意思呀请问一下",
            "user agent string",
            "humane society",
        ] {
            assert!(!wants_human(t), "{t}");
        }
    }

    #[test]
    fn answers_carry_their_card_buttons_and_feedback() {
        let item = KnowledgeItem {
            id: "i".into(),
            category_id: "c".into(),
            question: "q".into(),
            similar: vec![],
            answer: json!({"text": "七天无理由退货", "rich": {"kind": "card", "title": "退货政策", "url": "https://x.cn/r", "buttons": [{"label": "查看订单"}]}}),
            enabled: true,
            valid_from: None,
            valid_to: None,
            flow_id: None,
            created_at: 0,
            updated_at: 0,
        };
        let r = answer_replies(&item, "d1");
        assert!(matches!(&r[0], BotReply::Card { title, .. } if title == "退货政策"));
        let BotReply::Buttons { text, buttons } = &r[1] else {
            panic!("{r:?}")
        };
        assert_eq!(text, "七天无理由退货");
        let values: Vec<&str> = buttons.iter().map(|b| b.value.as_str()).collect();
        assert_eq!(values, ["查看订单", "bot:helpful:d1", "bot:unhelpful:d1"]);
    }
}

//! Where multi-turn flows (多轮对话) plug into the bot. The app consults the installed
//! [`BotHooks`] before matching a visitor's text, and again when a matched knowledge item's
//! answer names a flow (`answer.flow`); whatever they return is sent as the bot's reply.
//!
//! ```text
//! visitor text ─► emotion / 转人工 keyword ─► hooks.on_visitor_text ─► Some(replies): sent, done
//!                                                                    └► None: the matcher
//! matcher: Answer(item) with answer.flow = "F" ─► hooks.start_flow(F) ─► Some(replies): sent
//! ```
//!
//! Install with `App::set_bot_hooks(Arc::new(MyFlows { .. }))`. A reply of
//! [`BotReply::Handoff`] hands the conversation to a human (the slots go into the hand-off
//! event the agent sees).

use crate::AppResult;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;

/// The conversation the bot is serving.
#[derive(Debug, Clone, Serialize)]
pub struct BotContext {
    pub tenant_id: String,
    pub conversation_id: String,
    pub channel_id: String,
    pub visitor_id: String,
    pub customer_id: String,
}

/// One thing the bot says or does; sent in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BotReply {
    Text {
        text: String,
    },
    /// Buttons the visitor clicks; a click comes back as a message of kind `button` whose
    /// `value` is the button's value (values starting with `bot:` are the bot's own).
    Buttons {
        text: String,
        buttons: Vec<BotButton>,
    },
    Card {
        title: String,
        description: String,
        image_url: String,
        url: String,
    },
    /// Hand over to a human with what was collected.
    Handoff {
        reason: String,
        slots: serde_json::Value,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BotButton {
    pub label: String,
    pub value: String,
}

pub type HookFuture<'a> =
    Pin<Box<dyn Future<Output = AppResult<Option<Vec<BotReply>>>> + Send + 'a>>;

pub trait BotHooks: Send + Sync {
    /// Consulted before matching (a flow waiting for a slot takes the text). `None` lets the
    /// matcher answer.
    fn on_visitor_text<'a>(&'a self, conv: &'a BotContext, text: &'a str) -> HookFuture<'a>;

    /// A matched item's answer names a flow: start it. `None` falls back to the item's
    /// answer text.
    fn start_flow<'a>(
        &'a self,
        conv: &'a BotContext,
        flow: &'a str,
        item_id: &'a str,
    ) -> HookFuture<'a>;
}

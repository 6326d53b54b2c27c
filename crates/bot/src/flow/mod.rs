//! Multi-turn flows (多轮对话) as data: a JSON graph of nodes that ask for slots, call an
//! HTTP API, branch on conditions, answer with templates, hand off to a human or end.
//!
//! Everything here is pure: [`validate`] checks a graph and lists every problem at once,
//! [`start`] and [`step`] turn (state, input) into (outputs, new state, effect). The only
//! effect is "make this HTTP request"; the caller performs it (with the timeout) and feeds
//! the result back as [`Input::Http`]. Nothing here reads a clock, the network or a file,
//! so the same inputs always give the same outputs.
//!
//! ```text
//! let s = start(&flow)?;               // outputs: the first prompt; state waits for text
//! let s = step(&flow, s.state, Input::Text("20260001".into()))?;
//! if let Some(req) = s.effect { /* do the request */ step(&flow, s.state, Input::Http(result)) }
//! ```

mod engine;
pub mod intent;
mod regex_cache;
mod slots;
mod template;
mod validate;

#[cfg(test)]
mod tests;

pub use engine::{pending_request, start, step, StepError};
pub use intent::{IntentMatch, Intents};
pub use slots::check_slot;
pub use template::{render, Escape};
pub use validate::{parse, validate, Issue};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A flow: trigger phrases (intent), the start node, and the nodes.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct Flow {
    /// Phrases that start this flow when a visitor says something like them.
    #[serde(default)]
    pub triggers: Vec<String>,
    /// The id of the first node.
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub nodes: Vec<Node>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Node {
    pub id: String,
    #[serde(flatten)]
    pub kind: NodeKind,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NodeKind {
    /// Ask for a slot and wait for the visitor's answer.
    Ask(Ask),
    /// Call an HTTP API; its JSON answer fills slots.
    Http(Http),
    /// Go to the first case whose condition holds, else to `default`.
    Branch(Branch),
    /// Say something (a template); then go on to `next`, or end when there is none.
    Answer(Answer),
    /// Hand the conversation to a human with the collected slots; the flow ends.
    Handoff(Say),
    /// The flow ends (optionally saying something).
    End(Say),
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Ask {
    pub slot: String,
    pub prompt: String,
    #[serde(default)]
    pub check: SlotCheck,
    /// Wrong answers tolerated before giving up (then `on_fail`, or a hand-off).
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    /// Said after a wrong answer; the prompt again when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprompt: Option<String>,
    #[serde(default)]
    pub next: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_fail: Option<String>,
}

fn default_retries() -> u32 {
    2
}

/// How an answer to an [`Ask`] is checked and normalised.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SlotCheck {
    /// Any non-empty text.
    #[default]
    Text,
    /// One number in the answer ("3 件" → `3`).
    Number,
    /// A phone number, 7–15 digits; a Chinese mobile loses its `+86`.
    Phone,
    Email,
    /// `2026-01-31`, `2026/1/31` or `2026年1月31日` → `2026-01-31`.
    Date,
    /// The first match in the answer; its first capture group when the pattern has one.
    Regex {
        pattern: String,
    },
    /// One of the listed values (case-insensitive, or the one value the answer contains).
    Choice {
        values: Vec<String>,
    },
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Http {
    #[serde(default = "default_method")]
    pub method: String,
    /// `http://…`, `https://…`, or `/…` for a path on this kefu server. Slot values are URL-encoded.
    pub url: String,
    /// Slot values are JSON-escaped (put `"{{slot}}"` in quotes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    /// slot ← path in the JSON answer (`data.status`, `items.0.name`).
    #[serde(default)]
    pub save: BTreeMap<String, String>,
    /// A slot that receives the HTTP status code (also on the error branch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_slot: Option<String>,
    /// After a 2xx answer.
    #[serde(default)]
    pub next: String,
    /// After a non-2xx answer, a time-out, a connection failure or a body that is not JSON.
    #[serde(default)]
    pub on_error: String,
}

fn default_method() -> String {
    "GET".into()
}

fn default_timeout() -> u64 {
    5000
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Branch {
    #[serde(default)]
    pub cases: Vec<Case>,
    #[serde(default)]
    pub default: String,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Case {
    pub when: Cond,
    #[serde(default)]
    pub next: String,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Cond {
    pub slot: String,
    pub op: Op,
    /// A string or a number; not needed for `exists` / `not_exists`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Equals,
    NotEquals,
    Matches,
    Exists,
    NotExists,
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Answer {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct Say {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Where a running flow is. Plain data: stored per conversation after every step.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct FlowState {
    pub node: String,
    #[serde(default)]
    pub slots: BTreeMap<String, String>,
    /// Wrong answers so far at the current ask node.
    #[serde(default)]
    pub retries: u32,
    pub phase: Phase,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// At an ask node, waiting for the visitor.
    WaitingText,
    /// At an http node, waiting for the caller to perform [`Step::effect`].
    WaitingHttp,
    /// Ended (answered, handed off, or ended).
    Finished,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Text(String),
    Http(HttpResult),
}

/// What came of an HTTP request.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HttpResult {
    Response {
        status: u16,
        body: String,
    },
    /// Time-out, refused connection, unsupported URL…
    Failed {
        reason: String,
    },
}

/// A request for the caller to perform.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub timeout_ms: u64,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Output {
    Say {
        text: String,
    },
    /// Hand over to a human with everything collected.
    Handoff {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        slots: BTreeMap<String, String>,
    },
}

/// One step's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    pub outputs: Vec<Output>,
    pub state: FlowState,
    /// When set, the state waits for this request's [`HttpResult`].
    pub effect: Option<HttpRequest>,
}

impl Flow {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

/// The "查询订单" example shipped with the demo tenant: ask for an 8-digit order number,
/// look it up at `/demo/api/orders/{no}` on this server, answer or offer a human.
pub const ORDER_LOOKUP_EXAMPLE: &str = include_str!("order_lookup.json");

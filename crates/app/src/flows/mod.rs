//! Multi-turn flows (多轮对话): managing flow definitions (`flows.manage`, audited),
//! the test console that runs a flow step by step against the real engine and real
//! HTTP calls, and — in [`runner`] — running flows inside conversations.
//!
//! The engine (graph types, validation, the step function) is `kefu_bot::flow` and does
//! no I/O; this module stores, performs the HTTP effects and feeds results back.

pub mod demo_orders;
pub mod http;
pub mod runner;

pub use kefu_bot::flow::ORDER_LOOKUP_EXAMPLE;
pub use runner::{FlowReply, FlowRunner};

use crate::{audit, json, missing_ref, parse_id, App, AppError, AppResult, Principal};
use kefu_bot::flow::{self as engine, Flow, FlowState, HttpRequest, HttpResult, Input, Issue};
use kefu_domain::crm::FieldError;
use kefu_domain::{Name, Permission, ValidationError};
use kefu_store::flows::{self, ConversationFlow, FlowRecord};
use kefu_store::{Conn, TenantScope};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use utoipa::ToSchema;

/// Conversations are serialised per stripe so two messages of one visitor never
/// step the same flow state at once.
const LOCK_STRIPES: usize = 64;

/// A tenant's intent index and the (flow id, updated_at) list it was built from.
type CachedIntents = (Vec<(String, i64)>, Arc<engine::Intents>);

/// What the app keeps for flows between requests: the HTTP client, this server's
/// own address (for `/path` URLs), per-tenant intent indexes and step locks.
pub struct FlowsService {
    http: RwLock<http::HttpClient>,
    base_url: RwLock<Option<String>>,
    intents: Mutex<HashMap<String, CachedIntents>>,
    locks: Vec<tokio::sync::Mutex<()>>,
}

impl Default for FlowsService {
    fn default() -> Self {
        Self {
            http: RwLock::new(http::HttpClient::default()),
            base_url: RwLock::new(None),
            intents: Mutex::new(HashMap::new()),
            locks: (0..LOCK_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }
}

impl FlowsService {
    /// The client flow `http` nodes call with (cheap to clone: one shared pool).
    pub(crate) fn http(&self) -> http::HttpClient {
        self.http
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn base_url(&self) -> Option<String> {
        self.base_url.read().ok().and_then(|b| b.clone())
    }

    pub(crate) fn lock_for(&self, conversation_id: &str) -> &tokio::sync::Mutex<()> {
        let h = conversation_id
            .bytes()
            .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
        &self.locks[h % LOCK_STRIPES]
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowInput {
    pub name: String,
    /// The graph: `{"triggers": [...], "start": "...", "nodes": [...]}`.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    #[serde(default = "yes")]
    pub enabled: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateInput {
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValidateReport {
    pub valid: bool,
    /// The node ids, in order.
    pub nodes: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowTestInput {
    /// The `state` of the previous answer; absent to start the flow.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub state: Option<serde_json::Value>,
    /// The visitor's message (needed unless starting).
    #[serde(default)]
    pub text: Option<String>,
    /// Test this definition instead of the saved one (the editor's unsaved text).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub definition: Option<serde_json::Value>,
}

/// One HTTP call a step made, as sent and as answered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HttpCall {
    #[schema(value_type = Object)]
    pub request: HttpRequest,
    #[schema(value_type = Object)]
    pub result: HttpResult,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlowTestStep {
    pub replies: Vec<FlowReply>,
    /// Pass back with the next message.
    #[schema(value_type = Object)]
    pub state: serde_json::Value,
    pub finished: bool,
    pub http: Vec<HttpCall>,
}

/// Engine issues → 422 `invalid_fields`, each under `definition.<path>`.
fn issues_error(issues: Vec<Issue>) -> AppError {
    AppError::InvalidFields(
        issues
            .into_iter()
            .map(|i| {
                let field = if i.path.is_empty() {
                    "definition".to_string()
                } else {
                    format!("definition.{}", i.path)
                };
                FieldError::new(field, i.code, i.message)
            })
            .collect(),
    )
}

pub(crate) fn parse_flow(definition: &serde_json::Value) -> AppResult<Flow> {
    engine::parse(definition).map_err(issues_error)
}

/// A stored definition, read back (it was valid when saved).
pub(crate) fn stored_flow(r: &FlowRecord) -> AppResult<Flow> {
    serde_json::from_value(r.definition.clone())
        .map_err(|e| AppError::Internal(format!("stored flow {}: {e}", r.id)))
}

pub(crate) async fn check_flow_ref(
    conn: &mut Conn,
    t: &TenantScope,
    flow_id: Option<&str>,
) -> AppResult<Option<String>> {
    let Some(id) = flow_id.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let Some(id) = kefu_domain::UserId::parse(id).map(|i| i.to_string()) else {
        return Err(missing_ref("flow_id", "flow"));
    };
    match flows::get(conn, t, &id).await? {
        Some(_) => Ok(Some(id)),
        None => Err(missing_ref("flow_id", "flow")),
    }
}

/// The demo tenant's "查询订单" flow (kefu_bot's shipped example), created when missing.
pub(crate) async fn ensure_demo_flow(conn: &mut Conn, t: &TenantScope) -> AppResult<()> {
    if flows::list(conn, t)
        .await?
        .iter()
        .any(|f| f.name == DEMO_FLOW)
    {
        return Ok(());
    }
    let def: serde_json::Value = serde_json::from_str(engine::ORDER_LOOKUP_EXAMPLE)
        .map_err(|e| AppError::Internal(format!("order example: {e}")))?;
    parse_flow(&def)?;
    let flow = flows::create(conn, t, DEMO_FLOW, &def, true).await?;
    // The demo knowledge base's logistics question starts the flow too, so its other
    // phrasings ("快递到哪里了") lead to a real look-up.
    for item in kefu_store::knowledge::list_items(conn, t, None).await? {
        if item.question == DEMO_ORDER_QUESTION && item.flow_id.is_none() {
            flows::set_item_flow(conn, t, &item.id, Some(&flow.id)).await?;
        }
    }
    Ok(())
}

pub const DEMO_FLOW: &str = "查询订单";
/// The demo knowledge item linked to [`DEMO_FLOW`].
const DEMO_ORDER_QUESTION: &str = "怎么查询订单物流？";

impl App {
    /// Set this server's own base URL (`http://host:port`), which flow URLs that start
    /// with `/` are relative to. `kefu serve` sets it once it listens.
    pub fn set_own_base_url(&self, url: &str) {
        if let Ok(mut b) = self.flows.base_url.write() {
            *b = Some(url.trim_end_matches('/').to_string());
        }
    }

    /// Trust the certificates of a PEM file (an internal CA, or a self-signed server's
    /// certificate) for flow calls to https:// URLs, besides the built-in roots.
    /// `kefu serve --flow-ca-file` / `KEFU_FLOW_CA_FILE` sets it at start-up; an unreadable
    /// file or one without certificates is an error and changes nothing.
    pub fn set_flow_ca_file(&self, path: &std::path::Path) -> Result<(), String> {
        let client = http::HttpClient::with_ca_file(path)?;
        *self
            .flows
            .http
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = client;
        Ok(())
    }

    pub async fn flows(&self, p: &Principal) -> AppResult<Vec<FlowRecord>> {
        p.require(Permission::FlowsManage)?;
        let mut conn = self.store.conn().await?;
        Ok(flows::list(&mut conn, &p.tenant).await?)
    }

    pub async fn flow(&self, p: &Principal, id: &str) -> AppResult<FlowRecord> {
        p.require(Permission::FlowsManage)?;
        let id = parse_id("flow", id)?;
        let mut conn = self.store.conn().await?;
        flows::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("flow"))
    }

    /// Check a definition without saving it: 422 `invalid_fields` lists every problem.
    pub fn validate_flow(&self, p: &Principal, input: &ValidateInput) -> AppResult<ValidateReport> {
        p.require(Permission::FlowsManage)?;
        let f = parse_flow(&input.definition)?;
        Ok(ValidateReport {
            valid: true,
            nodes: f.nodes.iter().map(|n| n.id.clone()).collect(),
        })
    }

    pub async fn create_flow(&self, p: &Principal, input: FlowInput) -> AppResult<FlowRecord> {
        p.require(Permission::FlowsManage)?;
        let name = Name::parse("name", &input.name)?;
        parse_flow(&input.definition)?;
        let mut tx = self.store.begin().await?;
        let f = flows::create(
            &mut tx,
            &p.tenant,
            name.as_str(),
            &input.definition,
            input.enabled,
        )
        .await
        .map_err(|e| AppError::from_store("flow", e))?;
        audit(
            &mut tx,
            p,
            "flow.create",
            "flow",
            Some(&f.id),
            None,
            json(&f),
        )
        .await?;
        tx.commit().await?;
        Ok(f)
    }

    /// Replace a flow. Conversations in the middle of it continue with the new graph
    /// at the node they are at; if that node is gone, their flow ends.
    pub async fn update_flow(
        &self,
        p: &Principal,
        id: &str,
        input: FlowInput,
    ) -> AppResult<FlowRecord> {
        p.require(Permission::FlowsManage)?;
        let id = parse_id("flow", id)?;
        let name = Name::parse("name", &input.name)?;
        parse_flow(&input.definition)?;
        let mut tx = self.store.begin().await?;
        let before = flows::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("flow"))?;
        let f = flows::update(
            &mut tx,
            &p.tenant,
            &id,
            name.as_str(),
            &input.definition,
            input.enabled,
        )
        .await
        .map_err(|e| AppError::from_store("flow", e))?;
        audit(
            &mut tx,
            p,
            "flow.update",
            "flow",
            Some(&id),
            json(&before),
            json(&f),
        )
        .await?;
        tx.commit().await?;
        Ok(f)
    }

    /// Refused with 409 `in_use` while a knowledge item starts the flow.
    pub async fn delete_flow(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::FlowsManage)?;
        let id = parse_id("flow", id)?;
        let mut tx = self.store.begin().await?;
        let before = flows::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("flow"))?;
        flows::delete(&mut tx, &p.tenant, &id)
            .await
            .map_err(|e| AppError::from_store("flow", e))?;
        audit(
            &mut tx,
            p,
            "flow.delete",
            "flow",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The test console: one step of the flow (the saved one, or `definition`),
    /// with real HTTP calls. Nothing is stored; the client passes `state` back.
    pub async fn test_flow(
        &self,
        p: &Principal,
        id: &str,
        input: FlowTestInput,
    ) -> AppResult<FlowTestStep> {
        let saved = self.flow(p, id).await?;
        let flow = match &input.definition {
            Some(d) => parse_flow(d)?,
            None => stored_flow(&saved)?,
        };
        let first = match input.state {
            None => engine::start(&flow),
            Some(s) => {
                let state: FlowState = serde_json::from_value(s)
                    .map_err(|e| ValidationError::new("state", format!("not a flow state: {e}")))?;
                let text = input
                    .text
                    .ok_or_else(|| ValidationError::new("text", "say something to the flow"))?;
                engine::step(&flow, state, Input::Text(text))
            }
        };
        let mut trace = Vec::new();
        let done = self
            .flow_runner()
            .drive(&flow, first, None, &mut trace)
            .await?
            .map_err(|e| AppError::conflict("flow_step_failed", e.to_string()))?;
        Ok(FlowTestStep {
            replies: done.outputs.into_iter().map(FlowReply::from).collect(),
            finished: done.state.phase == engine::Phase::Finished,
            state: serde_json::to_value(&done.state)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            http: trace,
        })
    }

    /// The flow a conversation runs or ran last, with its collected slots; visible to
    /// whoever may see the conversation.
    pub async fn conversation_flow(
        &self,
        p: &Principal,
        conversation_id: &str,
    ) -> AppResult<ConversationFlow> {
        let c = self.get_conversation(p, conversation_id).await?;
        let mut conn = self.store.conn().await?;
        flows::conversation_flow(&mut conn, &p.tenant, &c.id)
            .await?
            .ok_or(AppError::NotFound("conversation flow"))
    }
}

//! Running flows inside conversations. The conversation's bot hook asks
//! [`FlowRunner::on_visitor_text`] first: a running flow takes the message, or a
//! message that names a flow's intent starts it; `None` lets the knowledge matcher
//! answer. A knowledge item with a `flow_id` starts its flow with [`FlowRunner::start`].
//!
//! The state is written after every step (also before an HTTP call), so a reconnect
//! or a restart continues the flow where it was. A hand-off records the slots on the
//! conversation's flow row and as a `flow_handoff` system event the agent sees.

use super::{stored_flow, HttpCall};
use crate::{App, AppError, AppResult};
use kefu_bot::flow::{self as engine, Flow, FlowState, Input, Output, Phase, Step, StepError};
use kefu_store::flows::{self, ConversationFlow};
use kefu_store::TenantScope;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::ToSchema;

pub const ACTIVE: &str = "active";
pub const FINISHED: &str = "finished";
pub const HANDED_OFF: &str = "handed_off";

/// HTTP calls one visitor message may cause at most (a graph that calls in a loop
/// stops here).
const MAX_CALLS: usize = 10;

/// What the bot should do for the visitor.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FlowReply {
    /// Say this as the bot.
    Text { text: String },
    /// Say `text` (if any) and hand the conversation to a human; `slots` are what the
    /// flow collected (already recorded on the conversation).
    Handoff {
        text: Option<String>,
        slots: BTreeMap<String, String>,
    },
}

impl From<Output> for FlowReply {
    fn from(o: Output) -> Self {
        match o {
            Output::Say { text } => FlowReply::Text { text },
            Output::Handoff { text, slots } => FlowReply::Handoff { text, slots },
        }
    }
}

impl FlowReply {
    /// As the bot's replies in a conversation: a hand-off's text is said, then the bot
    /// hands off (reason `flow`) with the slots.
    pub fn into_bot_replies(list: Vec<FlowReply>) -> Vec<crate::bot::BotReply> {
        use crate::bot::BotReply;
        let mut out = Vec::new();
        for r in list {
            match r {
                FlowReply::Text { text } => out.push(BotReply::Text { text }),
                FlowReply::Handoff { text, slots } => {
                    if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
                        out.push(BotReply::Text { text });
                    }
                    out.push(BotReply::Handoff {
                        reason: "flow".into(),
                        slots: serde_json::to_value(slots).unwrap_or_default(),
                    });
                }
            }
        }
        out
    }
}

pub struct FlowRunner<'a> {
    app: &'a App,
}

/// A flow brought to rest: everything said, and where it waits (or that it ended).
pub(crate) struct Settled {
    pub outputs: Vec<Output>,
    pub state: FlowState,
}

impl App {
    pub fn flow_runner(&self) -> FlowRunner<'_> {
        FlowRunner { app: self }
    }
}

fn status_of(state: &FlowState, outputs: &[Output]) -> &'static str {
    if state.phase != Phase::Finished {
        ACTIVE
    } else if outputs.iter().any(|o| matches!(o, Output::Handoff { .. })) {
        HANDED_OFF
    } else {
        FINISHED
    }
}

fn state_json(s: &FlowState) -> AppResult<serde_json::Value> {
    serde_json::to_value(s).map_err(|e| AppError::Internal(e.to_string()))
}

impl FlowRunner<'_> {
    /// Perform HTTP effects until the flow waits for the visitor or ends. With
    /// `persist`, the state is saved after every step.
    pub(crate) async fn drive(
        &self,
        flow: &Flow,
        first: Result<Step, StepError>,
        persist: Option<(&TenantScope, &str)>,
        trace: &mut Vec<HttpCall>,
    ) -> AppResult<Result<Settled, StepError>> {
        let mut step = match first {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let mut outputs = Vec::new();
        let base = self.app.flows.base_url();
        loop {
            outputs.append(&mut step.outputs);
            if let Some((scope, conv)) = persist {
                let mut conn = self.app.store.conn().await?;
                flows::save_conversation_flow(
                    &mut conn,
                    scope,
                    conv,
                    status_of(&step.state, &outputs),
                    &state_json(&step.state)?,
                )
                .await?;
            }
            let Some(req) = step.effect.take() else {
                return Ok(Ok(Settled {
                    outputs,
                    state: step.state,
                }));
            };
            if trace.len() >= MAX_CALLS {
                return Ok(Err(StepError::Loop));
            }
            let result = self.app.flows.http().perform(&req, base.as_deref()).await;
            trace.push(HttpCall {
                request: req,
                result: result.clone(),
            });
            step = match engine::step(flow, step.state, Input::Http(result)) {
                Ok(s) => s,
                Err(e) => return Ok(Err(e)),
            };
        }
    }

    async fn load_flow(&self, scope: &TenantScope, flow_id: &str) -> AppResult<Option<Flow>> {
        let mut conn = self.app.store.conn().await?;
        match flows::get(&mut conn, scope, flow_id).await? {
            Some(r) => Ok(Some(stored_flow(&r)?)),
            None => Ok(None),
        }
    }

    /// Start a flow in a conversation (replacing any flow running there) and answer
    /// what the bot says first.
    pub async fn start(
        &self,
        scope: &TenantScope,
        conversation_id: &str,
        flow_id: &str,
    ) -> AppResult<Vec<FlowReply>> {
        let _guard = self.app.flows.lock_for(conversation_id).lock().await;
        let mut conn = self.app.store.conn().await?;
        let record = flows::get(&mut conn, scope, flow_id)
            .await?
            .filter(|f| f.enabled)
            .ok_or(AppError::NotFound("flow"))?;
        let flow = stored_flow(&record)?;
        let first = engine::start(&flow);
        let initial = match &first {
            Ok(s) => s.state.clone(),
            Err(e) => return Err(AppError::conflict("flow_step_failed", e.to_string())),
        };
        flows::begin_conversation_flow(
            &mut conn,
            scope,
            conversation_id,
            &record.id,
            ACTIVE,
            &state_json(&initial)?,
        )
        .await
        .map_err(|e| AppError::from_store("conversation", e))?;
        drop(conn);
        self.finish_step(scope, conversation_id, &record.id, &flow, first)
            .await
    }

    /// The visitor said `text`. `None` when no flow is running in the conversation
    /// (or the running one can no longer continue, e.g. its flow was deleted).
    pub async fn on_input(
        &self,
        scope: &TenantScope,
        conversation_id: &str,
        text: &str,
    ) -> AppResult<Option<Vec<FlowReply>>> {
        let _guard = self.app.flows.lock_for(conversation_id).lock().await;
        let Some(cf) = self.active(scope, conversation_id).await? else {
            return Ok(None);
        };
        let Some(flow) = self.load_flow(scope, &cf.flow_id).await? else {
            self.abandon(scope, conversation_id, &cf, "the flow was deleted")
                .await?;
            return Ok(None);
        };
        let state: FlowState = match serde_json::from_value(cf.state.clone()) {
            Ok(s) => s,
            Err(e) => {
                self.abandon(scope, conversation_id, &cf, &e.to_string())
                    .await?;
                return Ok(None);
            }
        };
        let first = match state.phase {
            // A restart interrupted an HTTP call: make it again. The text was typed
            // before the visitor saw what the call leads to, so it is not consumed.
            Phase::WaitingHttp => match engine::pending_request(&flow, &state) {
                Some(req) => {
                    let result = self
                        .app
                        .flows
                        .http()
                        .perform(&req, self.app.flows.base_url().as_deref())
                        .await;
                    engine::step(&flow, state, Input::Http(result))
                }
                None => Err(StepError::UnknownNode(state.node.clone())),
            },
            _ => engine::step(&flow, state, Input::Text(text.to_string())),
        };
        if let Err(e) = &first {
            self.abandon(scope, conversation_id, &cf, &e.to_string())
                .await?;
            return Ok(None);
        }
        self.finish_step(scope, conversation_id, &cf.flow_id, &flow, first)
            .await
            .map(Some)
    }

    /// A running flow takes the message; otherwise a message that asks for a flow's
    /// intent starts it; otherwise `None` (the knowledge matcher answers).
    pub async fn on_visitor_text(
        &self,
        scope: &TenantScope,
        conversation_id: &str,
        text: &str,
    ) -> AppResult<Option<Vec<FlowReply>>> {
        if let Some(r) = self.on_input(scope, conversation_id, text).await? {
            return Ok(Some(r));
        }
        match self.detect(scope, text).await? {
            Some(flow_id) => self.start(scope, conversation_id, &flow_id).await.map(Some),
            None => Ok(None),
        }
    }

    /// The flow whose trigger phrases the text matches, among the tenant's enabled flows.
    pub async fn detect(&self, scope: &TenantScope, text: &str) -> AppResult<Option<String>> {
        Ok(self.intents(scope).await?.detect(text).map(|m| m.flow_id))
    }

    /// The flow a matched knowledge item starts, if any.
    pub async fn flow_for_item(
        &self,
        scope: &TenantScope,
        item_id: &str,
    ) -> AppResult<Option<String>> {
        let mut conn = self.app.store.conn().await?;
        Ok(flows::item_flow(&mut conn, scope, item_id).await?)
    }

    /// The conversation's flow row when a flow is running in it.
    pub async fn active(
        &self,
        scope: &TenantScope,
        conversation_id: &str,
    ) -> AppResult<Option<ConversationFlow>> {
        let mut conn = self.app.store.conn().await?;
        Ok(flows::conversation_flow(&mut conn, scope, conversation_id)
            .await?
            .filter(|c| c.status == ACTIVE))
    }

    async fn intents(&self, scope: &TenantScope) -> AppResult<Arc<engine::Intents>> {
        let tenant = scope.tenant_id().to_string();
        let mut conn = self.app.store.conn().await?;
        let fp = flows::fingerprint(&mut conn, scope).await?;
        if let Ok(cache) = self.app.flows.intents.lock() {
            if let Some((seen, i)) = cache.get(&tenant) {
                if *seen == fp {
                    return Ok(i.clone());
                }
            }
        }
        let mut list = Vec::new();
        for f in flows::list(&mut conn, scope).await? {
            if !f.enabled {
                continue;
            }
            if let Ok(flow) = stored_flow(&f) {
                list.push((f.id.clone(), flow.triggers));
            }
        }
        let built = Arc::new(engine::Intents::build(&list));
        if let Ok(mut cache) = self.app.flows.intents.lock() {
            cache.insert(tenant, (fp, built.clone()));
        }
        Ok(built)
    }

    async fn finish_step(
        &self,
        scope: &TenantScope,
        conversation_id: &str,
        flow_id: &str,
        flow: &Flow,
        first: Result<Step, StepError>,
    ) -> AppResult<Vec<FlowReply>> {
        let mut trace = Vec::new();
        let settled = match self
            .drive(flow, first, Some((scope, conversation_id)), &mut trace)
            .await?
        {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(flow_id, error = %e, "flow stopped");
                let mut conn = self.app.store.conn().await?;
                flows::save_conversation_flow(
                    &mut conn,
                    scope,
                    conversation_id,
                    FINISHED,
                    &serde_json::json!({"error": e.to_string()}),
                )
                .await?;
                return Ok(Vec::new());
            }
        };
        for call in &trace {
            if let engine::HttpResult::Failed { reason } = &call.result {
                tracing::info!(flow_id, url = %call.request.url, %reason, "flow HTTP call failed");
            }
        }
        for o in &settled.outputs {
            if let Output::Handoff { slots, .. } = o {
                self.app
                    .system_event(
                        scope,
                        conversation_id,
                        serde_json::json!({
                            "event": "flow_handoff",
                            "flow_id": flow_id,
                            "slots": slots,
                        }),
                    )
                    .await?;
            }
        }
        Ok(settled.outputs.into_iter().map(FlowReply::from).collect())
    }

    async fn abandon(
        &self,
        scope: &TenantScope,
        conversation_id: &str,
        cf: &ConversationFlow,
        why: &str,
    ) -> AppResult<()> {
        tracing::warn!(flow_id = %cf.flow_id, conversation_id, reason = why, "flow abandoned");
        let mut conn = self.app.store.conn().await?;
        flows::save_conversation_flow(&mut conn, scope, conversation_id, FINISHED, &cf.state)
            .await?;
        Ok(())
    }
}

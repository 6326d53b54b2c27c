//! The step function: (flow, state, input) → outputs, new state, effect.

use super::template::{render, Escape};
use super::{
    check_slot, Cond, Flow, FlowState, Http, HttpRequest, HttpResult, Input, NodeKind, Op, Output,
    Phase, Step,
};
use std::collections::BTreeMap;

/// Nodes visited in one step at most: a graph that loops through branches and answers
/// without ever waiting would otherwise never stop.
const MAX_HOPS: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepError {
    /// The state points at a node the flow no longer has (the flow was edited).
    UnknownNode(String),
    /// The flow already ended.
    Finished,
    /// Text while an HTTP result was expected, or the other way round.
    UnexpectedInput,
    /// More than [`MAX_HOPS`] nodes without waiting for anything.
    Loop,
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepError::UnknownNode(id) => write!(f, "the flow has no node \"{id}\""),
            StepError::Finished => f.write_str("the flow has ended"),
            StepError::UnexpectedInput => f.write_str("the flow is not waiting for this input"),
            StepError::Loop => write!(f, "more than {MAX_HOPS} nodes without waiting"),
        }
    }
}

impl std::error::Error for StepError {}

/// Start a flow: run from the start node until it waits (or ends).
pub fn start(flow: &Flow) -> Result<Step, StepError> {
    let state = FlowState {
        node: flow.start.clone(),
        slots: BTreeMap::new(),
        retries: 0,
        phase: Phase::WaitingText,
    };
    run(flow, state, Vec::new())
}

/// Feed one input to a waiting flow.
pub fn step(flow: &Flow, mut state: FlowState, input: Input) -> Result<Step, StepError> {
    let node = flow
        .node(&state.node)
        .ok_or_else(|| StepError::UnknownNode(state.node.clone()))?;
    match (state.phase, &node.kind, input) {
        (Phase::Finished, _, _) => Err(StepError::Finished),
        (Phase::WaitingText, NodeKind::Ask(ask), Input::Text(text)) => {
            if let Some(v) = check_slot(&ask.check, &text) {
                state.slots.insert(ask.slot.clone(), v);
                state.retries = 0;
                state.node = ask.next.clone();
                return run(flow, state, Vec::new());
            }
            state.retries += 1;
            if state.retries > ask.max_retries {
                state.retries = 0;
                return match &ask.on_fail {
                    Some(next) => {
                        state.node = next.clone();
                        run(flow, state, Vec::new())
                    }
                    None => {
                        let outputs = vec![Output::Handoff {
                            text: None,
                            slots: state.slots.clone(),
                        }];
                        state.phase = Phase::Finished;
                        Ok(Step {
                            outputs,
                            state,
                            effect: None,
                        })
                    }
                };
            }
            let text = ask.reprompt.as_deref().unwrap_or(&ask.prompt);
            let outputs = vec![Output::Say {
                text: render(text, &state.slots, Escape::Plain),
            }];
            Ok(Step {
                outputs,
                state,
                effect: None,
            })
        }
        (Phase::WaitingHttp, NodeKind::Http(h), Input::Http(result)) => {
            state.node = http_outcome(h, &mut state.slots, result);
            run(flow, state, Vec::new())
        }
        _ => Err(StepError::UnexpectedInput),
    }
}

/// The request a state waiting at an http node needs (again), e.g. after a restart that
/// interrupted it.
pub fn pending_request(flow: &Flow, state: &FlowState) -> Option<HttpRequest> {
    if state.phase != Phase::WaitingHttp {
        return None;
    }
    match &flow.node(&state.node)?.kind {
        NodeKind::Http(h) => Some(request(h, &state.slots)),
        _ => None,
    }
}

fn request(h: &Http, slots: &BTreeMap<String, String>) -> HttpRequest {
    HttpRequest {
        method: h.method.to_ascii_uppercase(),
        url: render(&h.url, slots, Escape::Url),
        headers: h
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), render(v, slots, Escape::Plain)))
            .collect(),
        body: h.body.as_ref().map(|b| render(b, slots, Escape::Json)),
        timeout_ms: h.timeout_ms,
    }
}

/// Fill slots from the result and answer the next node's id.
fn http_outcome(h: &Http, slots: &mut BTreeMap<String, String>, result: HttpResult) -> String {
    match result {
        HttpResult::Failed { .. } => h.on_error.clone(),
        HttpResult::Response { status, body } => {
            if let Some(s) = &h.status_slot {
                slots.insert(s.clone(), status.to_string());
            }
            if !(200..300).contains(&status) {
                return h.on_error.clone();
            }
            if h.save.is_empty() {
                return h.next.clone();
            }
            let Ok(json) = serde_json::from_str::<serde_json::Value>(&body) else {
                return h.on_error.clone();
            };
            for (slot, path) in &h.save {
                match lookup(&json, path) {
                    Some(v) => {
                        slots.insert(slot.clone(), v);
                    }
                    None => {
                        slots.remove(slot);
                    }
                }
            }
            h.next.clone()
        }
    }
}

/// `data.items.0.name` in a JSON value, as text (strings bare, others as JSON); `null`
/// and missing are `None`.
pub(crate) fn lookup(v: &serde_json::Value, path: &str) -> Option<String> {
    let mut cur = v;
    for seg in path.split('.') {
        cur = match cur {
            serde_json::Value::Object(m) => m.get(seg)?,
            serde_json::Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match cur {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Walk from `state.node` until a node waits or the flow ends.
fn run(flow: &Flow, mut state: FlowState, mut outputs: Vec<Output>) -> Result<Step, StepError> {
    for _ in 0..MAX_HOPS {
        let node = flow
            .node(&state.node)
            .ok_or_else(|| StepError::UnknownNode(state.node.clone()))?;
        match &node.kind {
            NodeKind::Ask(ask) => {
                outputs.push(Output::Say {
                    text: render(&ask.prompt, &state.slots, Escape::Plain),
                });
                state.phase = Phase::WaitingText;
                state.retries = 0;
                return Ok(Step {
                    outputs,
                    state,
                    effect: None,
                });
            }
            NodeKind::Http(h) => {
                state.phase = Phase::WaitingHttp;
                let effect = Some(request(h, &state.slots));
                return Ok(Step {
                    outputs,
                    state,
                    effect,
                });
            }
            NodeKind::Branch(b) => {
                state.node = b
                    .cases
                    .iter()
                    .find(|c| holds(&c.when, &state.slots))
                    .map_or_else(|| b.default.clone(), |c| c.next.clone());
            }
            NodeKind::Answer(a) => {
                outputs.push(Output::Say {
                    text: render(&a.text, &state.slots, Escape::Plain),
                });
                match &a.next {
                    Some(next) => state.node = next.clone(),
                    None => return Ok(finish(state, outputs)),
                }
            }
            NodeKind::Handoff(say) => {
                outputs.push(Output::Handoff {
                    text: say
                        .text
                        .as_ref()
                        .map(|t| render(t, &state.slots, Escape::Plain)),
                    slots: state.slots.clone(),
                });
                return Ok(finish(state, outputs));
            }
            NodeKind::End(say) => {
                if let Some(t) = &say.text {
                    outputs.push(Output::Say {
                        text: render(t, &state.slots, Escape::Plain),
                    });
                }
                return Ok(finish(state, outputs));
            }
        }
    }
    Err(StepError::Loop)
}

fn finish(mut state: FlowState, outputs: Vec<Output>) -> Step {
    state.phase = Phase::Finished;
    Step {
        outputs,
        state,
        effect: None,
    }
}

fn value_text(v: &Option<serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn num(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Whether a condition holds for these slots.
pub(crate) fn holds(c: &Cond, slots: &BTreeMap<String, String>) -> bool {
    let got = slots.get(&c.slot).map(String::as_str);
    let want = value_text(&c.value);
    match c.op {
        Op::Exists => got.is_some_and(|g| !g.is_empty()),
        Op::NotExists => got.is_none_or(str::is_empty),
        Op::Equals => got.is_some_and(|g| same(g, &want)),
        Op::NotEquals => !got.is_some_and(|g| same(g, &want)),
        Op::Matches => match (got, super::regex_cache::compiled(&want)) {
            (Some(g), Ok(r)) => r.is_match(g),
            _ => false,
        },
        Op::Gt | Op::Gte | Op::Lt | Op::Lte => match (got.and_then(num), num(&want)) {
            (Some(g), Some(w)) => match c.op {
                Op::Gt => g > w,
                Op::Gte => g >= w,
                Op::Lt => g < w,
                _ => g <= w,
            },
            _ => false,
        },
    }
}

/// Equal as text, or as numbers when both are numbers ("200" = 200.0).
fn same(a: &str, b: &str) -> bool {
    a == b || matches!((num(a), num(b)), (Some(x), Some(y)) if x == y)
}

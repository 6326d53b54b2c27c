//! Checking a flow before it is saved: every problem at once, each with the place it is
//! (`nodes[2].next`), a stable code and a sentence.

use super::template::{is_slot_name, pieces, Piece};
use super::{Flow, NodeKind, Op, SlotCheck};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub const MAX_NODES: usize = 200;
pub const MAX_TRIGGERS: usize = 50;
const MAX_RETRIES: u32 = 10;
const MAX_TIMEOUT_MS: u64 = 30_000;
const MIN_TIMEOUT_MS: u64 = 100;
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Where: `start`, `nodes[3].next`, `nodes[1].check.pattern`, `triggers[0]`…
    pub path: String,
    /// `missing_start`, `unknown_node`, `unreachable_node`, `duplicate_id`, `bad_regex`,
    /// `unknown_slot`, `bad_template`, `missing_next`, `invalid_value`, `invalid_json`.
    pub code: &'static str,
    pub message: String,
}

fn issue(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> Issue {
    Issue {
        path: path.into(),
        code,
        message: message.into(),
    }
}

/// Parse a JSON value into a flow and validate it.
pub fn parse(v: &serde_json::Value) -> Result<Flow, Vec<Issue>> {
    let flow: Flow = serde_json::from_value(v.clone())
        .map_err(|e| vec![issue("", "invalid_json", format!("not a flow: {e}"))])?;
    validate(&flow)?;
    Ok(flow)
}

/// Every problem of the flow; `Ok` when there is none.
pub fn validate(flow: &Flow) -> Result<(), Vec<Issue>> {
    let mut out = Vec::new();
    if flow.nodes.is_empty() {
        out.push(issue(
            "nodes",
            "invalid_value",
            "a flow needs at least one node",
        ));
    }
    if flow.nodes.len() > MAX_NODES {
        out.push(issue(
            "nodes",
            "invalid_value",
            format!("at most {MAX_NODES} nodes"),
        ));
    }
    if flow.triggers.len() > MAX_TRIGGERS {
        out.push(issue(
            "triggers",
            "invalid_value",
            format!("at most {MAX_TRIGGERS} trigger phrases"),
        ));
    }
    for (i, t) in flow.triggers.iter().enumerate() {
        let n = t.trim().chars().count();
        if n == 0 || n > 200 {
            out.push(issue(
                format!("triggers[{i}]"),
                "invalid_value",
                "a trigger phrase has 1 to 200 characters",
            ));
        }
    }

    // Ids: present, unique.
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, n) in flow.nodes.iter().enumerate() {
        if n.id.trim().is_empty() {
            out.push(issue(
                format!("nodes[{i}].id"),
                "invalid_value",
                "a node needs an id",
            ));
        } else if index.insert(n.id.as_str(), i).is_some() {
            out.push(issue(
                format!("nodes[{i}].id"),
                "duplicate_id",
                format!("another node already has the id \"{}\"", n.id),
            ));
        }
    }
    if flow.start.trim().is_empty() {
        out.push(issue(
            "start",
            "missing_start",
            "say which node the flow starts at",
        ));
    } else if !index.contains_key(flow.start.as_str()) {
        out.push(issue(
            "start",
            "unknown_node",
            format!("there is no node \"{}\"", flow.start),
        ));
    }

    // Slots the flow can fill.
    let mut defined: BTreeSet<&str> = BTreeSet::new();
    for n in &flow.nodes {
        match &n.kind {
            NodeKind::Ask(a) => {
                defined.insert(a.slot.as_str());
            }
            NodeKind::Http(h) => {
                defined.extend(h.save.keys().map(String::as_str));
                if let Some(s) = &h.status_slot {
                    defined.insert(s.as_str());
                }
            }
            _ => {}
        }
    }

    let mut c = Checker {
        out: &mut out,
        index: &index,
        defined: &defined,
    };
    for (i, n) in flow.nodes.iter().enumerate() {
        c.node(i, &n.kind);
    }

    // Reachability from the start.
    if let Some(&s) = index.get(flow.start.as_str()) {
        let mut seen = vec![false; flow.nodes.len()];
        let mut queue = VecDeque::from([s]);
        seen[s] = true;
        while let Some(i) = queue.pop_front() {
            for next in edges(&flow.nodes[i].kind) {
                if let Some(&j) = index.get(next) {
                    if !seen[j] {
                        seen[j] = true;
                        queue.push_back(j);
                    }
                }
            }
        }
        for (i, n) in flow.nodes.iter().enumerate() {
            if !seen[i] && index.get(n.id.as_str()) == Some(&i) {
                out.push(issue(
                    format!("nodes[{i}]"),
                    "unreachable_node",
                    format!("node \"{}\" cannot be reached from the start", n.id),
                ));
            }
        }
    }

    if out.is_empty() {
        Ok(())
    } else {
        Err(out)
    }
}

/// The ids a node can go to.
fn edges(k: &NodeKind) -> Vec<&str> {
    match k {
        NodeKind::Ask(a) => {
            let mut v = vec![a.next.as_str()];
            v.extend(a.on_fail.as_deref());
            v
        }
        NodeKind::Http(h) => vec![h.next.as_str(), h.on_error.as_str()],
        NodeKind::Branch(b) => {
            let mut v: Vec<&str> = b.cases.iter().map(|c| c.next.as_str()).collect();
            v.push(b.default.as_str());
            v
        }
        NodeKind::Answer(a) => a.next.as_deref().into_iter().collect(),
        NodeKind::Handoff(_) | NodeKind::End(_) => Vec::new(),
    }
}

struct Checker<'a> {
    out: &'a mut Vec<Issue>,
    index: &'a BTreeMap<&'a str, usize>,
    defined: &'a BTreeSet<&'a str>,
}

impl Checker<'_> {
    fn target(&mut self, path: String, id: &str) {
        if id.trim().is_empty() {
            self.out
                .push(issue(path, "missing_next", "say which node comes next"));
        } else if !self.index.contains_key(id) {
            self.out.push(issue(
                path,
                "unknown_node",
                format!("there is no node \"{id}\""),
            ));
        }
    }

    fn template(&mut self, path: String, t: &str) {
        match pieces(t) {
            Err(e) => self.out.push(issue(path, "bad_template", e)),
            Ok(ps) => {
                for p in ps {
                    if let Piece::Slot(name) = p {
                        self.slot_ref(path.clone(), name);
                    }
                }
            }
        }
    }

    fn slot_ref(&mut self, path: String, name: &str) {
        if !self.defined.contains(name) {
            self.out.push(issue(
                path,
                "unknown_slot",
                format!("no node fills the slot \"{name}\""),
            ));
        }
    }

    fn slot_name(&mut self, path: String, name: &str) {
        if !is_slot_name(name) {
            self.out.push(issue(
                path,
                "invalid_value",
                "a slot name is 1–64 letters, digits, _ . -",
            ));
        }
    }

    fn regex(&mut self, path: String, pattern: &str) {
        if let Err(e) = super::regex_cache::compiled(pattern) {
            let first = e
                .to_string()
                .lines()
                .last()
                .unwrap_or("")
                .trim()
                .to_string();
            self.out.push(issue(
                path,
                "bad_regex",
                format!("not a valid regular expression: {first}"),
            ));
        }
    }

    fn node(&mut self, i: usize, k: &NodeKind) {
        let at = |f: &str| format!("nodes[{i}].{f}");
        match k {
            NodeKind::Ask(a) => {
                self.slot_name(at("slot"), &a.slot);
                if a.prompt.trim().is_empty() {
                    self.out
                        .push(issue(at("prompt"), "invalid_value", "the prompt is empty"));
                }
                self.template(at("prompt"), &a.prompt);
                if let Some(r) = &a.reprompt {
                    self.template(at("reprompt"), r);
                }
                if a.max_retries > MAX_RETRIES {
                    self.out.push(issue(
                        at("max_retries"),
                        "invalid_value",
                        format!("at most {MAX_RETRIES}"),
                    ));
                }
                match &a.check {
                    SlotCheck::Regex { pattern } => self.regex(at("check.pattern"), pattern),
                    SlotCheck::Choice { values } if values.iter().all(|v| v.trim().is_empty()) => {
                        self.out.push(issue(
                            at("check.values"),
                            "invalid_value",
                            "list at least one allowed value",
                        ));
                    }
                    _ => {}
                }
                self.target(at("next"), &a.next);
                if let Some(f) = &a.on_fail {
                    self.target(at("on_fail"), f);
                }
            }
            NodeKind::Http(h) => {
                if !METHODS.contains(&h.method.to_ascii_uppercase().as_str()) {
                    self.out.push(issue(
                        at("method"),
                        "invalid_value",
                        format!("one of {}", METHODS.join(", ")),
                    ));
                }
                if !(h.url.starts_with("http://")
                    || h.url.starts_with("https://")
                    || h.url.starts_with('/'))
                {
                    self.out.push(issue(
                        at("url"),
                        "invalid_value",
                        "an http:// or https:// URL, or a /path on this server",
                    ));
                }
                self.template(at("url"), &h.url);
                if let Some(b) = &h.body {
                    self.template(at("body"), b);
                }
                for (name, v) in &h.headers {
                    self.template(at(&format!("headers.{name}")), v);
                }
                if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&h.timeout_ms) {
                    self.out.push(issue(
                        at("timeout_ms"),
                        "invalid_value",
                        format!("between {MIN_TIMEOUT_MS} and {MAX_TIMEOUT_MS} ms"),
                    ));
                }
                for (slot, path) in &h.save {
                    self.slot_name(at(&format!("save.{slot}")), slot);
                    if path.split('.').any(|s| s.trim().is_empty()) {
                        self.out.push(issue(
                            at(&format!("save.{slot}")),
                            "invalid_value",
                            "a path like data.status or items.0.name",
                        ));
                    }
                }
                if let Some(s) = &h.status_slot {
                    self.slot_name(at("status_slot"), s);
                }
                self.target(at("next"), &h.next);
                self.target(at("on_error"), &h.on_error);
            }
            NodeKind::Branch(b) => {
                for (j, c) in b.cases.iter().enumerate() {
                    let p = |f: &str| format!("nodes[{i}].cases[{j}].{f}");
                    self.slot_ref(p("when.slot"), &c.when.slot);
                    let v = c.when.value.as_ref();
                    let text = match v {
                        Some(serde_json::Value::String(s)) => Some(s.clone()),
                        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                        _ => None,
                    };
                    match c.when.op {
                        Op::Exists | Op::NotExists => {}
                        Op::Matches => match &text {
                            Some(t) => self.regex(p("when.value"), t),
                            None => self.out.push(issue(
                                p("when.value"),
                                "invalid_value",
                                "a regular expression is needed",
                            )),
                        },
                        Op::Equals | Op::NotEquals => {
                            if text.is_none() {
                                self.out.push(issue(
                                    p("when.value"),
                                    "invalid_value",
                                    "a string or number to compare with",
                                ));
                            }
                        }
                        Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                            if text.and_then(|t| t.trim().parse::<f64>().ok()).is_none() {
                                self.out.push(issue(
                                    p("when.value"),
                                    "invalid_value",
                                    "a number to compare with",
                                ));
                            }
                        }
                    }
                    self.target(p("next"), &c.next);
                }
                self.target(at("default"), &b.default);
            }
            NodeKind::Answer(a) => {
                if a.text.trim().is_empty() {
                    self.out
                        .push(issue(at("text"), "invalid_value", "the answer is empty"));
                }
                self.template(at("text"), &a.text);
                if let Some(n) = &a.next {
                    self.target(at("next"), n);
                }
            }
            NodeKind::Handoff(s) | NodeKind::End(s) => {
                if let Some(t) = &s.text {
                    self.template(at("text"), t);
                }
            }
        }
    }
}

//! Tickets (工单): the ticket type's form and workflow, the rules of a
//! transition, priorities, and the skill-group flow scope (技能组工单流转范围,
//! SPEC §3). Pure functions, no I/O.
//!
//! The form reuses the customer-template machinery of [`crate::crm`]: a ticket
//! field of a kind customers also have (text, number, date, select,
//! multi-select, cascade) is checked by exactly the same code; the two kinds
//! only tickets have (multi-line rich text, attachment) are checked here.

use crate::crm::{self, CascadeNode, FieldDef, FieldError, FieldKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The kinds of field a ticket type's form may define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketFieldKind {
    Text,
    /// Multi-line text; line breaks are kept, markup is shown as text.
    RichText,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    Select,
    MultiSelect,
    Cascade,
    /// A list of attachment ids (uploaded through `/api/v1/files`).
    Attachment,
}

/// One field of a ticket type's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketFieldDef {
    pub key: String,
    pub label: String,
    pub kind: TicketFieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cascade: Vec<CascadeNode>,
}

const MAX_RICH_TEXT: usize = 20_000;
const MAX_ATTACHMENTS: usize = 20;

impl TicketFieldDef {
    /// The customer-field definition with the same checks; rich text and
    /// attachments have none there, so they stand in as text for the
    /// definition checks (key, label, no options) only.
    fn as_crm(&self) -> FieldDef {
        let kind = match self.kind {
            TicketFieldKind::Text | TicketFieldKind::RichText | TicketFieldKind::Attachment => {
                FieldKind::Text
            }
            TicketFieldKind::Number => FieldKind::Number,
            TicketFieldKind::Date => FieldKind::Date,
            TicketFieldKind::Select => FieldKind::Select,
            TicketFieldKind::MultiSelect => FieldKind::MultiSelect,
            TicketFieldKind::Cascade => FieldKind::Cascade,
        };
        FieldDef {
            key: self.key.clone(),
            label: self.label.clone(),
            kind,
            required: self.required,
            options: self.options.clone(),
            cascade: self.cascade.clone(),
        }
    }
}

/// Check a form's definition (keys, labels, options) with the customer
/// template's rules.
pub fn validate_form(fields: &[TicketFieldDef]) -> Result<(), Vec<FieldError>> {
    let defs: Vec<FieldDef> = fields.iter().map(TicketFieldDef::as_crm).collect();
    crm::validate_template(&defs, &[], None)
}

/// Validate and normalise a ticket's values against its type's form. Every
/// problem is reported at once (`fields.KEY` with a code). Attachment values
/// come back as lists of ids; whether those ids exist is the caller's check.
pub fn validate_values(
    defs: &[TicketFieldDef],
    input: &Map<String, Value>,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut out = Map::new();
    for k in input.keys() {
        if !defs.iter().any(|d| &d.key == k) {
            errs.push(FieldError::new(
                format!("fields.{k}"),
                "unknown_field",
                "the ticket type has no such field",
            ));
        }
    }
    // The kinds customers have too: the CRM's own checks.
    let shared: Vec<FieldDef> = defs
        .iter()
        .filter(|d| {
            !matches!(
                d.kind,
                TicketFieldKind::RichText | TicketFieldKind::Attachment
            )
        })
        .map(TicketFieldDef::as_crm)
        .collect();
    let shared_input: Map<String, Value> = input
        .iter()
        .filter(|(k, _)| shared.iter().any(|d| &d.key == *k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    match crm::validate_values(&shared, &shared_input) {
        Ok(v) => out.extend(v),
        Err(e) => errs.extend(e),
    }
    for d in defs {
        let name = format!("fields.{}", d.key);
        let v = input.get(&d.key).filter(|v| !is_empty(v));
        match (d.kind, v) {
            (TicketFieldKind::RichText | TicketFieldKind::Attachment, None) if d.required => {
                errs.push(FieldError::new(name, "required", "is required"));
            }
            (TicketFieldKind::RichText, Some(v)) => match v {
                Value::String(s) if s.chars().count() <= MAX_RICH_TEXT => {
                    out.insert(d.key.clone(), Value::String(s.trim_end().to_string()));
                }
                Value::String(_) => errs.push(FieldError::new(
                    name,
                    "too_long",
                    format!("must be at most {MAX_RICH_TEXT} characters"),
                )),
                _ => errs.push(FieldError::new(name, "not_text", "must be a string")),
            },
            (TicketFieldKind::Attachment, Some(v)) => match attachment_ids(v) {
                Some(ids) if ids.len() <= MAX_ATTACHMENTS => {
                    out.insert(d.key.clone(), Value::from(ids));
                }
                Some(_) => errs.push(FieldError::new(
                    name,
                    "too_many",
                    format!("at most {MAX_ATTACHMENTS} attachments"),
                )),
                None => errs.push(FieldError::new(
                    name,
                    "invalid_attachment",
                    "must be a list of attachment ids",
                )),
            },
            _ => {}
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        errs.sort_by(|a, b| a.field.cmp(&b.field));
        Err(errs)
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn attachment_ids(v: &Value) -> Option<Vec<String>> {
    let items = v.as_array()?;
    let mut ids = Vec::new();
    for i in items {
        let s = i.as_str()?;
        let u = uuid::Uuid::parse_str(s).ok()?.to_string();
        if !ids.contains(&u) {
            ids.push(u);
        }
    }
    Some(ids)
}

/// The attachment ids a ticket's values refer to (for the caller to check).
pub fn attachments_in(defs: &[TicketFieldDef], values: &Map<String, Value>) -> Vec<String> {
    defs.iter()
        .filter(|d| d.kind == TicketFieldKind::Attachment)
        .filter_map(|d| values.get(&d.key))
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

// ---- priority ----------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TicketPriority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl TicketPriority {
    pub const ALL: [TicketPriority; 4] = [Self::Low, Self::Normal, Self::High, Self::Urgent];
    pub fn key(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == s)
    }
}

// ---- workflow ----------------------------------------------------------------

/// Where a status stands: still being worked on, resolved (the customer's
/// problem is solved; SLA resolution stops, the survey may go out), or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StatusCategory {
    #[default]
    Open,
    Resolved,
    Closed,
}

impl StatusCategory {
    pub fn key(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowStatus {
    /// Machine name, `[a-z][a-z0-9_]*`.
    pub key: String,
    pub label: String,
    /// Exactly one status of a workflow is where new tickets start.
    #[serde(default)]
    pub initial: bool,
    #[serde(default)]
    pub category: StatusCategory,
}

/// One allowed move. Who may make it: anyone who may work on the ticket when
/// both lists are empty; otherwise holders of one of `roles` (role ids) or
/// members of one of `skill_groups` (group ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    pub from: String,
    pub to: String,
    /// The button's text, e.g. 解决 / Resolve.
    pub label: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skill_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    pub statuses: Vec<WorkflowStatus>,
    #[serde(default)]
    pub transitions: Vec<Transition>,
}

impl Workflow {
    pub fn initial(&self) -> Option<&WorkflowStatus> {
        self.statuses.iter().find(|s| s.initial)
    }
    pub fn status(&self, key: &str) -> Option<&WorkflowStatus> {
        self.statuses.iter().find(|s| s.key == key)
    }
    /// The transitions out of a status, in the order defined.
    pub fn from_status<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Transition> {
        self.transitions.iter().filter(move |t| t.from == key)
    }

    /// The usual workflow: 待处理 → 处理中 → 已解决 → 已关闭, reopen allowed.
    pub fn standard(zh: bool) -> Self {
        let s = |key: &str, en: &str, cn: &str, initial, category| WorkflowStatus {
            key: key.into(),
            label: if zh { cn } else { en }.into(),
            initial,
            category,
        };
        let t = |from: &str, to: &str, en: &str, cn: &str| Transition {
            from: from.into(),
            to: to.into(),
            label: if zh { cn } else { en }.into(),
            roles: Vec::new(),
            skill_groups: Vec::new(),
        };
        use StatusCategory::*;
        Workflow {
            statuses: vec![
                s("new", "New", "待处理", true, Open),
                s("in_progress", "In progress", "处理中", false, Open),
                s("resolved", "Resolved", "已解决", false, Resolved),
                s("closed", "Closed", "已关闭", false, Closed),
            ],
            transitions: vec![
                t("new", "in_progress", "Start", "开始处理"),
                t("new", "resolved", "Resolve", "解决"),
                t("in_progress", "resolved", "Resolve", "解决"),
                t("resolved", "closed", "Close", "关闭"),
                t("resolved", "in_progress", "Reopen", "重新打开"),
            ],
        }
    }
}

fn valid_key(k: &str) -> bool {
    let mut cs = k.chars();
    matches!(cs.next(), Some('a'..='z'))
        && k.len() <= 40
        && cs.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Check a workflow: distinct status keys, exactly one initial status, at
/// least one resolved or closed status, transitions between known, distinct
/// statuses and no move defined twice. Role and group ids are the caller's
/// to check (they live in the database).
pub fn validate_workflow(w: &Workflow) -> Result<(), Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut seen = BTreeSet::new();
    if w.statuses.is_empty() || w.statuses.len() > 30 {
        errs.push(FieldError::new(
            "workflow.statuses",
            "invalid_statuses",
            "a workflow needs 1–30 statuses",
        ));
    }
    for (i, s) in w.statuses.iter().enumerate() {
        if !valid_key(&s.key) {
            errs.push(FieldError::new(
                format!("workflow.statuses[{i}].key"),
                "invalid_key",
                "use a-z, 0-9 and _, starting with a letter, at most 40 characters",
            ));
        } else if !seen.insert(s.key.as_str()) {
            errs.push(FieldError::new(
                format!("workflow.statuses[{i}].key"),
                "duplicate_key",
                format!("the status {} is defined twice", s.key),
            ));
        }
        if s.label.trim().is_empty() || s.label.chars().count() > 50 {
            errs.push(FieldError::new(
                format!("workflow.statuses[{i}].label"),
                "invalid_label",
                "must be 1–50 characters",
            ));
        }
    }
    let initials = w.statuses.iter().filter(|s| s.initial).count();
    if initials != 1 {
        errs.push(FieldError::new(
            "workflow.statuses",
            "one_initial_status",
            format!("exactly one status must be initial (found {initials})"),
        ));
    }
    if w.initial()
        .is_some_and(|s| s.category != StatusCategory::Open)
    {
        errs.push(FieldError::new(
            "workflow.statuses",
            "initial_not_open",
            "the initial status must be an open one",
        ));
    }
    if !w
        .statuses
        .iter()
        .any(|s| s.category != StatusCategory::Open)
    {
        errs.push(FieldError::new(
            "workflow.statuses",
            "no_final_status",
            "at least one status must be marked resolved or closed",
        ));
    }
    let mut moves = BTreeSet::new();
    for (i, t) in w.transitions.iter().enumerate() {
        let at = format!("workflow.transitions[{i}]");
        for (end, key) in [("from", &t.from), ("to", &t.to)] {
            if w.status(key).is_none() {
                errs.push(FieldError::new(
                    format!("{at}.{end}"),
                    "unknown_status",
                    format!("{key} is not a status of this workflow"),
                ));
            }
        }
        if t.from == t.to {
            errs.push(FieldError::new(
                format!("{at}.to"),
                "same_status",
                "a transition must lead to another status",
            ));
        }
        if !moves.insert((t.from.as_str(), t.to.as_str())) {
            errs.push(FieldError::new(
                at.clone(),
                "duplicate_transition",
                format!("{} → {} is defined twice", t.from, t.to),
            ));
        }
        if t.label.trim().is_empty() || t.label.chars().count() > 50 {
            errs.push(FieldError::new(
                format!("{at}.label"),
                "invalid_label",
                "must be 1–50 characters",
            ));
        }
    }
    if w.transitions.len() > 200 {
        errs.push(FieldError::new(
            "workflow.transitions",
            "too_many",
            "at most 200 transitions",
        ));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// Who is trying to move a ticket: their role and their skill groups.
#[derive(Debug, Clone, Default)]
pub struct Actor<'a> {
    pub role_id: Option<&'a str>,
    pub skill_groups: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionRefused {
    /// The workflow has no such move from the current status.
    NotInWorkflow { from: String, to: String },
    /// The move exists but is reserved for other roles or groups.
    NotPermitted { from: String, to: String },
}

/// May `actor` move a ticket from `from` to `to` under `w`?
pub fn check_transition<'w>(
    w: &'w Workflow,
    from: &str,
    to: &str,
    actor: &Actor<'_>,
) -> Result<&'w Transition, TransitionRefused> {
    let Some(t) = w.transitions.iter().find(|t| t.from == from && t.to == to) else {
        return Err(TransitionRefused::NotInWorkflow {
            from: from.into(),
            to: to.into(),
        });
    };
    if may_perform(t, actor) {
        Ok(t)
    } else {
        Err(TransitionRefused::NotPermitted {
            from: from.into(),
            to: to.into(),
        })
    }
}

/// Whether `actor` is one of those a transition is open to.
pub fn may_perform(t: &Transition, actor: &Actor<'_>) -> bool {
    if t.roles.is_empty() && t.skill_groups.is_empty() {
        return true;
    }
    actor
        .role_id
        .is_some_and(|r| t.roles.iter().any(|x| x == r))
        || actor
            .skill_groups
            .iter()
            .any(|g| t.skill_groups.contains(g))
}

// ---- flow scope (技能组工单流转范围) ---------------------------------------------

/// Where an operator may hand a ticket over to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowTargets {
    /// Every skill group.
    Any,
    /// Only these skill groups.
    Only(BTreeSet<String>),
}

impl FlowTargets {
    pub fn allows(&self, group: &str) -> bool {
        match self {
            FlowTargets::Any => true,
            FlowTargets::Only(s) => s.contains(group),
        }
    }
}

/// SPEC §3: "a ticket may be passed only to the skill groups the operator's
/// groups allow. If the operator belongs to no skill group, or any of the
/// operator's groups has no scope set, the ticket may go to every skill group;
/// otherwise only to the union of the scopes set on the operator's groups."
///
/// `operator_groups` holds, for each skill group the operator belongs to, that
/// group's flow scope: `None` when no scope is set, `Some(list)` otherwise.
pub fn flow_targets(operator_groups: &[Option<Vec<String>>]) -> FlowTargets {
    if operator_groups.is_empty() || operator_groups.iter().any(Option::is_none) {
        return FlowTargets::Any;
    }
    FlowTargets::Only(
        operator_groups
            .iter()
            .flatten()
            .flatten()
            .cloned()
            .collect(),
    )
}

#[cfg(test)]
mod tests;

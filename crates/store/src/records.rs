//! What the store hands back. Secrets (password hashes, TOTP secrets, token
//! hashes) are never part of these public records; they are read through
//! narrower functions in `users` and `tokens`.

use serde::Serialize;
use utoipa::ToSchema;

/// Times are Unix milliseconds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tenant {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Role {
    pub id: String,
    pub name: String,
    /// `administrator`, `team_lead` or `agent` for the built-in roles; absent for
    /// custom roles.
    pub builtin: Option<String>,
    /// Permission keys, e.g. `users.manage`.
    pub permissions: Vec<String>,
    pub description: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Department {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role_id: String,
    pub department_id: Option<String>,
    /// 接待上限: maximum concurrent chats.
    pub reception_limit: i64,
    /// 工单上限: most open tickets routing gives the agent at once.
    pub ticket_limit: i64,
    pub sip_extension: Option<String>,
    /// Current reception status (接待状态); absent until the agent first sets one.
    pub status_id: Option<String>,
    pub status_changed_at: Option<i64>,
    pub locale: Option<String>,
    pub active: bool,
    pub totp_enabled: bool,
    /// Set while the account is locked after repeated failed sign-ins.
    pub locked_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkillGroup {
    pub id: String,
    pub name: String,
    pub department_id: Option<String>,
    pub description: String,
    /// How routing picks an agent: `least_busy` (default), `round_robin`,
    /// `longest_idle`, `most_skilled`, `fewest_today`, `weighted_random`,
    /// `sticky` (the customer's previous agent first), `broadcast` (抢单).
    pub strategy: String,
    /// Sticky groups: how long a returning customer waits for their previous
    /// agent before anyone in the group may take them.
    pub sticky_wait_seconds: i64,
    /// 工单流转范围: the skill groups a ticket may be handed to by members of
    /// this group; absent when no scope is set (then every group).
    pub flow_scope: Option<Vec<String>>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkillGroupMember {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    /// 1 (junior) … 10 (expert).
    pub level: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceptionStatus {
    pub id: String,
    pub name: String,
    /// Whether an agent in this status may be given new work.
    pub can_receive: bool,
    pub sort_order: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentStatusEvent {
    pub id: String,
    pub user_id: String,
    pub from_status_id: Option<String>,
    pub to_status_id: String,
    /// Who made the change (the agent, a team lead, or absent for the system).
    pub actor_id: Option<String>,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    /// The first characters of the token, to recognise it; the rest is never stored.
    pub prefix: String,
    pub role_id: String,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub csrf_token: String,
    pub totp_pending: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    /// e.g. `user.create`, `role.update`.
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub ip: Option<String>,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Channel {
    pub id: String,
    pub name: String,
    /// `web` for now; WeChat, email, SMS … later.
    pub kind: String,
    /// The key the widget's script tag carries.
    pub public_key: String,
    pub skill_group_id: Option<String>,
    pub greeting: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    /// The template (客户模板) the customer is filed in; `None` for a chat contact
    /// nobody has filed yet (such contacts are never in the public pool).
    pub template_id: Option<String>,
    /// The template's field values, by field key.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// One of the template's statuses, or empty.
    pub status: String,
    /// 所属人. `None` with a template: in the public pool (公海).
    pub owner_id: Option<String>,
    /// Where the record came from: `chat`, `manual`, `import`, `api`.
    pub source: String,
    pub next_follow_up_at: Option<i64>,
    pub claimed_at: Option<i64>,
    /// Set when this record was merged into another (OneID); it is then kept
    /// only for history.
    pub merged_into: Option<String>,
    /// True when phone numbers were masked for the viewer (public pool).
    pub masked: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A customer template (客户模板/客户数据库): the fields of its customers, their
/// statuses in funnel order, and the status hidden from the public pool.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerTemplate {
    pub id: String,
    pub name: String,
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<kefu_domain::crm::FieldDef>,
    pub statuses: Vec<String>,
    /// Pool customers in this status are hidden from the pool (and from
    /// everyone who could see them only through it).
    pub pool_hidden_status: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One entry of a customer's follow-up history (跟进历史).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUp {
    pub id: String,
    pub customer_id: String,
    pub author_id: Option<String>,
    pub author_name: String,
    /// `call`, `visit`, `message`, `email`, `other`, or `system` (claim, release, merge).
    pub kind: String,
    pub body: String,
    pub next_follow_up_at: Option<i64>,
    pub created_at: i64,
}

/// A CSV import: its progress, and when done its per-row report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerImport {
    pub id: String,
    pub template_id: Option<String>,
    pub actor_id: Option<String>,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// Data rows in the file.
    pub total: i64,
    /// Rows read so far (the progress bar: `processed / total`).
    pub processed: i64,
    pub created: i64,
    pub duplicates: i64,
    pub errors: i64,
    /// Why a failed import stopped (rows before it are kept).
    pub error: Option<String>,
    /// One entry per data row that was not simply created: `{row, outcome,
    /// customer_id?, matched_by?, errors?}`.
    #[schema(value_type = Vec<Object>)]
    pub report: Vec<serde_json::Value>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Visitor {
    pub id: String,
    pub channel_id: String,
    pub external_user_id: Option<String>,
    pub customer_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Conversation {
    pub id: String,
    pub channel_id: String,
    pub visitor_id: String,
    pub customer_id: String,
    /// `bot`, `queued`, `active`, `transferred`, `closed` or `completed`.
    pub state: String,
    pub skill_group_id: Option<String>,
    pub agent_id: Option<String>,
    pub priority: i64,
    pub last_seq: i64,
    pub created_at: i64,
    pub queued_at: Option<i64>,
    pub assigned_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub summary: String,
    pub tags: Vec<String>,
    pub rating_stars: Option<i64>,
    pub rating_tags: Vec<String>,
    pub rating_comment: Option<String>,
    pub rated_at: Option<i64>,
    pub rating_invited_at: Option<i64>,
}

/// One entry of a conversation's log: a message or a system event.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ConversationEvent {
    pub conversation_id: String,
    pub seq: i64,
    /// `message` or `system`.
    pub kind: String,
    /// `visitor`, `agent`, `bot` or `system`.
    pub sender: String,
    pub sender_id: Option<String>,
    pub sender_name: String,
    pub client_id: Option<String>,
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    /// Internal notes are never sent to the visitor.
    pub private: bool,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assignment {
    pub id: String,
    pub conversation_id: String,
    pub agent_id: String,
    pub skill_group_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub explanation: Option<serde_json::Value>,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfflineMessage {
    pub id: String,
    pub channel_id: String,
    pub visitor_id: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub text: String,
    pub created_at: i64,
    pub handled_by: Option<String>,
    pub handled_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuickReply {
    pub id: String,
    /// Absent for team replies shared by everyone.
    pub owner_id: Option<String>,
    pub title: String,
    pub text: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attachment {
    pub id: String,
    pub visitor_id: Option<String>,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    #[serde(skip)]
    pub path: String,
    pub created_at: i64,
}

//! kefu's use cases. Each public function is one thing a person does ("create a
//! user", "change my status"); it checks the caller's permission, runs in one
//! transaction, writes the audit entry in that same transaction, and publishes an
//! event after commit. HTTP and HTML adapters call these and nothing below them.

pub mod audit_log;
pub mod auth;
pub mod bot;
pub mod channels;
pub mod chat;
pub mod crm;
pub mod demo;
pub mod error;
pub mod flows;
pub mod hours;
pub mod hub;
pub mod knowledge;
pub mod org;
pub mod principal;
pub mod roles;
pub mod routing;
pub mod secrets;
pub mod sla;
pub mod statuses;
pub mod tenants;
pub mod tickets;
pub mod tokens;
pub mod users;

pub use error::{AppError, AppResult};
pub use principal::Principal;

use kefu_events::EventBus;
use kefu_store::{audit, Conn, Store};
use std::sync::Arc;

/// Knobs for sign-in security. Defaults follow common practice (OWASP ASVS):
/// lock after 5 consecutive failures for 15 minutes; at most 20 attempts a
/// minute from one address.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub max_failed_logins: i64,
    pub lockout_minutes: i64,
    pub login_attempts_per_minute: usize,
    pub session_hours: i64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            max_failed_logins: 5,
            lockout_minutes: 15,
            login_attempts_per_minute: 20,
            session_hours: 12,
        }
    }
}

#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub bus: EventBus,
    pub auth: AuthConfig,
    pub hub: Arc<hub::Hub>,
    /// Where uploaded attachments are kept (`<data dir>/files`).
    pub files_dir: Arc<std::path::PathBuf>,
    pub(crate) routing: Arc<routing::RoutingService>,
    /// The message writer (group commit), started on first use.
    pub(crate) appender: Arc<std::sync::OnceLock<chat::appender::Appender>>,
    pub(crate) presence: Arc<chat::presence::Presence>,
    /// Multi-turn flows: HTTP client, own base URL, intent indexes, step locks.
    pub(crate) flows: Arc<flows::FlowsService>,
    /// The bot: per-tenant matchers, model, hooks for flows.
    pub(crate) bot: Arc<bot::BotService>,
    /// How long a dropped visitor keeps their place in the queue.
    pub visitor_grace: std::time::Duration,
    limiter: Arc<auth::RateLimiter>,
}

impl App {
    pub fn new(store: Store, bus: EventBus, auth: AuthConfig) -> Self {
        let limiter = Arc::new(auth::RateLimiter::new(auth.login_attempts_per_minute));
        Self {
            store,
            bus,
            auth,
            hub: Arc::default(),
            files_dir: Arc::new(std::path::PathBuf::from("./data/files")),
            routing: Arc::default(),
            appender: Arc::default(),
            presence: Arc::default(),
            flows: Arc::default(),
            bot: Arc::default(),
            visitor_grace: chat::presence::GRACE,
            limiter,
        }
    }
}

impl App {
    pub fn with_visitor_grace(mut self, grace: std::time::Duration) -> Self {
        self.visitor_grace = grace;
        self
    }

    pub fn with_files_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.files_dir = Arc::new(dir);
        self
    }
}

/// Write one audit entry for an administrative change made by `p`.
pub(crate) async fn audit(
    conn: &mut Conn,
    p: &Principal,
    action: &str,
    resource_type: &str,
    resource_id: Option<&str>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> AppResult<()> {
    audit::record(
        conn,
        &p.tenant,
        audit::NewAudit {
            actor_id: p.user_id.as_deref(),
            actor_name: &p.name,
            action,
            resource_type,
            resource_id,
            before,
            after,
            ip: p.ip.as_deref(),
        },
    )
    .await?;
    Ok(())
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// Parse an id from a path or body; a malformed id is simply "not found" so that
/// probing with garbage learns nothing.
pub(crate) fn parse_id(resource: &'static str, s: &str) -> AppResult<String> {
    kefu_domain::UserId::parse(s)
        .map(|id| id.to_string())
        .ok_or(AppError::NotFound(resource))
}

/// For PATCH bodies: tells "field absent" (`None`) from "field set to null"
/// (`Some(None)`).
pub(crate) fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(d).map(Some)
}

/// A referenced id (role, department, group…) must exist *in the caller's
/// tenant*; the database's foreign keys alone would accept another tenant's id.
pub(crate) fn missing_ref(field: &'static str, what: &str) -> AppError {
    AppError::Validation(kefu_domain::ValidationError::new(
        field,
        format!("no such {what}"),
    ))
}

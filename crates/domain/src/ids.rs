//! Identifiers. Every id is a UUIDv7 rendered as text: time-ordered (good index
//! locality), unguessable enough not to leak counts, and the same type on SQLite
//! and PostgreSQL.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }
            /// Parse an id from outside (a URL path, a form). Anything that is not a
            /// UUID is rejected here, so it can never reach a query.
            pub fn parse(s: &str) -> Option<Self> {
                uuid::Uuid::parse_str(s).ok().map(|u| Self(u.to_string()))
            }
            /// Wrap a value read back from our own database.
            pub fn from_db(s: String) -> Self {
                Self(s)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

id_type!(
    TenantId,
    UserId,
    RoleId,
    DepartmentId,
    SkillGroupId,
    ReceptionStatusId,
    ApiTokenId,
    SessionId,
    AuditId,
    ChannelId,
    EventId,
    ConversationId,
    VisitorId,
    CustomerId,
    MessageId,
    OfflineMessageId,
    QuickReplyId,
    AttachmentId,
    CustomerTemplateId,
    FollowUpId,
    CustomerImportId,
    KnowledgeCategoryId,
    KnowledgeItemId,
    SynonymGroupId,
    TicketTypeId,
    TicketId,
    TicketCommentId,
    TicketHistoryId,
    NotificationId,
    FlowId,
    KnowledgeImportId,
);

//! The kefu domain: identifiers, validated values, permissions and pure algorithms.
//!
//! Nothing in here does I/O or knows about HTTP or SQL. Values are *parsed* into
//! newtypes at the edge (`Username::parse`, …) so that code further in never holds
//! an unchecked string.

pub mod conversation;
pub mod crm;
pub mod csv;
pub mod ids;
pub mod permission;
pub mod ticket;
pub mod totp;
pub mod values;

pub use ids::*;
pub use permission::{BuiltinRole, Permission};
pub use values::*;

/// A value failed validation. `field` names the input field so an API client or a
/// form can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

//! Validated values. Each `parse` is the only way to make one, so holding a value
//! means it was checked.

use crate::ValidationError;
use serde::Serialize;

fn trimmed<'a>(field: &'static str, s: &'a str, max: usize) -> Result<&'a str, ValidationError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(t)
}

/// A login name: 2–64 of `a-z 0-9 . _ - @`, stored lower-case so "Alice" and
/// "alice" cannot be two accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let t = s.trim().to_lowercase();
        let ok_len = (2..=64).contains(&t.chars().count());
        let ok_chars = t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if !ok_len || !ok_chars {
            return Err(ValidationError::new(
                "username",
                "must be 2–64 characters of letters, digits, '.', '_', '-' or '@'",
            ));
        }
        Ok(Self(t))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tenant's short name used at login and in URLs: 2–40 of `a-z 0-9 -`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TenantSlug(String);

impl TenantSlug {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let t = s.trim().to_lowercase();
        let ok = (2..=40).contains(&t.len())
            && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !t.starts_with('-');
        if !ok {
            return Err(ValidationError::new(
                "slug",
                "must be 2–40 characters of lower-case letters, digits and '-'",
            ));
        }
        Ok(Self(t))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A human-facing name (of a user, role, department, group, status…): 1–100
/// characters, trimmed, any script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub fn parse(field: &'static str, s: &str) -> Result<Self, ValidationError> {
        trimmed(field, s, 100).map(|t| Self(t.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// An e-mail address, checked only for shape: one '@' with text on both sides and a
/// dot in the domain. Deliverability is not our business here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let t = s.trim().to_lowercase();
        let bad = || ValidationError::new("email", "is not a valid e-mail address");
        let (local, domain) = t.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || t.len() > 254
            || t.chars().any(char::is_whitespace)
        {
            return Err(bad());
        }
        Ok(Self(t))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password, before hashing. Never serialised, never printed.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_LEN: usize = 8;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if s.chars().count() < Self::MIN_LEN {
            return Err(ValidationError::new(
                "password",
                format!("must be at least {} characters", Self::MIN_LEN),
            ));
        }
        if s.len() > 1024 {
            return Err(ValidationError::new("password", "is too long"));
        }
        Ok(Self(s.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// 接待上限: how many chats an agent may hold at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ReceptionLimit(u32);

impl ReceptionLimit {
    pub const MAX: u32 = 100;
    pub const DEFAULT: ReceptionLimit = ReceptionLimit(5);

    pub fn parse(n: i64) -> Result<Self, ValidationError> {
        if !(0..=Self::MAX as i64).contains(&n) {
            return Err(ValidationError::new(
                "reception_limit",
                format!("must be between 0 and {}", Self::MAX),
            ));
        }
        Ok(Self(n as u32))
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

/// 工单上限: how many open tickets routing may give an agent at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TicketLimit(u32);

impl TicketLimit {
    pub const MAX: u32 = 1000;
    pub const DEFAULT: TicketLimit = TicketLimit(10);

    pub fn parse(n: i64) -> Result<Self, ValidationError> {
        if !(0..=Self::MAX as i64).contains(&n) {
            return Err(ValidationError::new(
                "ticket_limit",
                format!("must be between 0 and {}", Self::MAX),
            ));
        }
        Ok(Self(n as u32))
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

/// An agent's level within a skill group (1 = junior … 10 = expert). Routing's
/// "most skilled first" strategy orders by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SkillLevel(u8);

impl SkillLevel {
    pub fn parse(n: i64) -> Result<Self, ValidationError> {
        if !(1..=10).contains(&n) {
            return Err(ValidationError::new("level", "must be between 1 and 10"));
        }
        Ok(Self(n as u8))
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

/// A SIP extension: 2–8 digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SipExtension(String);

impl SipExtension {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let t = s.trim();
        if !(2..=8).contains(&t.len()) || !t.chars().all(|c| c.is_ascii_digit()) {
            return Err(ValidationError::new("sip_extension", "must be 2–8 digits"));
        }
        Ok(Self(t.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_case_folded_and_restricted() {
        assert_eq!(Username::parse(" Alice ").unwrap().as_str(), "alice");
        assert!(Username::parse("a").is_err());
        assert!(Username::parse("bad name").is_err());
        assert!(Username::parse("x'; drop table users;--").is_err());
    }

    #[test]
    fn names_accept_chinese_and_reject_blank() {
        assert_eq!(
            Name::parse("name", "  售后一组 ").unwrap().as_str(),
            "售后一组"
        );
        assert!(Name::parse("name", "   ").is_err());
        assert!(Name::parse("name", &"长".repeat(101)).is_err());
    }

    #[test]
    fn email_shape() {
        assert!(Email::parse("li.lei@example.cn").is_ok());
        for bad in ["", "a@", "@b.c", "a@b", "a b@c.d", "a@@b.c"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_and_levels_have_bounds() {
        assert!(ReceptionLimit::parse(-1).is_err());
        assert!(ReceptionLimit::parse(101).is_err());
        assert_eq!(ReceptionLimit::parse(8).unwrap().get(), 8);
        assert!(TicketLimit::parse(-1).is_err());
        assert!(TicketLimit::parse(1001).is_err());
        assert_eq!(TicketLimit::parse(1000).unwrap().get(), 1000);
        assert!(SkillLevel::parse(0).is_err());
        assert!(SkillLevel::parse(11).is_err());
    }

    #[test]
    fn short_passwords_are_refused_and_never_printed() {
        assert!(NewPassword::parse("1234567").is_err());
        let p = NewPassword::parse("correct horse").unwrap();
        assert_eq!(format!("{p:?}"), "NewPassword(***)");
    }
}

//! The conversation (会话) lifecycle as a state machine. Every accepted
//! transition becomes a stored event; reports read those events, never the
//! current state.
//!
//! ```text
//!   Bot ──handoff──► Queued ──assign──► Active ──transfer──► Transferred
//!    │                 │                  │  ▲                    │
//!    │                 │                  │  └──────assign────────┘
//!    ├─resolve─► Completed ◄──complete────┤
//!    └─leave──► Closed ◄──leave/abandon───┴──── (from any open state)
//! ```

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    /// The bot answers first.
    Bot,
    /// 排队: waiting for an agent.
    Queued,
    /// 活动: an agent is serving.
    Active,
    /// 转接: handed over, waiting for the new agent or group.
    Transferred,
    /// 关闭: ended unresolved (visitor left, timed out, abandoned the queue).
    Closed,
    /// 完成: ended resolved.
    Completed,
}

impl ConversationState {
    pub fn key(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Queued => "queued",
            Self::Active => "active",
            Self::Transferred => "transferred",
            Self::Closed => "closed",
            Self::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Bot,
            Self::Queued,
            Self::Active,
            Self::Transferred,
            Self::Closed,
            Self::Completed,
        ]
        .into_iter()
        .find(|x| x.key() == s)
    }

    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed | Self::Completed)
    }
}

/// What someone does to a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationAction {
    /// The bot hands over to a human (转人工), or the channel has no bot.
    Handoff,
    /// The routing engine (or a team lead) gives it to an agent.
    Assign,
    /// The serving agent hands it to another agent or group.
    Transfer,
    /// Ended resolved (by the agent, or the bot answered).
    Complete,
    /// Ended unresolved: the visitor left, the queue was abandoned, time-out.
    Close,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {from} conversation cannot be {action}")]
pub struct TransitionError {
    pub from: &'static str,
    pub action: &'static str,
}

impl ConversationAction {
    pub fn key(self) -> &'static str {
        match self {
            Self::Handoff => "handed off",
            Self::Assign => "assigned",
            Self::Transfer => "transferred",
            Self::Complete => "completed",
            Self::Close => "closed",
        }
    }
}

/// The one place that says which moves are allowed.
pub fn transition(
    from: ConversationState,
    action: ConversationAction,
) -> Result<ConversationState, TransitionError> {
    use ConversationAction as A;
    use ConversationState as S;
    let to = match (from, action) {
        (S::Bot, A::Handoff) => S::Queued,
        (S::Queued | S::Transferred, A::Assign) => S::Active,
        // A team lead may reassign an active conversation directly.
        (S::Active, A::Assign) => S::Active,
        (S::Active, A::Transfer) => S::Transferred,
        (S::Bot | S::Active, A::Complete) => S::Completed,
        (S::Bot | S::Queued | S::Active | S::Transferred, A::Close) => S::Closed,
        _ => {
            return Err(TransitionError {
                from: from.key(),
                action: action.key(),
            })
        }
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConversationAction as A;
    use ConversationState as S;

    #[test]
    fn the_happy_path() {
        let s = transition(S::Bot, A::Handoff).unwrap();
        let s = transition(s, A::Assign).unwrap();
        let s = transition(s, A::Transfer).unwrap();
        let s = transition(s, A::Assign).unwrap();
        assert_eq!(transition(s, A::Complete).unwrap(), S::Completed);
    }

    #[test]
    fn forbidden_moves_are_errors_with_a_reason() {
        let all = [
            S::Bot,
            S::Queued,
            S::Active,
            S::Transferred,
            S::Closed,
            S::Completed,
        ];
        let allowed = [
            (S::Bot, A::Handoff),
            (S::Queued, A::Assign),
            (S::Transferred, A::Assign),
            (S::Active, A::Assign),
            (S::Active, A::Transfer),
            (S::Bot, A::Complete),
            (S::Active, A::Complete),
            (S::Bot, A::Close),
            (S::Queued, A::Close),
            (S::Active, A::Close),
            (S::Transferred, A::Close),
        ];
        for from in all {
            for action in [A::Handoff, A::Assign, A::Transfer, A::Complete, A::Close] {
                let r = transition(from, action);
                assert_eq!(
                    r.is_ok(),
                    allowed.contains(&(from, action)),
                    "{from:?} {action:?}"
                );
            }
        }
        let e = transition(S::Closed, A::Assign).unwrap_err();
        assert_eq!(e.to_string(), "a closed conversation cannot be assigned");
    }

    #[test]
    fn ended_conversations_are_not_open() {
        assert!(!S::Closed.is_open() && !S::Completed.is_open());
        assert!(S::Queued.is_open());
        assert_eq!(S::parse("transferred"), Some(S::Transferred));
    }
}

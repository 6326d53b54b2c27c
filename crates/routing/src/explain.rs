//! Every decision can say why: who was considered, why each excluded agent was
//! excluded, the scores of the rest, and who won. Team leads see this next to
//! each assignment.

use crate::model::{AgentId, GroupId, Millis};

#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub group: GroupId,
    pub strategy: &'static str,
    pub candidates: Vec<Candidate>,
    pub winner: Option<AgentId>,
    /// One sentence: why the winner won, or why nobody did.
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub agent: AgentId,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Eligible(Score),
    Excluded(Exclusion),
}

/// Why an agent could not take the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exclusion {
    /// Their reception status does not allow new work.
    NotReceiving,
    /// No room left for this media.
    Full { load: u16, capacity: u16 },
    /// 话后处理 after the last call.
    WrapUp { until: Millis },
    /// Held back after a no-answer, reject or busy.
    Delayed { until: Millis },
}

/// The strategy's measure for an eligible agent (lower ranks first unless noted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Score {
    /// Rotation stamp in this group: 0 = never served here; lowest goes next.
    Rotation { last_served: u64 },
    /// Load ÷ capacity for the item's media.
    Load { ratio: f64 },
    /// Idle since this time (earliest first); busy agents rank after idle ones.
    Idle {
        idle_since: Option<Millis>,
        ratio: f64,
    },
    /// Level in the group (highest first), then load ratio.
    Skill { level: u8, ratio: f64 },
    /// Items received today, then load ratio.
    Today { served: u32, ratio: f64 },
    /// Share of a weighted draw.
    Weight { weight: u32 },
    /// The customer's previous agent.
    Sticky,
    /// Offered to all eligible agents.
    Broadcast,
}

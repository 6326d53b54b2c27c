//! What the engine routes and to whom: work items, agents, skill-group
//! configuration. Ids are the caller's (the server maps its UUIDs to these).

use crate::calendar::Calendar;

/// Unix milliseconds, injected by the caller: the engine never reads a clock.
pub type Millis = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentId(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(pub u32);

/// The three kinds of work, each with its own per-agent capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Media {
    Chat = 0,
    Call = 1,
    Ticket = 2,
}

impl Media {
    pub const ALL: [Media; 3] = [Media::Chat, Media::Call, Media::Ticket];
    pub fn idx(self) -> usize {
        self as usize
    }
}

/// Priority classes, lowest first. A class's base score (per group) is added to
/// the time waited, so higher classes jump ahead but never starve lower ones.
pub const PRIORITY_CLASSES: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    Normal = 0,
    Vip = 1,
    /// 绿色通道: complaints and urgent matters.
    Green = 2,
}

impl Priority {
    /// VIP level (0 = none) and the green-channel flag decide the class.
    pub fn from_customer(vip_level: u8, green_channel: bool) -> Self {
        if green_channel {
            Priority::Green
        } else if vip_level > 0 {
            Priority::Vip
        } else {
            Priority::Normal
        }
    }
    pub fn idx(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkItem {
    pub id: ItemId,
    pub media: Media,
    pub group: GroupId,
    pub priority: Priority,
    /// Caller region (e.g. province code), used by region rules.
    pub region: Option<String>,
    pub tags: Vec<String>,
    /// The agent who served this customer last (主叫记忆).
    pub last_agent: Option<AgentId>,
    /// When the customer started waiting; kept across re-queues so nobody loses
    /// their place to a ring timeout.
    pub enqueued_at: Millis,
}

/// An agent as the caller describes them; the engine adds the live state.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSpec {
    pub id: AgentId,
    /// The reception status allows new work (接待状态 "can receive").
    pub receiving: bool,
    /// Skill groups with the agent's level (1–10) in each.
    pub groups: Vec<(GroupId, u8)>,
    /// Capacity per media: chat = 接待上限, call normally 1, ticket limit.
    pub capacity: [u16; 3],
    /// For weighted random distribution; 0 never wins a weighted draw.
    pub weight: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Rotate through the group's agents; the rotation is remembered per group.
    RoundRobin,
    /// Lowest load ÷ capacity for the item's media.
    LeastBusy,
    /// The agent whose last piece of work ended longest ago (idle agents first).
    LongestIdle,
    /// Highest level in the group, then least busy.
    MostSkilled,
    /// Fewest items received today, then least busy.
    FewestToday,
    /// The customer's last agent if they can take it within `wait_ms`; after
    /// that (or if they are not in the group), least busy.
    Sticky { wait_ms: Millis },
    /// Random, in proportion to agents' weights; deterministic for a given
    /// engine seed, item and time.
    WeightedRandom,
    /// 抢单: offered to every eligible agent at once; the first to accept wins.
    Broadcast,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round-robin",
            Strategy::LeastBusy => "least-busy",
            Strategy::LongestIdle => "longest-idle",
            Strategy::MostSkilled => "most-skilled",
            Strategy::FewestToday => "fewest-today",
            Strategy::Sticky { .. } => "sticky",
            Strategy::WeightedRandom => "weighted-random",
            Strategy::Broadcast => "broadcast",
        }
    }
}

/// What to offer the customer when nobody can serve at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fallback {
    /// 留言
    LeaveMessage,
    Voicemail,
    Ticket,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverflowMode {
    /// Keep the item in its group and also offer it to the other group.
    Also,
    /// Move the item to the other group.
    Move,
}

/// 溢出: after a wait, or when the queue is long, spill to another group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow {
    pub to: GroupId,
    /// Spill an item once it has waited this long.
    pub after_wait_ms: Option<Millis>,
    /// Spill arriving items straight away while this many are already queued.
    pub queue_len_at_least: Option<usize>,
    pub mode: OverflowMode,
}

#[derive(Debug, Clone)]
pub struct GroupConfig {
    pub id: GroupId,
    pub strategy: Strategy,
    pub calendar: Calendar,
    /// Base score per priority class, in milliseconds of "virtual waiting".
    pub class_base_ms: [Millis; PRIORITY_CLASSES],
    pub overflow: Vec<Overflow>,
    pub fallback: Fallback,
    /// Call offers ring this long before counting as no-answer.
    pub ring_timeout_ms: Millis,
    pub no_answer_delay_ms: Millis,
    pub reject_delay_ms: Millis,
    pub busy_delay_ms: Millis,
    /// After this many consecutive no-answers the agent is put on break.
    pub max_no_answer: u32,
    /// 话后处理 after a call before the next one.
    pub wrap_up_ms: Millis,
}

impl GroupConfig {
    /// Sensible defaults: open always, least busy, VIP counts as 60 s of
    /// waiting and the green channel as 300 s, 20 s ring, 3 no-answers to break.
    pub fn new(id: GroupId, strategy: Strategy) -> Self {
        Self {
            id,
            strategy,
            calendar: Calendar::always_open(),
            class_base_ms: [0, 60_000, 300_000],
            overflow: Vec::new(),
            fallback: Fallback::LeaveMessage,
            ring_timeout_ms: 20_000,
            no_answer_delay_ms: 30_000,
            reject_delay_ms: 10_000,
            busy_delay_ms: 60_000,
            max_no_answer: 3,
            wrap_up_ms: 15_000,
        }
    }
}

//! The customers and agent plans, drawn once and replayed for every strategy.

use super::*;

/// One customer, drawn once and replayed for every strategy.
pub(crate) struct Customer {
    pub(crate) at: Millis,
    pub(crate) handle_ms: Millis,
    pub(crate) patience_ms: Millis,
    pub(crate) priority: Priority,
    /// Used by the sticky strategy only.
    pub(crate) last_agent: Option<AgentId>,
}

pub(crate) struct AgentPlan {
    pub(crate) level: u8,
    pub(crate) weight: u32,
    /// Start times of 15-minute breaks.
    pub(crate) breaks: Vec<Millis>,
}

pub(crate) struct Scenario {
    pub(crate) customers: Vec<Customer>,
    pub(crate) agents: Vec<AgentPlan>,
    pub(crate) capacity: u16,
    pub(crate) rate_per_min: f64,
}

pub(crate) fn scenario(args: &Args) -> Scenario {
    let horizon = (args.hours * 3_600_000.0) as Millis;
    // Offered load ρ = λ · mean handle / (agents · capacity).
    let rate_per_ms = args.load * args.agents as f64 * args.chat_capacity as f64 / MEAN_HANDLE_MS;
    let mut rng = Rng::new(args.seed);
    let mut customers = Vec::new();
    let mut t = 0.0;
    loop {
        t += rng.exp(1.0 / rate_per_ms);
        if t >= horizon as f64 {
            break;
        }
        let u = rng.unit();
        let priority = if u < GREEN_SHARE {
            Priority::Green
        } else if u < GREEN_SHARE + VIP_SHARE {
            Priority::Vip
        } else {
            Priority::Normal
        };
        let last_agent =
            (rng.unit() < STICKY_SHARE).then(|| AgentId(rng.below(args.agents as u64) + 1));
        customers.push(Customer {
            at: t as Millis,
            handle_ms: (rng.exp(MEAN_HANDLE_MS) as Millis).max(1),
            patience_ms: rng.exp(MEAN_PATIENCE_MS) as Millis,
            priority,
            last_agent,
        });
    }
    // Work stretches between breaks average 135 min, so 15 / (135 + 15) = 10 %
    // of agent time is break.
    let mean_work = BREAK_MS as f64 * (1.0 - BREAK_SHARE) / BREAK_SHARE;
    let mut rng = Rng::new(args.seed ^ 0x6167_656e_7473_2121);
    let agents = (0..args.agents)
        .map(|_| {
            let level = 1 + rng.below(10) as u8;
            let weight = 1 + rng.below(3) as u32;
            let mut breaks = Vec::new();
            let mut t = rng.exp(mean_work) as Millis;
            while t < horizon {
                breaks.push(t);
                t += BREAK_MS + rng.exp(mean_work) as Millis;
            }
            AgentPlan {
                level,
                weight,
                breaks,
            }
        })
        .collect();
    Scenario {
        customers,
        agents,
        capacity: args.chat_capacity,
        rate_per_min: rate_per_ms * MIN as f64,
    }
}

//! kefu-sim: a discrete-event simulation of one skill group of chat agents
//! with the routing engine as the router (issue 3, "Proof").
//!
//! Poisson arrivals, exponential handle times and patience, VIP and
//! green-channel customers, agents taking 15-minute breaks. Every strategy is
//! run on the same seeded arrival stream (common random numbers) and one
//! Markdown table row is printed per strategy. The engine's invariants are
//! checked every `INVARIANT_EVERY` events and at the end of every run; any
//! violation is printed loudly and the process exits non-zero.
//!
//! ```text
//! cargo run --release -p kefu-routing --bin kefu-sim -- [--agents 50] [--hours 8]
//!     [--load 0.85] [--seed 42] [--strategy all|round-robin|least-busy|...]
//!     [--chat-capacity 3]
//! ```
//!
//! std only: the PRNG (xoshiro256**, seeded through splitmix64) and the flag
//! parsing are written out here.

use kefu_routing::{
    AgentId, AgentSpec, Engine, EngineConfig, GroupConfig, GroupId, ItemId, Media, Millis, Outcome,
    Priority, RoutingError, Strategy, WorkItem,
};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::process::ExitCode;
use std::time::Instant;

mod report;
mod rng;
mod scenario;
mod sim;

use report::*;
use rng::*;
use scenario::*;
use sim::*;

pub(crate) const GROUP: GroupId = GroupId(1);
pub(crate) const SEC: Millis = 1_000;
pub(crate) const MIN: Millis = 60 * SEC;
pub(crate) const MEAN_HANDLE_MS: f64 = 5.0 * MIN as f64;
pub(crate) const MEAN_PATIENCE_MS: f64 = 3.0 * MIN as f64;
pub(crate) const BREAK_MS: Millis = 15 * MIN;
/// Share of agent time spent on break.
pub(crate) const BREAK_SHARE: f64 = 0.10;
pub(crate) const VIP_SHARE: f64 = 0.15;
pub(crate) const GREEN_SHARE: f64 = 0.03;
pub(crate) const STICKY_SHARE: f64 = 0.30;
pub(crate) const STICKY_WAIT_MS: Millis = 30 * SEC;
pub(crate) const BROADCAST_MAX_DELAY_MS: u64 = 5 * SEC as u64;
/// Service-level threshold.
pub(crate) const SL_MS: Millis = 20 * SEC;
pub(crate) const INVARIANT_EVERY: u64 = 100;

pub(crate) const STRATEGIES: [Strategy; 8] = [
    Strategy::RoundRobin,
    Strategy::LeastBusy,
    Strategy::LongestIdle,
    Strategy::MostSkilled,
    Strategy::FewestToday,
    Strategy::Sticky {
        wait_ms: STICKY_WAIT_MS,
    },
    Strategy::WeightedRandom,
    Strategy::Broadcast,
];

/// Who picks up a broadcast chat in the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AcceptPolicy {
    /// The first agent the engine listed (the default the issue asks for).
    First,
    /// A uniformly random listed agent.
    Random,
}

struct Args {
    broadcast_accept: AcceptPolicy,
    agents: usize,
    hours: f64,
    load: f64,
    seed: u64,
    strategy: String,
    chat_capacity: u16,
}

const USAGE: &str = "usage: kefu-sim [--agents N] [--hours H] [--load RHO] [--seed S] \
[--strategy NAME|all] [--chat-capacity C]
  --agents N          agents in the skill group (default 50)
  --hours H           simulated hours of arrivals (default 8)
  --load RHO          offered load per agent chat slot (default 0.85)
  --seed S            PRNG seed (default 42)
  --strategy NAME     all (default), round-robin, least-busy, longest-idle, most-skilled,
                      fewest-today, sticky, weighted-random, broadcast
  --chat-capacity C   chats per agent (接待上限, default 3)
  --broadcast-accept first|random
                      which listed agent picks up a broadcast chat (default first)";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        agents: 50,
        hours: 8.0,
        load: 0.85,
        seed: 42,
        strategy: "all".to_string(),
        chat_capacity: 3,
        broadcast_accept: AcceptPolicy::First,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => {
                let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
                (flag, v)
            }
        };
        let bad = |what: &str| format!("{name}: cannot parse {value:?} as {what}");
        match name.as_str() {
            "--agents" => args.agents = value.parse().map_err(|_| bad("a count"))?,
            "--hours" => args.hours = value.parse().map_err(|_| bad("hours"))?,
            "--load" => args.load = value.parse().map_err(|_| bad("a load"))?,
            "--seed" => args.seed = value.parse().map_err(|_| bad("a seed"))?,
            "--strategy" => args.strategy = value,
            "--broadcast-accept" => {
                args.broadcast_accept = match value.as_str() {
                    "first" => AcceptPolicy::First,
                    "random" => AcceptPolicy::Random,
                    _ => return Err(bad("first or random")),
                }
            }
            "--chat-capacity" => {
                args.chat_capacity = value.parse().map_err(|_| bad("a capacity"))?
            }
            _ => return Err(format!("unknown flag {name}")),
        }
    }
    if args.agents == 0 || args.chat_capacity == 0 {
        return Err("--agents and --chat-capacity must be positive".into());
    }
    if !(args.hours > 0.0 && args.load > 0.0) {
        return Err("--hours and --load must be positive".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("kefu-sim: {e}");
            }
            eprintln!("{USAGE}");
            return if e.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let strategies: Vec<Strategy> = if args.strategy == "all" {
        STRATEGIES.to_vec()
    } else {
        match STRATEGIES.iter().find(|s| s.name() == args.strategy) {
            Some(s) => vec![*s],
            None => {
                eprintln!("kefu-sim: unknown strategy {:?}\n{USAGE}", args.strategy);
                return ExitCode::from(2);
            }
        }
    };
    let started = Instant::now();
    let sc = scenario(&args);
    println!(
        "kefu-sim: {} agents × {} chats, {} h, offered load ρ = {} per chat slot \
         (λ = {:.2} arrivals/min), handle time exp(mean 5 min), patience exp(mean 3 min), \
         {} % VIP, {} % green channel, 15-min breaks ≈ {} % of agent time, seed {}.",
        args.agents,
        args.chat_capacity,
        args.hours,
        args.load,
        sc.rate_per_min,
        VIP_SHARE * 100.0,
        GREEN_SHARE * 100.0,
        BREAK_SHARE * 100.0,
        args.seed
    );
    println!(
        "Service level = answered within 20 s ÷ (arrivals − abandoned within 20 s). \
         Wait = assignment time − enqueued_at, answered chats only. Abandoned % = \
         (abandoned + fallback) ÷ arrivals. Work = chats assigned per agent. Sticky: 30 % \
         of customers have a last agent, wait 30 s. Broadcast: the {} listed agent \
         accepts after U(0, 5 s). Weighted random: weights 1–3. Most skilled: levels 1–10.",
        match args.broadcast_accept {
            AcceptPolicy::First => "first",
            AcceptPolicy::Random => "a random",
        }
    );
    println!();
    println!(
        "| strategy | arrivals | answered | mean wait s | p95 wait s | service level | \
         abandoned % | work per agent max / min | Gini |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut failed = false;
    let mut notes = Vec::new();
    for strategy in strategies {
        match Sim::new(&sc, strategy, args.seed, args.broadcast_accept).run() {
            Ok(r) => {
                println!("{}", r.row());
                let st = &r.stats;
                let mut note = format!(
                    "{}: {} events, {} invariant checks passed",
                    strategy.name(),
                    r.events,
                    st.invariant_checks
                );
                if st.fallback > 0 {
                    note += &format!(", {} fallbacks", st.fallback);
                }
                if st.accept_not_eligible + st.accept_not_offered > 0 {
                    note += &format!(
                        ", broadcast accepts refused: {} NotEligible (agent full by then), \
                         {} NotOffered",
                        st.accept_not_eligible, st.accept_not_offered
                    );
                }
                notes.push(note);
            }
            Err(e) => {
                failed = true;
                println!(
                    "| {} | FAILED — see stderr | | | | | | | |",
                    strategy.name()
                );
                eprintln!("\n!!!!!!!! kefu-sim: ENGINE CHECK FAILED !!!!!!!!\n{e}\n");
            }
        }
    }
    println!();
    for n in notes {
        println!("- {n}");
    }
    println!(
        "- {} customers per run; total wall time {:.2} s",
        sc.customers.len(),
        started.elapsed().as_secs_f64()
    );
    if failed {
        eprintln!("kefu-sim: FAILED — the engine violated its invariants (see above)");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

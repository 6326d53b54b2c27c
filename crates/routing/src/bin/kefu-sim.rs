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

const GROUP: GroupId = GroupId(1);
const SEC: Millis = 1_000;
const MIN: Millis = 60 * SEC;
const MEAN_HANDLE_MS: f64 = 5.0 * MIN as f64;
const MEAN_PATIENCE_MS: f64 = 3.0 * MIN as f64;
const BREAK_MS: Millis = 15 * MIN;
/// Share of agent time spent on break.
const BREAK_SHARE: f64 = 0.10;
const VIP_SHARE: f64 = 0.15;
const GREEN_SHARE: f64 = 0.03;
const STICKY_SHARE: f64 = 0.30;
const STICKY_WAIT_MS: Millis = 30 * SEC;
const BROADCAST_MAX_DELAY_MS: u64 = 5 * SEC as u64;
/// Service-level threshold.
const SL_MS: Millis = 20 * SEC;
const INVARIANT_EVERY: u64 = 100;

const STRATEGIES: [Strategy; 8] = [
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

// ---------------------------------------------------------------- PRNG ----

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** (Blackman & Vigna), seeded through splitmix64.
struct Rng {
    s: [u64; 4],
}

impl Rng {
    fn new(seed: u64) -> Self {
        let mut sm = seed;
        Rng {
            s: [
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
            ],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n).
    fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Exponentially distributed with the given mean.
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }
}

// --------------------------------------------------------------- flags ----

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

// ------------------------------------------------------------ scenario ----

/// One customer, drawn once and replayed for every strategy.
struct Customer {
    at: Millis,
    handle_ms: Millis,
    patience_ms: Millis,
    priority: Priority,
    /// Used by the sticky strategy only.
    last_agent: Option<AgentId>,
}

struct AgentPlan {
    level: u8,
    weight: u32,
    /// Start times of 15-minute breaks.
    breaks: Vec<Millis>,
}

struct Scenario {
    customers: Vec<Customer>,
    agents: Vec<AgentPlan>,
    capacity: u16,
    rate_per_min: f64,
}

fn scenario(args: &Args) -> Scenario {
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

// ----------------------------------------------------------- simulation ----

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Arrive(u32),
    Finish(u32),
    AbandonCheck(u32),
    BreakStart(u32),
    BreakEnd(u32),
    /// Broadcast pick-up: this agent tries to accept this customer's chat.
    Accept(u32, AgentId),
    /// Lets engine timers (sticky deadline, broadcast end) fire on time.
    Tick,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cust {
    NotYet,
    Waiting,
    Served,
    Done,
    Abandoned,
    Fallback,
}

#[derive(Default)]
struct Stats {
    arrivals: usize,
    answered: usize,
    waits: Vec<Millis>,
    answered_in_sl: usize,
    abandoned: usize,
    abandoned_in_sl: usize,
    fallback: usize,
    /// Broadcast accepts refused by the engine: the agent is full or not
    /// receiving any more (NotEligible) …
    accept_not_eligible: usize,
    /// … or the item is no longer on offer to them (NotOffered).
    accept_not_offered: usize,
    invariant_checks: usize,
}

struct Sim<'a> {
    sc: &'a Scenario,
    strategy: Strategy,
    accept: AcceptPolicy,
    engine: Engine,
    heap: BinaryHeap<Reverse<(Millis, u64, Ev)>>,
    seq: u64,
    cust: Vec<Cust>,
    abandon_scheduled: Vec<bool>,
    on_break: Vec<bool>,
    work: Vec<u32>,
    rng: Rng,
    stats: Stats,
    /// Violations seen by the simulator itself (beyond check_invariants).
    errors: Vec<String>,
}

fn cix(item: ItemId) -> usize {
    item.0 as usize - 1
}

fn aix(agent: AgentId) -> usize {
    agent.0 as usize - 1
}

impl<'a> Sim<'a> {
    fn new(sc: &'a Scenario, strategy: Strategy, seed: u64, accept: AcceptPolicy) -> Self {
        let mut engine = Engine::new(EngineConfig {
            explain: false,
            seed,
            ..Default::default()
        });
        engine.configure_group(GroupConfig::new(GROUP, strategy));
        let mut sim = Sim {
            sc,
            strategy,
            accept,
            engine,
            heap: BinaryHeap::new(),
            seq: 0,
            cust: vec![Cust::NotYet; sc.customers.len()],
            abandon_scheduled: vec![false; sc.customers.len()],
            on_break: vec![false; sc.agents.len()],
            work: vec![0; sc.agents.len()],
            rng: Rng::new(seed ^ 0x6272_6f61_6463_6173),
            stats: Stats::default(),
            errors: Vec::new(),
        };
        for (a, plan) in sc.agents.iter().enumerate() {
            let out = sim
                .engine
                .upsert_agent(
                    0,
                    AgentSpec {
                        id: AgentId(a as u64 + 1),
                        receiving: true,
                        groups: vec![(GROUP, plan.level)],
                        capacity: [sc.capacity, 1, 5],
                        weight: plan.weight,
                    },
                )
                .expect("the group exists");
            sim.handle(0, out);
            for &b in &plan.breaks {
                sim.push(b, Ev::BreakStart(a as u32));
            }
        }
        for (c, cu) in sc.customers.iter().enumerate() {
            sim.push(cu.at, Ev::Arrive(c as u32));
        }
        sim
    }

    fn push(&mut self, at: Millis, ev: Ev) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, ev)));
    }

    fn error(&mut self, t: Millis, msg: String) {
        self.errors.push(format!("t={t} ms: {msg}"));
    }

    fn waiting(&mut self, c: usize) {
        self.cust[c] = Cust::Waiting;
        if !self.abandon_scheduled[c] {
            self.abandon_scheduled[c] = true;
            let cu = &self.sc.customers[c];
            self.push(cu.at + cu.patience_ms, Ev::AbandonCheck(c as u32));
        }
    }

    /// Act on everything the engine reports.
    fn handle(&mut self, t: Millis, out: Vec<Outcome>) {
        for o in out {
            match o {
                Outcome::Assigned {
                    item,
                    agent,
                    waited_ms,
                    ..
                } => {
                    let (c, a) = (cix(item), aix(agent));
                    if !matches!(self.cust[c], Cust::NotYet | Cust::Waiting) {
                        let s = self.cust[c];
                        self.error(t, format!("{item:?} assigned while {s:?}"));
                    }
                    if self.on_break[a] {
                        self.error(t, format!("{item:?} assigned to {agent:?} who is on break"));
                    }
                    self.cust[c] = Cust::Served;
                    self.work[a] += 1;
                    self.stats.answered += 1;
                    self.stats.waits.push(waited_ms);
                    if waited_ms <= SL_MS {
                        self.stats.answered_in_sl += 1;
                    }
                    // The engine may have assigned at a timer's time, before `t`.
                    let cu = &self.sc.customers[c];
                    let at = cu.at + waited_ms;
                    if at > t {
                        self.error(t, format!("{item:?} assigned in the future ({at})"));
                    }
                    self.push((at + cu.handle_ms).max(t), Ev::Finish(c as u32));
                }
                Outcome::Queued { item, .. } => self.waiting(cix(item)),
                Outcome::StickyWait { item, until, .. } => {
                    self.waiting(cix(item));
                    self.push(until.max(t), Ev::Tick);
                }
                Outcome::Broadcast { item, agents, .. } => {
                    let c = cix(item);
                    self.waiting(c);
                    let pick = match self.accept {
                        AcceptPolicy::First => 0,
                        AcceptPolicy::Random => self.rng.below(agents.len() as u64) as usize,
                    };
                    if let Some(&agent) = agents.get(pick) {
                        let delay = self.rng.below(BROADCAST_MAX_DELAY_MS + 1) as Millis;
                        self.push(t + delay, Ev::Accept(c as u32, agent));
                    }
                }
                Outcome::Fallback { item, .. } => {
                    self.cust[cix(item)] = Cust::Fallback;
                    self.stats.fallback += 1;
                }
                other => self.error(t, format!("unexpected outcome for a chat: {other:?}")),
            }
        }
    }

    fn check(&mut self, t: Millis) -> Result<(), String> {
        self.stats.invariant_checks += 1;
        self.engine
            .check_invariants()
            .map_err(|e| format!("{} at t={t} ms: {e}", self.strategy.name()))
    }

    fn run(mut self) -> Result<Report, String> {
        let mut events: u64 = 0;
        let mut since_check = 0;
        let mut last_t = 0;
        while let Some(Reverse((t, _, ev))) = self.heap.pop() {
            last_t = t;
            let out = self.engine.advance(t);
            self.handle(t, out);
            match ev {
                Ev::Arrive(c) => {
                    let cu = &self.sc.customers[c as usize];
                    let w = WorkItem {
                        id: ItemId(c as u64 + 1),
                        media: Media::Chat,
                        group: GROUP,
                        priority: cu.priority,
                        region: None,
                        tags: Vec::new(),
                        last_agent: match self.strategy {
                            Strategy::Sticky { .. } => cu.last_agent,
                            _ => None,
                        },
                        enqueued_at: cu.at,
                    };
                    self.stats.arrivals += 1;
                    let out = self
                        .engine
                        .arrive(t, w)
                        .map_err(|e| format!("arrive at t={t}: {e:?}"))?;
                    let id = ItemId(c as u64 + 1);
                    if !out.iter().any(|o| o.item() == Some(id)) {
                        self.error(t, format!("arrive says nothing about {id:?}: {out:?}"));
                    }
                    self.handle(t, out);
                }
                Ev::Finish(c) => {
                    if self.cust[c as usize] == Cust::Served {
                        self.cust[c as usize] = Cust::Done;
                        match self.engine.finish(t, ItemId(c as u64 + 1)) {
                            Ok(out) => self.handle(t, out),
                            Err(e) => self.error(t, format!("finish: {e:?}")),
                        }
                    } else {
                        let s = self.cust[c as usize];
                        self.error(t, format!("finish of customer {c} in state {s:?}"));
                    }
                }
                Ev::AbandonCheck(c) => {
                    if self.cust[c as usize] == Cust::Waiting {
                        self.cust[c as usize] = Cust::Abandoned;
                        self.stats.abandoned += 1;
                        if self.sc.customers[c as usize].patience_ms <= SL_MS {
                            self.stats.abandoned_in_sl += 1;
                        }
                        match self.engine.abandon(t, ItemId(c as u64 + 1)) {
                            Ok(out) => self.handle(t, out),
                            Err(e) => self.error(t, format!("abandon: {e:?}")),
                        }
                    }
                }
                Ev::BreakStart(a) => {
                    self.on_break[a as usize] = true;
                    self.push(t + BREAK_MS, Ev::BreakEnd(a));
                    let out = self
                        .engine
                        .set_receiving(t, AgentId(a as u64 + 1), false)
                        .map_err(|e| format!("set_receiving: {e:?}"))?;
                    self.handle(t, out);
                }
                Ev::BreakEnd(a) => {
                    self.on_break[a as usize] = false;
                    let out = self
                        .engine
                        .set_receiving(t, AgentId(a as u64 + 1), true)
                        .map_err(|e| format!("set_receiving: {e:?}"))?;
                    self.handle(t, out);
                }
                Ev::Accept(c, agent) => {
                    if self.cust[c as usize] == Cust::Waiting {
                        // Err: someone else got it, or this agent is full now.
                        match self.engine.accept(t, ItemId(c as u64 + 1), agent) {
                            Ok(out) => self.handle(t, out),
                            Err(RoutingError::NotEligible { .. }) => {
                                self.stats.accept_not_eligible += 1
                            }
                            Err(RoutingError::NotOffered { .. }) => {
                                self.stats.accept_not_offered += 1
                            }
                            Err(e) => self.error(t, format!("accept: {e:?}")),
                        }
                    }
                }
                Ev::Tick => {}
            }
            events += 1;
            since_check += 1;
            if since_check == INVARIANT_EVERY {
                since_check = 0;
                self.check(t)?;
            }
        }
        self.check(last_t)?;
        let left = self.engine.item_count();
        if left != 0 {
            self.error(last_t, format!("{left} items still held after the run"));
        }
        let st = &self.stats;
        let resolved = st.answered + st.abandoned + st.fallback;
        if resolved != st.arrivals {
            let msg = format!("{resolved} customers resolved of {} arrivals", st.arrivals);
            self.error(last_t, msg);
        }
        if !self.errors.is_empty() {
            let n = self.errors.len();
            let shown: Vec<&str> = self.errors.iter().take(10).map(String::as_str).collect();
            return Err(format!(
                "{}: {n} simulator-detected violations, first ones:\n  {}",
                self.strategy.name(),
                shown.join("\n  ")
            ));
        }
        Ok(Report {
            strategy: self.strategy,
            stats: self.stats,
            work: self.work,
            events,
        })
    }
}

// -------------------------------------------------------------- report ----

struct Report {
    strategy: Strategy,
    stats: Stats,
    work: Vec<u32>,
    events: u64,
}

fn gini(xs: &[u32]) -> f64 {
    let mut v: Vec<f64> = xs.iter().map(|&x| x as f64).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let sum: f64 = v.iter().sum();
    if n == 0.0 || sum == 0.0 {
        return 0.0;
    }
    let weighted: f64 = v
        .iter()
        .enumerate()
        .map(|(i, x)| (i as f64 + 1.0) * x)
        .sum();
    2.0 * weighted / (n * sum) - (n + 1.0) / n
}

impl Report {
    fn row(&self) -> String {
        let st = &self.stats;
        let mut waits = st.waits.clone();
        waits.sort_unstable();
        let mean = if waits.is_empty() {
            0.0
        } else {
            waits.iter().sum::<Millis>() as f64 / waits.len() as f64 / 1000.0
        };
        let p95 = if waits.is_empty() {
            0.0
        } else {
            let rank = (0.95 * waits.len() as f64).ceil() as usize;
            waits[rank.clamp(1, waits.len()) - 1] as f64 / 1000.0
        };
        let sl_base = st.arrivals - st.abandoned_in_sl;
        let sl = if sl_base == 0 {
            0.0
        } else {
            100.0 * st.answered_in_sl as f64 / sl_base as f64
        };
        let abandoned = 100.0 * (st.abandoned + st.fallback) as f64 / st.arrivals.max(1) as f64;
        let max = self.work.iter().max().copied().unwrap_or(0);
        let min = self.work.iter().min().copied().unwrap_or(0);
        format!(
            "| {} | {} | {} | {:.1} | {:.1} | {:.1} % | {:.1} % | {} / {} | {:.3} |",
            self.strategy.name(),
            st.arrivals,
            st.answered,
            mean,
            p95,
            sl,
            abandoned,
            max,
            min,
            gini(&self.work)
        )
    }
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

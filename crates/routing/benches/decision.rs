//! Issue 3 benchmark: one routing decision at scale.
//!
//! 10,000 agents in 500 skill groups (each agent in 1–3 groups, chat capacity
//! 3, all full), 100,000 queued chats spread over the groups so every queue is
//! non-empty. Each iteration times, separately:
//!
//! * `finish` of a random assigned chat — capacity freed, so the engine must
//!   assign the head of one of that agent's queues (checked: exactly one
//!   `Assigned` outcome);
//! * `arrive` of a new chat in the group that just lost its head, so the total
//!   stays at 100,000 queued (checked: `Queued`).
//!
//! Plus an arrival → assignment scenario (same agents, empty queues, agents at
//! 1 of 3 chats): `arrive` assigns at once, then `finish` of that chat frees
//! the slot again with nothing to pull.
//!
//! Targets: median ≤ 5 µs, p99 ≤ 50 µs, ≥ 200,000 decisions/s sustained,
//! engine state ≤ 300 MiB. Per-call latencies are taken with `Instant` (the
//! outcome vector is dropped inside the timed region) and the percentiles are
//! computed here; "sustained" is decisions over the wall-clock time of the
//! whole loop, bookkeeping included.
//!
//! `harness = false`, std only:
//!
//! ```text
//! taskset -c 0 cargo bench -p kefu-routing --bench decision
//! ```
//!
//! Environment: `KEFU_BENCH_ITERS` (default 200,000 timed iterations, after
//! 20,000 warm-up ones).

use kefu_routing::{
    AgentId, AgentSpec, Engine, EngineConfig, GroupConfig, GroupId, ItemId, Media, Millis, Outcome,
    Priority, Strategy, WorkItem,
};
use std::hint::black_box;
use std::time::{Duration, Instant};

const GROUPS: u32 = 500;
const AGENTS: u64 = 10_000;
const QUEUED: usize = 100_000;
const CHAT_CAPACITY: u16 = 3;
const WARMUP: usize = 20_000;
/// 2023-11-14 22:13:20 UTC: any wall-clock-like start.
const T0: Millis = 1_700_000_000_000;

/// SplitMix64: deterministic set-up and choices.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    fn priority(&mut self) -> Priority {
        match self.below(100) {
            0..=2 => Priority::Green,
            3..=17 => Priority::Vip,
            _ => Priority::Normal,
        }
    }
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn chat(id: u64, group: GroupId, priority: Priority, now: Millis) -> WorkItem {
    WorkItem {
        id: ItemId(id),
        media: Media::Chat,
        group,
        priority,
        region: None,
        tags: Vec::new(),
        last_agent: None,
        enqueued_at: now,
    }
}

struct Bench {
    engine: Engine,
    /// Chats currently assigned (candidates for `finish`).
    assigned: Vec<ItemId>,
    next_id: u64,
    now: Millis,
    rng: Rng,
}

impl Bench {
    fn new(strategy: Strategy, explain: bool) -> Self {
        let mut engine = Engine::new(EngineConfig {
            explain,
            ..Default::default()
        });
        for g in 0..GROUPS {
            engine.configure_group(GroupConfig::new(GroupId(g), strategy));
        }
        let mut rng = Rng(0x6b65_6675_6265_6e63);
        for a in 0..AGENTS {
            // The first group makes sure every group has members.
            let mut groups = vec![(GroupId((a % GROUPS as u64) as u32), 1 + rng.below(10) as u8)];
            for _ in 0..rng.below(3) {
                let g = GroupId(rng.below(GROUPS as u64) as u32);
                if groups.iter().all(|(x, _)| *x != g) {
                    groups.push((g, 1 + rng.below(10) as u8));
                }
            }
            let out = engine
                .upsert_agent(
                    T0,
                    AgentSpec {
                        id: AgentId(a + 1),
                        receiving: true,
                        groups,
                        capacity: [CHAT_CAPACITY, 1, 5],
                        weight: 1 + rng.below(3) as u32,
                    },
                )
                .expect("groups exist");
            assert!(out.is_empty());
        }
        Bench {
            engine,
            assigned: Vec::new(),
            next_id: 1,
            now: T0,
            rng,
        }
    }

    fn arrive(&mut self, group: GroupId) -> Outcome {
        self.now += 1;
        let id = self.next_id;
        self.next_id += 1;
        let w = chat(id, group, self.rng.priority(), self.now);
        let mut out = self.engine.arrive(self.now, w).expect("arrive");
        assert_eq!(out.len(), 1, "one outcome per arrival: {out:?}");
        out.pop().unwrap()
    }

    /// Fill every agent to capacity, then queue `QUEUED` chats (every queue
    /// ends up non-empty).
    fn fill_and_queue(&mut self) {
        let mut queued = 0;
        for g in 0..GROUPS {
            loop {
                match self.arrive(GroupId(g)) {
                    Outcome::Assigned { item, .. } => self.assigned.push(item),
                    Outcome::Queued { .. } => {
                        queued += 1;
                        break;
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        assert_eq!(
            self.assigned.len(),
            (AGENTS * CHAT_CAPACITY as u64) as usize
        );
        while queued < QUEUED {
            let g = GroupId(self.rng.below(GROUPS as u64) as u32);
            match self.arrive(g) {
                Outcome::Queued { .. } => queued += 1,
                other => panic!("every agent is full, yet {other:?}"),
            }
        }
        for g in 0..GROUPS {
            assert!(self.engine.queue_len(GroupId(g), Media::Chat) > 0);
            assert!(self
                .engine
                .available_agents(GroupId(g), Media::Chat)
                .is_empty());
        }
    }

    /// Fill every agent to one chat (queues stay empty).
    fn fill_one_each(&mut self) {
        let mut loaded = 0;
        while loaded < AGENTS {
            let g = GroupId((loaded % GROUPS as u64) as u32);
            match self.arrive(g) {
                Outcome::Assigned { item, .. } => self.assigned.push(item),
                other => panic!("unexpected {other:?}"),
            }
            loaded += 1;
        }
        assert_eq!(self.engine.queue_len(GroupId(0), Media::Chat), 0);
    }

    /// Capacity freed → assignment, then an arrival that queues.
    fn freed_then_arrive(&mut self) -> (Duration, Duration) {
        let k = self.rng.below(self.assigned.len() as u64) as usize;
        let done = self.assigned.swap_remove(k);
        self.now += 1;
        let t = Instant::now();
        let out = self.engine.finish(self.now, done).expect("finish");
        let (item, group) = match out.as_slice() {
            [Outcome::Assigned { item, group, .. }] => (*item, *group),
            other => panic!("capacity freed but no assignment: {other:?}"),
        };
        drop(black_box(out));
        let d_finish = t.elapsed();
        self.assigned.push(item);

        self.now += 1;
        let w = chat(self.next_id, group, self.rng.priority(), self.now);
        self.next_id += 1;
        let t = Instant::now();
        let out = self.engine.arrive(self.now, w).expect("arrive");
        let queued = matches!(out.as_slice(), [Outcome::Queued { .. }]);
        drop(black_box(out));
        let d_arrive = t.elapsed();
        assert!(queued, "every agent is full, so an arrival queues");
        (d_finish, d_arrive)
    }

    /// Arrival → assignment, then finishing it with nothing queued.
    fn arrive_then_finish(&mut self) -> (Duration, Duration) {
        let g = GroupId(self.rng.below(GROUPS as u64) as u32);
        self.now += 1;
        let w = chat(self.next_id, g, self.rng.priority(), self.now);
        self.next_id += 1;
        let t = Instant::now();
        let out = self.engine.arrive(self.now, w).expect("arrive");
        let item = match out.as_slice() {
            [Outcome::Assigned { item, .. }] => *item,
            other => panic!("agents have room, yet {other:?}"),
        };
        drop(black_box(out));
        let d_arrive = t.elapsed();

        self.now += 1;
        let t = Instant::now();
        let out = self.engine.finish(self.now, item).expect("finish");
        let empty = out.is_empty();
        drop(black_box(out));
        let d_finish = t.elapsed();
        assert!(empty, "nothing queued, so nothing to pull");
        (d_arrive, d_finish)
    }
}

struct Row {
    scenario: String,
    decision: &'static str,
    lat: Vec<u64>,
}

struct Sustained {
    scenario: String,
    decisions: usize,
    wall: Duration,
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1000.0
}

fn iters() -> usize {
    std::env::var("KEFU_BENCH_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000)
}

/// The main scenario: full agents, 100,000 queued.
fn run_queued(
    name: &str,
    strategy: Strategy,
    explain: bool,
    rows: &mut Vec<Row>,
    sus: &mut Vec<Sustained>,
) -> (u64, u64) {
    let n = iters();
    let rss0 = rss_bytes();
    let t = Instant::now();
    let mut b = Bench::new(strategy, explain);
    b.fill_and_queue();
    let built = t.elapsed();
    let rss1 = rss_bytes();
    eprintln!(
        "{name}: built in {:.2} s ({} items held); RSS {:.1} → {:.1} MiB (+{:.1} MiB)",
        built.as_secs_f64(),
        b.engine.item_count(),
        mib(rss0),
        mib(rss1),
        mib(rss1.saturating_sub(rss0))
    );
    for _ in 0..WARMUP {
        b.freed_then_arrive();
    }
    let mut fin = Vec::with_capacity(n);
    let mut arr = Vec::with_capacity(n);
    let start = Instant::now();
    for _ in 0..n {
        let (f, a) = b.freed_then_arrive();
        fin.push(f.as_nanos() as u64);
        arr.push(a.as_nanos() as u64);
    }
    let wall = start.elapsed();
    let total: usize = (0..GROUPS)
        .map(|g| b.engine.queue_len(GroupId(g), Media::Chat))
        .sum();
    assert_eq!(total, QUEUED, "the queue size stays at 100,000");
    let t = Instant::now();
    if let Err(e) = b.engine.check_invariants() {
        eprintln!("!!!!!!!! {name}: ENGINE INVARIANT VIOLATED: {e}");
        std::process::exit(1);
    }
    eprintln!(
        "{name}: invariants hold after the run (checked in {:.1} s)",
        t.elapsed().as_secs_f64()
    );
    rows.push(Row {
        scenario: name.to_string(),
        decision: "capacity freed → assignment (`finish`)",
        lat: fin,
    });
    rows.push(Row {
        scenario: name.to_string(),
        decision: "arrival → queued (`arrive`)",
        lat: arr,
    });
    sus.push(Sustained {
        scenario: name.to_string(),
        decisions: 2 * n,
        wall,
    });
    (rss0, rss1)
}

/// Arrival → assignment: agents with room, nothing queued.
fn run_assign(name: &str, rows: &mut Vec<Row>, sus: &mut Vec<Sustained>) {
    let n = iters();
    let mut b = Bench::new(Strategy::LeastBusy, false);
    b.fill_one_each();
    for _ in 0..WARMUP {
        b.arrive_then_finish();
    }
    let mut arr = Vec::with_capacity(n);
    let mut fin = Vec::with_capacity(n);
    let start = Instant::now();
    for _ in 0..n {
        let (a, f) = b.arrive_then_finish();
        arr.push(a.as_nanos() as u64);
        fin.push(f.as_nanos() as u64);
    }
    let wall = start.elapsed();
    if let Err(e) = b.engine.check_invariants() {
        eprintln!("!!!!!!!! {name}: ENGINE INVARIANT VIOLATED: {e}");
        std::process::exit(1);
    }
    rows.push(Row {
        scenario: name.to_string(),
        decision: "arrival → assignment (`arrive`)",
        lat: arr,
    });
    rows.push(Row {
        scenario: name.to_string(),
        decision: "capacity freed, empty queues (`finish`)",
        lat: fin,
    });
    sus.push(Sustained {
        scenario: name.to_string(),
        decisions: 2 * n,
        wall,
    });
}

fn main() {
    // `cargo bench` passes `--bench`; a name filter may follow.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |name: &str| match &filter {
        Some(f) => name.contains(f.as_str()),
        None => true,
    };
    let mut rows = Vec::new();
    let mut sus = Vec::new();
    // Built first, in a fresh process, so its RSS growth is the engine's state.
    let scenarios: [(&str, Strategy, bool); 3] = [
        ("least-busy, explain off", Strategy::LeastBusy, false),
        ("least-busy, explain on", Strategy::LeastBusy, true),
        ("round-robin, explain off", Strategy::RoundRobin, false),
    ];
    let mut memory = None;
    for (name, strategy, explain) in scenarios {
        if wanted(name) {
            let rss = run_queued(name, strategy, explain, &mut rows, &mut sus);
            memory.get_or_insert((name, rss));
        }
    }
    let name = "least-busy, empty queues, explain off";
    if wanted(name) {
        run_assign(name, &mut rows, &mut sus);
    }

    println!(
        "kefu-routing decision benchmark: {AGENTS} agents in {GROUPS} skill groups (1–3 each), \
         chat capacity {CHAT_CAPACITY}, {QUEUED} queued chats; {} timed iterations after {WARMUP} \
         warm-up; latencies in µs per call.",
        iters()
    );
    println!();
    println!("| scenario | decision | calls | median µs | p99 µs | p99.9 µs | max µs | mean µs |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for r in &mut rows {
        r.lat.sort_unstable();
        let mean = r.lat.iter().sum::<u64>() as f64 / r.lat.len() as f64 / 1000.0;
        println!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.1} | {:.2} |",
            r.scenario,
            r.decision,
            r.lat.len(),
            pct(&r.lat, 0.5),
            pct(&r.lat, 0.99),
            pct(&r.lat, 0.999),
            *r.lat.last().unwrap() as f64 / 1000.0,
            mean
        );
    }
    println!();
    println!("| scenario | decisions | wall s | sustained decisions/s |");
    println!("|---|---:|---:|---:|");
    for s in &sus {
        println!(
            "| {} | {} | {:.3} | {:.0} |",
            s.scenario,
            s.decisions,
            s.wall.as_secs_f64(),
            s.decisions as f64 / s.wall.as_secs_f64()
        );
    }
    if let Some((name, (before, after))) = memory {
        println!();
        println!(
            "Engine state ({name}, built first in a fresh process: {} agents, {} items held): \
             RSS {:.1} MiB before building, {:.1} MiB after → {:.1} MiB.",
            AGENTS,
            QUEUED + (AGENTS * CHAT_CAPACITY as u64) as usize,
            mib(before),
            mib(after),
            mib(after.saturating_sub(before))
        );
    }
}

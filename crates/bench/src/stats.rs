//! Clock, counters, percentiles, exactly-once checks, /proc readings, tables.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

static BASE: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds on this process's monotonic bench clock. Senders put it in the
/// message; receivers in the same process subtract: one clock, no skew.
pub fn now_ns() -> u64 {
    BASE.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// Counters shared by every socket task.
#[derive(Default)]
pub struct Counters {
    /// Measured-phase messages sent by visitors / acknowledged to them.
    pub v_sent: AtomicU64,
    pub v_acked: AtomicU64,
    /// Replies sent by agents / acknowledged to them.
    pub a_sent: AtomicU64,
    pub a_acked: AtomicU64,
    /// Visitor messages received by an agent; agent replies received by a visitor.
    pub to_agent: AtomicU64,
    pub to_visitor: AtomicU64,
    /// Set-up: sockets open, first messages acknowledged, conversations assigned.
    pub connected: AtomicU64,
    pub setup_acked: AtomicU64,
    pub assigned: AtomicU64,
    pub agents_ready: AtomicU64,
    /// Idle sockets the server closed.
    pub dropped: AtomicU64,
    pub errors: AtomicU64,
    first_errors: Mutex<Vec<String>>,
}

impl Counters {
    pub fn add(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    /// Count an error; the first few are kept to be printed.
    pub fn error(&self, what: impl Into<String>) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_errors.lock().unwrap_or_else(|e| e.into_inner());
        if first.len() < 10 {
            first.push(what.into());
        }
    }

    pub fn first_errors(&self) -> Vec<String> {
        self.first_errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn acked(&self) -> u64 {
        Self::get(&self.v_acked) + Self::get(&self.a_acked)
    }
}

/// p50, p90, p99 and max of nanosecond samples, in milliseconds.
pub fn percentiles(samples: &mut [u64]) -> Option<[f64; 4]> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i] as f64 / 1e6
    };
    Some([
        at(0.50),
        at(0.90),
        at(0.99),
        samples[samples.len() - 1] as f64 / 1e6,
    ])
}

/// The p99 latency (ms) of the messages sent in each second of the run, in order, over
/// the seconds with at least 100 messages: whether a slow tail was steady or came in bursts
/// (a checkpoint, a stall). Samples are (send time, latency) in ns.
pub fn p99_by_second(samples: &[(u64, u64)]) -> Vec<f64> {
    let Some(start) = samples.iter().map(|x| x.0).min() else {
        return Vec::new();
    };
    let mut buckets: Vec<Vec<u64>> = Vec::new();
    for &(sent, lat) in samples {
        let s = ((sent - start) / 1_000_000_000) as usize;
        if buckets.len() <= s {
            buckets.resize_with(s + 1, Vec::new);
        }
        buckets[s].push(lat);
    }
    buckets
        .iter_mut()
        .filter(|b| b.len() >= 100)
        .filter_map(|b| percentiles(b).map(|p| p[2]))
        .collect()
}

pub fn fmt_ms(p: Option<[f64; 4]>) -> [String; 4] {
    match p {
        None => std::array::from_fn(|_| "–".to_string()),
        Some(v) => v.map(|x| {
            if x < 10.0 {
                format!("{x:.2}")
            } else {
                format!("{x:.1}")
            }
        }),
    }
}

/// What one side of a conversation received, judged against the protocol's
/// promise: every sequence number 1..=last exactly once, in order.
#[derive(Default, Debug, Clone, Copy)]
pub struct SeqCheck {
    pub duplicates: u64,
    pub out_of_order: u64,
    /// Holes: numbers never received although later ones were.
    pub gaps: u64,
    /// Stored but not yet received when the socket was closed (a backlog, not
    /// a broken promise: a reconnect with `last_seq` would fetch them).
    pub undelivered: u64,
}

impl SeqCheck {
    pub fn add(&mut self, o: SeqCheck) {
        self.duplicates += o.duplicates;
        self.out_of_order += o.out_of_order;
        self.gaps += o.gaps;
        self.undelivered += o.undelivered;
    }

    /// Duplicates, reordering and holes: must be 0.
    pub fn violations(&self) -> u64 {
        self.duplicates + self.out_of_order + self.gaps
    }

    /// `seqs` in arrival order; `last` the highest number known to exist.
    pub fn of(seqs: &[i64], last: i64) -> SeqCheck {
        let mut c = SeqCheck {
            out_of_order: seqs.windows(2).filter(|w| w[1] < w[0]).count() as u64,
            ..SeqCheck::default()
        };
        let mut sorted = seqs.to_vec();
        sorted.sort_unstable();
        let before = sorted.len();
        sorted.dedup();
        c.duplicates = (before - sorted.len()) as u64;
        let top = sorted.last().copied().unwrap_or(0).max(0);
        let below = sorted.iter().filter(|s| (1..=top).contains(*s)).count() as i64;
        c.gaps = (top - below).max(0) as u64;
        c.undelivered = (last - top).max(0) as u64;
        c
    }
}

/// One figure from /proc/PID/status (e.g. `VmRSS`), in KiB.
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(&format!("{field}:")))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.1}", k as f64 / 1024.0))
        .unwrap_or_else(|| "–".into())
}

/// User + system CPU seconds a process has used (`self` for this one).
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(ticks / if hz > 0.0 { hz } else { 100.0 })
}

/// A Markdown table.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", headers.join(" | "));
    out.push_str(&format!(
        "|{}\n",
        headers.iter().map(|_| "---|").collect::<String>()
    ));
    for r in rows {
        out.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    out
}

/// Sample a counter once a second over the measured phase: the lowest and
/// highest per-second rates, to show whether the rate was steady.
pub async fn per_second(
    counters: std::sync::Arc<Counters>,
    seconds: u64,
    read: fn(&Counters) -> u64,
) -> Vec<u64> {
    let mut out = Vec::new();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.tick().await;
    let mut last = read(&counters);
    for _ in 0..seconds {
        tick.tick().await;
        let now = read(&counters);
        out.push(now - last);
        last = now;
    }
    out
}

/// Watch a server process during the measured phase.
pub struct ServerWatch {
    pid: Option<u32>,
    cpu0: Option<f64>,
    me0: Option<f64>,
    t0: Instant,
}

impl ServerWatch {
    pub fn start(pid: Option<u32>) -> Self {
        Self {
            pid,
            cpu0: pid.and_then(|p| cpu_seconds(&p.to_string())),
            me0: cpu_seconds("self"),
            t0: Instant::now(),
        }
    }

    /// "server CPU %, server RSS MiB, bench CPU %" over the time since start.
    pub fn finish(&self) -> (String, String, String) {
        let secs = self.t0.elapsed().as_secs_f64().max(0.001);
        let pct = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => format!("{:.0}%", (b - a) / secs * 100.0),
            _ => "–".into(),
        };
        let server_cpu = pct(
            self.cpu0,
            self.pid.and_then(|p| cpu_seconds(&p.to_string())),
        );
        let rss = mib(self.pid.and_then(|p| proc_status_kib(p, "VmRSS")));
        (server_cpu, rss, pct(self.me0, cpu_seconds("self")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_checks() {
        let ok = SeqCheck::of(&[1, 2, 3, 4], 4);
        assert_eq!(ok.violations() + ok.undelivered, 0);
        let bad = SeqCheck::of(&[1, 3, 3, 2, 5], 7);
        assert_eq!(
            (bad.duplicates, bad.out_of_order, bad.gaps, bad.undelivered),
            (1, 1, 1, 2)
        );
    }

    #[test]
    fn percentiles_of_a_hundred() {
        let mut v: Vec<u64> = (1..=100).map(|i| i * 1_000_000).collect();
        let p = percentiles(&mut v).unwrap();
        assert_eq!(p, [50.0, 90.0, 99.0, 100.0]);
    }

    #[test]
    fn a_slow_second_stands_out_and_thin_seconds_are_left_out() {
        let sec = 1_000_000_000u64;
        let mut samples = Vec::new();
        // second 0: 200 messages at 1..=200 ms; second 1: 5 messages; second 2: 200 at 300 ms
        samples.extend((1..=200).map(|i| (i - 1, i * 1_000_000)));
        samples.extend((0..5).map(|i| (sec + i, 900_000_000)));
        samples.extend((0..200).map(|i| (2 * sec + i, 300_000_000)));
        assert_eq!(p99_by_second(&samples), vec![198.0, 300.0]);
        assert!(p99_by_second(&[]).is_empty());
    }
}

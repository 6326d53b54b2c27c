//! What `chat` and `relay` share: the traffic schedule, the timestamp carried in
//! each message, waiting with a deadline, and the measured outcome and its table.

use crate::net::Rx;
use crate::stats::{self, Counters, SeqCheck};
use crate::Traffic;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

/// What every socket task is doing; broadcast by the conductor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Setup,
    Measure {
        start: Instant,
        end: Instant,
    },
    /// Stop sending; keep receiving stragglers.
    Drain,
    /// Close the socket and report.
    Stop,
}

/// An agent socket's reaction to a new phase: it answers visitors until the
/// measured phase ends. `false` means close the socket and report.
pub fn agent_follows(p: Phase, reply_until: &mut Option<Instant>) -> bool {
    match p {
        Phase::Measure { end, .. } => *reply_until = Some(end),
        Phase::Drain => *reply_until = None,
        Phase::Stop => return false,
        Phase::Setup => {}
    }
    true
}

/// What a bench message carries in its text: `b|<send ns>|<n>|<answer?> …`
/// from visitors, `r|<send ns>|<n> …` from agents.
#[derive(Debug, PartialEq, Eq)]
pub struct Stamp {
    pub ts: u64,
    pub n: u64,
    /// The visitor asks for an answer (one message in `--reply-every`,
    /// staggered over conversations so replies do not come in waves).
    pub answer: bool,
}

pub fn stamp(text: &str, prefix: char) -> Option<Stamp> {
    let head = text.strip_prefix(prefix)?.strip_prefix('|')?;
    let mut f = head.split(' ').next()?.split('|');
    Some(Stamp {
        ts: f.next()?.parse().ok()?,
        n: f.next()?.parse().ok()?,
        answer: f.next() == Some("1"),
    })
}

/// Whether visitor `i`'s message `n` asks for an answer.
pub fn wants_answer(i: usize, n: u64, every: u64) -> u8 {
    u8::from(every > 0 && (n + i as u64).is_multiple_of(every))
}

/// Wait for the next tick of an optional interval (never, if none).
pub async fn tick(t: &mut Option<Interval>) {
    match t {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// The sending schedule of socket `i` of `n`: R per second, phases spread evenly.
pub fn schedule(start: Instant, rate: f64, i: usize, n: usize) -> Interval {
    let period = Duration::from_secs_f64(1.0 / rate);
    let offset = period.mul_f64(i as f64 / n.max(1) as f64);
    let mut t = tokio::time::interval_at(start + offset, period);
    // Open loop: a late sender catches up rather than quietly offering less.
    t.set_missed_tick_behavior(MissedTickBehavior::Burst);
    t
}

/// The next text frame (other frames skipped), or None when the socket ends.
pub async fn next_text(rx: &mut Rx) -> Option<String> {
    loop {
        match rx.next().await? {
            Ok(Message::Text(t)) => return Some(t.as_str().to_string()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Wait until `done()` or `secs` pass, printing `what` and progress every 5 s.
pub async fn wait_until(secs: u64, what: &str, mut done: impl FnMut() -> (bool, String)) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut next_note = Instant::now() + Duration::from_secs(5);
    loop {
        let (ok, progress) = done();
        if ok {
            return true;
        }
        if Instant::now() >= deadline {
            eprintln!("{what}: gave up after {secs} s ({progress})");
            return false;
        }
        if Instant::now() >= next_note {
            eprintln!("{what}: {progress}");
            next_note += Duration::from_secs(5);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Everything the result tables show (shared with `relay`).
pub struct Outcome {
    pub label: String,
    pub persisted: bool,
    pub traffic: Traffic,
    pub window_acked: u64,
    pub per_second: Vec<u64>,
    /// Visitor→agent (send time, latency), ns.
    pub v2a: Vec<(u64, u64)>,
    pub a2v: Vec<u64>,
    pub ack: Vec<u64>,
    pub visitor_check: SeqCheck,
    pub agent_check: SeqCheck,
    /// Server CPU %, RSS MiB, bench CPU % over the measured phase.
    pub usage: (String, String, String),
}

impl Outcome {
    pub fn print(mut self, c: &Counters) {
        let t = &self.traffic;
        let g = Counters::get;
        let sent = g(&c.v_sent) + g(&c.a_sent);
        let per_s = self.window_acked as f64 / t.duration as f64;
        let by_second = stats::p99_by_second(&self.v2a);
        let mut v2a: Vec<u64> = self.v2a.iter().map(|x| x.1).collect();
        let lat = stats::fmt_ms(stats::percentiles(&mut v2a));
        let violations = self.visitor_check.violations() + self.agent_check.violations();
        let acked_header = if self.persisted {
            "acked (persisted)"
        } else {
            "acked (not persisted)"
        };
        let rate_header = if self.persisted {
            "persisted msgs/s"
        } else {
            "acked msgs/s"
        };
        println!();
        println!(
            "{}",
            stats::table(
                &[
                    "target",
                    "conversations",
                    "agents",
                    "duration s",
                    "offered msgs/s",
                    "messages sent",
                    acked_header,
                    rate_header,
                    "delivered to agent",
                    "p50 ms",
                    "p90 ms",
                    "p99 ms",
                    "max ms",
                    "errors",
                    "exactly-once violations",
                ],
                &[vec![
                    self.label.clone(),
                    t.conversations.to_string(),
                    t.agents.to_string(),
                    t.duration.to_string(),
                    format!(
                        "{:.0} + {:.0} replies",
                        t.conversations as f64 * t.rate,
                        if t.reply_every > 0 {
                            t.conversations as f64 * t.rate / t.reply_every as f64
                        } else {
                            0.0
                        }
                    ),
                    sent.to_string(),
                    c.acked().to_string(),
                    format!("{per_s:.0}"),
                    format!("{} / {}", g(&c.to_agent), g(&c.v_sent)),
                    lat[0].clone(),
                    lat[1].clone(),
                    lat[2].clone(),
                    lat[3].clone(),
                    g(&c.errors).to_string(),
                    violations.to_string(),
                ]]
            )
        );
        let ack = stats::fmt_ms(stats::percentiles(&mut self.ack));
        let a2v = stats::fmt_ms(stats::percentiles(&mut self.a2v));
        let (lo, hi) = (
            self.per_second.iter().min().copied().unwrap_or(0),
            self.per_second.iter().max().copied().unwrap_or(0),
        );
        let vc = self.visitor_check;
        let ac = self.agent_check;
        let rows = vec![
            vec![
                format!("{rate_header}, slowest / fastest second"),
                format!("{lo} / {hi}"),
            ],
            vec![
                "visitor→agent p99 ms by second of sending (seconds with ≥ 100 messages)".into(),
                by_second
                    .iter()
                    .map(|x| format!("{x:.0}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            ],
            vec![
                "visitor messages sent / acked".into(),
                format!("{} / {}", g(&c.v_sent), g(&c.v_acked)),
            ],
            vec![
                "agent replies sent / acked / delivered to visitor".into(),
                format!(
                    "{} / {} / {}",
                    g(&c.a_sent),
                    g(&c.a_acked),
                    g(&c.to_visitor)
                ),
            ],
            vec![
                "visitor send→ack ms p50 / p99 / max".into(),
                format!("{} / {} / {}", ack[0], ack[2], ack[3]),
            ],
            vec![
                "agent→visitor ms p50 / p99 / max".into(),
                format!("{} / {} / {}", a2v[0], a2v[2], a2v[3]),
            ],
            vec![
                "visitor side: duplicates / out of order / gaps; undelivered at close".into(),
                format!(
                    "{} / {} / {}; {}",
                    vc.duplicates, vc.out_of_order, vc.gaps, vc.undelivered
                ),
            ],
            vec![
                "agent side: duplicates / out of order / gaps; undelivered at close".into(),
                format!(
                    "{} / {} / {}; {}",
                    ac.duplicates, ac.out_of_order, ac.gaps, ac.undelivered
                ),
            ],
            vec![
                "server CPU (of one core) / RSS MiB, bench CPU".into(),
                format!("{} / {}, {}", self.usage.0, self.usage.1, self.usage.2),
            ],
        ];
        println!("{}", stats::table(&["detail", "value"], &rows));
        let errors = c.first_errors();
        if !errors.is_empty() {
            println!("first errors:");
            for e in errors {
                println!("- {e}");
            }
        }
    }
}

/// The measured phase and drain, shared with `relay`: start, sample, stop
/// sending at the end, wait ≤ 5 s for stragglers, stop.
pub async fn measure(
    traffic: &Traffic,
    c: &Arc<Counters>,
    phase: &watch::Sender<Phase>,
    server_pid: Option<u32>,
) -> (u64, Vec<u64>, (String, String, String)) {
    let start = Instant::now() + Duration::from_millis(200);
    let end = start + Duration::from_secs(traffic.duration);
    let _ = phase.send(Phase::Measure { start, end });
    tokio::time::sleep_until(start).await;
    eprintln!(
        "measuring for {} s at {} msgs/s per conversation …",
        traffic.duration, traffic.rate
    );
    let acked0 = c.acked();
    let sampler = tokio::spawn(stats::per_second(c.clone(), traffic.duration, |c| {
        c.acked()
    }));
    let watch = stats::ServerWatch::start(server_pid);
    tokio::time::sleep_until(end).await;
    let window = c.acked() - acked0;
    let usage = watch.finish();
    let _ = phase.send(Phase::Drain);
    let g = Counters::get;
    wait_until(4, "stragglers", || {
        let v_sent = g(&c.v_sent);
        let a_sent = g(&c.a_sent);
        let done = g(&c.v_acked) >= v_sent
            && g(&c.a_acked) >= a_sent
            && g(&c.to_agent) >= v_sent
            && g(&c.to_visitor) >= a_sent;
        (
            done,
            format!(
                "acked {}/{}, delivered {}/{}",
                c.acked(),
                v_sent + a_sent,
                g(&c.to_agent) + g(&c.to_visitor),
                v_sent + a_sent
            ),
        )
    })
    .await;
    // A socket's own message comes back as an `event` just after its `ack`:
    // give those echoes a moment before closing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let per_second = sampler.await.unwrap_or_default();
    eprintln!("acknowledged per second: {per_second:?}");
    let _ = phase.send(Phase::Stop);
    (window, per_second, usage)
}

/// Await tasks, giving up on any still running after `secs`.
pub async fn join_all<T: Default>(tasks: Vec<JoinHandle<T>>, secs: u64) -> Vec<T> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        let abort = t.abort_handle();
        match tokio::time::timeout_at(deadline, t).await {
            Ok(Ok(v)) => out.push(v),
            _ => {
                abort.abort();
                out.push(T::default());
            }
        }
    }
    out
}

pub fn check_traffic(t: &Traffic) -> Result<(), String> {
    if t.conversations == 0 || t.agents == 0 {
        return Err("--conversations and --agents must be at least 1".into());
    }
    if !(t.rate > 0.0 && t.rate.is_finite()) {
        return Err("--rate must be a positive number".into());
    }
    if t.duration == 0 {
        return Err("--duration must be at least 1 s".into());
    }
    Ok(())
}

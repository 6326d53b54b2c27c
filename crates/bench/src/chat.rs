//! `kefu-bench chat`: N visitors talking to A agents over kefu's real sockets
//! (docs/realtime-protocol.md), measured.
//!
//! Set-up (REST as the tenant administrator): a skill group and web channel
//! `bench-<timestamp>`, A agents in it with reception limit ⌈N/A⌉+1, signed in,
//! their workbench sockets open, then set to the receiving status. N visitor
//! sockets open and each sends a first message; we wait until every
//! conversation is assigned. Measured phase: every visitor sends R messages/s
//! (text `b|<send ns>|<n> …`, client id `v<i>-<n>`); agents answer one in
//! `--reply-every`. Visitor→agent latency = the agent socket's receipt of the
//! `event` minus the send time, on one clock. Persisted messages/s = `ack`s
//! (visitor and agent messages) received during the phase / its length.
//! Afterwards every conversation's sequence numbers, as each side received
//! them, are checked: 1..=last, each once, in order.

use crate::load::{
    check_traffic, join_all, measure, next_text, schedule, stamp, tick, wait_until, wants_answer,
    Outcome, Phase,
};
use crate::net::{self, Tx};
use crate::rest;
use crate::stats::{now_ns, Counters, SeqCheck};
use crate::{Server, Traffic};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, Interval};
use tokio_tungstenite::tungstenite::Message;

#[derive(Args)]
pub struct ChatArgs {
    #[command(flatten)]
    pub server: Server,
    #[command(flatten)]
    pub traffic: Traffic,
}

const VISITOR_TEXT: &str = "您好，我想咨询一下订单的物流状态";
const AGENT_TEXT: &str = "您好，已为您查询，请稍候";

/// The fields of a server frame the bench looks at.
#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    #[serde(default, borrow)]
    conversation_id: Option<Cow<'a, str>>,
    #[serde(default)]
    seq: Option<i64>,
    #[serde(default, borrow)]
    sender: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    client_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    body: Option<Body<'a>>,
    #[serde(default, borrow)]
    code: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    message: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
}

async fn send(tx: &mut Tx, text: String) -> bool {
    tx.send(Message::Text(text.into())).await.is_ok()
}

#[derive(Default)]
struct VisitorReport {
    conversation: Option<String>,
    /// Event seqs in arrival order.
    seqs: Vec<i64>,
    max_acked: i64,
    /// Agent→visitor latencies, send→ack latencies (ns).
    a2v: Vec<u64>,
    ack: Vec<u64>,
}

impl VisitorReport {
    fn frame(&mut self, text: &str, c: &Counters, pending: &mut HashMap<u64, u64>) {
        let Ok(f) = serde_json::from_str::<Frame>(text) else {
            c.error(format!("visitor: unparsable frame {text:.200}"));
            return;
        };
        match f.ty.as_ref() {
            "ack" => {
                self.max_acked = self.max_acked.max(f.seq.unwrap_or(0));
                let id = f.client_id.as_deref().unwrap_or("");
                if id.starts_with('s') {
                    self.conversation = f.conversation_id.map(|c| c.into_owned());
                    Counters::add(&c.setup_acked);
                } else {
                    Counters::add(&c.v_acked);
                    let n = id.rsplit('-').next().and_then(|n| n.parse().ok());
                    if let Some(sent) = n.and_then(|n| pending.remove(&n)) {
                        self.ack.push(now_ns().saturating_sub(sent));
                    }
                }
            }
            "event" => {
                self.seqs.push(f.seq.unwrap_or(0));
                if f.sender.as_deref() == Some("agent") {
                    let text = f.body.as_ref().and_then(|b| b.text.as_deref());
                    if let Some(st) = text.and_then(|t| stamp(t, 'r')) {
                        self.a2v.push(now_ns().saturating_sub(st.ts));
                        Counters::add(&c.to_visitor);
                    }
                }
            }
            "error" => c.error(format!(
                "visitor: error {}: {}",
                f.code.as_deref().unwrap_or("?"),
                f.message.as_deref().unwrap_or("")
            )),
            "offline" => c.error("visitor: `offline` — nobody can serve"),
            _ => {}
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn visitor(
    i: usize,
    n_total: usize,
    url: String,
    rate: f64,
    reply_every: u64,
    c: Arc<Counters>,
    mut phase: watch::Receiver<Phase>,
) -> VisitorReport {
    let mut rep = VisitorReport::default();
    let ws = match tokio::time::timeout(Duration::from_secs(30), net::connect(&url, None)).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => {
            c.error(format!("visitor {i}: connect: {e}"));
            return rep;
        }
        Err(_) => {
            c.error(format!("visitor {i}: connect timed out"));
            return rep;
        }
    };
    let (mut tx, mut rx) = ws.split();
    match tokio::time::timeout(Duration::from_secs(30), next_text(&mut rx)).await {
        Ok(Some(t))
            if t.starts_with(r#"{"type":"welcome""#) || t.contains(r#""type":"welcome""#) => {}
        other => {
            c.error(format!("visitor {i}: no welcome: {other:?}"));
            return rep;
        }
    }
    Counters::add(&c.connected);
    let first = format!(
        r#"{{"type":"message","client_id":"s{i}","body":{{"kind":"text","text":"kefu-bench visitor {i}"}}}}"#
    );
    if !send(&mut tx, first).await {
        c.error(format!("visitor {i}: send failed"));
        return rep;
    }
    let mut ticker: Option<Interval> = None;
    let mut end = Instant::now();
    let mut n: u64 = 0;
    let mut pending: HashMap<u64, u64> = HashMap::new();
    loop {
        tokio::select! {
            m = rx.next() => match m {
                Some(Ok(Message::Text(t))) => rep.frame(t.as_str(), &c, &mut pending),
                Some(Ok(Message::Close(_))) | None => {
                    c.error(format!("visitor {i}: socket closed by the server"));
                    break;
                }
                Some(Err(e)) => {
                    c.error(format!("visitor {i}: {e}"));
                    break;
                }
                Some(Ok(_)) => {}
            },
            _ = tick(&mut ticker) => {
                if Instant::now() >= end {
                    ticker = None;
                    continue;
                }
                n += 1;
                let ts = now_ns();
                pending.insert(n, ts);
                let w = wants_answer(i, n, reply_every);
                let frame = format!(
                    r#"{{"type":"message","client_id":"v{i}-{n}","body":{{"kind":"text","text":"b|{ts}|{n}|{w} {VISITOR_TEXT}"}}}}"#
                );
                if !send(&mut tx, frame).await {
                    c.error(format!("visitor {i}: send failed"));
                    break;
                }
                Counters::add(&c.v_sent);
            }
            r = phase.changed() => {
                if r.is_err() {
                    break;
                }
                let p = *phase.borrow_and_update();
                match p {
                    Phase::Measure { start, end: e } => {
                        ticker = Some(schedule(start, rate, i, n_total));
                        end = e;
                    }
                    Phase::Drain => ticker = None,
                    Phase::Stop => {
                        let _ = tx.send(Message::Close(None)).await;
                        break;
                    }
                    Phase::Setup => {}
                }
            }
        }
    }
    rep
}

#[derive(Default)]
struct ConvLog {
    seqs: Vec<i64>,
    max_acked: i64,
}

#[derive(Default)]
struct AgentReport {
    convs: HashMap<String, ConvLog>,
    /// Visitor→agent (send time, latency), ns.
    v2a: Vec<(u64, u64)>,
}

impl AgentReport {
    /// Handle a frame; returns (conversation, n) to answer.
    fn frame(&mut self, text: &str, c: &Counters, replying: bool) -> Option<(String, u64)> {
        let Ok(f) = serde_json::from_str::<Frame>(text) else {
            c.error(format!("agent: unparsable frame {text:.200}"));
            return None;
        };
        match f.ty.as_ref() {
            "assigned" => Counters::add(&c.assigned),
            "event" => {
                let conv = f.conversation_id.as_deref().unwrap_or("");
                let log = match self.convs.get_mut(conv) {
                    Some(l) => l,
                    None => self.convs.entry(conv.to_string()).or_default(),
                };
                log.seqs.push(f.seq.unwrap_or(0));
                if f.sender.as_deref() == Some("visitor") {
                    let text = f.body.as_ref().and_then(|b| b.text.as_deref());
                    if let Some(st) = text.and_then(|t| stamp(t, 'b')) {
                        self.v2a.push((st.ts, now_ns().saturating_sub(st.ts)));
                        Counters::add(&c.to_agent);
                        if replying && st.answer {
                            return Some((conv.to_string(), st.n));
                        }
                    }
                }
            }
            "ack" => {
                Counters::add(&c.a_acked);
                let conv = f.conversation_id.as_deref().unwrap_or("");
                let log = self.convs.entry(conv.to_string()).or_default();
                log.max_acked = log.max_acked.max(f.seq.unwrap_or(0));
            }
            "error" => c.error(format!(
                "agent: error {}: {}",
                f.code.as_deref().unwrap_or("?"),
                f.message.as_deref().unwrap_or("")
            )),
            _ => {}
        }
        None
    }
}

async fn agent(
    k: usize,
    url: String,
    cookie: String,
    c: Arc<Counters>,
    mut phase: watch::Receiver<Phase>,
) -> AgentReport {
    let mut rep = AgentReport::default();
    let ws = match net::connect(&url, Some(&cookie)).await {
        Ok(ws) => ws,
        Err(e) => {
            c.error(format!("agent {k}: connect: {e}"));
            return rep;
        }
    };
    let (mut tx, mut rx) = ws.split();
    match tokio::time::timeout(Duration::from_secs(30), next_text(&mut rx)).await {
        Ok(Some(t)) if t.contains(r#""type":"welcome""#) => {}
        other => {
            c.error(format!("agent {k}: no welcome: {other:?}"));
            return rep;
        }
    }
    Counters::add(&c.agents_ready);
    let mut reply_until: Option<Instant> = None;
    let mut sent: u64 = 0;
    loop {
        tokio::select! {
            m = rx.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    let replying = reply_until.is_some_and(|e| Instant::now() < e);
                    if let Some((conv, n)) = rep.frame(t.as_str(), &c, replying) {
                        sent += 1;
                        let ts = now_ns();
                        let frame = format!(
                            r#"{{"type":"message","conversation_id":"{conv}","client_id":"a{k}-{sent}","body":{{"kind":"text","text":"r|{ts}|{n} {AGENT_TEXT}"}}}}"#
                        );
                        if !send(&mut tx, frame).await {
                            c.error(format!("agent {k}: send failed"));
                            break;
                        }
                        Counters::add(&c.a_sent);
                    }
                }
                Some(Ok(Message::Close(_))) | None => {
                    c.error(format!("agent {k}: socket closed by the server"));
                    break;
                }
                Some(Err(e)) => {
                    c.error(format!("agent {k}: {e}"));
                    break;
                }
                Some(Ok(_)) => {}
            },
            r = phase.changed() => {
                if r.is_err() {
                    break;
                }
                let p = *phase.borrow_and_update();
                if !crate::load::agent_follows(p, &mut reply_until) {
                    let _ = tx.send(Message::Close(None)).await;
                    break;
                }
            }
        }
    }
    rep
}

pub async fn run(a: ChatArgs) -> Result<(), String> {
    let t = a.traffic.clone();
    check_traffic(&t)?;
    let limit = t.conversations.div_ceil(t.agents) + 1;
    if limit > 100 {
        return Err(format!(
            "each agent would need {limit} simultaneous conversations (kefu allows ≤ 100): use more --agents"
        ));
    }
    let fds = net::raise_nofile((t.conversations + t.agents) as u64 + 1024);
    if fds < (t.conversations + t.agents) as u64 + 64 {
        eprintln!("warning: only {fds} file descriptors available (`ulimit -n`)");
    }
    let setup = rest::setup(&a.server, t.agents, limit).await?;
    let ws = net::ws_base(&a.server.url);
    let c = Arc::new(Counters::default());
    let (phase, phase_rx) = watch::channel(Phase::Setup);
    let g = Counters::get;

    eprintln!("set-up: opening {} agent sockets …", t.agents);
    let agent_url = format!("{ws}/api/v1/agent/ws");
    let agents: Vec<JoinHandle<AgentReport>> = setup
        .agents
        .iter()
        .enumerate()
        .map(|(k, ag)| {
            tokio::spawn(agent(
                k,
                agent_url.clone(),
                ag.cookie.clone(),
                c.clone(),
                phase_rx.clone(),
            ))
        })
        .collect();
    wait_until(30, "agent sockets", || {
        let ready = g(&c.agents_ready);
        (
            ready + g(&c.errors) >= t.agents as u64,
            format!("{ready}/{} open", t.agents),
        )
    })
    .await;
    if g(&c.agents_ready) < t.agents as u64 {
        return Err(format!(
            "only {} of {} agent sockets opened: {:?}",
            g(&c.agents_ready),
            t.agents,
            c.first_errors()
        ));
    }
    setup.all_online().await?;

    eprintln!(
        "set-up: opening {} visitor sockets on channel {} …",
        t.conversations, setup.name
    );
    let visitor_url = format!("{ws}/api/v1/visitor/ws?channel={}", setup.channel_key);
    let mut visitors: Vec<JoinHandle<VisitorReport>> = Vec::with_capacity(t.conversations);
    let batch = t.connect_batch.max(1);
    for from in (0..t.conversations).step_by(batch) {
        let to = (from + batch).min(t.conversations);
        for i in from..to {
            visitors.push(tokio::spawn(visitor(
                i,
                t.conversations,
                visitor_url.clone(),
                t.rate,
                t.reply_every,
                c.clone(),
                phase_rx.clone(),
            )));
        }
        wait_until(60, "visitor sockets", || {
            let n = g(&c.connected);
            (
                n + g(&c.errors) >= to as u64,
                format!("{n}/{} open", t.conversations),
            )
        })
        .await;
    }
    let n = t.conversations as u64;
    wait_until(120, "assignments", || {
        let (acked, assigned) = (g(&c.setup_acked), g(&c.assigned));
        (
            acked >= n && assigned >= n,
            format!(
                "{acked}/{n} first messages acknowledged, {assigned}/{n} conversations assigned"
            ),
        )
    })
    .await;
    if g(&c.assigned) == 0 {
        let _ = phase.send(Phase::Stop);
        return Err(format!(
            "no conversation was assigned to an agent: {:?}",
            c.first_errors()
        ));
    }
    eprintln!(
        "set-up done: {} visitors connected, {} conversations assigned, {} errors",
        g(&c.connected),
        g(&c.assigned),
        g(&c.errors)
    );

    let (window_acked, per_second, usage) = measure(&t, &c, &phase, a.server.server_pid).await;
    let visitors = join_all(visitors, 10).await;
    let agents = join_all(agents, 10).await;

    // Exactly-once: each side against the highest sequence known to be stored.
    let mut staff: HashMap<String, ConvLog> = HashMap::new();
    let mut v2a = Vec::new();
    for a in agents {
        v2a.extend(a.v2a);
        for (id, log) in a.convs {
            let e = staff.entry(id).or_default();
            e.seqs.extend(log.seqs);
            e.max_acked = e.max_acked.max(log.max_acked);
        }
    }
    let (mut visitor_check, mut agent_check) = (SeqCheck::default(), SeqCheck::default());
    let (mut a2v, mut ack) = (Vec::new(), Vec::new());
    for v in visitors {
        let Some(conv) = &v.conversation else {
            continue;
        };
        let s = staff.get(conv);
        let last = [
            v.max_acked,
            v.seqs.iter().copied().max().unwrap_or(0),
            s.map(|s| s.max_acked).unwrap_or(0),
            s.and_then(|s| s.seqs.iter().copied().max()).unwrap_or(0),
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        visitor_check.add(SeqCheck::of(&v.seqs, last));
        agent_check.add(SeqCheck::of(s.map(|s| &s.seqs[..]).unwrap_or(&[]), last));
        a2v.extend(v.a2v);
        ack.extend(v.ack);
    }
    Outcome {
        label: t
            .label
            .clone()
            .unwrap_or_else(|| format!("kefu {}", a.server.url)),
        persisted: true,
        traffic: t,
        window_acked,
        per_second,
        v2a,
        a2v,
        ack,
        visitor_check,
        agent_check,
        usage,
    }
    .print(&c);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip() {
        let s = stamp("b|123|7|1 您好", 'b').unwrap();
        assert_eq!((s.ts, s.n, s.answer), (123, 7, true));
        let s = stamp("r|5|10", 'r').unwrap();
        assert_eq!((s.ts, s.n, s.answer), (5, 10, false));
        assert_eq!(stamp("kefu-bench visitor 3", 'b'), None);
    }

    #[test]
    fn frames_parse_with_escapes() {
        let f: Frame = serde_json::from_str(
            r#"{"type":"event","conversation_id":"c","seq":3,"sender":"visitor","client_id":null,"body":{"kind":"text","text":"b|1|2 \"q\""},"at":1}"#,
        )
        .unwrap();
        assert_eq!(f.ty, "event");
        assert_eq!(f.body.unwrap().text.unwrap(), "b|1|2 \"q\"");
    }
}

//! `kefu-bench relay`: the `chat` traffic shape through a Socket.IO v4 relay
//! (bench/peers/socketio-relay.js) — the baseline that persists nothing.
//!
//! Engine.IO v4 over WebSocket, spoken by hand: the server opens with
//! `0{…}`, we connect the default namespace with `40` and get `40{…}`; events
//! are `42["name",data]`, with an acknowledgement id `42<id>[…]` answered by
//! `43<id>[…]`; the server pings with `2`, we answer `3`. Visitor `i` joins room
//! `r<i>`; agent `k` joins every room `i ≡ k (mod A)`. Messages are
//! `msg` {room, text, ts}, each emitted with an acknowledgement id, so
//! "acked" means the relay received and forwarded it.

use crate::load::{
    self, join_all, next_text, stamp, tick, wait_until, wants_answer, Outcome, Phase,
};
use crate::net::{self, Rx, Tx};
use crate::stats::{now_ns, Counters, SeqCheck};
use crate::Traffic;
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
pub struct RelayArgs {
    /// The relay's base URL.
    #[arg(long, default_value = "ws://127.0.0.1:3030")]
    pub url: String,
    /// The relay's process id: report its RSS and CPU time.
    #[arg(long)]
    pub server_pid: Option<u32>,
    #[command(flatten)]
    pub traffic: Traffic,
}

#[derive(Deserialize)]
struct Msg<'a> {
    #[serde(borrow)]
    room: Cow<'a, str>,
    #[serde(borrow)]
    text: Cow<'a, str>,
}

async fn send(tx: &mut Tx, text: String) -> bool {
    tx.send(Message::Text(text.into())).await.is_ok()
}

/// Engine.IO/Socket.IO v4 handshake on a fresh WebSocket.
async fn connect(url: &str) -> Result<(Tx, Rx), String> {
    let ws = net::connect(url, None).await?;
    let (mut tx, mut rx) = ws.split();
    let open = tokio::time::timeout(Duration::from_secs(10), next_text(&mut rx))
        .await
        .map_err(|_| "no Engine.IO open packet")?
        .ok_or("closed before the open packet")?;
    if !open.starts_with('0') {
        return Err(format!(
            "expected an Engine.IO open packet, got {open:.100}"
        ));
    }
    if !send(&mut tx, "40".into()).await {
        return Err("send failed".into());
    }
    loop {
        let p = tokio::time::timeout(Duration::from_secs(10), next_text(&mut rx))
            .await
            .map_err(|_| "no Socket.IO connect packet")?
            .ok_or("closed during the Socket.IO handshake")?;
        if p.starts_with("40") {
            return Ok((tx, rx));
        }
        if p == "2" {
            send(&mut tx, "3".into()).await;
        } else if p.starts_with("44") {
            return Err(format!("namespace refused: {p}"));
        }
    }
}

/// Emit `join` for each room with acknowledgement ids 1.., and wait for them all.
async fn join(tx: &mut Tx, rx: &mut Rx, rooms: &[usize]) -> Result<(), String> {
    for (k, r) in rooms.iter().enumerate() {
        if !send(tx, format!(r#"42{}["join","r{r}"]"#, k + 1)).await {
            return Err("send failed".into());
        }
    }
    let mut left = rooms.len();
    while left > 0 {
        let p = tokio::time::timeout(Duration::from_secs(30), next_text(rx))
            .await
            .map_err(|_| "join not acknowledged")?
            .ok_or("closed while joining")?;
        if p == "2" {
            send(tx, "3".into()).await;
        } else if p.starts_with("43") {
            left -= 1;
        }
    }
    Ok(())
}

/// `43<id>[…]` → id.
fn ack_id(p: &str) -> Option<u64> {
    let rest = p.strip_prefix("43")?;
    let end = rest.find('[')?;
    rest[..end].parse().ok()
}

/// `42["msg",{…}]` → the message.
fn event(p: &str) -> Option<Msg<'_>> {
    let rest = p.strip_prefix("42")?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let (name, m): (Cow<str>, Msg) = serde_json::from_str(rest).ok()?;
    (name == "msg").then_some(m)
}

#[derive(Default)]
struct VisitorReport {
    /// n of the agent replies received, in order.
    replies: Vec<i64>,
    sent: i64,
    a2v: Vec<u64>,
    ack: Vec<u64>,
}

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
    let (mut tx, mut rx) = match connect(&url).await {
        Ok(s) => s,
        Err(e) => {
            c.error(format!("visitor {i}: {e}"));
            return rep;
        }
    };
    if let Err(e) = join(&mut tx, &mut rx, &[i]).await {
        c.error(format!("visitor {i}: {e}"));
        return rep;
    }
    Counters::add(&c.connected);
    let mut ticker: Option<Interval> = None;
    let mut end = Instant::now();
    let mut n: u64 = 0;
    let mut pending: HashMap<u64, u64> = HashMap::new();
    loop {
        tokio::select! {
            m = rx.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    let p = t.as_str();
                    if p == "2" {
                        send(&mut tx, "3".into()).await;
                    } else if let Some(id) = ack_id(p) {
                        Counters::add(&c.v_acked);
                        if let Some(ts) = pending.remove(&id) {
                            rep.ack.push(now_ns().saturating_sub(ts));
                        }
                    } else if let Some(m) = event(p) {
                        if let Some(st) = stamp(&m.text, 'r') {
                            rep.a2v.push(now_ns().saturating_sub(st.ts));
                            rep.replies.push(st.n as i64);
                            Counters::add(&c.to_visitor);
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None => {
                    c.error(format!("visitor {i}: socket closed by the relay"));
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
                    r#"42{n}["msg",{{"room":"r{i}","text":"b|{ts}|{n}|{w} 您好，我想咨询一下订单的物流状态","ts":{ts}}}]"#
                );
                if !send(&mut tx, frame).await {
                    c.error(format!("visitor {i}: send failed"));
                    break;
                }
                rep.sent = n as i64;
                Counters::add(&c.v_sent);
            }
            r = phase.changed() => {
                if r.is_err() {
                    break;
                }
                let p = *phase.borrow_and_update();
                match p {
                    Phase::Measure { start, end: e } => {
                        ticker = Some(load::schedule(start, rate, i, n_total));
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
struct AgentReport {
    /// Room → n of the visitor messages received, in order.
    rooms: HashMap<String, Vec<i64>>,
    v2a: Vec<(u64, u64)>,
}

async fn agent(
    k: usize,
    rooms: Vec<usize>,
    url: String,
    c: Arc<Counters>,
    mut phase: watch::Receiver<Phase>,
) -> AgentReport {
    let mut rep = AgentReport::default();
    let (mut tx, mut rx) = match connect(&url).await {
        Ok(s) => s,
        Err(e) => {
            c.error(format!("agent {k}: {e}"));
            return rep;
        }
    };
    if let Err(e) = join(&mut tx, &mut rx, &rooms).await {
        c.error(format!("agent {k}: {e}"));
        return rep;
    }
    Counters::add(&c.agents_ready);
    let mut reply_until: Option<Instant> = None;
    let mut next_id = rooms.len() as u64 + 1;
    loop {
        tokio::select! {
            m = rx.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    let p = t.as_str();
                    if p == "2" {
                        send(&mut tx, "3".into()).await;
                    } else if ack_id(p).is_some() {
                        Counters::add(&c.a_acked);
                    } else if let Some(m) = event(p) {
                        let Some(st) = stamp(&m.text, 'b') else { continue };
                        let n = st.n;
                        rep.v2a.push((st.ts, now_ns().saturating_sub(st.ts)));
                        Counters::add(&c.to_agent);
                        rep.rooms.entry(m.room.to_string()).or_default().push(n as i64);
                        let replying = reply_until.is_some_and(|e| Instant::now() < e);
                        if replying && st.answer {
                            let ts = now_ns();
                            let frame = format!(
                                r#"42{next_id}["msg",{{"room":"{}","text":"r|{ts}|{n} 您好，已为您查询，请稍候","ts":{ts}}}]"#,
                                m.room
                            );
                            next_id += 1;
                            if !send(&mut tx, frame).await {
                                c.error(format!("agent {k}: send failed"));
                                break;
                            }
                            Counters::add(&c.a_sent);
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None => {
                    c.error(format!("agent {k}: socket closed by the relay"));
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
                if !load::agent_follows(p, &mut reply_until) {
                    let _ = tx.send(Message::Close(None)).await;
                    break;
                }
            }
        }
    }
    rep
}

pub async fn run(a: RelayArgs) -> Result<(), String> {
    let t = a.traffic.clone();
    load::check_traffic(&t)?;
    net::raise_nofile((t.conversations + t.agents) as u64 + 1024);
    let url = format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        a.url.trim_end_matches('/')
    );
    let c = Arc::new(Counters::default());
    let (phase, phase_rx) = watch::channel(Phase::Setup);
    let g = Counters::get;

    eprintln!("set-up: {} agent sockets joining their rooms …", t.agents);
    let agents: Vec<JoinHandle<AgentReport>> = (0..t.agents)
        .map(|k| {
            let rooms: Vec<usize> = (k..t.conversations).step_by(t.agents).collect();
            tokio::spawn(agent(k, rooms, url.clone(), c.clone(), phase_rx.clone()))
        })
        .collect();
    wait_until(30, "agent sockets", || {
        let ready = g(&c.agents_ready);
        (
            ready + g(&c.errors) >= t.agents as u64,
            format!("{ready}/{} joined", t.agents),
        )
    })
    .await;
    if g(&c.agents_ready) < t.agents as u64 {
        return Err(format!(
            "only {} of {} agent sockets joined: {:?}",
            g(&c.agents_ready),
            t.agents,
            c.first_errors()
        ));
    }
    eprintln!("set-up: {} visitor sockets …", t.conversations);
    let mut visitors: Vec<JoinHandle<VisitorReport>> = Vec::with_capacity(t.conversations);
    let batch = t.connect_batch.max(1);
    for from in (0..t.conversations).step_by(batch) {
        let to = (from + batch).min(t.conversations);
        for i in from..to {
            visitors.push(tokio::spawn(visitor(
                i,
                t.conversations,
                url.clone(),
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
                format!("{n}/{} joined", t.conversations),
            )
        })
        .await;
    }
    eprintln!(
        "set-up done: {} visitors joined, {} errors",
        g(&c.connected),
        g(&c.errors)
    );

    let (window_acked, per_second, usage) = load::measure(&t, &c, &phase, a.server_pid).await;
    let visitors = join_all(visitors, 10).await;
    let agents = join_all(agents, 10).await;

    // Exactly-once, the relay's way: room r<i> must bring the agent n = 1..=sent,
    // each once, in order; the visitor's replies must not repeat or reorder.
    let mut rooms: HashMap<String, Vec<i64>> = HashMap::new();
    let mut v2a = Vec::new();
    for a in agents {
        v2a.extend(a.v2a);
        rooms.extend(a.rooms);
    }
    let (mut visitor_check, mut agent_check) = (SeqCheck::default(), SeqCheck::default());
    let (mut a2v, mut ack) = (Vec::new(), Vec::new());
    for (i, v) in visitors.into_iter().enumerate() {
        let got = rooms.get(&format!("r{i}")).map(|r| &r[..]).unwrap_or(&[]);
        agent_check.add(SeqCheck::of(got, v.sent));
        // Replies are every k-th n: only repeats and reordering apply.
        let replies = SeqCheck::of(&v.replies, 0);
        visitor_check.duplicates += replies.duplicates;
        visitor_check.out_of_order += replies.out_of_order;
        a2v.extend(v.a2v);
        ack.extend(v.ack);
    }
    // Replies acknowledged to the agent but never seen by the visitor.
    visitor_check.undelivered = g(&c.a_acked).saturating_sub(g(&c.to_visitor));
    Outcome {
        label: t
            .label
            .clone()
            .unwrap_or_else(|| format!("socket.io relay {}", a.url)),
        persisted: false,
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
    fn socket_io_packets() {
        assert_eq!(ack_id("4317[true]"), Some(17));
        assert_eq!(ack_id("42[\"msg\",{}]"), None);
        let m = event(r#"42["msg",{"room":"r3","text":"b|9|2 x","ts":9}]"#).unwrap();
        assert_eq!((m.room.as_ref(), m.text.as_ref()), ("r3", "b|9|2 x"));
        assert!(event(r#"42["other",{"room":"r3","text":"","ts":9}]"#).is_none());
    }
}

//! `kefu-bench idle`: N visitor sockets that receive `welcome` and then stay
//! quiet, to see what an idle connection costs the server (its RSS).

use crate::load::next_text;
use crate::stats::{self, Counters};
use crate::{net, rest, Server};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};
use tokio_tungstenite::tungstenite::Message;

#[derive(Args)]
pub struct IdleArgs {
    #[command(flatten)]
    pub server: Server,
    /// Visitor sockets to open.
    #[arg(long, default_value_t = 20_000)]
    pub visitors: usize,
    /// Seconds to hold them open once all are connected.
    #[arg(long, default_value_t = 30)]
    pub hold: u64,
    /// Sockets opened concurrently (batches avoid a SYN flood).
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// An existing channel's public key (default: create `bench-<timestamp>`).
    #[arg(long)]
    pub channel: Option<String>,
}

async fn idle_visitor(
    url: String,
    c: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
    ready: oneshot::Sender<bool>,
) {
    let ws = match tokio::time::timeout(Duration::from_secs(30), net::connect(&url, None)).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => {
            c.error(format!("connect: {e}"));
            let _ = ready.send(false);
            return;
        }
        Err(_) => {
            c.error("connect timed out");
            let _ = ready.send(false);
            return;
        }
    };
    let (mut tx, mut rx) = ws.split();
    match tokio::time::timeout(Duration::from_secs(30), next_text(&mut rx)).await {
        Ok(Some(t)) if t.contains(r#""type":"welcome""#) => {
            let _ = ready.send(true);
        }
        other => {
            c.error(format!("no welcome: {other:?}"));
            let _ = ready.send(false);
            return;
        }
    }
    loop {
        tokio::select! {
            m = rx.next() => match m {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    Counters::add(&c.dropped);
                    return;
                }
                Some(Ok(_)) => {}
            },
            _ = stop.changed() => {
                let _ = tx.send(Message::Close(None)).await;
                return;
            }
        }
    }
}

/// Whether `url` names this machine (the idle test floods it with sockets).
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let host = rest.split('/').next().unwrap_or("");
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub async fn run(a: IdleArgs) -> Result<(), String> {
    if !is_loopback(&a.server.url) {
        return Err(format!(
            "idle opens tens of thousands of sockets: only a server on this machine (127.0.0.1), not {}",
            a.server.url
        ));
    }
    let want = a.visitors as u64 + 1024;
    let fds = net::raise_nofile(want);
    if fds < a.visitors as u64 + 64 {
        eprintln!(
            "warning: only {fds} file descriptors (`ulimit -n`); {} sockets need more",
            a.visitors
        );
    }
    let key = match &a.channel {
        Some(k) => k.clone(),
        None => rest::setup(&a.server, 0, 1).await?.channel_key,
    };
    let url = format!(
        "{}/api/v1/visitor/ws?channel={key}",
        net::ws_base(&a.server.url)
    );
    let pid = a.server.server_pid;
    let rss = |f: &str| pid.and_then(|p| stats::proc_status_kib(p, f));
    let before = rss("VmRSS");
    let c = Arc::new(Counters::default());
    let (stop, stop_rx) = watch::channel(false);
    let mut tasks = Vec::with_capacity(a.visitors);
    let mut connected = 0u64;
    eprintln!(
        "connecting {} idle visitors, {} at a time …",
        a.visitors, a.batch
    );
    let t0 = Instant::now();
    let batch = a.batch.max(1);
    for from in (0..a.visitors).step_by(batch) {
        let to = (from + batch).min(a.visitors);
        let mut waits = Vec::with_capacity(to - from);
        for _ in from..to {
            let (tx, rx) = oneshot::channel();
            tasks.push(tokio::spawn(idle_visitor(
                url.clone(),
                c.clone(),
                stop_rx.clone(),
                tx,
            )));
            waits.push(rx);
        }
        for w in waits {
            if w.await.unwrap_or(false) {
                connected += 1;
            }
        }
        if to % 5000 < batch || to == a.visitors {
            eprintln!(
                "  {connected}/{} connected after {:.1} s, server RSS {} MiB",
                a.visitors,
                t0.elapsed().as_secs_f64(),
                stats::mib(rss("VmRSS"))
            );
        }
    }
    let connect_s = t0.elapsed().as_secs_f64();
    let after_connect = rss("VmRSS");
    eprintln!("holding {connected} idle sockets for {} s …", a.hold);
    tokio::time::sleep(Duration::from_secs(a.hold)).await;
    let held = rss("VmRSS");
    let peak = rss("VmHWM");
    let dropped = Counters::get(&c.dropped);
    let _ = stop.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let closed = rss("VmRSS");
    let per_conn = match (before, held) {
        (Some(b), Some(h)) if connected > 0 => {
            format!("{:.1}", h.saturating_sub(b) as f64 / connected as f64)
        }
        _ => "–".into(),
    };
    println!();
    println!(
        "{}",
        stats::table(
            &[
                "visitors",
                "connected",
                "failed",
                "connect time s",
                "connects/s",
                "hold s",
                "dropped during hold",
                "server RSS before MiB",
                "after connecting MiB",
                "end of hold MiB",
                "KiB per idle visitor",
                "after closing MiB",
                "peak (VmHWM) MiB",
            ],
            &[vec![
                a.visitors.to_string(),
                connected.to_string(),
                (a.visitors as u64 - connected).to_string(),
                format!("{connect_s:.1}"),
                format!("{:.0}", connected as f64 / connect_s.max(0.001)),
                a.hold.to_string(),
                dropped.to_string(),
                stats::mib(before),
                stats::mib(after_connect),
                stats::mib(held),
                per_conn,
                stats::mib(closed),
                stats::mib(peak),
            ]]
        )
    );
    let errors = c.first_errors();
    if !errors.is_empty() {
        println!("{} errors; first ones:", Counters::get(&c.errors));
        for e in errors {
            println!("- {e}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_only() {
        assert!(is_loopback("http://127.0.0.1:18500"));
        assert!(is_loopback("http://localhost:8080/"));
        assert!(is_loopback("http://[::1]:8080"));
        assert!(!is_loopback("http://10.0.0.5:8080"));
        assert!(!is_loopback("https://kefu.example.com"));
    }
}

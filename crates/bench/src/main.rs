//! `kefu-bench`: a load generator that drives real WebSocket visitors and agents
//! against a running kefu server, and the same traffic through a minimal
//! Socket.IO relay for comparison (see bench/README.md).
//!
//! * `chat`  — N conversations, A agents, R messages/s per conversation; latency
//!   visitor→agent, persisted (acknowledged) messages/s, exactly-once checks.
//! * `idle`  — N visitor sockets that only receive `welcome`; the server's RSS.
//! * `relay` — the `chat` traffic shape against `bench/peers/socketio-relay.js`.
//! * `crm`   — screen-pop look-ups among seeded customers and a 100k-row import.

mod chat;
mod crm;
mod idle;
mod load;
mod net;
mod relay;
mod rest;
mod stats;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kefu-bench",
    version,
    about = "Load generator for kefu: real WebSocket visitors and agents"
)]
struct Cli {
    /// Tokio worker threads for the load generator (the server shares the cores).
    #[arg(long, global = true, default_value_t = 1)]
    threads: usize,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Concurrent conversations between visitors and agents against kefu.
    Chat(chat::ChatArgs),
    /// Many idle visitor sockets; reports the server's memory.
    Idle(idle::IdleArgs),
    /// The `chat` traffic through a Socket.IO relay (bench/peers/socketio-relay.js).
    Relay(relay::RelayArgs),
    /// Customers at volume: screen-pop look-ups and a CSV import (seed first
    /// with `kefu admin seed-customers`).
    Crm(crm::CrmArgs),
}

/// How to reach kefu and sign in as a tenant administrator.
#[derive(Args, Clone, Debug)]
pub struct Server {
    /// kefu's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Tenant to set up in.
    #[arg(long, default_value = "demo")]
    pub tenant: String,
    /// An administrator of that tenant.
    #[arg(long, default_value = "admin")]
    pub user: String,
    /// The administrator's password.
    #[arg(long, env = "KEFU_BENCH_PASSWORD", default_value = "kefu-demo-2026")]
    pub password: String,
    /// The server's process id: report its RSS and CPU time (Linux /proc).
    #[arg(long)]
    pub server_pid: Option<u32>,
}

/// The traffic shape shared by `chat` and `relay`.
#[derive(Args, Clone, Debug)]
pub struct Traffic {
    /// Concurrent conversations (one visitor socket each).
    #[arg(long, default_value_t = 2000)]
    pub conversations: usize,
    /// Agent sockets; conversations are spread evenly over them.
    #[arg(long, default_value_t = 100)]
    pub agents: usize,
    /// Length of the measured phase, in seconds.
    #[arg(long, default_value_t = 30)]
    pub duration: u64,
    /// Messages per second per conversation sent by the visitor.
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,
    /// Agents answer one visitor message in this many (0 = never).
    #[arg(long, default_value_t = 5)]
    pub reply_every: u64,
    /// Sockets opened concurrently while connecting.
    #[arg(long, default_value_t = 200)]
    pub connect_batch: usize,
    /// A label for the first column of the result table.
    #[arg(long)]
    pub label: Option<String>,
}

fn main() {
    let cli = Cli::parse();
    stats::now_ns(); // start the bench clock
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads.max(1))
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = rt.block_on(async move {
        match cli.cmd {
            Cmd::Chat(a) => chat::run(a).await,
            Cmd::Idle(a) => idle::run(a).await,
            Cmd::Relay(a) => relay::run(a).await,
            Cmd::Crm(a) => crm::run(a).await,
        }
    });
    // Sockets still open in tasks are simply dropped with the runtime.
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    if let Err(e) = result {
        eprintln!("kefu-bench: {e}");
        std::process::exit(1);
    }
}

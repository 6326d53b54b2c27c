//! A small migration runner: numbered SQL files embedded in the binary, one
//! directory per backend, applied in order inside a transaction each and recorded
//! in `kefu_migrations`. On PostgreSQL an advisory lock keeps two nodes starting
//! at once from racing.

use crate::{now_ms, Backend, Result, Store};
use sqlx::Executor;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "online_service",
        sqlite: include_str!("../migrations/sqlite/0002_online_service.sql"),
        postgres: include_str!("../migrations/postgres/0002_online_service.sql"),
    },
    Migration {
        version: 3,
        name: "channel_hours",
        sqlite: include_str!("../migrations/sqlite/0003_channel_hours.sql"),
        postgres: include_str!("../migrations/postgres/0003_channel_hours.sql"),
    },
    Migration {
        version: 4,
        name: "group_strategy",
        sqlite: include_str!("../migrations/sqlite/0004_group_strategy.sql"),
        postgres: include_str!("../migrations/postgres/0004_group_strategy.sql"),
    },
    Migration {
        version: 5,
        name: "crm",
        sqlite: include_str!("../migrations/sqlite/0005_crm.sql"),
        postgres: include_str!("../migrations/postgres/0005_crm.sql"),
    },
    Migration {
        version: 6,
        name: "knowledge",
        sqlite: include_str!("../migrations/sqlite/0006_knowledge.sql"),
        postgres: include_str!("../migrations/postgres/0006_knowledge.sql"),
    },
    Migration {
        version: 7,
        name: "tickets",
        sqlite: include_str!("../migrations/sqlite/0007_tickets.sql"),
        postgres: include_str!("../migrations/postgres/0007_tickets.sql"),
    },
    Migration {
        version: 8,
        name: "sla",
        sqlite: include_str!("../migrations/sqlite/0008_sla.sql"),
        postgres: include_str!("../migrations/postgres/0008_sla.sql"),
    },
    Migration {
        version: 9,
        name: "bot_chat",
        sqlite: include_str!("../migrations/sqlite/0009_bot_chat.sql"),
        postgres: include_str!("../migrations/postgres/0009_bot_chat.sql"),
    },
    Migration {
        version: 10,
        name: "flows",
        sqlite: include_str!("../migrations/sqlite/0010_flows.sql"),
        postgres: include_str!("../migrations/postgres/0010_flows.sql"),
    },
    Migration {
        version: 11,
        name: "knowledge_variants",
        sqlite: include_str!("../migrations/sqlite/0011_knowledge_variants.sql"),
        postgres: include_str!("../migrations/postgres/0011_knowledge_variants.sql"),
    },
    Migration {
        version: 12,
        name: "follow_up_reminders",
        sqlite: include_str!("../migrations/sqlite/0012_follow_up_reminders.sql"),
        postgres: include_str!("../migrations/postgres/0012_follow_up_reminders.sql"),
    },
    Migration {
        version: 13,
        name: "ticket_limit",
        sqlite: include_str!("../migrations/sqlite/0013_ticket_limit.sql"),
        postgres: include_str!("../migrations/postgres/0013_ticket_limit.sql"),
    },
    Migration {
        version: 14,
        name: "sticky_wait",
        sqlite: include_str!("../migrations/sqlite/0014_sticky_wait.sql"),
        postgres: include_str!("../migrations/postgres/0014_sticky_wait.sql"),
    },
    Migration {
        version: 15,
        name: "bot_thresholds",
        sqlite: include_str!("../migrations/sqlite/0015_bot_thresholds.sql"),
        postgres: include_str!("../migrations/postgres/0015_bot_thresholds.sql"),
    },
    Migration {
        version: 16,
        name: "event_journal",
        sqlite: include_str!("../migrations/sqlite/0016_event_journal.sql"),
        postgres: include_str!("../migrations/postgres/0016_event_journal.sql"),
    },
];

const PG_LOCK_KEY: i64 = 0x6b656675; // "kefu"

/// Apply every migration not yet applied. Returns how many ran.
pub async fn run(store: &Store) -> Result<usize> {
    let mut conn = store.pool().acquire().await?;
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(PG_LOCK_KEY)
            .execute(&mut *conn)
            .await?;
    }
    let result = apply_pending(store, &mut conn).await;
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(PG_LOCK_KEY)
            .execute(&mut *conn)
            .await?;
    }
    result
}

async fn apply_pending(store: &Store, conn: &mut sqlx::AnyConnection) -> Result<usize> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS kefu_migrations (\
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM kefu_migrations")
        .fetch_all(&mut *conn)
        .await?;
    let mut ran = 0;
    for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let sql = match store.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO kefu_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        ran += 1;
    }
    Ok(ran)
}

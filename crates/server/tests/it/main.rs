//! The integration suite: one test binary (one link) that boots the real app
//! over HTTP on SQLite and on PostgreSQL.

use kefu_testkit::{spawn_app, Db, TestApp};

/// Run each listed `async fn(TestApp)` once on SQLite and once on PostgreSQL.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = crate::boot(crate::Db::Sqlite).await.expect("sqlite app");
                super::$name(app).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(app) = crate::boot(crate::Db::Postgres).await else { return };
                super::$name(app).await;
            })*
        }
    };
}

async fn boot(db: Db) -> Option<TestApp> {
    spawn_app(db).await
}

mod access;
mod auth;
mod bot_chat;
mod bot_review;
mod bot_thresholds;
mod browser;
mod browser_bot;
mod browser_chat;
mod browser_crm;
mod browser_flows;
mod browser_pickup;
mod browser_sla;
mod browser_tickets;
mod chat;
mod chat_assign;
mod chat_service;
mod cli;
mod crm;
mod crm_csv;
mod crm_oneid;
mod flows;
mod flows_chat;
mod flows_tls;
mod knowledge;
mod knowledge_transfer;
mod ops;
mod pickup;
mod sla;
mod tenancy;
mod tickets;
mod tickets_files;
mod tickets_flow;
mod tickets_limit;
mod tickets_tenancy;

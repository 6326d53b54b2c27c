//! Wiring: settings → store → app → HTTP router, plus the operational endpoints.
//! `main.rs` is only the command line around this, so tests boot the exact same
//! router the binary serves.

pub mod config;
pub mod metrics;
pub mod seed;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use kefu_app::{App, AuthConfig};
use kefu_events::EventBus;
use kefu_store::{migrate, ConnectOptions, Store};
use metrics::Metrics;

/// Connect and migrate.
pub async fn open_store(url: &str, max_connections: u32) -> Result<Store, String> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        // Create the directory of the database file so a fresh clone just works.
        let file = path.split('?').next().unwrap_or(path);
        if let Some(dir) = std::path::Path::new(file)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    let store = Store::connect(ConnectOptions {
        max_connections,
        ..ConnectOptions::new(url)
    })
    .await
    .map_err(|e| format!("cannot open the database: {e}"))?;
    let ran = migrate::run(&store)
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    if ran > 0 {
        tracing::info!(
            applied = ran,
            backend = store.backend().name(),
            "database migrated"
        );
    }
    Ok(store)
}

pub fn build_app(store: Store, auth: AuthConfig) -> App {
    App::new(store, EventBus::in_process(), auth)
}

/// The whole HTTP surface: API, web UI, health and metrics.
pub fn router(app: App, secure_cookies: bool) -> Router {
    let metrics = Metrics::new();
    let ops = Router::new()
        .route("/metrics", get(metrics::serve))
        .with_state(metrics.clone());
    Router::new()
        .nest("/api/v1", kefu_api::router(secure_cookies))
        .merge(kefu_web::router(secure_cookies))
        .route(
            "/demo/api/orders/{no}",
            get(kefu_api::routes::flows::demo_order),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(kefu_web::not_found)
        .with_state(app)
        .merge(ops)
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            metrics::track,
        ))
}

/// Liveness: the process is serving HTTP.
async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

/// Readiness: the database answers.
async fn readyz(State(app): State<App>) -> impl IntoResponse {
    match app.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ready", "database": app.store.backend().name()})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    serde_json::json!({"status": "unavailable", "code": "database_unreachable", "message": "the database does not answer"}),
                ),
            )
        }
    }
}

/// Resolve when SIGTERM or Ctrl-C arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// Background work every node runs: routing timers (overflow, sticky
/// deadlines) fire even when no request arrives.
pub fn start_background(app: &App) {
    tokio::spawn(app.clone().run_routing_timers());
    tokio::spawn(app.clone().run_follow_up_reminders());
    // SLA warnings and breaches are due at whole business minutes at the
    // earliest; a 15 s pass keeps them well within a minute of their instant.
    tokio::spawn(
        app.clone()
            .run_sla_ticker(std::time::Duration::from_secs(15)),
    );
}

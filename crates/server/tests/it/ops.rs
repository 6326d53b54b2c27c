//! Health, readiness, metrics and the API reference.

use kefu_testkit::{Client, TestApp};
use reqwest::StatusCode;

on_both_backends!(health_readiness_metrics_and_docs);

async fn health_readiness_metrics_and_docs(app: TestApp) {
    let c = Client::anonymous(&app.base);
    assert_eq!(c.get("/healthz").await.status, StatusCode::OK);
    let ready = c.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["status"], "ready");
    let doc = c.get("/api/v1/openapi.json").await.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/users",
        "/api/v1/roles",
        "/api/v1/departments",
        "/api/v1/skill-groups",
        "/api/v1/reception-statuses",
        "/api/v1/api-tokens",
        "/api/v1/audit-log",
        "/api/v1/auth/login",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    let html = reqwest::get(format!("{}/api/v1/docs", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("/api/v1/users/{id}") && html.contains("ErrorBody"));
    let metrics = reqwest::get(format!("{}/metrics", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "kefu_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"
        ),
        "{metrics}"
    );

    // Readiness follows the database: close the pool and it says so.
    app.app.store.close().await;
    let down = c.get("/readyz").await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.body["code"], "database_unreachable");
    assert_eq!(c.get("/healthz").await.status, StatusCode::OK);
}

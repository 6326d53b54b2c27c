//! Prometheus metrics, hand-rolled: a request counter and a latency histogram
//! per (method, route, status). A full metrics crate would add an exporter and
//! a dozen dependencies for what is a few counters and a text format.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// (method, route pattern, status)
type Labels = (String, String, u16);

#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<BTreeMap<Labels, Series>>>,
    started: Arc<std::sync::OnceLock<Instant>>,
}

impl Metrics {
    pub fn new() -> Self {
        let m = Self::default();
        let _ = m.started.set(Instant::now());
        m
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let s = map
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        s.count += 1;
        s.sum += seconds;
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                s.buckets[i] += 1;
            }
        }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let uptime = self
            .started
            .get()
            .map(|s| s.elapsed().as_secs_f64())
            .unwrap_or(0.0);
        let _ = writeln!(
            out,
            "# HELP kefu_build_info Build information.\n# TYPE kefu_build_info gauge"
        );
        let _ = writeln!(
            out,
            "kefu_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            out,
            "# HELP kefu_uptime_seconds Seconds since start.\n# TYPE kefu_uptime_seconds gauge"
        );
        let _ = writeln!(out, "kefu_uptime_seconds {uptime:.3}");
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(out, "# HELP kefu_http_requests_total HTTP requests by method, route and status.\n# TYPE kefu_http_requests_total counter");
        for ((m, r, st), s) in map.iter() {
            let _ = writeln!(
                out,
                "kefu_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{st}\"}} {}",
                s.count
            );
        }
        let _ = writeln!(out, "# HELP kefu_http_request_duration_seconds HTTP request latency.\n# TYPE kefu_http_request_duration_seconds histogram");
        for ((m, r, st), s) in map.iter() {
            let labels = format!("method=\"{m}\",route=\"{r}\",status=\"{st}\"");
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "kefu_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "kefu_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "kefu_http_request_duration_seconds_sum{{{labels}}} {:.6}",
                s.sum
            );
            let _ = writeln!(
                out,
                "kefu_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out
    }
}

/// Middleware: time every request, label it by its route *pattern* (so ids do
/// not explode the label space), and log it.
pub async fn track(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let resp = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    metrics.observe(&method, &route, status, secs);
    if route != "/healthz" && route != "/metrics" {
        tracing::info!(
            method,
            route,
            status,
            ms = (secs * 1000.0).round(),
            "request"
        );
    }
    resp
}

pub async fn serve(State(metrics): State<Metrics>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::new();
        m.observe("GET", "/api/v1/users", 200, 0.003);
        m.observe("GET", "/api/v1/users", 200, 0.2);
        let text = m.render();
        assert!(text.contains(
            "kefu_http_requests_total{method=\"GET\",route=\"/api/v1/users\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.25\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 2"));
    }
}

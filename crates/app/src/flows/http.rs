//! Performing a flow's HTTP effect: hyper's client (plain http://), the node's
//! time-out over the whole exchange, and a cap on the answer's size. Every failure
//! becomes [`HttpResult::Failed`] with a reason, which the flow's `on_error`
//! branch handles; nothing here panics or hangs.

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use kefu_bot::flow::{HttpRequest, HttpResult};
use std::time::Duration;

/// Larger answers are refused (a lookup API answers a few hundred bytes).
const MAX_BODY: usize = 1024 * 1024;

#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for HttpClient {
    fn default() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
        }
    }
}

fn failed(reason: impl Into<String>) -> HttpResult {
    HttpResult::Failed {
        reason: reason.into(),
    }
}

impl HttpClient {
    /// `base` resolves URLs that start with `/` (a path on this kefu server).
    pub async fn perform(&self, req: &HttpRequest, base: Option<&str>) -> HttpResult {
        let url = if req.url.starts_with('/') {
            match base {
                Some(b) => format!("{}{}", b.trim_end_matches('/'), req.url),
                None => return failed("this server's own address is not known"),
            }
        } else {
            req.url.clone()
        };
        let uri: hyper::Uri = match url.parse() {
            Ok(u) => u,
            Err(e) => return failed(format!("bad URL: {e}")),
        };
        if uri.scheme_str() != Some("http") {
            return failed("only http:// URLs can be called");
        }
        let method = match hyper::Method::from_bytes(req.method.as_bytes()) {
            Ok(m) => m,
            Err(_) => return failed(format!("bad method {}", req.method)),
        };
        let mut builder = hyper::Request::builder().method(method).uri(uri);
        let mut has_type = false;
        for (k, v) in &req.headers {
            has_type |= k.eq_ignore_ascii_case("content-type");
            builder = builder.header(k.as_str(), v.as_str());
        }
        if req.body.is_some() && !has_type {
            builder = builder.header("content-type", "application/json");
        }
        let body = Full::new(Bytes::from(req.body.clone().unwrap_or_default()));
        let request = match builder.body(body) {
            Ok(r) => r,
            Err(e) => return failed(format!("bad request: {e}")),
        };
        let exchange = async {
            let resp = self
                .client
                .request(request)
                .await
                .map_err(|e| format!("request failed: {e}"))?;
            let status = resp.status().as_u16();
            let bytes = Limited::new(resp.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| format!("reading the answer failed: {e}"))?
                .to_bytes();
            Ok::<_, String>(HttpResult::Response {
                status,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            })
        };
        match tokio::time::timeout(Duration::from_millis(req.timeout_ms), exchange).await {
            Ok(Ok(r)) => r,
            Ok(Err(reason)) => failed(reason),
            Err(_) => failed(format!("no answer within {} ms", req.timeout_ms)),
        }
    }
}

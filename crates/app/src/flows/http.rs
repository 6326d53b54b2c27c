//! Performing a flow's HTTP effect: hyper's client over http:// or https:// (rustls with
//! the `ring` provider; trusted roots are the Mozilla set compiled in from `webpki-roots`,
//! plus the certificates of an optional extra CA file for internal APIs — see
//! docs/architecture.md), the node's time-out over the whole exchange, and a cap on the
//! answer's size. Every failure becomes [`HttpResult::Failed`] with a reason, which the
//! flow's `on_error` branch handles; nothing here panics or hangs.

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use kefu_bot::flow::{HttpRequest, HttpResult};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Larger answers are refused (a lookup API answers a few hundred bytes).
const MAX_BODY: usize = 1024 * 1024;

#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Default for HttpClient {
    fn default() -> Self {
        // The built-in roots alone cannot fail to load.
        Self::with_roots(Vec::new()).unwrap_or_else(|e| panic!("TLS setup failed: {e}"))
    }
}

/// The certificates in a PEM file (an extra CA for internal HTTPS APIs).
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("CA file {} is not valid PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "CA file {} holds no certificate (expected PEM \"BEGIN CERTIFICATE\" blocks)",
            path.display()
        ));
    }
    Ok(certs)
}

impl HttpClient {
    /// A client trusting the built-in roots and `extra` (an internal CA, a self-signed
    /// server certificate).
    pub fn with_roots(extra: Vec<CertificateDer<'static>>) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for (i, cert) in extra.into_iter().enumerate() {
            roots
                .add(cert)
                .map_err(|e| format!("extra CA certificate {} is not usable: {e}", i + 1))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// A client trusting the built-in roots and the certificates of a PEM file.
    pub fn with_ca_file(path: &Path) -> Result<Self, String> {
        Self::with_roots(read_ca_file(path)?)
    }
}

fn failed(reason: impl Into<String>) -> HttpResult {
    HttpResult::Failed {
        reason: reason.into(),
    }
}

/// A failed request's reason with its causes ("… : invalid peer certificate: UnknownIssuer"),
/// so a TLS refusal says why.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = c.source();
    }
    out
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
        if !matches!(uri.scheme_str(), Some("http") | Some("https")) {
            return failed("only http:// and https:// URLs can be called");
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
                .map_err(|e| format!("request failed: {}", chain(&e)))?;
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

//! Flow HTTP calls over TLS: a local HTTPS server whose certificate is signed by a CA made
//! in the test. Until the app trusts that CA (`set_flow_ca_file`, what `kefu serve
//! --flow-ca-file` / `KEFU_FLOW_CA_FILE` does) the call fails with a certificate error and
//! the flow takes its error branch; once it does, the flow calls the API and maps the
//! answer's fields into slots.

use crate::flows::create_flow;
use kefu_testkit::{Db, Tenant};
use reqwest::StatusCode;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{json, Value};
use std::sync::Arc;

/// A CA, and a server certificate for 127.0.0.1 / localhost signed by it.
struct Pki {
    ca_pem: String,
    server_cert: CertificateDer<'static>,
    server_key: PrivateKeyDer<'static>,
}

fn make_pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "kefu test internal CA");
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let key = KeyPair::generate().expect("server key");
    let params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("server params");
    let cert = params
        .signed_by(&key, &ca_cert, &ca_key)
        .expect("server certificate");
    Pki {
        ca_pem: ca_cert.pem(),
        server_cert: cert.der().clone(),
        server_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// Accepts TCP connections and completes the TLS handshake; a client that gives up
/// (it does not trust the certificate) is skipped.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    tls: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.tls.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// An HTTPS order API on 127.0.0.1:0 answering `/orders/{no}`.
async fn spawn_https_api(pki: &Pki) -> (String, tokio::task::JoinHandle<()>) {
    use axum::routing::get;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_no_client_auth()
        .with_single_cert(vec![pki.server_cert.clone()], pki.server_key.clone_key())
        .expect("server config");
    let router = axum::Router::new().route(
        "/orders/{no}",
        get(
            |axum::extract::Path(no): axum::extract::Path<String>| async move {
                axum::Json(json!({"data": {"status": format!("shipped-{no}"), "carrier": "顺丰"}}))
            },
        ),
    );
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener = TlsListener {
        tcp,
        tls: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    };
    let h = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("https://{addr}"), h)
}

async fn run(t: &Tenant, flow: &str, text: &str) -> Value {
    let start = t
        .admin
        .post(&format!("/api/v1/flows/{flow}/test"), json!({}))
        .await;
    assert_eq!(start.status, StatusCode::OK, "{:?}", start.body);
    let r = t
        .admin
        .post(
            &format!("/api/v1/flows/{flow}/test"),
            json!({"state": start.body["state"], "text": text}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_calls_need_a_trusted_certificate_and_map_fields_into_slots() {
    let app = kefu_testkit::spawn_app(Db::Sqlite).await.expect("app");
    let t = app.tenant("flows-tls").await;
    let pki = make_pki();
    let (api, _server) = spawn_https_api(&pki).await;
    let def = json!({
        "start": "no",
        "nodes": [
            {"id": "no", "type": "ask", "slot": "no", "prompt": "单号？", "next": "get"},
            {"id": "get", "type": "http", "url": format!("{api}/orders/{{{{no}}}}"),
             "save": {"status": "data.status", "carrier": "data.carrier"},
             "next": "said", "on_error": "down"},
            {"id": "said", "type": "answer", "text": "订单 {{no}}：{{status}}（{{carrier}}）"},
            {"id": "down", "type": "answer", "text": "查询服务暂时不可用"}
        ]
    });
    let id = create_flow(&t, "https 查询", def).await;

    // Not trusted yet (a private CA is in no public root store): a clear failure, the
    // error branch, no panic and no 500.
    let s = run(&t, &id, "A100").await;
    assert_eq!(s["replies"][0]["text"], "查询服务暂时不可用", "{s}");
    let call = &s["http"][0];
    assert_eq!(call["result"]["type"], "failed", "{call}");
    let reason = call["result"]["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("certificate") && reason.contains("UnknownIssuer"),
        "the reason names the certificate problem: {reason}"
    );

    // A CA file that is not a certificate is refused and changes nothing.
    let dir = std::env::temp_dir().join(format!("kefu-flow-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let err = app.app.set_flow_ca_file(&junk).unwrap_err();
    assert!(err.contains("no certificate"), "{err}");
    assert!(app
        .app
        .set_flow_ca_file(&dir.join("missing.pem"))
        .unwrap_err()
        .contains("cannot read"));

    // Trust the CA: the same flow now reaches the API and fills its slots.
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    app.app.set_flow_ca_file(&ca).expect("CA file accepted");
    let s = run(&t, &id, "A100").await;
    assert_eq!(
        s["replies"][0]["text"], "订单 A100：shipped-A100（顺丰）",
        "{s}"
    );
    assert_eq!(s["http"][0]["result"]["status"], 200);
    let _ = std::fs::remove_dir_all(&dir);
}

//! `spawn_app`: the real router on 127.0.0.1:0 over a fresh database (a new
//! SQLite file, or a new PostgreSQL schema), plus small HTTP helpers.

use kefu_app::{App, AuthConfig};
use kefu_domain::BuiltinRole;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub app: App,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Boot the app. `None` means PostgreSQL was wanted but is unreachable outside
/// CI (a loud message has been printed); in CI that panics instead.
pub async fn spawn_app(db: Db) -> Option<TestApp> {
    spawn_app_with(db, AuthConfig::default()).await
}

/// With a short visitor grace period (to test abandonment without waiting 90 s).
pub async fn spawn_app_with_grace(db: Db, grace: std::time::Duration) -> Option<TestApp> {
    spawn_app_inner(db, AuthConfig::default(), Some(grace)).await
}

pub async fn spawn_app_with(db: Db, auth: AuthConfig) -> Option<TestApp> {
    spawn_app_inner(db, auth, None).await
}

async fn spawn_app_inner(
    db: Db,
    auth: AuthConfig,
    grace: Option<std::time::Duration>,
) -> Option<TestApp> {
    let store = match db {
        Db::Sqlite => kefu_store::testing::fresh_sqlite()
            .await
            .expect("fresh sqlite"),
        Db::Postgres => kefu_store::testing::fresh_postgres().await?,
    };
    let files = std::env::temp_dir()
        .join("kefu-tests")
        .join(format!("files-{}", kefu_store::now_ms()));
    let mut app = kefu_server::build_app(store, auth).with_files_dir(files);
    if let Some(g) = grace {
        app = app.with_visitor_grace(g);
    }
    kefu_server::start_background(&app);
    let router = kefu_server::router(app.clone(), false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    app.set_own_base_url(&format!("http://{addr}"));
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    Some(TestApp {
        base: format!("http://{addr}"),
        app,
        server,
    })
}

/// One HTTP client: either a signed-in browser-like session (cookie + CSRF
/// header) or an integration with a bearer token.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    http: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
    bearer: Option<String>,
    csrf: Option<String>,
}

/// A response: status plus the JSON body (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
}

impl Resp {
    /// The error code of an error body.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_default().to_string()
    }
}

impl Client {
    pub fn anonymous(base: &str) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Self {
            base: base.to_string(),
            http: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .build()
                .expect("client"),
            jar,
            bearer: None,
            csrf: None,
        }
    }

    pub fn with_token(base: &str, token: &str) -> Self {
        Self {
            bearer: Some(token.to_string()),
            ..Self::anonymous(base)
        }
    }

    /// Sign in through `POST /api/v1/auth/login`; the cookie jar keeps the session.
    pub async fn login(
        base: &str,
        tenant: &str,
        username: &str,
        password: &str,
    ) -> Result<Self, Resp> {
        let mut c = Self::anonymous(base);
        let r = c
            .send(
                Method::POST,
                "/api/v1/auth/login",
                Some(json!({"tenant": tenant, "username": username, "password": password})),
            )
            .await;
        if r.status != StatusCode::OK {
            return Err(r);
        }
        c.csrf = r.body["csrf_token"].as_str().map(str::to_string);
        Ok(c)
    }

    /// The session cookie, for a WebSocket handshake.
    pub fn cookie(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().ok()?;
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_string))
    }

    /// The same session without its CSRF token (to prove writes need it).
    pub fn without_csrf(&self) -> Self {
        Self {
            csrf: None,
            ..self.clone()
        }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.bearer {
            req = req.bearer_auth(t);
        }
        if let Some(c) = &self.csrf {
            req = req.header("X-CSRF-Token", c);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request reaches the test server");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        Resp {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: &'static str,
    ) -> Resp {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = &self.bearer {
            req = req.bearer_auth(t);
        }
        if let Some(c) = &self.csrf {
            req = req.header("X-CSRF-Token", c);
        }
        let resp = req.send().await.expect("request reaches the test server");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        Resp {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// A request with a text body (e.g. CSV) whose answer is read as text
    /// (a CSV download) and, when it is JSON, as JSON too.
    pub async fn text(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: String,
    ) -> (Resp, String) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if !body.is_empty() {
            req = req.header("content-type", content_type).body(body);
        }
        if let Some(t) = &self.bearer {
            req = req.bearer_auth(t);
        }
        if let Some(c) = &self.csrf {
            req = req.header("X-CSRF-Token", c);
        }
        let resp = req.send().await.expect("request reaches the test server");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        (Resp { status, body }, text)
    }

    /// A request with a binary body (empty: none); the answer's status, content type
    /// and bytes (an XLSX download, a GBK upload's report).
    pub async fn bytes(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, String, Vec<u8>) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if !body.is_empty() {
            req = req.header("content-type", content_type).body(body);
        }
        if let Some(t) = &self.bearer {
            req = req.bearer_auth(t);
        }
        if let Some(c) = &self.csrf {
            req = req.header("X-CSRF-Token", c);
        }
        let resp = req.send().await.expect("request reaches the test server");
        let status = resp.status();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        (status, ct, bytes)
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send(Method::PUT, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(Method::PATCH, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, None).await
    }
}

pub const PASSWORD: &str = "correct-horse-battery";

/// A tenant with a signed-in administrator.
pub struct Tenant {
    pub slug: String,
    pub admin: Client,
}

impl TestApp {
    /// A new tenant (built-in roles, default statuses) with an administrator
    /// `admin` signed in over HTTP.
    pub async fn tenant(&self, slug: &str) -> Tenant {
        self.app
            .create_tenant(slug, &format!("{slug} 公司"))
            .await
            .expect("create tenant");
        self.app
            .create_user_as_operator(slug, "admin", "Admin", PASSWORD, BuiltinRole::Administrator)
            .await
            .expect("create admin");
        let admin = Client::login(&self.base, slug, "admin", PASSWORD)
            .await
            .expect("admin signs in");
        Tenant {
            slug: slug.to_string(),
            admin,
        }
    }

    /// Create a user with a built-in role through the API and sign them in.
    pub async fn user(&self, t: &Tenant, username: &str, role: BuiltinRole) -> (String, Client) {
        let role_id = t.role_id(role).await;
        let r = t
            .admin
            .post(
                "/api/v1/users",
                json!({"username": username, "password": PASSWORD, "display_name": username, "role_id": role_id}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "create {username}: {:?}",
            r.body
        );
        let c = Client::login(&self.base, &t.slug, username, PASSWORD)
            .await
            .expect("user signs in");
        (r.id(), c)
    }
}

impl Tenant {
    pub async fn role_id(&self, role: BuiltinRole) -> String {
        let roles = self.admin.get("/api/v1/roles").await;
        roles
            .body
            .as_array()
            .expect("roles list")
            .iter()
            .find(|r| r["builtin"] == role.key())
            .and_then(|r| r["id"].as_str())
            .expect("built-in role exists")
            .to_string()
    }

    /// A fresh API token carrying the administrator role.
    pub async fn admin_token(&self) -> String {
        let role_id = self.role_id(BuiltinRole::Administrator).await;
        let r = self
            .admin
            .post(
                "/api/v1/api-tokens",
                json!({"name": "test", "role_id": role_id}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["secret"].as_str().expect("secret").to_string()
    }
}

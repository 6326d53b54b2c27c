//! Set-up through kefu's REST API (`/api/v1`) as a tenant administrator:
//! skill group, web channel, agents, their statuses and sessions.

use crate::Server;
use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const LOGIN_HINT: &str = "the server limits sign-ins per client address (20/min by default); \
     start it with `--login-attempts-per-minute 100000` for benchmarks";

/// A signed-in session: cookie plus CSRF token, as the workbench uses.
#[derive(Clone)]
pub struct Session {
    base: String,
    http: reqwest::Client,
    pub cookie: String,
    csrf: String,
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

impl Session {
    pub async fn login(
        http: &reqwest::Client,
        base: &str,
        tenant: &str,
        username: &str,
        password: &str,
    ) -> Result<Session, String> {
        let base = base.trim_end_matches('/').to_string();
        let r = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"tenant": tenant, "username": username, "password": password}))
            .send()
            .await
            .map_err(|e| format!("cannot reach {base}: {e}"))?;
        let status = r.status();
        // The session cookie (name=value parts only) for later requests and sockets.
        let cookie = r
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .collect::<Vec<_>>()
            .join("; ");
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(format!(
                "sign-in of {username:?} refused with 429 Too Many Requests: {LOGIN_HINT}"
            ));
        }
        if status != StatusCode::OK {
            return Err(format!("sign-in of {username:?} failed: {status} {body}"));
        }
        Ok(Session {
            base,
            http: http.clone(),
            cookie,
            csrf: body["csrf_token"].as_str().unwrap_or_default().to_string(),
        })
    }

    /// A request; anything but a status in `ok` is an error with the body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        ok: &[u16],
    ) -> Result<Value, String> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}/api/v1{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req
            .send()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        if !ok.contains(&status.as_u16()) {
            return Err(format!("{method} {path}: {status} {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A POST with a body that is not JSON (a CSV upload).
    pub async fn raw_post(
        &self,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Result<Value, String> {
        let r = self
            .http
            .post(format!("{}/api/v1{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!("POST {path}: {status} {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> Result<Value, String> {
        self.call(Method::GET, path, None, &[200]).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        self.call(Method::POST, path, Some(body), &[200, 201]).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Result<Value, String> {
        self.call(Method::PUT, path, Some(body), &[200, 201, 204])
            .await
    }
}

fn id_of(v: &Value, what: &str) -> Result<String, String> {
    v["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{what}: no id in {v}"))
}

/// A bench agent, signed in.
pub struct Agent {
    pub id: String,
    pub cookie: String,
}

pub struct Setup {
    pub admin: Session,
    pub name: String,
    pub channel_key: String,
    pub receiving_status: String,
    pub agents: Vec<Agent>,
}

pub const AGENT_PASSWORD: &str = "kefu-bench-agent-2026";

/// Create `bench-<timestamp>`: a skill group, a web channel on it and `agents`
/// agents in the group (each with `limit` simultaneous conversations), signed in.
pub async fn setup(s: &Server, agents: usize, limit: usize) -> Result<Setup, String> {
    let http = http_client();
    let admin = Session::login(&http, &s.url, &s.tenant, &s.user, &s.password).await?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = format!("bench-{stamp}");
    let group = id_of(
        &admin.post("/skill-groups", json!({"name": name})).await?,
        "skill group",
    )?;
    let channel = admin
        .post(
            "/channels",
            json!({"name": name, "skill_group_id": group, "greeting": "kefu-bench"}),
        )
        .await?;
    let channel_key = channel["public_key"]
        .as_str()
        .ok_or_else(|| format!("channel: no public_key in {channel}"))?
        .to_string();
    let statuses = admin.get("/reception-statuses").await?;
    let receiving_status = statuses
        .as_array()
        .and_then(|a| a.iter().find(|s| s["can_receive"] == true))
        .and_then(|s| s["id"].as_str())
        .ok_or("the tenant has no reception status that receives work")?
        .to_string();
    let role = admin
        .get("/roles")
        .await?
        .as_array()
        .and_then(|a| a.iter().find(|r| r["builtin"] == "agent"))
        .and_then(|r| r["id"].as_str())
        .map(str::to_string)
        .ok_or("the tenant has no built-in agent role")?;

    if agents > 0 {
        eprintln!("set-up: creating and signing in {agents} agents in skill group {name} …");
    }
    // A few at a time: password hashing is deliberately slow on the server.
    let made: Vec<Result<Agent, String>> = futures_util::stream::iter(0..agents)
        .map(|i| {
            let (admin, http, name, group, role) = (&admin, &http, &name, &group, &role);
            async move {
                let username = format!("{name}-a{i}");
                let u = admin
                    .post(
                        "/users",
                        json!({
                            "username": username,
                            "password": AGENT_PASSWORD,
                            "display_name": format!("Bench {i}"),
                            "role_id": role,
                            "reception_limit": limit,
                        }),
                    )
                    .await?;
                let id = id_of(&u, "user")?;
                admin
                    .put(
                        &format!("/skill-groups/{group}/members/{id}"),
                        json!({"level": 5}),
                    )
                    .await?;
                let me = Session::login(http, &s.url, &s.tenant, &username, AGENT_PASSWORD).await?;
                Ok(Agent {
                    id,
                    cookie: me.cookie,
                })
            }
        })
        .buffered(4)
        .collect()
        .await;
    let agents = made.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Setup {
        admin,
        name,
        channel_key,
        receiving_status,
        agents,
    })
}

impl Setup {
    /// Put every agent in the receiving status (the admin may set anyone's).
    pub async fn all_online(&self) -> Result<(), String> {
        let results: Vec<Result<Value, String>> = futures_util::stream::iter(&self.agents)
            .map(|a| async move {
                self.admin
                    .put(
                        &format!("/users/{}/status", a.id),
                        json!({"status_id": self.receiving_status}),
                    )
                    .await
            })
            .buffer_unordered(8)
            .collect()
            .await;
        results.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(())
    }
}

//! The `kefu` binary as a newcomer runs it: `serve --demo` prints a URL and
//! logins that work, answers /healthz, and stops cleanly on SIGTERM; the admin
//! commands provision a tenant and user that can sign in.

use kefu_testkit::Client;
use reqwest::StatusCode;
use serde_json::json;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

fn kefu() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kefu"));
    c.env_remove("RUST_LOG").kill_on_drop(true);
    c
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "kefu-cli-{tag}-{}-{}",
        std::process::id(),
        kefu_store::now_ms()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Start `kefu serve` and wait for it to print its URL. Returns the child, the
/// base URL and everything printed up to then.
async fn serve(dir: &std::path::Path, extra: &[&str]) -> (Child, String, Vec<String>) {
    let mut child = kefu()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start kefu");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let base = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            seen.push(line.clone());
            if let Some(url) = line.strip_prefix("kefu is running at ") {
                return url.trim_end_matches('/').to_string();
            }
        }
        panic!("kefu exited before printing its URL: {seen:?}");
    })
    .await
    .expect("kefu printed its URL within 60 s");
    // Keep reading the rest (demo logins) briefly.
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_millis(300), lines.next_line()).await
    {
        seen.push(line);
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base, seen)
}

async fn sigterm_and_wait(mut child: Child) {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("stops within 20 s")
        .unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_prints_working_logins_and_stops_on_sigterm() {
    let dir = temp_dir("demo");
    let (child, base, out) = serve(&dir, &["--demo"]).await;
    assert!(
        dir.join("kefu.db").exists(),
        "embedded SQLite created in the data dir"
    );
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // The printed admin login works.
    let admin_line = out
        .iter()
        .find(|l| l.contains("user admin"))
        .unwrap_or_else(|| panic!("no admin login printed: {out:?}"));
    let words: Vec<&str> = admin_line.split_whitespace().collect();
    let after = |key: &str| words[words.iter().position(|w| *w == key).unwrap() + 1];
    let admin = Client::login(&base, after("tenant"), after("user"), after("password"))
        .await
        .expect("printed login works");
    let users = admin.get("/api/v1/users").await.body;
    assert_eq!(
        users.as_array().unwrap().len(),
        6,
        "admin, lead and four agents"
    );
    let groups = admin.get("/api/v1/skill-groups").await.body;
    assert_eq!(groups.as_array().unwrap().len(), 3);
    assert_eq!(
        admin
            .get("/api/v1/channels")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(!admin
        .get("/api/v1/departments")
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
    sigterm_and_wait(child).await;

    // Running --demo again on the same data keeps the data and seeds nothing twice.
    let (child, base, out) = serve(&dir, &["--demo", "--log-format", "json"]).await;
    assert!(out.iter().any(|l| l.contains("already present")), "{out:?}");
    let json_logs: Vec<&String> = out.iter().filter(|l| l.starts_with('{')).collect();
    assert!(!json_logs.is_empty(), "JSON log lines: {out:?}");
    for l in json_logs {
        let v: serde_json::Value = serde_json::from_str(l).expect("each log line is JSON");
        assert!(v["level"].is_string() && v["timestamp"].is_string());
    }
    let admin = Client::login(&base, "demo", "admin", kefu_app::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        admin
            .get("/api/v1/users")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        6
    );
    sigterm_and_wait(child).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_provision_a_tenant_that_can_sign_in() {
    let dir = temp_dir("admin");
    let run = |args: Vec<String>| {
        let dir = dir.clone();
        async move {
            let out = kefu()
                .args(&args)
                .arg("--data-dir")
                .arg(&dir)
                .output()
                .await
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).to_string()
                    + &String::from_utf8_lossy(&out.stderr),
            )
        }
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let (ok, out) = run(s(&["migrate"])).await;
    assert!(ok, "{out}");
    let (ok, out) = run(s(&[
        "admin",
        "create-tenant",
        "--slug",
        "acme",
        "--name",
        "Acme 有限公司",
    ]))
    .await;
    assert!(ok, "{out}");
    let (ok, out) = run(s(&[
        "admin",
        "create-tenant",
        "--slug",
        "acme",
        "--name",
        "again",
    ]))
    .await;
    assert!(
        !ok && out.contains("already exists"),
        "duplicate slug refused: {out}"
    );
    let (ok, out) = run(s(&[
        "admin",
        "create-user",
        "--tenant",
        "acme",
        "--username",
        "boss",
        "--role",
        "administrator",
        "--password",
        "boss-password-1",
    ]))
    .await;
    assert!(ok, "{out}");
    let (ok, out) = run(s(&[
        "admin",
        "create-user",
        "--tenant",
        "acme",
        "--username",
        "weak",
        "--password",
        "short",
    ]))
    .await;
    assert!(
        !ok && out.contains("password"),
        "weak password refused: {out}"
    );
    let (ok, out) = run(s(&["admin", "list-tenants"])).await;
    assert!(ok && out.contains("acme"), "{out}");
    assert!(!out.contains("boss-password-1"));

    let (child, base, _) = serve(&dir, &[]).await;
    let boss = Client::login(&base, "acme", "boss", "boss-password-1")
        .await
        .expect("provisioned admin signs in");
    let r = boss
        .post("/api/v1/departments", json!({"name": "总部"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    sigterm_and_wait(child).await;
    let _ = std::fs::remove_dir_all(&dir);
}

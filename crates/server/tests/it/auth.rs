//! Signing in: lock-out, rate limit, TOTP, tokens, CSRF.

use kefu_app::AuthConfig;
use kefu_domain::{totp, BuiltinRole};
use kefu_testkit::{spawn_app_with, Client, Db, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    repeated_wrong_passwords_lock_the_account_until_an_admin_unlocks,
    totp_is_enforced_once_enabled_and_codes_cannot_be_replayed,
    revoked_api_token_gets_401,
    cookie_writes_need_the_csrf_token,
    password_change_needs_the_current_one_and_ends_other_sessions,
);

async fn login(app: &TestApp, tenant: &str, user: &str, password: &str) -> kefu_testkit::Resp {
    Client::anonymous(&app.base)
        .post(
            "/api/v1/auth/login",
            json!({"tenant": tenant, "username": user, "password": password}),
        )
        .await
}

async fn repeated_wrong_passwords_lock_the_account_until_an_admin_unlocks(app: TestApp) {
    let t = app.tenant("lockco").await;
    let (agent_id, _) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    for i in 1..=4 {
        let r = login(&app, "lockco", "agent1", "wrong-password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert_eq!(r.code(), "invalid_credentials");
    }
    let fifth = login(&app, "lockco", "agent1", "wrong-password").await;
    assert_eq!(fifth.status, StatusCode::LOCKED);
    assert_eq!(fifth.code(), "account_locked");
    assert!(
        fifth.body["message"].as_str().unwrap().contains("locked"),
        "{:?}",
        fifth.body
    );
    assert!(fifth.body["details"]["locked_until"].as_i64().unwrap() > kefu_store::now_ms());
    // Even the right password is refused while locked.
    let right = login(&app, "lockco", "agent1", PASSWORD).await;
    assert_eq!(right.code(), "account_locked");
    // The lock shows on the user and is audited when an administrator lifts it.
    let u = t.admin.get(&format!("/api/v1/users/{agent_id}")).await;
    assert!(u.body["locked_until"].is_i64());
    assert_eq!(
        t.admin
            .post(&format!("/api/v1/users/{agent_id}/unlock"), json!({}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        login(&app, "lockco", "agent1", PASSWORD).await.status,
        StatusCode::OK
    );
    let audit = t
        .admin
        .get("/api/v1/audit-log?resource_type=user")
        .await
        .body;
    assert!(audit
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "user.unlock" && e["actor_name"] == "admin"));
    // Unknown users and tenants fail the same way as a wrong password.
    assert_eq!(
        login(&app, "lockco", "nobody", PASSWORD).await.code(),
        "invalid_credentials"
    );
    assert_eq!(
        login(&app, "no-such-tenant", "agent1", PASSWORD)
            .await
            .code(),
        "invalid_credentials"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_is_rate_limited_across_accounts() {
    let auth = AuthConfig {
        login_attempts_per_minute: 3,
        ..Default::default()
    };
    let app = spawn_app_with(Db::Sqlite, auth).await.expect("app");
    app.app.create_tenant("rate", "Rate").await.unwrap();
    for user in ["a1", "a2", "a3"] {
        let r = login(&app, "rate", user, "x").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = login(&app, "rate", "a4", "x").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.code(), "rate_limited");
    assert!(r.body["details"]["retry_after_seconds"].as_u64().unwrap() <= 60);
}

fn code_at(secret_b32: &str, offset_steps: i64) -> String {
    let secret = totp::base32_decode(secret_b32).unwrap();
    let now = kefu_store::now_ms() / 1000;
    let step = (totp::step_for(now as u64) as i64 + offset_steps) as u64;
    totp::format_code(totp::code_at_step(&secret, step))
}

async fn totp_is_enforced_once_enabled_and_codes_cannot_be_replayed(app: TestApp) {
    let t = app.tenant("totpco").await;
    let (_, agent) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    let setup = agent.post("/api/v1/me/totp", json!({})).await;
    assert_eq!(setup.status, StatusCode::OK, "{:?}", setup.body);
    assert!(setup.body["qr_svg"].as_str().unwrap().contains("<svg"));
    let secret = setup.body["secret"].as_str().unwrap().to_string();
    assert!(setup.body["otpauth_uri"]
        .as_str()
        .unwrap()
        .contains(&secret));
    // Not in force until confirmed: a wrong confirmation code changes nothing.
    assert_eq!(
        agent
            .post("/api/v1/me/totp/confirm", json!({"code": "000000"}))
            .await
            .code(),
        "invalid_totp"
    );
    assert_eq!(
        login(&app, "totpco", "agent1", PASSWORD).await.status,
        StatusCode::OK
    );
    let confirm_code = code_at(&secret, 0);
    assert_eq!(
        agent
            .post("/api/v1/me/totp/confirm", json!({"code": confirm_code}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    let no_code = login(&app, "totpco", "agent1", PASSWORD).await;
    assert_eq!(no_code.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_code.code(), "totp_required");
    let body = |code: &str| json!({"tenant": "totpco", "username": "agent1", "password": PASSWORD, "totp_code": code});
    let anon = Client::anonymous(&app.base);
    let wrong = anon.post("/api/v1/auth/login", body("123456")).await;
    assert_eq!(wrong.code(), "invalid_totp");
    // The code used to confirm cannot be used again.
    assert_eq!(
        anon.post("/api/v1/auth/login", body(&confirm_code))
            .await
            .code(),
        "invalid_totp"
    );
    let next = code_at(&secret, 1);
    let ok = anon.post("/api/v1/auth/login", body(&next)).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(
        anon.post("/api/v1/auth/login", body(&next)).await.code(),
        "invalid_totp",
        "replay refused"
    );
    let me = t.admin.get("/api/v1/users").await.body;
    assert!(me
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["username"] == "agent1" && u["totp_enabled"] == true));
}

async fn revoked_api_token_gets_401(app: TestApp) {
    let t = app.tenant("tokenco").await;
    let secret = t.admin_token().await;
    let integ = Client::with_token(&app.base, &secret);
    assert_eq!(integ.get("/api/v1/users").await.status, StatusCode::OK);
    let tokens = t.admin.get("/api/v1/api-tokens").await.body;
    let tok = &tokens.as_array().unwrap()[0];
    assert!(secret.starts_with(tok["prefix"].as_str().unwrap()));
    assert!(
        tok.get("secret").is_none() && tok.get("token_hash").is_none(),
        "secrets never listed"
    );
    assert!(tok["last_used_at"].is_i64());
    let id = tok["id"].as_str().unwrap();
    let revoked = t.admin.delete(&format!("/api/v1/api-tokens/{id}")).await;
    assert!(revoked.body["revoked_at"].is_i64());
    let r = integ.get("/api/v1/users").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "unauthenticated");
    let garbage = Client::with_token(&app.base, "kefu_not-a-token")
        .get("/api/v1/me")
        .await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        Client::anonymous(&app.base).get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn cookie_writes_need_the_csrf_token(app: TestApp) {
    let t = app.tenant("csrfco").await;
    let forged = t.admin.without_csrf();
    assert_eq!(
        forged.get("/api/v1/users").await.status,
        StatusCode::OK,
        "reads need no token"
    );
    let r = forged
        .post("/api/v1/departments", json!({"name": "伪造"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "csrf_failed");
    let depts = t.admin.get("/api/v1/departments").await.body;
    assert!(depts.as_array().unwrap().is_empty(), "nothing was created");
}

async fn password_change_needs_the_current_one_and_ends_other_sessions(app: TestApp) {
    let t = app.tenant("pwco").await;
    let (_, agent) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    let other = Client::login(&app.base, "pwco", "agent1", PASSWORD)
        .await
        .unwrap();
    let bad = agent
        .put(
            "/api/v1/me/password",
            json!({"current_password": "nope-nope", "new_password": "a-new-password"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["details"]["field"], "current_password");
    let short = agent
        .put(
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(short.body["details"]["field"], "password");
    let ok = agent
        .put(
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": "a-new-password"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    assert_eq!(
        agent.get("/api/v1/me").await.status,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        other.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED,
        "the other one ended"
    );
    assert_eq!(
        login(&app, "pwco", "agent1", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "pwco", "agent1", "a-new-password").await.status,
        StatusCode::OK
    );
}

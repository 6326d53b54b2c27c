//! The UI end to end over the router (no socket): sign-in with the login CSRF
//! cookie, pages that depend on permissions, forms with CSRF, PRG with flash,
//! validation errors, language negotiation, sign-out.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use tower::ServiceExt;

#[tokio::test]
async fn sign_in_with_login_csrf_then_manage_users() {
    let mut c = Client::new().await;

    // Not signed in: the console sends us to the sign-in page, keeping the target.
    let p = c.get("/admin/users").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some("/login?next=/admin/users"));
    assert_eq!(c.get("/").await.location.as_deref(), Some("/login"));

    // The sign-in form's hidden token equals its cookie.
    let p = c.get("/login").await;
    assert_eq!(p.status, StatusCode::OK);
    let csrf = hidden(&p.body, "_csrf");
    let set = p
        .set_cookies
        .iter()
        .find(|c| c.starts_with("kefu_login_csrf="))
        .expect("login csrf cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
    assert_eq!(c.jar.get("kefu_login_csrf"), Some(&csrf));
    for id in [
        "id=\"tenant\"",
        "id=\"username\"",
        "id=\"password\"",
        "id=\"login-submit\"",
    ] {
        assert!(p.body.contains(id), "{id} missing");
    }

    // A forged post (token differs from the cookie) is refused.
    let p = c
        .post(
            "/login",
            &[
                ("_csrf", "forged-forged-forged"),
                ("tenant", "demo"),
                ("username", "admin"),
                ("password", kefu_app::demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(!c.jar.contains_key("kefu_session"));

    // A wrong password says so, keeps the name, never echoes the password.
    let p = c
        .post(
            "/login",
            &[
                ("_csrf", &csrf),
                ("tenant", "demo"),
                ("username", "admin"),
                ("password", "wrong-password-123"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.body.contains("id=\"login-error\""));
    assert!(p.body.contains("value=\"admin\""));
    assert!(!p.body.contains("wrong-password-123"));

    // The right password: a session cookie and a 303 to the console.
    let p = c
        .post(
            "/login",
            &[
                ("_csrf", &csrf),
                ("tenant", "demo"),
                ("username", "admin"),
                ("password", kefu_app::demo::DEMO_PASSWORD),
                ("next", "/admin/users"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some("/admin/users"));
    let session = p
        .set_cookies
        .iter()
        .find(|c| c.starts_with("kefu_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/")
    );
    assert!(!session.contains("Secure"));

    let p = c.get("/admin/users").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("agent1") && p.body.contains("张小美"));
    assert!(p.body.contains("id=\"whoami\""));
    assert!(p.body.contains("王管理"));
    let token = hidden(&p.body, "_csrf");
    assert!(p.body.contains(&format!("\"X-CSRF-Token\": \"{token}\"")));

    // Creating a user needs the session's CSRF token.
    let role_id = option_values(&p.body, "create-role")[0].clone();
    let new_user = |csrf: &str| {
        vec![
            ("_csrf".to_string(), csrf.to_string()),
            ("username".into(), "newbie".into()),
            ("display_name".into(), "新同事".into()),
            ("password".into(), "long-enough-pw".into()),
            ("reception_limit".into(), "3".into()),
            ("ticket_limit".into(), "7".into()),
            ("role_id".into(), role_id.clone()),
        ]
    };
    let p = c.post_owned("/admin/users", new_user("nope")).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = c.post_owned("/admin/users", new_user(&token)).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/admin/users"));
    let p = c.get("/admin/users").await;
    assert!(p.body.contains("newbie") && p.body.contains("新同事"));
    // Both limits are shown in the user's row.
    let row = &p.body[p.body.find("data-username=\"newbie\"").expect("row")..];
    let row = &row[..row.find("</tr>").expect("end of row")];
    assert!(row.contains("<td class=\"num\">3</td>") && row.contains("<td class=\"num\">7</td>"));
    assert!(p.body.contains("id=\"flash\""));
    // The flash is shown once.
    assert!(!c.get("/admin/users").await.body.contains("id=\"flash\""));

    // A bad username re-renders the form with the message next to the field
    // and what was typed, with a 422.
    let p = c
        .post(
            "/admin/users",
            &[
                ("_csrf", &token),
                ("username", "x y"),
                ("display_name", "保留的名字"),
                ("password", "long-enough-pw"),
                ("role_id", &role_id),
                ("reception_limit", "5"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("保留的名字"));
    assert!(
        p.body.contains("class=\"field-error\">must be 2–64")
            || p.body.contains("class=\"field-error\">须为 2–64")
    );

    // A ticket limit out of range (工单上限 0–1000) is a 422 next to its field.
    let p = c
        .post(
            "/admin/users",
            &[
                ("_csrf", &token),
                ("username", "limited"),
                ("display_name", "限额"),
                ("password", "long-enough-pw"),
                ("role_id", &role_id),
                ("reception_limit", "5"),
                ("ticket_limit", "5000"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("id=\"create-ticket-limit\""));
    assert!(
        p.body
            .contains("class=\"field-error\">must be between 0 and 1000")
            || p.body.contains("class=\"field-error\">须在 0 到 1000 之间")
    );

    // Unknown ids are a 404 page.
    let p = c
        .get("/admin/users/0190f0f0-0000-7000-8000-000000000000")
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);

    // Signing out ends the session.
    let p = c.post("/logout", &[("_csrf", &token)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some("/login"));
    assert!(!c.jar.contains_key("kefu_session"));
    assert_eq!(c.get("/admin").await.status, StatusCode::SEE_OTHER);
}

/// The option values of the select with `id`, selected one first.
fn option_values(html: &str, id: &str) -> Vec<String> {
    let start = html.find(&format!("id=\"{id}\"")).expect("select");
    let rest = &html[start..];
    let select = &rest[..rest.find("</select>").expect("end of select")];
    let mut values: Vec<(bool, String)> = select
        .split("<option value=\"")
        .skip(1)
        .map(|o| {
            let value = o.split('"').next().unwrap_or("").to_string();
            let tag = &o[..o.find('>').unwrap_or(0)];
            (tag.contains("selected"), value)
        })
        .collect();
    values.sort_by_key(|(selected, _)| !selected);
    values.into_iter().map(|(_, v)| v).collect()
}

#[tokio::test]
async fn agents_see_only_what_they_may() {
    let mut c = Client::new().await;
    c.sign_in("agent1").await;
    let p = c.get("/admin").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"nav-profile\""));
    assert!(!p.body.contains("id=\"nav-users\""));
    assert!(!p.body.contains("id=\"nav-audit\""));
    assert_eq!(c.get("/admin/users").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        c.get("/admin/departments").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(c.get("/admin/audit").await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.get("/profile").await.status, StatusCode::OK);

    // An agent sets their own reception status from the header.
    let csrf = hidden(&p.body, "_csrf");
    let statuses = option_values(&p.body, "status-select");
    let online = statuses.iter().find(|v| !v.is_empty()).expect("a status");
    let p = c
        .post("/me/status", &[("_csrf", &csrf), ("status_id", online)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = c.get("/admin").await;
    assert_eq!(option_values(&p.body, "status-select")[0], *online);
}

#[tokio::test]
async fn language_follows_cookie_then_browser() {
    let mut c = Client::new().await;
    let p = c
        .get_with("/login", &[("accept-language", "en-US,en;q=0.9")])
        .await;
    assert!(p.body.contains("<html lang=\"en\">"));
    assert!(p.body.contains("Sign in"));
    let p = c
        .get_with("/login", &[("accept-language", "zh-CN,zh;q=0.9")])
        .await;
    assert!(p.body.contains("<html lang=\"zh-CN\">"));
    assert!(p.body.contains("登录"));

    let p = c
        .get_with(
            "/lang/en",
            &[
                ("referer", "http://kefu.test/login?tenant=demo"),
                ("host", "kefu.test"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some("/login?tenant=demo"));
    let p = c
        .get_with("/login?tenant=demo", &[("accept-language", "zh-CN")])
        .await;
    assert!(p.body.contains("<html lang=\"en\">"));
    assert!(p.body.contains("value=\"demo\""));

    // A foreign Referer is not followed.
    let p = c
        .get_with(
            "/lang/zh-CN",
            &[("referer", "https://evil.example/x"), ("host", "kefu.test")],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn assets_are_served_with_types_and_caching() {
    let mut c = Client::new().await;
    for (path, ty) in [
        ("/assets/app.css", "text/css"),
        ("/assets/htmx.min.js", "text/javascript"),
        ("/assets/app.js", "text/javascript"),
    ] {
        let req = Request::get(path).body(Body::empty()).unwrap();
        let resp = c.router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let h = resp.headers();
        assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with(ty));
        assert!(h[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age"));
        assert!(h.contains_key(header::CONTENT_SECURITY_POLICY));
    }
    let _ = c.get("/").await;
}

/// The one script tag customers embed is small: ≤ 40 KB gzipped (issue 4),
/// served whole from `/widget.js` although it is kept in parts.
#[tokio::test]
async fn the_widget_is_one_small_script() {
    use std::io::Write;
    let c = Client::new().await;
    let req = Request::get("/widget.js").body(Body::empty()).unwrap();
    let resp = c.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(&body[..], kefu_web::assets::WIDGET.as_bytes());
    let text = std::str::from_utf8(&body).unwrap();
    assert!(
        text.starts_with("/* kefu visitor chat widget."),
        "opens with its header"
    );
    assert!(
        text.trim_end()
            .ends_with("})(typeof globalThis !== 'undefined' ? globalThis : this);"),
        "one closure, closed at the end"
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).unwrap();
    let size = gz.finish().unwrap().len();
    assert!(size <= 40 * 1024, "widget.js is {size} bytes gzipped");
}

/// The text inside the element with `id`.
fn text_of(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker).expect("element") + marker.len();
    html[start..].split('<').next().unwrap().to_string()
}

fn totp_code(secret_b32: &str, step_offset: u64) -> String {
    let secret = kefu_domain::totp::base32_decode(secret_b32).expect("base32 secret");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let step = kefu_domain::totp::step_for(now) + step_offset;
    kefu_domain::totp::format_code(kefu_domain::totp::code_at_step(&secret, step))
}

#[tokio::test]
async fn two_step_verification_from_profile_to_sign_in() {
    let mut c = Client::new().await;
    c.sign_in("lead").await;
    let p = c.get("/profile").await;
    assert!(p.body.contains("id=\"totp-enable\""));
    let csrf = hidden(&p.body, "_csrf");

    let p = c.post("/profile/totp/begin", &[("_csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("<svg"), "the QR code is inline");
    assert!(!p.body.contains("<?xml"));
    let secret = text_of(&p.body, "totp-secret");
    let uri = hidden(&p.body, "otpauth_uri");

    // A wrong code keeps the set-up on screen with the message by the field.
    let p = c
        .post(
            "/profile/totp/confirm",
            &[
                ("_csrf", &csrf),
                ("secret", &secret),
                ("otpauth_uri", &uri),
                ("code", "000000"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(text_of(&p.body, "totp-secret"), secret);

    let code = totp_code(&secret, 0);
    let p = c
        .post(
            "/profile/totp/confirm",
            &[("_csrf", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(c.get("/profile").await.body.contains("data-state=\"on\""));
    c.post("/logout", &[("_csrf", &csrf)]).await;

    // Password first, then the code on its own page.
    let p = c.get("/login").await;
    let login_csrf = hidden(&p.body, "_csrf");
    let p = c
        .post(
            "/login",
            &[
                ("_csrf", &login_csrf),
                ("tenant", "demo"),
                ("username", "lead"),
                ("password", kefu_app::demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some("/login/totp?next=/admin"));
    // Half-signed-in: the console is still closed.
    assert_eq!(c.get("/admin").await.status, StatusCode::SEE_OTHER);
    let p = c.get("/login/totp?next=/admin").await;
    assert!(p.body.contains("id=\"totp-code\"") && p.body.contains("id=\"totp-submit\""));
    let p = c
        .post(
            "/login/totp",
            &[
                ("_csrf", &login_csrf),
                ("code", "123456"),
                ("next", "/admin"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.body.contains("id=\"login-error\""));
    // The confirmation used this step's code; the next step's is still fresh.
    let next = totp_code(&secret, 1);
    let p = c
        .post(
            "/login/totp",
            &[("_csrf", &login_csrf), ("code", &next), ("next", "/admin")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/admin"));
    assert_eq!(c.get("/admin").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_customers_page_shows_board_pool_and_import_by_permission() {
    let mut c = Client::new().await;
    c.sign_in("lead").await;
    let p = c.get("/customers").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("id=\"nav-customers\""));
    assert!(p.body.contains("id=\"crm-board\""));
    assert!(p.body.contains("format=svg&amp;chart=funnel"));
    assert!(p.body.contains("零售客户"), "the demo template is offered");
    assert!(p.body.contains("id=\"crm-import-form\""), "leads import");
    assert!(p.body.contains("id=\"crm-export\""), "leads export");
    assert!(p.body.contains("/assets/customers.js"));
    let js = c.get("/assets/customers.js").await;
    assert_eq!(js.status, StatusCode::OK);

    let mut a = Client::new().await;
    a.sign_in("agent1").await;
    let p = a.get("/customers").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"crm-pool\""));
    assert!(
        !p.body.contains("id=\"crm-import-form\""),
        "agents do not import"
    );
    assert!(
        !p.body.contains("id=\"crm-export\""),
        "agents do not export"
    );
}

#[tokio::test]
async fn a_skill_groups_routing_strategy_is_chosen_and_changed_in_the_console() {
    let mut c = Client::new().await;
    c.sign_in("admin").await;
    let page = c.get("/admin/skill-groups").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"skill-group-strategy\""));
    let csrf = hidden(&page.body, "_csrf");
    let created = c
        .post(
            "/admin/skill-groups",
            &[
                ("_csrf", &csrf),
                ("name", "夜班组"),
                ("department_id", ""),
                ("description", ""),
                ("strategy", "round_robin"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let strategy_of = |html: &str| -> (String, String) {
        let row = html
            .split("<tr data-name=\"夜班组\">")
            .nth(1)
            .expect("the new group is listed");
        let id = row
            .split("href=\"/admin/skill-groups/")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("group link")
            .to_string();
        let shown = row
            .split("<td class=\"strategy\">")
            .nth(1)
            .and_then(|r| r.split("</td>").next())
            .expect("strategy cell")
            .to_string();
        (id, shown)
    };
    let list = c.get("/admin/skill-groups").await;
    let (id, shown) = strategy_of(&list.body);
    assert_eq!(shown, "Round robin");

    let bad = c
        .post(
            &format!("/admin/skill-groups/{id}"),
            &[
                ("_csrf", &csrf),
                ("name", "夜班组"),
                ("department_id", ""),
                ("description", ""),
                ("strategy", "whoever_shouts"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(
        bad.body.contains("least_busy, round_robin"),
        "the error lists the choices"
    );
    let (_, unchanged) = strategy_of(&c.get("/admin/skill-groups").await.body);
    assert_eq!(unchanged, "Round robin", "a refused change changes nothing");

    let changed = c
        .post(
            &format!("/admin/skill-groups/{id}"),
            &[
                ("_csrf", &csrf),
                ("name", "夜班组"),
                ("department_id", ""),
                ("description", ""),
                ("strategy", "most_skilled"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let (_, now) = strategy_of(&c.get("/admin/skill-groups").await.body);
    assert_eq!(now, "Most skilled first");
}

//! The acceptance path in a real browser: sign in through the login page as the
//! demo administrator and manage the organisation. Screenshots land in
//! `target/screenshots/`.

use kefu_testkit::browser::Browser;
use kefu_testkit::{spawn_app, Db};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_admin_signs_in_through_the_login_page() {
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let demo = app.app.seed_demo().await.expect("demo seed");
    let Some(mut browser) = Browser::launch().await.expect("chromium starts") else {
        return;
    };
    browser.goto(&format!("{}/login", app.base)).await.unwrap();
    browser.screenshot("login-page").await.unwrap();
    browser.fill("#tenant", &demo.tenant).await.unwrap();
    browser.fill("#username", "admin").await.unwrap();
    browser.fill("#password", demo.password).await.unwrap();
    browser
        .click_and_wait_for_navigation("#login-submit")
        .await
        .unwrap();
    browser
        .wait_for("#whoami", Duration::from_secs(10))
        .await
        .unwrap();
    let who = browser.text("#whoami").await.unwrap();
    assert!(
        who.contains("admin") || who.contains("王管理"),
        "signed in as the admin, header says {who:?}"
    );
    assert!(browser.url().await.unwrap().contains("/admin"));
    let shot = browser.screenshot("admin-console").await.unwrap();
    assert!(std::fs::metadata(&shot).unwrap().len() > 1000);

    browser
        .goto(&format!("{}/admin/users", app.base))
        .await
        .unwrap();
    let page = browser.text("body").await.unwrap();
    for name in ["agent1", "agent4", "lead"] {
        assert!(page.contains(name), "users page lists {name}");
    }
    browser.screenshot("admin-users").await.unwrap();

    // Every page exists in Chinese: switch language from the header.
    browser
        .click_and_wait_for_navigation("#lang-zh")
        .await
        .unwrap();
    let nav = browser.text("#nav-users").await.unwrap();
    assert_eq!(nav.trim(), "用户", "navigation in zh-CN");
    assert_eq!(
        browser.eval("document.documentElement.lang").await.unwrap(),
        "zh-CN"
    );
    browser.screenshot("admin-users-zh").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_in_the_browser_shows_an_error_not_the_console() {
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let demo = app.app.seed_demo().await.expect("demo seed");
    let Some(mut browser) = Browser::launch().await.expect("chromium starts") else {
        return;
    };
    browser.goto(&format!("{}/login", app.base)).await.unwrap();
    browser.fill("#tenant", &demo.tenant).await.unwrap();
    browser.fill("#username", "admin").await.unwrap();
    browser.fill("#password", "not-the-password").await.unwrap();
    browser
        .click_and_wait_for_navigation("#login-submit")
        .await
        .unwrap();
    browser
        .wait_for("#login-error", Duration::from_secs(10))
        .await
        .unwrap();
    assert!(!browser
        .text("#login-error")
        .await
        .unwrap()
        .trim()
        .is_empty());
    assert!(browser.url().await.unwrap().contains("/login"));
    browser.screenshot("login-wrong-password").await.unwrap();
}

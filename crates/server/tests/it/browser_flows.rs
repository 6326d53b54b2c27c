//! The flows page in a real browser: the demo's "查询订单" flow opens in the JSON
//! editor, a broken edit is validated with every problem listed, and the test console
//! runs the flow against the real engine (with the HTTP call to the demo order API).
//! Screenshots land in `target/screenshots/`.

use kefu_testkit::browser::Browser;
use kefu_testkit::{spawn_app, Db};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_validates_and_tests_the_demo_flow() {
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let demo = app.app.seed_demo().await.expect("demo seed");
    let Some(mut browser) = Browser::launch().await.expect("chromium starts") else {
        return;
    };
    let wait = Duration::from_secs(10);
    browser.goto(&format!("{}/login", app.base)).await.unwrap();
    browser.fill("#tenant", &demo.tenant).await.unwrap();
    browser.fill("#username", "admin").await.unwrap();
    browser.fill("#password", demo.password).await.unwrap();
    browser
        .click_and_wait_for_navigation("#login-submit")
        .await
        .unwrap();
    browser.wait_for("#whoami", wait).await.unwrap();
    browser
        .goto(&format!("{}/lang/en", app.base))
        .await
        .unwrap();
    browser
        .goto(&format!("{}/admin/flows", app.base))
        .await
        .unwrap();
    browser.wait_for("#nav-flows", wait).await.unwrap();
    browser.wait_for("button[data-edit]", wait).await.unwrap();
    browser.click("button[data-edit]").await.unwrap();
    browser
        .wait_for("#flow-editor:not([hidden])", wait)
        .await
        .unwrap();
    browser
        .wait_for("#flow-name[value], #flow-json", wait)
        .await
        .unwrap();

    // Break it: an unknown start node and a slot nobody fills.
    let broken = browser
        .eval(
            "(() => { const t = document.getElementById('flow-json'); \
             const d = JSON.parse(t.value); d.start = 'nowhere'; \
             d.nodes[2].text = '{{ghost}}'; t.value = JSON.stringify(d, null, 2); return d.nodes.length; })()",
        )
        .await
        .unwrap();
    assert!(broken.as_u64().unwrap_or(0) > 3, "{broken}");
    browser.click("#flow-validate").await.unwrap();
    browser
        .wait_for("#flow-errors:not([hidden])", wait)
        .await
        .unwrap();
    let errors = browser.text("#flow-errors").await.unwrap();
    assert!(
        errors.contains("definition.start") && errors.contains("unknown_node"),
        "{errors}"
    );
    assert!(
        errors.contains("definition.nodes[2].text") && errors.contains("unknown_slot"),
        "{errors}"
    );
    browser.screenshot("flows-validation-errors").await.unwrap();

    // Back to the saved flow, then run it in the test console.
    browser.click("button[data-edit]").await.unwrap();
    browser
        .wait_for("#flow-errors[hidden]", wait)
        .await
        .unwrap();
    browser.click("#flow-test-start").await.unwrap();
    browser
        .wait_for("#flow-transcript li.bot", wait)
        .await
        .unwrap();
    browser.fill("#flow-test-input", "12").await.unwrap();
    browser.click("#flow-test-send").await.unwrap();
    browser
        .wait_for("#flow-transcript li.bot:nth-of-type(3)", wait)
        .await
        .unwrap();
    browser.fill("#flow-test-input", "20260001").await.unwrap();
    browser.click("#flow-test-send").await.unwrap();
    browser
        .wait_for("#flow-transcript li.end", wait)
        .await
        .unwrap();
    let transcript = browser.text("#flow-transcript").await.unwrap();
    assert!(transcript.contains("再输入一次"), "{transcript}");
    assert!(transcript.contains("HTTP 200"), "{transcript}");
    assert!(
        transcript.contains("订单 20260001 当前状态：已发货"),
        "{transcript}"
    );
    browser.screenshot("flows-test-console").await.unwrap();
}

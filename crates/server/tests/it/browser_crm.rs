//! The customers page in a real browser: the board's SVG charts load with the
//! session, and a CSV import runs with its progress bar to the end, offering
//! the duplicate report. Screenshots land in `target/screenshots/`.

use kefu_testkit::browser::Browser;
use kefu_testkit::{spawn_app, Db};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_imports_customers_with_a_progress_bar() {
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let demo = app.app.seed_demo().await.expect("demo seed");
    let Some(mut browser) = Browser::launch().await.expect("chromium starts") else {
        return;
    };
    browser.goto(&format!("{}/login", app.base)).await.unwrap();
    browser.fill("#tenant", &demo.tenant).await.unwrap();
    browser.fill("#username", "lead").await.unwrap();
    browser.fill("#password", demo.password).await.unwrap();
    browser
        .click_and_wait_for_navigation("#login-submit")
        .await
        .unwrap();
    browser
        .wait_for("#whoami", Duration::from_secs(10))
        .await
        .unwrap();
    browser
        .goto(&format!("{}/lang/en", app.base))
        .await
        .unwrap();
    browser
        .goto(&format!("{}/customers", app.base))
        .await
        .unwrap();
    browser
        .wait_for("#crm-import-form", Duration::from_secs(10))
        .await
        .unwrap();

    // 1,200 rows, the last one repeating the first phone: a duplicate.
    let mut csv = String::from("name,phone,level,status\\n");
    for i in 0..1200 {
        csv += &format!("客户{i},1370000{:04},普通,新线索\\n", i % 1199);
    }
    let js = format!(
        "(() => {{ const dt = new DataTransfer(); \
         dt.items.add(new File([\"{csv}\"], \"customers.csv\", {{type: \"text/csv\"}})); \
         document.getElementById(\"crm-import-file\").files = dt.files; return dt.files.length; }})()"
    );
    assert_eq!(browser.eval(&js).await.unwrap(), 1);
    browser.click("#crm-import-start").await.unwrap();
    browser
        .wait_for("#crm-import-report:not([hidden])", Duration::from_secs(60))
        .await
        .unwrap();
    let status = browser.text("#crm-import-status").await.unwrap();
    assert!(
        status.contains("1200 rows")
            && status.contains("1199 created")
            && status.contains("1 duplicates"),
        "{status}"
    );
    let bar = browser
        .eval("[document.getElementById('crm-import-progress').value, document.getElementById('crm-import-progress').max]")
        .await
        .unwrap();
    assert_eq!(bar, serde_json::json!([1200, 1200]));
    browser.screenshot("customers-import-done").await.unwrap();

    // After a reload the board counts them, drawn as SVG with the session.
    browser
        .goto(&format!("{}/customers", app.base))
        .await
        .unwrap();
    browser
        .wait_for("#crm-total", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(browser.text("#crm-total").await.unwrap().trim(), "1199");
    let mut loaded = serde_json::Value::Null;
    for _ in 0..100 {
        loaded = browser
            .eval("Array.from(document.querySelectorAll('img.crm-chart')).map(i => i.complete && i.naturalWidth > 0)")
            .await
            .unwrap();
        if loaded == serde_json::json!([true, true, true, true]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        loaded,
        serde_json::json!([true, true, true, true]),
        "every chart drew"
    );
    browser.screenshot("customers-board").await.unwrap();
}

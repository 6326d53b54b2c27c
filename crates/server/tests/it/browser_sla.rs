//! Issue 6's closing loop in a real browser: an agent creates a ticket from a
//! live conversation, a colleague in the ticket type's skill group gets it by
//! routing, answers and resolves it; the customer opens the signed progress
//! link, sees it resolved with the public reply, and gives the survey once.
//! The conversation and the ticket's creation go through the REST API; the
//! colleague's reply and resolution, the SLA panel, and the customer's side
//! are the pages themselves. Screenshots in `target/screenshots/`.

use crate::chat::{agent, fixture, go_online, online_agent, text, visitor};
use kefu_testkit::browser::Browser;
use kefu_testkit::{spawn_app, Db};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customer_follows_a_resolved_ticket_and_rates_it() {
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let Some(mut browser) = Browser::launch().await.expect("chromium starts") else {
        return;
    };
    let f = fixture(&app, "sla-browser").await;
    let after_sales =
        f.t.admin
            .post("/api/v1/skill-groups", json!({"name": "售后"}))
            .await
            .id();
    let ty =
        f.t.admin
            .post(
                "/api/v1/ticket-types",
                json!({"name": "售后单", "skill_group_id": after_sales}),
            )
            .await;
    assert_eq!(ty.status, StatusCode::CREATED, "{:?}", ty.body);
    let ty = ty.id();
    let pol =
        f.t.admin
            .post(
                "/api/v1/sla-policies",
                json!({"name": "售后", "ticket_type_id": ty, "first_response_minutes": 60,
                   "resolution_minutes": 480, "warn_percent": 80}),
            )
            .await;
    assert_eq!(pol.status, StatusCode::CREATED, "{:?}", pol.body);

    // A live conversation: the visitor writes, agent1 (front desk) is assigned.
    let (_, agent1, mut ws1) = online_agent(&app, &f, "agent1").await;
    let (a2, agent2, _ws2) = agent(&app, &f, "agent2", &after_sales).await;
    go_online(&agent2, &a2, &f.online).await;
    let (mut v, _) = visitor(&app, &f.key, None, None).await;
    v.send(text("c1", "发票抬头开错了，能重开吗？")).await;
    let conv = ws1.until(5, |f| f["type"] == "assigned").await["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let k = agent1
        .post(
            &format!("/api/v1/conversations/{conv}/tickets"),
            json!({"type_id": ty, "title": "重开发票"}),
        )
        .await;
    assert_eq!(k.status, StatusCode::CREATED, "{:?}", k.body);
    let id = k.id();
    assert_eq!(
        k.body["assignee_id"],
        a2.as_str(),
        "routed to the 售后 member"
    );

    // agent2 works it on the ticket page: the SLA panel shows both clocks
    // running; a public reply meets the first response; then "resolve".
    let r = agent2
        .post(
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"kind": "note", "body": "内部备注：财务已处理"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    browser.goto(&format!("{}/login", app.base)).await.unwrap();
    browser.fill("#tenant", "sla-browser").await.unwrap();
    browser.fill("#username", "agent2").await.unwrap();
    browser
        .fill("#password", kefu_testkit::PASSWORD)
        .await
        .unwrap();
    browser
        .click_and_wait_for_navigation("#login-submit")
        .await
        .unwrap();
    browser
        .goto(&format!("{}/tickets/{id}", app.base))
        .await
        .unwrap();
    browser
        .wait_for("#ticket-sla", Duration::from_secs(10))
        .await
        .unwrap();
    let states = "Array.from(document.querySelectorAll('#ticket-sla .sla-line')).map(l => l.dataset.target + ':' + l.dataset.state)";
    assert_eq!(
        browser.eval(states).await.unwrap(),
        json!(["first_response:running", "resolution:running"])
    );
    browser
        .fill("#ticket-comment-body", "已为您重开发票，请查收邮件。")
        .await
        .unwrap();
    browser
        .click_and_wait_for_navigation("#ticket-comment-submit")
        .await
        .unwrap();
    browser
        .wait_for("#ticket-sla", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        browser.eval(states).await.unwrap(),
        json!(["first_response:met", "resolution:running"])
    );
    browser.screenshot("ticket-sla-panel").await.unwrap();
    browser
        .click_and_wait_for_navigation("#move-resolved")
        .await
        .unwrap();
    browser
        .wait_for(
            "#ticket-status[data-category=resolved]",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(
        browser.eval(states).await.unwrap(),
        json!(["first_response:met", "resolution:met"])
    );

    // agent1 sends the customer the progress link.
    let link = agent1
        .get(&format!("/api/v1/tickets/{id}/progress-link"))
        .await;
    assert_eq!(link.status, StatusCode::OK, "{:?}", link.body);
    let path = link.body["path"].as_str().unwrap().to_string();

    browser.goto(&format!("{}{path}", app.base)).await.unwrap();
    browser
        .wait_for("#progress-status", Duration::from_secs(10))
        .await
        .unwrap();
    let status = browser.text("#progress-status").await.unwrap();
    assert!(
        status.contains("已解决") || status.contains("Resolved"),
        "{status}"
    );
    assert!(
        browser
            .eval("!!document.querySelector('#progress-resolved')")
            .await
            .unwrap()
            == json!(true)
    );
    let replies = browser.text("#replies").await.unwrap();
    assert!(replies.contains("已为您重开发票"), "{replies}");
    assert!(!replies.contains("内部备注"), "internal notes stay inside");
    browser.screenshot("progress-resolved").await.unwrap();

    // Four stars and a comment.
    browser.click("#star-label-4").await.unwrap();
    browser.fill("#survey-comment", "很快，谢谢").await.unwrap();
    let lit = browser
        .eval("Array.from(document.querySelectorAll('.star')).map(s => getComputedStyle(s).color)")
        .await
        .unwrap();
    let gold = lit
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| *c == "rgb(245, 165, 36)")
        .count();
    assert_eq!(gold, 4, "four stars lit: {lit}");
    browser.screenshot("progress-survey-filled").await.unwrap();
    browser
        .click_and_wait_for_navigation("#survey-submit")
        .await
        .unwrap();
    browser
        .wait_for("#survey-given", Duration::from_secs(10))
        .await
        .unwrap();
    let given = browser
        .eval("document.getElementById('survey-given').dataset.rating")
        .await
        .unwrap();
    assert_eq!(given, json!("4"));
    assert!(
        browser
            .eval("!document.querySelector('#survey-form')")
            .await
            .unwrap()
            == json!(true)
    );
    browser.screenshot("progress-rated").await.unwrap();

    // The ticket page shows the customer's answer.
    browser
        .goto(&format!("{}/tickets/{id}", app.base))
        .await
        .unwrap();
    browser
        .wait_for("#ticket-survey", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        browser
            .eval("document.getElementById('ticket-survey').dataset.rating")
            .await
            .unwrap(),
        json!("4")
    );
    browser.screenshot("ticket-with-survey").await.unwrap();

    // Staff see the answer; a second one is refused; the SLA clocks are met.
    let s = agent2.get(&format!("/api/v1/tickets/{id}/survey")).await;
    assert_eq!(s.body["rating"], 4);
    assert_eq!(s.body["comment"], "很快，谢谢");
    let again = kefu_testkit::Client::anonymous(&app.base)
        .post(&format!("/api/v1{path}/survey"), json!({"rating": 1}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let detail = agent2.get(&format!("/api/v1/tickets/{id}/detail")).await;
    let states: Vec<&str> = detail.body["sla"]["timers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["met", "met"], "{:?}", detail.body["sla"]);
    assert_eq!(detail.body["survey"]["rating"], 4);
}

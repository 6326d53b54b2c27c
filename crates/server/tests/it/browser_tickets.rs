//! Tickets in real browsers (issue 6): an agent creates a ticket from a live
//! conversation for another skill group; a colleague in that group receives it
//! (pushed to their workbench, listed as theirs) and resolves it; the
//! customer opens the progress link, sees it resolved and rates it.

use crate::browser_chat::{sign_in, wait_until};
use kefu_domain::BuiltinRole;
use kefu_testkit::browser::Browser;
use kefu_testkit::ws::Ws;
use kefu_testkit::{spawn_app, Db, Tenant, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

/// The customer opens the ticket's signed progress link (进度跟踪) in a
/// browser of their own, sees it resolved, and rates it (the SLA work).
async fn customer_opens_progress_link(
    customer: &mut Browser,
    app: &TestApp,
    t: &Tenant,
    ticket: &Value,
) {
    let id = ticket["id"].as_str().expect("ticket id");
    let link = t
        .admin
        .get(&format!("/api/v1/tickets/{id}/progress-link"))
        .await;
    assert_eq!(link.status, reqwest::StatusCode::OK, "{:?}", link.body);
    let path = link.body["path"].as_str().expect("link path");
    customer.goto(&format!("{}{path}", app.base)).await.unwrap();
    customer
        .wait_for("#progress-status", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        customer
            .eval("document.getElementById('progress-status').dataset.resolved")
            .await
            .unwrap(),
        json!("true")
    );
    assert!(customer
        .text("#main")
        .await
        .unwrap()
        .contains(ticket["title"].as_str().unwrap()));
    customer
        .screenshot("tickets-7-customer-progress")
        .await
        .unwrap();
    customer.click("#star-label-5").await.unwrap();
    customer
        .click_and_wait_for_navigation("#survey-submit")
        .await
        .unwrap();
    customer
        .wait_for("#survey-given[data-rating='5']", Duration::from_secs(10))
        .await
        .unwrap();
    customer
        .screenshot("tickets-8-customer-rated")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_files_a_ticket_from_a_chat_and_a_colleague_resolves_it() {
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let t = app.tenant("shop").await;
    let front = t
        .admin
        .post("/api/v1/skill-groups", json!({"name": "前台"}))
        .await
        .id();
    let after_sales = t
        .admin
        .post("/api/v1/skill-groups", json!({"name": "售后"}))
        .await
        .id();
    let key = t
        .admin
        .post(
            "/api/v1/channels",
            json!({"name": "商城", "skill_group_id": front}),
        )
        .await
        .body["public_key"]
        .as_str()
        .expect("channel key")
        .to_string();
    let r = t
        .admin
        .post(
            "/api/v1/ticket-types",
            json!({"name": "售后工单", "skill_group_id": front,
                   "fields": [{"key": "order_no", "label": "订单号", "kind": "text", "required": true},
                              {"key": "detail", "label": "问题描述", "kind": "rich_text"}]}),
        )
        .await;
    assert_eq!(r.status, reqwest::StatusCode::CREATED, "{:?}", r.body);
    let online = t.admin.get("/api/v1/reception-statuses").await.body;
    let online = online
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["can_receive"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ids = Vec::new();
    for (name, group) in [("xiaomei", &front), ("dongge", &after_sales)] {
        let (id, c) = app.user(&t, name, BuiltinRole::Agent).await;
        t.admin
            .put(
                &format!("/api/v1/skill-groups/{group}/members/{id}"),
                json!({"level": 5}),
            )
            .await;
        c.put(
            &format!("/api/v1/users/{id}/status"),
            json!({"status_id": online}),
        )
        .await;
        ids.push(id);
    }

    let Some(mut agent) = Browser::launch().await.expect("chromium") else {
        return;
    };
    let Some(mut colleague) = Browser::launch().await.expect("chromium") else {
        return;
    };
    sign_in(&mut agent, &app.base, "shop", "xiaomei").await;
    sign_in(&mut colleague, &app.base, "shop", "dongge").await;

    // A live conversation: a visitor writes, xiaomei (前台) gets it.
    let url = format!(
        "{}/api/v1/visitor/ws?channel={key}",
        app.base.replace("http://", "ws://")
    );
    let mut visitor = Ws::connect(&url, None).await.expect("visitor socket");
    visitor.recv(5).await;
    visitor
        .send(json!({"type": "message", "client_id": "v1", "body": {"kind": "text", "text": "手机屏幕碎了，订单 SO-88"}}))
        .await;
    wait_until(
        &mut agent,
        "conversation listed",
        "!!document.querySelector('#wb-conversations [data-conversation]')",
    )
    .await;
    agent
        .eval("document.querySelector('#wb-conversations [data-conversation]').click(); true")
        .await
        .unwrap();
    // The customer panel offers "create ticket", prefilled with this conversation.
    wait_until(
        &mut agent,
        "ticket panel",
        "!document.querySelector('#wb-tickets-section').hidden && document.querySelector('#wb-ticket-create').href.includes('conversation_id=')",
    )
    .await;
    agent.screenshot("tickets-1-workbench-panel").await.unwrap();
    let create = agent
        .eval("document.querySelector('#wb-ticket-create').href")
        .await
        .unwrap();
    agent.goto(create.as_str().unwrap()).await.unwrap();
    agent
        .click_and_wait_for_navigation("#tn-next")
        .await
        .unwrap();
    agent
        .wait_for("#tn-title", Duration::from_secs(10))
        .await
        .unwrap();
    agent.fill("#tn-title", "屏幕碎裂，申请维修").await.unwrap();
    agent.fill("#tf-f_order_no", "SO-88").await.unwrap();
    agent
        .eval(&format!(
            "const g = document.querySelector('#tn-group'); g.value = '{after_sales}'; g.dispatchEvent(new Event('change')); g.value === '{after_sales}'"
        ))
        .await
        .unwrap();
    agent.screenshot("tickets-2-new-ticket-form").await.unwrap();
    agent
        .click_and_wait_for_navigation("#tn-create")
        .await
        .unwrap();
    agent
        .wait_for("#ticket-heading", Duration::from_secs(10))
        .await
        .unwrap();
    let page_url = agent.url().await.unwrap();
    let ticket_id = page_url.rsplit('/').next().unwrap_or_default().to_string();
    assert_eq!(
        agent.text("#ticket-group").await.unwrap().trim(),
        "售后",
        "handed to the target group"
    );
    agent.screenshot("tickets-3-created").await.unwrap();
    // The ticket links the conversation's transcript.
    agent
        .click_and_wait_for_navigation("#ticket-transcript")
        .await
        .unwrap();
    agent
        .wait_for("#transcript", Duration::from_secs(10))
        .await
        .unwrap();
    assert!(
        agent
            .text("#transcript")
            .await
            .unwrap()
            .contains("手机屏幕碎了"),
        "the transcript shows the visitor's words"
    );

    // The colleague in 售后 is told on their workbench, finds it in their list…
    wait_until(
        &mut colleague,
        "ticket pushed to the colleague's workbench",
        "!document.querySelector('#wb-ticket-alert').hidden && document.querySelector('#wb-ticket-alert').textContent.includes('屏幕碎裂')",
    )
    .await;
    colleague
        .screenshot("tickets-4-colleague-notified")
        .await
        .unwrap();
    colleague
        .goto(&format!("{}/tickets?mine=1", app.base))
        .await
        .unwrap();
    colleague
        .wait_for("#tickets-table", Duration::from_secs(10))
        .await
        .unwrap();
    let row = colleague
        .text(&format!("#tickets-table tr[data-id='{ticket_id}']"))
        .await
        .unwrap();
    assert!(row.contains("屏幕碎裂，申请维修"), "{row}");
    colleague
        .screenshot("tickets-5-colleague-list")
        .await
        .unwrap();
    // …and resolves it.
    colleague
        .click_and_wait_for_navigation(&format!("#tickets-table tr[data-id='{ticket_id}'] a"))
        .await
        .unwrap();
    colleague
        .wait_for("#move-resolved", Duration::from_secs(10))
        .await
        .unwrap();
    colleague
        .click_and_wait_for_navigation("#move-resolved")
        .await
        .unwrap();
    wait_until(
        &mut colleague,
        "resolved",
        "document.querySelector('#ticket-status')?.dataset.category === 'resolved'",
    )
    .await;
    colleague.screenshot("tickets-6-resolved").await.unwrap();
    // The print view: the ticket on paper, without the console around it.
    colleague
        .goto(&format!("{}/tickets/{ticket_id}/print", app.base))
        .await
        .unwrap();
    colleague
        .wait_for("#print-status", Duration::from_secs(10))
        .await
        .unwrap();
    assert!(
        colleague
            .eval("!document.querySelector('#sidenav')")
            .await
            .unwrap()
            == json!(true)
    );
    colleague.screenshot("tickets-7-print").await.unwrap();

    // What the browsers showed is what is stored.
    let k = t
        .admin
        .get(&format!("/api/v1/tickets/{ticket_id}"))
        .await
        .body;
    assert_eq!(k["status_category"], "resolved");
    assert_eq!(k["assignee_id"], ids[1].as_str());
    assert_eq!(k["source"], "conversation");
    assert!(k["conversation_id"].is_string());
    assert_eq!(k["fields"]["order_no"], "SO-88");
    let h = t
        .admin
        .get(&format!("/api/v1/tickets/{ticket_id}/history"))
        .await
        .body;
    let resolved_by = h
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "status")
        .map(|c| c["actor_name"].clone());
    assert_eq!(resolved_by, Some(json!("dongge")));
    let Some(mut customer) = Browser::launch().await.expect("chromium") else {
        return;
    };
    customer_opens_progress_link(&mut customer, &app, &t, &k).await;
}

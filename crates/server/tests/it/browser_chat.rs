//! Online service in real browsers: a customer's page embedding the widget, and
//! agents in the workbench, each in their own Chromium.

use kefu_domain::BuiltinRole;
use kefu_testkit::browser::Browser;
use kefu_testkit::{spawn_app, Client, Db, TestApp, PASSWORD};
use serde_json::{json, Value};
use std::time::Duration;

/// A stand-in for a customer's website: one static page with the script tag.
pub(crate) async fn host_page(kefu: &str, key: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let html = format!(
        "<!doctype html><html><head><meta charset=utf-8><title>某某商城</title>\
         <style>body{{font-family:serif;background:#fafafa}} button{{background:red!important}} div{{border:3px solid lime}}</style></head>\
         <body><h1>欢迎光临某某商城</h1><p>A customer's own page with hostile CSS.</p>\
         <script src=\"{kefu}/widget.js\" data-channel=\"{key}\" async></script></body></html>"
    );
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let html = html.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let resp = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}", html.len());
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/")
}

/// Run JS inside the widget's shadow root.
pub(crate) fn in_widget(js: &str) -> String {
    format!("(() => {{ const r = document.querySelector('kefu-widget').shadowRoot; {js} }})()")
}

async fn widget_text(b: &mut Browser) -> String {
    b.eval(&in_widget(
        "return r.getElementById('kefu-messages').innerText;",
    ))
    .await
    .unwrap()
    .as_str()
    .unwrap_or("")
    .to_string()
}

pub(crate) async fn wait_until(b: &mut Browser, what: &str, js: &str) {
    for _ in 0..100 {
        if b.eval(js).await.unwrap_or(Value::Null) == Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = b
        .screenshot(&format!("timeout-{}", what.replace(' ', "-")))
        .await;
    panic!("timed out waiting for {what}");
}

pub(crate) async fn sign_in(b: &mut Browser, base: &str, tenant: &str, user: &str) {
    b.goto(&format!("{base}/login")).await.unwrap();
    b.fill("#tenant", tenant).await.unwrap();
    b.fill("#username", user).await.unwrap();
    b.fill("#password", PASSWORD).await.unwrap();
    b.click_and_wait_for_navigation("#login-submit")
        .await
        .unwrap();
    b.goto(&format!("{base}/workbench")).await.unwrap();
    b.wait_for("#wb-conversations", Duration::from_secs(10))
        .await
        .unwrap();
    wait_until(
        b,
        "workbench socket",
        "document.querySelector('#wb-connection')?.dataset.state === 'online'",
    )
    .await;
}

struct Setup {
    app: TestApp,
    admin: Client,
    key: String,
    groups: [String; 2],
    agents: [(String, Client); 2],
}

async fn setup() -> Option<Setup> {
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let t = app.tenant("shop").await;
    let pre = t
        .admin
        .post("/api/v1/skill-groups", json!({"name": "售前"}))
        .await
        .id();
    let post = t
        .admin
        .post("/api/v1/skill-groups", json!({"name": "售后"}))
        .await
        .id();
    let key = t
        .admin
        .post(
            "/api/v1/channels",
            json!({"name": "商城", "skill_group_id": pre, "greeting": "您好，这里是商城客服"}),
        )
        .await
        .body["public_key"]
        .as_str()?
        .to_string();
    let statuses = t.admin.get("/api/v1/reception-statuses").await.body;
    let online = statuses
        .as_array()?
        .iter()
        .find(|s| s["can_receive"] == true)?["id"]
        .as_str()?
        .to_string();
    let mut agents = Vec::new();
    for (name, group) in [("xiaomei", &pre), ("dongge", &post)] {
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
        agents.push((id, c));
    }
    let [a1, a2]: [(String, Client); 2] = agents.try_into().ok()?;
    Some(Setup {
        app,
        admin: t.admin,
        key,
        groups: [pre, post],
        agents: [a1, a2],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_widget_visitor_and_workbench_agents_talk_transfer_and_rate() {
    let Some(s) = setup().await else {
        panic!("setup")
    };
    let Some(mut visitor) = Browser::launch().await.expect("chromium") else {
        return;
    };
    let Some(mut agent1) = Browser::launch().await.expect("chromium") else {
        return;
    };
    let Some(mut agent2) = Browser::launch().await.expect("chromium") else {
        return;
    };
    sign_in(&mut agent1, &s.app.base, "shop", "xiaomei").await;
    sign_in(&mut agent2, &s.app.base, "shop", "dongge").await;

    // (1) The customer's page: open the widget and write.
    let page = host_page(&s.app.base, &s.key).await;
    visitor.goto(&page).await.unwrap();
    wait_until(
        &mut visitor,
        "widget loaded",
        "!!document.querySelector('kefu-widget')?.shadowRoot?.getElementById('kefu-launcher')",
    )
    .await;
    visitor
        .eval(&in_widget(
            "r.getElementById('kefu-launcher').click(); return true;",
        ))
        .await
        .unwrap();
    wait_until(
        &mut visitor,
        "widget connected",
        "window.__kefuWidget && window.__kefuWidget.state().connected === true",
    )
    .await;
    visitor
        .eval(&in_widget("const i = r.getElementById('kefu-input'); i.value = '你好，这件衣服有M码吗？'; i.dispatchEvent(new Event('input')); r.getElementById('kefu-send').click(); return true;"))
        .await
        .unwrap();
    visitor.screenshot("chat-1-visitor-writes").await.unwrap();

    // The agent's workbench shows the new conversation; they open it and reply.
    wait_until(
        &mut agent1,
        "conversation listed",
        "!!document.querySelector('#wb-conversations [data-conversation]')",
    )
    .await;
    agent1
        .eval("document.querySelector('#wb-conversations [data-conversation]').click(); true")
        .await
        .unwrap();
    wait_until(
        &mut agent1,
        "visitor text shown",
        "document.querySelector('#wb-messages').innerText.includes('这件衣服有M码吗')",
    )
    .await;
    agent1
        .fill("#wb-input", "有的，M码还有库存。")
        .await
        .unwrap();
    agent1.click("#wb-send").await.unwrap();
    agent1.screenshot("chat-2-agent-replies").await.unwrap();
    wait_until(
        &mut visitor,
        "reply in widget",
        &in_widget("return r.getElementById('kefu-messages').innerText.includes('M码还有库存');"),
    )
    .await;
    visitor
        .screenshot("chat-3-visitor-sees-reply")
        .await
        .unwrap();
    // The host page's CSS did not leak into the widget.
    let button_bg = visitor
        .eval(&in_widget(
            "return getComputedStyle(r.getElementById('kefu-send')).backgroundColor;",
        ))
        .await
        .unwrap();
    assert_ne!(
        button_bg,
        json!("rgb(255, 0, 0)"),
        "host CSS reached the widget"
    );

    // (2) Transfer to the after-sales group with a note; the other agent sees both.
    agent1.click("#wb-transfer").await.unwrap();
    agent1
        .wait_for("#wb-transfer-dialog", Duration::from_secs(5))
        .await
        .unwrap();
    let option = format!(
        "!!document.querySelector('#wb-transfer-group option[value=\"{}\"]')",
        s.groups[1]
    );
    wait_until(&mut agent1, "transfer targets loaded", &option).await;
    agent1
        .eval(&format!("const g = document.querySelector('#wb-transfer-group'); g.value = '{}'; g.dispatchEvent(new Event('change')); true", s.groups[1]))
        .await
        .unwrap();
    agent1
        .fill("#wb-transfer-note", "客户要换尺码，请售后跟进")
        .await
        .unwrap();
    agent1.click("#wb-transfer-submit").await.unwrap();
    wait_until(
        &mut agent2,
        "transferred conversation listed",
        "!!document.querySelector('#wb-conversations [data-conversation]')",
    )
    .await;
    agent2
        .eval("document.querySelector('#wb-conversations [data-conversation]').click(); true")
        .await
        .unwrap();
    wait_until(
        &mut agent2,
        "note shown to the new agent",
        "document.querySelector('#wb-messages').innerText.includes('客户要换尺码，请售后跟进')",
    )
    .await;
    assert!(
        agent2
            .text("#wb-messages")
            .await
            .unwrap()
            .contains("这件衣服有M码吗"),
        "history travels with the transfer"
    );
    agent2.screenshot("chat-4-transfer-received").await.unwrap();

    // (3) The new agent invites a rating; the visitor gives five stars.
    agent2.click("#wb-invite-rating").await.unwrap();
    wait_until(
        &mut visitor,
        "rating form",
        &in_widget(
            "const f = r.getElementById('kefu-rate'); return !!f && f.offsetParent !== null;",
        ),
    )
    .await;
    visitor.eval(&in_widget("r.getElementById('kefu-star-5').click(); r.getElementById('kefu-rate-submit').click(); return true;")).await.unwrap();
    visitor.screenshot("chat-5-visitor-rates").await.unwrap();
    let conv = s.agents[1].1.get("/api/v1/conversations").await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..50 {
        if s.admin
            .get(&format!("/api/v1/conversations/{conv}"))
            .await
            .body["rating_stars"]
            == 5
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        s.admin
            .get(&format!("/api/v1/conversations/{conv}"))
            .await
            .body["rating_stars"],
        5
    );
    let text = widget_text(&mut visitor).await;
    assert!(text.contains("M码还有库存"));
    let _ = &s.agents[0];
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_page_shows_a_new_queued_visitor_without_polling() {
    let Some(s) = setup().await else {
        panic!("setup")
    };
    // Everyone in the pre-sales group is full: the next visitor must queue.
    let agent_id = &s.agents[0].0;
    s.admin
        .patch(
            &format!("/api/v1/users/{agent_id}"),
            json!({"reception_limit": 0}),
        )
        .await;
    let roles = s.admin.get("/api/v1/roles").await.body;
    let lead_role = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["builtin"] == "team_lead")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = s.admin.post("/api/v1/users", json!({"username": "banzhang", "password": PASSWORD, "display_name": "班长", "role_id": lead_role})).await;
    assert_eq!(r.status, reqwest::StatusCode::CREATED);
    let Some(mut b) = Browser::launch().await.expect("chromium") else {
        return;
    };
    b.goto(&format!("{}/login", s.app.base)).await.unwrap();
    b.fill("#tenant", "shop").await.unwrap();
    b.fill("#username", "banzhang").await.unwrap();
    b.fill("#password", PASSWORD).await.unwrap();
    b.click_and_wait_for_navigation("#login-submit")
        .await
        .unwrap();
    b.goto(&format!("{}/monitor", s.app.base)).await.unwrap();
    let card = format!(
        "document.querySelector('#mon-groups [data-group=\"{}\"] .mon-queue-length')",
        s.groups[0]
    );
    wait_until(
        &mut b,
        "monitor loaded",
        &format!("!!{card} && {card}.innerText.trim() === '0'"),
    )
    .await;
    wait_until(
        &mut b,
        "monitor socket",
        "document.querySelector('#mon-connection')?.dataset.state === 'online' || true",
    )
    .await;
    // The page is live once its socket's monitor subscription is confirmed.
    wait_until(
        &mut b,
        "monitor live",
        "document.querySelector('#mon-connection')?.dataset.state === 'online'",
    )
    .await;
    // A visitor arrives (a plain socket is enough here).
    let url = format!(
        "{}/api/v1/visitor/ws?channel={}",
        s.app.base.replace("http://", "ws://"),
        s.key
    );
    let mut v = kefu_testkit::ws::Ws::connect(&url, None).await.unwrap();
    v.recv(5).await;
    let started = std::time::Instant::now();
    v.send(
        json!({"type": "message", "client_id": "q", "body": {"kind": "text", "text": "排队中"}}),
    )
    .await;
    wait_until(
        &mut b,
        "queue length 1 on the page",
        &format!("{card}.innerText.trim() === '1'"),
    )
    .await;
    let took = started.elapsed();
    b.screenshot("monitor-new-queued-visitor").await.unwrap();
    // Pushed, not polled: the page's fallback poll is every 10 s. (The 1 s target
    // is a performance figure; the observed time is printed, not asserted.)
    eprintln!("monitor page showed the queued visitor after {took:?}");
    assert!(
        took < Duration::from_secs(5),
        "the monitor page waited for its poll: {took:?}"
    );
}

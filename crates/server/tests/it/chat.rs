//! Online service over real WebSockets: the whole lifecycle, queueing, transfer,
//! rating, leave-message, and reconnect with exactly-once delivery.

use kefu_domain::BuiltinRole;
use kefu_testkit::ws::Ws;
use kefu_testkit::{Client, Tenant, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    visitor_and_agent_talk_from_first_message_to_rating,
    text_typed_while_queued_reaches_the_agent,
    transfer_to_another_group_carries_the_note,
    nobody_online_means_leave_a_message,
    reconnecting_visitor_gets_every_message_exactly_once,
    images_travel_by_capability_url_and_the_customer_panel_is_editable,
    both_sides_typing_at_once_lose_nothing,
    agent_replies_come_in_frame_order,
);

pub(crate) struct Fixture {
    pub t: Tenant,
    pub group: String,
    pub key: String,
    pub online: String,
}

pub(crate) async fn fixture(app: &TestApp, slug: &str) -> Fixture {
    let t = app.tenant(slug).await;
    let group = t
        .admin
        .post("/api/v1/skill-groups", json!({"name": "售前"}))
        .await
        .id();
    let ch = t
        .admin
        .post(
            "/api/v1/channels",
            json!({"name": "官网", "skill_group_id": group, "greeting": "您好！"}),
        )
        .await;
    assert_eq!(ch.status, StatusCode::CREATED, "{:?}", ch.body);
    let statuses = t.admin.get("/api/v1/reception-statuses").await.body;
    let online = statuses
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["can_receive"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    Fixture {
        key: ch.body["public_key"].as_str().unwrap().to_string(),
        t,
        group,
        online,
    }
}

/// An agent in `group`, online, with their workbench socket open.
pub(crate) async fn agent(
    app: &TestApp,
    f: &Fixture,
    name: &str,
    group: &str,
) -> (String, Client, Ws) {
    let (id, c) = app.user(&f.t, name, BuiltinRole::Agent).await;
    assert_eq!(
        f.t.admin
            .put(
                &format!("/api/v1/skill-groups/{group}/members/{id}"),
                json!({"level": 5})
            )
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let ws = agent_socket(app, &c).await;
    (id, c, ws)
}

/// An agent in the fixture's group, online, with their socket open.
pub(crate) async fn online_agent(app: &TestApp, f: &Fixture, name: &str) -> (String, Client, Ws) {
    let (id, c, ws) = agent(app, f, name, &f.group).await;
    go_online(&c, &id, &f.online).await;
    (id, c, ws)
}

pub(crate) async fn agent_socket(app: &TestApp, c: &Client) -> Ws {
    let url = format!("{}/api/v1/agent/ws", app.base.replace("http://", "ws://"));
    let mut ws = Ws::connect(&url, c.cookie().as_deref())
        .await
        .expect("agent socket");
    assert_eq!(ws.recv(5).await["type"], "welcome");
    ws
}

pub(crate) async fn go_online(c: &Client, id: &str, status: &str) {
    let r = c
        .put(
            &format!("/api/v1/users/{id}/status"),
            json!({"status_id": status}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

pub(crate) async fn visitor(
    app: &TestApp,
    key: &str,
    token: Option<&str>,
    last_seq: Option<i64>,
) -> (Ws, Value) {
    let mut url = format!(
        "{}/api/v1/visitor/ws?channel={key}",
        app.base.replace("http://", "ws://")
    );
    if let Some(t) = token {
        url.push_str(&format!("&token={t}"));
    }
    if let Some(s) = last_seq {
        url.push_str(&format!("&last_seq={s}"));
    }
    let mut ws = Ws::connect(&url, None).await.expect("visitor socket");
    let welcome = ws.recv(5).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    (ws, welcome)
}

pub(crate) fn text(client_id: &str, t: &str) -> Value {
    json!({"type": "message", "client_id": client_id, "body": {"kind": "text", "text": t}})
}

pub(crate) fn is_text(f: &Value, t: &str) -> bool {
    f["type"] == "event" && f["body"]["text"] == t
}

async fn visitor_and_agent_talk_from_first_message_to_rating(app: TestApp) {
    let f = fixture(&app, "chatco").await;
    let (_agent_id, agent_http, mut agent_ws) = online_agent(&app, &f, "agent1").await;
    let (mut v, welcome) = visitor(&app, &f.key, None, None).await;
    assert_eq!(welcome["channel"]["greeting"], "您好！");
    assert!(welcome["visitor_token"].as_str().unwrap().len() > 10);

    v.send(text("m1", "你好，我想咨询订单")).await;
    let ack = v.until(5, |f| f["type"] == "ack").await;
    assert_eq!(ack["client_id"], "m1");
    let conv = ack["conversation_id"].as_str().unwrap().to_string();
    // The agent is given the conversation, with its history.
    let assigned = agent_ws.until(5, |f| f["type"] == "assigned").await;
    assert_eq!(assigned["conversation"]["id"], conv.as_str());
    assert!(
        assigned["explanation"]["winner"].is_string(),
        "the decision explains itself: {assigned}"
    );
    agent_ws
        .until(5, |f| is_text(f, "你好，我想咨询订单"))
        .await;
    v.until(5, |f| {
        f["type"] == "event" && f["body"]["event"] == "assigned"
    })
    .await;

    agent_ws.send(json!({"type": "message", "conversation_id": conv, "client_id": "a1", "body": {"kind": "text", "text": "您好，请提供订单号"}})).await;
    agent_ws
        .until(5, |f| f["type"] == "ack" && f["client_id"] == "a1")
        .await;
    v.until(5, |f| is_text(f, "您好，请提供订单号")).await;
    // An internal note never reaches the visitor.
    agent_ws.send(json!({"type": "message", "conversation_id": conv, "client_id": "n1", "private": true, "body": {"kind": "text", "text": "老客户，注意语气"}})).await;
    agent_ws
        .until(5, |f| f["type"] == "ack" && f["client_id"] == "n1")
        .await;

    agent_ws
        .send(json!({"type": "invite_rating", "conversation_id": conv}))
        .await;
    v.until(5, |f| f["type"] == "rating_invite").await;
    v.send(json!({"type": "rate", "stars": 5, "tags": ["回复及时"], "comment": "很好"}))
        .await;
    v.until(5, |f| f["type"] == "rated").await;
    agent_ws.send(json!({"type": "close", "conversation_id": conv, "resolved": true, "summary": "已告知物流", "tags": ["订单"]})).await;
    v.until(5, |f| {
        f["type"] == "event" && f["body"]["event"] == "completed"
    })
    .await;
    assert!(
        !v.seen.iter().any(|f| is_text(f, "老客户，注意语气")),
        "internal note leaked to the visitor"
    );
    // The agent can no longer write into it, and is told why.
    agent_ws.send(json!({"type": "message", "conversation_id": conv, "client_id": "a2", "body": {"kind": "text", "text": "还在吗"}})).await;
    let err = agent_ws.until(5, |f| f["type"] == "error").await;
    assert_eq!(err["code"], "conversation_ended", "{err}");

    let c = agent_http
        .get(&format!("/api/v1/conversations/{conv}"))
        .await;
    assert_eq!(c.status, StatusCode::OK, "{:?}", c.body);
    assert_eq!(
        (
            c.body["state"].clone(),
            c.body["rating_stars"].clone(),
            c.body["summary"].clone()
        ),
        (json!("completed"), json!(5), json!("已告知物流"))
    );
    let events = agent_http
        .get(&format!("/api/v1/conversations/{conv}/events"))
        .await
        .body;
    let seqs: Vec<i64> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "gap-free log"
    );
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "system")
        .map(|e| e["body"]["event"].as_str().unwrap())
        .collect();
    for k in ["queued", "assigned", "rating_invited", "rated", "completed"] {
        assert!(kinds.contains(&k), "{k} recorded: {kinds:?}");
    }

    // Writing again after the end starts a new conversation; the finished
    // one's log stays as it was.
    v.send(text("m2", "还有一个问题")).await;
    let ack = v
        .until(5, |f| f["type"] == "ack" && f["client_id"] == "m2")
        .await;
    let next = ack["conversation_id"].as_str().unwrap();
    assert_ne!(next, conv, "a completed conversation takes no new messages");
    let after = agent_http
        .get(&format!("/api/v1/conversations/{conv}/events"))
        .await
        .body;
    assert_eq!(after.as_array().unwrap().len(), seqs.len());
}

async fn text_typed_while_queued_reaches_the_agent(app: TestApp) {
    let f = fixture(&app, "queueco").await;
    let (agent_id, agent_http, mut agent_ws) = agent(&app, &f, "agent1", &f.group).await;
    // One chat at a time (接待上限 1), and it is taken by the first visitor.
    assert_eq!(
        f.t.admin
            .patch(
                &format!("/api/v1/users/{agent_id}"),
                json!({"reception_limit": 1})
            )
            .await
            .status,
        StatusCode::OK
    );
    go_online(&agent_http, &agent_id, &f.online).await;
    let (mut first, _) = visitor(&app, &f.key, None, None).await;
    first.send(text("f1", "第一位")).await;
    let busy = agent_ws.until(5, |f| f["type"] == "assigned").await["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The second visitor queues, and keeps typing while waiting.
    let (mut v, _) = visitor(&app, &f.key, None, None).await;
    v.send(text("q1", "有人吗？")).await;
    let q = v.until(5, |f| f["type"] == "queue").await;
    assert_eq!(q["position"], 0);
    assert!(
        q["estimated_wait_ms"].as_i64().unwrap() > 0,
        "an estimate while someone is receiving: {q}"
    );
    v.send(text("q2", "我的快递三天没动了")).await;
    v.until(5, |f| f["type"] == "ack" && f["client_id"] == "q2")
        .await;
    assert!(
        agent_ws
            .drain(300)
            .await
            .iter()
            .all(|f| f["type"] != "assigned"),
        "the agent is full"
    );
    // The first chat ends: the waiting visitor is assigned at once, with everything typed.
    agent_ws.send(json!({"type": "close", "conversation_id": busy, "resolved": true, "summary": "", "tags": []})).await;
    agent_ws.until(5, |f| f["type"] == "assigned").await;
    agent_ws.until(5, |f| is_text(f, "有人吗？")).await;
    agent_ws
        .until(5, |f| is_text(f, "我的快递三天没动了"))
        .await;
    v.until(5, |f| {
        f["type"] == "event" && f["body"]["event"] == "assigned"
    })
    .await;
}

async fn transfer_to_another_group_carries_the_note(app: TestApp) {
    let f = fixture(&app, "xferco").await;
    let after_sales =
        f.t.admin
            .post("/api/v1/skill-groups", json!({"name": "售后"}))
            .await
            .id();
    let (a1, a1_http, mut a1_ws) = agent(&app, &f, "agent1", &f.group).await;
    let (a2, a2_http, mut a2_ws) = agent(&app, &f, "agent2", &after_sales).await;
    go_online(&a1_http, &a1, &f.online).await;
    go_online(&a2_http, &a2, &f.online).await;
    let (mut v, _) = visitor(&app, &f.key, None, None).await;
    v.send(text("m1", "我要退货")).await;
    let conv = a1_ws.until(5, |f| f["type"] == "assigned").await["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    a1_ws.send(json!({"type": "transfer", "conversation_id": conv, "to_group_id": after_sales, "note": "客户要退货，已核实订单"})).await;
    a1_ws
        .until(5, |f| f["type"] == "done" || f["type"] == "error")
        .await;
    let got = a2_ws.until(5, |f| f["type"] == "assigned").await;
    assert_eq!(got["conversation"]["id"], conv.as_str());
    let note = a2_ws
        .until(5, |f| {
            f["type"] == "event" && f["body"]["event"] == "transferred"
        })
        .await;
    assert_eq!(note["body"]["note"], "客户要退货，已核实订单");
    assert!(
        a2_ws.seen.iter().any(|f| is_text(f, "我要退货")),
        "the new agent has the history"
    );
    // The first agent may no longer act on it.
    a1_ws.send(json!({"type": "message", "conversation_id": conv, "client_id": "x", "body": {"kind": "text", "text": "还在吗"}})).await;
    let err = a1_ws.until(5, |f| f["type"] == "error").await;
    assert_eq!(err["code"], "not_found");
    v.until(5, |f| {
        f["type"] == "event" && f["body"]["event"] == "transferred"
    })
    .await;
}

async fn nobody_online_means_leave_a_message(app: TestApp) {
    let f = fixture(&app, "offlineco").await;
    let (mut v, _) = visitor(&app, &f.key, None, None).await;
    v.send(text("m1", "在吗")).await;
    let off = v.until(5, |f| f["type"] == "offline").await;
    assert_eq!(off["reason"], "nobody_online");
    v.send(json!({"type": "leave_message", "name": "王先生", "phone": "13800000000", "email": "", "text": "请明天回电"})).await;
    v.until(5, |f| f["type"] == "message_left").await;
    let list = f.t.admin.get("/api/v1/offline-messages").await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    let first = &list.body.as_array().unwrap()[0];
    assert_eq!(
        (first["name"].clone(), first["text"].clone()),
        (json!("王先生"), json!("请明天回电"))
    );
    v.send(json!({"type": "leave_message", "name": "x", "text": "   "}))
        .await;
    assert_eq!(
        v.until(5, |f| f["type"] == "error").await["code"],
        "validation_failed"
    );
}

async fn reconnecting_visitor_gets_every_message_exactly_once(app: TestApp) {
    let f = fixture(&app, "reconnect").await;
    let (_agent_id, _agent_http, mut agent_ws) = online_agent(&app, &f, "agent1").await;
    let (mut v, welcome) = visitor(&app, &f.key, None, None).await;
    let token = welcome["visitor_token"].as_str().unwrap().to_string();
    v.send(text("v0", "开始")).await;
    let first_ack = v.until(5, |f| f["type"] == "ack").await["seq"]
        .as_i64()
        .unwrap();
    let conv = agent_ws.until(5, |f| f["type"] == "assigned").await["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let say = |i: usize| json!({"type": "message", "conversation_id": conv, "client_id": format!("a{i}"), "body": {"kind": "text", "text": format!("agent {i}")}});
    for i in 0..5 {
        agent_ws.send(say(i)).await;
        v.until(5, |f| is_text(f, &format!("agent {i}"))).await;
    }
    let last_seen = *v.event_seqs().iter().max().unwrap();
    // The visitor's network dies mid-stream; the agent keeps talking.
    v.kill();
    for i in 5..10 {
        agent_ws.send(say(i)).await;
        agent_ws
            .until(5, |f| {
                f["type"] == "ack" && f["client_id"] == format!("a{i}")
            })
            .await;
    }
    // The visitor retries a message it was not sure got through, then more.
    let (mut v2, welcome2) = visitor(&app, &f.key, Some(&token), Some(last_seen)).await;
    assert_eq!(
        welcome2["conversation"]["id"],
        conv.as_str(),
        "same conversation after reconnecting"
    );
    v2.send(text("v0", "开始")).await;
    let retry = v2.until(5, |f| f["type"] == "ack").await;
    assert_eq!(
        retry["seq"].as_i64().unwrap(),
        first_ack,
        "the retried client id keeps its original seq"
    );
    for i in 10..13 {
        agent_ws.send(say(i)).await;
    }
    v2.until(5, |f| is_text(f, "agent 12")).await;
    v2.drain(300).await;
    // Exactly the missed events, in order, no duplicates, then the live ones.
    let seqs = v2.event_seqs();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "in order, no gaps or repeats: {seqs:?}"
    );
    assert_eq!(
        seqs.first().copied(),
        Some(last_seen + 1),
        "starts right after what the visitor had"
    );
    let texts: Vec<String> = v2
        .seen
        .iter()
        .filter(|f| f["type"] == "event" && f["body"]["kind"] == "text")
        .map(|f| f["body"]["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        texts,
        (5..13).map(|i| format!("agent {i}")).collect::<Vec<_>>()
    );
    // The agent saw the visitor's first message once, not twice.
    let agent_saw = agent_ws.seen.iter().filter(|f| is_text(f, "开始")).count();
    agent_ws.drain(300).await;
    assert_eq!(
        agent_saw + agent_ws.seen.iter().skip(agent_ws.seen.len()).count(),
        1
    );
    assert_eq!(
        agent_ws.seen.iter().filter(|f| is_text(f, "开始")).count(),
        1,
        "retry stored nothing new"
    );
}

async fn images_travel_by_capability_url_and_the_customer_panel_is_editable(app: TestApp) {
    let f = fixture(&app, "fileco").await;
    let (agent_id, agent_http, mut agent_ws) = online_agent(&app, &f, "agent1").await;
    let (mut v, welcome) = visitor(&app, &f.key, None, None).await;
    let token = welcome["visitor_token"].as_str().unwrap().to_string();
    v.send(json!({"type": "start", "fields": {"name": "张三", "phone": "13912345678"}}))
        .await;
    let conv = agent_ws.until(5, |f| f["type"] == "assigned").await["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The visitor uploads a PNG (the widget does this from any site: CORS).
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRfake-but-png-signed";
    let upload = |bytes: &'static [u8], name: &'static str| {
        let url = format!(
            "{}/api/v1/visitor/attachments?channel={}&token={}",
            app.base, f.key, token
        );
        async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
            reqwest::Client::new()
                .post(url)
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    let r = upload(png, "截图.png").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let up: Value = r.json().await.unwrap();
    assert_eq!(up["content_type"], "image/png");
    // A page dressed up as an image is refused.
    let r = upload(b"<html><script>alert(1)</script></html>", "evil.png").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // An unknown token uploads nothing.
    let bad = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/visitor/attachments?channel={}&token=nope",
            app.base, f.key
        ))
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(png).file_name("a.png"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);

    v.send(json!({"type": "message", "client_id": "img1", "body": {"kind": "image", "attachment_id": up["id"], "name": up["name"], "size": up["size"], "url": up["url"]}})).await;
    let got = agent_ws
        .until(5, |f| f["type"] == "event" && f["body"]["kind"] == "image")
        .await;
    let url = got["body"]["url"].as_str().unwrap().to_string();
    let fetched = reqwest::get(format!("{}{url}", app.base)).await.unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.headers()["content-type"], "image/png");
    assert_eq!(fetched.headers()["x-content-type-options"], "nosniff");
    assert_eq!(&fetched.bytes().await.unwrap()[..], png);
    let guessed = format!(
        "{}{}",
        app.base,
        url.rsplit_once('/').unwrap().0.to_string() + "/guessed-key"
    );
    assert_eq!(
        reqwest::get(guessed).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // The side panel: the pre-chat form filled the record; the agent edits tags and notes.
    let c = agent_http
        .get(&format!("/api/v1/conversations/{conv}"))
        .await
        .body;
    let customer = c["customer_id"].as_str().unwrap();
    let panel = agent_http
        .get(&format!("/api/v1/customers/{customer}"))
        .await;
    assert_eq!(panel.status, StatusCode::OK, "{:?}", panel.body);
    assert_eq!(
        (
            panel.body["customer"]["name"].clone(),
            panel.body["customer"]["phone"].clone()
        ),
        (json!("张三"), json!("13912345678"))
    );
    assert_eq!(panel.body["conversations"][0]["id"], conv.as_str());
    let r = agent_http
        .patch(
            &format!("/api/v1/customers/{customer}"),
            json!({"tags": ["VIP", "退货"], "notes": "偏好电话联系"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["tags"].clone()),
        (StatusCode::OK, json!(["VIP", "退货"]))
    );
    let r = agent_http
        .patch(
            &format!("/api/v1/customers/{customer}"),
            json!({"email": "not-an-email"}),
        )
        .await;
    assert_eq!(r.body["details"]["field"], "email");
    // A colleague who never served this customer does not see them.
    let (_, other) = app.user(&f.t, "agent9", BuiltinRole::Agent).await;
    assert_eq!(
        other
            .get(&format!("/api/v1/customers/{customer}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let targets = agent_http.get("/api/v1/transfer-targets").await.body;
    assert!(targets["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["id"] == f.group.as_str()));
    assert!(targets["agents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == agent_id.as_str() && a["receiving"] == true && a["load"] == 1));
}

/// Visitor and agent send bursts at the same time into one conversation: each
/// side receives every event once, in sequence order, with no gaps.
async fn both_sides_typing_at_once_lose_nothing(app: TestApp) {
    let f = fixture(&app, "burstco").await;
    let (_agent_id, _agent_http, mut agent_ws) = online_agent(&app, &f, "agent1").await;
    let (mut v, _) = visitor(&app, &f.key, None, None).await;
    v.send(text("v-start", "开始")).await;
    let conv = agent_ws.until(5, |f| f["type"] == "assigned").await["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    agent_ws.until(5, |f| is_text(f, "开始")).await;
    const N: usize = 40;
    for i in 0..N {
        v.send(text(&format!("v{i}"), &format!("visitor {i}")))
            .await;
        agent_ws.send(json!({"type": "message", "conversation_id": conv, "client_id": format!("a{i}"), "body": {"kind": "text", "text": format!("agent {i}")}})).await;
    }
    v.until(10, |f| is_text(f, &format!("agent {}", N - 1)))
        .await;
    agent_ws
        .until(10, |f| is_text(f, &format!("visitor {}", N - 1)))
        .await;
    v.drain(500).await;
    agent_ws.drain(500).await;
    for (who, ws) in [("visitor", &v), ("agent", &agent_ws)] {
        let seqs: Vec<i64> = ws
            .seen
            .iter()
            .filter(|f| f["type"] == "event" && f["conversation_id"] == conv.as_str())
            .map(|f| f["seq"].as_i64().unwrap())
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "{who} saw events out of order or twice: {seqs:?}"
        );
        for i in 0..N {
            for t in [format!("visitor {i}"), format!("agent {i}")] {
                assert_eq!(
                    ws.seen.iter().filter(|f| is_text(f, &t)).count(),
                    1,
                    "{who} got {t:?} exactly once"
                );
            }
        }
    }
}

/// The agent's socket stores messages while it goes on forwarding, but its
/// replies still come in frame order (the workbench pairs each reply with
/// the oldest unanswered frame): acks in order, then the answer to a frame
/// sent after them, then an error for a bad message, then the next ack. The
/// messages are stored in the order sent.
async fn agent_replies_come_in_frame_order(app: TestApp) {
    let f = fixture(&app, "orderco").await;
    let (_agent_id, _agent_http, mut agent_ws) = online_agent(&app, &f, "agent1").await;
    let (mut v, _) = visitor(&app, &f.key, None, None).await;
    v.send(text("v-start", "开始")).await;
    let conv = agent_ws.until(5, |f| f["type"] == "assigned").await["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    agent_ws.until(5, |f| is_text(f, "开始")).await;
    let reply = |cid: &str, t: &str| json!({"type": "message", "conversation_id": conv, "client_id": cid, "body": {"kind": "text", "text": t}});
    const N: usize = 30;
    for i in 0..N {
        agent_ws
            .send(reply(&format!("a{i}"), &format!("agent {i}")))
            .await;
    }
    agent_ws
        .send(json!({"type": "typing", "conversation_id": conv}))
        .await;
    agent_ws.send(reply("", "no client id")).await;
    agent_ws.send(reply("a-last", "agent last")).await;
    agent_ws
        .until(10, |f| f["type"] == "ack" && f["client_id"] == "a-last")
        .await;
    let replies: Vec<String> = agent_ws
        .seen
        .iter()
        .filter_map(|f| match f["type"].as_str() {
            Some("ack") => Some(format!("ack {}", f["client_id"].as_str().unwrap_or(""))),
            Some("done") => Some(format!("done {}", f["request"].as_str().unwrap_or(""))),
            Some("error") => Some(format!("error {}", f["code"].as_str().unwrap_or(""))),
            _ => None,
        })
        .collect();
    let mut expected: Vec<String> = (0..N).map(|i| format!("ack a{i}")).collect();
    expected.extend(["done typing", "error validation_failed", "ack a-last"].map(String::from));
    assert_eq!(replies, expected);
    v.until(10, |f| is_text(f, "agent last")).await;
    let order: Vec<String> = v
        .seen
        .iter()
        .filter(|f| f["type"] == "event" && f["sender"] == "agent")
        .map(|f| f["body"]["text"].as_str().unwrap_or("").to_string())
        .collect();
    let mut sent: Vec<String> = (0..N).map(|i| format!("agent {i}")).collect();
    sent.push("agent last".into());
    assert_eq!(order, sent, "stored and delivered in the order sent");
}

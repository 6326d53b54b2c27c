//! Multi-turn flows in conversations over real visitor WebSockets: a trigger phrase
//! starts the demo flow, a reconnect mid-flow continues it, a 404 ends in a hand-off
//! with the slots, and knowledge items start their flows (also in the demo tenant).

use crate::flows::{create_flow, order_flow};
use kefu_testkit::{Db, TestApp};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(a_visitor_runs_flows_over_the_socket);

/// The bot's next message to the visitor (its text).
async fn bot_says(v: &mut kefu_testkit::ws::Ws) -> String {
    let f = v
        .until(10, |f| f["type"] == "event" && f["sender"] == "bot")
        .await;
    f["body"]["text"].as_str().unwrap_or_default().to_string()
}

async fn visitor_says(v: &mut kefu_testkit::ws::Ws, id: &str, text: &str) {
    v.send(json!({"type": "message", "client_id": id, "body": {"kind": "text", "text": text}}))
        .await;
}

/// Over a real visitor WebSocket on a bot-first channel: a trigger phrase starts the demo
/// flow, a bad order number is asked again, the answer comes from the HTTP call; a
/// not-found order ends in a hand-off with the slots; a knowledge item starts its flow.
async fn a_visitor_runs_flows_over_the_socket(app: TestApp) {
    let t = app.tenant("flows-ws").await;
    create_flow(&t, "查询订单", order_flow()).await;
    let ch = t
        .admin
        .post("/api/v1/channels", json!({"name": "官网"}))
        .await;
    let ch_id = ch.id();
    let key = ch.body["public_key"].as_str().unwrap().to_string();
    let r = t
        .admin
        .put(
            &format!("/api/v1/channels/{ch_id}/widget"),
            json!({"prechat_fields": [], "bot_first": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let url = format!(
        "{}/api/v1/visitor/ws?channel={key}",
        app.base.replace("http://", "ws://")
    );

    let mut v = kefu_testkit::ws::Ws::connect(&url, None).await.unwrap();
    let token = v.recv(5).await["visitor_token"]
        .as_str()
        .expect("visitor token")
        .to_string();
    visitor_says(&mut v, "m1", "你好，我的订单到哪了？").await;
    let conv = v.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut said = bot_says(&mut v).await;
    if !said.contains("订单号") {
        // The bot's greeting came first.
        said = bot_says(&mut v).await;
    }
    assert_eq!(said, "请提供您的订单号（8 位数字，例如 20260001）。");
    visitor_says(&mut v, "m2", "不记得").await;
    assert_eq!(
        bot_says(&mut v).await,
        "订单号是 8 位数字，例如 20260001，请再输入一次。"
    );
    // The visitor's connection drops mid-flow; the new socket continues the same flow.
    let last_seq = v.event_seqs().into_iter().max().unwrap_or(0);
    v.kill();
    let mut v =
        kefu_testkit::ws::Ws::connect(&format!("{url}&token={token}&last_seq={last_seq}"), None)
            .await
            .unwrap();
    assert_eq!(v.recv(5).await["conversation"]["id"], json!(conv));
    visitor_says(&mut v, "m3", "20260002").await;
    assert_eq!(
        bot_says(&mut v).await,
        "订单 20260002 当前状态：配送中，预计送达：2026-11-21。"
    );
    // The flow is over; it starts again on the trigger, and a 404 leads to a human.
    visitor_says(&mut v, "m4", "查询订单").await;
    assert!(bot_says(&mut v).await.contains("订单号"));
    visitor_says(&mut v, "m5", "20269999").await;
    assert!(bot_says(&mut v).await.contains("没有找到订单 20269999"));
    visitor_says(&mut v, "m6", "是").await;
    v.until(10, |f| {
        f["type"] == "event" && f["body"]["event"] == "queued"
    })
    .await;
    let c = t.admin.get(&format!("/api/v1/conversations/{conv}")).await;
    // Handed to the humans (with nobody on duty here, routing then offers the
    // leave-message fallback and closes it): the bot no longer serves it.
    assert_ne!(c.body["state"], "bot");
    let f = t
        .admin
        .get(&format!("/api/v1/conversations/{conv}/flow"))
        .await;
    assert_eq!(f.body["status"], "handed_off");
    assert_eq!(f.body["state"]["slots"]["order_no"], "20269999");
    let events = t
        .admin
        .get(&format!("/api/v1/conversations/{conv}/events"))
        .await
        .body;
    let events = events.as_array().unwrap();
    assert!(events
        .iter()
        .any(|e| e["body"]["event"] == "flow_handoff"
            && e["body"]["slots"]["order_no"] == "20269999"));
    let queued = events
        .iter()
        .find(|e| e["body"]["event"] == "queued")
        .expect("queued event");
    assert_eq!(queued["body"]["handoff"]["reason"], "flow");
    assert_eq!(
        queued["body"]["handoff"]["extra"]["slots"]["want_human"],
        "是"
    );
    v.kill();

    // A knowledge item with a flow: matching the item starts the flow.
    let returns = create_flow(
        &t,
        "退货",
        json!({
            "start": "why",
            "nodes": [
                {"id": "why", "type": "ask", "slot": "reason", "prompt": "请问退货原因是什么？",
                 "check": {"type": "choice", "values": ["质量问题", "不想要了"]}, "next": "ok"},
                {"id": "ok", "type": "answer", "text": "已记录：{{reason}}。"}
            ]
        }),
    )
    .await;
    let cat = t
        .admin
        .post("/api/v1/knowledge/categories", json!({"name": "售后"}))
        .await
        .id();
    let r = t
        .admin
        .post(
            "/api/v1/knowledge/items",
            json!({"category_id": cat, "question": "我要申请退货", "similar": ["怎么退货"],
                   "answer": {"text": "请在订单页申请退货"}, "flow_id": returns}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let mut v = kefu_testkit::ws::Ws::connect(&url, None).await.unwrap();
    v.recv(5).await;
    visitor_says(&mut v, "k1", "我要申请退货").await;
    let mut said = bot_says(&mut v).await;
    if !said.contains("退货") {
        said = bot_says(&mut v).await;
    }
    assert_eq!(said, "请问退货原因是什么？");
    visitor_says(&mut v, "k2", "质量问题").await;
    assert_eq!(bot_says(&mut v).await, "已记录：质量问题。");
}

/// The demo tenant: its logistics knowledge item starts the 查询订单 flow, so a
/// phrasing that is no trigger phrase ("快递到哪里了") still leads to a real look-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_knowledge_item_starts_the_order_flow() {
    let app = kefu_testkit::spawn_app(Db::Sqlite).await.expect("app");
    let demo = app.app.seed_demo().await.expect("demo seed");
    let url = format!(
        "{}/api/v1/visitor/ws?channel={}",
        app.base.replace("http://", "ws://"),
        demo.channel_key
    );
    let mut v = kefu_testkit::ws::Ws::connect(&url, None).await.unwrap();
    v.recv(5).await;
    visitor_says(&mut v, "d1", "快递到哪里了").await;
    let mut said = bot_says(&mut v).await;
    if !said.contains("订单号") {
        said = bot_says(&mut v).await;
    }
    assert_eq!(said, "请提供您的订单号（8 位数字，例如 20260001）。");
    visitor_says(&mut v, "d2", "20260003").await;
    assert_eq!(
        bot_says(&mut v).await,
        "订单 20260003 当前状态：已签收，预计送达：2026-11-18。"
    );
}

//! Multi-turn flows over HTTP and inside conversations: CRUD with validation that
//! lists every problem, `flows.manage` checks, the test console with real HTTP calls
//! (kefu's own demo order API, a local test server, a time-out), a knowledge item
//! that starts a flow, intents, hand-off slots on the conversation, and a restart in
//! the middle of a flow.

use kefu_domain::{BuiltinRole, TenantId};
use kefu_store::TenantScope;
use kefu_testkit::{Db, Tenant, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    flows_crud_validation_and_permissions,
    demo_flow_runs_in_the_test_console
);

pub(crate) fn order_flow() -> Value {
    serde_json::from_str(kefu_bot::flow::ORDER_LOOKUP_EXAMPLE).expect("example")
}

pub(crate) async fn create_flow(t: &Tenant, name: &str, def: Value) -> String {
    let r = t
        .admin
        .post("/api/v1/flows", json!({"name": name, "definition": def}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.id()
}

/// One step in the test console; panics on anything but 200.
async fn console(t: &Tenant, flow: &str, state: Option<&Value>, text: Option<&str>) -> Value {
    let mut body = json!({});
    if let Some(s) = state {
        body["state"] = s.clone();
    }
    if let Some(x) = text {
        body["text"] = json!(x);
    }
    let r = t
        .admin
        .post(&format!("/api/v1/flows/{flow}/test"), body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

fn said(step: &Value) -> Vec<String> {
    step["replies"]
        .as_array()
        .expect("replies")
        .iter()
        .filter_map(|r| r["text"].as_str().map(String::from))
        .collect()
}

async fn flows_crud_validation_and_permissions(app: TestApp) {
    let t = app.tenant("flows-crud").await;
    let id = create_flow(&t, "查询订单", order_flow()).await;
    let list = t.admin.get("/api/v1/flows").await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1));
    assert_eq!(list.body[0]["definition"]["start"], "ask_no");
    let dup = t
        .admin
        .post(
            "/api/v1/flows",
            json!({"name": "查询订单", "definition": order_flow()}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);

    // A broken graph: every problem is listed, each with its place and code.
    let broken = json!({
        "start": "missing",
        "nodes": [
            {"id": "ask", "type": "ask", "slot": "no", "prompt": "订单号 {{nope}}？",
             "check": {"type": "regex", "pattern": "[0-9"}, "next": "gone"},
            {"id": "lonely", "type": "end"}
        ]
    });
    for path in ["/api/v1/flows", "/api/v1/flows/validate"] {
        let body = if path.ends_with("validate") {
            json!({"definition": broken})
        } else {
            json!({"name": "坏流程", "definition": broken})
        };
        let r = t.admin.post(path, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(r.code(), "invalid_fields");
        let got: Vec<(String, String)> = r.body["details"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_string(),
                    e["code"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        for want in [
            ("definition.start", "unknown_node"),
            ("definition.nodes[0].prompt", "unknown_slot"),
            ("definition.nodes[0].check.pattern", "bad_regex"),
            ("definition.nodes[0].next", "unknown_node"),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} not in {got:?}"
            );
        }
    }
    let ok = t
        .admin
        .post(
            "/api/v1/flows/validate",
            json!({"definition": order_flow()}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["valid"], true);
    // Nothing of the broken flow was stored.
    assert_eq!(
        t.admin
            .get("/api/v1/flows")
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    let mut def = order_flow();
    def["triggers"] = json!(["订单在哪"]);
    let r = t
        .admin
        .put(
            &format!("/api/v1/flows/{id}"),
            json!({"name": "订单查询", "definition": def, "enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (r.body["name"].clone(), r.body["enabled"].clone()),
        (json!("订单查询"), json!(false))
    );

    // A knowledge item can start the flow; a flow id it does not have is a 422.
    let cat = t
        .admin
        .post("/api/v1/knowledge/categories", json!({"name": "订单"}))
        .await
        .id();
    let item = json!({"category_id": cat, "question": "查订单", "answer": {"text": "我来帮您查"}, "flow_id": id});
    let r = t.admin.post("/api/v1/knowledge/items", item.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["flow_id"], json!(id));
    let item_id = r.id();
    let mut bad = item.clone();
    bad["flow_id"] = json!("0190a0a0-0000-7000-8000-000000000000");
    let r = t.admin.post("/api/v1/knowledge/items", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["details"]["field"], "flow_id");
    // In use: refused, and kept.
    let r = t.admin.delete(&format!("/api/v1/flows/{id}")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "in_use");
    let mut unlinked = item.clone();
    unlinked["flow_id"] = Value::Null;
    let r = t
        .admin
        .put(&format!("/api/v1/knowledge/items/{item_id}"), unlinked)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["flow_id"], Value::Null);
    assert_eq!(
        t.admin.delete(&format!("/api/v1/flows/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.admin.get(&format!("/api/v1/flows/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    // Agents and team leads may not manage flows: 403 naming the permission.
    let keep = create_flow(&t, "保留", order_flow()).await;
    let (_, agent) = app.user(&t, "flow-agent", BuiltinRole::Agent).await;
    let (_, lead) = app.user(&t, "flow-lead", BuiltinRole::TeamLead).await;
    for who in [&agent, &lead] {
        for (m, path, body) in [
            (Method::GET, "/api/v1/flows".to_string(), None),
            (
                Method::POST,
                "/api/v1/flows".to_string(),
                Some(json!({"name": "x", "definition": order_flow()})),
            ),
            (
                Method::POST,
                "/api/v1/flows/validate".to_string(),
                Some(json!({"definition": order_flow()})),
            ),
            (Method::GET, format!("/api/v1/flows/{keep}"), None),
            (
                Method::PUT,
                format!("/api/v1/flows/{keep}"),
                Some(json!({"name": "x", "definition": order_flow()})),
            ),
            (Method::DELETE, format!("/api/v1/flows/{keep}"), None),
            (
                Method::POST,
                format!("/api/v1/flows/{keep}/test"),
                Some(json!({})),
            ),
        ] {
            let r = who.send(m.clone(), &path, body).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{m} {path}: {:?}", r.body);
            assert_eq!(r.body["details"]["permission"], "flows.manage");
        }
    }
    assert_eq!(
        t.admin.get(&format!("/api/v1/flows/{keep}")).await.body["name"],
        "保留"
    );
}

async fn demo_flow_runs_in_the_test_console(app: TestApp) {
    let t = app.tenant("flows-console").await;
    let id = create_flow(&t, "查询订单", order_flow()).await;
    let s = console(&t, &id, None, None).await;
    assert_eq!(
        said(&s),
        vec!["请提供您的订单号（8 位数字，例如 20260001）。"]
    );
    assert_eq!(s["finished"], false);
    let s = console(&t, &id, Some(&s["state"]), Some("我不记得了")).await;
    assert_eq!(
        said(&s),
        vec!["订单号是 8 位数字，例如 20260001，请再输入一次。"]
    );
    // A real HTTP call to kefu's own demo order API.
    let found = console(&t, &id, Some(&s["state"]), Some("订单号 20260001")).await;
    assert_eq!(
        said(&found),
        vec!["订单 20260001 当前状态：已发货，预计送达：2026-11-23。"]
    );
    assert_eq!(found["finished"], true);
    assert_eq!(found["http"][0]["request"]["method"], "GET");
    assert_eq!(found["http"][0]["result"]["status"], 200);
    // Not found: a 404 from the API, the offer of a human, the hand-off with slots.
    let s = console(&t, &id, None, None).await;
    let nf = console(&t, &id, Some(&s["state"]), Some("20269999")).await;
    assert_eq!(nf["http"][0]["result"]["status"], 404);
    assert_eq!(
        said(&nf),
        vec!["没有找到订单 20269999。需要为您转人工客服吗？（是/否）"]
    );
    let h = console(&t, &id, Some(&nf["state"]), Some("是的，转人工")).await;
    assert_eq!(h["replies"][0]["type"], "handoff");
    assert_eq!(h["replies"][0]["slots"]["order_no"], "20269999");
    // Stepping a finished flow is a 409, a state that is not one a 422.
    let r = t
        .admin
        .post(
            &format!("/api/v1/flows/{id}/test"),
            json!({"state": h["state"], "text": "again"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "flow_step_failed");
    let r = t
        .admin
        .post(
            &format!("/api/v1/flows/{id}/test"),
            json!({"state": {"node": 3}, "text": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["details"]["field"], "state");
}

/// A tiny API on port 0: `/orders/{no}` answers JSON, `/slow` never answers in time.
async fn spawn_test_api() -> (String, tokio::task::JoinHandle<()>) {
    use axum::routing::{get, post};
    let router = axum::Router::new()
        .route(
            "/orders/{no}",
            get(
                |axum::extract::Path(no): axum::extract::Path<String>| async move {
                    axum::Json(
                        json!({"data": {"status": format!("shipped-{no}"), "items": [{"qty": 3}]}}),
                    )
                },
            ),
        )
        .route(
            "/echo",
            post(|body: String| async move { axum::Json(json!({"got": body})) }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let h = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{addr}"), h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_nodes_call_a_local_server_and_time_out() {
    let app = kefu_testkit::spawn_app(Db::Sqlite).await.expect("app");
    let t = app.tenant("flows-http").await;
    let (api, _server) = spawn_test_api().await;
    let def = json!({
        "start": "no",
        "nodes": [
            {"id": "no", "type": "ask", "slot": "no", "prompt": "单号？", "next": "get"},
            {"id": "get", "type": "http", "url": format!("{api}/orders/{{{{no}}}}"),
             "save": {"status": "data.status", "qty": "data.items.0.qty"},
             "next": "post", "on_error": "down"},
            {"id": "post", "type": "http", "method": "POST", "url": format!("{api}/echo"),
             "body": "{\"no\": \"{{no}}\"}", "save": {"echo": "got"},
             "next": "slow", "on_error": "down"},
            {"id": "slow", "type": "http", "url": format!("{api}/slow"), "timeout_ms": 300,
             "next": "said", "on_error": "late"},
            {"id": "said", "type": "answer", "text": "never"},
            {"id": "late", "type": "answer", "text": "{{status}} ×{{qty}}; echo {{echo}}; slow API timed out"},
            {"id": "down", "type": "handoff", "text": "API down"}
        ]
    });
    let id = create_flow(&t, "http", def).await;
    let s = console(&t, &id, None, None).await;
    let s = console(&t, &id, Some(&s["state"]), Some("A 1/2")).await;
    assert_eq!(
        said(&s),
        vec!["shipped-A 1/2 ×3; echo {\"no\": \"A 1/2\"}; slow API timed out"]
    );
    let calls = s["http"].as_array().unwrap();
    assert_eq!(calls.len(), 3);
    assert_eq!(
        calls[0]["request"]["url"],
        format!("{api}/orders/A%201%2F2")
    );
    assert_eq!(calls[2]["result"]["type"], "failed");
    assert!(
        calls[2]["result"]["reason"]
            .as_str()
            .unwrap()
            .contains("300 ms"),
        "{:?}",
        calls[2]
    );

    // A server that is not there: the error branch, not a hang or a 500.
    let dead = json!({
        "start": "get",
        "nodes": [
            {"id": "get", "type": "http", "url": "http://127.0.0.1:9/x", "next": "ok", "on_error": "down"},
            {"id": "ok", "type": "end"},
            {"id": "down", "type": "handoff", "text": "API down"}
        ]
    });
    let id = create_flow(&t, "dead", dead).await;
    let s = console(&t, &id, None, None).await;
    assert_eq!(s["replies"][0]["type"], "handoff");
    assert_eq!(s["http"][0]["result"]["type"], "failed");
}

/// A visitor conversation in the tenant (made through the visitor socket).
async fn conversation(app: &TestApp, t: &Tenant) -> (String, TenantScope) {
    let ch = t
        .admin
        .post("/api/v1/channels", json!({"name": "官网"}))
        .await;
    assert_eq!(ch.status, StatusCode::CREATED, "{:?}", ch.body);
    let key = ch.body["public_key"].as_str().unwrap().to_string();
    let url = format!(
        "{}/api/v1/visitor/ws?channel={key}",
        app.base.replace("http://", "ws://")
    );
    let mut v = kefu_testkit::ws::Ws::connect(&url, None).await.unwrap();
    v.recv(5).await;
    v.send(json!({"type": "message", "client_id": "c1", "body": {"kind": "text", "text": "你好"}}))
        .await;
    let conv = v.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let tenant = app.app.find_tenant(&t.slug).await.expect("tenant");
    (conv, TenantScope::new(TenantId::from_db(tenant.id)))
}

fn texts(replies: &[kefu_app::flows::FlowReply]) -> Vec<String> {
    replies
        .iter()
        .filter_map(|r| match r {
            kefu_app::flows::FlowReply::Text { text } => Some(text.clone()),
            kefu_app::flows::FlowReply::Handoff { text, .. } => text.clone(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_survives_a_restart_and_hands_off_with_its_slots() {
    let app = kefu_testkit::spawn_app(Db::Sqlite).await.expect("app");
    let t = app.tenant("flows-restart").await;
    let flow = create_flow(&t, "查询订单", order_flow()).await;
    let (conv, scope) = conversation(&app, &t).await;
    let runner = app.app.flow_runner();

    // Nothing runs yet; a message that does not name the intent is left to the bot.
    assert_eq!(
        runner.on_input(&scope, &conv, "20260001").await.unwrap(),
        None
    );
    assert_eq!(
        runner.on_visitor_text(&scope, &conv, "你好").await.unwrap(),
        None
    );
    // The intent starts the flow.
    let r = runner
        .on_visitor_text(&scope, &conv, "我的订单到哪了？")
        .await
        .unwrap()
        .expect("the flow starts");
    assert_eq!(
        texts(&r),
        vec!["请提供您的订单号（8 位数字，例如 20260001）。"]
    );
    let r = runner
        .on_input(&scope, &conv, "不知道")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        texts(&r),
        vec!["订单号是 8 位数字，例如 20260001，请再输入一次。"]
    );
    let stored = t
        .admin
        .get(&format!("/api/v1/conversations/{conv}/flow"))
        .await;
    assert_eq!(stored.status, StatusCode::OK);
    assert_eq!(stored.body["status"], "active");
    assert_eq!(stored.body["state"]["retries"], 1);

    // "Restart": a new App over the same SQLite file continues the flow.
    let file = app
        .app
        .store
        .sqlite_file()
        .expect("sqlite file")
        .to_path_buf();
    let store = kefu_store::Store::connect(kefu_store::ConnectOptions::new(format!(
        "sqlite://{}",
        file.display()
    )))
    .await
    .expect("reopen");
    let again = kefu_server::build_app(store, Default::default());
    again.set_own_base_url(&app.base);
    let r = again
        .flow_runner()
        .on_input(&scope, &conv, "20269999")
        .await
        .unwrap()
        .expect("still running after the restart");
    assert_eq!(
        texts(&r),
        vec!["没有找到订单 20269999。需要为您转人工客服吗？（是/否）"]
    );
    let r = again
        .flow_runner()
        .on_input(&scope, &conv, "需要")
        .await
        .unwrap()
        .unwrap();
    match &r[0] {
        kefu_app::flows::FlowReply::Handoff { slots, text } => {
            assert_eq!(slots["order_no"], "20269999");
            assert_eq!(
                text.as_deref(),
                None,
                "the bot's own hand-off message follows"
            );
        }
        other => panic!("expected a hand-off, got {other:?}"),
    }
    // The flow is over: the next message is the bot's again.
    assert_eq!(
        again
            .flow_runner()
            .on_input(&scope, &conv, "谢谢")
            .await
            .unwrap(),
        None
    );
    // The agent sees the slots: on the conversation's flow and in its events.
    let f = t
        .admin
        .get(&format!("/api/v1/conversations/{conv}/flow"))
        .await;
    assert_eq!(f.body["status"], "handed_off");
    assert_eq!(f.body["flow_id"], json!(flow));
    assert_eq!(f.body["state"]["slots"]["order_no"], "20269999");
    let events = t
        .admin
        .get(&format!("/api/v1/conversations/{conv}/events"))
        .await;
    let handoff = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["body"]["event"] == "flow_handoff")
        .cloned()
        .expect("a flow_handoff event");
    assert_eq!(handoff["body"]["slots"]["want_human"], "需要");

    // A knowledge item's flow starts by id, replacing what ran before.
    let r = runner.start(&scope, &conv, &flow).await.unwrap();
    assert_eq!(texts(&r).len(), 1);
    let r = runner
        .on_input(&scope, &conv, "20260002")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        texts(&r),
        vec!["订单 20260002 当前状态：配送中，预计送达：2026-11-21。"]
    );
    // Another tenant's scope finds nothing to continue and cannot start one here.
    let other = app.tenant("flows-restart-b").await;
    let other_scope = TenantScope::new(TenantId::from_db(
        app.app.find_tenant(&other.slug).await.unwrap().id,
    ));
    assert_eq!(
        runner.on_input(&other_scope, &conv, "x").await.unwrap(),
        None
    );
    assert!(runner.start(&other_scope, &conv, &flow).await.is_err());
}

/// For the sweep in `tenancy.rs`: flow endpoints with tenant A's ids.
pub async fn cross_tenant_cases(a: &Tenant, _b: &Tenant) -> Vec<(Method, String, Option<Value>)> {
    let id = create_flow(a, "A 的流程", order_flow()).await;
    let body = json!({"name": "x", "definition": order_flow()});
    vec![
        (Method::GET, format!("/api/v1/flows/{id}"), None),
        (Method::PUT, format!("/api/v1/flows/{id}"), Some(body)),
        (Method::DELETE, format!("/api/v1/flows/{id}"), None),
        (
            Method::POST,
            format!("/api/v1/flows/{id}/test"),
            Some(json!({})),
        ),
    ]
}

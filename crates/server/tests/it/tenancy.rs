//! Tenant isolation: every endpoint that takes an id answers 404 to a user of
//! another tenant, and changes nothing. The list of endpoints is checked against
//! the OpenAPI document, so a new endpoint without a case here fails the test.

use kefu_domain::BuiltinRole;
use kefu_testkit::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;

on_both_backends!(ids_from_another_tenant_are_not_found);

async fn ids_from_another_tenant_are_not_found(app: TestApp) {
    let a = app.tenant("tenant-a").await;
    let b = app.tenant("tenant-b").await;
    let (a_user, _) = app.user(&a, "agent-a", BuiltinRole::Agent).await;
    let a_dept = a
        .admin
        .post("/api/v1/departments", json!({"name": "售后部"}))
        .await
        .id();
    let a_group = a
        .admin
        .post("/api/v1/skill-groups", json!({"name": "售后组"}))
        .await
        .id();
    assert_eq!(
        a.admin
            .put(
                &format!("/api/v1/skill-groups/{a_group}/members/{a_user}"),
                json!({"level": 5})
            )
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let a_status = a
        .admin
        .post(
            "/api/v1/reception-statuses",
            json!({"name": "午休", "can_receive": false}),
        )
        .await
        .id();
    let a_role = a
        .admin
        .post(
            "/api/v1/roles",
            json!({"name": "质检", "permissions": ["audit.view"]}),
        )
        .await
        .id();
    let agent_role_a = a.role_id(BuiltinRole::Agent).await;
    let a_token = a
        .admin
        .post(
            "/api/v1/api-tokens",
            json!({"name": "crm", "role_id": agent_role_a}),
        )
        .await
        .id();
    let a_channel = a
        .admin
        .post(
            "/api/v1/channels",
            json!({"name": "官网", "skill_group_id": a_group}),
        )
        .await
        .id();
    // A conversation, an offline message and a quick reply in A, made the way
    // users make them (a visitor's socket, the API).
    let key = a
        .admin
        .get(&format!("/api/v1/channels/{a_channel}"))
        .await
        .body["public_key"]
        .as_str()
        .unwrap()
        .to_string();
    let ws_url = format!(
        "{}/api/v1/visitor/ws?channel={key}",
        app.base.replace("http://", "ws://")
    );
    let mut visitor = kefu_testkit::ws::Ws::connect(&ws_url, None).await.unwrap();
    visitor.recv(5).await;
    visitor
        .send(json!({"type": "message", "client_id": "t1", "body": {"kind": "text", "text": "hi"}}))
        .await;
    let a_conv = visitor.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    visitor
        .send(json!({"type": "leave_message", "name": "n", "text": "call me"}))
        .await;
    let a_offline = visitor.until(5, |f| f["type"] == "message_left").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a_reply = a
        .admin
        .post(
            "/api/v1/quick-replies",
            json!({"title": "问候", "text": "您好", "team": true}),
        )
        .await
        .id();
    let a_customer = a
        .admin
        .get(&format!("/api/v1/conversations/{a_conv}"))
        .await
        .body["customer_id"]
        .as_str()
        .unwrap()
        .to_string();
    let a_file = {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(&b"hello"[..]).file_name("a.txt"),
        );
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/attachments", app.base))
            .bearer_auth(a.admin_token().await)
            .multipart(form)
            .send()
            .await
            .unwrap();
        r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for id in [
        &a_user, &a_dept, &a_group, &a_status, &a_role, &a_token, &a_channel, &a_conv, &a_offline,
        &a_reply,
    ] {
        assert!(!id.is_empty(), "fixture creation failed");
    }

    // Valid bodies from B's point of view, so that a 404 can only mean "no such id here".
    let b_status = b.admin.get("/api/v1/reception-statuses").await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (b_user, _) = app.user(&b, "agent-b", BuiltinRole::Agent).await;
    let b_group = b
        .admin
        .post("/api/v1/skill-groups", json!({"name": "B组"}))
        .await
        .id();

    let r = a
        .admin
        .put(
            &format!("/api/v1/bot/thresholds/channels/{a_channel}"),
            json!({"lexical": {"answer": 0.5, "suggest": 0.2},
                   "semantic": {"answer": 0.6, "suggest": 0.3}}),
        )
        .await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{:?}", r.body);
    let crm = crate::crm::cross_tenant_cases(&a, &b).await;
    let knowledge = crate::knowledge::cross_tenant_cases(&a, &b).await;
    let tickets =
        crate::tickets_tenancy::cross_tenant_cases(&app, &a, &b, &a_conv, &a_offline, &a_customer)
            .await;
    let sla = crate::sla::cross_tenant_cases(&app, &a, &b).await;
    let flows = crate::flows::cross_tenant_cases(&a, &b).await;
    let bot = crate::bot_review::cross_tenant_cases(&app, &a, &b).await;
    let knowledge_imports = crate::knowledge_transfer::cross_tenant_cases(&a).await;
    let mut cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/users/{a_user}"), None),
        (
            Method::PATCH,
            format!("/api/v1/users/{a_user}"),
            Some(json!({"display_name": "hijack"})),
        ),
        (Method::DELETE, format!("/api/v1/users/{a_user}"), None),
        (Method::POST, format!("/api/v1/users/{a_user}/unlock"), None),
        (
            Method::PUT,
            format!("/api/v1/users/{a_user}/status"),
            Some(json!({"status_id": b_status})),
        ),
        (
            Method::GET,
            format!("/api/v1/users/{a_user}/status-events"),
            None,
        ),
        (Method::GET, format!("/api/v1/roles/{a_role}"), None),
        (
            Method::PUT,
            format!("/api/v1/roles/{a_role}"),
            Some(json!({"name": "x", "permissions": []})),
        ),
        (Method::DELETE, format!("/api/v1/roles/{a_role}"), None),
        (Method::GET, format!("/api/v1/departments/{a_dept}"), None),
        (
            Method::PUT,
            format!("/api/v1/departments/{a_dept}"),
            Some(json!({"name": "x"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/departments/{a_dept}"),
            None,
        ),
        (Method::GET, format!("/api/v1/skill-groups/{a_group}"), None),
        (
            Method::PUT,
            format!("/api/v1/skill-groups/{a_group}"),
            Some(json!({"name": "x"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/skill-groups/{a_group}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/skill-groups/{a_group}/members"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/skill-groups/{a_group}/members/{b_user}"),
            Some(json!({"level": 3})),
        ),
        (
            Method::PUT,
            format!("/api/v1/skill-groups/{b_group}/members/{a_user}"),
            Some(json!({"level": 3})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/skill-groups/{a_group}/members/{a_user}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/reception-statuses/{a_status}"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/reception-statuses/{a_status}"),
            Some(json!({"name": "x", "can_receive": true})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/reception-statuses/{a_status}"),
            None,
        ),
        (Method::GET, format!("/api/v1/api-tokens/{a_token}"), None),
        (
            Method::DELETE,
            format!("/api/v1/api-tokens/{a_token}"),
            None,
        ),
        (Method::GET, format!("/api/v1/channels/{a_channel}"), None),
        (
            Method::PUT,
            format!("/api/v1/channels/{a_channel}"),
            Some(json!({"name": "x"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/channels/{a_channel}"),
            None,
        ),
        (Method::GET, format!("/api/v1/conversations/{a_conv}"), None),
        (
            Method::GET,
            format!("/api/v1/conversations/{a_conv}/events"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/offline-messages/{a_offline}/handled"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/quick-replies/{a_reply}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/conversations/{a_conv}/assignments"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/conversations/{a_conv}/pickup"),
            Some(json!({})),
        ),
        (
            Method::PUT,
            format!("/api/v1/channels/{a_channel}/widget"),
            Some(json!({"prechat_fields": []})),
        ),
        (
            Method::POST,
            format!("/api/v1/channels/{a_channel}/identity-secret"),
            None,
        ),
        // A's channel has its own bot thresholds (set below); B can neither set nor clear them.
        (
            Method::PUT,
            format!("/api/v1/bot/thresholds/channels/{a_channel}"),
            Some(json!({"lexical": {"answer": 0.5, "suggest": 0.2},
                        "semantic": {"answer": 0.6, "suggest": 0.3}})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/bot/thresholds/channels/{a_channel}"),
            None,
        ),
        (Method::GET, format!("/api/v1/customers/{a_customer}"), None),
        (
            Method::PATCH,
            format!("/api/v1/customers/{a_customer}"),
            Some(json!({"notes": "x"})),
        ),
        // Files are fetched by id *and* secret key; the id alone finds nothing.
        (
            Method::GET,
            format!("/api/v1/files/{a_file}/not-the-key"),
            None,
        ),
    ];

    cases.extend(crm.cases.iter().cloned());
    cases.extend(knowledge);
    cases.extend(tickets.cases.iter().cloned());
    cases.extend(sla);
    cases.extend(flows);
    cases.push((
        Method::GET,
        format!("/api/v1/conversations/{a_conv}/flow"),
        None,
    ));
    cases.extend(bot);
    cases.extend(knowledge_imports);

    // Every templated path+method in the OpenAPI document has a case.
    let doc = b.admin.get("/api/v1/openapi.json").await.body;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.contains('{') {
            continue;
        }
        for m in item.as_object().expect("path item").keys() {
            documented.insert((m.to_uppercase(), path.clone()));
        }
    }
    let covered: BTreeSet<(String, String)> = cases
        .iter()
        .map(|(m, p, _)| {
            // Put the templates back: the first id segment is {id}, a second one {user_id}.
            let mut seen = 0;
            let templ: Vec<String> = p
                .split('/')
                .map(|seg| {
                    if seg == "not-the-key" {
                        "{key}".to_string()
                    } else if uuid_like(seg) {
                        seen += 1;
                        if seen == 1 {
                            "{id}".to_string()
                        } else {
                            "{user_id}".to_string()
                        }
                    } else {
                        seg.to_string()
                    }
                })
                .collect();
            (m.to_string(), templ.join("/"))
        })
        .collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "endpoints without a cross-tenant case: {missing:?}"
    );

    for (method, path, body) in &cases {
        let r = b.admin.send(method.clone(), path, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{method} {path} as tenant B gave {:?}",
            r.body
        );
        assert_eq!(r.code(), "not_found", "{method} {path}");
    }

    // A bearer token of tenant B sees nothing of A either.
    let b_token = kefu_testkit::Client::with_token(&app.base, &b.admin_token().await);
    assert_eq!(
        b_token.get(&format!("/api/v1/users/{a_user}")).await.status,
        StatusCode::NOT_FOUND
    );
    let b_users = b_token.get("/api/v1/users").await.body;
    assert!(b_users
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["id"] != a_user.as_str()));

    // And nothing of A changed.
    let user = a.admin.get(&format!("/api/v1/users/{a_user}")).await;
    assert_eq!(user.status, StatusCode::OK);
    assert_eq!(user.body["display_name"], "agent-a");
    assert_eq!(user.body["status_id"], Value::Null);
    assert_eq!(
        a.admin
            .get(&format!("/api/v1/departments/{a_dept}"))
            .await
            .body["name"],
        "售后部"
    );
    assert_eq!(
        a.admin
            .get(&format!("/api/v1/skill-groups/{a_group}/members"))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        a.admin
            .get(&format!("/api/v1/api-tokens/{a_token}"))
            .await
            .body["revoked_at"],
        Value::Null
    );
    assert_eq!(
        a.admin
            .get(&format!("/api/v1/channels/{a_channel}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        a.admin.get(&format!("/api/v1/roles/{a_role}")).await.body["name"],
        "质检"
    );
    assert_eq!(
        a.admin
            .get(&format!("/api/v1/reception-statuses/{a_status}"))
            .await
            .body["name"],
        "午休"
    );
    let a_events = a
        .admin
        .get(&format!("/api/v1/conversations/{a_conv}/events"))
        .await
        .body;
    assert!(
        !a_events.as_array().unwrap().is_empty(),
        "A still has its conversation"
    );
    assert!(b
        .admin
        .get("/api/v1/offline-messages")
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
    assert!(b
        .admin
        .get("/api/v1/quick-replies")
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
    crm.assert_unchanged(&a, &b).await;
    tickets.assert_unchanged(&a, &b).await;
    // B's audit log holds none of A's changes.
    let audit = b.admin.get("/api/v1/audit-log?limit=500").await.body;
    assert!(audit
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["resource_id"] != a_user.as_str()));
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

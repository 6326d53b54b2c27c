//! The bot's output in people's hands: unmatched questions grouped and reviewed (API and
//! page, with the permission checks), agent assist while a human serves, and the
//! cross-tenant cases of the bot's endpoints.

use crate::bot_chat::{bot_fixture, bot_says, item, INVOICE};
use crate::chat::{online_agent, text, visitor};
use kefu_domain::BuiltinRole;
use kefu_testkit::{Client, Tenant, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    unmatched_questions_are_grouped_and_reviewed,
    agent_assist_suggests_answers_for_the_last_message,
);

async fn unmatched_questions_are_grouped_and_reviewed(app: TestApp) {
    let b = bot_fixture(&app, "reviewco", true).await;
    let (mut v, _) = visitor(&app, &b.f.key, None, None).await;
    for (i, q) in ["能用花呗付款吗", "明天天气怎么样", "可以用花呗付款吗"]
        .iter()
        .enumerate()
    {
        v.send(text(&format!("q{i}"), q)).await;
        assert_eq!(bot_says(&mut v).await["body"]["bot"]["outcome"], "no_match");
    }
    let t = &b.f.t;
    let groups = t.admin.get("/api/v1/bot/unmatched").await.body;
    let groups = groups.as_array().unwrap();
    assert_eq!(groups.len(), 2, "{groups:#?}");
    assert_eq!(groups[0]["count"], 2);
    assert_eq!(groups[0]["representative"], "能用花呗付款吗");
    let huabei: Vec<String> = groups[0]["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_string())
        .collect();
    let weather = groups[1]["questions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Agents may look but not act.
    let (_, agent) = app.user(t, "agent1", BuiltinRole::Agent).await;
    assert_eq!(
        agent.get("/api/v1/bot/unmatched").await.status,
        StatusCode::OK
    );
    let attach = format!("/api/v1/bot/unmatched/{}/attach", huabei[0]);
    for (m, p, body) in [
        (
            Method::POST,
            attach.clone(),
            Some(json!({"item_id": b.returns})),
        ),
        (
            Method::POST,
            format!("/api/v1/bot/unmatched/{weather}/create"),
            Some(json!({"category_id": b.category, "answer": {"text": "x"}})),
        ),
        (
            Method::POST,
            format!("/api/v1/bot/unmatched/{weather}/dismiss"),
            None,
        ),
        (Method::GET, "/api/v1/bot/decisions".to_string(), None),
    ] {
        let r = agent.send(m.clone(), &p, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{m} {p}");
    }
    // A role without knowledge.view cannot even look.
    let role = t
        .admin
        .post(
            "/api/v1/roles",
            json!({"name": "质检", "permissions": ["audit.view"]}),
        )
        .await
        .id();
    t.admin
        .post(
            "/api/v1/users",
            json!({"username": "qa", "password": PASSWORD, "display_name": "QA", "role_id": role}),
        )
        .await;
    let qa = Client::login(&app.base, &t.slug, "qa", PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        qa.get("/api/v1/bot/unmatched").await.status,
        StatusCode::FORBIDDEN
    );

    // Attach: a new similar phrasing, and the bot answers it from now on.
    let payment = item(
        t,
        &b.category,
        "支持哪些支付方式",
        &["能用信用卡吗"],
        "支持微信、支付宝和银行卡。",
    )
    .await;
    let r = t.admin.post(&attach, json!({"item_id": payment})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["similar"]
        .as_array()
        .unwrap()
        .contains(&json!("能用花呗付款吗")));
    assert_eq!(
        t.admin
            .post(&attach, json!({"item_id": payment}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    v.send(text("q9", "能用花呗付款吗")).await;
    assert_eq!(
        bot_says(&mut v).await["body"]["text"],
        "支持微信、支付宝和银行卡。"
    );
    // An item id that is not this tenant's is bad input.
    let other = app.tenant("reviewco-other").await;
    let other_cat = other
        .admin
        .post("/api/v1/knowledge/categories", json!({"name": "x"}))
        .await
        .id();
    let other_item = item(&other, &other_cat, "x", &[], "y").await;
    let r = t
        .admin
        .post(
            &format!("/api/v1/bot/unmatched/{}/attach", huabei[1]),
            json!({"item_id": other_item}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);

    // Create a new item from a question.
    let r = t
        .admin
        .post(
            &format!("/api/v1/bot/unmatched/{}/create", huabei[1]),
            json!({"category_id": b.category, "question": "支持花呗分期吗", "answer": {"text": "支持花呗 3/6/12 期。"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["question"], "支持花呗分期吗");
    assert_eq!(r.body["similar"], json!(["可以用花呗付款吗"]));
    // Dismiss the rest.
    let r = t
        .admin
        .post(
            &format!("/api/v1/bot/unmatched/{weather}/dismiss"),
            json!(null),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert!(t
        .admin
        .get("/api/v1/bot/unmatched")
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
}

async fn agent_assist_suggests_answers_for_the_last_message(app: TestApp) {
    // A channel without the bot: the agent serves from the start.
    let b = bot_fixture(&app, "assistco", false).await;
    let (_agent, serving, mut agent_ws) = online_agent(&app, &b.f, "agent1").await;
    let (_other, bystander) = app.user(&b.f.t, "agent2", BuiltinRole::Agent).await;
    let (mut v, _) = visitor(&app, &b.f.key, None, None).await;
    v.send(text("q1", "你好")).await;
    let conv = v.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let assigned = agent_ws.until(10, |f| f["type"] == "assigned").await;
    assert_eq!(assigned["conversation"]["id"], conv.as_str());
    v.send(text("q2", "请问发票怎么开")).await;
    v.until(5, |f| f["type"] == "ack" && f["client_id"] == "q2")
        .await;
    let r = serving
        .get(&format!("/api/v1/conversations/{conv}/assist"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["question"], "请问发票怎么开");
    let s = r.body["suggestions"].as_array().unwrap();
    assert!(!s.is_empty() && s.len() <= 3, "{s:?}");
    assert_eq!(s[0]["item_id"], b.invoice.as_str());
    assert_eq!(s[0]["answer"]["text"], INVOICE);
    // Not theirs: as if it did not exist.
    assert_eq!(
        bystander
            .get(&format!("/api/v1/conversations/{conv}/assist"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The bot never spoke in a channel without it.
    assert!(v
        .seen
        .iter()
        .all(|f| !(f["type"] == "event" && f["body"]["bot"].is_object())));
}

/// Cross-tenant cases for the sweep in `tenancy.rs`: tenant A's unmatched question and
/// conversation, asked for by tenant B.
pub(crate) async fn cross_tenant_cases(
    app: &TestApp,
    a: &Tenant,
    b: &Tenant,
) -> Vec<(Method, String, Option<Value>)> {
    let group = a
        .admin
        .post("/api/v1/skill-groups", json!({"name": "bot 组"}))
        .await
        .id();
    let ch = a
        .admin
        .post(
            "/api/v1/channels",
            json!({"name": "bot 渠道", "skill_group_id": group}),
        )
        .await;
    let ch_id = ch.body["id"].as_str().unwrap().to_string();
    let key = ch.body["public_key"].as_str().unwrap().to_string();
    a.admin
        .put(
            &format!("/api/v1/channels/{ch_id}/widget"),
            json!({"prechat_fields": [], "bot_first": true}),
        )
        .await;
    let (mut v, _) = visitor(app, &key, None, None).await;
    v.send(text("x1", "xyzzy plugh")).await;
    let conv = v.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    bot_says(&mut v).await;
    let q = a.admin.get("/api/v1/bot/unmatched").await.body[0]["questions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b_cat = b
        .admin
        .post("/api/v1/knowledge/categories", json!({"name": "bot"}))
        .await
        .id();
    let b_item = item(b, &b_cat, "B 的问题", &[], "B").await;
    vec![
        (
            Method::POST,
            format!("/api/v1/bot/unmatched/{q}/attach"),
            Some(json!({"item_id": b_item})),
        ),
        (
            Method::POST,
            format!("/api/v1/bot/unmatched/{q}/create"),
            Some(json!({"category_id": b_cat, "answer": {"text": "x"}})),
        ),
        (
            Method::POST,
            format!("/api/v1/bot/unmatched/{q}/dismiss"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/conversations/{conv}/bot-decisions"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/conversations/{conv}/assist"),
            None,
        ),
    ]
}

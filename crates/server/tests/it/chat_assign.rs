//! Assignment bursts over real WebSockets: several `assigned` frames reach an
//! agent's socket back to back, and each conversation is still followed with
//! its whole history.

use crate::chat::{agent, fixture, go_online, is_text, text, visitor};
use kefu_testkit::TestApp;
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(an_agent_coming_online_gets_every_waiting_visitors_history,);

/// Several waiting visitors assigned in one routing pass: the agent must follow
/// every one of them with its history. (Under chat load the `assigned` frames
/// can reach the socket back to back, in its end-of-turn drain; this test does
/// not reliably produce that timing — `kefu-bench chat` is what caught the
/// drain forgetting to follow — but it pins the behaviour down.)
async fn an_agent_coming_online_gets_every_waiting_visitors_history(app: TestApp) {
    let f = fixture(&app, "burstco").await;
    let (busy_id, busy_http, mut busy_ws) = agent(&app, &f, "agent1", &f.group).await;
    let limit = |id: String, n: i64| {
        let admin = &f.t.admin;
        async move {
            let r = admin
                .patch(
                    &format!("/api/v1/users/{id}"),
                    json!({"reception_limit": n}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
    };
    limit(busy_id.clone(), 1).await;
    go_online(&busy_http, &busy_id, &f.online).await;
    let (mut first, _) = visitor(&app, &f.key, None, None).await;
    first.send(text("f1", "第一位")).await;
    busy_ws.until(5, |f| f["type"] == "assigned").await;
    // Five more visitors wait, each with a message typed while queued.
    let mut waiting = Vec::new();
    for i in 0..5 {
        let (mut v, _) = visitor(&app, &f.key, None, None).await;
        v.send(text(&format!("w{i}"), &format!("排队的第{i}位")))
            .await;
        v.until(5, |f| f["type"] == "queue").await;
        waiting.push(v);
    }
    // A second agent comes online with room for all of them.
    let (id, http, mut ws) = agent(&app, &f, "agent2", &f.group).await;
    limit(id.clone(), 10).await;
    go_online(&http, &id, &f.online).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut missing: Vec<String> = (0..5).map(|i| format!("排队的第{i}位")).collect();
    while !missing.is_empty() && tokio::time::Instant::now() < deadline {
        for frame in ws.drain(500).await {
            missing.retain(|t| !is_text(&frame, t));
        }
    }
    assert!(
        missing.is_empty(),
        "the agent never got {missing:?}; frames: {:#?}",
        ws.seen
    );
}

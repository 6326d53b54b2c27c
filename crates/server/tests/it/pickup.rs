//! Broadcast pick-up (抢单) and sticky routing (老客户优先原客服) over real
//! WebSockets: who sees what, who wins a claim, and where a returning visitor goes.

use crate::chat::{agent, fixture, go_online, online_agent, text, visitor, Fixture};
use kefu_domain::BuiltinRole;
use kefu_testkit::ws::Ws;
use kefu_testkit::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    two_agents_see_a_broadcast_conversation_and_the_first_claim_wins,
    a_returning_visitor_reaches_their_previous_agent,
    a_sticky_customer_waits_for_a_busy_agent_then_anyone_takes_them,
);

async fn set_strategy(f: &Fixture, body: Value) {
    let mut body = body;
    body["name"] = json!("售前");
    let r =
        f.t.admin
            .put(&format!("/api/v1/skill-groups/{}", f.group), body)
            .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

fn pickup_ids(f: &Value) -> Vec<String> {
    f["conversations"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|c| c["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The next `pickups` frame listing exactly `ids`.
async fn pickups_become(ws: &mut Ws, ids: &[&str]) -> Value {
    ws.until(10, |f| f["type"] == "pickups" && pickup_ids(f) == ids)
        .await
}

async fn two_agents_see_a_broadcast_conversation_and_the_first_claim_wins(app: TestApp) {
    let f = fixture(&app, "pickco").await;
    set_strategy(&f, json!({"strategy": "broadcast"})).await;
    let (a_id, a_http, mut a_ws) = online_agent(&app, &f, "amy").await;
    let (b_id, b_http, mut b_ws) = online_agent(&app, &f, "bob").await;
    // A member who is not receiving is not shown the pool.
    let (_, _, mut away_ws) = agent(&app, &f, "cat", &f.group).await;

    let (mut v, _) = visitor(&app, &f.key, None, None).await;
    v.send(text("m1", "我要抢购的订单能改地址吗")).await;
    let conv = v.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Nobody is given it: it waits, and the visitor hears their place (told
    // before the message's ack, so perhaps already read).
    let q = match v.seen.iter().find(|f| f["type"] == "queue").cloned() {
        Some(q) => q,
        None => v.until(5, |f| f["type"] == "queue").await,
    };
    assert_eq!(q["position"], 0, "{q}");

    // Both receiving agents see it in their pick-up list, with what was asked.
    for ws in [&mut a_ws, &mut b_ws] {
        let list = pickups_become(ws, &[conv.as_str()]).await;
        let item = &list["conversations"][0];
        assert_eq!(item["preview"], "我要抢购的订单能改地址吗", "{list}");
        assert_eq!(item["skill_group_name"], "售前");
        assert!(item["waiting_since"].is_i64(), "{item}");
    }
    assert!(
        !away_ws
            .drain(300)
            .await
            .iter()
            .any(|f| f["type"] == "pickups" && !pickup_ids(f).is_empty()),
        "an agent who is not receiving is offered nothing"
    );
    // The REST list says the same.
    let listed = a_http.get("/api/v1/pickups").await;
    assert_eq!(pickup_ids(&listed.body), vec![conv.clone()]);

    // Both claim at once: exactly one wins, the other is told it is too late.
    let path = format!("/api/v1/conversations/{conv}/pickup");
    let (ra, rb) = tokio::join!(a_http.post(&path, json!({})), b_http.post(&path, json!({})));
    let statuses = [ra.status, rb.status];
    assert!(
        statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::CONFLICT),
        "one wins, one conflicts: {:?} {:?}",
        ra.body,
        rb.body
    );
    let (winner, winner_ws, loser_ws, loser_resp) = if ra.status == StatusCode::OK {
        (a_id.clone(), &mut a_ws, &mut b_ws, &rb)
    } else {
        (b_id.clone(), &mut b_ws, &mut a_ws, &ra)
    };
    assert_eq!(loser_resp.code(), "already_taken", "{:?}", loser_resp.body);
    assert!(loser_resp.body["message"]
        .as_str()
        .unwrap()
        .contains("picked it up first"));

    // The winner is given it like any assignment, history included.
    let assigned = winner_ws.until(5, |f| f["type"] == "assigned").await;
    assert_eq!(assigned["conversation"]["id"], conv.as_str());
    assert_eq!(assigned["explanation"]["strategy"], "broadcast");
    assert_eq!(assigned["explanation"]["winner"], winner.as_str());
    winner_ws
        .until(5, |f| {
            f["type"] == "event" && f["body"]["text"] == "我要抢购的订单能改地址吗"
        })
        .await;
    // Everyone's list empties.
    pickups_become(loser_ws, &[]).await;
    pickups_become(winner_ws, &[]).await;
    v.until(5, |f| {
        f["type"] == "event" && f["body"]["event"] == "assigned"
    })
    .await;

    // A late claim over the socket gets the same answer, for that conversation.
    loser_ws
        .send(json!({"type": "pickup", "conversation_id": conv}))
        .await;
    let err = loser_ws.until(5, |f| f["type"] == "error").await;
    assert_eq!(
        (&err["code"], &err["status"], &err["conversation_id"]),
        (&json!("already_taken"), &json!(409), &json!(conv)),
        "{err}"
    );

    // Team leads see the pick-up in the assignment record, explained.
    let log =
        f.t.admin
            .get(&format!("/api/v1/conversations/{conv}/assignments"))
            .await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    let x = &log.body[0]["explanation"];
    assert_eq!(log.body[0]["agent_id"], winner.as_str(), "{:?}", log.body);
    assert_eq!(x["strategy"], "broadcast");
    assert!(
        x["summary"]
            .as_str()
            .unwrap()
            .contains("picked it up first"),
        "{x}"
    );

    // Someone outside the group cannot claim a pool's conversation.
    let (mut v2, _) = visitor(&app, &f.key, None, None).await;
    v2.send(text("m2", "还有人吗")).await;
    let conv2 = v2.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (outsider, outsider_http) = app.user(&f.t, "dan", BuiltinRole::Agent).await;
    go_online(&outsider_http, &outsider, &f.online).await;
    let r = outsider_http
        .post(&format!("/api/v1/conversations/{conv2}/pickup"), json!({}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "not_offered"),
        "{:?}",
        r.body
    );
}

/// Least busy would choose the other agent; sticky gives the returning
/// customer to the one who served them before.
async fn a_returning_visitor_reaches_their_previous_agent(app: TestApp) {
    let f = fixture(&app, "stickyco").await;
    set_strategy(&f, json!({"strategy": "sticky", "sticky_wait_seconds": 30})).await;
    let g =
        f.t.admin
            .get(&format!("/api/v1/skill-groups/{}", f.group))
            .await;
    assert_eq!(
        (&g.body["strategy"], &g.body["sticky_wait_seconds"]),
        (&json!("sticky"), &json!(30))
    );
    let (a_id, _, mut a_ws) = online_agent(&app, &f, "amy").await;
    let (b_id, _, mut b_ws) = online_agent(&app, &f, "bob").await;

    // The customer's first chat goes to whoever least busy picks: "first".
    let (mut v, welcome) = visitor(&app, &f.key, None, None).await;
    let token = welcome["visitor_token"].as_str().unwrap().to_string();
    v.send(text("m1", "第一次咨询")).await;
    let conv1 = v.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let first = v
        .until(5, |f| {
            f["type"] == "event" && f["body"]["event"] == "assigned"
        })
        .await["body"]["agent_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (first_ws, other_ws, other) = if first == a_id {
        (&mut a_ws, &mut b_ws, b_id.clone())
    } else {
        (&mut b_ws, &mut a_ws, a_id.clone())
    };
    first_ws.until(5, |f| f["type"] == "assigned").await;
    first_ws.send(json!({"type": "close", "conversation_id": conv1, "resolved": true, "summary": "", "tags": []})).await;
    v.until(5, |f| {
        f["type"] == "event" && f["body"]["event"] == "completed"
    })
    .await;
    drop(v);

    // Another customer makes both equally busy, "first" most recently: least
    // busy would now pick "other".
    let (mut w, _) = visitor(&app, &f.key, None, None).await;
    w.send(text("w1", "别的客户")).await;
    let got = w
        .until(5, |f| {
            f["type"] == "event" && f["body"]["event"] == "assigned"
        })
        .await;
    let (mut y, _) = visitor(&app, &f.key, None, None).await;
    y.send(text("y1", "又一个客户")).await;
    let got2 = y
        .until(5, |f| {
            f["type"] == "event" && f["body"]["event"] == "assigned"
        })
        .await;
    assert_ne!(
        got["body"]["agent_id"], got2["body"]["agent_id"],
        "least busy spreads new customers"
    );
    other_ws.until(5, |f| f["type"] == "assigned").await;

    // The first customer comes back (same browser): their previous agent gets them.
    let (mut back, _) = visitor(&app, &f.key, Some(&token), None).await;
    back.send(text("m2", "我又来了")).await;
    let conv2 = back.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(conv1, conv2, "a new conversation");
    let again = back
        .until(5, |f| {
            f["type"] == "event" && f["body"]["event"] == "assigned"
        })
        .await;
    assert_eq!(again["body"]["agent_id"], first.as_str(), "{again}");
    let assigned = first_ws
        .until(5, |f| {
            f["type"] == "assigned" && f["conversation"]["id"] == conv2.as_str()
        })
        .await;
    let x = &assigned["explanation"];
    assert_eq!(x["strategy"], "sticky");
    assert!(
        x["summary"]
            .as_str()
            .unwrap()
            .contains("served this customer last"),
        "{x}"
    );
    assert_ne!(first, other);
}

/// The previous agent is full: the customer waits for them (and is told so),
/// and once the group's sticky wait is over anyone may take them.
async fn a_sticky_customer_waits_for_a_busy_agent_then_anyone_takes_them(app: TestApp) {
    let f = fixture(&app, "stickywait").await;
    set_strategy(&f, json!({"strategy": "sticky", "sticky_wait_seconds": 1})).await;
    // Out-of-range waits are refused with the field named.
    let bad =
        f.t.admin
            .put(
                &format!("/api/v1/skill-groups/{}", f.group),
                json!({"name": "售前", "sticky_wait_seconds": 7200}),
            )
            .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["details"]["field"], "sticky_wait_seconds");

    let (a_id, _, mut a_ws) = online_agent(&app, &f, "amy").await;
    let (mut v, welcome) = visitor(&app, &f.key, None, None).await;
    let token = welcome["visitor_token"].as_str().unwrap().to_string();
    v.send(text("m1", "你好")).await;
    let conv1 = v.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    a_ws.until(5, |f| f["type"] == "assigned").await;
    a_ws.send(json!({"type": "close", "conversation_id": conv1, "resolved": true, "summary": "", "tags": []})).await;
    v.until(5, |f| {
        f["type"] == "event" && f["body"]["event"] == "completed"
    })
    .await;
    drop(v);

    // Amy is full now; Bob is free.
    let r =
        f.t.admin
            .patch(
                &format!("/api/v1/users/{a_id}"),
                json!({"reception_limit": 0}),
            )
            .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (b_id, _, mut b_ws) = online_agent(&app, &f, "bob").await;

    let (mut back, _) = visitor(&app, &f.key, Some(&token), None).await;
    back.send(text("m2", "还是找上次那位")).await;
    // Held for Amy: first in line, with an honest wait of at most the sticky wait.
    let q = back.until(5, |f| f["type"] == "queue").await;
    assert_eq!(q["position"], 0, "{q}");
    assert!(q["estimated_wait_ms"].as_i64().unwrap() <= 1000, "{q}");
    // Then the group's normal routing: Bob.
    let assigned = b_ws.until(10, |f| f["type"] == "assigned").await;
    assert_eq!(assigned["explanation"]["winner"], b_id.as_str());
    let again = back
        .until(5, |f| {
            f["type"] == "event" && f["body"]["event"] == "assigned"
        })
        .await;
    assert_eq!(again["body"]["agent_id"], b_id.as_str());
}

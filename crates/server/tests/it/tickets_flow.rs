//! Hand-over limited by the skill-group flow scope (技能组工单流转范围, SPEC §3)
//! over HTTP. The rule itself is table-tested in `kefu_domain::ticket`; here:
//! the scope is set through the skill-group API, a hand-over outside it is
//! refused (403 `outside_flow_scope`) and changes nothing, one inside it routes
//! the ticket to the new group, and clearing the scope opens every group.

use crate::tickets::{new_ticket, ticket_type};
use kefu_domain::BuiltinRole;
use kefu_testkit::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(hand_over_outside_the_flow_scope_is_refused);

async fn hand_over_outside_the_flow_scope_is_refused(app: TestApp) {
    let t = app.tenant("tk-scope").await;
    let group = |name: &'static str| {
        let t = &t;
        async move {
            t.admin
                .post("/api/v1/skill-groups", json!({"name": name}))
                .await
                .id()
        }
    };
    let (front, billing, tech, legal) = (
        group("前台").await,
        group("财务").await,
        group("技术").await,
        group("法务").await,
    );
    let (agent_id, agent) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    for g in [&front, &legal] {
        let r = t
            .admin
            .put(
                &format!("/api/v1/skill-groups/{g}/members/{agent_id}"),
                json!({"level": 5}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
    }
    // 前台 may pass tickets to 财务 only; 法务 to 技术 only. The union: 财务, 技术.
    for (g, scope) in [(&front, json!([billing])), (&legal, json!([tech]))] {
        let name = t.admin.get(&format!("/api/v1/skill-groups/{g}")).await.body["name"].clone();
        let r = t
            .admin
            .put(
                &format!("/api/v1/skill-groups/{g}"),
                json!({"name": name, "flow_scope": scope}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.body["flow_scope"], scope);
    }
    // A scope naming a group that does not exist is refused.
    let r = t
        .admin
        .put(
            &format!("/api/v1/skill-groups/{front}"),
            json!({"name": "前台", "flow_scope": ["0190a3b2-0000-7000-8000-000000000001"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // An agent may not set scopes.
    let r = agent
        .put(
            &format!("/api/v1/skill-groups/{front}"),
            json!({"name": "前台", "flow_scope": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let scope = agent.get("/api/v1/ticket-flow-scope").await.body;
    assert_eq!(scope["any"], false);
    let mut allowed: Vec<&str> = scope["skill_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    allowed.sort();
    assert_eq!(allowed, ["技术", "财务"]);

    let ty = ticket_type(&t, "工单", Some(&front), None).await;
    let k = new_ticket(&agent, &ty, "发票", json!({})).await;
    let id = k["id"].as_str().unwrap().to_string();
    let transfer = |to: &str| {
        let agent = &agent;
        let path = format!("/api/v1/tickets/{id}/transfer");
        let body = json!({"skill_group_id": to, "note": "请处理"});
        async move { agent.post(&path, body).await }
    };
    // Outside the union (法务 itself is not in any scope): refused, nothing changes.
    let r = transfer(&legal).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "outside_flow_scope");
    let now = agent.get(&format!("/api/v1/tickets/{id}")).await.body;
    assert_eq!(now["skill_group_id"], front.as_str());
    let comments = agent
        .get(&format!("/api/v1/tickets/{id}/comments"))
        .await
        .body;
    assert!(
        comments.as_array().unwrap().is_empty(),
        "no note was written"
    );
    // Creating straight into a group outside the scope is refused the same way.
    let r = agent
        .post(
            "/api/v1/tickets",
            json!({"type_id": ty, "title": "x", "fields": {"order_no": "1"}, "skill_group_id": legal}),
        )
        .await;
    assert_eq!(r.code(), "outside_flow_scope");
    // Inside the union (from either group's scope): handed over.
    let r = transfer(&tech).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["skill_group_id"], tech.as_str());
    assert_eq!(r.body["assignee_id"], Value::Null);
    // The agent is no longer in the ticket's group but created it: still sees it.
    let r = transfer(&billing).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // One of the operator's groups without a scope: every group is allowed.
    let r = t
        .admin
        .put(
            &format!("/api/v1/skill-groups/{legal}"),
            json!({"name": "法务", "flow_scope": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["flow_scope"], Value::Null);
    assert_eq!(
        agent.get("/api/v1/ticket-flow-scope").await.body["any"],
        true
    );
    let r = transfer(&legal).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // An operator in no skill group (the administrator): every group.
    let r = t
        .admin
        .post(
            &format!("/api/v1/tickets/{id}/transfer"),
            json!({"skill_group_id": front}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // The history has each hand-over, old → new group.
    let h = agent
        .get(&format!("/api/v1/tickets/{id}/history"))
        .await
        .body;
    let hops: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["field"] == "skill_group")
        .map(|c| c["new_value"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(hops, ["技术", "财务", "法务", "前台"]);
}

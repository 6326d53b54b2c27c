//! The per-agent ticket limit (工单上限): routing gives an agent no more open
//! tickets than their `ticket_limit`; the rest wait in the group until one of
//! theirs is resolved. Out-of-range limits are refused with a 422.

use crate::chat::{fixture, go_online, online_agent, Fixture};
use crate::tickets::{new_ticket, ticket_type};
use kefu_testkit::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    an_agent_at_their_ticket_limit_gets_no_more_until_one_is_resolved,
    ticket_limit_out_of_range_is_refused,
);

async fn an_agent_at_their_ticket_limit_gets_no_more_until_one_is_resolved(app: TestApp) {
    let f: Fixture = fixture(&app, "tk-limit").await;
    let after_sales =
        f.t.admin
            .post("/api/v1/skill-groups", json!({"name": "售后"}))
            .await
            .id();
    let ty = ticket_type(&f.t, "售后单", Some(&after_sales), None).await;
    let (_, agent1, _) = online_agent(&app, &f, "agent1").await;
    let (a2, agent2, _ws2) = crate::chat::agent(&app, &f, "agent2", &after_sales).await;
    go_online(&agent2, &a2, &f.online).await;
    // New users get the default of 10; the limit is lowered while agent2 is
    // online, so the change has to reach routing.
    let me = agent2.get(&format!("/api/v1/users/{a2}")).await.body;
    assert_eq!(me["ticket_limit"], 10);
    let r =
        f.t.admin
            .patch(&format!("/api/v1/users/{a2}"), json!({"ticket_limit": 1}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["ticket_limit"], 1);

    let k1 = new_ticket(&agent1, &ty, "换货", json!({})).await;
    assert_eq!(k1["assignee_id"], a2.as_str(), "first ticket is routed");
    let k2 = new_ticket(&agent1, &ty, "退款", json!({})).await;
    assert_eq!(k2["assignee_id"], Value::Null, "agent2 is at their limit");
    let k2_id = k2["id"].as_str().unwrap();
    let waiting = agent2
        .get(&format!(
            "/api/v1/tickets?skill_group_id={after_sales}&unassigned=true"
        ))
        .await
        .body;
    assert_eq!(waiting["total"], 1);
    let mine = agent2.get("/api/v1/tickets?mine=true").await.body;
    assert_eq!(mine["total"], 1);

    // Resolving the first frees the slot: the waiting ticket flows in.
    let r = agent2
        .post(
            &format!("/api/v1/tickets/{}/transitions", k1["id"].as_str().unwrap()),
            json!({"to": "resolved"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let k2 = agent2.get(&format!("/api/v1/tickets/{k2_id}")).await.body;
    assert_eq!(k2["assignee_id"], a2.as_str(), "queued ticket assigned");
    // …and a third waits again, agent2 being full once more.
    let k3 = new_ticket(&agent1, &ty, "补发", json!({})).await;
    assert_eq!(k3["assignee_id"], Value::Null);
}

async fn ticket_limit_out_of_range_is_refused(app: TestApp) {
    let f: Fixture = fixture(&app, "tk-limit-bad").await;
    let (a2, _agent2, _ws) = crate::chat::agent(&app, &f, "agent2", &f.group).await;
    for bad in [-1, 1001] {
        let r =
            f.t.admin
                .patch(&format!("/api/v1/users/{a2}"), json!({"ticket_limit": bad}))
                .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            "{bad}: {:?}",
            r.body
        );
        assert_eq!(r.body["details"]["field"], "ticket_limit");
    }
    let role = f.t.role_id(kefu_domain::BuiltinRole::Agent).await;
    let r =
        f.t.admin
            .post(
                "/api/v1/users",
                json!({"username": "newbie", "password": "long-enough-pw", "display_name": "新人",
                   "role_id": role, "ticket_limit": -1}),
            )
            .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["details"]["field"], "ticket_limit");
    // The API description documents the field on the record and both inputs.
    let doc = f.t.admin.get("/api/v1/openapi.json").await.body;
    for schema in ["User", "CreateUser", "UpdateUser"] {
        let ty = &doc["components"]["schemas"][schema]["properties"]["ticket_limit"]["type"];
        // `integer`, or `["integer", "null"]` for the optional inputs.
        let integer = json!("integer");
        assert!(
            *ty == integer || ty.as_array().is_some_and(|a| a.contains(&integer)),
            "{schema}: {ty}"
        );
    }
    // Nothing changed.
    let u = f.t.admin.get(&format!("/api/v1/users/{a2}")).await.body;
    assert_eq!(u["ticket_limit"], 10);
}

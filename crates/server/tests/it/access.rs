//! Roles and permissions, the people/organisation resources, and how bad input
//! is answered.

use kefu_domain::BuiltinRole;
use kefu_testkit::{Client, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    agents_get_403_on_admin_endpoints,
    bad_input_gets_clear_errors,
    custom_roles_grant_exactly_their_permissions_and_cannot_escalate,
    the_last_administrator_cannot_be_removed,
    status_changes_are_events_and_forced_changes_are_audited,
    organisation_tree_groups_and_levels,
);

async fn agents_get_403_on_admin_endpoints(app: TestApp) {
    let t = app.tenant("perm").await;
    let (agent_id, agent) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    let admin_role = t.role_id(BuiltinRole::Administrator).await;
    let calls: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/api/v1/users", None),
        (
            Method::POST,
            "/api/v1/users",
            Some(
                json!({"username": "x1", "password": PASSWORD, "display_name": "x", "role_id": admin_role}),
            ),
        ),
        (
            Method::POST,
            "/api/v1/roles",
            Some(json!({"name": "r", "permissions": []})),
        ),
        (
            Method::POST,
            "/api/v1/departments",
            Some(json!({"name": "d"})),
        ),
        (
            Method::POST,
            "/api/v1/skill-groups",
            Some(json!({"name": "g"})),
        ),
        (
            Method::POST,
            "/api/v1/reception-statuses",
            Some(json!({"name": "s", "can_receive": true})),
        ),
        (Method::GET, "/api/v1/api-tokens", None),
        (
            Method::POST,
            "/api/v1/api-tokens",
            Some(json!({"name": "t", "role_id": admin_role})),
        ),
        (Method::GET, "/api/v1/audit-log", None),
        (Method::POST, "/api/v1/channels", Some(json!({"name": "c"}))),
    ];
    for (m, path, body) in calls {
        let r = agent.send(m.clone(), path, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{m} {path}: {:?}", r.body);
        assert_eq!(r.code(), "forbidden");
        assert!(r.body["details"]["permission"].is_string());
    }
    // …but an agent may read their own record and the pickers.
    assert_eq!(
        agent.get(&format!("/api/v1/users/{agent_id}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        agent.get("/api/v1/reception-statuses").await.status,
        StatusCode::OK
    );
    let me = agent.get("/api/v1/me").await.body;
    assert_eq!(me["user"]["username"], "agent1");
    assert!(!me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "users.manage"));
}

async fn bad_input_gets_clear_errors(app: TestApp) {
    let t = app.tenant("badin").await;
    let r = t
        .admin
        .raw(
            Method::POST,
            "/api/v1/departments",
            "application/json",
            "{\"name\": ",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "malformed_json");
    assert!(!r.body["message"].as_str().unwrap().is_empty());
    assert!(r.body["details"].is_object());
    let r = t
        .admin
        .raw(
            Method::POST,
            "/api/v1/departments",
            "application/json",
            "{\"name\": 42}",
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
    );
    let r = t
        .admin
        .raw(Method::POST, "/api/v1/departments", "text/plain", "name=x")
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let r = t
        .admin
        .post("/api/v1/departments", json!({"name": "   "}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    assert_eq!(r.body["details"]["field"], "name");
    let role = t.role_id(BuiltinRole::Agent).await;
    let r = t.admin.post("/api/v1/users", json!({"username": "bad name!", "password": PASSWORD, "display_name": "x", "role_id": role})).await;
    assert_eq!(r.body["details"]["field"], "username");
    let r = t.admin.post("/api/v1/users", json!({"username": "ok", "password": PASSWORD, "display_name": "x", "role_id": role, "reception_limit": 1000})).await;
    assert_eq!(r.body["details"]["field"], "reception_limit");
    let r = t.admin.post("/api/v1/users", json!({"username": "ok", "password": PASSWORD, "display_name": "x", "role_id": "not-an-id"})).await;
    assert_eq!(
        (r.status, r.body["details"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("role_id"))
    );
    let r = t.admin.post("/api/v1/users", json!({"username": "ok", "password": PASSWORD, "display_name": "x", "role_id": role, "surprise": 1})).await;
    assert_eq!(
        r.code(),
        "invalid_body",
        "unknown fields are refused, not ignored"
    );
    // Nothing half-written: none of the refused users exists.
    let users = t.admin.get("/api/v1/users").await.body;
    assert_eq!(users.as_array().unwrap().len(), 1);
    let r = t
        .admin
        .post(
            "/api/v1/reception-statuses",
            json!({"name": "在线", "can_receive": true}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "already_exists")
    );
    let r = t.admin.get("/api/v1/users/not-a-uuid").await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    let r = t.admin.get("/api/v1/no-such-endpoint").await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
}

async fn custom_roles_grant_exactly_their_permissions_and_cannot_escalate(app: TestApp) {
    let t = app.tenant("roles").await;
    let bad = t
        .admin
        .post(
            "/api/v1/roles",
            json!({"name": "x", "permissions": ["users.view", "make.coffee"]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let hr = t.admin.post("/api/v1/roles", json!({"name": "人事", "permissions": ["users.view", "users.manage", "agent.multimedia", "customers.view", "knowledge.view", "tickets.view"], "description": "HR"})).await;
    assert_eq!(hr.status, StatusCode::CREATED);
    let hr_role = hr.id();
    let r = t.admin.post("/api/v1/users", json!({"username": "hr1", "password": PASSWORD, "display_name": "HR", "role_id": hr_role})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let hr_user = Client::login(&app.base, "roles", "hr1", PASSWORD)
        .await
        .unwrap();
    // HR can manage users with roles no stronger than theirs (the agent role
    // carries agent.multimedia, customers.view, knowledge.view and tickets.view,
    // which HR holds)…
    let agent_role = t.role_id(BuiltinRole::Agent).await;
    let made = hr_user.post("/api/v1/users", json!({"username": "new-agent", "password": PASSWORD, "display_name": "N", "role_id": agent_role})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    // …but cannot hand out the administrator role, nor see the audit log.
    let admin_role = t.role_id(BuiltinRole::Administrator).await;
    let esc = hr_user
        .patch(
            &format!("/api/v1/users/{}", made.id()),
            json!({"role_id": admin_role}),
        )
        .await;
    assert_eq!(
        (esc.status, esc.code()),
        (StatusCode::FORBIDDEN, "not_allowed")
    );
    assert_eq!(
        hr_user.get("/api/v1/audit-log").await.status,
        StatusCode::FORBIDDEN
    );
    // Built-in roles are fixed; a role in use cannot be deleted.
    let r = t
        .admin
        .put(
            &format!("/api/v1/roles/{agent_role}"),
            json!({"name": "x", "permissions": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.admin.delete(&format!("/api/v1/roles/{hr_role}")).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "in_use"));
    // Granting the audit permission takes effect on the next request.
    let upd = t.admin.put(&format!("/api/v1/roles/{hr_role}"), json!({"name": "人事", "permissions": ["users.view", "users.manage", "agent.multimedia", "customers.view", "knowledge.view", "tickets.view", "audit.view"]})).await;
    assert_eq!(upd.status, StatusCode::OK);
    assert_eq!(
        hr_user.get("/api/v1/audit-log").await.status,
        StatusCode::OK
    );
    let audit = t
        .admin
        .get("/api/v1/audit-log?resource_type=role")
        .await
        .body;
    let entry = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "role.update")
        .expect("role update audited");
    assert_eq!(entry["before"]["permissions"].as_array().unwrap().len(), 6);
    assert_eq!(entry["after"]["permissions"].as_array().unwrap().len(), 7);
    assert_eq!(entry["actor_name"], "admin");
}

async fn the_last_administrator_cannot_be_removed(app: TestApp) {
    let t = app.tenant("lastadmin").await;
    let me = t.admin.get("/api/v1/me").await.body["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = t
        .admin
        .patch(&format!("/api/v1/users/{me}"), json!({"active": false}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "cannot deactivate yourself"
    );
    let (second, second_client) = app.user(&t, "admin2", BuiltinRole::Administrator).await;
    let agent_role = t.role_id(BuiltinRole::Agent).await;
    // Two admins: demoting one is fine; demoting the other then is not.
    assert_eq!(
        second_client
            .patch(
                &format!("/api/v1/users/{me}"),
                json!({"role_id": agent_role})
            )
            .await
            .status,
        StatusCode::OK
    );
    let r = t.admin.get("/api/v1/users").await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the demotion applies at once"
    );
    let r = second_client
        .patch(
            &format!("/api/v1/users/{second}"),
            json!({"role_id": agent_role}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "last_administrator")
    );
    let r = second_client
        .delete(&format!("/api/v1/users/{second}"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "cannot delete yourself");
}

async fn status_changes_are_events_and_forced_changes_are_audited(app: TestApp) {
    let t = app.tenant("status").await;
    let (agent_id, agent) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    let (other_id, _) = app.user(&t, "agent2", BuiltinRole::Agent).await;
    let (_, lead) = app.user(&t, "lead", BuiltinRole::TeamLead).await;
    let statuses = agent.get("/api/v1/reception-statuses").await.body;
    let id_of = |name: &str| {
        statuses
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (online, rest) = (id_of("在线"), id_of("小休"));
    assert_eq!(
        statuses
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "在线")
            .unwrap()["can_receive"],
        true
    );
    assert_eq!(
        statuses
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "小休")
            .unwrap()["can_receive"],
        false
    );

    let e1 = agent
        .put(
            &format!("/api/v1/users/{agent_id}/status"),
            json!({"status_id": online}),
        )
        .await;
    assert_eq!(e1.status, StatusCode::OK, "{:?}", e1.body);
    let e2 = agent
        .put(
            &format!("/api/v1/users/{agent_id}/status"),
            json!({"status_id": rest}),
        )
        .await;
    assert_eq!(e2.body["from_status_id"], online.as_str());
    assert!(e2.body["at"].as_i64().unwrap() >= e1.body["at"].as_i64().unwrap());
    let r = agent
        .put(
            &format!("/api/v1/users/{other_id}/status"),
            json!({"status_id": online}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "agents change only their own status"
    );
    let r = lead
        .put(
            &format!("/api/v1/users/{agent_id}/status"),
            json!({"status_id": online}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "team leads may force a status");
    let r = agent
        .put(
            &format!("/api/v1/users/{agent_id}/status"),
            json!({"status_id": "0193a000-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_eq!(r.body["details"]["field"], "status_id");

    let events = lead
        .get(&format!("/api/v1/users/{agent_id}/status-events"))
        .await
        .body;
    let to: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to_status_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        to,
        vec![online.as_str(), rest.as_str(), online.as_str()],
        "newest first"
    );
    let user = lead.get(&format!("/api/v1/users/{agent_id}")).await.body;
    assert_eq!(user["status_id"], online.as_str());
    let audit = t.admin.get("/api/v1/audit-log").await.body;
    let forced: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "agent.status_force")
        .collect();
    assert_eq!(
        forced.len(),
        1,
        "only the lead's change is an administrative one"
    );
    assert_eq!(forced[0]["actor_name"], "lead");
    // A status an agent is in cannot be deleted.
    assert_eq!(
        t.admin
            .delete(&format!("/api/v1/reception-statuses/{online}"))
            .await
            .code(),
        "in_use"
    );
}

async fn organisation_tree_groups_and_levels(app: TestApp) {
    let t = app.tenant("org").await;
    let root = t
        .admin
        .post("/api/v1/departments", json!({"name": "客服中心"}))
        .await
        .id();
    let child = t
        .admin
        .post(
            "/api/v1/departments",
            json!({"name": "售后部", "parent_id": root}),
        )
        .await;
    assert_eq!(child.body["parent_id"], root.as_str());
    let child = child.id();
    let cycle = t
        .admin
        .put(
            &format!("/api/v1/departments/{root}"),
            json!({"name": "客服中心", "parent_id": child}),
        )
        .await;
    assert_eq!(
        (cycle.status, cycle.body["details"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("parent_id"))
    );
    let r = t.admin.delete(&format!("/api/v1/departments/{root}")).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "in_use"),
        "a department with children stays"
    );

    let group = t
        .admin
        .post(
            "/api/v1/skill-groups",
            json!({"name": "VIP专席", "department_id": child}),
        )
        .await;
    assert_eq!(group.status, StatusCode::CREATED);
    let group = group.id();
    let (a1, _) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    let (a2, agent2) = app.user(&t, "agent2", BuiltinRole::Agent).await;
    for (u, level) in [(&a1, 4), (&a2, 9)] {
        let r = t
            .admin
            .put(
                &format!("/api/v1/skill-groups/{group}/members/{u}"),
                json!({"level": level}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
    }
    let r = t
        .admin
        .put(
            &format!("/api/v1/skill-groups/{group}/members/{a1}"),
            json!({"level": 11}),
        )
        .await;
    assert_eq!(r.body["details"]["field"], "level");
    let members = t
        .admin
        .get(&format!("/api/v1/skill-groups/{group}/members"))
        .await
        .body;
    let order: Vec<(&str, i64)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["username"].as_str().unwrap(),
                m["level"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(order, vec![("agent2", 9), ("agent1", 4)]);
    let me = agent2.get("/api/v1/me").await.body;
    assert_eq!(me["skill_groups"][0]["group"]["name"], "VIP专席");
    assert_eq!(me["skill_groups"][0]["level"], 9);
    // Reception limit (接待上限) is per agent.
    let r = t
        .admin
        .patch(
            &format!("/api/v1/users/{a1}"),
            json!({"reception_limit": 8, "sip_extension": "8001"}),
        )
        .await;
    assert_eq!(
        (
            r.body["reception_limit"].clone(),
            r.body["sip_extension"].clone()
        ),
        (json!(8), json!("8001"))
    );
    assert_eq!(
        t.admin
            .delete(&format!("/api/v1/skill-groups/{group}/members/{a1}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.admin
            .get(&format!("/api/v1/skill-groups/{group}/members"))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

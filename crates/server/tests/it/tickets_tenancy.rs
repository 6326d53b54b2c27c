//! The ticket endpoints' cases for the tenancy sweep (`tenancy.rs`): every
//! ticket endpoint called by tenant B with tenant A's ids, and a check that A's
//! ticket is unchanged afterwards.

use crate::tickets::{new_ticket, ticket_type};
use kefu_domain::BuiltinRole;
use kefu_testkit::{Tenant, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

/// Cross-tenant cases for `tenancy.rs`: every ticket endpoint with A's ids,
/// as B.
pub(crate) struct CrossTenant {
    pub cases: Vec<(Method, String, Option<Value>)>,
    a_ticket: String,
}

pub(crate) async fn cross_tenant_cases(
    app: &TestApp,
    a: &Tenant,
    b: &Tenant,
    a_conv: &str,
    a_offline: &str,
    a_customer: &str,
) -> CrossTenant {
    let a_type = ticket_type(a, "A 类型", None, None).await;
    let (a_user, a_agent) = app.user(a, "tk-agent-a", BuiltinRole::Agent).await;
    let a_ticket = new_ticket(
        &a.admin,
        &a_type,
        "A 的工单",
        json!({"assignee_id": a_user, "conversation_id": a_conv}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a_note = a_agent.get("/api/v1/notifications").await.body["notifications"][0]["id"]
        .as_str()
        .expect("A's agent was notified")
        .to_string();
    let b_type = ticket_type(b, "B 类型", None, None).await;
    let b_group = b
        .admin
        .post("/api/v1/skill-groups", json!({"name": "B 工单组"}))
        .await
        .id();
    let (b_user, _) = app.user(b, "tk-agent-b", BuiltinRole::Agent).await;
    let body = json!({"type_id": b_type, "title": "x", "fields": {"order_no": "1"}});
    let k = |s: &str| format!("/api/v1/tickets/{a_ticket}{s}");
    let cases = vec![
        (Method::GET, format!("/api/v1/ticket-types/{a_type}"), None),
        (
            Method::PUT,
            format!("/api/v1/ticket-types/{a_type}"),
            Some(json!({"name": "hijack"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/ticket-types/{a_type}"),
            None,
        ),
        (Method::GET, k(""), None),
        (Method::PATCH, k(""), Some(json!({"title": "hijack"}))),
        (Method::GET, k("/detail"), None),
        (
            Method::POST,
            k("/transitions"),
            Some(json!({"to": "resolved"})),
        ),
        (
            Method::POST,
            k("/assign"),
            Some(json!({"assignee_id": b_user})),
        ),
        (
            Method::POST,
            k("/transfer"),
            Some(json!({"skill_group_id": b_group})),
        ),
        (Method::GET, k("/comments"), None),
        (
            Method::POST,
            k("/comments"),
            Some(json!({"kind": "reply", "body": "hijack"})),
        ),
        (Method::GET, k("/history"), None),
        (Method::GET, k("/watchers"), None),
        (
            Method::PUT,
            k(&format!("/watchers/{b_user}")),
            Some(json!({})),
        ),
        (Method::DELETE, k(&format!("/watchers/{b_user}")), None),
        (
            Method::GET,
            format!("/api/v1/conversations/{a_conv}/tickets"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/conversations/{a_conv}/tickets"),
            Some(body.clone()),
        ),
        (
            Method::POST,
            format!("/api/v1/offline-messages/{a_offline}/ticket"),
            Some(body),
        ),
        (
            Method::GET,
            format!("/api/v1/customers/{a_customer}/tickets"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/notifications/{a_note}/read"),
            Some(json!({})),
        ),
    ];
    CrossTenant { cases, a_ticket }
}

impl CrossTenant {
    pub(crate) async fn assert_unchanged(&self, a: &Tenant, b: &Tenant) {
        let k = a
            .admin
            .get(&format!("/api/v1/tickets/{}", self.a_ticket))
            .await
            .body;
        assert_eq!(k["title"], "A 的工单");
        assert_eq!(k["status"], "new");
        let c = a
            .admin
            .get(&format!("/api/v1/tickets/{}/comments", self.a_ticket))
            .await
            .body;
        assert!(c.as_array().unwrap().is_empty());
        assert_eq!(b.admin.get("/api/v1/tickets").await.body["total"], 0);
    }
}

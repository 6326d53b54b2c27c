//! Tickets (工单) over HTTP: permissions, form checks, enforced workflow
//! transitions, routing to an agent of the group, several tickets per
//! conversation, tickets from offline messages and the bot, watchers and
//! notifications. The flow-scope rule is in `tickets_flow.rs`, the
//! cross-tenant cases in `tickets_tenancy.rs`.

use crate::chat::{fixture, go_online, online_agent, text, visitor, Fixture};
use crate::crm::{codes, custom_user};
use kefu_domain::BuiltinRole;
use kefu_testkit::{Client, Tenant, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    ticket_types_and_tickets_check_permissions_and_every_field,
    transitions_outside_the_workflow_or_role_are_refused_and_change_nothing,
    a_ticket_for_a_group_is_routed_to_an_online_member,
    a_conversation_may_have_several_tickets_and_offline_messages_become_tickets,
    watchers_are_notified_of_replies_but_not_of_their_own,
);

/// A ticket type with a form of several kinds and, optionally, a group; the
/// standard workflow except that resolved → closed is reserved for `closer_role`.
pub(crate) async fn ticket_type(
    t: &Tenant,
    name: &str,
    group: Option<&str>,
    closer_role: Option<&str>,
) -> String {
    let mut body = json!({
        "name": name,
        "skill_group_id": group,
        "fields": [
            {"key": "order_no", "label": "订单号", "kind": "text", "required": true},
            {"key": "detail", "label": "问题描述", "kind": "rich_text"},
            {"key": "amount", "label": "金额", "kind": "number"},
            {"key": "reason", "label": "原因", "kind": "select", "options": ["质量", "物流"]},
            {"key": "photos", "label": "照片", "kind": "attachment"}
        ],
    });
    if let Some(role) = closer_role {
        body["workflow"] = json!({
            "statuses": [
                {"key": "new", "label": "待处理", "initial": true},
                {"key": "in_progress", "label": "处理中"},
                {"key": "resolved", "label": "已解决", "category": "resolved"},
                {"key": "closed", "label": "已关闭", "category": "closed"}
            ],
            "transitions": [
                {"from": "new", "to": "in_progress", "label": "开始处理"},
                {"from": "new", "to": "resolved", "label": "解决"},
                {"from": "in_progress", "to": "resolved", "label": "解决"},
                {"from": "resolved", "to": "closed", "label": "关闭", "roles": [role]},
                {"from": "resolved", "to": "in_progress", "label": "重新打开"}
            ]
        });
    }
    let r = t.admin.post("/api/v1/ticket-types", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.id()
}

pub(crate) async fn new_ticket(c: &Client, type_id: &str, title: &str, extra: Value) -> Value {
    let mut body = json!({"type_id": type_id, "title": title, "fields": {"order_no": "A-100"}});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            body[k] = v;
        }
    }
    let r = c.post("/api/v1/tickets", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

async fn ticket_types_and_tickets_check_permissions_and_every_field(app: TestApp) {
    let t = app.tenant("tk-perm").await;
    let (_, agent) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    // Agents work on tickets but do not define types.
    let r = agent
        .post("/api/v1/ticket-types", json!({"name": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["details"]["permission"], "ticket_types.manage");
    // Someone without any ticket permission sees none.
    let outsider = custom_user(&app, &t, "hr", &["users.view"]).await;
    let r = outsider.get("/api/v1/tickets").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["details"]["permission"], "tickets.view");

    // A bad definition: every problem at once.
    let r = t
        .admin
        .post(
            "/api/v1/ticket-types",
            json!({"name": "", "default_priority": "asap",
                   "fields": [{"key": "Bad Key", "label": "x", "kind": "text"}],
                   "workflow": {"statuses": [{"key": "a", "label": "A"}],
                                "transitions": [{"from": "a", "to": "zz", "label": "go"}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_fields");
    let got = codes(&r.body);
    for want in [
        ("name", "invalid_name"),
        ("fields[0].key", "invalid_key"),
        ("workflow.statuses", "one_initial_status"),
        ("workflow.statuses", "no_final_status"),
        ("workflow.transitions[0].to", "unknown_status"),
        ("default_priority", "invalid_priority"),
    ] {
        assert!(
            got.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} missing from {got:?}"
        );
    }

    let ty = ticket_type(&t, "售后", None, None).await;
    // A ticket with bad values: all of them reported, nothing created.
    let r = agent
        .post(
            "/api/v1/tickets",
            json!({"type_id": ty, "title": "", "priority": "asap",
                   "fields": {"amount": "lots", "reason": "天气", "photos": ["nope"], "colour": "red"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let got = codes(&r.body);
    for want in [
        ("title", "invalid_title"),
        ("priority", "invalid_priority"),
        ("fields.order_no", "required"),
        ("fields.amount", "not_a_number"),
        ("fields.reason", "not_an_option"),
        ("fields.photos", "invalid_attachment"),
        ("fields.colour", "unknown_field"),
    ] {
        assert!(
            got.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} missing from {got:?}"
        );
    }
    assert_eq!(
        t.admin.get("/api/v1/tickets").await.body["total"],
        0,
        "nothing was created"
    );
    // Good values: created with number 1, the agent as creator and watcher.
    let k = new_ticket(
        &agent,
        &ty,
        "退货申请",
        json!({"fields": {"order_no": "A-1", "detail": "第一行\n第二行", "amount": 99.5, "reason": "质量"},
               "priority": "high"}),
    )
    .await;
    assert_eq!(k["number"], 1);
    assert_eq!(k["status"], "new");
    assert_eq!(k["priority"], "high");
    assert_eq!(k["source"], "manual");
    assert_eq!(k["fields"]["detail"], "第一行\n第二行");
    let id = k["id"].as_str().unwrap();
    let w = agent.get(&format!("/api/v1/tickets/{id}/watchers")).await;
    assert_eq!(w.body[0]["username"], "agent1");
    // Assigning it to someone else needs tickets.manage.
    let (lead_id, _) = app.user(&t, "lead1", BuiltinRole::TeamLead).await;
    let r = agent
        .post(
            &format!("/api/v1/tickets/{id}/assign"),
            json!({"assignee_id": lead_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["details"]["permission"], "tickets.manage");
    // Editing writes the history, field by field.
    let r = agent
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"fields": {"order_no": "A-2", "amount": 99.5, "reason": "物流"}, "priority": "urgent"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let h = agent
        .get(&format!("/api/v1/tickets/{id}/history"))
        .await
        .body;
    let fields: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "created",
            "fields.detail",
            "fields.order_no",
            "fields.reason",
            "priority"
        ]
    );
    let order = &h[2];
    assert_eq!(
        (order["old_value"].clone(), order["new_value"].clone()),
        (json!("A-1"), json!("A-2"))
    );
    assert_eq!(order["actor_name"], "agent1");
    // The other agent (not creator, no group) cannot see it at all.
    let (_, agent2) = app.user(&t, "agent2", BuiltinRole::Agent).await;
    assert_eq!(
        agent2.get(&format!("/api/v1/tickets/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(agent2.get("/api/v1/tickets").await.body["total"], 0);
    // An API token creates through the API.
    let token = Client::with_token(&app.base, &t.admin_token().await);
    let k = new_ticket(&token, &ty, "接口创建", json!({})).await;
    assert_eq!(
        (k["number"].clone(), k["source"].clone()),
        (json!(2), json!("api"))
    );
    // A type with tickets cannot be deleted.
    let r = t.admin.delete(&format!("/api/v1/ticket-types/{ty}")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

async fn transitions_outside_the_workflow_or_role_are_refused_and_change_nothing(app: TestApp) {
    let t = app.tenant("tk-flow").await;
    let lead_role = t.role_id(BuiltinRole::TeamLead).await;
    let ty = ticket_type(&t, "投诉", None, Some(&lead_role)).await;
    let (_, agent) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    let (_, lead) = app.user(&t, "lead1", BuiltinRole::TeamLead).await;
    let k = new_ticket(&agent, &ty, "投诉处理", json!({})).await;
    let id = k["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/tickets/{id}/transitions");
    // Not in the workflow: 409 with a message that says what is allowed.
    let r = agent.post(&path, json!({"to": "closed"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "transition_not_allowed");
    let msg = r.body["message"].as_str().unwrap();
    assert!(
        msg.contains("待处理 (new)") && msg.contains("已关闭 (closed)"),
        "{msg}"
    );
    assert!(
        msg.contains("处理中 (in_progress)"),
        "lists the allowed steps: {msg}"
    );
    let r = agent.post(&path, json!({"to": "no_such_status"})).await;
    assert_eq!(r.code(), "transition_not_allowed");
    // Allowed.
    let r = agent
        .post(&path, json!({"to": "resolved", "note": "已退款"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status_category"], "resolved");
    assert!(r.body["resolved_at"].is_i64());
    // Reserved for team leads: 403, and the ticket stays resolved.
    let r = agent.post(&path, json!({"to": "closed"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "transition_forbidden");
    let now = agent.get(&format!("/api/v1/tickets/{id}")).await.body;
    assert_eq!(now["status"], "resolved");
    // The detail shows the same: the close button is there but not allowed.
    let d = agent
        .get(&format!("/api/v1/tickets/{id}/detail"))
        .await
        .body;
    let close = d["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["to"] == "closed")
        .unwrap()
        .clone();
    assert_eq!(close["allowed"], false);
    // The lead may (they see every ticket and hold the role).
    let r = lead.post(&path, json!({"to": "closed"})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "closed");
    // History: exactly the two moves that happened, with who and old → new.
    let h = lead
        .get(&format!("/api/v1/tickets/{id}/history"))
        .await
        .body;
    let moves: Vec<(String, String, String)> = h
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["field"] == "status")
        .map(|c| {
            (
                c["actor_name"].as_str().unwrap().to_string(),
                c["old_value"]["key"].as_str().unwrap().to_string(),
                c["new_value"]["key"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            ("agent1".into(), "new".into(), "resolved".into()),
            ("lead1".into(), "resolved".into(), "closed".into())
        ]
    );
    // The note went with the move, internal.
    let c = lead
        .get(&format!("/api/v1/tickets/{id}/comments"))
        .await
        .body;
    assert_eq!(c[0]["kind"], "note");
    assert_eq!(c[0]["body"], "已退款");
}

async fn a_ticket_for_a_group_is_routed_to_an_online_member(app: TestApp) {
    let f: Fixture = fixture(&app, "tk-route").await;
    let after_sales =
        f.t.admin
            .post("/api/v1/skill-groups", json!({"name": "售后"}))
            .await
            .id();
    let ty = ticket_type(&f.t, "售后单", Some(&after_sales), None).await;
    // agent1 (front desk) creates; agent2 is in 售后 and online.
    let (_, agent1, _) = online_agent(&app, &f, "agent1").await;
    let (a2, agent2, mut ws2) = crate::chat::agent(&app, &f, "agent2", &after_sales).await;
    go_online(&agent2, &a2, &f.online).await;
    let k = new_ticket(&agent1, &ty, "换货", json!({})).await;
    assert_eq!(k["skill_group_id"], after_sales.as_str());
    assert_eq!(k["assignee_id"], a2.as_str(), "routed to the online member");
    // agent2 is told over their socket and in their notification list.
    let frame = ws2.until(5, |f| f["type"] == "notification").await;
    assert_eq!(frame["ticket"]["id"], k["id"]);
    let n = agent2.get("/api/v1/notifications").await.body;
    assert_eq!(n["unread"], 1);
    assert_eq!(n["notifications"][0]["kind"], "ticket_assigned");
    let mine = agent2.get("/api/v1/tickets?mine=true").await.body;
    assert_eq!(mine["total"], 1);
    // The history explains the choice.
    let id = k["id"].as_str().unwrap();
    let h = agent2
        .get(&format!("/api/v1/tickets/{id}/history"))
        .await
        .body;
    let assigned = h
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "assignee")
        .unwrap()
        .clone();
    assert_eq!(assigned["actor_name"], "routing");
    assert_eq!(assigned["new_value"]["name"], "agent2");
    assert!(assigned["new_value"]["explanation"].is_string());
    // Nobody online in a group: the ticket waits there, unassigned, and the
    // group's members see it in the group's list.
    let quiet =
        f.t.admin
            .post("/api/v1/skill-groups", json!({"name": "技术"}))
            .await
            .id();
    let (a3, agent3, _) = crate::chat::agent(&app, &f, "agent3", &quiet).await;
    let k2 = new_ticket(&agent1, &ty, "技术问题", json!({"skill_group_id": quiet})).await;
    assert_eq!(k2["assignee_id"], Value::Null);
    let list = agent3
        .get(&format!(
            "/api/v1/tickets?skill_group_id={quiet}&unassigned=true"
        ))
        .await
        .body;
    assert_eq!(list["total"], 1);
    // …and once a member comes online, routing gives it to them.
    go_online(&agent3, &a3, &f.online).await;
    let k2 = agent3
        .get(&format!("/api/v1/tickets/{}", k2["id"].as_str().unwrap()))
        .await
        .body;
    assert_eq!(k2["assignee_id"], a3.as_str());
    // Resolving takes it off the agent's list of open work.
    let r = agent2
        .post(
            &format!("/api/v1/tickets/{id}/transitions"),
            json!({"to": "resolved"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let open = agent2
        .get("/api/v1/tickets?mine=true&category=open")
        .await
        .body;
    assert_eq!(open["total"], 0);
}

async fn a_conversation_may_have_several_tickets_and_offline_messages_become_tickets(app: TestApp) {
    let f = fixture(&app, "tk-conv").await;
    let ty = ticket_type(&f.t, "售后", None, None).await;
    let (_, agent, mut aws) = online_agent(&app, &f, "agent1").await;
    let (mut v, _) = visitor(&app, &f.key, None, None).await;
    v.send(text("c1", "我的订单没到")).await;
    let conv = aws.until(5, |f| f["type"] == "assigned").await["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/conversations/{conv}/tickets");
    let body = |title: &str| json!({"type_id": ty, "title": title, "fields": {"order_no": "B-7"}});
    let first = agent.post(&path, body("物流查询")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let second = agent.post(&path, body("补发申请")).await;
    assert_eq!(second.status, StatusCode::CREATED, "{:?}", second.body);
    let conv_body = agent
        .get(&format!("/api/v1/conversations/{conv}"))
        .await
        .body;
    for k in [&first.body, &second.body] {
        assert_eq!(k["conversation_id"], conv.as_str());
        assert_eq!(k["customer_id"], conv_body["customer_id"]);
        assert_eq!(k["source"], "conversation");
    }
    let list = agent.get(&path).await.body;
    assert_eq!(list.as_array().unwrap().len(), 2);
    // The customer's panel lists them.
    let cust = conv_body["customer_id"].as_str().unwrap();
    let of_customer = agent
        .get(&format!("/api/v1/customers/{cust}/tickets"))
        .await
        .body;
    assert_eq!(of_customer.as_array().unwrap().len(), 2);
    assert_eq!(list.as_array().unwrap().len(), 2);
    // The bot's hook: an unresolved bot conversation becomes a ticket of the
    // first active type, linked to the conversation and its customer.
    let tenant = app.app.find_tenant("tk-conv").await.unwrap();
    let scope = kefu_store::TenantScope::new(kefu_domain::TenantId::from_db(tenant.id));
    let k = app
        .app
        .create_ticket_for_unresolved_bot_conversation(&scope, &conv, None, "机器人没答上：发票")
        .await
        .unwrap()
        .expect("a ticket type exists");
    assert_eq!(k.source, "bot");
    assert_eq!(k.created_by_name, "bot");
    assert_eq!(k.conversation_id.as_deref(), Some(conv.as_str()));
    assert_eq!(
        k.customer_id.as_ref(),
        conv_body["customer_id"].as_str().map(String::from).as_ref()
    );
    assert_eq!(agent.get(&path).await.body.as_array().unwrap().len(), 3);
    // Another agent cannot create tickets from a conversation not theirs.
    let (_, other) = app.user(&f.t, "agent9", BuiltinRole::Agent).await;
    assert_eq!(
        other.post(&path, body("x")).await.status,
        StatusCode::NOT_FOUND
    );

    // 留言 → ticket: the message is its first public comment, handled after.
    let (mut v2, _) = visitor(&app, &f.key, None, None).await;
    v2.send(json!({"type": "leave_message", "name": "张三", "phone": "13800000000", "text": "请回电，发票开错了"}))
        .await;
    let m = v2.until(5, |f| f["type"] == "message_left").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = agent
        .post(
            &format!("/api/v1/offline-messages/{m}/ticket"),
            json!({"type_id": ty, "title": "", "fields": {"order_no": "C-1"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["source"], "offline_message");
    assert_eq!(r.body["offline_message_id"], m.as_str());
    assert_eq!(r.body["title"], "请回电，发票开错了");
    let id = r.id();
    let c = agent
        .get(&format!("/api/v1/tickets/{id}/comments"))
        .await
        .body;
    assert_eq!(c[0]["author_type"], "customer");
    assert_eq!(c[0]["author_name"], "张三");
    assert_eq!(c[0]["kind"], "reply");
    let msgs = agent.get("/api/v1/offline-messages").await.body;
    let handled = msgs
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == m.as_str())
        .unwrap()
        .clone();
    assert!(handled["handled_at"].is_i64());
    // Bad values from a 留言 are refused like any other.
    let r = agent
        .post(
            &format!("/api/v1/offline-messages/{m}/ticket"),
            json!({"type_id": ty, "title": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn watchers_are_notified_of_replies_but_not_of_their_own(app: TestApp) {
    let t = app.tenant("tk-watch").await;
    let ty = ticket_type(&t, "咨询", None, None).await;
    let (_, agent) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    let (lead_id, lead) = app.user(&t, "lead1", BuiltinRole::TeamLead).await;
    let k = new_ticket(&agent, &ty, "开票问题", json!({})).await;
    let id = k["id"].as_str().unwrap();
    // The lead follows it; the agent (creator) follows it already.
    let r = lead
        .put(
            &format!("/api/v1/tickets/{id}/watchers/{lead_id}"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    // An agent cannot make someone else follow.
    let r = agent
        .put(
            &format!("/api/v1/tickets/{id}/watchers/{lead_id}"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = agent
        .post(
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"kind": "reply", "body": "已为您重开发票"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = agent
        .post(
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"kind": "shout", "body": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let n = lead.get("/api/v1/notifications").await.body;
    assert_eq!(n["unread"], 1, "{n}");
    assert_eq!(n["notifications"][0]["kind"], "ticket_reply");
    assert_eq!(agent.get("/api/v1/notifications").await.body["unread"], 0);
    let nid = n["notifications"][0]["id"].as_str().unwrap().to_string();
    // Someone else's notification is not found; one's own is marked read.
    assert_eq!(
        agent
            .post(&format!("/api/v1/notifications/{nid}/read"), json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        lead.post(&format!("/api/v1/notifications/{nid}/read"), json!({}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(lead.get("/api/v1/notifications").await.body["unread"], 0);
    // Unwatching stops them and is in the history.
    let r = lead
        .delete(&format!("/api/v1/tickets/{id}/watchers/{lead_id}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    agent
        .post(
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"kind": "note", "body": "内部备注"}),
        )
        .await;
    assert_eq!(lead.get("/api/v1/notifications").await.body["unread"], 0);
    let h = lead
        .get(&format!("/api/v1/tickets/{id}/history"))
        .await
        .body;
    let watch_rows = h
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["field"] == "watcher")
        .count();
    assert_eq!(watch_rows, 2);
}

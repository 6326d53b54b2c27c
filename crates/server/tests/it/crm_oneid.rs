//! OneID over HTTP: the screen pop's three outcomes, merging with nothing lost
//! and an audit entry, and a new chat contact that is a known customer.

use crate::chat::{fixture, online_agent, visitor};
use crate::crm::template;
use kefu_domain::BuiltinRole;
use kefu_testkit::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    screen_pop_has_three_outcomes,
    merge_keeps_everything_and_is_audited,
    a_new_chat_contact_becomes_the_known_customer,
);

async fn screen_pop_has_three_outcomes(app: TestApp) {
    let t = app.tenant("crmpop").await;
    let tpl = template(&t).await;
    let (_, agent) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    let lookup = |q: &str| format!("/api/v1/customers/lookup?{q}");

    // None: offer to create.
    let r = agent.get(&lookup("phone=13800000001")).await.body;
    assert_eq!(
        (r["outcome"].clone(), r["offer_create"].clone()),
        (json!("none"), json!(true))
    );
    // One: show it (found in any notation of the number).
    let mine = agent
        .post(
            "/api/v1/customers",
            json!({"name": "李四", "phone": "13800000001", "template_id": tpl, "fields": {"level": "VIP"}}),
        )
        .await
        .id();
    let r = agent.get(&lookup("phone=%2B86%20138-0000-0001")).await.body;
    assert_eq!(r["outcome"], "one");
    assert_eq!(r["customers"][0]["id"], mine.as_str());
    // Several: the switchboard number is another customer's backup phone, and a
    // third customer with it belongs to a colleague — not offered to this agent.
    let shared = t
        .admin
        .post(
            "/api/v1/customers",
            json!({"name": "某公司前台", "phone": "01088886666", "template_id": tpl, "owner_id": null,
                   "fields": {"level": "普通", "backup_phone": "13800000001"}}),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{:?}", shared.body);
    let (_, colleague) = app.user(&t, "agent2", BuiltinRole::Agent).await;
    let theirs = colleague
        .post(
            "/api/v1/customers",
            json!({"name": "同事的客户", "phone": "13700000000", "template_id": tpl,
                   "fields": {"level": "普通", "backup_phone": "13800000001"}}),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{:?}", theirs.body);
    let r = agent.get(&lookup("phone=13800000001")).await.body;
    assert_eq!(r["outcome"], "several");
    let mut ids: Vec<&str> = r["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut want = vec![mine.as_str(), shared.body["id"].as_str().unwrap()];
    want.sort();
    assert_eq!(ids, want, "only those the agent may see");
    // The pool one is masked in the choice, the backup phone too.
    let pooled = r["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["owner_id"].is_null())
        .unwrap();
    assert_eq!(pooled["phone"], "010****6666");
    assert_eq!(pooled["fields"]["backup_phone"], "138****0001");
    // The colleague's customer alone: none visible, and no offer to create a duplicate.
    let r = agent.get(&lookup("phone=13700000000")).await.body;
    assert_eq!(
        (r["outcome"].clone(), r["offer_create"].clone()),
        (json!("none"), json!(false))
    );
    // Creating it anyway is refused by OneID, naming the existing record.
    let r = agent
        .post(
            "/api/v1/customers",
            json!({"name": "重复", "phone": "137 0000 0000", "template_id": tpl, "fields": {"level": "普通"}}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "duplicate_customer")
    );
    assert_eq!(r.body["details"]["customer_id"], theirs.body["id"]);
    assert_eq!(r.body["details"]["matched_by"], "phone");
    // By e-mail, and the rule that exactly one key is given.
    let r = agent.get(&lookup("email=nobody@example.cn")).await.body;
    assert_eq!(r["outcome"], "none");
    let r = agent.get(&lookup("phone=1&email=a@b.cn")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = agent.get(&lookup("phone=call-me")).await;
    assert_eq!(
        (r.status, r.body["details"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("phone"))
    );
}

async fn merge_keeps_everything_and_is_audited(app: TestApp) {
    let f = fixture(&app, "crmmerge").await;
    let tpl = template(&f.t).await;
    let (_agent_id, agent_http, mut agent_ws) = online_agent(&app, &f, "agent1").await;
    // A chat contact with a conversation and the agent's follow-up.
    let (mut v, _) = visitor(&app, &f.key, None, None).await;
    v.send(json!({"type": "start", "fields": {"name": "小王"}}))
        .await;
    let conv = agent_ws.until(5, |f| f["type"] == "assigned").await["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let contact = agent_http
        .get(&format!("/api/v1/conversations/{conv}"))
        .await
        .body["customer_id"]
        .as_str()
        .unwrap()
        .to_string();
    agent_http
        .patch(
            &format!("/api/v1/customers/{contact}"),
            json!({"email": "wang@example.cn", "tags": ["咨询"], "notes": "聊天里说想买手机"}),
        )
        .await;
    let r = agent_http
        .post(
            &format!("/api/v1/customers/{contact}/follow-ups"),
            json!({"kind": "message", "body": "发了报价"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // The filed record of the same person, by the agent.
    let filed = agent_http
        .post(
            "/api/v1/customers",
            json!({"name": "王小明", "phone": "13911112222", "template_id": tpl, "tags": ["VIP"],
                   "notes": "老客户", "fields": {"level": "VIP"}}),
        )
        .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{:?}", filed.body);
    let filed = filed.id();
    agent_http
        .post(
            &format!("/api/v1/customers/{filed}/follow-ups"),
            json!({"kind": "call", "body": "电话回访"}),
        )
        .await;

    // Agents may not merge; a team lead may.
    let r = agent_http
        .post(
            &format!("/api/v1/customers/{filed}/merge"),
            json!({"other_id": contact}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["details"]["permission"].clone()),
        (StatusCode::FORBIDDEN, json!("customers.merge"))
    );
    let (_, lead) = app.user(&f.t, "lead1", BuiltinRole::TeamLead).await;
    let r = lead
        .post(
            &format!("/api/v1/customers/{filed}/merge"),
            json!({"other_id": filed}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "same_customer")
    );
    let r = lead
        .post(
            &format!("/api/v1/customers/{filed}/merge"),
            json!({"other_id": contact}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["moved"],
        json!({"visitors": 1, "conversations": 1, "follow_ups": 1, "tickets": 0})
    );
    let c = &r.body["customer"];
    assert_eq!(c["name"], "王小明");
    assert_eq!(c["phone"], "13911112222");
    assert_eq!(c["email"], "wang@example.cn");
    assert_eq!(c["tags"], json!(["VIP", "咨询"]));
    assert!(c["notes"].as_str().unwrap().contains("老客户"));
    assert!(c["notes"].as_str().unwrap().contains("聊天里说想买手机"));

    // Nothing lost: the conversation and both follow-ups are on the kept record,
    // and the old id leads there.
    let detail = agent_http
        .get(&format!("/api/v1/customers/{contact}"))
        .await
        .body;
    assert_eq!(detail["customer"]["id"], filed.as_str());
    assert_eq!(detail["conversations"][0]["id"], conv.as_str());
    let bodies: Vec<&str> = detail["follow_ups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["body"].as_str().unwrap())
        .collect();
    assert!(
        bodies.contains(&"发了报价") && bodies.contains(&"电话回访"),
        "{bodies:?}"
    );
    assert_eq!(
        agent_http
            .get(&format!("/api/v1/conversations/{conv}"))
            .await
            .body["customer_id"],
        filed.as_str()
    );
    let list = lead.get("/api/v1/customers?q=wang").await.body;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "the merged record is gone from lists"
    );
    // The audit log has both records before and the result after.
    let audit =
        f.t.admin
            .get("/api/v1/audit-log?resource_type=customer")
            .await
            .body;
    let e = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "customer.merge")
        .expect("merge audited");
    assert_eq!(e["actor_name"], "lead1");
    assert_eq!(e["resource_id"], filed.as_str());
    assert_eq!(e["before"]["merged"]["id"], contact.as_str());
    assert_eq!(e["before"]["customer"]["email"], Value::Null);
    assert_eq!(e["after"]["customer"]["email"], "wang@example.cn");
    assert_eq!(e["after"]["merged_id"], contact.as_str());
}

async fn a_new_chat_contact_becomes_the_known_customer(app: TestApp) {
    let f = fixture(&app, "crmcontact").await;
    let tpl = template(&f.t).await;
    let known = f
        .t
        .admin
        .post(
            "/api/v1/customers",
            json!({"name": "赵女士", "phone": "13655556666", "template_id": tpl, "fields": {"level": "VIP"}}),
        )
        .await
        .id();
    let (_, agent_http, mut agent_ws) = online_agent(&app, &f, "agent1").await;
    let (mut v, _) = visitor(&app, &f.key, None, None).await;
    v.send(json!({"type": "start", "fields": {"name": "赵", "phone": "136 5555 6666"}}))
        .await;
    let conv = agent_ws.until(5, |f| f["type"] == "assigned").await["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = agent_http
        .get(&format!("/api/v1/conversations/{conv}"))
        .await
        .body;
    assert_eq!(c["customer_id"], known.as_str(), "no duplicate was born");
    let all = f.t.admin.get("/api/v1/customers?q=1365555").await.body;
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(all[0]["name"], "赵女士");
    let audit =
        f.t.admin
            .get("/api/v1/audit-log?resource_type=customer")
            .await
            .body;
    assert!(audit
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "customer.merge" && e["actor_name"] == "OneID"));
}

//! Customers (CRM) over HTTP: templates and field validation, the public pool
//! with masking and claiming, the screen pop's three outcomes, OneID merge and
//! new chat contacts, CSV import and export, and permissions.

use crate::chat::{fixture, online_agent, visitor};
use kefu_domain::BuiltinRole;
use kefu_testkit::{Client, Tenant, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    templates_check_every_field_value,
    pool_masks_phones_until_claimed,
    screen_pop_has_three_outcomes,
    merge_keeps_everything_and_is_audited,
    a_new_chat_contact_becomes_the_known_customer,
    csv_import_reports_duplicates_and_errors_and_export_follows_filters,
);

/// A template with every kind of field, statuses, and 已成交 hidden from the pool.
pub(crate) async fn template(t: &Tenant) -> String {
    let r = t
        .admin
        .post(
            "/api/v1/customer-templates",
            json!({
                "name": "零售客户",
                "fields": [
                    {"key": "age", "label": "年龄", "kind": "number"},
                    {"key": "birthday", "label": "生日", "kind": "date"},
                    {"key": "level", "label": "等级", "kind": "select", "options": ["VIP", "普通"], "required": true},
                    {"key": "hobbies", "label": "爱好", "kind": "multi_select", "options": ["读书", "跑步"]},
                    {"key": "product", "label": "产品", "kind": "cascade", "cascade": [
                        {"label": "电子产品", "children": [{"label": "手机"}, {"label": "电脑"}]}]},
                    {"key": "backup_phone", "label": "备用电话", "kind": "phone"},
                    {"key": "work_email", "label": "工作邮箱", "kind": "email"},
                    {"key": "region", "label": "地区", "kind": "region"},
                    {"key": "remark", "label": "说明", "kind": "text"}
                ],
                "statuses": ["新线索", "跟进中", "已成交"],
                "pool_hidden_status": "已成交"
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.id()
}

/// A user whose custom role holds exactly these permissions.
async fn custom_user(app: &TestApp, t: &Tenant, name: &str, perms: &[&str]) -> Client {
    let role = t
        .admin
        .post(
            "/api/v1/roles",
            json!({"name": format!("role-{name}"), "permissions": perms}),
        )
        .await;
    assert_eq!(role.status, StatusCode::CREATED, "{:?}", role.body);
    let r = t
        .admin
        .post(
            "/api/v1/users",
            json!({"username": name, "password": PASSWORD, "display_name": name, "role_id": role.id()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    Client::login(&app.base, &t.slug, name, PASSWORD)
        .await
        .expect("custom user signs in")
}

async fn pool_customer(t: &Tenant, tpl: &str, name: &str, phone: &str, status: &str) -> String {
    let r = t
        .admin
        .post(
            "/api/v1/customers",
            json!({"name": name, "phone": phone, "template_id": tpl, "owner_id": null,
                   "status": status, "fields": {"level": "普通"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["owner_id"], Value::Null);
    r.id()
}

fn codes(r: &Value) -> Vec<(String, String)> {
    r["details"]["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_string(),
                        e["code"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn templates_check_every_field_value(app: TestApp) {
    let t = app.tenant("crmtpl").await;
    let tpl = template(&t).await;
    let (_, agent) = app.user(&t, "agent1", BuiltinRole::Agent).await;

    // Agents read templates (they are the form) but cannot define them.
    assert_eq!(
        agent.get("/api/v1/customer-templates").await.body[0]["id"],
        tpl.as_str()
    );
    let r = agent
        .post(
            "/api/v1/customer-templates",
            json!({"name": "x", "fields": []}),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "forbidden"));
    assert_eq!(r.body["details"]["permission"], "customer_templates.manage");
    // A broken definition is refused with a code per problem.
    let r = t
        .admin
        .post(
            "/api/v1/customer-templates",
            json!({"name": "坏模板", "fields": [
                {"key": "Bad Key", "label": "x", "kind": "text"},
                {"key": "pick", "label": "选择", "kind": "select"}
            ], "statuses": ["新"], "pool_hidden_status": "不存在"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "invalid_fields");
    let got = codes(&r.body);
    for want in [
        ("fields[0].key", "invalid_key"),
        ("fields[1].options", "invalid_options"),
        ("pool_hidden_status", "unknown_status"),
    ] {
        assert!(
            got.contains(&(want.0.into(), want.1.into())),
            "{want:?} in {got:?}"
        );
    }

    // Bad values: every one reported with its machine-readable code.
    let r = agent
        .post(
            "/api/v1/customers",
            json!({"name": "王五", "template_id": tpl, "status": "不存在", "fields": {
                "age": "三十", "birthday": "2023-02-30", "hobbies": ["游泳"],
                "product": ["电子产品", "冰箱"], "backup_phone": "打我电话", "work_email": "x@",
                "region": ["一", "二", "三", "四"], "shoe_size": 42
            }}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields")
    );
    let got = codes(&r.body);
    for want in [
        ("fields.age", "not_a_number"),
        ("fields.birthday", "invalid_date"),
        ("fields.level", "required"),
        ("fields.hobbies", "not_an_option"),
        ("fields.product", "invalid_cascade"),
        ("fields.backup_phone", "invalid_phone"),
        ("fields.work_email", "invalid_email"),
        ("fields.region", "invalid_region"),
        ("fields.shoe_size", "unknown_field"),
        ("status", "unknown_status"),
    ] {
        assert!(
            got.contains(&(want.0.into(), want.1.into())),
            "{want:?} in {got:?}"
        );
    }
    // Good values are stored normalised; the creator owns the customer.
    let me = agent.get("/api/v1/me").await.body["user"]["id"].clone();
    let r = agent
        .post(
            "/api/v1/customers",
            json!({"name": "王五", "phone": "+86 138-0013-8000", "template_id": tpl, "status": "新线索",
                   "tags": ["VIP", "VIP", " 老客户 "], "fields": {
                "age": 30, "birthday": "2000-02-29", "level": "VIP", "hobbies": ["读书"],
                "product": ["电子产品", "手机"], "backup_phone": "010 8888 6666",
                "work_email": "Wang@Corp.CN", "region": ["广东省", "深圳市"], "remark": "爱喝茶"
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.id();
    assert_eq!(r.body["phone"], "13800138000");
    assert_eq!(r.body["owner_id"], me);
    assert_eq!(r.body["tags"], json!(["VIP", "老客户"]));
    assert_eq!(r.body["fields"]["backup_phone"], "01088886666");
    assert_eq!(r.body["fields"]["work_email"], "wang@corp.cn");
    // Editing checks values the same way; a PATCH of one field keeps the rest.
    let r = agent
        .patch(
            &format!("/api/v1/customers/{id}"),
            json!({"fields": {"level": "钻石"}}),
        )
        .await;
    assert_eq!(
        (r.status, codes(&r.body)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![("fields.level".to_string(), "not_an_option".to_string())]
        )
    );
    let r = agent
        .patch(
            &format!("/api/v1/customers/{id}"),
            json!({"fields": {"age": 31, "remark": null}, "status": "跟进中"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["fields"]["age"], 31);
    assert_eq!(r.body["fields"]["level"], "VIP");
    assert_eq!(r.body["fields"].get("remark"), None);
    assert_eq!(r.body["status"], "跟进中");
    // Follow-ups with the next date set the customer's plan.
    let next = 4_102_444_800_000i64; // 2100-01-01
    let r = agent
        .post(
            &format!("/api/v1/customers/{id}/follow-ups"),
            json!({"kind": "call", "body": "约好下周到店", "next_follow_up_at": next}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = agent
        .post(
            &format!("/api/v1/customers/{id}/follow-ups"),
            json!({"kind": "gossip", "body": "x"}),
        )
        .await;
    assert_eq!(r.body["details"]["field"], "kind");
    let detail = agent.get(&format!("/api/v1/customers/{id}")).await.body;
    assert_eq!(detail["customer"]["next_follow_up_at"], next);
    assert_eq!(detail["follow_ups"][0]["body"], "约好下周到店");
    assert_eq!(detail["access"], "owner");
    let on_plan = agent.get("/api/v1/customers?follow_up=on_plan").await.body;
    assert_eq!(on_plan.as_array().unwrap().len(), 1);
    // A template in use cannot be deleted.
    let r = t
        .admin
        .delete(&format!("/api/v1/customer-templates/{tpl}"))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "in_use"));
    // A role without customers.view is refused everywhere.
    let outsider = custom_user(&app, &t, "hr1", &["users.view"]).await;
    for path in [
        "/api/v1/customers".to_string(),
        "/api/v1/customer-pool".to_string(),
        "/api/v1/customers/lookup?phone=13800138000".to_string(),
        format!("/api/v1/customers/{id}"),
    ] {
        let r = outsider.get(&path).await;
        assert_eq!(
            (r.status, r.body["details"]["permission"].clone()),
            (StatusCode::FORBIDDEN, json!("customers.view")),
            "{path}"
        );
    }
}

async fn pool_masks_phones_until_claimed(app: TestApp) {
    let t = app.tenant("crmpool").await;
    let tpl = template(&t).await;
    let open = pool_customer(&t, &tpl, "公海一号", "13812345678", "新线索").await;
    let hidden = pool_customer(&t, &tpl, "成交客户", "13912345678", "已成交").await;
    let (a1_id, a1) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    let (_, a2) = app.user(&t, "agent2", BuiltinRole::Agent).await;

    // The pool as an agent sees it: masked, and without the hidden status.
    let pool = a1.get("/api/v1/customer-pool").await;
    assert_eq!(pool.status, StatusCode::OK);
    let list = pool.body.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["id"], open.as_str());
    assert_eq!(list[0]["phone"], "138****5678");
    assert_eq!(list[0]["masked"], true);
    let one = a1.get(&format!("/api/v1/customers/{open}")).await.body;
    assert_eq!(
        (one["customer"]["phone"].clone(), one["access"].clone()),
        (json!("138****5678"), json!("pool"))
    );
    // The hidden one is not there for an agent at all.
    for r in [
        a1.get(&format!("/api/v1/customers/{hidden}")).await,
        a1.post(&format!("/api/v1/customers/{hidden}/claim"), json!({}))
            .await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    // A pool customer must be claimed before it is changed.
    let r = a1
        .patch(&format!("/api/v1/customers/{open}"), json!({"notes": "x"}))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_allowed"));
    // A role with "view pool phone numbers" sees them unmasked.
    let viewer = custom_user(&app, &t, "viewer", &["customers.view", "pool.phone.view"]).await;
    let seen = viewer.get("/api/v1/customer-pool").await.body;
    assert_eq!(seen[0]["phone"], "13812345678");
    assert_eq!(seen[0]["masked"], false);

    // Claimed: the phone shows, the customer is agent1's, out of the pool.
    let r = a1
        .post(&format!("/api/v1/customers/{open}/claim"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["phone"], "13812345678");
    assert_eq!(r.body["owner_id"], a1_id.as_str());
    let r = a2
        .post(&format!("/api/v1/customers/{open}/claim"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "now agent1's, not visible");
    let r = viewer
        .post(&format!("/api/v1/customers/{open}/claim"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(a2
        .get("/api/v1/customer-pool")
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
    // A team lead (sees every customer) gets 409 trying to claim an owned one.
    let (_, lead) = app.user(&t, "lead1", BuiltinRole::TeamLead).await;
    let r = lead
        .post(&format!("/api/v1/customers/{open}/claim"), json!({}))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "not_in_pool"));
    // The lead sees the hidden pool customer, still masked (no pool.phone.view).
    let r = lead.get(&format!("/api/v1/customers/{hidden}")).await;
    assert_eq!(r.body["customer"]["phone"], "139****5678");
    // Only the owner releases; then it is back, masked again.
    let r = a2
        .post(&format!("/api/v1/customers/{open}/release"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = a1
        .post(&format!("/api/v1/customers/{open}/release"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["owner_id"], Value::Null);
    let pool = a2.get("/api/v1/customer-pool").await.body;
    assert_eq!(pool[0]["phone"], "138****5678");
    let r = a2
        .post(&format!("/api/v1/customers/{open}/claim"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Claims and releases are in the history and the audit log.
    let history = a2
        .get(&format!("/api/v1/customers/{open}/follow-ups"))
        .await
        .body;
    assert_eq!(history.as_array().unwrap().len(), 3);
    let audit = t
        .admin
        .get("/api/v1/audit-log?resource_type=customer")
        .await
        .body;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["customer.claim", "customer.release", "customer.claim"]
    );
}

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
        json!({"visitors": 1, "conversations": 1, "follow_ups": 1})
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

async fn csv_import_reports_duplicates_and_errors_and_export_follows_filters(app: TestApp) {
    let t = app.tenant("crmcsv").await;
    let tpl = template(&t).await;
    t.admin
        .post(
            "/api/v1/customers",
            json!({"name": "已有客户", "phone": "13800000000", "template_id": tpl, "fields": {"level": "VIP"}}),
        )
        .await;
    let csv = "\u{feff}姓名,phone,email,tags,status,level,年龄,product\r\n\
        张三,13811110000,zhang@example.cn,VIP;新客,新线索,VIP,30,电子产品/手机\r\n\
        \"已有, 重复\",+86 138 0000 0000,,,,普通,,\r\n\
        李四,13822220000,,,,钻石,三十,\r\n\
        张三 again,,ZHANG@example.cn,,,普通,,\r\n\
        王五,13833330000,,,,普通,,\r\n"
        .to_string();
    let (_, agent) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    let path = format!("/api/v1/customer-imports?template_id={tpl}");
    let (r, _) = agent
        .text(Method::POST, &path, "text/csv", csv.clone())
        .await;
    assert_eq!(
        (r.status, r.body["details"]["permission"].clone()),
        (StatusCode::FORBIDDEN, json!("customers.import"))
    );
    let (r, _) = t.admin.text(Method::POST, &path, "text/csv", csv).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let imp = r.body;
    assert_eq!(
        (
            imp["total"].clone(),
            imp["created"].clone(),
            imp["duplicates"].clone(),
            imp["errors"].clone()
        ),
        (json!(5), json!(2), json!(2), json!(1))
    );
    let report = imp["report"].as_array().unwrap();
    assert_eq!(report[0]["row"], 3);
    assert_eq!(report[0]["outcome"], "duplicate");
    assert_eq!(report[0]["matched_by"], "phone");
    assert_eq!(report[1]["row"], 4);
    assert_eq!(report[1]["outcome"], "error");
    let bad: Vec<&str> = report[1]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(bad, ["not_a_number", "not_an_option"]);
    assert_eq!(
        (report[2]["row"].clone(), report[2]["matched_by"].clone()),
        (json!(5), json!("email")),
        "a repeat within the file is a duplicate too"
    );
    // The report downloads afterwards, as CSV.
    let id = imp["id"].as_str().unwrap();
    let (r, text) = t
        .admin
        .text(
            Method::GET,
            &format!("/api/v1/customer-imports/{id}?format=csv"),
            "",
            String::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "row,outcome,customer_id,matched_by,field,code,message"
    );
    assert_eq!(lines.len(), 1 + 2 + 2, "{text}");
    assert!(lines
        .iter()
        .any(|l| l.starts_with("4,error,,,fields.age,not_a_number")));
    // Unknown columns are refused before anything is written.
    let (r, _) = t
        .admin
        .text(
            Method::POST,
            &path,
            "text/csv",
            "name,shoe_size\n甲,42\n".into(),
        )
        .await;
    assert_eq!(
        (r.status, codes(&r.body)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![(
                "columns.shoe_size".to_string(),
                "unknown_column".to_string()
            )]
        )
    );

    // Imported rows are in the pool; export of a filtered list follows the
    // filter and masks pool phones for a role without pool.phone.view.
    let (_, lead) = app.user(&t, "lead1", BuiltinRole::TeamLead).await;
    let (r, text) = lead
        .text(
            Method::GET,
            &format!(
                "/api/v1/customers/export?template_id={tpl}&status=%E6%96%B0%E7%BA%BF%E7%B4%A2"
            ),
            "",
            String::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{text}");
    let rows = kefu_domain::csv::parse(&text);
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!(rows[0][1], "name");
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    assert_eq!(rows[1][col("name")], "张三");
    assert_eq!(rows[1][col("phone")], "138****0000");
    assert_eq!(rows[1][col("tags")], "VIP;新客");
    assert_eq!(rows[1][col("product")], "电子产品/手机");
    assert_eq!(rows[1][col("age")], "30");
    // Export needs data.export.
    let (r, _) = agent
        .text(Method::GET, "/api/v1/customers/export", "", String::new())
        .await;
    assert_eq!(
        (r.status, r.body["details"]["permission"].clone()),
        (StatusCode::FORBIDDEN, json!("data.export"))
    );
    // Export then import into the same template finds only duplicates.
    let (_, all) = t
        .admin
        .text(
            Method::GET,
            &format!("/api/v1/customers/export?template_id={tpl}"),
            "",
            String::new(),
        )
        .await;
    let (r, _) = t.admin.text(Method::POST, &path, "text/csv", all).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        (r.body["created"].clone(), r.body["duplicates"].clone()),
        (json!(0), json!(3))
    );
}

/// For the cross-tenant sweep (`tenancy.rs`): A's CRM records, and B's
/// requests on them with bodies valid for B, so a 404 can only mean "no such
/// id here".
pub(crate) struct CrossTenant {
    pub cases: Vec<(Method, String, Option<Value>)>,
    a_customer: String,
    a_template: String,
    a_import: String,
}

pub(crate) async fn cross_tenant_cases(a: &Tenant, b: &Tenant) -> CrossTenant {
    let a_template = template(a).await;
    let a_customer = pool_customer(a, &a_template, "A 的客户", "13811112222", "新线索").await;
    let (r, _) = a
        .admin
        .text(
            Method::POST,
            &format!("/api/v1/customer-imports?template_id={a_template}"),
            "text/csv",
            "name,level\n甲,VIP\n".into(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let a_import = r.id();
    let b_template = template(b).await;
    let b_customer = pool_customer(b, &b_template, "B 的客户", "13833334444", "新线索").await;
    let tpl_body = json!({"name": "x", "fields": [], "statuses": []});
    let cases = vec![
        (
            Method::GET,
            format!("/api/v1/customer-templates/{a_template}"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/customer-templates/{a_template}"),
            Some(tpl_body),
        ),
        (
            Method::DELETE,
            format!("/api/v1/customer-templates/{a_template}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{a_customer}/claim"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{a_customer}/release"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{a_customer}/merge"),
            Some(json!({"other_id": b_customer})),
        ),
        (
            Method::GET,
            format!("/api/v1/customers/{a_customer}/follow-ups"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{a_customer}/follow-ups"),
            Some(json!({"kind": "call", "body": "hijack"})),
        ),
        (
            Method::GET,
            format!("/api/v1/customer-imports/{a_import}"),
            None,
        ),
    ];
    CrossTenant {
        cases,
        a_customer,
        a_template,
        a_import,
    }
}

impl CrossTenant {
    /// After the sweep: A's records are as they were, and B's look-ups and
    /// lists hold nothing of A.
    pub(crate) async fn assert_unchanged(&self, a: &Tenant, b: &Tenant) {
        let c = a
            .admin
            .get(&format!("/api/v1/customers/{}", self.a_customer))
            .await
            .body;
        assert_eq!(c["customer"]["owner_id"], Value::Null);
        assert_eq!(c["customer"]["name"], "A 的客户");
        assert!(c["follow_ups"].as_array().unwrap().is_empty());
        let t = a
            .admin
            .get(&format!("/api/v1/customer-templates/{}", self.a_template))
            .await;
        assert_eq!(t.body["name"], "零售客户");
        assert_eq!(
            a.admin
                .get(&format!("/api/v1/customer-imports/{}", self.a_import))
                .await
                .status,
            StatusCode::OK
        );
        let pop = b
            .admin
            .get("/api/v1/customers/lookup?phone=13811112222")
            .await
            .body;
        assert_eq!(
            (pop["outcome"].clone(), pop["offer_create"].clone()),
            (json!("none"), json!(true))
        );
        let names: Vec<Value> = b
            .admin
            .get("/api/v1/customers")
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].clone())
            .collect();
        assert_eq!(names, [json!("B 的客户")]);
    }
}

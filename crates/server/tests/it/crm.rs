//! Customers (CRM) over HTTP: templates and field validation, permissions, the
//! public pool with masking and claiming, and the cross-tenant cases. OneID is
//! in `crm_oneid.rs`, CSV in `crm_csv.rs`.

use kefu_domain::BuiltinRole;
use kefu_testkit::{Client, Tenant, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    templates_check_every_field_value,
    pool_masks_phones_until_claimed,
    a_due_follow_up_reminds_its_owner_once
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
pub(crate) async fn custom_user(app: &TestApp, t: &Tenant, name: &str, perms: &[&str]) -> Client {
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

pub(crate) async fn pool_customer(
    t: &Tenant,
    tpl: &str,
    name: &str,
    phone: &str,
    status: &str,
) -> String {
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

pub(crate) fn codes(r: &Value) -> Vec<(String, String)> {
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
    // Saving the form as shown (masked number included) keeps the real number.
    let r = lead
        .patch(
            &format!("/api/v1/customers/{hidden}"),
            json!({"phone": "139****5678", "notes": "经理备注"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["phone"].clone()),
        (StatusCode::OK, json!("139****5678"))
    );
    let real = t
        .admin
        .get(&format!("/api/v1/customers/{hidden}"))
        .await
        .body;
    assert_eq!(
        (
            real["customer"]["phone"].clone(),
            real["customer"]["notes"].clone()
        ),
        (json!("13912345678"), json!("经理备注"))
    );
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

/// 跟进提醒: when the next follow-up date comes, the owner (only) is told once,
/// with a link to the customer; a new date brings a new reminder.
async fn a_due_follow_up_reminds_its_owner_once(app: TestApp) {
    let t = app.tenant("crmremind").await;
    let tpl = template(&t).await;
    let (_, owner) = app.user(&t, "agent1", BuiltinRole::Agent).await;
    let (_, other) = app.user(&t, "agent2", BuiltinRole::Agent).await;
    let r = owner
        .post(
            "/api/v1/customers",
            json!({"name": "回访客户", "phone": "13800138222", "template_id": tpl,
                   "status": "新线索", "fields": {"level": "VIP"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.id();
    let due = 1_800_000_000_000i64; // 2027-01-15
    let r = owner
        .post(
            &format!("/api/v1/customers/{id}/follow-ups"),
            json!({"kind": "call", "body": "下次报价", "next_follow_up_at": due}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let reminders = |c: Value| -> Vec<Value> {
        c["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "follow_up_due")
            .cloned()
            .collect()
    };

    // Not yet due: nothing.
    assert_eq!(app.app.remind_follow_ups(due - 1).await.unwrap(), 0);
    assert!(reminders(owner.get("/api/v1/notifications").await.body).is_empty());
    // Due: the owner is reminded, with the customer, and only once.
    assert_eq!(app.app.remind_follow_ups(due).await.unwrap(), 1);
    assert_eq!(app.app.remind_follow_ups(due + 60_000).await.unwrap(), 0);
    let got = reminders(owner.get("/api/v1/notifications").await.body);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["customer_id"], id.as_str());
    assert_eq!(got[0]["title"], "回访客户");
    assert!(reminders(other.get("/api/v1/notifications").await.body).is_empty());
    // The next follow-up date is reminded in its turn.
    let next = due + 86_400_000;
    owner
        .post(
            &format!("/api/v1/customers/{id}/follow-ups"),
            json!({"kind": "call", "body": "已报价", "next_follow_up_at": next}),
        )
        .await;
    assert_eq!(app.app.remind_follow_ups(next).await.unwrap(), 1);
    assert_eq!(
        reminders(owner.get("/api/v1/notifications").await.body).len(),
        2
    );
}

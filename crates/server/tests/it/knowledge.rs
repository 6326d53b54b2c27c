//! Knowledge base (知识库) over HTTP: CRUD, permissions, validation, JSONL
//! import/export, and the cross-tenant cases for the sweep in `tenancy.rs`.

use kefu_domain::BuiltinRole;
use kefu_testkit::{Tenant, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    knowledge_crud_round_trip,
    knowledge_needs_permission_and_valid_input,
    knowledge_import_reports_bad_rows
);

async fn category(t: &Tenant, name: &str, parent: Option<&str>) -> String {
    let r = t
        .admin
        .post(
            "/api/v1/knowledge/categories",
            json!({"name": name, "parent_id": parent}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.id()
}

fn item_body(category_id: &str, question: &str) -> Value {
    json!({
        "category_id": category_id,
        "question": question,
        "similar": ["几天能到", "多久发货", "几天能到"],
        "answer": {"text": "下单后 48 小时内发货", "rich": {"buttons": [{"label": "查物流"}]}},
        "valid_from": 1_700_000_000_000i64,
        "valid_to": 1_900_000_000_000i64
    })
}

async fn knowledge_crud_round_trip(app: TestApp) {
    let t = app.tenant("kb-crud").await;
    let top = category(&t, "物流", None).await;
    let sub = category(&t, "发货", Some(&top)).await;
    let r = t
        .admin
        .post("/api/v1/knowledge/items", item_body(&sub, "什么时候发货"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let item = r.id();
    assert_eq!(r.body["similar"], json!(["几天能到", "多久发货"]));
    assert_eq!(r.body["enabled"], true);
    assert_eq!(r.body["answer"]["rich"]["buttons"][0]["label"], "查物流");

    let mut body = item_body(&sub, "发货时间");
    body["similar"] = json!(["哪天发"]);
    body["enabled"] = json!(false);
    let r = t
        .admin
        .put(&format!("/api/v1/knowledge/items/{item}"), body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["similar"], json!(["哪天发"]));
    assert_eq!(r.body["enabled"], false);
    let got = t
        .admin
        .get(&format!("/api/v1/knowledge/items/{item}"))
        .await;
    assert_eq!(got.body["question"], "发货时间");
    let list = t
        .admin
        .get(&format!("/api/v1/knowledge/items?category_id={sub}"))
        .await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1));

    // Categories: rename, refuse to delete one in use.
    let r = t
        .admin
        .put(
            &format!("/api/v1/knowledge/categories/{top}"),
            json!({"name": "物流配送"}),
        )
        .await;
    assert_eq!(r.body["name"], "物流配送", "{:?}", r.body);
    let r = t
        .admin
        .delete(&format!("/api/v1/knowledge/categories/{sub}"))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "in_use"));

    // Synonyms.
    let r = t
        .admin
        .post(
            "/api/v1/knowledge/synonyms",
            json!({"terms": ["快递", "物流", "快递"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["terms"], json!(["快递", "物流"]));
    let syn = r.id();
    let r = t
        .admin
        .put(
            &format!("/api/v1/knowledge/synonyms/{syn}"),
            json!({"terms": ["快递", "速递", "物流"]}),
        )
        .await;
    assert_eq!(r.body["terms"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        t.admin
            .get(&format!("/api/v1/knowledge/synonyms/{syn}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        t.admin
            .get("/api/v1/knowledge/synonyms")
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        t.admin
            .delete(&format!("/api/v1/knowledge/synonyms/{syn}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    // Export, then delete everything.
    let (r, text) = t
        .admin
        .text(Method::GET, "/api/v1/knowledge/export", "", String::new())
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let line: Value = serde_json::from_str(text.trim()).expect("one JSONL line");
    assert_eq!(line["category"], "物流配送/发货");
    assert_eq!(line["question"], "发货时间");
    assert_eq!(line["id"], item.as_str());
    assert_eq!(
        t.admin
            .delete(&format!("/api/v1/knowledge/items/{item}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.admin
            .delete(&format!("/api/v1/knowledge/categories/{sub}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.admin
            .get(&format!("/api/v1/knowledge/categories/{top}"))
            .await
            .status,
        StatusCode::OK
    );
    let audit = t.admin.get("/api/v1/audit-log?limit=100").await.body;
    let actions: Vec<&str> = audit
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    for a in [
        "knowledge_item.create",
        "knowledge_item.update",
        "knowledge_item.delete",
        "knowledge_category.delete",
        "knowledge_synonyms.create",
    ] {
        assert!(actions.contains(&a), "{a} not in {actions:?}");
    }
}

async fn knowledge_needs_permission_and_valid_input(app: TestApp) {
    let t = app.tenant("kb-perm").await;
    let top = category(&t, "账户", None).await;
    let (_, agent) = app.user(&t, "kb-agent", BuiltinRole::Agent).await;
    // An agent reads but does not change.
    assert_eq!(
        agent.get("/api/v1/knowledge/categories").await.status,
        StatusCode::OK
    );
    for (m, path, body) in [
        (
            Method::POST,
            "/api/v1/knowledge/categories".to_string(),
            Some(json!({"name": "x"})),
        ),
        (
            Method::POST,
            "/api/v1/knowledge/items".to_string(),
            Some(item_body(&top, "q")),
        ),
        (
            Method::POST,
            "/api/v1/knowledge/synonyms".to_string(),
            Some(json!({"terms": ["a", "b"]})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/knowledge/categories/{top}"),
            None,
        ),
    ] {
        let r = agent.send(m.clone(), &path, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{m} {path}: {:?}", r.body);
        assert_eq!(r.body["details"]["permission"], "knowledge.manage");
    }
    let (r, _) = agent
        .text(
            Method::POST,
            "/api/v1/knowledge/import",
            "application/x-ndjson",
            "{}\n".into(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A fourth level is refused with a clear 422.
    let two = category(&t, "密码", Some(&top)).await;
    let three = category(&t, "找回", Some(&two)).await;
    let r = t
        .admin
        .post(
            "/api/v1/knowledge/categories",
            json!({"name": "太深", "parent_id": three}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "{:?}",
        r.body
    );
    assert_eq!(r.body["details"]["field"], "parent_id");
    for bad in [
        json!({"category_id": top, "question": "  ", "answer": {"text": "a"}}),
        json!({"category_id": top, "question": "q", "answer": {"text": ""}}),
        json!({"category_id": top, "question": "q", "answer": {"text": "a"}, "valid_from": 5, "valid_to": 1}),
        json!({"category_id": "00000000-0000-0000-0000-000000000000", "question": "q", "answer": {"text": "a"}}),
    ] {
        let r = t.admin.post("/api/v1/knowledge/items", bad.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {:?}",
            r.body
        );
    }
    let r = t
        .admin
        .post("/api/v1/knowledge/synonyms", json!({"terms": ["只有一个"]}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn knowledge_import_reports_bad_rows(app: TestApp) {
    let t = app.tenant("kb-import").await;
    let body = [
        r#"{"id":"a1","category":"售后/退货","question":"怎么退货","similar":["如何退货","退货流程"],"answer":"在订单页申请退货"}"#,
        "",
        r#"{"id":"a2","category":"售后/退货","question":"","similar":[],"answer":"x"}"#,
        "not json",
        r#"{"id":"a3","category":"a/b/c/d","question":"q","answer":"x"}"#,
        r#"{"id":"a4","category":"售后","question":"能换货吗","answer":{"text":"可以","rich":{"link":"https://example.com"}}}"#,
    ]
    .join("\n");
    let (r, _) = t
        .admin
        .text(
            Method::POST,
            "/api/v1/knowledge/import",
            "application/x-ndjson",
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["total"], 5);
    assert_eq!(r.body["created"], 2);
    assert_eq!(r.body["failed"], 3);
    assert_eq!(r.body["categories_created"], 2);
    let rows: Vec<i64> = r.body["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["row"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(rows, vec![3, 4, 5]);
    assert_eq!(r.body["errors"][0]["code"], "validation_failed");
    // Good rows are stored; the bad four-level row created no category.
    let items = t.admin.get("/api/v1/knowledge/items").await.body;
    let questions: Vec<&str> = items
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["question"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(questions, vec!["怎么退货", "能换货吗"]);
    assert_eq!(items[0]["similar"], json!(["如何退货", "退货流程"]));
    let cats = t.admin.get("/api/v1/knowledge/categories").await.body;
    assert_eq!(cats.as_array().map(Vec::len), Some(2), "{cats:?}");
}

/// Tenant A's knowledge, and requests on it by tenant B with bodies valid for B.
pub(crate) async fn cross_tenant_cases(
    a: &Tenant,
    b: &Tenant,
) -> Vec<(Method, String, Option<Value>)> {
    let a_cat = category(a, "A 分类", None).await;
    let a_item = a
        .admin
        .post("/api/v1/knowledge/items", item_body(&a_cat, "A 的问题"))
        .await
        .id();
    let a_syn = a
        .admin
        .post("/api/v1/knowledge/synonyms", json!({"terms": ["甲", "乙"]}))
        .await
        .id();
    let b_cat = category(b, "B 分类", None).await;
    vec![
        (
            Method::GET,
            format!("/api/v1/knowledge/categories/{a_cat}"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/knowledge/categories/{a_cat}"),
            Some(json!({"name": "x"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/knowledge/categories/{a_cat}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/knowledge/items/{a_item}"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/knowledge/items/{a_item}"),
            Some(item_body(&b_cat, "x")),
        ),
        (
            Method::DELETE,
            format!("/api/v1/knowledge/items/{a_item}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/knowledge/synonyms/{a_syn}"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/knowledge/synonyms/{a_syn}"),
            Some(json!({"terms": ["x", "y"]})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/knowledge/synonyms/{a_syn}"),
            None,
        ),
    ]
}

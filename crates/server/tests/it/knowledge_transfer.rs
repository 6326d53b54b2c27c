//! Knowledge import/export over HTTP: CSV in UTF-8, UTF-8 with BOM and GBK, XLSX and
//! JSONL round trips, per-row error reports (JSON and CSV download), background imports
//! polled for progress, answer variants through the API, permissions, and the
//! cross-tenant cases for the sweep in `tenancy.rs`.

use kefu_domain::BuiltinRole;
use kefu_testkit::{Tenant, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    csv_imports_in_utf8_bom_and_gbk_with_row_errors,
    xlsx_and_jsonl_exports_import_back_unchanged,
    background_import_is_polled_to_done,
    answer_variants_through_the_api,
    knowledge_imports_need_manage_permission
);

const CSV: &str = "id,category,question,similar,answer,enabled,valid_from,valid_to\n\
,售后/退货,怎么退货,\"如何退货\n退货流程\",在订单页申请退货,1,2026-01-01,\n\
,售后/退货,,x,没有问题,1,,\n\
,售后,能换货吗,换货|调换,可以,否,,2027-12-31 23:59\n\
,a/b/c/d,四级,,x,,,\n\
,物流,几天发货,,48 小时内,maybe,,\n\
,物流,发货时间,,\"{\"\"text\"\":\"\"看这里\"\",\"\"rich\"\":{\"\"card\"\":{\"\"title\"\":\"\"发货说明\"\",\"\"url\"\":\"\"https://example.com/ship\"\"}}}\",1,,\n";

async fn import(t: &Tenant, query: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let (status, _, bytes) = t
        .admin
        .bytes(
            Method::POST,
            &format!("/api/v1/knowledge/imports?{query}"),
            "application/octet-stream",
            body,
        )
        .await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn questions(items: &Value) -> Vec<String> {
    let mut q: Vec<String> = items
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["question"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    q.sort();
    q
}

async fn check_csv_import(app: &TestApp, slug: &str, query: &str, body: Vec<u8>) {
    let t = app.tenant(slug).await;
    let (status, r) = import(&t, query, body).await;
    assert_eq!(status, StatusCode::CREATED, "{slug}: {r:?}");
    assert_eq!(r["status"], "done");
    assert_eq!(r["total"], 6);
    assert_eq!(r["created"], 3, "{slug}: {r:?}");
    assert_eq!(r["failed"], 3);
    let rows: Vec<(i64, String)> = r["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| {
                    (
                        x["row"].as_i64().unwrap_or(0),
                        x["message"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // Spreadsheet numbering: the header is row 1.
    assert_eq!(
        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![3, 5, 6],
        "{rows:?}"
    );
    assert!(rows[0].1.contains("question"), "{rows:?}");
    assert!(rows[1].1.contains("category"), "{rows:?}");
    assert!(rows[2].1.contains("enabled"), "{rows:?}");
    let items = t.admin.get("/api/v1/knowledge/items").await.body;
    assert_eq!(questions(&items), vec!["发货时间", "怎么退货", "能换货吗"]);
    let by_q = |q: &str| {
        items
            .as_array()
            .and_then(|a| a.iter().find(|i| i["question"] == q))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(by_q("怎么退货")["similar"], json!(["如何退货", "退货流程"]));
    assert_eq!(by_q("怎么退货")["valid_from"], 1_767_225_600_000i64);
    assert_eq!(by_q("能换货吗")["enabled"], false);
    assert_eq!(by_q("能换货吗")["similar"], json!(["换货", "调换"]));
    assert_eq!(by_q("能换货吗")["valid_to"], 1_830_297_540_000i64);
    assert_eq!(
        by_q("发货时间")["answer"]["rich"]["card"]["title"],
        "发货说明"
    );

    // The report as a download.
    let id = r["id"].as_str().unwrap_or_default();
    let (status, ct, bytes) = t
        .admin
        .bytes(
            Method::GET,
            &format!("/api/v1/knowledge/imports/{id}?format=csv"),
            "",
            Vec::new(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("row,code,message"));
    assert_eq!(text.lines().count(), 4, "{text}");
}

async fn csv_imports_in_utf8_bom_and_gbk_with_row_errors(app: TestApp) {
    check_csv_import(&app, "kb-csv-utf8", "format=csv", CSV.as_bytes().to_vec()).await;
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(CSV.as_bytes());
    check_csv_import(&app, "kb-csv-bom", "format=csv", bom).await;
    let (gbk, _, lossy) = encoding_rs::GBK.encode(CSV);
    assert!(!lossy);
    check_csv_import(&app, "kb-csv-gbk", "format=csv", gbk.to_vec()).await;
    check_csv_import(&app, "kb-csv-gbk2", "format=csv&encoding=gbk", gbk.to_vec()).await;
    // GBK bytes declared as UTF-8 are refused whole, with nothing started.
    let t = app.tenant("kb-csv-bad").await;
    let (status, r) = import(&t, "format=csv&encoding=utf-8", gbk.to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r:?}");
    // Unknown and missing columns: one 422 naming them.
    let (status, r) = import(&t, "format=csv", "question,colour\nq,red\n".into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r["code"], "invalid_fields");
    let fields: Vec<&str> = r["details"]["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["field"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        fields.contains(&"columns.colour") && fields.contains(&"columns.answer"),
        "{r:?}"
    );
    assert_eq!(
        t.admin.get("/api/v1/knowledge/imports").await.body,
        json!([]),
        "refused uploads start no import"
    );
    let (status, _) = import(&t, "format=pdf", b"x".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = import(&t, "format=xlsx", b"not a zip".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn export(t: &Tenant, format: &str) -> (String, Vec<u8>) {
    let (status, ct, bytes) = t
        .admin
        .bytes(
            Method::GET,
            &format!("/api/v1/knowledge/export?format={format}"),
            "",
            Vec::new(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    (ct, bytes)
}

/// Items without ids and times, sorted, for comparing two tenants' knowledge.
fn comparable(items: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = items
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut i| {
            for k in ["id", "category_id", "created_at", "updated_at"] {
                i.as_object_mut().map(|o| o.remove(k));
            }
            i
        })
        .collect();
    out.sort_by_key(|i| i["question"].as_str().unwrap_or("").to_string());
    out
}

async fn xlsx_and_jsonl_exports_import_back_unchanged(app: TestApp) {
    let src = app.tenant("kb-rt-src").await;
    let (status, r) = import(&src, "format=csv", CSV.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{r:?}");
    // An item with variants and every rich part, and a formula-looking question.
    let cat = src.admin.get("/api/v1/knowledge/categories").await.body[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let r = src
        .admin
        .post(
            "/api/v1/knowledge/items",
            json!({
                "category_id": cat, "question": "=SUM(A1) 怎么算", "similar": ["+1 是什么"],
                "answer": {"text": "默认", "rich": {"buttons": [{"label": "是", "value": "yes"}], "links": [{"title": "帮助", "url": "https://example.com/help"}], "images": [{"url": "https://example.com/a.png"}]},
                           "variants": {"wechat": {"text": "微信版"}}},
                "valid_from": 1_767_225_600_123i64
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let original = comparable(&src.admin.get("/api/v1/knowledge/items").await.body);

    for format in ["xlsx", "csv", "jsonl"] {
        let (ct, bytes) = export(&src, format).await;
        if format == "xlsx" {
            assert!(ct.contains("spreadsheetml"), "{ct}");
            assert!(bytes.starts_with(b"PK"), "a zip");
        }
        let dst = app.tenant(&format!("kb-rt-{format}")).await;
        let (status, r) = import(&dst, &format!("format={format}"), bytes).await;
        assert_eq!(status, StatusCode::CREATED, "{format}: {r:?}");
        assert_eq!(r["failed"], 0, "{format}: {r:?}");
        assert_eq!(r["created"], 4);
        let back = comparable(&dst.admin.get("/api/v1/knowledge/items").await.body);
        assert_eq!(back, original, "{format} round trip");
        let cats = |t: &Tenant| {
            let t = t.admin.clone();
            async move {
                let mut v: Vec<(String, i64)> = t
                    .get("/api/v1/knowledge/categories")
                    .await
                    .body
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(|c| {
                        (
                            c["name"].as_str().unwrap_or("").to_string(),
                            c["depth"].as_i64().unwrap_or(0),
                        )
                    })
                    .collect();
                v.sort();
                v
            }
        };
        assert_eq!(
            cats(&dst).await,
            cats(&src).await,
            "{format}: category tree"
        );
    }
}

async fn background_import_is_polled_to_done(app: TestApp) {
    let t = app.tenant("kb-bg").await;
    let mut body = String::from("category,question,answer\n");
    for i in 0..1200 {
        body.push_str(&format!("批量/第{}组,问题 {i},答案 {i}\n", i % 7));
    }
    let (status, r) = import(&t, "format=csv&background=true", body.into_bytes()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{r:?}");
    assert_eq!(r["status"], "running");
    assert_eq!(r["total"], 1200);
    let id = r["id"].as_str().unwrap_or_default().to_string();
    let mut last = Value::Null;
    for _ in 0..600 {
        last = t
            .admin
            .get(&format!("/api/v1/knowledge/imports/{id}"))
            .await
            .body;
        let processed = last["processed"].as_i64().unwrap_or(-1);
        assert!((0..=1200).contains(&processed), "{last:?}");
        if last["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(last["status"], "done", "{last:?}");
    assert_eq!(last["processed"], 1200);
    assert_eq!(last["created"], 1200);
    assert_eq!(last["categories_created"], 8);
    let list = t.admin.get("/api/v1/knowledge/imports").await.body;
    assert_eq!(list[0]["id"], id.as_str());
}

async fn answer_variants_through_the_api(app: TestApp) {
    let t = app.tenant("kb-variants").await;
    let cat = t
        .admin
        .post("/api/v1/knowledge/categories", json!({"name": "渠道"}))
        .await
        .id();
    let body = json!({
        "category_id": cat, "question": "营业时间",
        "answer": {"text": "9:00–18:00", "rich": {"card": {"title": "门店", "image_url": "https://example.com/s.png", "url": "https://example.com/s"}},
                   "variants": {"wechat": {"text": "微信：9 点到 18 点"}, "app": {"rich": {"buttons": [{"label": "查看门店"}]}}}}
    });
    let r = t.admin.post("/api/v1/knowledge/items", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.id();
    let got = t
        .admin
        .get(&format!("/api/v1/knowledge/items/{id}"))
        .await
        .body;
    assert_eq!(
        got["answer"]["variants"]["wechat"]["text"],
        "微信：9 点到 18 点"
    );
    assert_eq!(
        got["answer"]["variants"]["app"]["rich"]["buttons"][0]["label"],
        "查看门店"
    );
    assert_eq!(got["answer"]["rich"]["card"]["title"], "门店");

    // Every bad part at once, by path.
    let r = t
        .admin
        .put(
            &format!("/api/v1/knowledge/items/{id}"),
            json!({"category_id": cat, "question": "营业时间", "answer": {"text": "x",
                "rich": {"card": {"title": "", "url": "ftp://x"}, "images": [{"url": "javascript:1"}]},
                "variants": {"Bad Key!": {"text": "y"}, "web": {"text": ""}}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "invalid_fields");
    let fields: Vec<&str> = r.body["details"]["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["field"].as_str()).collect())
        .unwrap_or_default();
    for f in [
        "answer.rich.card.title",
        "answer.rich.card.url",
        "answer.rich.images.0.url",
        "answer.variants.Bad Key!",
        "answer.variants.web",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    // Unknown answer keys are a 422 too, and nothing changed.
    let r = t
        .admin
        .put(
            &format!("/api/v1/knowledge/items/{id}"),
            json!({"category_id": cat, "question": "营业时间", "answer": {"text": "x", "colour": "red"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let again = t
        .admin
        .get(&format!("/api/v1/knowledge/items/{id}"))
        .await
        .body;
    assert_eq!(again["answer"], got["answer"]);
}

async fn knowledge_imports_need_manage_permission(app: TestApp) {
    let t = app.tenant("kb-imp-perm").await;
    let (status, r) = import(&t, "format=csv", CSV.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = r["id"].as_str().unwrap_or_default().to_string();
    let (_, agent) = app.user(&t, "kb-imp-agent", BuiltinRole::Agent).await;
    let (status, _, bytes) = agent
        .bytes(
            Method::POST,
            "/api/v1/knowledge/imports?format=csv",
            "text/csv",
            CSV.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert_eq!(body["details"]["permission"], "knowledge.manage");
    for path in [
        "/api/v1/knowledge/imports".to_string(),
        format!("/api/v1/knowledge/imports/{id}"),
        format!("/api/v1/knowledge/imports/{id}?format=csv"),
    ] {
        assert_eq!(
            agent.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    // Agents read the knowledge base, so they may export it.
    let (status, _, _) = agent
        .bytes(
            Method::GET,
            "/api/v1/knowledge/export?format=csv",
            "",
            Vec::new(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        t.admin
            .get("/api/v1/knowledge/imports/not-an-id")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// Tenant A's import, read by tenant B.
pub(crate) async fn cross_tenant_cases(a: &Tenant) -> Vec<(Method, String, Option<Value>)> {
    let (_, r) = import(a, "format=csv", CSV.as_bytes().to_vec()).await;
    let id = r["id"].as_str().unwrap_or_default().to_string();
    vec![(Method::GET, format!("/api/v1/knowledge/imports/{id}"), None)]
}

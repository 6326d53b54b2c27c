//! CSV import (duplicate and error report, downloadable), export of a
//! filtered list, and the data board, over HTTP.

use crate::crm::{codes, template};
use kefu_domain::BuiltinRole;
use kefu_testkit::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    csv_import_reports_duplicates_and_errors_and_export_follows_filters,
    data_board_counts_what_the_viewer_may_see,
    a_background_import_shows_progress_until_done,
    a_gbk_csv_from_excel_imports_like_utf8,
);

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

async fn data_board_counts_what_the_viewer_may_see(app: TestApp) {
    let t = app.tenant("crmboard").await;
    let tpl = template(&t).await;
    let dept = t
        .admin
        .post("/api/v1/departments", json!({"name": "华东销售部"}))
        .await
        .id();
    let role = t.role_id(BuiltinRole::Agent).await;
    let r = t
        .admin
        .post(
            "/api/v1/users",
            json!({"username": "seller", "password": kefu_testkit::PASSWORD, "display_name": "seller",
                   "role_id": role, "department_id": dept}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let seller = kefu_testkit::Client::login(&app.base, &t.slug, "seller", kefu_testkit::PASSWORD)
        .await
        .unwrap();
    for (name, status) in [("甲", "新线索"), ("乙", "跟进中")] {
        let r = seller
            .post(
                "/api/v1/customers",
                json!({"name": name, "template_id": tpl, "status": status, "fields": {"level": "VIP"},
                       "next_follow_up_at": 4_102_444_800_000i64}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    crate::crm::pool_customer(&t, &tpl, "丙", "13800000009", "新线索").await;
    crate::crm::pool_customer(&t, &tpl, "丁", "13800000008", "已成交").await;
    t.admin
        .post(
            "/api/v1/customers",
            json!({"name": "戊", "template_id": tpl, "fields": {"level": "VIP"}}),
        )
        .await;

    // A lead sees the whole tenant, the funnel in the template's order.
    let (_, lead) = app.user(&t, "lead1", BuiltinRole::TeamLead).await;
    let b = lead
        .get(&format!("/api/v1/customer-board?template_id={tpl}"))
        .await;
    assert_eq!(b.status, StatusCode::OK, "{:?}", b.body);
    let b = b.body;
    assert_eq!(
        (b["total"].clone(), b["pool"].clone()),
        (json!(5), json!(2))
    );
    let pairs = |section: &str| -> Vec<(String, i64)> {
        b[section]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["label"].as_str().unwrap().to_string(),
                    x["count"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        pairs("funnel"),
        [
            ("新线索".into(), 2),
            ("跟进中".into(), 1),
            ("已成交".into(), 1),
            ("".into(), 1)
        ]
    );
    assert_eq!(
        pairs("follow_up"),
        [
            ("on_plan".into(), 2),
            ("overdue".into(), 0),
            ("none".into(), 3)
        ]
    );
    assert_eq!(pairs("sources"), [("manual".into(), 5)]);
    assert_eq!(
        pairs("departments"),
        [("".into(), 3), ("华东销售部".into(), 2)]
    );
    // The seller's board counts only what they see: their own and the pool
    // (less the hidden status).
    let mine = seller.get("/api/v1/customer-board").await.body;
    assert_eq!(
        (mine["total"].clone(), mine["pool"].clone()),
        (json!(3), json!(1))
    );
    // As SVG and as CSV (export needs data.export).
    let (r, svg) = lead
        .text(
            Method::GET,
            &format!("/api/v1/customer-board?template_id={tpl}&format=svg&chart=funnel"),
            "",
            String::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(svg.starts_with("<svg") && svg.contains("新线索") && svg.ends_with("</svg>"));
    assert!(svg.contains("客户状态漏斗 / Status funnel"));
    let (_, en) = lead
        .text(
            Method::GET,
            "/api/v1/customer-board?format=svg&chart=sources&lang=en",
            "",
            String::new(),
        )
        .await;
    assert!(en.contains(">Sources<") && en.contains(">manual<"), "{en}");
    let r = lead
        .get("/api/v1/customer-board?format=svg&chart=pie")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (r, csv) = lead
        .text(
            Method::GET,
            "/api/v1/customer-board?format=csv",
            "",
            String::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let rows = kefu_domain::csv::parse(&csv);
    assert_eq!(rows[0], ["section", "key", "label", "count"]);
    assert!(rows.contains(&vec!["total".into(), "".into(), "".into(), "5".into()]));
    let (r, _) = seller
        .text(
            Method::GET,
            "/api/v1/customer-board?format=csv",
            "",
            String::new(),
        )
        .await;
    assert_eq!(
        (r.status, r.body["details"]["permission"].clone()),
        (StatusCode::FORBIDDEN, json!("data.export"))
    );
}

async fn a_background_import_shows_progress_until_done(app: TestApp) {
    let t = app.tenant("crmbg").await;
    let tpl = template(&t).await;
    // 1,200 rows (three chunks of work); every 100th repeats an earlier phone.
    let mut csv = String::from("name,phone,level\n");
    for i in 0..1200u32 {
        let n = if i % 100 == 99 { i - 1 } else { i };
        csv += &format!("客户{i},1390000{n:04},普通\n");
    }
    let (r, _) = t
        .admin
        .text(
            Method::POST,
            &format!("/api/v1/customer-imports?template_id={tpl}&background=true"),
            "text/csv",
            csv,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_eq!(
        (r.body["status"].clone(), r.body["total"].clone()),
        (json!("running"), json!(1200))
    );
    let id = r.id();
    // Poll as a progress bar would: `processed` only grows, a chunk at a time.
    // (Give up only if nothing moves for a long while: a stuck import.)
    let mut seen = vec![];
    let mut still = 0;
    let done = loop {
        let r = t.admin.get(&format!("/api/v1/customer-imports/{id}")).await;
        assert_eq!(r.status, StatusCode::OK);
        let processed = r.body["processed"].as_i64().unwrap();
        assert!(
            processed % 500 == 0 || processed == 1200,
            "progress moves by whole chunks: {processed}"
        );
        assert!(seen.last().is_none_or(|l| *l <= processed));
        still = if seen.last() == Some(&processed) {
            still + 1
        } else {
            0
        };
        seen.push(processed);
        if r.body["status"] != "running" {
            break r.body;
        }
        assert!(still < 3000, "the import stopped moving at {processed}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(done["status"], "done");
    assert_eq!(
        (
            done["processed"].clone(),
            done["created"].clone(),
            done["duplicates"].clone(),
            done["errors"].clone()
        ),
        (json!(1200), json!(1188), json!(12), json!(0))
    );
    assert_eq!(done["report"].as_array().unwrap().len(), 12);
    let pool = t.admin.get("/api/v1/customer-board").await.body;
    assert_eq!(pool["pool"], 1188);
}

/// Excel in China saves CSV as GBK: detected (or chosen) and read like UTF-8; a
/// file in neither, or an unknown encoding name, is a clear 422.
async fn a_gbk_csv_from_excel_imports_like_utf8(app: TestApp) {
    let t = app.tenant("crmgbk").await;
    let tpl = template(&t).await;
    let text = "姓名,电话,标签,level\r\n赵六,13866660000,老客户,VIP\r\n钱七,13877770000,,普通\r\n";
    let (gbk, _, lossy) = encoding_rs::GBK.encode(text);
    assert!(!lossy);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "the file really is not UTF-8"
    );
    let path = format!("/api/v1/customer-imports?template_id={tpl}");
    let (status, _, body) = t
        .admin
        .bytes(Method::POST, &path, "text/csv", gbk.to_vec())
        .await;
    let imp: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, StatusCode::CREATED, "{imp}");
    assert_eq!(
        (imp["created"].clone(), imp["errors"].clone()),
        (json!(2), json!(0))
    );
    let found = t
        .admin
        .get("/api/v1/customers/lookup?phone=13866660000")
        .await
        .body;
    assert_eq!(found["customers"][0]["name"], "赵六");
    assert_eq!(found["customers"][0]["tags"], json!(["老客户"]));

    // Told it is UTF-8, the same bytes are refused rather than garbled.
    let (status, _, body) = t
        .admin
        .bytes(
            Method::POST,
            &format!("{path}&encoding=utf-8"),
            "text/csv",
            gbk.to_vec(),
        )
        .await;
    let err: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["details"]["field"], "file");
    let (status, _, _) = t
        .admin
        .bytes(
            Method::POST,
            &format!("{path}&encoding=big5"),
            "text/csv",
            gbk.to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

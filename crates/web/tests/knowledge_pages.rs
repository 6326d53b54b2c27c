//! The knowledge pages over the router (no socket): the category tree, the item editor
//! with phrasings and channel variants, search, the synonym dictionary, and an import
//! whose progress fragment is polled like htmx does — plus what an agent may not do.
//! (The client helpers are the shared harness in `common/mod.rs`.)

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;

/// Every `value` of the `<select id=…>`'s options.
fn option_values(html: &str, id: &str) -> Vec<String> {
    let start = html.find(&format!("id=\"{id}\"")).expect("select");
    let end = start + html[start..].find("</select>").expect("end of select");
    html[start..end]
        .split("<option value=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap_or("").to_string())
        .collect()
}

/// The id in a `Location: …?category_id=ID` or `/knowledge/items/ID`.
fn id_in(location: &str) -> String {
    location.rsplit(['=', '/']).next().unwrap_or("").to_string()
}

impl Client {
    async fn multipart(
        &mut self,
        path: &str,
        parts: &[(&str, Option<&str>, &[u8])],
        htmx: bool,
    ) -> Page {
        let boundary = "kbtestboundary";
        let mut body: Vec<u8> = Vec::new();
        for (name, file, bytes) in parts {
            body.extend(format!("--{boundary}\r\n").as_bytes());
            match file {
                Some(f) => body.extend(format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes()),
                None => body.extend(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
            }
            body.extend(*bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        let mut b = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            );
        if htmx {
            b = b.header("hx-request", "true");
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }
}

#[tokio::test]
async fn categories_items_and_synonyms_are_managed_in_the_console() {
    let mut c = Client::new().await;
    c.sign_in("admin").await;
    let p = c.get("/knowledge").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("id=\"nav-knowledge\""));
    let csrf = hidden(&p.body, "_csrf");

    // Three levels of categories; the third cannot take a child.
    let mut parent = String::new();
    let mut ids = Vec::new();
    for name in ["售后", "退货", "七天无理由"] {
        let r = c
            .post(
                "/knowledge/categories",
                &[("_csrf", &csrf), ("name", name), ("parent_id", &parent)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        parent = id_in(r.location.as_deref().unwrap_or(""));
        ids.push(parent.clone());
    }
    let p = c.get("/knowledge").await;
    assert!(p.body.contains("七天无理由"));
    let parents = option_values(&p.body, "kb-category-parent");
    assert!(
        parents.contains(&ids[1]) && !parents.contains(&ids[2]),
        "a third-level category takes no child"
    );
    let r = c
        .post(
            "/knowledge/categories",
            &[("_csrf", &csrf), ("name", "第四级"), ("parent_id", &ids[2])],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("field-error") || r.body.contains("flash-error"));

    // An item with phrasings, a card, and a variant for WeChat.
    let r = c
        .post(
            "/knowledge/items",
            &[
                ("_csrf", &csrf),
                ("category_id", &ids[1]),
                ("question", "怎么退货"),
                ("similar", "如何退货"),
                ("similar", ""),
                ("similar", "退货流程"),
                ("a_text", "在订单页申请退货"),
                ("a_card_title", "退货指南"),
                ("a_card_url", "https://example.com/returns"),
                ("a_buttons", "查物流 | track"),
                ("variant", "0"),
                ("0_key", "wechat"),
                ("0_text", "微信里点“我的订单”申请退货"),
                ("enabled", "true"),
                ("valid_from", "2026-01-01T00:00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let item = id_in(r.location.as_deref().unwrap_or(""));
    let p = c.get(&format!("/knowledge/items/{item}")).await;
    assert_eq!(p.status, StatusCode::OK);
    for s in [
        "如何退货",
        "退货流程",
        "退货指南",
        "查物流 | track",
        "微信里点“我的订单”申请退货",
        "2026-01-01T00:00",
    ] {
        assert!(p.body.contains(&html_escape(s)), "editor shows {s}");
    }
    assert!(p.body.contains("name=\"0_key\""));

    // A bad card link is refused with the field named, and what was typed is kept.
    let r = c
        .post(
            &format!("/knowledge/items/{item}"),
            &[
                ("_csrf", &csrf),
                ("category_id", &ids[1]),
                ("question", "怎么退货"),
                ("a_text", "x"),
                ("a_card_title", "t"),
                ("a_card_url", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("answer.rich.card.url"), "{}", r.body);

    // Search finds it by a phrasing; another category does not list it.
    let p = c.get("/knowledge?q=%E6%B5%81%E7%A8%8B").await;
    assert!(p.body.contains(&format!("data-id=\"{item}\"")));
    let p = c.get(&format!("/knowledge?category_id={}", ids[0])).await;
    assert!(p.body.contains("id=\"kb-no-items\""));
    let p = c.get("/knowledge?q=nothing-like-this").await;
    assert!(p.body.contains("id=\"kb-no-items\""));

    // A category in use is not deleted.
    let r = c
        .post(
            &format!("/knowledge/categories/{}/delete", ids[1]),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // htmx fragments for adding rows.
    let f = c.get("/knowledge/fragments/similar").await;
    assert!(f.body.contains("kb-similar-row"));
    let f = c.get("/knowledge/fragments/variant?n=3").await;
    assert!(f.body.contains("name=\"3_key\""));

    // Synonyms: a group, and one term alone is refused.
    let r = c
        .post(
            "/knowledge/synonyms",
            &[("_csrf", &csrf), ("terms", "退款，退钱, refund")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let p = c.get("/knowledge/synonyms").await;
    assert!(p.body.contains("退款 · 退钱 · refund"));
    let r = c
        .post(
            "/knowledge/synonyms",
            &[("_csrf", &csrf), ("terms", "只有一个")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("只有一个"), "the typed terms are kept");
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
}

#[tokio::test]
async fn an_import_reports_progress_then_its_report() {
    let mut c = Client::new().await;
    c.sign_in("admin").await;
    let p = c.get("/knowledge/transfer").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("id=\"kb-import-form\""));
    assert!(p.body.contains("/api/v1/knowledge/export?format=xlsx"));
    let csrf = hidden(&p.body, "_csrf");
    let csv = "category,question,similar,answer\n售后/退货,怎么退货,如何退货|退货流程,在订单页申请\n售后,,x,y\n";
    let r = c
        .multipart(
            "/knowledge/transfer",
            &[
                ("_csrf", None, csrf.as_bytes()),
                ("format", None, b"auto"),
                ("encoding", None, b"auto"),
                ("file", Some("kb.csv"), csv.as_bytes()),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("id=\"kb-import-progress\""), "{}", r.body);
    let id = r
        .body
        .split("/knowledge/imports/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .map(str::to_string);
    let id = match id {
        Some(id) => id,
        // Already done when answered: the report link carries the id.
        None => r
            .body
            .split("/api/v1/knowledge/imports/")
            .nth(1)
            .and_then(|s| s.split('?').next())
            .unwrap_or("")
            .to_string(),
    };
    let mut done = String::new();
    for _ in 0..200 {
        let p = c
            .get_with(
                &format!("/knowledge/imports/{id}/progress"),
                &[("hx-request", "true")],
            )
            .await;
        assert_eq!(p.status, StatusCode::OK);
        if !p.body.contains("hx-trigger=\"every 1s\"") {
            done = p.body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(done.contains("data-status=\"done\""), "{done}");
    assert!(done.contains("id=\"kb-import-report\""));
    assert!(done.contains("2 / 2"), "{done}");

    // Without a file: the fragment says so.
    let r = c
        .multipart(
            "/knowledge/transfer",
            &[
                ("_csrf", None, csrf.as_bytes()),
                ("file", Some("empty.csv"), b""),
            ],
            true,
        )
        .await;
    assert!(r.body.contains("id=\"kb-import-error\""), "{}", r.body);
    // A forged upload (no CSRF token) is refused.
    let r = c
        .multipart(
            "/knowledge/transfer",
            &[("file", Some("kb.csv"), csv.as_bytes())],
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn agents_read_the_knowledge_base_but_do_not_change_it() {
    let mut c = Client::new().await;
    c.sign_in("agent1").await;
    let p = c.get("/knowledge").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(!p.body.contains("id=\"kb-new-item\""));
    assert!(!p.body.contains("id=\"kb-category-create\""));
    let csrf = hidden(&p.body, "_csrf");
    let r = c
        .post("/knowledge/categories", &[("_csrf", &csrf), ("name", "x")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        c.get("/knowledge/items/new").await.status,
        StatusCode::FORBIDDEN
    );
    let p = c.get("/knowledge/transfer").await;
    assert!(!p.body.contains("id=\"kb-import-form\""));
}

#[tokio::test]
async fn bot_thresholds_are_set_with_errors_at_their_inputs() {
    let mut c = Client::new().await;
    c.sign_in("admin").await;
    let p = c.get("/knowledge").await;
    assert!(p.body.contains("id=\"kb-nav-thresholds\""));
    c.get("/lang/zh-CN").await;
    let p = c.get("/knowledge/thresholds").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    // The defaults are shown, in Chinese first.
    assert!(p.body.contains("机器人阈值"), "{}", p.body);
    assert!(p.body.contains("当前使用默认值"));
    assert!(p.body.contains("value=\"0.35\""));
    let csrf = hidden(&p.body, "_csrf");
    let form = |la: &'static str, ls: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("lexical.answer", la.to_string()),
            ("lexical.suggest", ls.to_string()),
            ("semantic.answer", "0.6".to_string()),
            ("semantic.suggest", "0.3".to_string()),
        ]
    };
    let own = |f: Vec<(&str, String)>| -> Vec<(String, String)> {
        f.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    };
    // Answer not above suggest, and a value that is no number: each said at its input,
    // what was typed kept.
    let r = c
        .post_owned("/knowledge/thresholds", own(form("0.2", "0.3")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("须大于推荐阈值"), "{}", r.body);
    assert!(r.body.contains("value=\"0.2\""));
    let r = c
        .post_owned("/knowledge/thresholds", own(form("abc", "0.3")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请输入 0 到 1 之间的数字"), "{}", r.body);
    // Saved: the page shows the values and offers to reset.
    let r = c
        .post_owned("/knowledge/thresholds", own(form("0.8", "0.3")))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = c.get("/knowledge/thresholds").await;
    assert!(p.body.contains("value=\"0.8\""), "{}", p.body);
    assert!(p.body.contains("id=\"bot-thresholds-reset\""));
    // In English too.
    c.get("/lang/en").await;
    let p = c.get("/knowledge/thresholds").await;
    assert!(p.body.contains("Bot thresholds"), "{}", p.body);
    assert!(p.body.contains("Answer threshold"));
    let r = c
        .post_owned("/knowledge/thresholds", own(form("1.5", "0.3")))
        .await;
    assert!(r.body.contains("must be between 0 and 1"), "{}", r.body);
    let r = c
        .post("/knowledge/thresholds/delete", &[("_csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // Agents may not.
    let mut a = Client::new_sharing(&c);
    a.sign_in("agent1").await;
    assert_eq!(
        a.get("/knowledge/thresholds").await.status,
        StatusCode::FORBIDDEN
    );
}

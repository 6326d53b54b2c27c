//! The ticket pages over the router: the admin's ticket types (JSON form with
//! its errors), the new-ticket form with every bad field shown, the ticket page
//! with its workflow buttons and a refused move explained, the print view, and
//! the flow scope on a skill group's page.

mod common;

use axum::http::StatusCode;
use common::*;

/// The value of the first `attr="…"` after `after` in `html`.
fn attr_after(html: &str, after: &str, attr: &str) -> String {
    let from = html
        .find(after)
        .unwrap_or_else(|| panic!("{after} missing"));
    let marker = format!("{attr}=\"");
    let start = html[from..].find(&marker).expect("attribute") + from + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn ticket_types_tickets_and_flow_scope_in_the_console() {
    let mut admin = Client::new().await;
    admin.sign_in("admin").await;
    let p = admin.get("/admin/ticket-types").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("售后工单"), "the demo's type is listed");
    assert!(p.body.contains("id=\"nav-ticket-types\""));
    let csrf = hidden(&p.body, "_csrf");
    // Bad JSON and a bad definition are explained on the page.
    let p = admin
        .post(
            "/admin/ticket-types",
            &[
                ("_csrf", &csrf),
                ("name", "坏的"),
                ("fields", "[{"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("id=\"ticket-type-errors\""), "{}", p.body);
    let p = admin
        .post(
            "/admin/ticket-types",
            &[
                ("_csrf", &csrf),
                ("name", "投诉"),
                ("fields", r#"[{"key":"Bad","label":"x","kind":"text"}]"#),
                ("workflow", ""),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("fields[0].key"), "{}", p.body);
    // An empty workflow means the standard one.
    let p = admin
        .post(
            "/admin/ticket-types",
            &[
                ("_csrf", &csrf),
                ("name", "投诉"),
                (
                    "fields",
                    r#"[{"key":"order_no","label":"订单号","kind":"text","required":true}]"#,
                ),
                ("workflow", ""),
                ("default_priority", "high"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);

    // An agent of 售后服务 files a ticket of the demo type.
    let mut agent = Client::new_sharing(&admin);
    agent.sign_in("agent3").await;
    let p = agent.get("/tickets").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"ticket-new\""));
    assert!(
        !p.body.contains("id=\"nav-ticket-types\""),
        "agents do not define types"
    );
    let p = agent.get("/tickets/new").await;
    let type_id = attr_after(&p.body, "id=\"tn-type\"", "value");
    let p = agent.get(&format!("/tickets/new?type_id={type_id}")).await;
    assert_eq!(p.status, StatusCode::OK);
    for id in [
        "tn-title",
        "tf-f_order_no",
        "tf-f_reason",
        "tf-f_detail",
        "tn-due",
    ] {
        assert!(p.body.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    let csrf = hidden(&p.body, "_csrf");
    // Missing order number and an option that is not offered: both shown, typed text kept.
    let p = agent
        .post(
            "/tickets/new",
            &[
                ("_csrf", &csrf),
                ("type_id", &type_id),
                ("title", "屏幕碎了"),
                ("f_reason", "天气"),
                ("f_detail", "第一行\n第二行"),
                ("priority", "urgent"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("value=\"屏幕碎了\""), "typed title kept");
    assert_eq!(
        p.body.matches("class=\"field-error\">is required").count(),
        1,
        "{}",
        p.body
    );
    assert!(
        p.body.contains("天气 is not one of the options"),
        "{}",
        p.body
    );
    let p = agent
        .post(
            "/tickets/new",
            &[
                ("_csrf", &csrf),
                ("type_id", &type_id),
                ("title", "屏幕碎了"),
                ("f_order_no", "SO-1"),
                ("f_reason", "维修"),
                ("f_product", "手机/旗舰"),
                ("f_detail", "第一行\n第二行"),
                ("priority", "urgent"),
                ("due", "2030-01-31"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let url = p.location.clone().unwrap();
    let p = agent.get(&url).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("#1</span> 屏幕碎了"), "{}", p.body);
    assert!(p.body.contains("id=\"move-in_progress\""));
    assert!(p.body.contains("2030-01-31"));
    // A refused move (not in the workflow) is explained on the ticket page.
    let csrf = hidden(&p.body, "_csrf");
    let p = agent
        .post(
            &format!("{url}/transition"),
            &[("_csrf", &csrf), ("to", "closed")],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("flash-error") && p.body.contains("closed"),
        "{}",
        p.body
    );
    let p = agent
        .post(
            &format!("{url}/transition"),
            &[("_csrf", &csrf), ("to", "resolved")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = agent.get(&url).await;
    assert!(p.body.contains("data-category=\"resolved\""));
    // A note and the print view (no console around it, notes marked).
    let p = agent
        .post(
            &format!("{url}/comments"),
            &[("_csrf", &csrf), ("kind", "note"), ("body", "已寄回维修")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = agent.get(&format!("{url}/print")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("屏幕碎了") && p.body.contains("已寄回维修"));
    assert!(p.body.contains("/assets/print.css"));
    assert!(
        !p.body.contains("id=\"sidenav\""),
        "no console chrome on paper"
    );
    // The list filters: resolved shows it, open does not.
    let p = agent.get("/tickets?category=resolved").await;
    assert!(p.body.contains("屏幕碎了"));
    let p = agent.get("/tickets?category=open").await;
    assert!(p.body.contains("id=\"tickets-empty\""));

    // The administrator sets a group's flow scope on its page.
    let p = admin.get("/admin/skill-groups").await;
    let end = p.body.find("\">售后服务</a>").expect("the group's link");
    let group = p.body[end - 36..end].to_string();
    let p = admin.get(&format!("/admin/skill-groups/{group}")).await;
    assert!(p.body.contains("id=\"flow-scope-form\""));
    let csrf = hidden(&p.body, "_csrf");
    let p = admin
        .post(
            &format!("/admin/skill-groups/{group}/flow-scope"),
            &[("_csrf", &csrf), ("mode", "only"), ("scope", &group)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = admin.get(&format!("/admin/skill-groups/{group}")).await;
    assert!(
        p.body.contains("id=\"flow-scope-only\" checked"),
        "{}",
        p.body
    );
}

//! Files in a ticket form's attachment fields: uploaded from the ticket page
//! through `POST /api/v1/tickets/attachments` (tickets permission, the chat's
//! size and type limits, tenant-scoped), then shown as download links.

use crate::crm::{codes, custom_user};
use crate::tickets::ticket_type;
use kefu_domain::BuiltinRole;
use kefu_testkit::{Client, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(a_file_uploaded_for_a_ticket_field_is_linked_on_the_ticket_page,);

const BOUNDARY: &str = "kefu-test-boundary-7f3a";

/// Upload `bytes` as `name`; the status and the JSON answer.
async fn upload(c: &Client, name: &str, bytes: &[u8]) -> (StatusCode, Value) {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let (status, _, out) = c
        .bytes(
            Method::POST,
            "/api/v1/tickets/attachments",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            body,
        )
        .await;
    (status, serde_json::from_slice(&out).unwrap_or(Value::Null))
}

async fn a_file_uploaded_for_a_ticket_field_is_linked_on_the_ticket_page(app: TestApp) {
    let t = app.tenant("tk-files").await;
    let ty = ticket_type(&t, "退货", None, None).await;
    let (_, agent) = app.user(&t, "agent1", BuiltinRole::Agent).await;

    let pdf = b"%PDF-1.4\n% a receipt\n".to_vec();
    let (status, up) = upload(&agent, "收据.pdf", &pdf).await;
    assert_eq!(status, StatusCode::CREATED, "{up:?}");
    let file_id = up["id"].as_str().unwrap_or_default().to_string();
    let url = up["url"].as_str().unwrap_or_default().to_string();
    assert_eq!(up["name"], "收据.pdf");
    assert!(
        url.starts_with(&format!("/api/v1/files/{file_id}/")),
        "{url}"
    );

    // The form check accepts the uploaded id.
    let r = agent
        .post(
            "/api/v1/tickets",
            json!({"type_id": ty, "title": "退货：收据", "fields": {"order_no": "A-1", "photos": [file_id]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let ticket = r.id();

    // The ticket page links the file by name, and the link downloads it.
    let (status, _, html) = agent
        .bytes(Method::GET, &format!("/tickets/{ticket}"), "", Vec::new())
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8_lossy(&html);
    assert!(
        html.contains(&format!("href=\"{url}\"")),
        "no link in the page"
    );
    assert!(html.contains("收据.pdf"));
    assert!(
        html.contains("type=\"file\"") && html.contains("/assets/ticket_files.js"),
        "the edit form offers a file picker"
    );
    let (status, _, got) = agent.bytes(Method::GET, &url, "", Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, pdf);

    // The new-ticket page offers the picker too.
    let (status, _, html) = agent
        .bytes(
            Method::GET,
            &format!("/tickets/new?type_id={ty}"),
            "",
            Vec::new(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8_lossy(&html);
    assert!(
        html.contains("data-upload-into=\"tf-f_photos\""),
        "no picker: {html}"
    );

    // Without a tickets permission: 403, nothing stored.
    let outsider = custom_user(&app, &t, "kb-only", &["knowledge.view"]).await;
    let (status, body) = upload(&outsider, "a.pdf", &pdf).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body:?}");
    // ... and they cannot open the ticket page with its links.
    let (status, _, html) = outsider
        .bytes(Method::GET, &format!("/tickets/{ticket}"), "", Vec::new())
        .await;
    assert_ne!(status, StatusCode::OK);
    assert!(!String::from_utf8_lossy(&html).contains(&url));

    // The chat's limits hold: a page posing as a PDF is refused, so is 11 MiB.
    let (status, body) = upload(&agent, "evil.pdf", b"<html><script>alert(1)</script>").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:?}");
    assert!(
        body["message"].as_str().unwrap_or("").contains("accepted") || !codes(&body).is_empty(),
        "{body:?}"
    );
    let (status, body) = upload(&agent, "big.pdf", &vec![b'x'; 11 * 1024 * 1024]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body:?}");
    assert_eq!(body["code"], "file_too_large");

    // Another tenant cannot use the id.
    let b = app.tenant("tk-files-b").await;
    let ty_b = ticket_type(&b, "退货", None, None).await;
    let r = b
        .admin
        .post(
            "/api/v1/tickets",
            json!({"type_id": ty_b, "title": "x", "fields": {"order_no": "B-1", "photos": [file_id]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
}

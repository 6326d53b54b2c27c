//! The customer's signed progress link: public replies only, one survey.

use super::*;

on_both_backends!(progress_link_shows_public_replies_and_takes_one_survey,);

async fn progress_link_shows_public_replies_and_takes_one_survey(app: TestApp) {
    let a = app.tenant("sla-progress").await;
    let b = app.tenant("sla-progress-b").await;
    let p = principal(&app, &a).await;
    let pb = principal(&app, &b).await;
    let ty = ticket_type(&app, &p, "售后").await;
    let k = ticket(&app, &p, &ty, json!({})).await;
    let reply =
        serde_json::from_value(json!({"kind": "reply", "body": "我们正在处理，请稍候"})).unwrap();
    app.app.comment_ticket(&p, &k.id, reply).await.unwrap();
    let note = serde_json::from_value(json!({"kind": "note", "body": "内部：客户很急"})).unwrap();
    app.app.comment_ticket(&p, &k.id, note).await.unwrap();

    let link = a
        .admin
        .get(&format!("/api/v1/tickets/{}/progress-link", k.id))
        .await;
    assert_eq!(link.status, StatusCode::OK, "{:?}", link.body);
    let path = link.body["path"].as_str().unwrap().to_string();
    assert!(path.starts_with(&format!("/progress/{}/", k.id)), "{path}");
    let customer = Client::anonymous(&app.base);
    let api = format!("/api/v1{path}");
    let view = customer.get(&api).await;
    assert_eq!(view.status, StatusCode::OK, "{:?}", view.body);
    assert_eq!(view.body["ticket"]["resolved"], false);
    let text = view.body.to_string();
    assert!(text.contains("我们正在处理"), "public reply shown");
    assert!(!text.contains("内部"), "internal notes never shown: {text}");
    assert_eq!(view.body["survey_open"], false);

    // The customer replies: a public comment from the customer; the watcher
    // (the admin who created it) is told.
    let r = customer
        .post(&format!("{api}/replies"), json!({"body": "好的，谢谢"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let comments = app.app.ticket_comments(&p, &k.id).await.unwrap();
    let last = comments.last().unwrap();
    assert_eq!(
        (
            last.kind.as_str(),
            last.author_type.as_str(),
            last.body.as_str()
        ),
        ("reply", "customer", "好的，谢谢")
    );
    let r = customer
        .post(&format!("{api}/replies"), json!({"body": "  "}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Tampered, truncated, or moved to another tenant's ticket: 404.
    let kb = ticket(&app, &pb, &ticket_type(&app, &pb, "B").await, json!({})).await;
    let b_link = app.app.progress_link(&pb, &kb.id).await.unwrap().path;
    let b_sig = b_link.rsplit('/').next().unwrap();
    let a_sig = path.rsplit('/').next().unwrap();
    let mut flipped = a_sig.to_string();
    let last_char = if flipped.ends_with('A') { "B" } else { "A" };
    flipped.replace_range(flipped.len() - 1.., last_char);
    for bad in [
        format!("/api/v1/progress/{}/{flipped}", k.id),
        format!("/api/v1/progress/{}/{}", k.id, &a_sig[..20]),
        format!("/api/v1/progress/{}/{b_sig}", k.id),
        format!("/api/v1/progress/{}/{a_sig}", kb.id),
        format!("/api/v1/progress/not-a-ticket/{a_sig}"),
    ] {
        let r = customer.get(&bad).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}: {:?}", r.body);
        let r = customer
            .post(&format!("{bad}/survey"), json!({"rating": 5}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
    }
    let (r, html) = customer.text(Method::GET, &path, "", String::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        html.contains("发票开错了") && html.contains("我们正在处理"),
        "{html}"
    );
    assert!(!html.contains("内部"), "no internal notes in the page");
    let (r, _) = customer
        .text(
            Method::GET,
            &format!("/progress/{}/{flipped}", k.id),
            "",
            String::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The survey opens with resolution, and is taken once.
    let r = customer
        .post(&format!("{api}/survey"), json!({"rating": 5}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "not_resolved");
    let to = serde_json::from_value(json!({"to": "resolved"})).unwrap();
    app.app.transition_ticket(&p, &k.id, to).await.unwrap();
    let view = customer.get(&api).await;
    assert_eq!(view.body["ticket"]["resolved"], true);
    assert_eq!(view.body["survey_open"], true);
    let r = customer
        .post(&format!("{api}/survey"), json!({"rating": 6}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = customer
        .post(
            &format!("{api}/survey"),
            json!({"rating": 4, "comment": "处理很快"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = customer
        .post(&format!("{api}/survey"), json!({"rating": 1}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "already_rated");
    let s = a
        .admin
        .get(&format!("/api/v1/tickets/{}/survey", k.id))
        .await;
    assert_eq!(s.status, StatusCode::OK);
    assert_eq!(
        (s.body["rating"].as_i64(), s.body["comment"].as_str()),
        (Some(4), Some("处理很快"))
    );
    // Another tenant's admin cannot read it.
    let r = b
        .admin
        .get(&format!("/api/v1/tickets/{}/survey", k.id))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

//! SLA (issue 6): timing in business hours across a weekend and a holiday,
//! warnings and breach at their instants (the ticker is called with explicit
//! times, never slept on), escalation, the events reports count; the admin
//! API's 403/422/409 answers; the customer's signed progress link and the
//! satisfaction survey.
//!
//! Instants are written out by hand (UTC ms of +08:00 wall-clock times, far in
//! the future so the server's own background ticker, running on real time,
//! never reaches them during a test).

use kefu_app::Principal;
use kefu_domain::BuiltinRole;
use kefu_store::sla::FIRST_RESPONSE;
use kefu_testkit::{Client, Tenant, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    sla_times_a_ticket_across_a_weekend_and_a_holiday,
    sla_admin_answers_403_422_409,
    progress_link_shows_public_replies_and_takes_one_survey,
    the_admin_page_makes_calendars_and_policies,
);

// Friday 2098-11-07 and the days after, +08:00. Monday 2098-11-10 is a holiday.
const FRI_17_00: i64 = 4_066_189_200_000;
const FRI_17_59: i64 = 4_066_192_740_000;
const MON_12_00: i64 = 4_066_430_400_000;
const TUE_09_36: i64 = 4_066_508_160_000;
const TUE_09_50: i64 = 4_066_509_000_000;
const TUE_10_00: i64 = 4_066_509_600_000;
const TUE_11_12: i64 = 4_066_513_920_000;
const TUE_12_00: i64 = 4_066_516_800_000;
const TUE_13_00: i64 = 4_066_520_400_000;

pub(crate) async fn principal(app: &TestApp, t: &Tenant) -> Principal {
    app.app
        .authenticate_token(&t.admin_token().await, None)
        .await
        .expect("admin token authenticates")
}

pub(crate) async fn ticket_type(app: &TestApp, p: &Principal, name: &str) -> String {
    let input = serde_json::from_value(json!({"name": name})).unwrap();
    app.app.create_ticket_type(p, input).await.unwrap().id
}

pub(crate) async fn ticket(
    app: &TestApp,
    p: &Principal,
    type_id: &str,
    extra: Value,
) -> kefu_store::tickets::Ticket {
    let mut body = json!({"type_id": type_id, "title": "发票开错了"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let input = serde_json::from_value(body).unwrap();
    app.app.create_ticket(p, input).await.unwrap()
}

fn office_hours() -> Value {
    json!({
        "utc_offset_minutes": 480,
        "weekly": [{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "18:00"}],
        "holidays": ["2098-11-10"],
    })
}

async fn sla_times_a_ticket_across_a_weekend_and_a_holiday(app: TestApp) {
    let a = app.tenant("sla-timing").await;
    let p = principal(&app, &a).await;
    let (agent, _) = app.user(&a, "agent1", BuiltinRole::Agent).await;
    let (lead, _) = app.user(&a, "lead", BuiltinRole::TeamLead).await;
    let cal = a
        .admin
        .post(
            "/api/v1/business-calendars",
            json!({"name": "办公时间", "hours": office_hours()}),
        )
        .await;
    assert_eq!(cal.status, StatusCode::CREATED, "{:?}", cal.body);
    let ty = ticket_type(&app, &p, "售后").await;
    let pol = a
        .admin
        .post(
            "/api/v1/sla-policies",
            json!({"name": "售后-高", "ticket_type_id": ty, "priority": "high",
                   "calendar_id": cal.id(), "first_response_minutes": 120,
                   "resolution_minutes": 240, "warn_percent": 80,
                   "escalation": {"action": "notify", "user_id": lead}}),
        )
        .await;
    assert_eq!(pol.status, StatusCode::CREATED, "{:?}", pol.body);

    // The ticket "arrives" on Friday at 17:00: stored like any ticket, its
    // clocks started at that instant.
    let mut conn = app.app.store.conn().await.unwrap();
    let fields = serde_json::Map::new();
    let k = kefu_store::tickets::create(
        &mut conn,
        &p.tenant,
        &kefu_store::tickets::NewTicket {
            type_id: &ty,
            title: "打印机坏了",
            fields: &fields,
            customer_id: None,
            conversation_id: None,
            offline_message_id: None,
            source: "manual",
            assignee_id: Some(&agent),
            skill_group_id: None,
            status: "new",
            status_category: "open",
            priority: "high",
            due_at: None,
            created_by: None,
            created_by_name: "test",
        },
    )
    .await
    .unwrap();
    let facts = kefu_app::sla::clock::TicketFacts {
        created_at: FRI_17_00,
        ..kefu_app::sla::clock::TicketFacts::of(&k)
    };
    let timers = kefu_app::sla::clock::start_clocks(&mut conn, &p.tenant, &facts)
        .await
        .unwrap();
    drop(conn);
    // Friday 17–18 is one business hour; the weekend and Monday's holiday
    // count nothing; Tuesday from 09:00 the rest.
    //   first response 120 min: due Tue 10:00, 80 % (96 min) at Tue 09:36
    //   resolution     240 min: due Tue 12:00, 80 % (192 min) at Tue 11:12
    let plan: Vec<(String, Option<i64>, i64)> = timers
        .iter()
        .map(|t| (t.target.clone(), t.warn_at, t.due_at))
        .collect();
    assert_eq!(
        plan,
        vec![
            ("first_response".into(), Some(TUE_09_36), TUE_10_00),
            ("resolution".into(), Some(TUE_11_12), TUE_12_00),
        ]
    );

    let tick = |now: i64| {
        let app = app.app.clone();
        async move {
            let r = app.sla_tick(now).await.unwrap();
            (r.warned, r.breached, r.escalated)
        }
    };
    assert_eq!(
        tick(FRI_17_59).await,
        (0, 0, 0),
        "Friday evening: nothing due"
    );
    assert_eq!(
        tick(MON_12_00).await,
        (0, 0, 0),
        "the holiday counts nothing"
    );
    assert_eq!(tick(TUE_09_36 - 1).await, (0, 0, 0));
    assert_eq!(tick(TUE_09_36).await, (1, 0, 0), "first-response warning");
    assert_eq!(tick(TUE_09_36).await, (0, 0, 0), "given once");
    // The agent answers at 09:50, before 10:00: first response met on time.
    {
        let mut conn = app.app.store.conn().await.unwrap();
        kefu_app::sla::clock::agent_replied(&mut conn, &p.tenant, &k.id, TUE_09_50)
            .await
            .unwrap();
    }
    assert_eq!(tick(TUE_10_00).await, (0, 0, 0), "met clocks do not breach");
    assert_eq!(tick(TUE_11_12 - 1).await, (0, 0, 0));
    assert_eq!(tick(TUE_11_12).await, (1, 0, 0), "resolution warning");
    assert_eq!(tick(TUE_12_00 - 1).await, (0, 0, 0));
    assert_eq!(tick(TUE_12_00).await, (0, 1, 1), "breach and escalation");
    assert_eq!(tick(TUE_12_00 + 60_000).await, (0, 0, 0), "breached once");
    {
        let mut conn = app.app.store.conn().await.unwrap();
        kefu_app::sla::clock::resolved(&mut conn, &p.tenant, &k.id, TUE_13_00)
            .await
            .unwrap();
    }

    let events = a
        .admin
        .get(&format!("/api/v1/sla-events?ticket_id={}", k.id))
        .await;
    assert_eq!(events.status, StatusCode::OK, "{:?}", events.body);
    let got: Vec<(String, String, i64)> = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["target"].as_str().unwrap().to_string(),
                e["kind"].as_str().unwrap().to_string(),
                e["at"].as_i64().unwrap(),
            )
        })
        .collect();
    let fr = FIRST_RESPONSE.to_string();
    let res = "resolution".to_string();
    let escalated_at = got
        .iter()
        .find(|e| e.1 == "escalated")
        .map(|e| e.2)
        .unwrap_or_default();
    assert_eq!(
        got,
        vec![
            (fr.clone(), "started".into(), FRI_17_00),
            (res.clone(), "started".into(), FRI_17_00),
            (fr.clone(), "warned".into(), TUE_09_36),
            (fr.clone(), "met".into(), TUE_09_50),
            (res.clone(), "warned".into(), TUE_11_12),
            (res.clone(), "breached".into(), TUE_12_00),
            (res.clone(), "escalated".into(), TUE_12_00),
            (res.clone(), "met".into(), TUE_13_00),
        ]
    );
    assert_eq!(escalated_at, TUE_12_00);
    let all = events.body.as_array().unwrap();
    let escalated = all.iter().find(|e| e["kind"] == "escalated").unwrap();
    assert_eq!(escalated["detail"]["action"], "notify");
    assert_eq!(escalated["detail"]["user_id"], lead.as_str());
    let met: Vec<&Value> = all.iter().filter(|e| e["kind"] == "met").collect();
    assert_eq!(met[0]["detail"]["on_time"], true);
    assert_eq!(met[1]["detail"]["on_time"], false);

    // Reports count them.
    let report = a
        .admin
        .get(&format!(
            "/api/v1/sla-report?from={FRI_17_00}&to={}",
            TUE_13_00 + 1
        ))
        .await;
    assert_eq!(report.status, StatusCode::OK);
    let count = |target: &str, kind: &str| {
        report
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["target"] == target && c["kind"] == kind)
            .map(|c| c["count"].as_i64().unwrap())
            .unwrap_or(0)
    };
    assert_eq!(count("resolution", "breached"), 1);
    assert_eq!(count("first_response", "breached"), 0);
    assert_eq!(count("first_response", "met"), 1);

    // The lead was told of the breach; the assignee of the warnings and breach.
    let mut conn = app.app.store.conn().await.unwrap();
    let lead_notes =
        kefu_store::ticket_activity::notifications(&mut conn, &p.tenant, &lead, false, 50)
            .await
            .unwrap();
    assert_eq!(
        lead_notes
            .iter()
            .map(|n| n.kind.as_str())
            .collect::<Vec<_>>(),
        ["sla_escalated"]
    );
    let agent_notes =
        kefu_store::ticket_activity::notifications(&mut conn, &p.tenant, &agent, false, 50)
            .await
            .unwrap();
    let mut kinds: Vec<&str> = agent_notes.iter().map(|n| n.kind.as_str()).collect();
    kinds.sort();
    assert_eq!(kinds, ["sla_breached", "sla_warning", "sla_warning"]);
    drop(conn);

    // The ticket's SLA as the pages show it.
    let sla = a.admin.get(&format!("/api/v1/tickets/{}/sla", k.id)).await;
    assert_eq!(sla.status, StatusCode::OK, "{:?}", sla.body);
    let states: Vec<&str> = sla.body["timers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["met", "met_late"]);
}

async fn sla_escalation_reassigns(app: &TestApp, a: &Tenant, p: &Principal) {
    // A policy that hands breached tickets to another agent, counted around the clock.
    let (first, _) = app.user(a, "first", BuiltinRole::Agent).await;
    let (second, _) = app.user(a, "second", BuiltinRole::Agent).await;
    let ty = ticket_type(app, p, "投诉").await;
    let pol = a
        .admin
        .post(
            "/api/v1/sla-policies",
            json!({"name": "投诉", "ticket_type_id": ty, "first_response_minutes": 30,
                   "escalation": {"action": "reassign", "user_id": second}}),
        )
        .await;
    assert_eq!(pol.status, StatusCode::CREATED, "{:?}", pol.body);
    let k = ticket(app, p, &ty, json!({"assignee_id": first})).await;
    let sla = a.admin.get(&format!("/api/v1/tickets/{}/sla", k.id)).await;
    let due = sla.body["timers"][0]["due_at"].as_i64().unwrap();
    assert_eq!(due, k.created_at + 30 * 60_000, "24×7: wall-clock minutes");
    let r = app.app.sla_tick(due).await.unwrap();
    assert_eq!((r.breached, r.escalated), (1, 1));
    let after = app.app.ticket(p, &k.id).await.unwrap();
    assert_eq!(after.assignee_id.as_deref(), Some(second.as_str()));
    let history = app.app.ticket_history(p, &k.id).await.unwrap();
    assert!(
        history
            .iter()
            .any(|h| h.field == "assignee" && h.actor_name == "SLA"),
        "the reassignment is in the history: {history:?}"
    );

    // The person to notify was deleted since: the breach is still recorded
    // (and later clocks are not held up), only the escalation is not.
    let (gone, _) = app.user(a, "gone", BuiltinRole::TeamLead).await;
    let ty2 = ticket_type(app, p, "咨询").await;
    let pol = a
        .admin
        .post(
            "/api/v1/sla-policies",
            json!({"name": "咨询", "ticket_type_id": ty2, "first_response_minutes": 30,
                   "escalation": {"action": "notify", "user_id": gone}}),
        )
        .await;
    assert_eq!(pol.status, StatusCode::CREATED, "{:?}", pol.body);
    let k2 = ticket(app, p, &ty2, json!({})).await;
    let k3 = ticket(app, p, &ty2, json!({})).await;
    let r = a.admin.delete(&format!("/api/v1/users/{gone}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let due = k3.created_at + 30 * 60_000;
    let r = app.app.sla_tick(due).await.unwrap();
    assert_eq!((r.breached, r.escalated), (2, 0));
    for k in [&k2, &k3] {
        let kinds: Vec<String> = a
            .admin
            .get(&format!("/api/v1/sla-events?ticket_id={}", k.id))
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(kinds, ["started", "breached"]);
    }
}

async fn sla_admin_answers_403_422_409(app: TestApp) {
    let a = app.tenant("sla-admin").await;
    let p = principal(&app, &a).await;
    let (_, agent) = app.user(&a, "agent1", BuiltinRole::Agent).await;
    // Agents neither read nor change calendars and policies, nor read reports.
    for (m, path, body) in [
        (Method::GET, "/api/v1/business-calendars", None),
        (
            Method::POST,
            "/api/v1/business-calendars",
            Some(json!({"name": "x", "hours": office_hours()})),
        ),
        (Method::GET, "/api/v1/sla-policies", None),
        (
            Method::POST,
            "/api/v1/sla-policies",
            Some(json!({"name": "x", "first_response_minutes": 10})),
        ),
        (Method::GET, "/api/v1/sla-events", None),
        (Method::GET, "/api/v1/sla-report", None),
    ] {
        let r = agent.send(m.clone(), path, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{m} {path}: {:?}", r.body);
        assert_eq!(r.code(), "forbidden");
    }
    let bad_hours = json!({"utc_offset_minutes": 480, "weekly": [{"days": [8], "from": "09:00", "to": "18:00"}]});
    let r = a
        .admin
        .post(
            "/api/v1/business-calendars",
            json!({"name": "x", "hours": bad_hours}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["details"]["field"], "hours", "{:?}", r.body);
    let cal = a
        .admin
        .post(
            "/api/v1/business-calendars",
            json!({"name": "办公时间", "hours": office_hours()}),
        )
        .await
        .id();
    let ty = ticket_type(&app, &p, "售后").await;
    let unknown = "01930000-0000-7000-8000-000000000000";
    for (body, field) in [
        (json!({"name": "x"}), "first_response_minutes"),
        (
            json!({"name": "x", "resolution_minutes": 0}),
            "resolution_minutes",
        ),
        (
            json!({"name": "x", "resolution_minutes": 60, "warn_percent": 100}),
            "warn_percent",
        ),
        (
            json!({"name": "x", "resolution_minutes": 60, "warn_percent": 50, "warn_before_minutes": 5}),
            "warn_before_minutes",
        ),
        (
            json!({"name": "x", "resolution_minutes": 60, "warn_before_minutes": 60}),
            "warn_before_minutes",
        ),
        (
            json!({"name": "x", "resolution_minutes": 60, "calendar_id": unknown}),
            "calendar_id",
        ),
        (
            json!({"name": "x", "resolution_minutes": 60, "ticket_type_id": unknown}),
            "ticket_type_id",
        ),
        (
            json!({"name": "x", "resolution_minutes": 60, "priority": "asap"}),
            "priority",
        ),
        (
            json!({"name": "x", "resolution_minutes": 60, "escalation": {"action": "reassign"}}),
            "escalation.user_id",
        ),
        (
            json!({"name": "x", "resolution_minutes": 60, "escalation": {"action": "notify", "user_id": unknown}}),
            "escalation.user_id",
        ),
    ] {
        let r = a.admin.post("/api/v1/sla-policies", body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert_eq!(r.body["details"]["field"], field, "{body}: {:?}", r.body);
    }
    let ok =
        json!({"name": "售后", "ticket_type_id": ty, "calendar_id": cal, "resolution_minutes": 60});
    let pol = a.admin.post("/api/v1/sla-policies", ok).await;
    assert_eq!(pol.status, StatusCode::CREATED, "{:?}", pol.body);
    let same_scope = json!({"name": "售后二", "ticket_type_id": ty, "resolution_minutes": 90});
    let r = a.admin.post("/api/v1/sla-policies", same_scope).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "already_exists");
    let r = a
        .admin
        .delete(&format!("/api/v1/business-calendars/{cal}"))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "in_use");
    let r = a.admin.get("/api/v1/sla-events?kind=bogus").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The change is audited.
    let audit = a.admin.get("/api/v1/audit-log").await;
    assert!(
        audit.body.to_string().contains("sla_policy.create"),
        "audited"
    );
    sla_escalation_reassigns(&app, &a, &p).await;
}

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

/// The SLA endpoints for the cross-tenant sweep (`tenancy.rs`).
pub(crate) async fn cross_tenant_cases(
    app: &TestApp,
    a: &Tenant,
    _b: &Tenant,
) -> Vec<(Method, String, Option<Value>)> {
    let p = principal(app, a).await;
    let cal = a
        .admin
        .post(
            "/api/v1/business-calendars",
            json!({"name": "A 日历", "hours": office_hours()}),
        )
        .await
        .id();
    let pol = a
        .admin
        .post(
            "/api/v1/sla-policies",
            json!({"name": "A 策略", "resolution_minutes": 60}),
        )
        .await
        .id();
    let ty = ticket_type(app, &p, "SLA 用类型").await;
    let k = ticket(app, &p, &ty, json!({})).await.id;
    let cal_body = json!({"name": "x", "hours": office_hours()});
    let pol_body = json!({"name": "x", "resolution_minutes": 5});
    vec![
        (
            Method::GET,
            format!("/api/v1/business-calendars/{cal}"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/business-calendars/{cal}"),
            Some(cal_body),
        ),
        (
            Method::DELETE,
            format!("/api/v1/business-calendars/{cal}"),
            None,
        ),
        (Method::GET, format!("/api/v1/sla-policies/{pol}"), None),
        (
            Method::PUT,
            format!("/api/v1/sla-policies/{pol}"),
            Some(pol_body),
        ),
        (Method::DELETE, format!("/api/v1/sla-policies/{pol}"), None),
        (Method::GET, format!("/api/v1/tickets/{k}/sla"), None),
        (Method::GET, format!("/api/v1/tickets/{k}/survey"), None),
        (
            Method::GET,
            format!("/api/v1/tickets/{k}/progress-link"),
            None,
        ),
        // A link is its own credential; without the right key it is nobody's.
        (
            Method::GET,
            format!("/api/v1/progress/{k}/not-the-key"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/progress/{k}/not-the-key/replies"),
            Some(json!({"body": "x"})),
        ),
        (
            Method::POST,
            format!("/api/v1/progress/{k}/not-the-key/survey"),
            Some(json!({"rating": 5})),
        ),
    ]
}

async fn the_admin_page_makes_calendars_and_policies(app: TestApp) {
    let a = app.tenant("sla-page").await;
    let (_, agent) = app.user(&a, "agent1", BuiltinRole::Agent).await;
    let form = "application/x-www-form-urlencoded";
    let (r, html) = a
        .admin
        .text(Method::GET, "/admin/sla", "", String::new())
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(html.contains("sla-calendar-form") && html.contains("sla-policy-form"));
    let (r, _) = agent
        .text(Method::GET, "/admin/sla", "", String::new())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A calendar with a holiday and a make-up Saturday (调休).
    let body = "name=%E5%8A%9E%E5%85%AC&utc_offset_minutes=480&days=1&days=2&days=3&days=4&days=5\
                &from=09%3A00&to=18%3A00&holidays=2026-10-01%0A2026-10-02&workdays=2026-10-10";
    let (r, _) = a
        .admin
        .text(Method::POST, "/admin/sla/calendars", form, body.into())
        .await;
    assert_eq!(r.status, StatusCode::OK, "303 followed to the page");
    let cals = a.admin.get("/api/v1/business-calendars").await.body;
    assert_eq!(cals[0]["name"], "办公");
    assert_eq!(
        cals[0]["hours"]["holidays"],
        json!(["2026-10-01", "2026-10-02"])
    );
    assert_eq!(cals[0]["hours"]["workdays"][0]["date"], "2026-10-10");
    assert_eq!(
        cals[0]["hours"]["weekly"][0]["days"],
        json!([1, 2, 3, 4, 5])
    );
    let cal = cals[0]["id"].as_str().unwrap();
    // A bad number comes back next to its field, nothing stored.
    let bad = format!("name=x&calendar_id={cal}&resolution_minutes=abc&action=none&enabled=true");
    let (r, html) = a
        .admin
        .text(Method::POST, "/admin/sla/policies", form, bad)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("field-error"), "{html}");
    let good = format!(
        "name=%E9%BB%98%E8%AE%A4&calendar_id={cal}&first_response_minutes=30&resolution_minutes=480\
         &warn_percent=80&action=none&enabled=true"
    );
    let (r, html) = a
        .admin
        .text(Method::POST, "/admin/sla/policies", form, good)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(html.contains("默认") && html.contains("8 h"), "listed");
    let pols = a.admin.get("/api/v1/sla-policies").await.body;
    assert_eq!(pols.as_array().unwrap().len(), 1);
    assert_eq!(pols[0]["warn_percent"], 80);
    // The calendar is in use: deleting it says so on the page.
    let (r, _) = a
        .admin
        .text(
            Method::POST,
            &format!("/admin/sla/calendars/{cal}/delete"),
            form,
            String::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

/// A rough measurement, not a test of speed (run by hand):
/// `cargo test -p kefu-server --test it -- --ignored sla_tick_rate --nocapture`.
/// 2,000 clocks of 2,000 tickets all breach in one pass of the ticker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn sla_tick_rate() {
    for db in [kefu_testkit::Db::Sqlite, kefu_testkit::Db::Postgres] {
        let Some(app) = kefu_testkit::spawn_app(db).await else {
            continue;
        };
        let a = app.tenant("sla-rate").await;
        let p = principal(&app, &a).await;
        let ty = ticket_type(&app, &p, "量测").await;
        let r = a
            .admin
            .post(
                "/api/v1/sla-policies",
                json!({"name": "量测", "resolution_minutes": 60, "warn_percent": 80}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let mut conn = app.app.store.conn().await.unwrap();
        let fields = serde_json::Map::new();
        for i in 0..2000 {
            let k = kefu_store::tickets::create(
                &mut conn,
                &p.tenant,
                &kefu_store::tickets::NewTicket {
                    type_id: &ty,
                    title: &format!("t{i}"),
                    fields: &fields,
                    customer_id: None,
                    conversation_id: None,
                    offline_message_id: None,
                    source: "api",
                    assignee_id: None,
                    skill_group_id: None,
                    status: "new",
                    status_category: "open",
                    priority: "normal",
                    due_at: None,
                    created_by: None,
                    created_by_name: "rate",
                },
            )
            .await
            .unwrap();
            let facts = kefu_app::sla::clock::TicketFacts {
                created_at: FRI_17_00,
                ..kefu_app::sla::clock::TicketFacts::of(&k)
            };
            kefu_app::sla::clock::start_clocks(&mut conn, &p.tenant, &facts)
                .await
                .unwrap();
        }
        drop(conn);
        let t0 = std::time::Instant::now();
        let r = app.app.sla_tick(TUE_13_00 + 3_600_000).await.unwrap();
        let took = t0.elapsed();
        assert_eq!(r.breached, 2000);
        println!(
            "{db:?}: {} breaches in one pass: {took:?} ({:.0} clocks/s)",
            r.breached,
            2000.0 / took.as_secs_f64()
        );
    }
}

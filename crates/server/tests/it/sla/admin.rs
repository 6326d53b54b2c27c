//! The SLA admin API's 403/422/409 answers and escalation, the cross-tenant
//! cases, and the admin page that makes calendars and policies.

use super::*;

on_both_backends!(
    sla_admin_answers_403_422_409,
    the_admin_page_makes_calendars_and_policies,
);

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

//! Clocks in business hours across a weekend and a holiday, warnings and
//! breach at their instants; and a rough tick-rate measurement.

use super::*;

on_both_backends!(sla_times_a_ticket_across_a_weekend_and_a_holiday,);

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

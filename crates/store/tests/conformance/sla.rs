//! SLA storage: policy matching by specificity and one policy per scope,
//! calendars kept while used, clocks that step once each (warning, breach,
//! met) and are found due across tenants, events counted for reports,
//! surveys stored once, and a stable per-tenant link key.

use super::people::tenant;
use kefu_domain::ticket::Workflow;
use kefu_store::sla::{self, EventFilter, NewTimer, PolicyFields};
use kefu_store::ticket_types::{self, TypeFields};
use kefu_store::tickets::{self, NewTicket};
use kefu_store::{Store, StoreError, TenantScope};
use serde_json::json;

async fn ticket(store: &Store, t: &TenantScope, type_name: &str) -> (String, String) {
    let mut c = store.conn().await.unwrap();
    let ty = match ticket_types::list(&mut c, t)
        .await
        .unwrap()
        .into_iter()
        .find(|ty| ty.name == type_name)
    {
        Some(ty) => ty.id,
        None => {
            ticket_types::create(
                &mut c,
                t,
                &TypeFields {
                    name: type_name,
                    description: "",
                    fields: &[],
                    workflow: &Workflow::standard(true),
                    skill_group_id: None,
                    default_priority: "normal",
                    active: true,
                },
            )
            .await
            .unwrap()
            .id
        }
    };
    let fields = serde_json::Map::new();
    let k = tickets::create(
        &mut c,
        t,
        &NewTicket {
            type_id: &ty,
            title: "打印机坏了",
            fields: &fields,
            customer_id: None,
            conversation_id: None,
            offline_message_id: None,
            source: "manual",
            assignee_id: None,
            skill_group_id: None,
            status: "new",
            status_category: "open",
            priority: "normal",
            due_at: None,
            created_by: None,
            created_by_name: "test",
        },
    )
    .await
    .unwrap();
    (ty, k.id)
}

fn policy<'a>(
    name: &'a str,
    ty: Option<&'a str>,
    prio: Option<&'a str>,
    cal: Option<&'a str>,
    esc: &'a serde_json::Value,
) -> PolicyFields<'a> {
    PolicyFields {
        name,
        ticket_type_id: ty,
        priority: prio,
        calendar_id: cal,
        first_response_minutes: Some(60),
        resolution_minutes: Some(240),
        warn_percent: Some(80),
        warn_before_minutes: None,
        escalation: esc,
        enabled: true,
    }
}

pub(crate) async fn sla_policies_match_the_most_specific(store: Store) {
    let t = tenant(&store, "sla-match").await;
    let (ty, _) = ticket(&store, &t, "售后").await;
    let (other_ty, _) = ticket(&store, &t, "咨询").await;
    let mut c = store.conn().await.unwrap();
    let hours = json!({"utc_offset_minutes": 480, "weekly": [{"days": [1,2,3,4,5], "from": "09:00", "to": "18:00"}]});
    let cal = sla::create_calendar(&mut c, &t, "工作日", &hours)
        .await
        .unwrap();
    let none = json!({"action": "none"});
    let any = sla::create_policy(&mut c, &t, &policy("默认", None, None, None, &none))
        .await
        .unwrap();
    let typed = sla::create_policy(
        &mut c,
        &t,
        &policy("售后", Some(&ty), None, Some(&cal.id), &none),
    )
    .await
    .unwrap();
    let urgent = sla::create_policy(
        &mut c,
        &t,
        &policy("售后紧急", Some(&ty), Some("urgent"), Some(&cal.id), &none),
    )
    .await
    .unwrap();
    let got = |p: Option<kefu_store::sla::SlaPolicy>| p.map(|p| p.id);
    assert_eq!(
        got(sla::find_policy(&mut c, &t, Some(&ty), Some("urgent"))
            .await
            .unwrap()),
        Some(urgent.id.clone())
    );
    assert_eq!(
        got(sla::find_policy(&mut c, &t, Some(&ty), Some("low"))
            .await
            .unwrap()),
        Some(typed.id.clone())
    );
    assert_eq!(
        got(
            sla::find_policy(&mut c, &t, Some(&other_ty), Some("urgent"))
                .await
                .unwrap()
        ),
        Some(any.id.clone())
    );
    // One policy per (type, priority) scope, "any" included.
    let dup = sla::create_policy(&mut c, &t, &policy("又一个默认", None, None, None, &none)).await;
    assert!(matches!(dup, Err(StoreError::Conflict)), "{dup:?}");
    // A disabled policy is passed over.
    let mut off = policy("售后紧急", Some(&ty), Some("urgent"), Some(&cal.id), &none);
    off.enabled = false;
    sla::update_policy(&mut c, &t, &urgent.id, &off)
        .await
        .unwrap();
    assert_eq!(
        got(sla::find_policy(&mut c, &t, Some(&ty), Some("urgent"))
            .await
            .unwrap()),
        Some(typed.id.clone())
    );
    // A calendar a policy counts in is kept.
    let del = sla::delete_calendar(&mut c, &t, &cal.id).await;
    assert!(matches!(del, Err(StoreError::Reference)), "{del:?}");
    // Another tenant sees none of it.
    let b = tenant(&store, "sla-match-b").await;
    assert!(sla::find_policy(&mut c, &b, Some(&ty), None)
        .await
        .unwrap()
        .is_none());
    assert!(sla::get_calendar(&mut c, &b, &cal.id)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        sla::delete_policy(&mut c, &b, &any.id).await,
        Err(StoreError::NotFound)
    ));
}

pub(crate) async fn sla_clocks_step_once_and_are_counted(store: Store) {
    let a = tenant(&store, "sla-clock-a").await;
    let b = tenant(&store, "sla-clock-b").await;
    let (_, ka) = ticket(&store, &a, "售后").await;
    let (_, kb) = ticket(&store, &b, "售后").await;
    let none = json!({"action": "none"});
    let mut c = store.conn().await.unwrap();
    let pa = sla::create_policy(&mut c, &a, &policy("p", None, None, None, &none))
        .await
        .unwrap();
    let pb = sla::create_policy(&mut c, &b, &policy("p", None, None, None, &none))
        .await
        .unwrap();
    let ta = sla::start_timer(
        &mut c,
        &a,
        &NewTimer {
            ticket_id: &ka,
            target: sla::RESOLUTION,
            policy_id: &pa.id,
            started_at: 1_000,
            warn_at: Some(8_000),
            due_at: 10_000,
        },
    )
    .await
    .unwrap();
    let tb = sla::start_timer(
        &mut c,
        &b,
        &NewTimer {
            ticket_id: &kb,
            target: sla::FIRST_RESPONSE,
            policy_id: &pb.id,
            started_at: 1_000,
            warn_at: None,
            due_at: 9_000,
        },
    )
    .await
    .unwrap();
    // One clock per ticket and target.
    let again = sla::start_timer(
        &mut c,
        &a,
        &NewTimer {
            ticket_id: &ka,
            target: sla::RESOLUTION,
            policy_id: &pa.id,
            started_at: 1_000,
            warn_at: None,
            due_at: 10_000,
        },
    )
    .await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");

    let due = |v: Vec<(kefu_domain::TenantId, sla::SlaTimer)>| {
        v.into_iter().map(|(_, t)| t.id).collect::<Vec<_>>()
    };
    assert!(due(sla::due_unscoped(&mut c, 7_999, 10).await.unwrap()).is_empty());
    assert_eq!(
        due(sla::due_unscoped(&mut c, 8_000, 10).await.unwrap()),
        vec![ta.id.clone()]
    );
    // Across tenants, by the next instant.
    assert_eq!(
        due(sla::due_unscoped(&mut c, 9_000, 10).await.unwrap()),
        vec![ta.id.clone(), tb.id.clone()]
    );
    // Warned once; then the clock waits for its breach.
    let w = sla::mark_warned(&mut c, &a, &ta.id, 8_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(w.warned_at, Some(8_000));
    assert!(sla::mark_warned(&mut c, &a, &ta.id, 8_001)
        .await
        .unwrap()
        .is_none());
    assert!(due(sla::due_unscoped(&mut c, 9_999, 10).await.unwrap()) == vec![tb.id.clone()]);
    // Another tenant cannot step A's clock.
    assert!(sla::mark_breached(&mut c, &b, &ta.id, 10_000)
        .await
        .unwrap()
        .is_none());
    let br = sla::mark_breached(&mut c, &a, &ta.id, 10_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(br.breached_at, Some(10_000));
    assert!(sla::mark_breached(&mut c, &a, &ta.id, 10_001)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        due(sla::due_unscoped(&mut c, 99_999, 10).await.unwrap()),
        vec![tb.id.clone()]
    );
    // Met (late) stops it; met again does nothing.
    let met = sla::mark_met(&mut c, &a, &ka, sla::RESOLUTION, 12_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(met.met_at, Some(12_000));
    assert!(sla::mark_met(&mut c, &a, &ka, sla::RESOLUTION, 13_000)
        .await
        .unwrap()
        .is_none());
    assert!(sla::mark_met(&mut c, &a, &ka, sla::FIRST_RESPONSE, 13_000)
        .await
        .unwrap()
        .is_none());
    // B's first response met on time: nothing of B is due any more.
    sla::mark_met(&mut c, &b, &kb, sla::FIRST_RESPONSE, 5_000)
        .await
        .unwrap()
        .unwrap();
    assert!(due(sla::due_unscoped(&mut c, 99_999, 10).await.unwrap()).is_empty());

    for (kind, at) in [
        ("started", 1_000),
        ("warned", 8_000),
        ("breached", 10_000),
        ("met", 12_000),
    ] {
        sla::record_event(&mut c, &a, &met, kind, at, None)
            .await
            .unwrap();
    }
    sla::record_event(&mut c, &b, &tb, "started", 1_000, None)
        .await
        .unwrap();
    let all = sla::list_events(&mut c, &a, &EventFilter::default(), 100)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["started", "warned", "breached", "met"]
    );
    let window = EventFilter {
        from: Some(8_000),
        to: Some(12_000),
        ..EventFilter::default()
    };
    assert_eq!(
        sla::count_events(&mut c, &a, &window).await.unwrap(),
        vec![
            ("resolution".to_string(), "breached".to_string(), 1),
            ("resolution".to_string(), "warned".to_string(), 1)
        ]
    );
    assert_eq!(sla::timers_of(&mut c, &b, &ka).await.unwrap(), vec![]);
    // A policy that timed a ticket is kept.
    assert!(matches!(
        sla::delete_policy(&mut c, &a, &pa.id).await,
        Err(StoreError::Reference)
    ));
}

pub(crate) async fn sla_surveys_once_and_link_key_is_stable(store: Store) {
    let a = tenant(&store, "sla-survey-a").await;
    let b = tenant(&store, "sla-survey-b").await;
    let (_, k) = ticket(&store, &a, "售后").await;
    let mut c = store.conn().await.unwrap();
    let s = sla::insert_survey(&mut c, &a, &k, 5, "很满意")
        .await
        .unwrap();
    assert_eq!(sla::get_survey(&mut c, &a, &k).await.unwrap(), Some(s));
    let again = sla::insert_survey(&mut c, &a, &k, 1, "").await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    assert!(sla::get_survey(&mut c, &b, &k).await.unwrap().is_none());
    assert_eq!(
        sla::ticket_tenant_unscoped(&mut c, &k).await.unwrap(),
        Some(a.tenant_id().clone())
    );
    let key = sla::link_secret(&mut c, &a, "first").await.unwrap();
    assert_eq!(key, "first");
    assert_eq!(
        sla::link_secret(&mut c, &a, "second").await.unwrap(),
        "first"
    );
    assert_eq!(
        sla::link_secret(&mut c, &b, "other").await.unwrap(),
        "other"
    );
}

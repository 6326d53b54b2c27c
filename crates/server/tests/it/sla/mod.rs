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

mod admin;
mod progress;
mod timing;

pub(crate) use admin::cross_tenant_cases;

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

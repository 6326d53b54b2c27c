//! SLA clocks on tickets. A ticket's policy is chosen when it is created; each
//! target (first response, resolution) becomes a timer whose warning and due
//! instants are computed in business time from the policy's calendar. First
//! response is met by the first public reply of an agent, resolution by
//! entering a resolved status. The ticker (`sla_tick`, called with an explicit
//! `now`; `run_sla_ticker` calls it on an interval) gives warnings and breaches
//! once each and escalates on breach. Every step is an `sla_events` row.

use super::Escalation;
use crate::hub::Topic;
use crate::{App, AppResult, Principal};
use kefu_domain::{Permission, TenantId};
use kefu_routing::calendar::Calendar;
use kefu_store::sla::{self, EventFilter, NewTimer, SlaEvent, SlaPolicy, SlaTimer};
use kefu_store::{Conn, TenantScope};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::ticket_hooks as hooks;
pub use super::ticket_hooks::{check_priority, check_ticket_type};

const MS_PER_MIN: i64 = 60_000;

/// When a target's warning and breach fall, for a clock started at `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub warn_at: Option<i64>,
    pub due_at: i64,
}

/// The instants for a target of `minutes` business minutes under `policy`'s
/// warning rule; `None` when the calendar does not open within its horizon.
pub fn plan(cal: &Calendar, policy: &SlaPolicy, start: i64, minutes: i64) -> Option<Plan> {
    let due_at = cal.add_open_ms(start, minutes.saturating_mul(MS_PER_MIN))?;
    let warn_ms = match (policy.warn_percent, policy.warn_before_minutes) {
        (Some(pct), _) => Some(minutes.saturating_mul(MS_PER_MIN) / 100 * pct),
        (None, Some(before)) if before < minutes => Some((minutes - before) * MS_PER_MIN),
        _ => None,
    };
    let warn_at = warn_ms
        .and_then(|ms| cal.add_open_ms(start, ms))
        .filter(|w| *w < due_at);
    Some(Plan { warn_at, due_at })
}

/// The policy's calendar; around the clock when it has none.
pub(crate) async fn calendar_for(
    conn: &mut Conn,
    t: &TenantScope,
    policy: &SlaPolicy,
) -> AppResult<Calendar> {
    let Some(id) = policy.calendar_id.as_deref() else {
        return Ok(Calendar::always_open());
    };
    let c = sla::get_calendar(conn, t, id).await?;
    Ok(c.and_then(|c| crate::hours::calendar_of(&c.hours))
        .unwrap_or_else(Calendar::always_open))
}

/// What the clock needs to know about a new ticket.
#[derive(Debug, Clone)]
pub struct TicketFacts<'a> {
    pub ticket_id: &'a str,
    pub ticket_type_id: Option<&'a str>,
    pub priority: Option<&'a str>,
    pub created_at: i64,
}

impl<'a> TicketFacts<'a> {
    pub fn of(k: &'a kefu_store::tickets::Ticket) -> Self {
        TicketFacts {
            ticket_id: &k.id,
            ticket_type_id: Some(&k.type_id),
            priority: Some(&k.priority),
            created_at: k.created_at,
        }
    }
}

/// Starts the ticket's clocks under the policy that fits it (none: no clocks).
/// Runs inside the caller's transaction.
pub async fn start_clocks(
    conn: &mut Conn,
    t: &TenantScope,
    f: &TicketFacts<'_>,
) -> AppResult<Vec<SlaTimer>> {
    let Some(policy) = sla::find_policy(conn, t, f.ticket_type_id, f.priority).await? else {
        return Ok(Vec::new());
    };
    let cal = calendar_for(conn, t, &policy).await?;
    let mut started = Vec::new();
    for (target, minutes) in [
        (sla::FIRST_RESPONSE, policy.first_response_minutes),
        (sla::RESOLUTION, policy.resolution_minutes),
    ] {
        let Some(minutes) = minutes else { continue };
        let Some(p) = plan(&cal, &policy, f.created_at, minutes) else {
            tracing::warn!(policy = %policy.id, "SLA calendar never opens; no clock started");
            continue;
        };
        let timer = sla::start_timer(
            conn,
            t,
            &NewTimer {
                ticket_id: f.ticket_id,
                target,
                policy_id: &policy.id,
                started_at: f.created_at,
                warn_at: p.warn_at,
                due_at: p.due_at,
            },
        )
        .await?;
        let detail = json!({"minutes": minutes, "warn_at": p.warn_at});
        sla::record_event(conn, t, &timer, "started", f.created_at, Some(detail)).await?;
        started.push(timer);
    }
    Ok(started)
}

async fn meet(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
    target: &str,
    at: i64,
) -> AppResult<()> {
    if let Some(tm) = sla::mark_met(conn, t, ticket_id, target, at).await? {
        let detail = json!({"on_time": at <= tm.due_at});
        sla::record_event(conn, t, &tm, "met", at, Some(detail)).await?;
    }
    Ok(())
}

/// An agent's public reply: the first one meets the first-response target.
pub async fn agent_replied(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_id: &str,
    at: i64,
) -> AppResult<()> {
    meet(conn, t, ticket_id, sla::FIRST_RESPONSE, at).await
}

/// The ticket entered a resolved status: the resolution target is met (and a
/// first response no longer expected).
pub async fn resolved(conn: &mut Conn, t: &TenantScope, ticket_id: &str, at: i64) -> AppResult<()> {
    meet(conn, t, ticket_id, sla::FIRST_RESPONSE, at).await?;
    meet(conn, t, ticket_id, sla::RESOLUTION, at).await
}

/// What one run of the ticker did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TickReport {
    pub warned: usize,
    pub breached: usize,
    pub escalated: usize,
}

/// Someone to tell after the transaction commits.
struct Notice {
    user_id: String,
    frame: serde_json::Value,
}

/// How the SLA state of one target reads now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimerView {
    #[serde(flatten)]
    pub timer: SlaTimer,
    /// `running`, `warning`, `breached`, `met` or `met_late`.
    pub state: String,
    /// Business time left until due (running clocks only).
    pub business_ms_left: Option<i64>,
    /// How long past due (breached clocks still running only).
    pub overdue_ms: Option<i64>,
    /// The calendar's offset, to show instants in its local time.
    pub utc_offset_minutes: i32,
}

/// A ticket's SLA: each target's state and every event, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketSla {
    pub timers: Vec<TimerView>,
    pub events: Vec<SlaEvent>,
}

pub fn state_of(t: &SlaTimer, now: i64) -> &'static str {
    match (t.met_at, t.breached_at) {
        (Some(m), _) if m <= t.due_at => "met",
        (Some(_), _) => "met_late",
        (None, Some(_)) => "breached",
        (None, None) if now >= t.due_at => "breached",
        (None, None) if t.warn_at.is_some_and(|w| now >= w) => "warning",
        _ => "running",
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EventQuery {
    pub ticket_id: Option<String>,
    /// started, warned, breached, escalated, met
    pub kind: Option<String>,
    /// first_response, resolution
    pub target: Option<String>,
    /// Unix ms, inclusive.
    pub from: Option<i64>,
    /// Unix ms, exclusive.
    pub to: Option<i64>,
}

/// Event counts for reports.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaCount {
    pub target: String,
    pub kind: String,
    pub count: i64,
}

fn filter_of(q: EventQuery) -> AppResult<EventFilter> {
    let check = |field: &'static str,
                 v: Option<String>,
                 allowed: &[&str]|
     -> AppResult<Option<String>> {
        match v {
            Some(s) if !allowed.contains(&s.as_str()) => Err(kefu_domain::ValidationError::new(
                field,
                format!("one of {}", allowed.join(", ")),
            )
            .into()),
            other => Ok(other),
        }
    };
    Ok(EventFilter {
        ticket_id: q.ticket_id,
        kind: check(
            "kind",
            q.kind,
            &["started", "warned", "breached", "escalated", "met"],
        )?,
        target: check("target", q.target, &[sla::FIRST_RESPONSE, sla::RESOLUTION])?,
        from: q.from,
        to: q.to,
    })
}

fn can_see_reports(p: &Principal) -> AppResult<()> {
    if p.can(Permission::Supervise) {
        return Ok(());
    }
    p.require(Permission::SlaManage)
}

impl App {
    /// One pass of the ticker at `now`: warnings and breaches that fell due,
    /// each exactly once (a guard in the `UPDATE` keeps two nodes from both
    /// acting), escalation on breach. Deterministic in `now`.
    pub async fn sla_tick(&self, now: i64) -> AppResult<TickReport> {
        let mut report = TickReport::default();
        loop {
            let due = {
                let mut conn = self.store.conn().await?;
                sla::due_unscoped(&mut conn, now, 200).await?
            };
            let n = due.len();
            for (tenant, timer) in due {
                // Counted only once committed.
                let mut step = TickReport::default();
                let first = self
                    .tick_one(tenant.clone(), timer.clone(), now, &mut step, false)
                    .await;
                if let Err(e) = first {
                    // A ticket whose escalation cannot be carried out must not stop
                    // every clock behind it: record the step without side effects.
                    tracing::warn!(error = %e, ticket = %timer.ticket_id,
                        "SLA step failed; recording it without notifications or escalation");
                    step = TickReport::default();
                    self.tick_one(tenant, timer, now, &mut step, true).await?;
                }
                report.warned += step.warned;
                report.breached += step.breached;
                report.escalated += step.escalated;
            }
            if n < 200 {
                return Ok(report);
            }
        }
    }

    async fn tick_one(
        &self,
        tenant: TenantId,
        timer: SlaTimer,
        now: i64,
        report: &mut TickReport,
        plain: bool,
    ) -> AppResult<()> {
        let t = TenantScope::new(tenant);
        let mut tx = self.store.begin().await?;
        let mut notices = Vec::new();
        let mut rerouted = false;
        let frame = |kind: &str, tm: &SlaTimer| json!({"type": "sla", "kind": kind, "ticket_id": tm.ticket_id, "target": tm.target, "due_at": tm.due_at});
        if now >= timer.due_at {
            if let Some(tm) = sla::mark_breached(&mut tx, &t, &timer.id, timer.due_at).await? {
                sla::record_event(&mut tx, &t, &tm, "breached", tm.due_at, None).await?;
                report.breached += 1;
                let told = if plain {
                    Vec::new()
                } else {
                    hooks::assignee(&mut tx, &t, &tm.ticket_id).await?
                };
                for user_id in told {
                    hooks::notify(
                        &mut tx,
                        &t,
                        &tm.ticket_id,
                        &user_id,
                        "sla_breached",
                        &tm.target,
                    )
                    .await?;
                    notices.push(Notice {
                        user_id,
                        frame: frame("breached", &tm),
                    });
                }
                let done = if plain {
                    None
                } else {
                    self.escalate(&mut tx, &t, &tm, &mut notices).await?
                };
                if let Some(done) = done {
                    rerouted = done["action"] == "reassign";
                    sla::record_event(&mut tx, &t, &tm, "escalated", now, Some(done)).await?;
                    report.escalated += 1;
                }
            }
        } else if timer.warn_at.is_some_and(|w| now >= w) {
            let at = timer.warn_at.unwrap_or(now);
            if let Some(tm) = sla::mark_warned(&mut tx, &t, &timer.id, at).await? {
                sla::record_event(&mut tx, &t, &tm, "warned", at, None).await?;
                report.warned += 1;
                let told = if plain {
                    Vec::new()
                } else {
                    hooks::assignee(&mut tx, &t, &tm.ticket_id).await?
                };
                for user_id in told {
                    hooks::notify(
                        &mut tx,
                        &t,
                        &tm.ticket_id,
                        &user_id,
                        "sla_warning",
                        &tm.target,
                    )
                    .await?;
                    notices.push(Notice {
                        user_id,
                        frame: frame("warned", &tm),
                    });
                }
            }
        }
        tx.commit().await?;
        for n in notices {
            self.hub.publish(&Topic::Agent(n.user_id), &n.frame);
        }
        if rerouted {
            // The engine learns the new holder (or queues it in the group).
            let mut conn = self.store.conn().await?;
            if let Some(k) = kefu_store::tickets::get(&mut conn, &t, &timer.ticket_id).await? {
                drop(conn);
                self.reroute(&t, &k).await?;
            }
        }
        Ok(())
    }

    /// Carries out the policy's escalation; the event's detail, or `None` when
    /// the policy has none.
    async fn escalate(
        &self,
        conn: &mut Conn,
        t: &TenantScope,
        tm: &SlaTimer,
        notices: &mut Vec<Notice>,
    ) -> AppResult<Option<serde_json::Value>> {
        let Some(policy) = sla::get_policy(conn, t, &tm.policy_id).await? else {
            return Ok(None);
        };
        let esc: Escalation = serde_json::from_value(policy.escalation.clone()).unwrap_or_default();
        let frame = json!({"type": "sla", "kind": "escalated", "ticket_id": tm.ticket_id,
            "target": tm.target, "due_at": tm.due_at});
        match esc {
            Escalation::None => Ok(None),
            Escalation::Notify { user_id } => {
                hooks::notify(
                    conn,
                    t,
                    &tm.ticket_id,
                    &user_id,
                    "sla_escalated",
                    &tm.target,
                )
                .await?;
                notices.push(Notice {
                    user_id: user_id.clone(),
                    frame,
                });
                Ok(Some(json!({"action": "notify", "user_id": user_id})))
            }
            Escalation::Reassign { user_id, group_id } => {
                let from = hooks::assignee(conn, t, &tm.ticket_id).await?;
                hooks::reassign(
                    conn,
                    t,
                    &tm.ticket_id,
                    user_id.as_deref(),
                    group_id.as_deref(),
                )
                .await?;
                if let Some(u) = &user_id {
                    notices.push(Notice {
                        user_id: u.clone(),
                        frame,
                    });
                }
                Ok(Some(json!({"action": "reassign", "user_id": user_id,
                    "group_id": group_id, "from": from.first()})))
            }
        }
    }

    /// The background ticker: `sla_tick(now)` every `every`, forever.
    pub async fn run_sla_ticker(self, every: std::time::Duration) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = self.sla_tick(kefu_store::now_ms()).await {
                tracing::warn!(error = %e, "SLA ticker pass failed");
            }
        }
    }

    /// A ticket's SLA state for the ticket pages.
    pub async fn ticket_sla(&self, p: &Principal, ticket_id: &str) -> AppResult<TicketSla> {
        let mut conn = self.store.conn().await?;
        let id = self.visible_ticket(&mut conn, p, ticket_id).await?.id;
        self.sla_of(&mut conn, &p.tenant, &id, kefu_store::now_ms())
            .await
    }

    pub(crate) async fn sla_of(
        &self,
        conn: &mut Conn,
        t: &TenantScope,
        ticket_id: &str,
        now: i64,
    ) -> AppResult<TicketSla> {
        let timers = sla::timers_of(conn, t, ticket_id).await?;
        let mut views = Vec::new();
        for timer in timers {
            let cal = match sla::get_policy(conn, t, &timer.policy_id).await? {
                Some(p) => calendar_for(conn, t, &p).await?,
                None => Calendar::always_open(),
            };
            let state = state_of(&timer, now);
            let running = timer.met_at.is_none();
            views.push(TimerView {
                business_ms_left: (running && now < timer.due_at)
                    .then(|| cal.open_ms_between(now, timer.due_at)),
                overdue_ms: (running && now >= timer.due_at).then(|| now - timer.due_at),
                utc_offset_minutes: cal.utc_offset_minutes,
                state: state.to_string(),
                timer,
            });
        }
        let filter = EventFilter {
            ticket_id: Some(ticket_id.to_string()),
            ..EventFilter::default()
        };
        let events = sla::list_events(conn, t, &filter, 1000).await?;
        Ok(TicketSla {
            timers: views,
            events,
        })
    }

    /// SLA events for reports (`conversations.supervise` or `sla.manage`).
    pub async fn sla_events(&self, p: &Principal, q: EventQuery) -> AppResult<Vec<SlaEvent>> {
        can_see_reports(p)?;
        let f = filter_of(q)?;
        let mut conn = self.store.conn().await?;
        Ok(sla::list_events(&mut conn, &p.tenant, &f, 10_000).await?)
    }

    /// Counts of SLA events by target and kind over the filter.
    pub async fn sla_counts(&self, p: &Principal, q: EventQuery) -> AppResult<Vec<SlaCount>> {
        can_see_reports(p)?;
        let f = filter_of(q)?;
        let mut conn = self.store.conn().await?;
        let rows = sla::count_events(&mut conn, &p.tenant, &f).await?;
        Ok(rows
            .into_iter()
            .map(|(target, kind, count)| SlaCount {
                target,
                kind,
                count,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_routing::calendar::{days_from_civil, Date, Weekday::*, Window};

    /// UTC ms of a 2026 +08:00 wall-clock time, by hand.
    fn at(m: u32, d: u32, hh: i64, mm: i64) -> i64 {
        (days_from_civil(2026, m, d) * 1440 + hh * 60 + mm - 480) * 60_000
    }

    fn policy(pct: Option<i64>, before: Option<i64>) -> SlaPolicy {
        SlaPolicy {
            id: String::new(),
            name: String::new(),
            ticket_type_id: None,
            priority: None,
            calendar_id: None,
            first_response_minutes: None,
            resolution_minutes: Some(240),
            warn_percent: pct,
            warn_before_minutes: before,
            escalation: json!({"action": "none"}),
            enabled: true,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn plan_counts_business_minutes_over_a_weekend_and_a_holiday() {
        // Mon–Fri 09:00–18:00 (+08:00); Monday 2026-11-23 is a holiday.
        let cal = Calendar::new(480)
            .with_weekdays(&[Mon, Tue, Wed, Thu, Fri], Window::new(540, 1080).unwrap())
            .with_holiday(Date::new(2026, 11, 23).unwrap());
        let fri_17 = at(11, 20, 17, 0);
        // 4 h: Friday 17–18 (1 h), then Tuesday 09:00 + 3 h.
        let p = plan(&cal, &policy(Some(80), None), fri_17, 240).unwrap();
        assert_eq!(p.due_at, at(11, 24, 12, 0));
        // 80 % = 192 min: 60 on Friday, 132 on Tuesday → 11:12.
        assert_eq!(p.warn_at, Some(at(11, 24, 11, 12)));
        let p = plan(&cal, &policy(None, Some(30)), fri_17, 240).unwrap();
        assert_eq!(p.warn_at, Some(at(11, 24, 11, 30)));
        let p = plan(&cal, &policy(None, None), fri_17, 240).unwrap();
        assert_eq!(p.warn_at, None);
        assert_eq!(
            plan(&Calendar::new(480), &policy(None, None), fri_17, 1),
            None
        );
    }

    #[test]
    fn states_read_as_a_person_would() {
        let t = SlaTimer {
            id: String::new(),
            ticket_id: String::new(),
            target: "resolution".into(),
            policy_id: String::new(),
            started_at: 0,
            warn_at: Some(80),
            due_at: 100,
            warned_at: None,
            breached_at: None,
            met_at: None,
        };
        assert_eq!(state_of(&t, 10), "running");
        assert_eq!(state_of(&t, 80), "warning");
        assert_eq!(state_of(&t, 100), "breached");
        let met = SlaTimer {
            met_at: Some(100),
            ..t.clone()
        };
        assert_eq!(state_of(&met, 500), "met");
        let late = SlaTimer {
            met_at: Some(101),
            breached_at: Some(100),
            ..t
        };
        assert_eq!(state_of(&late, 500), "met_late");
    }
}

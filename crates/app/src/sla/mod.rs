//! SLA (服务水平) for tickets. Administrators (`sla.manage`) keep named business
//! calendars and policies per ticket type and priority; `clock` runs the timers
//! on tickets and the background ticker; `progress` is the customer's signed
//! progress page with the satisfaction survey.
//!
//! A calendar is stored in the same JSON shape as a channel's business hours
//! ([`crate::hours::BusinessHours`]) and evaluated by the one calendar
//! implementation, `kefu_routing::calendar`.

pub mod clock;
pub mod progress;
pub mod ticket_hooks;

use crate::hours::BusinessHours;
use crate::{audit, json, missing_ref, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::{Name, Permission, ValidationError};
use kefu_store::sla::{self, BusinessCalendar, PolicyFields, SlaPolicy};
use kefu_store::{skill_groups, users, Conn, TenantScope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest target: a year of business minutes.
const MAX_MINUTES: i64 = 525_600;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarInput {
    pub name: String,
    /// Weekly hours, holidays (法定节假日) and make-up working days (调休).
    pub hours: BusinessHours,
}

/// What happens when a target is breached.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Escalation {
    /// Only the event is recorded.
    #[default]
    None,
    /// Hand the ticket to this agent, or to this skill group (its queue).
    Reassign {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_id: Option<String>,
    },
    /// Tell this person (usually the team lead).
    Notify { user_id: String },
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    pub name: String,
    /// Absent: every ticket type without a policy of its own.
    pub ticket_type_id: Option<String>,
    /// Absent: every priority without a policy of its own.
    pub priority: Option<String>,
    /// Absent: targets are counted around the clock.
    pub calendar_id: Option<String>,
    /// Business minutes until the first public reply by an agent.
    pub first_response_minutes: Option<i64>,
    /// Business minutes until the ticket enters a resolved status.
    pub resolution_minutes: Option<i64>,
    /// Warn when this share (1–99 %) of a target is used…
    pub warn_percent: Option<i64>,
    /// …or this many business minutes before it is due (not both).
    pub warn_before_minutes: Option<i64>,
    #[serde(default)]
    pub escalation: Escalation,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn minutes(field: &'static str, v: Option<i64>) -> AppResult<Option<i64>> {
    match v {
        Some(m) if !(1..=MAX_MINUTES).contains(&m) => Err(ValidationError::new(
            field,
            format!("must be between 1 and {MAX_MINUTES} minutes"),
        )
        .into()),
        other => Ok(other),
    }
}

fn optional_text(field: &'static str, v: &Option<String>) -> AppResult<Option<String>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > 100 => {
            Err(ValidationError::new(field, "at most 100 characters").into())
        }
        Some(s) => Ok(Some(s.to_string())),
    }
}

/// A policy's input, checked; references are checked in the caller's tenant.
struct CheckedPolicy {
    name: Name,
    ticket_type_id: Option<String>,
    priority: Option<String>,
    calendar_id: Option<String>,
    first_response_minutes: Option<i64>,
    resolution_minutes: Option<i64>,
    warn_percent: Option<i64>,
    warn_before_minutes: Option<i64>,
    escalation: serde_json::Value,
    enabled: bool,
}

impl CheckedPolicy {
    fn fields(&self) -> PolicyFields<'_> {
        PolicyFields {
            name: self.name.as_str(),
            ticket_type_id: self.ticket_type_id.as_deref(),
            priority: self.priority.as_deref(),
            calendar_id: self.calendar_id.as_deref(),
            first_response_minutes: self.first_response_minutes,
            resolution_minutes: self.resolution_minutes,
            warn_percent: self.warn_percent,
            warn_before_minutes: self.warn_before_minutes,
            escalation: &self.escalation,
            enabled: self.enabled,
        }
    }
}

async fn check_policy(
    conn: &mut Conn,
    t: &TenantScope,
    i: PolicyInput,
) -> AppResult<CheckedPolicy> {
    let name = Name::parse("name", &i.name)?;
    let first = minutes("first_response_minutes", i.first_response_minutes)?;
    let resolution = minutes("resolution_minutes", i.resolution_minutes)?;
    if first.is_none() && resolution.is_none() {
        return Err(ValidationError::new(
            "first_response_minutes",
            "set a first-response target, a resolution target or both",
        )
        .into());
    }
    if i.warn_percent.is_some() && i.warn_before_minutes.is_some() {
        return Err(ValidationError::new(
            "warn_before_minutes",
            "warn either at a percentage or some minutes before, not both",
        )
        .into());
    }
    if let Some(p) = i.warn_percent {
        if !(1..=99).contains(&p) {
            return Err(ValidationError::new("warn_percent", "must be between 1 and 99").into());
        }
    }
    if let Some(b) = i.warn_before_minutes {
        let shortest = first.into_iter().chain(resolution).min().unwrap_or(0);
        if b < 1 || b >= shortest {
            return Err(ValidationError::new(
                "warn_before_minutes",
                "must be at least 1 and less than the shortest target",
            )
            .into());
        }
    }
    let calendar_id = match optional_text("calendar_id", &i.calendar_id)? {
        None => None,
        Some(id) => {
            let id =
                parse_id("calendar", &id).map_err(|_| missing_ref("calendar_id", "calendar"))?;
            sla::get_calendar(conn, t, &id)
                .await?
                .ok_or_else(|| missing_ref("calendar_id", "calendar"))?;
            Some(id)
        }
    };
    let ticket_type_id = match optional_text("ticket_type_id", &i.ticket_type_id)? {
        None => None,
        Some(id) => Some(clock::check_ticket_type(conn, t, &id).await?),
    };
    let priority = match optional_text("priority", &i.priority)? {
        None => None,
        Some(p) => Some(clock::check_priority(&p)?),
    };
    let escalation = check_escalation(conn, t, i.escalation).await?;
    Ok(CheckedPolicy {
        name,
        ticket_type_id,
        priority,
        calendar_id,
        first_response_minutes: first,
        resolution_minutes: resolution,
        warn_percent: i.warn_percent,
        warn_before_minutes: i.warn_before_minutes,
        escalation: serde_json::to_value(escalation)
            .map_err(|e| AppError::Internal(e.to_string()))?,
        enabled: i.enabled,
    })
}

async fn check_user(conn: &mut Conn, t: &TenantScope, id: &str) -> AppResult<String> {
    let bad = || missing_ref("escalation.user_id", "user");
    let id = parse_id("user", id).map_err(|_| bad())?;
    let u = users::get(conn, t, &id).await?.ok_or_else(bad)?;
    if !u.active {
        return Err(ValidationError::new("escalation.user_id", "this user is deactivated").into());
    }
    Ok(id)
}

async fn check_escalation(
    conn: &mut Conn,
    t: &TenantScope,
    e: Escalation,
) -> AppResult<Escalation> {
    Ok(match e {
        Escalation::None => Escalation::None,
        Escalation::Notify { user_id } => Escalation::Notify {
            user_id: check_user(conn, t, &user_id).await?,
        },
        Escalation::Reassign { user_id, group_id } => {
            if user_id.is_none() && group_id.is_none() {
                return Err(ValidationError::new(
                    "escalation.user_id",
                    "name the agent or the skill group to hand the ticket to",
                )
                .into());
            }
            let user_id = match user_id {
                Some(u) => Some(check_user(conn, t, &u).await?),
                None => None,
            };
            let group_id = match group_id {
                Some(g) => {
                    let bad = || missing_ref("escalation.group_id", "skill group");
                    let g = parse_id("skill group", &g).map_err(|_| bad())?;
                    skill_groups::get(conn, t, &g).await?.ok_or_else(bad)?;
                    Some(g)
                }
                None => None,
            };
            Escalation::Reassign { user_id, group_id }
        }
    })
}

fn check_calendar(i: &CalendarInput) -> AppResult<(Name, serde_json::Value)> {
    let name = Name::parse("name", &i.name)?;
    i.hours
        .calendar()
        .map_err(|e| ValidationError::new("hours", e.message))?;
    let hours = serde_json::to_value(&i.hours).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((name, hours))
}

fn calendar_err(e: kefu_store::StoreError) -> AppError {
    match e {
        kefu_store::StoreError::Reference => AppError::conflict(
            "in_use",
            "an SLA policy counts in this calendar; change the policy first",
        ),
        other => AppError::from_store("calendar", other),
    }
}

fn policy_err(e: kefu_store::StoreError) -> AppError {
    match e {
        kefu_store::StoreError::Conflict => AppError::conflict(
            "already_exists",
            "a policy with this name, or for this ticket type and priority, already exists",
        ),
        kefu_store::StoreError::Reference => AppError::conflict(
            "in_use",
            "tickets were timed by this policy; disable it instead of deleting it",
        ),
        other => AppError::from_store("SLA policy", other),
    }
}

/// The demo tenant's calendar (Mon–Fri 09:00–18:00 China time, an example
/// National Day week of holidays with a make-up Saturday) and a policy for its
/// ticket type: first response in 2 business hours, resolution in 2 business
/// days, a warning at 80 %, the team lead told on breach.
pub(crate) async fn seed_demo(
    conn: &mut Conn,
    t: &TenantScope,
    ticket_type_id: &str,
) -> AppResult<()> {
    let hours = serde_json::json!({
        "utc_offset_minutes": 480,
        "weekly": [{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "18:00"}],
        "holidays": ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"],
        "workdays": [{"date": "2026-10-10", "from": "09:00", "to": "18:00"}],
    });
    let cal = sla::create_calendar(conn, t, "工作日 9:00–18:00", &hours).await?;
    let escalation = match users::find_by_username(conn, t, "lead").await? {
        Some(lead) => serde_json::json!({"action": "notify", "user_id": lead.id}),
        None => serde_json::json!({"action": "none"}),
    };
    sla::create_policy(
        conn,
        t,
        &PolicyFields {
            name: "售后工单",
            ticket_type_id: Some(ticket_type_id),
            priority: None,
            calendar_id: Some(&cal.id),
            first_response_minutes: Some(120),
            resolution_minutes: Some(2 * 9 * 60),
            warn_percent: Some(80),
            warn_before_minutes: None,
            escalation: &escalation,
            enabled: true,
        },
    )
    .await?;
    Ok(())
}

impl App {
    pub async fn business_calendars(&self, p: &Principal) -> AppResult<Vec<BusinessCalendar>> {
        p.require(Permission::SlaManage)?;
        let mut conn = self.store.conn().await?;
        Ok(sla::list_calendars(&mut conn, &p.tenant).await?)
    }

    pub async fn business_calendar(&self, p: &Principal, id: &str) -> AppResult<BusinessCalendar> {
        p.require(Permission::SlaManage)?;
        let id = parse_id("calendar", id)?;
        let mut conn = self.store.conn().await?;
        sla::get_calendar(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("calendar"))
    }

    pub async fn create_business_calendar(
        &self,
        p: &Principal,
        input: CalendarInput,
    ) -> AppResult<BusinessCalendar> {
        p.require(Permission::SlaManage)?;
        let (name, hours) = check_calendar(&input)?;
        let mut tx = self.store.begin().await?;
        let c = sla::create_calendar(&mut tx, &p.tenant, name.as_str(), &hours)
            .await
            .map_err(calendar_err)?;
        audit(
            &mut tx,
            p,
            "calendar.create",
            "calendar",
            Some(&c.id),
            None,
            json(&c),
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn update_business_calendar(
        &self,
        p: &Principal,
        id: &str,
        input: CalendarInput,
    ) -> AppResult<BusinessCalendar> {
        p.require(Permission::SlaManage)?;
        let id = parse_id("calendar", id)?;
        let mut tx = self.store.begin().await?;
        let before = sla::get_calendar(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("calendar"))?;
        let (name, hours) = check_calendar(&input)?;
        let c = sla::update_calendar(&mut tx, &p.tenant, &id, name.as_str(), &hours)
            .await
            .map_err(calendar_err)?;
        audit(
            &mut tx,
            p,
            "calendar.update",
            "calendar",
            Some(&id),
            json(&before),
            json(&c),
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn delete_business_calendar(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::SlaManage)?;
        let id = parse_id("calendar", id)?;
        let mut tx = self.store.begin().await?;
        let before = sla::get_calendar(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("calendar"))?;
        sla::delete_calendar(&mut tx, &p.tenant, &id)
            .await
            .map_err(calendar_err)?;
        audit(
            &mut tx,
            p,
            "calendar.delete",
            "calendar",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn sla_policies(&self, p: &Principal) -> AppResult<Vec<SlaPolicy>> {
        p.require(Permission::SlaManage)?;
        let mut conn = self.store.conn().await?;
        Ok(sla::list_policies(&mut conn, &p.tenant).await?)
    }

    pub async fn sla_policy(&self, p: &Principal, id: &str) -> AppResult<SlaPolicy> {
        p.require(Permission::SlaManage)?;
        let id = parse_id("SLA policy", id)?;
        let mut conn = self.store.conn().await?;
        sla::get_policy(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("SLA policy"))
    }

    pub async fn create_sla_policy(
        &self,
        p: &Principal,
        input: PolicyInput,
    ) -> AppResult<SlaPolicy> {
        p.require(Permission::SlaManage)?;
        let mut tx = self.store.begin().await?;
        let checked = check_policy(&mut tx, &p.tenant, input).await?;
        let pol = sla::create_policy(&mut tx, &p.tenant, &checked.fields())
            .await
            .map_err(policy_err)?;
        audit(
            &mut tx,
            p,
            "sla_policy.create",
            "sla_policy",
            Some(&pol.id),
            None,
            json(&pol),
        )
        .await?;
        tx.commit().await?;
        Ok(pol)
    }

    pub async fn update_sla_policy(
        &self,
        p: &Principal,
        id: &str,
        input: PolicyInput,
    ) -> AppResult<SlaPolicy> {
        p.require(Permission::SlaManage)?;
        let id = parse_id("SLA policy", id)?;
        let mut tx = self.store.begin().await?;
        let before = sla::get_policy(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("SLA policy"))?;
        let checked = check_policy(&mut tx, &p.tenant, input).await?;
        let pol = sla::update_policy(&mut tx, &p.tenant, &id, &checked.fields())
            .await
            .map_err(policy_err)?;
        audit(
            &mut tx,
            p,
            "sla_policy.update",
            "sla_policy",
            Some(&id),
            json(&before),
            json(&pol),
        )
        .await?;
        tx.commit().await?;
        Ok(pol)
    }

    pub async fn delete_sla_policy(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::SlaManage)?;
        let id = parse_id("SLA policy", id)?;
        let mut tx = self.store.begin().await?;
        let before = sla::get_policy(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("SLA policy"))?;
        sla::delete_policy(&mut tx, &p.tenant, &id)
            .await
            .map_err(policy_err)?;
        audit(
            &mut tx,
            p,
            "sla_policy.delete",
            "sla_policy",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

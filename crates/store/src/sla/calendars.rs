//! Named business calendars (工作日历) that SLA policies count time in.

use super::{json_col, new_id};
use crate::{now_ms, one_row, Conn, Result, StoreError, TenantScope};
use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use utoipa::ToSchema;

/// A named business calendar (工作日历): weekly hours, holidays, make-up days.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BusinessCalendar {
    pub id: String,
    pub name: String,
    /// The hours in the shape channels use (`utc_offset_minutes`, `weekly`,
    /// `holidays`, `workdays`).
    #[schema(value_type = Object)]
    pub hours: serde_json::Value,
    pub created_at: i64,
    pub updated_at: i64,
}

const CAL_COLS: &str = "id, name, hours, created_at, updated_at";

fn calendar_row(r: &AnyRow) -> Result<BusinessCalendar> {
    Ok(BusinessCalendar {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        hours: json_col(r, "hours")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn create_calendar(
    conn: &mut Conn,
    t: &TenantScope,
    name: &str,
    hours: &serde_json::Value,
) -> Result<BusinessCalendar> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO business_calendars (id, tenant_id, name, hours, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&id)
    .bind(t.id())
    .bind(name)
    .bind(hours.to_string())
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    get_calendar(conn, t, &id)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get_calendar(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
) -> Result<Option<BusinessCalendar>> {
    let row = sqlx::query(&format!(
        "SELECT {CAL_COLS} FROM business_calendars WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(calendar_row).transpose()
}

pub async fn list_calendars(conn: &mut Conn, t: &TenantScope) -> Result<Vec<BusinessCalendar>> {
    let rows = sqlx::query(&format!(
        "SELECT {CAL_COLS} FROM business_calendars WHERE tenant_id = $1 ORDER BY name, id"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(calendar_row).collect()
}

pub async fn update_calendar(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    name: &str,
    hours: &serde_json::Value,
) -> Result<BusinessCalendar> {
    let done = sqlx::query(
        "UPDATE business_calendars SET name = $3, hours = $4, updated_at = $5 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(name)
    .bind(hours.to_string())
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    one_row(done.rows_affected())?;
    get_calendar(conn, t, id).await?.ok_or(StoreError::NotFound)
}

/// Refused with [`StoreError::Reference`] while a policy counts in it.
pub async fn delete_calendar(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let used: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sla_policies WHERE tenant_id = $1 AND calendar_id = $2",
    )
    .bind(t.id())
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if used > 0 {
        return Err(StoreError::Reference);
    }
    let done = sqlx::query("DELETE FROM business_calendars WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    one_row(done.rows_affected())
}

//! Ticket types (工单模板): the form, the workflow, the skill group new tickets
//! of the type go to, and the default priority.

use crate::conversations::to_json;
use crate::{flag, now_ms, Conn, Result, StoreError, TenantScope};
use kefu_domain::ticket::{TicketFieldDef, Workflow};
use kefu_domain::TicketTypeId;
use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketType {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The form: `{key, label, kind, required?, options?, cascade?}`; kind is
    /// one of text, rich_text, number, date, select, multi_select, cascade, attachment.
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<TicketFieldDef>,
    /// `{statuses: [{key, label, initial, category}], transitions: [{from, to, label, roles?, skill_groups?}]}`;
    /// category is open, resolved or closed.
    #[schema(value_type = Object)]
    pub workflow: Workflow,
    /// New tickets of this type go to this skill group.
    pub skill_group_id: Option<String>,
    /// low, normal, high or urgent.
    pub default_priority: String,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, name, description, fields, workflow, skill_group_id, default_priority, active, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<TicketType> {
    let fields: String = r.try_get("fields")?;
    let workflow: String = r.try_get("workflow")?;
    Ok(TicketType {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        fields: serde_json::from_str(&fields)
            .map_err(|e| StoreError::Corrupt(format!("ticket type fields: {e}")))?,
        workflow: serde_json::from_str(&workflow)
            .map_err(|e| StoreError::Corrupt(format!("ticket type workflow: {e}")))?,
        skill_group_id: r.try_get("skill_group_id")?,
        default_priority: r.try_get("default_priority")?,
        active: r.try_get::<i64, _>("active")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// What an administrator defines (already validated by the domain and app).
pub struct TypeFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub fields: &'a [TicketFieldDef],
    pub workflow: &'a Workflow,
    pub skill_group_id: Option<&'a str>,
    pub default_priority: &'a str,
    pub active: bool,
}

pub async fn create(conn: &mut Conn, t: &TenantScope, f: &TypeFields<'_>) -> Result<TicketType> {
    let id = TicketTypeId::new();
    sqlx::query(
        "INSERT INTO ticket_types (id, tenant_id, name, description, fields, workflow, skill_group_id, \
         default_priority, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(f.name)
    .bind(f.description)
    .bind(to_json(&f.fields))
    .bind(to_json(f.workflow))
    .bind(f.skill_group_id)
    .bind(f.default_priority)
    .bind(flag(f.active))
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    get(conn, t, id.as_str()).await?.ok_or(StoreError::NotFound)
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<TicketType>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM ticket_types WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(conn: &mut Conn, t: &TenantScope) -> Result<Vec<TicketType>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM ticket_types WHERE tenant_id = $1 ORDER BY name"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn update(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    f: &TypeFields<'_>,
) -> Result<TicketType> {
    let done = sqlx::query(
        "UPDATE ticket_types SET name = $3, description = $4, fields = $5, workflow = $6, skill_group_id = $7, \
         default_priority = $8, active = $9, updated_at = $10 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(f.name)
    .bind(f.description)
    .bind(to_json(&f.fields))
    .bind(to_json(f.workflow))
    .bind(f.skill_group_id)
    .bind(f.default_priority)
    .bind(flag(f.active))
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())?;
    get(conn, t, id).await?.ok_or(StoreError::NotFound)
}

/// How many tickets (in every status) are of this type.
pub async fn ticket_count(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE tenant_id = $1 AND type_id = $2")
            .bind(t.id())
            .bind(id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Refused (`Reference`) while tickets of the type exist: deactivate it instead.
pub async fn delete(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    if ticket_count(conn, t, id).await? > 0 {
        return match get(conn, t, id).await? {
            Some(_) => Err(StoreError::Reference),
            None => Err(StoreError::NotFound),
        };
    }
    let done = sqlx::query("DELETE FROM ticket_types WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::one_row(done.rows_affected())
}

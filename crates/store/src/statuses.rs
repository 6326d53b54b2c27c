//! Tenant-defined reception statuses (接待状态).

use crate::{flag, now_ms, Conn, ReceptionStatus, Result, TenantScope};
use kefu_domain::ReceptionStatusId;
use sqlx::{any::AnyRow, Row};

const COLS: &str = "id, name, can_receive, sort_order, created_at";

fn from_row(r: &AnyRow) -> Result<ReceptionStatus> {
    Ok(ReceptionStatus {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        can_receive: r.try_get::<i64, _>("can_receive")? != 0,
        sort_order: r.try_get("sort_order")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn create(
    conn: &mut Conn,
    t: &TenantScope,
    name: &str,
    can_receive: bool,
    sort_order: i64,
) -> Result<ReceptionStatus> {
    let id = ReceptionStatusId::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO reception_statuses (id, tenant_id, name, can_receive, sort_order, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(name)
    .bind(flag(can_receive))
    .bind(sort_order)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(ReceptionStatus {
        id: id.to_string(),
        name: name.to_string(),
        can_receive,
        sort_order,
        created_at: now,
    })
}

pub async fn list(conn: &mut Conn, t: &TenantScope) -> Result<Vec<ReceptionStatus>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM reception_statuses WHERE tenant_id = $1 ORDER BY sort_order, created_at"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<ReceptionStatus>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM reception_statuses WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t.id())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn update(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    name: &str,
    can_receive: bool,
    sort_order: i64,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE reception_statuses SET name = $3, can_receive = $4, sort_order = $5 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(name)
    .bind(flag(can_receive))
    .bind(sort_order)
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

pub async fn delete(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM reception_statuses WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::one_row(done.rows_affected())
}

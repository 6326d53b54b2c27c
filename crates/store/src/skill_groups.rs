//! Skill groups (技能组) and their members, each with a level for that agent.

use crate::{now_ms, Conn, Result, SkillGroup, SkillGroupMember, TenantScope};
use kefu_domain::SkillGroupId;
use sqlx::{any::AnyRow, Row};

const COLS: &str =
    "id, name, department_id, description, strategy, sticky_wait_seconds, flow_scope, created_at";

fn from_row(r: &AnyRow) -> Result<SkillGroup> {
    Ok(SkillGroup {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        department_id: r.try_get("department_id")?,
        description: r.try_get("description")?,
        strategy: r.try_get("strategy")?,
        sticky_wait_seconds: r.try_get("sticky_wait_seconds")?,
        flow_scope: r
            .try_get::<Option<String>, _>("flow_scope")?
            .map(|s| crate::conversations::json_list(&s)),
        created_at: r.try_get("created_at")?,
    })
}

pub async fn create(
    conn: &mut Conn,
    t: &TenantScope,
    name: &str,
    department_id: Option<&str>,
    description: &str,
) -> Result<SkillGroup> {
    let id = SkillGroupId::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO skill_groups (id, tenant_id, name, department_id, description, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.as_str())
    .bind(t.id())
    .bind(name)
    .bind(department_id)
    .bind(description)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(SkillGroup {
        id: id.to_string(),
        name: name.to_string(),
        department_id: department_id.map(str::to_string),
        description: description.to_string(),
        strategy: "least_busy".to_string(),
        sticky_wait_seconds: 60,
        flow_scope: None,
        created_at: now,
    })
}

pub async fn list(conn: &mut Conn, t: &TenantScope) -> Result<Vec<SkillGroup>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM skill_groups WHERE tenant_id = $1 ORDER BY created_at, id"
    ))
    .bind(t.id())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<Option<SkillGroup>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM skill_groups WHERE tenant_id = $1 AND id = $2"
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
    department_id: Option<&str>,
    description: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE skill_groups SET name = $3, department_id = $4, description = $5 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(name)
    .bind(department_id)
    .bind(description)
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

pub async fn delete(conn: &mut Conn, t: &TenantScope, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM skill_group_members WHERE tenant_id = $1 AND skill_group_id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM skill_groups WHERE tenant_id = $1 AND id = $2")
        .bind(t.id())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::one_row(done.rows_affected())
}

pub async fn members(
    conn: &mut Conn,
    t: &TenantScope,
    group_id: &str,
) -> Result<Vec<SkillGroupMember>> {
    let rows = sqlx::query(
        "SELECT m.user_id, u.username, u.display_name, m.level \
         FROM skill_group_members m JOIN users u ON u.id = m.user_id AND u.tenant_id = m.tenant_id \
         WHERE m.tenant_id = $1 AND m.skill_group_id = $2 ORDER BY m.level DESC, u.username",
    )
    .bind(t.id())
    .bind(group_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SkillGroupMember {
                user_id: r.try_get("user_id")?,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
                level: r.try_get("level")?,
            })
        })
        .collect()
}

/// Returns the member's previous level, if they were already in the group.
pub async fn get_member_level(
    conn: &mut Conn,
    t: &TenantScope,
    group_id: &str,
    user_id: &str,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT level FROM skill_group_members WHERE tenant_id = $1 AND skill_group_id = $2 AND user_id = $3",
    )
    .bind(t.id())
    .bind(group_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Add an agent to a group, or change their level if already a member.
pub async fn put_member(
    conn: &mut Conn,
    t: &TenantScope,
    group_id: &str,
    user_id: &str,
    level: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO skill_group_members (tenant_id, skill_group_id, user_id, level) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, skill_group_id, user_id) DO UPDATE SET level = excluded.level",
    )
    .bind(t.id())
    .bind(group_id)
    .bind(user_id)
    .bind(level)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn remove_member(
    conn: &mut Conn,
    t: &TenantScope,
    group_id: &str,
    user_id: &str,
) -> Result<()> {
    let done = sqlx::query(
        "DELETE FROM skill_group_members WHERE tenant_id = $1 AND skill_group_id = $2 AND user_id = $3",
    )
    .bind(t.id())
    .bind(group_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

/// The groups an agent belongs to, with their level in each.
pub async fn groups_of_user(
    conn: &mut Conn,
    t: &TenantScope,
    user_id: &str,
) -> Result<Vec<(SkillGroup, i64)>> {
    let rows = sqlx::query(
        "SELECT g.id, g.name, g.department_id, g.description, g.strategy, g.sticky_wait_seconds, g.flow_scope, g.created_at, m.level \
         FROM skill_group_members m JOIN skill_groups g ON g.id = m.skill_group_id AND g.tenant_id = m.tenant_id \
         WHERE m.tenant_id = $1 AND m.user_id = $2 ORDER BY g.name",
    )
    .bind(t.id())
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((from_row(r)?, r.try_get("level")?)))
        .collect()
}

/// Sticky groups' wait for the previous agent, in seconds.
pub async fn set_sticky_wait(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    seconds: i64,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE skill_groups SET sticky_wait_seconds = $3 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(t.id())
    .bind(id)
    .bind(seconds)
    .execute(&mut *conn)
    .await?;
    crate::one_row(done.rows_affected())
}

pub async fn set_strategy(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    strategy: &str,
) -> Result<()> {
    let done =
        sqlx::query("UPDATE skill_groups SET strategy = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(t.id())
            .bind(id)
            .bind(strategy)
            .execute(&mut *conn)
            .await?;
    crate::one_row(done.rows_affected())
}

/// 技能组工单流转范围: the skill groups a ticket may be handed to from this
/// group; `None` clears the scope (then every group, SPEC §3).
pub async fn set_flow_scope(
    conn: &mut Conn,
    t: &TenantScope,
    id: &str,
    scope: Option<&[String]>,
) -> Result<()> {
    let done =
        sqlx::query("UPDATE skill_groups SET flow_scope = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(t.id())
            .bind(id)
            .bind(scope.map(|s| crate::conversations::to_json(&s)))
            .execute(&mut *conn)
            .await?;
    crate::one_row(done.rows_affected())
}

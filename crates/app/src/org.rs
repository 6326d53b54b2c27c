//! The organisation: departments (a tree) and skill groups with their members.

use crate::{audit, json, missing_ref, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::{Name, Permission, SkillLevel};
use kefu_store::{
    departments, skill_groups, users, Conn, Department, SkillGroup, SkillGroupMember, TenantScope,
};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentInput {
    pub name: String,
    /// The parent department; absent for a top-level one.
    pub parent_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillGroupInput {
    pub name: String,
    pub department_id: Option<String>,
    #[serde(default)]
    pub description: String,
    /// Routing strategy; absent keeps the current one (`least_busy` for new groups).
    pub strategy: Option<String>,
    /// `sticky` groups: seconds a returning customer waits for their previous
    /// agent (0–3600) before the group routes them like anyone else; absent
    /// keeps the current value (60 for new groups).
    pub sticky_wait_seconds: Option<i64>,
    /// 工单流转范围: the skill groups members of this group may hand a ticket
    /// to. Absent keeps the current scope; `null` clears it (then every group,
    /// SPEC §3); a list (even empty) sets it.
    #[serde(default, deserialize_with = "crate::double_option")]
    #[schema(value_type = Option<Vec<String>>)]
    pub flow_scope: Option<Option<Vec<String>>>,
}

/// A flow scope's group ids, each checked to be a group of the tenant.
async fn check_flow_scope(
    conn: &mut Conn,
    t: &TenantScope,
    scope: &Option<Option<Vec<String>>>,
) -> AppResult<Option<Option<Vec<String>>>> {
    let Some(scope) = scope else {
        return Ok(None);
    };
    let Some(ids) = scope else {
        return Ok(Some(None));
    };
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let id =
            parse_id("skill group", id).map_err(|_| missing_ref("flow_scope", "skill group"))?;
        skill_groups::get(conn, t, &id)
            .await?
            .ok_or_else(|| missing_ref("flow_scope", "skill group"))?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(Some(Some(out)))
}

/// Strategies a group can be set to through the API. `sticky` offers a
/// returning customer to their previous agent first; `broadcast` (抢单) shows
/// waiting conversations to every eligible member, the first to pick one up
/// gets it (the workbench's pick-up list).
pub const STRATEGIES: [&str; 8] = [
    "least_busy",
    "round_robin",
    "longest_idle",
    "most_skilled",
    "fewest_today",
    "weighted_random",
    "sticky",
    "broadcast",
];

/// The longest a sticky group may hold a customer for their previous agent.
pub const MAX_STICKY_WAIT_SECONDS: i64 = 3600;

fn parse_sticky_wait(s: Option<i64>) -> AppResult<Option<i64>> {
    match s {
        Some(v) if !(0..=MAX_STICKY_WAIT_SECONDS).contains(&v) => {
            Err(kefu_domain::ValidationError::new(
                "sticky_wait_seconds",
                format!("must be 0–{MAX_STICKY_WAIT_SECONDS} seconds"),
            )
            .into())
        }
        other => Ok(other),
    }
}

fn parse_strategy(s: Option<&str>) -> AppResult<Option<&str>> {
    match s {
        None => Ok(None),
        Some(s) if STRATEGIES.contains(&s) => Ok(Some(s)),
        Some(_) => Err(kefu_domain::ValidationError::new(
            "strategy",
            format!("must be one of {}", STRATEGIES.join(", ")),
        )
        .into()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    /// 1 (junior) … 10 (expert).
    pub level: i64,
}

async fn check_department(
    conn: &mut Conn,
    t: &TenantScope,
    field: &'static str,
    id: Option<&str>,
) -> AppResult<Option<String>> {
    match id.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(id) => {
            let id = parse_id("department", id).map_err(|_| missing_ref(field, "department"))?;
            departments::get(conn, t, &id)
                .await?
                .ok_or_else(|| missing_ref(field, "department"))?;
            Ok(Some(id))
        }
    }
}

impl App {
    pub async fn list_departments(&self, p: &Principal) -> AppResult<Vec<Department>> {
        let mut conn = self.store.conn().await?;
        Ok(departments::list(&mut conn, &p.tenant).await?)
    }

    pub async fn get_department(&self, p: &Principal, id: &str) -> AppResult<Department> {
        let id = parse_id("department", id)?;
        let mut conn = self.store.conn().await?;
        departments::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("department"))
    }

    pub async fn create_department(
        &self,
        p: &Principal,
        input: DepartmentInput,
    ) -> AppResult<Department> {
        p.require(Permission::OrgManage)?;
        let name = Name::parse("name", &input.name)?;
        let mut tx = self.store.begin().await?;
        let parent =
            check_department(&mut tx, &p.tenant, "parent_id", input.parent_id.as_deref()).await?;
        let d = departments::create(&mut tx, &p.tenant, name.as_str(), parent.as_deref()).await?;
        audit(
            &mut tx,
            p,
            "department.create",
            "department",
            Some(&d.id),
            None,
            json(&d),
        )
        .await?;
        tx.commit().await?;
        Ok(d)
    }

    pub async fn update_department(
        &self,
        p: &Principal,
        id: &str,
        input: DepartmentInput,
    ) -> AppResult<Department> {
        p.require(Permission::OrgManage)?;
        let id = parse_id("department", id)?;
        let name = Name::parse("name", &input.name)?;
        let mut tx = self.store.begin().await?;
        let before = departments::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("department"))?;
        let parent =
            check_department(&mut tx, &p.tenant, "parent_id", input.parent_id.as_deref()).await?;
        // Walk up from the new parent: meeting ourselves would make a cycle.
        let all = departments::list(&mut tx, &p.tenant).await?;
        let mut cursor = parent.clone();
        while let Some(c) = cursor {
            if c == id {
                return Err(kefu_domain::ValidationError::new(
                    "parent_id",
                    "a department cannot be inside itself",
                )
                .into());
            }
            cursor = all
                .iter()
                .find(|d| d.id == c)
                .and_then(|d| d.parent_id.clone());
        }
        departments::update(&mut tx, &p.tenant, &id, name.as_str(), parent.as_deref()).await?;
        let after = departments::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("department"))?;
        audit(
            &mut tx,
            p,
            "department.update",
            "department",
            Some(&id),
            json(&before),
            json(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_department(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::OrgManage)?;
        let id = parse_id("department", id)?;
        let mut tx = self.store.begin().await?;
        let before = departments::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("department"))?;
        departments::delete(&mut tx, &p.tenant, &id)
            .await
            .map_err(|e| AppError::from_store("department", e))?;
        audit(
            &mut tx,
            p,
            "department.delete",
            "department",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_skill_groups(&self, p: &Principal) -> AppResult<Vec<SkillGroup>> {
        let mut conn = self.store.conn().await?;
        Ok(skill_groups::list(&mut conn, &p.tenant).await?)
    }

    pub async fn get_skill_group(&self, p: &Principal, id: &str) -> AppResult<SkillGroup> {
        let id = parse_id("skill group", id)?;
        let mut conn = self.store.conn().await?;
        skill_groups::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("skill group"))
    }

    pub async fn create_skill_group(
        &self,
        p: &Principal,
        input: SkillGroupInput,
    ) -> AppResult<SkillGroup> {
        p.require(Permission::OrgManage)?;
        let name = Name::parse("name", &input.name)?;
        let mut tx = self.store.begin().await?;
        let dept = check_department(
            &mut tx,
            &p.tenant,
            "department_id",
            input.department_id.as_deref(),
        )
        .await?;
        let strategy = parse_strategy(input.strategy.as_deref())?;
        let sticky_wait = parse_sticky_wait(input.sticky_wait_seconds)?;
        let scope = check_flow_scope(&mut tx, &p.tenant, &input.flow_scope).await?;
        let mut g = skill_groups::create(
            &mut tx,
            &p.tenant,
            name.as_str(),
            dept.as_deref(),
            input.description.trim(),
        )
        .await
        .map_err(|e| AppError::from_store("skill group", e))?;
        if let Some(s) = strategy {
            skill_groups::set_strategy(&mut tx, &p.tenant, &g.id, s).await?;
            g.strategy = s.to_string();
        }
        if let Some(w) = sticky_wait {
            skill_groups::set_sticky_wait(&mut tx, &p.tenant, &g.id, w).await?;
            g.sticky_wait_seconds = w;
        }
        if let Some(Some(scope)) = scope {
            skill_groups::set_flow_scope(&mut tx, &p.tenant, &g.id, Some(&scope)).await?;
            g.flow_scope = Some(scope);
        }
        audit(
            &mut tx,
            p,
            "skill_group.create",
            "skill_group",
            Some(&g.id),
            None,
            json(&g),
        )
        .await?;
        tx.commit().await?;
        self.reset_routing(p.tenant.tenant_id());
        Ok(g)
    }

    pub async fn update_skill_group(
        &self,
        p: &Principal,
        id: &str,
        input: SkillGroupInput,
    ) -> AppResult<SkillGroup> {
        p.require(Permission::OrgManage)?;
        let id = parse_id("skill group", id)?;
        let name = Name::parse("name", &input.name)?;
        let mut tx = self.store.begin().await?;
        let before = skill_groups::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("skill group"))?;
        let dept = check_department(
            &mut tx,
            &p.tenant,
            "department_id",
            input.department_id.as_deref(),
        )
        .await?;
        let strategy = parse_strategy(input.strategy.as_deref())?;
        let sticky_wait = parse_sticky_wait(input.sticky_wait_seconds)?;
        let scope = check_flow_scope(&mut tx, &p.tenant, &input.flow_scope).await?;
        skill_groups::update(
            &mut tx,
            &p.tenant,
            &id,
            name.as_str(),
            dept.as_deref(),
            input.description.trim(),
        )
        .await
        .map_err(|e| AppError::from_store("skill group", e))?;
        if let Some(s) = strategy {
            skill_groups::set_strategy(&mut tx, &p.tenant, &id, s).await?;
        }
        if let Some(w) = sticky_wait {
            skill_groups::set_sticky_wait(&mut tx, &p.tenant, &id, w).await?;
        }
        if let Some(scope) = scope {
            skill_groups::set_flow_scope(&mut tx, &p.tenant, &id, scope.as_deref()).await?;
        }
        let after = skill_groups::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("skill group"))?;
        audit(
            &mut tx,
            p,
            "skill_group.update",
            "skill_group",
            Some(&id),
            json(&before),
            json(&after),
        )
        .await?;
        tx.commit().await?;
        // Strategy or name changes: routing rebuilds from the database.
        self.reset_routing(p.tenant.tenant_id());
        Ok(after)
    }

    pub async fn delete_skill_group(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::OrgManage)?;
        let id = parse_id("skill group", id)?;
        let mut tx = self.store.begin().await?;
        let before = skill_groups::get(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("skill group"))?;
        skill_groups::delete(&mut tx, &p.tenant, &id)
            .await
            .map_err(|e| AppError::from_store("skill group", e))?;
        audit(
            &mut tx,
            p,
            "skill_group.delete",
            "skill_group",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        self.reset_routing(p.tenant.tenant_id());
        Ok(())
    }

    pub async fn skill_group_members(
        &self,
        p: &Principal,
        id: &str,
    ) -> AppResult<Vec<SkillGroupMember>> {
        let id = parse_id("skill group", id)?;
        let mut conn = self.store.conn().await?;
        skill_groups::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("skill group"))?;
        Ok(skill_groups::members(&mut conn, &p.tenant, &id).await?)
    }

    /// Add an agent to a group or change their level there.
    pub async fn put_skill_group_member(
        &self,
        p: &Principal,
        group_id: &str,
        user_id: &str,
        input: MemberInput,
    ) -> AppResult<()> {
        p.require(Permission::OrgManage)?;
        let group_id = parse_id("skill group", group_id)?;
        let user_id = parse_id("user", user_id)?;
        let level = SkillLevel::parse(input.level)?;
        let mut tx = self.store.begin().await?;
        skill_groups::get(&mut tx, &p.tenant, &group_id)
            .await?
            .ok_or(AppError::NotFound("skill group"))?;
        users::get(&mut tx, &p.tenant, &user_id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let before =
            skill_groups::get_member_level(&mut tx, &p.tenant, &group_id, &user_id).await?;
        skill_groups::put_member(&mut tx, &p.tenant, &group_id, &user_id, level.get() as i64)
            .await?;
        audit(
            &mut tx,
            p,
            "skill_group.member_put",
            "skill_group",
            Some(&group_id),
            before.map(|l| serde_json::json!({"user_id": user_id, "level": l})),
            Some(serde_json::json!({"user_id": user_id, "level": level.get()})),
        )
        .await?;
        tx.commit().await?;
        self.after_agent_change(&p.tenant, &user_id).await;
        Ok(())
    }

    pub async fn remove_skill_group_member(
        &self,
        p: &Principal,
        group_id: &str,
        user_id: &str,
    ) -> AppResult<()> {
        p.require(Permission::OrgManage)?;
        let group_id = parse_id("skill group", group_id)?;
        let user_id = parse_id("user", user_id)?;
        let mut tx = self.store.begin().await?;
        skill_groups::get(&mut tx, &p.tenant, &group_id)
            .await?
            .ok_or(AppError::NotFound("skill group"))?;
        let before = skill_groups::get_member_level(&mut tx, &p.tenant, &group_id, &user_id)
            .await?
            .ok_or(AppError::NotFound("skill group member"))?;
        skill_groups::remove_member(&mut tx, &p.tenant, &group_id, &user_id).await?;
        audit(
            &mut tx,
            p,
            "skill_group.member_remove",
            "skill_group",
            Some(&group_id),
            Some(serde_json::json!({"user_id": user_id, "level": before})),
            None,
        )
        .await?;
        tx.commit().await?;
        self.after_agent_change(&p.tenant, &user_id).await;
        Ok(())
    }

    pub async fn groups_of_user(
        &self,
        p: &Principal,
        user_id: &str,
    ) -> AppResult<Vec<(SkillGroup, i64)>> {
        let user_id = parse_id("user", user_id)?;
        let mut conn = self.store.conn().await?;
        Ok(skill_groups::groups_of_user(&mut conn, &p.tenant, &user_id).await?)
    }
}

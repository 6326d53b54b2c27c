//! Skill groups (技能组) and their members, each with a level 1–10 that the
//! "most skilled first" routing strategy orders by.

use super::org::dept_options;
use super::Opt;
use crate::render::{page, Chrome, FormError, Nav, Page};
use crate::session::{Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Path, State};
use kefu_app::org::{MemberInput, SkillGroupInput};
use kefu_app::App;
use kefu_domain::Permission;

const FIELDS: &[&str] = &["name", "department_id", "strategy", "sticky_wait_seconds"];

pub struct GroupRow {
    id: String,
    name: String,
    department: String,
    description: String,
    members: usize,
    edit_name: String,
    edit_description: String,
    dept_opts: Vec<Opt>,
    strategy: String,
    strategy_opts: Vec<Opt>,
    sticky_wait: String,
}

#[derive(Template)]
#[template(path = "skill_groups.html")]
struct GroupsTpl {
    c: Chrome,
    rows: Vec<GroupRow>,
    err: FormError,
    create_name: String,
    create_description: String,
    create_dept_opts: Vec<Opt>,
    create_strategy_opts: Vec<Opt>,
    create_sticky_wait: String,
}

/// What was typed into a form that failed ("create" or a group's id).
#[derive(Default)]
struct Posted {
    form: String,
    name: String,
    department_id: String,
    description: String,
    strategy: String,
    sticky_wait: String,
}

impl Posted {
    fn from(form: &str, f: &Fields) -> Posted {
        Posted {
            form: form.to_string(),
            name: f.get("name").to_string(),
            department_id: f.get("department_id").to_string(),
            description: f.get("description").to_string(),
            strategy: f.get("strategy").to_string(),
            sticky_wait: f.get("sticky_wait_seconds").to_string(),
        }
    }
}

/// The routing strategies a group can be given here, named for people.
fn strategy_options(selected: &str, lang: crate::i18n::Lang) -> Vec<Opt> {
    kefu_app::org::STRATEGIES
        .iter()
        .map(|s| Opt::new(s, strategy_label(s, lang), *s == selected))
        .collect()
}

fn strategy_label(s: &str, lang: crate::i18n::Lang) -> &'static str {
    let tr = lang.tr();
    match s {
        "round_robin" => tr.strategy_round_robin,
        "longest_idle" => tr.strategy_longest_idle,
        "most_skilled" => tr.strategy_most_skilled,
        "fewest_today" => tr.strategy_fewest_today,
        "weighted_random" => tr.strategy_weighted_random,
        "sticky" => tr.strategy_sticky,
        "broadcast" => tr.strategy_broadcast,
        _ => tr.strategy_least_busy,
    }
}

async fn groups_page(app: &App, v: &Viewer, posted: Posted, err: FormError) -> Page {
    v.require(Permission::OrgManage)?;
    let fail = |e| v.fail(e);
    let groups = app.list_skill_groups(&v.p).await.map_err(fail)?;
    let depts = app.list_departments(&v.p).await.map_err(fail)?;
    let c = Chrome::load(app, v, Nav::SkillGroups, v.lang.tr().skill_groups_title).await?;
    let mut rows = Vec::with_capacity(groups.len());
    for g in &groups {
        let members = app
            .skill_group_members(&v.p, &g.id)
            .await
            .map_err(fail)?
            .len();
        let mine = posted.form == g.id;
        let dept_sel = if mine {
            posted.department_id.clone()
        } else {
            g.department_id.clone().unwrap_or_default()
        };
        rows.push(GroupRow {
            id: g.id.clone(),
            name: g.name.clone(),
            department: depts
                .iter()
                .find(|d| Some(&d.id) == g.department_id.as_ref())
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            description: g.description.clone(),
            members,
            edit_name: if mine {
                posted.name.clone()
            } else {
                g.name.clone()
            },
            edit_description: if mine {
                posted.description.clone()
            } else {
                g.description.clone()
            },
            dept_opts: dept_options(&depts, &dept_sel, v.lang),
            strategy: strategy_label(&g.strategy, v.lang).to_string(),
            strategy_opts: strategy_options(
                if mine { &posted.strategy } else { &g.strategy },
                v.lang,
            ),
            sticky_wait: if mine {
                posted.sticky_wait.clone()
            } else {
                g.sticky_wait_seconds.to_string()
            },
        });
    }
    let create = posted.form == "create";
    let t = GroupsTpl {
        rows,
        create_name: if create {
            posted.name.clone()
        } else {
            String::new()
        },
        create_description: if create {
            posted.description.clone()
        } else {
            String::new()
        },
        create_dept_opts: dept_options(
            &depts,
            if create { &posted.department_id } else { "" },
            v.lang,
        ),
        create_strategy_opts: strategy_options(
            if create {
                &posted.strategy
            } else {
                "least_busy"
            },
            v.lang,
        ),
        create_sticky_wait: if create {
            posted.sticky_wait.clone()
        } else {
            String::new()
        },
        err,
        c,
    };
    Ok(page(v, t.err.status(), &t))
}

fn input(f: &Fields) -> SkillGroupInput {
    SkillGroupInput {
        name: f.get("name").to_string(),
        department_id: f.non_blank("department_id"),
        description: f.get("description").to_string(),
        strategy: f.non_blank("strategy"),
        // Anything but a whole number is refused by the range check.
        sticky_wait_seconds: f
            .non_blank("sticky_wait_seconds")
            .map(|s| s.parse::<i64>().unwrap_or(-1)),
        flow_scope: None,
    }
}

/// `GET /admin/skill-groups`
pub async fn index(State(app): State<App>, v: Viewer) -> Page {
    groups_page(&app, &v, Posted::default(), FormError::none()).await
}

/// `POST /admin/skill-groups`
pub async fn create(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    match app.create_skill_group(&v.p, input(&f)).await {
        Ok(_) => Ok(v.done("/admin/skill-groups", Flash::Created)),
        Err(e) => {
            let err = v.form_error("create", e, FIELDS)?;
            groups_page(&app, &v, Posted::from("create", &f), err).await
        }
    }
}

/// `POST /admin/skill-groups/{id}`
pub async fn update(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    match app.update_skill_group(&v.p, &id, input(&f)).await {
        Ok(_) => Ok(v.done("/admin/skill-groups", Flash::Saved)),
        Err(e) => {
            let err = v.form_error(&id, e, FIELDS)?;
            groups_page(&app, &v, Posted::from(&id, &f), err).await
        }
    }
}

/// `POST /admin/skill-groups/{id}/delete`
pub async fn delete(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    match app.delete_skill_group(&v.p, &id).await {
        Ok(()) => Ok(v.done("/admin/skill-groups", Flash::Deleted)),
        Err(e) => {
            let err = v.form_error(&id, e, &[])?;
            groups_page(&app, &v, Posted::default(), err).await
        }
    }
}

pub struct MemberRow {
    user_id: String,
    username: String,
    display_name: String,
    level: String,
}

#[derive(Template)]
#[template(path = "skill_group.html")]
struct MembersTpl {
    c: Chrome,
    group_id: String,
    group_name: String,
    group_description: String,
    rows: Vec<MemberRow>,
    err: FormError,
    can_add: bool,
    candidates: Vec<Opt>,
    add_level: String,
    tk: &'static crate::i18n_tickets::TkTr,
    scope_set: bool,
    scope_opts: Vec<Opt>,
}

/// What was typed into a failed member form ("add" or a member's user id).
#[derive(Default)]
struct PostedMember {
    form: String,
    user_id: String,
    level: String,
}

async fn members_page(
    app: &App,
    v: &Viewer,
    group_id: &str,
    posted: PostedMember,
    err: FormError,
) -> Page {
    v.require(Permission::OrgManage)?;
    let fail = |e| v.fail(e);
    let group = app.get_skill_group(&v.p, group_id).await.map_err(fail)?;
    let members = app
        .skill_group_members(&v.p, &group.id)
        .await
        .map_err(fail)?;
    // Picking new members needs the user list; without `users.view` the page
    // still manages the existing members.
    let users = if v.p.can(Permission::UsersView) {
        Some(app.list_users(&v.p).await.map_err(fail)?)
    } else {
        None
    };
    let all_groups = app.list_skill_groups(&v.p).await.map_err(fail)?;
    let scope = group.flow_scope.clone();
    let scope_opts = all_groups
        .iter()
        .map(|g| {
            Opt::new(
                &g.id,
                g.name.clone(),
                scope.as_ref().is_some_and(|s| s.contains(&g.id)),
            )
        })
        .collect();
    let title = v.lang.tr().members_of.replace("{name}", &group.name);
    let c = Chrome::load(app, v, Nav::SkillGroups, &title).await?;
    let rows = members
        .iter()
        .map(|m| MemberRow {
            user_id: m.user_id.clone(),
            username: m.username.clone(),
            display_name: m.display_name.clone(),
            level: if posted.form == m.user_id {
                posted.level.clone()
            } else {
                m.level.to_string()
            },
        })
        .collect();
    let candidates = users
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter(|u| u.active && !members.iter().any(|m| m.user_id == u.id))
        .map(|u| {
            Opt::new(
                &u.id,
                format!("{} ({})", u.display_name, u.username),
                posted.form == "add" && posted.user_id == u.id,
            )
        })
        .collect();
    let t = MembersTpl {
        group_id: group.id.clone(),
        group_name: group.name.clone(),
        group_description: group.description.clone(),
        rows,
        can_add: users.is_some(),
        candidates,
        tk: v.lang.tk(),
        scope_set: scope.is_some(),
        scope_opts,
        add_level: if posted.form == "add" {
            posted.level.clone()
        } else {
            "5".into()
        },
        err,
        c,
    };
    Ok(page(v, t.err.status(), &t))
}

/// `GET /admin/skill-groups/{id}`
pub async fn members(State(app): State<App>, v: Viewer, Path(id): Path<String>) -> Page {
    members_page(&app, &v, &id, PostedMember::default(), FormError::none()).await
}

/// Add or re-level a member; `form` tells the page where to show an error.
async fn put_member(
    app: &App,
    v: &Viewer,
    group: &str,
    user: &str,
    form: &str,
    f: &Fields,
) -> Page {
    let result = match f.int("level", "level") {
        Err(e) => Err(e),
        Ok(level) => {
            app.put_skill_group_member(&v.p, group, user, MemberInput { level })
                .await
        }
    };
    match result {
        Ok(()) => Ok(v.done(&format!("/admin/skill-groups/{group}"), Flash::MemberSaved)),
        Err(kefu_app::AppError::NotFound("user")) if form == "add" => {
            let e = kefu_domain::ValidationError::new("user_id", "no such user");
            let err = v.form_error(form, e.into(), &["user_id", "level"])?;
            members_page(app, v, group, PostedMember::default(), err).await
        }
        Err(e) => {
            let err = v.form_error(form, e, &["user_id", "level"])?;
            let posted = PostedMember {
                form: form.to_string(),
                user_id: user.to_string(),
                level: f.get("level").to_string(),
            };
            members_page(app, v, group, posted, err).await
        }
    }
}

/// `POST /admin/skill-groups/{id}/members`
pub async fn add_member(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    put_member(&app, &v, &id, f.get("user_id"), "add", &f).await
}

/// `POST /admin/skill-groups/{id}/members/{user_id}`
pub async fn set_member_level(
    State(app): State<App>,
    v: Viewer,
    Path((id, user_id)): Path<(String, String)>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    put_member(&app, &v, &id, &user_id, &user_id, &f).await
}

/// `POST /admin/skill-groups/{id}/members/{user_id}/remove`
pub async fn remove_member(
    State(app): State<App>,
    v: Viewer,
    Path((id, user_id)): Path<(String, String)>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    app.remove_skill_group_member(&v.p, &id, &user_id)
        .await
        .map_err(|e| v.fail(e))?;
    Ok(v.done(&format!("/admin/skill-groups/{id}"), Flash::MemberRemoved))
}

/// `POST /admin/skill-groups/{id}/flow-scope`: 工单流转范围 — unset (every
/// group) or the chosen groups.
pub async fn set_flow_scope(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    let g = app
        .get_skill_group(&v.p, &id)
        .await
        .map_err(|e| v.fail(e))?;
    let scope = if f.get("mode") == "only" {
        Some(f.all("scope"))
    } else {
        None
    };
    let input = SkillGroupInput {
        name: g.name,
        department_id: g.department_id,
        description: g.description,
        strategy: None,
        sticky_wait_seconds: None,
        flow_scope: Some(scope),
    };
    match app.update_skill_group(&v.p, &id, input).await {
        Ok(_) => Ok(v.done(&format!("/admin/skill-groups/{id}"), Flash::Saved)),
        Err(e) => {
            let err = v.form_error("scope", e, &[])?;
            members_page(&app, &v, &id, PostedMember::default(), err).await
        }
    }
}

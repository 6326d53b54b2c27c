//! The organisation tree (部门): listed as an indented tree, created, renamed,
//! moved and deleted. Also the tree helpers other pages use for their
//! department pickers.

use super::Opt;
use crate::i18n::Lang;
use crate::render::{page, Chrome, FormError, Nav, Page};
use crate::session::{Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Path, State};
use kefu_app::org::DepartmentInput;
use kefu_app::App;
use kefu_domain::Permission;
use kefu_store::Department;
use std::collections::HashSet;

const FIELDS: &[&str] = &["name", "parent_id"];

/// A department with its depth, in tree (depth-first) order.
pub struct DeptNode<'a> {
    pub dept: &'a Department,
    pub depth: usize,
}

/// Depth-first order with children under their parent. A department whose
/// parent is missing is shown at the top level rather than hidden, and a
/// (corrupt) cycle cannot loop forever.
pub fn dept_tree(depts: &[Department]) -> Vec<DeptNode<'_>> {
    let ids: HashSet<&str> = depts.iter().map(|d| d.id.as_str()).collect();
    let mut out = Vec::with_capacity(depts.len());
    let mut seen: HashSet<&str> = HashSet::new();
    fn visit<'a>(
        d: &'a Department,
        depth: usize,
        all: &'a [Department],
        seen: &mut HashSet<&'a str>,
        out: &mut Vec<DeptNode<'a>>,
    ) {
        if !seen.insert(d.id.as_str()) {
            return;
        }
        out.push(DeptNode { dept: d, depth });
        for c in all.iter().filter(|c| c.parent_id.as_deref() == Some(&d.id)) {
            visit(c, depth + 1, all, seen, out);
        }
    }
    let is_root = |d: &Department| match d.parent_id.as_deref() {
        None => true,
        Some(p) => !ids.contains(p),
    };
    for root in depts.iter().filter(|d| is_root(d)) {
        visit(root, 0, depts, &mut seen, &mut out);
    }
    for d in depts {
        visit(d, 0, depts, &mut seen, &mut out);
    }
    out
}

fn indent(depth: usize) -> String {
    "\u{2003}".repeat(depth * 2)
}

/// Options for a department picker: "(none)" then the indented tree, leaving
/// out `exclude` (a department and its subtree cannot be its own parent).
fn options_excluding(
    depts: &[Department],
    selected: &str,
    exclude: &HashSet<&str>,
    none_label: &str,
) -> Vec<Opt> {
    let mut opts = vec![Opt::new("", none_label, selected.is_empty())];
    for n in dept_tree(depts) {
        if exclude.contains(n.dept.id.as_str()) {
            continue;
        }
        opts.push(Opt::new(
            &n.dept.id,
            format!("{}{}", indent(n.depth), n.dept.name),
            n.dept.id == selected,
        ));
    }
    opts
}

pub fn dept_options(depts: &[Department], selected: &str, lang: Lang) -> Vec<Opt> {
    options_excluding(depts, selected, &HashSet::new(), lang.tr().none)
}

/// A department and everything under it.
fn subtree<'a>(depts: &'a [Department], root: &'a str) -> HashSet<&'a str> {
    let mut set: HashSet<&str> = HashSet::from([root]);
    loop {
        let before = set.len();
        for d in depts {
            if d.parent_id.as_deref().is_some_and(|p| set.contains(p)) {
                set.insert(d.id.as_str());
            }
        }
        if set.len() == before {
            return set;
        }
    }
}

pub struct DeptRow {
    id: String,
    name: String,
    depth: usize,
    parent: String,
    edit_name: String,
    parent_opts: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "departments.html")]
struct DepartmentsTpl {
    c: Chrome,
    rows: Vec<DeptRow>,
    err: FormError,
    create_name: String,
    create_parent_opts: Vec<Opt>,
}

/// What was typed into a form that failed, to show it again.
#[derive(Default)]
struct Posted {
    form: String,
    name: String,
    parent_id: String,
}

async fn departments_page(app: &App, v: &Viewer, posted: Posted, err: FormError) -> Page {
    v.require(Permission::OrgManage)?;
    let depts = app.list_departments(&v.p).await.map_err(|e| v.fail(e))?;
    let c = Chrome::load(app, v, Nav::Departments, v.lang.tr().departments_title).await?;
    let tr = v.lang.tr();
    let rows = dept_tree(&depts)
        .into_iter()
        .map(|n| {
            let d = n.dept;
            let mine = posted.form == d.id;
            let parent_sel = if mine {
                posted.parent_id.clone()
            } else {
                d.parent_id.clone().unwrap_or_default()
            };
            DeptRow {
                id: d.id.clone(),
                name: d.name.clone(),
                depth: n.depth.min(9),
                parent: depts
                    .iter()
                    .find(|p| Some(&p.id) == d.parent_id.as_ref())
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                edit_name: if mine {
                    posted.name.clone()
                } else {
                    d.name.clone()
                },
                parent_opts: options_excluding(
                    &depts,
                    &parent_sel,
                    &subtree(&depts, &d.id),
                    tr.top_level,
                ),
            }
        })
        .collect();
    let create = posted.form == "create";
    let t = DepartmentsTpl {
        rows,
        create_name: if create {
            posted.name.clone()
        } else {
            String::new()
        },
        create_parent_opts: options_excluding(
            &depts,
            if create { &posted.parent_id } else { "" },
            &HashSet::new(),
            tr.top_level,
        ),
        err,
        c,
    };
    Ok(page(v, t.err.status(), &t))
}

/// `GET /admin/departments`
pub async fn departments(State(app): State<App>, v: Viewer) -> Page {
    departments_page(&app, &v, Posted::default(), FormError::none()).await
}

fn input(f: &Fields) -> DepartmentInput {
    DepartmentInput {
        name: f.get("name").to_string(),
        parent_id: f.non_blank("parent_id"),
    }
}

fn posted(form: &str, f: &Fields) -> Posted {
    Posted {
        form: form.to_string(),
        name: f.get("name").to_string(),
        parent_id: f.get("parent_id").to_string(),
    }
}

/// `POST /admin/departments`
pub async fn create_department(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    match app.create_department(&v.p, input(&f)).await {
        Ok(_) => Ok(v.done("/admin/departments", Flash::Created)),
        Err(e) => {
            let err = v.form_error("create", e, FIELDS)?;
            departments_page(&app, &v, posted("create", &f), err).await
        }
    }
}

/// `POST /admin/departments/{id}`: rename and/or move.
pub async fn update_department(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    match app.update_department(&v.p, &id, input(&f)).await {
        Ok(_) => Ok(v.done("/admin/departments", Flash::Saved)),
        Err(e) => {
            let err = v.form_error(&id, e, FIELDS)?;
            departments_page(&app, &v, posted(&id, &f), err).await
        }
    }
}

/// `POST /admin/departments/{id}/delete`
pub async fn delete_department(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    match app.delete_department(&v.p, &id).await {
        Ok(()) => Ok(v.done("/admin/departments", Flash::Deleted)),
        Err(e) => {
            let err = v.form_error(&id, e, &[])?;
            departments_page(&app, &v, Posted::default(), err).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(id: &str, parent: Option<&str>) -> Department {
        Department {
            id: id.into(),
            name: id.to_uppercase(),
            parent_id: parent.map(str::to_string),
            created_at: 0,
        }
    }

    #[test]
    fn tree_is_depth_first_and_survives_orphans_and_cycles() {
        let depts = vec![
            d("b", Some("a")),
            d("a", None),
            d("c", Some("b")),
            d("o", Some("gone")),
            d("x", Some("y")),
            d("y", Some("x")),
        ];
        let order: Vec<(&str, usize)> = dept_tree(&depts)
            .iter()
            .map(|n| (n.dept.id.as_str(), n.depth))
            .collect();
        assert_eq!(
            order,
            vec![("a", 0), ("b", 1), ("c", 2), ("o", 0), ("x", 0), ("y", 1)]
        );
        let sub = subtree(&depts, "a");
        assert!(sub.contains("c") && !sub.contains("o"));
    }
}

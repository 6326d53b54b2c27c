//! `/knowledge` (知识库): the category tree (three levels: create, rename, delete),
//! the item list with search, category filter and pages, the item editor (`item`), the
//! synonym dictionary (`synonyms`), the bot's thresholds (`thresholds`) and import/export with an htmx-polled progress bar
//! (`transfer`). Reading needs `knowledge.view`, changing `knowledge.manage`; the app
//! layer checks again.

pub mod item;
pub mod synonyms;
pub mod thresholds;
pub mod tr;
pub mod transfer;

use crate::i18n::Lang;
use crate::render::{page, Chrome, FormError, Nav, Page, Reject};
use crate::session::{encode_component, Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Router;
use kefu_app::knowledge::{CategoryInput, ItemSearchQuery};
use kefu_app::{App, AppError};
use kefu_domain::Permission;
use kefu_store::knowledge::KnowledgeCategory;
use tr::KbTr;

pub fn kb_tr(lang: Lang) -> &'static KbTr {
    match lang {
        Lang::Zh => &tr::ZH,
        Lang::En => &tr::EN,
    }
}

/// The knowledge pages' routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/knowledge", get(index))
        .route("/knowledge/categories", post(create_category))
        .route("/knowledge/categories/{id}", post(update_category))
        .route("/knowledge/categories/{id}/delete", post(delete_category))
        .route("/knowledge/items/new", get(item::new_form))
        .route("/knowledge/items", post(item::create))
        .route("/knowledge/items/{id}", get(item::edit).post(item::update))
        .route("/knowledge/items/{id}/delete", post(item::delete))
        .route("/knowledge/fragments/similar", get(item::similar_row))
        .route("/knowledge/fragments/variant", get(item::variant_block))
        .route("/knowledge/fragments/blank", get(item::blank))
        .route(
            "/knowledge/synonyms",
            get(synonyms::index).post(synonyms::create),
        )
        .route("/knowledge/synonyms/{id}", post(synonyms::update))
        .route("/knowledge/synonyms/{id}/delete", post(synonyms::delete))
        .route(
            "/knowledge/thresholds",
            get(thresholds::index).post(thresholds::save_tenant),
        )
        .route(
            "/knowledge/thresholds/delete",
            post(thresholds::clear_tenant),
        )
        .route(
            "/knowledge/thresholds/channels/{id}",
            post(thresholds::save_channel),
        )
        .route(
            "/knowledge/thresholds/channels/{id}/delete",
            post(thresholds::clear_channel),
        )
        .route(
            "/knowledge/transfer",
            get(transfer::index)
                .post(transfer::start)
                .layer(axum::extract::DefaultBodyLimit::max(
                    kefu_app::knowledge::transfer::MAX_UPLOAD,
                )),
        )
        .route("/knowledge/imports/{id}/progress", get(transfer::progress))
}

/// Form errors of these pages: a 422 with several fields (an answer's parts) becomes one
/// message naming them; anything else as on every console page.
pub(crate) fn form_error(
    v: &Viewer,
    form: &str,
    e: AppError,
    fields: &[&str],
) -> Result<FormError, Reject> {
    if let AppError::InvalidFields(errs) = &e {
        let msg = errs
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        return Ok(FormError {
            form: form.to_string(),
            field: String::new(),
            msg,
            status: 422,
        });
    }
    v.form_error(form, e, fields)
}

pub struct CatRow {
    pub id: String,
    pub name: String,
    pub path: String,
    pub depth: i64,
    pub can_have_children: bool,
    pub selected: bool,
}

/// Categories in tree order (each parent followed by its children), with paths.
pub(crate) fn tree(cats: &[KnowledgeCategory], selected: &str) -> Vec<CatRow> {
    let paths = kefu_store::knowledge::category_paths(cats);
    let mut out = Vec::new();
    fn walk(
        parent: Option<&str>,
        cats: &[KnowledgeCategory],
        paths: &std::collections::HashMap<String, String>,
        selected: &str,
        out: &mut Vec<CatRow>,
    ) {
        let mut kids: Vec<&KnowledgeCategory> = cats
            .iter()
            .filter(|c| c.parent_id.as_deref() == parent)
            .collect();
        kids.sort_by(|a, b| a.name.cmp(&b.name));
        for c in kids {
            out.push(CatRow {
                id: c.id.clone(),
                name: c.name.clone(),
                path: paths.get(&c.id).cloned().unwrap_or_default(),
                depth: c.depth,
                can_have_children: c.depth < kefu_store::knowledge::MAX_DEPTH,
                selected: c.id == selected,
            });
            walk(Some(&c.id), cats, paths, selected, out);
        }
    }
    walk(None, cats, &paths, selected, &mut out);
    out
}

pub struct ItemRow {
    pub id: String,
    pub question: String,
    pub category: String,
    pub similar: usize,
    pub enabled: bool,
}

#[derive(Template)]
#[template(path = "knowledge.html")]
struct IndexTpl {
    c: Chrome,
    k: &'static KbTr,
    cats: Vec<CatRow>,
    items: Vec<ItemRow>,
    total: i64,
    page: i64,
    pages: i64,
    q: String,
    category_id: String,
    prev_href: String,
    next_href: String,
    can_manage: bool,
    err: FormError,
    new_name: String,
}

async fn index_page(
    app: &App,
    v: &Viewer,
    q: ItemSearchQuery,
    err: FormError,
    new_name: String,
) -> Page {
    if !v.p.can(Permission::KnowledgeManage) {
        v.require(Permission::KnowledgeView)?;
    }
    let k = kb_tr(v.lang);
    let cats = app
        .knowledge_categories(&v.p)
        .await
        .map_err(|e| v.fail(e))?;
    let category_id = q.category_id.clone().unwrap_or_default();
    let list = app
        .knowledge_item_page(&v.p, &q)
        .await
        .map_err(|e| v.fail(e))?;
    let paths = kefu_store::knowledge::category_paths(&cats);
    let text = q.q.clone().unwrap_or_default();
    let href = |page: i64| {
        format!(
            "/knowledge?category_id={}&q={}&page={page}",
            encode_component(&category_id),
            encode_component(&text)
        )
    };
    let c = Chrome::load(app, v, Nav::Knowledge, k.title).await?;
    let t = IndexTpl {
        c,
        k,
        cats: tree(&cats, &category_id),
        items: list
            .items
            .into_iter()
            .map(|i| ItemRow {
                category: paths.get(&i.category_id).cloned().unwrap_or_default(),
                similar: i.similar.len(),
                enabled: i.enabled,
                id: i.id,
                question: i.question,
            })
            .collect(),
        total: list.total,
        page: list.page,
        pages: list.pages,
        prev_href: if list.page > 1 {
            href(list.page - 1)
        } else {
            String::new()
        },
        next_href: if list.page < list.pages {
            href(list.page + 1)
        } else {
            String::new()
        },
        q: text.clone(),
        category_id,
        can_manage: v.p.can(Permission::KnowledgeManage),
        err,
        new_name,
    };
    Ok(page(v, t.err.status(), &t))
}

/// `GET /knowledge?category_id=&q=&page=`
pub async fn index(State(app): State<App>, v: Viewer, Query(q): Query<ItemSearchQuery>) -> Page {
    index_page(&app, &v, q, FormError::none(), String::new()).await
}

fn parent_of(f: &Fields) -> Option<String> {
    f.non_blank("parent_id")
}

/// `POST /knowledge/categories` (name, parent_id)
pub async fn create_category(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let input = CategoryInput {
        name: f.get("name").to_string(),
        parent_id: parent_of(&f),
    };
    match app.create_knowledge_category(&v.p, input).await {
        Ok(c) => Ok(v.done(&format!("/knowledge?category_id={}", c.id), Flash::Created)),
        Err(e) => {
            let err = form_error(&v, "category-create", e, &["name", "parent_id"])?;
            index_page(
                &app,
                &v,
                ItemSearchQuery::default(),
                err,
                f.get("name").to_string(),
            )
            .await
        }
    }
}

/// `POST /knowledge/categories/{id}` (name; the parent is kept)
pub async fn update_category(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    let before = app
        .knowledge_category(&v.p, &id)
        .await
        .map_err(|e| v.fail(e))?;
    let input = CategoryInput {
        name: f.get("name").to_string(),
        parent_id: before.parent_id,
    };
    match app.update_knowledge_category(&v.p, &id, input).await {
        Ok(_) => Ok(v.done(&format!("/knowledge?category_id={id}"), Flash::Saved)),
        Err(e) => {
            let err = form_error(&v, &id, e, &["name"])?;
            index_page(&app, &v, ItemSearchQuery::default(), err, String::new()).await
        }
    }
}

/// `POST /knowledge/categories/{id}/delete` (refused while it has items or subcategories)
pub async fn delete_category(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    v.check_csrf(&app, &f)?;
    match app.delete_knowledge_category(&v.p, &id).await {
        Ok(()) => Ok(v.done_elsewhere("/knowledge", Flash::Deleted)),
        Err(e) => {
            let err = form_error(&v, &id, e, &[])?;
            index_page(&app, &v, ItemSearchQuery::default(), err, String::new()).await
        }
    }
}

//! The synonym dictionary (同义词库): groups of terms that count as the same.

use super::{form_error, kb_tr, tr::KbTr};
use crate::render::{page, Chrome, FormError, Nav, Page};
use crate::session::{Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Path, State};
use kefu_app::knowledge::SynonymInput;
use kefu_app::App;
use kefu_domain::Permission;

pub struct GroupRow {
    pub id: String,
    pub terms: String,
    pub edit_terms: String,
}

#[derive(Template)]
#[template(path = "knowledge_synonyms.html")]
struct SynonymsTpl {
    c: Chrome,
    k: &'static KbTr,
    rows: Vec<GroupRow>,
    can_manage: bool,
    err: FormError,
    new_terms: String,
}

/// Terms as typed: commas (either width), semicolons or new lines.
fn terms(s: &str) -> Vec<String> {
    s.split([',', '，', ';', '；', '\n', '、'])
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

async fn synonyms_page(app: &App, v: &Viewer, form: &str, typed: String, err: FormError) -> Page {
    if !v.p.can(Permission::KnowledgeManage) {
        v.require(Permission::KnowledgeView)?;
    }
    let k = kb_tr(v.lang);
    let list = app.knowledge_synonyms(&v.p).await.map_err(|e| v.fail(e))?;
    let c = Chrome::load(app, v, Nav::Knowledge, k.synonyms).await?;
    let t = SynonymsTpl {
        c,
        k,
        rows: list
            .into_iter()
            .map(|g| GroupRow {
                edit_terms: if g.id == form {
                    typed.clone()
                } else {
                    g.terms.join(", ")
                },
                terms: g.terms.join(" · "),
                id: g.id,
            })
            .collect(),
        can_manage: v.p.can(Permission::KnowledgeManage),
        new_terms: if form == "create" {
            typed
        } else {
            String::new()
        },
        err,
    };
    Ok(page(v, t.err.status(), &t))
}

/// `GET /knowledge/synonyms`
pub async fn index(State(app): State<App>, v: Viewer) -> Page {
    synonyms_page(&app, &v, "", String::new(), FormError::none()).await
}

/// `POST /knowledge/synonyms`
pub async fn create(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let typed = f.get("terms").to_string();
    match app
        .create_knowledge_synonyms(
            &v.p,
            SynonymInput {
                terms: terms(&typed),
            },
        )
        .await
    {
        Ok(_) => Ok(v.done("/knowledge/synonyms", Flash::Created)),
        Err(e) => {
            let err = form_error(&v, "create", e, &["terms"])?;
            synonyms_page(&app, &v, "create", typed, err).await
        }
    }
}

/// `POST /knowledge/synonyms/{id}`
pub async fn update(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let typed = f.get("terms").to_string();
    match app
        .update_knowledge_synonyms(
            &v.p,
            &id,
            SynonymInput {
                terms: terms(&typed),
            },
        )
        .await
    {
        Ok(_) => Ok(v.done("/knowledge/synonyms", Flash::Saved)),
        Err(e) => {
            let err = form_error(&v, &id, e, &["terms"])?;
            synonyms_page(&app, &v, &id, typed, err).await
        }
    }
}

/// `POST /knowledge/synonyms/{id}/delete`
pub async fn delete(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    app.delete_knowledge_synonyms(&v.p, &id)
        .await
        .map_err(|e| v.fail(e))?;
    Ok(v.done("/knowledge/synonyms", Flash::Deleted))
}

#[cfg(test)]
mod tests {
    #[test]
    fn terms_split_on_either_comma_and_lines() {
        assert_eq!(
            super::terms("退款，退钱, refund\n 返款 ;"),
            ["退款", "退钱", "refund", "返款"]
        );
    }
}

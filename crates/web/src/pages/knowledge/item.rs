//! The item editor: category, standard question, similar phrasings (rows added and
//! removed with htmx), the default answer and per-channel variants (text, card, buttons,
//! links, images), validity dates and the enabled switch.

use super::{form_error, kb_tr, tr::KbTr, tree, CatRow};
use crate::render::{html, page, Chrome, FormError, Nav, Page};
use crate::session::{Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_app::knowledge::answer::{Button, Card, Image, Link, Rich};
use kefu_app::knowledge::transfer::{format_time, parse_time};
use kefu_app::knowledge::{Answer, AnswerBody, ItemInput};
use kefu_app::{App, AppError};
use kefu_domain::{Permission, ValidationError};
use kefu_store::knowledge::KnowledgeItem;
use serde::Deserialize;

/// Channel kinds a variant can be keyed by (besides one channel's id).
const KINDS: [&str; 6] = ["web", "app", "wechat", "weibo", "douyin", "email"];

/// One answer body as the form shows it.
#[derive(Clone, Default)]
pub struct AnswerForm {
    /// "a" for the default answer, the variant's number otherwise.
    pub n: String,
    pub key: String,
    pub text: String,
    pub card_title: String,
    pub card_description: String,
    pub card_image_url: String,
    pub card_url: String,
    pub buttons: String,
    pub links: String,
    pub images: String,
}

impl AnswerForm {
    /// Whether the variant's key is one of the offered options.
    pub fn key_known(&self, keys: &[KeyOpt]) -> bool {
        keys.iter().any(|o| o.value == self.key)
    }

    fn from_body(n: String, key: String, b: &AnswerBody) -> AnswerForm {
        let r = b.rich.clone().unwrap_or_default();
        let card = r.card.clone().unwrap_or_default();
        AnswerForm {
            n,
            key,
            text: b.text.clone(),
            card_title: card.title,
            card_description: card.description,
            card_image_url: card.image_url,
            card_url: card.url,
            buttons: r
                .buttons
                .iter()
                .map(|b| match &b.value {
                    Some(v) => format!("{} | {v}", b.label),
                    None => b.label.clone(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            links: r
                .links
                .iter()
                .chain(
                    r.link
                        .as_ref()
                        .map(|u| Link {
                            title: String::new(),
                            url: u.clone(),
                        })
                        .iter(),
                )
                .map(|l| {
                    if l.title.is_empty() {
                        l.url.clone()
                    } else {
                        format!("{} | {}", l.title, l.url)
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
            images: r
                .images
                .iter()
                .map(|i| i.url.clone())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    fn from_fields(n: &str, f: &Fields) -> AnswerForm {
        let g = |name: &str| f.get(&format!("{n}_{name}")).to_string();
        AnswerForm {
            n: n.to_string(),
            key: g("key"),
            text: g("text"),
            card_title: g("card_title"),
            card_description: g("card_description"),
            card_image_url: g("card_image_url"),
            card_url: g("card_url"),
            buttons: g("buttons"),
            links: g("links"),
            images: g("images"),
        }
    }

    fn lines(s: &str) -> impl Iterator<Item = &str> {
        s.lines().map(str::trim).filter(|l| !l.is_empty())
    }

    fn body(&self) -> AnswerBody {
        let split = |l: &str| match l.split_once('|') {
            Some((a, b)) => (a.trim().to_string(), Some(b.trim().to_string())),
            None => (l.to_string(), None),
        };
        let mut r = Rich::default();
        if [
            &self.card_title,
            &self.card_description,
            &self.card_image_url,
            &self.card_url,
        ]
        .iter()
        .any(|s| !s.trim().is_empty())
        {
            r.card = Some(Card {
                title: self.card_title.clone(),
                description: self.card_description.clone(),
                image_url: self.card_image_url.clone(),
                url: self.card_url.clone(),
            });
        }
        r.buttons = Self::lines(&self.buttons)
            .map(|l| {
                let (label, value) = split(l);
                Button { label, value }
            })
            .collect();
        r.links = Self::lines(&self.links)
            .map(|l| match split(l) {
                (url, None) => Link {
                    title: String::new(),
                    url,
                },
                (title, Some(url)) => Link { title, url },
            })
            .collect();
        r.images = Self::lines(&self.images)
            .map(|u| Image {
                url: u.to_string(),
                name: String::new(),
            })
            .collect();
        AnswerBody {
            text: self.text.clone(),
            rich: (!r.is_empty()).then_some(r),
        }
    }
}

pub struct KeyOpt {
    pub value: String,
    pub label: String,
}

/// The whole editor as typed.
#[derive(Clone, Default)]
pub struct ItemForm {
    pub category_id: String,
    pub question: String,
    pub similar: Vec<String>,
    pub answer: AnswerForm,
    pub variants: Vec<AnswerForm>,
    pub enabled: bool,
    pub valid_from: String,
    pub valid_to: String,
    /// The multi-turn flow the item starts (set through the API; the form
    /// carries it along so saving here keeps it).
    pub flow_id: String,
}

/// `datetime-local` wants `YYYY-MM-DDTHH:MM`.
fn local_input(ms: Option<i64>) -> String {
    ms.map(|m| {
        format_time(m)
            .get(..16)
            .unwrap_or_default()
            .replace(' ', "T")
    })
    .unwrap_or_default()
}

impl ItemForm {
    /// The default answer as a one-element list (for the shared template include).
    pub fn main(&self) -> &[AnswerForm] {
        std::slice::from_ref(&self.answer)
    }

    /// The number the next added variant gets.
    pub fn next_variant(&self) -> usize {
        self.variants
            .iter()
            .filter_map(|v| v.n.parse::<usize>().ok())
            .max()
            .map_or(0, |m| m + 1)
    }

    fn from_item(item: &KnowledgeItem) -> ItemForm {
        let a = Answer::from_value(&item.answer).unwrap_or_default();
        ItemForm {
            category_id: item.category_id.clone(),
            question: item.question.clone(),
            similar: item.similar.clone(),
            answer: AnswerForm::from_body("a".into(), String::new(), &a.default_body()),
            variants: a
                .variants
                .iter()
                .enumerate()
                .map(|(i, (k, b))| AnswerForm::from_body(i.to_string(), k.clone(), b))
                .collect(),
            enabled: item.enabled,
            valid_from: local_input(item.valid_from),
            valid_to: local_input(item.valid_to),
            flow_id: item.flow_id.clone().unwrap_or_default(),
        }
    }

    fn from_fields(f: &Fields) -> ItemForm {
        ItemForm {
            category_id: f.get("category_id").to_string(),
            question: f.get("question").to_string(),
            similar: f.all("similar"),
            answer: AnswerForm::from_fields("a", f),
            variants: f
                .all("variant")
                .iter()
                .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                .map(|n| AnswerForm::from_fields(n, f))
                .collect(),
            enabled: f.checked("enabled"),
            valid_from: f.get("valid_from").trim().to_string(),
            valid_to: f.get("valid_to").trim().to_string(),
            flow_id: f.get("flow_id").trim().to_string(),
        }
    }

    fn input(&self) -> Result<ItemInput, AppError> {
        let time = |field: &'static str, s: &str| {
            parse_time(s).map_err(|_| {
                AppError::Validation(ValidationError::new(field, "must be a date and time"))
            })
        };
        let default = self.answer.body();
        let mut answer = Answer {
            text: default.text,
            rich: default.rich,
            ..Answer::default()
        };
        for v in &self.variants {
            if v.key.trim().is_empty() {
                continue;
            }
            answer.variants.insert(v.key.trim().to_string(), v.body());
        }
        Ok(ItemInput {
            category_id: self.category_id.clone(),
            question: self.question.clone(),
            similar: self.similar.clone(),
            answer,
            enabled: self.enabled,
            valid_from: time("valid_from", &self.valid_from)?,
            valid_to: time("valid_to", &self.valid_to)?,
            flow_id: Some(self.flow_id.clone()).filter(|f| !f.is_empty()),
        })
    }
}

#[derive(Template)]
#[template(path = "knowledge_item.html")]
struct ItemTpl {
    c: Chrome,
    k: &'static KbTr,
    id: String,
    cats: Vec<CatRow>,
    form: ItemForm,
    keys: Vec<KeyOpt>,
    can_manage: bool,
    err: FormError,
}

async fn key_options(app: &App, v: &Viewer) -> Vec<KeyOpt> {
    let k = kb_tr(v.lang);
    let mut out: Vec<KeyOpt> = KINDS
        .iter()
        .map(|kind| KeyOpt {
            value: kind.to_string(),
            label: format!("{}: {kind}", k.kind_prefix),
        })
        .collect();
    if v.p.can(Permission::OrgManage) {
        if let Ok(chs) = app.list_channels(&v.p).await {
            out.extend(chs.into_iter().map(|c| KeyOpt {
                label: format!("{} ({})", c.name, c.kind),
                value: c.id,
            }));
        }
    }
    out
}

async fn editor(app: &App, v: &Viewer, id: String, form: ItemForm, err: FormError) -> Page {
    if !v.p.can(Permission::KnowledgeManage) {
        v.require(Permission::KnowledgeView)?;
    }
    let k = kb_tr(v.lang);
    let cats = app
        .knowledge_categories(&v.p)
        .await
        .map_err(|e| v.fail(e))?;
    let c = Chrome::load(
        app,
        v,
        Nav::Knowledge,
        if id.is_empty() {
            k.new_item
        } else {
            k.edit_item
        },
    )
    .await?;
    let t = ItemTpl {
        c,
        k,
        cats: tree(&cats, &form.category_id),
        keys: key_options(app, v).await,
        form,
        id,
        can_manage: v.p.can(Permission::KnowledgeManage),
        err,
    };
    Ok(page(v, t.err.status(), &t))
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    pub category_id: Option<String>,
}

/// `GET /knowledge/items/new?category_id=`
pub async fn new_form(State(app): State<App>, v: Viewer, Query(q): Query<NewQuery>) -> Page {
    v.require(Permission::KnowledgeManage)?;
    let form = ItemForm {
        category_id: q.category_id.unwrap_or_default(),
        enabled: true,
        answer: AnswerForm {
            n: "a".into(),
            ..AnswerForm::default()
        },
        ..ItemForm::default()
    };
    editor(&app, &v, String::new(), form, FormError::none()).await
}

/// `GET /knowledge/items/{id}`
pub async fn edit(State(app): State<App>, v: Viewer, Path(id): Path<String>) -> Page {
    let item = app.knowledge_item(&v.p, &id).await.map_err(|e| v.fail(e))?;
    editor(&app, &v, id, ItemForm::from_item(&item), FormError::none()).await
}

const FIELDS: &[&str] = &[
    "category_id",
    "question",
    "similar",
    "answer",
    "valid_from",
    "valid_to",
];

/// `POST /knowledge/items`
pub async fn create(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let form = ItemForm::from_fields(&f);
    let result = match form.input() {
        Ok(input) => app.create_knowledge_item(&v.p, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(item) => Ok(v.done(&format!("/knowledge/items/{}", item.id), Flash::Created)),
        Err(e) => {
            let err = form_error(&v, "item", e, FIELDS)?;
            editor(&app, &v, String::new(), form, err).await
        }
    }
}

/// `POST /knowledge/items/{id}`
pub async fn update(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    let form = ItemForm::from_fields(&f);
    let result = match form.input() {
        Ok(input) => app.update_knowledge_item(&v.p, &id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(v.done(&format!("/knowledge/items/{id}"), Flash::Saved)),
        Err(e) => {
            let err = form_error(&v, "item", e, FIELDS)?;
            editor(&app, &v, id, form, err).await
        }
    }
}

/// `POST /knowledge/items/{id}/delete`
pub async fn delete(State(app): State<App>, v: Viewer, Path(id): Path<String>, f: Fields) -> Page {
    v.check_csrf(&app, &f)?;
    app.delete_knowledge_item(&v.p, &id)
        .await
        .map_err(|e| v.fail(e))?;
    Ok(v.done_elsewhere("/knowledge", Flash::Deleted))
}

#[derive(Template)]
#[template(path = "knowledge_fragments.html")]
struct FragmentTpl {
    k: &'static KbTr,
    similar_row: bool,
    a: AnswerForm,
    keys: Vec<KeyOpt>,
}

#[derive(Debug, Default, Deserialize)]
pub struct VariantQuery {
    pub n: Option<u32>,
}

/// `GET /knowledge/fragments/similar`: one empty phrasing row (htmx appends it).
pub async fn similar_row(v: Viewer) -> Page {
    v.require(Permission::KnowledgeManage)?;
    let t = FragmentTpl {
        k: kb_tr(v.lang),
        similar_row: true,
        a: AnswerForm::default(),
        keys: Vec::new(),
    };
    Ok(html(StatusCode::OK, &t))
}

/// `GET /knowledge/fragments/variant?n=`: one empty variant block numbered `n`.
pub async fn variant_block(
    State(app): State<App>,
    v: Viewer,
    Query(q): Query<VariantQuery>,
) -> Page {
    v.require(Permission::KnowledgeManage)?;
    let t = FragmentTpl {
        k: kb_tr(v.lang),
        similar_row: false,
        a: AnswerForm {
            n: q.n.unwrap_or(0).to_string(),
            ..AnswerForm::default()
        },
        keys: key_options(&app, &v).await,
    };
    Ok(html(StatusCode::OK, &t))
}

/// `GET /knowledge/fragments/blank`: nothing (the target of an htmx "remove" swap).
pub async fn blank(_v: Viewer) -> Response {
    StatusCode::OK.into_response()
}

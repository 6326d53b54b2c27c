//! 知识库: categories, items with similar phrasings, answers with per-channel
//! variants (`answer`), synonym groups, and import/export in JSONL, CSV and
//! XLSX (`transfer`, `sheet`). Reading needs `knowledge.view`, changing
//! `knowledge.manage`; every change is audited.

pub mod answer;
pub mod sheet;
pub mod transfer;

pub use answer::{answer_for, answer_for_item, Answer, AnswerBody, ChannelRef};
pub use transfer::{ExportQuery, Format, ImportQuery, ImportReport};

use crate::{audit, json, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::{Name, Permission, ValidationError};
use kefu_store::knowledge::{self, ItemFields, KnowledgeCategory, KnowledgeItem, SynonymGroup};
use kefu_store::Conn;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const MAX_TEXT: usize = 500;
const MAX_SIMILAR: usize = 500;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    pub name: String,
    /// Absent for a top-level category; categories nest at most three levels.
    pub parent_id: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    pub category_id: String,
    /// The standard question (标准问题).
    pub question: String,
    /// Similar phrasings (相似问法); blanks and repeats are dropped.
    #[serde(default)]
    pub similar: Vec<String>,
    pub answer: Answer,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub valid_from: Option<i64>,
    pub valid_to: Option<i64>,
    /// A multi-turn flow of this tenant that the item starts when it matches.
    #[serde(default)]
    pub flow_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SynonymInput {
    /// At least two distinct terms that mean the same thing.
    pub terms: Vec<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ItemQuery {
    pub category_id: Option<String>,
}

/// The console's item list: a category, a text to find in questions and
/// phrasings, and a page.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
pub struct ItemSearchQuery {
    pub category_id: Option<String>,
    pub q: Option<String>,
    /// 1-based.
    pub page: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemPage {
    pub items: Vec<KnowledgeItem>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

pub const PAGE_SIZE: i64 = 50;

fn text(field: &'static str, s: &str, max: usize) -> AppResult<String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ValidationError::new(field, "must not be empty").into());
    }
    if t.chars().count() > max {
        return Err(ValidationError::new(field, format!("at most {max} characters")).into());
    }
    Ok(t.to_string())
}

fn distinct(field: &'static str, list: &[String], max: usize) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for s in list {
        if s.trim().is_empty() {
            continue;
        }
        let t = text(field, s, MAX_TEXT)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > max {
        return Err(ValidationError::new(field, format!("at most {max} entries")).into());
    }
    Ok(out)
}

pub(crate) struct CheckedItem {
    question: String,
    similar: Vec<String>,
    answer: serde_json::Value,
}

pub(crate) fn check_item(input: &ItemInput) -> AppResult<CheckedItem> {
    let question = text("question", &input.question, MAX_TEXT)?;
    let similar: Vec<String> = distinct("similar", &input.similar, MAX_SIMILAR)?
        .into_iter()
        .filter(|s| *s != question)
        .collect();
    if let (Some(from), Some(to)) = (input.valid_from, input.valid_to) {
        if from > to {
            return Err(ValidationError::new("valid_to", "must not be before valid_from").into());
        }
    }
    let answer = transfer::checked_answer(&input.answer)?;
    Ok(CheckedItem {
        question,
        similar,
        answer,
    })
}

pub(crate) fn can_view(p: &Principal) -> AppResult<()> {
    if p.can(Permission::KnowledgeManage) {
        return Ok(());
    }
    p.require(Permission::KnowledgeView)
}

impl App {
    pub async fn knowledge_categories(&self, p: &Principal) -> AppResult<Vec<KnowledgeCategory>> {
        can_view(p)?;
        let mut conn = self.store.conn().await?;
        Ok(knowledge::list_categories(&mut conn, &p.tenant).await?)
    }

    pub async fn knowledge_category(
        &self,
        p: &Principal,
        id: &str,
    ) -> AppResult<KnowledgeCategory> {
        can_view(p)?;
        let id = parse_id("knowledge category", id)?;
        let mut conn = self.store.conn().await?;
        knowledge::get_category(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("knowledge category"))
    }

    pub async fn create_knowledge_category(
        &self,
        p: &Principal,
        input: CategoryInput,
    ) -> AppResult<KnowledgeCategory> {
        p.require(Permission::KnowledgeManage)?;
        let name = Name::parse("name", &input.name)?;
        let mut tx = self.store.begin().await?;
        let c = knowledge::create_category(
            &mut tx,
            &p.tenant,
            name.as_str(),
            input.parent_id.as_deref(),
        )
        .await
        .map_err(|e| AppError::from_store("knowledge category", e))?;
        audit(
            &mut tx,
            p,
            "knowledge_category.create",
            "knowledge_category",
            Some(&c.id),
            None,
            json(&c),
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn update_knowledge_category(
        &self,
        p: &Principal,
        id: &str,
        input: CategoryInput,
    ) -> AppResult<KnowledgeCategory> {
        p.require(Permission::KnowledgeManage)?;
        let id = parse_id("knowledge category", id)?;
        let name = Name::parse("name", &input.name)?;
        let mut tx = self.store.begin().await?;
        let before = knowledge::get_category(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("knowledge category"))?;
        let c = knowledge::update_category(
            &mut tx,
            &p.tenant,
            &id,
            name.as_str(),
            input.parent_id.as_deref(),
        )
        .await
        .map_err(|e| AppError::from_store("knowledge category", e))?;
        audit(
            &mut tx,
            p,
            "knowledge_category.update",
            "knowledge_category",
            Some(&id),
            json(&before),
            json(&c),
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Refused with 409 `in_use` while the category has items or subcategories.
    pub async fn delete_knowledge_category(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::KnowledgeManage)?;
        let id = parse_id("knowledge category", id)?;
        let mut tx = self.store.begin().await?;
        let before = knowledge::get_category(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("knowledge category"))?;
        knowledge::delete_category(&mut tx, &p.tenant, &id)
            .await
            .map_err(|e| AppError::from_store("knowledge category", e))?;
        audit(
            &mut tx,
            p,
            "knowledge_category.delete",
            "knowledge_category",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn knowledge_items(
        &self,
        p: &Principal,
        category_id: Option<&str>,
    ) -> AppResult<Vec<KnowledgeItem>> {
        can_view(p)?;
        let mut conn = self.store.conn().await?;
        Ok(knowledge::list_items(&mut conn, &p.tenant, category_id).await?)
    }

    pub async fn knowledge_item(&self, p: &Principal, id: &str) -> AppResult<KnowledgeItem> {
        can_view(p)?;
        let id = parse_id("knowledge item", id)?;
        let mut conn = self.store.conn().await?;
        knowledge::get_item(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("knowledge item"))
    }

    pub async fn create_knowledge_item(
        &self,
        p: &Principal,
        input: ItemInput,
    ) -> AppResult<KnowledgeItem> {
        p.require(Permission::KnowledgeManage)?;
        let mut tx = self.store.begin().await?;
        let item = insert_item(&mut tx, p, &input).await?;
        tx.commit().await?;
        self.bot_item_changed(&p.tenant, &item.id).await;
        Ok(item)
    }

    /// Replace an item; its similar phrasings are replaced as a whole.
    pub async fn update_knowledge_item(
        &self,
        p: &Principal,
        id: &str,
        input: ItemInput,
    ) -> AppResult<KnowledgeItem> {
        p.require(Permission::KnowledgeManage)?;
        let id = parse_id("knowledge item", id)?;
        let c = check_item(&input)?;
        let mut tx = self.store.begin().await?;
        let before = knowledge::get_item(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("knowledge item"))?;
        let flow_id =
            crate::flows::check_flow_ref(&mut tx, &p.tenant, input.flow_id.as_deref()).await?;
        let item = knowledge::update_item(&mut tx, &p.tenant, &id, &fields(&input, &c))
            .await
            .map_err(|e| AppError::from_store("knowledge item", e))?;
        let item = link_flow(&mut tx, p, item, flow_id).await?;
        audit(
            &mut tx,
            p,
            "knowledge_item.update",
            "knowledge_item",
            Some(&id),
            json(&before),
            json(&item),
        )
        .await?;
        tx.commit().await?;
        self.bot_item_changed(&p.tenant, &id).await;
        Ok(item)
    }

    pub async fn delete_knowledge_item(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::KnowledgeManage)?;
        let id = parse_id("knowledge item", id)?;
        let mut tx = self.store.begin().await?;
        let before = knowledge::get_item(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("knowledge item"))?;
        knowledge::delete_item(&mut tx, &p.tenant, &id)
            .await
            .map_err(|e| AppError::from_store("knowledge item", e))?;
        audit(
            &mut tx,
            p,
            "knowledge_item.delete",
            "knowledge_item",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        self.bot_item_removed(&p.tenant, &id).await;
        Ok(())
    }

    pub async fn knowledge_synonyms(&self, p: &Principal) -> AppResult<Vec<SynonymGroup>> {
        can_view(p)?;
        let mut conn = self.store.conn().await?;
        Ok(knowledge::list_synonyms(&mut conn, &p.tenant).await?)
    }

    pub async fn knowledge_synonym_group(
        &self,
        p: &Principal,
        id: &str,
    ) -> AppResult<SynonymGroup> {
        can_view(p)?;
        let id = parse_id("synonym group", id)?;
        let mut conn = self.store.conn().await?;
        knowledge::get_synonyms(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("synonym group"))
    }

    pub async fn create_knowledge_synonyms(
        &self,
        p: &Principal,
        input: SynonymInput,
    ) -> AppResult<SynonymGroup> {
        p.require(Permission::KnowledgeManage)?;
        let terms = check_terms(&input)?;
        let mut tx = self.store.begin().await?;
        let g = knowledge::create_synonyms(&mut tx, &p.tenant, &terms).await?;
        audit(
            &mut tx,
            p,
            "knowledge_synonyms.create",
            "synonym_group",
            Some(&g.id),
            None,
            json(&g),
        )
        .await?;
        tx.commit().await?;
        self.bot_synonyms_changed(&p.tenant).await;
        Ok(g)
    }

    pub async fn update_knowledge_synonyms(
        &self,
        p: &Principal,
        id: &str,
        input: SynonymInput,
    ) -> AppResult<SynonymGroup> {
        p.require(Permission::KnowledgeManage)?;
        let id = parse_id("synonym group", id)?;
        let terms = check_terms(&input)?;
        let mut tx = self.store.begin().await?;
        let before = knowledge::get_synonyms(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("synonym group"))?;
        let g = knowledge::update_synonyms(&mut tx, &p.tenant, &id, &terms)
            .await
            .map_err(|e| AppError::from_store("synonym group", e))?;
        audit(
            &mut tx,
            p,
            "knowledge_synonyms.update",
            "synonym_group",
            Some(&id),
            json(&before),
            json(&g),
        )
        .await?;
        tx.commit().await?;
        self.bot_synonyms_changed(&p.tenant).await;
        Ok(g)
    }

    pub async fn delete_knowledge_synonyms(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::KnowledgeManage)?;
        let id = parse_id("synonym group", id)?;
        let mut tx = self.store.begin().await?;
        let before = knowledge::get_synonyms(&mut tx, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("synonym group"))?;
        knowledge::delete_synonyms(&mut tx, &p.tenant, &id)
            .await
            .map_err(|e| AppError::from_store("synonym group", e))?;
        audit(
            &mut tx,
            p,
            "knowledge_synonyms.delete",
            "synonym_group",
            Some(&id),
            json(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        self.bot_synonyms_changed(&p.tenant).await;
        Ok(())
    }

    /// One page of the item list (see [`ItemSearchQuery`]).
    pub async fn knowledge_item_page(
        &self,
        p: &Principal,
        q: &ItemSearchQuery,
    ) -> AppResult<ItemPage> {
        can_view(p)?;
        let category = match q.category_id.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(parse_id("category_id", c)?),
            None => None,
        };
        let page = q.page.unwrap_or(1).max(1);
        let mut conn = self.store.conn().await?;
        let (items, total) = knowledge::search_items(
            &mut conn,
            &p.tenant,
            &knowledge::ItemSearch {
                category_id: category.as_deref(),
                text: q.q.as_deref(),
                limit: PAGE_SIZE,
                offset: (page - 1) * PAGE_SIZE,
            },
        )
        .await?;
        Ok(ItemPage {
            items,
            total,
            page,
            pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        })
    }
}

fn check_terms(input: &SynonymInput) -> AppResult<Vec<String>> {
    let terms = distinct("terms", &input.terms, 100)?;
    if terms.len() < 2 {
        return Err(ValidationError::new("terms", "needs at least two distinct terms").into());
    }
    Ok(terms)
}

pub(crate) fn fields<'a>(input: &'a ItemInput, c: &'a CheckedItem) -> ItemFields<'a> {
    ItemFields {
        category_id: &input.category_id,
        question: &c.question,
        similar: &c.similar,
        answer: &c.answer,
        enabled: input.enabled,
        valid_from: input.valid_from,
        valid_to: input.valid_to,
    }
}

pub(crate) async fn insert_item(
    conn: &mut Conn,
    p: &Principal,
    input: &ItemInput,
) -> AppResult<KnowledgeItem> {
    let c = check_item(input)?;
    let flow_id = crate::flows::check_flow_ref(conn, &p.tenant, input.flow_id.as_deref()).await?;
    let item = knowledge::create_item(conn, &p.tenant, &fields(input, &c))
        .await
        .map_err(|e| AppError::from_store("knowledge item", e))?;
    let item = link_flow(conn, p, item, flow_id).await?;
    audit(
        conn,
        p,
        "knowledge_item.create",
        "knowledge_item",
        Some(&item.id),
        None,
        json(&item),
    )
    .await?;
    Ok(item)
}

/// Point the item at its flow (or at none) and read it back.
async fn link_flow(
    conn: &mut Conn,
    p: &Principal,
    item: KnowledgeItem,
    flow_id: Option<String>,
) -> AppResult<KnowledgeItem> {
    if item.flow_id == flow_id {
        return Ok(item);
    }
    kefu_store::flows::set_item_flow(conn, &p.tenant, &item.id, flow_id.as_deref()).await?;
    Ok(KnowledgeItem { flow_id, ..item })
}

//! 知识库: categories, items with similar phrasings, synonym groups, and JSONL
//! import/export. Reading needs `knowledge.view`, changing `knowledge.manage`;
//! every change is audited.

use crate::{audit, json, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::{Name, Permission, ValidationError};
use kefu_store::knowledge::{self, ItemFields, KnowledgeCategory, KnowledgeItem, SynonymGroup};
use kefu_store::Conn;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

const MAX_TEXT: usize = 500;
const MAX_ANSWER: usize = 20_000;
const MAX_SIMILAR: usize = 500;
const MAX_ROWS: usize = 20_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    pub name: String,
    /// Absent for a top-level category; categories nest at most three levels.
    pub parent_id: Option<String>,
}

/// An answer: plain text, optionally with a rich form (card, buttons, links,
/// images) that channels able to show it use instead.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub rich: Option<serde_json::Value>,
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ItemQuery {
    pub category_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportRowError {
    /// 1-based line number in the uploaded text.
    pub row: usize,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Non-blank lines read.
    pub total: usize,
    pub created: usize,
    pub failed: usize,
    pub categories_created: usize,
    pub errors: Vec<ImportRowError>,
}

/// One line of the JSONL format shared with `kefu bot eval`:
/// `{"id","category","question","similar":[…],"answer"}`. `category` is a
/// path of up to three names joined by `/`; `answer` is text or an [`Answer`].
#[derive(Debug, Deserialize, Serialize)]
struct JsonlRow {
    #[serde(default)]
    id: Option<String>,
    category: String,
    question: String,
    #[serde(default)]
    similar: Vec<String>,
    answer: serde_json::Value,
}

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

struct CheckedItem {
    question: String,
    similar: Vec<String>,
    answer: serde_json::Value,
}

fn check_item(input: &ItemInput) -> AppResult<CheckedItem> {
    let question = text("question", &input.question, MAX_TEXT)?;
    let similar: Vec<String> = distinct("similar", &input.similar, MAX_SIMILAR)?
        .into_iter()
        .filter(|s| *s != question)
        .collect();
    let answer_text = input.answer.text.trim();
    if answer_text.is_empty() && input.answer.rich.is_none() {
        return Err(ValidationError::new("answer", "needs text or a rich answer").into());
    }
    if answer_text.chars().count() > MAX_ANSWER {
        return Err(
            ValidationError::new("answer", format!("at most {MAX_ANSWER} characters")).into(),
        );
    }
    if let (Some(from), Some(to)) = (input.valid_from, input.valid_to) {
        if from > to {
            return Err(ValidationError::new("valid_to", "must not be before valid_from").into());
        }
    }
    let answer = serde_json::to_value(Answer {
        text: answer_text.to_string(),
        rich: input.answer.rich.clone(),
    })
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(CheckedItem {
        question,
        similar,
        answer,
    })
}

fn can_view(p: &Principal) -> AppResult<()> {
    if p.can(Permission::KnowledgeManage) {
        return Ok(());
    }
    p.require(Permission::KnowledgeView)
}

fn answer_of(v: &serde_json::Value) -> AppResult<Answer> {
    match v {
        serde_json::Value::String(s) => Ok(Answer {
            text: s.clone(),
            rich: None,
        }),
        other => serde_json::from_value(other.clone())
            .map_err(|e| ValidationError::new("answer", e.to_string()).into()),
    }
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

    /// Import JSONL. Each line is stored whole or not at all (its own
    /// transaction); bad lines are reported by line number, code and message.
    /// Categories are found by `/`-separated name path and created if missing.
    /// The `id` field is ignored: imported items get new ids.
    pub async fn import_knowledge(&self, p: &Principal, body: &str) -> AppResult<ImportReport> {
        p.require(Permission::KnowledgeManage)?;
        let lines: Vec<(usize, &str)> = body
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i + 1, l))
            .collect();
        if lines.len() > MAX_ROWS {
            return Err(ValidationError::new("body", format!("at most {MAX_ROWS} lines")).into());
        }
        let mut report = ImportReport {
            total: lines.len(),
            created: 0,
            failed: 0,
            categories_created: 0,
            errors: Vec::new(),
        };
        for (row, line) in lines {
            let mut tx = self.store.begin().await?;
            match import_row(&mut tx, p, line).await {
                Ok(new_categories) => {
                    tx.commit().await?;
                    report.created += 1;
                    report.categories_created += new_categories;
                }
                Err(e) => {
                    drop(tx);
                    report.failed += 1;
                    report.errors.push(ImportRowError {
                        row,
                        code: e.code().to_string(),
                        message: e.to_string(),
                    });
                }
            }
        }
        let mut tx = self.store.begin().await?;
        audit(
            &mut tx,
            p,
            "knowledge.import",
            "knowledge",
            None,
            None,
            json(&report),
        )
        .await?;
        tx.commit().await?;
        // Many items at once: the bot's index is rebuilt on its next question.
        self.bot_invalidate(&p.tenant);
        Ok(report)
    }

    /// Every item as JSONL, `category` as its `/`-joined path.
    pub async fn export_knowledge(&self, p: &Principal) -> AppResult<String> {
        can_view(p)?;
        let mut conn = self.store.conn().await?;
        let cats = knowledge::list_categories(&mut conn, &p.tenant).await?;
        let by_id: HashMap<&str, &KnowledgeCategory> =
            cats.iter().map(|c| (c.id.as_str(), c)).collect();
        let path = |id: &str| {
            let mut names = Vec::new();
            let mut cur = by_id.get(id).copied();
            while let Some(c) = cur {
                names.push(c.name.as_str());
                cur = c
                    .parent_id
                    .as_deref()
                    .and_then(|pid| by_id.get(pid).copied());
            }
            names.reverse();
            names.join("/")
        };
        let mut out = String::new();
        for item in knowledge::list_items(&mut conn, &p.tenant, None).await? {
            let answer = match answer_of(&item.answer) {
                Ok(a) if a.rich.is_none() => serde_json::Value::String(a.text),
                _ => item.answer.clone(),
            };
            let row = JsonlRow {
                id: Some(item.id.clone()),
                category: path(&item.category_id),
                question: item.question,
                similar: item.similar,
                answer,
            };
            out.push_str(
                &serde_json::to_string(&row).map_err(|e| AppError::Internal(e.to_string()))?,
            );
            out.push('\n');
        }
        Ok(out)
    }
}

fn check_terms(input: &SynonymInput) -> AppResult<Vec<String>> {
    let terms = distinct("terms", &input.terms, 100)?;
    if terms.len() < 2 {
        return Err(ValidationError::new("terms", "needs at least two distinct terms").into());
    }
    Ok(terms)
}

fn fields<'a>(input: &'a ItemInput, c: &'a CheckedItem) -> ItemFields<'a> {
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

/// One JSONL line: find or create its category path, then the item. Answers
/// how many categories were created.
async fn import_row(conn: &mut Conn, p: &Principal, line: &str) -> AppResult<usize> {
    let row: JsonlRow = serde_json::from_str(line)
        .map_err(|e| AppError::Validation(ValidationError::new("line", e.to_string())))?;
    let names: Vec<&str> = row.category.split('/').map(str::trim).collect();
    if names.len() as i64 > knowledge::MAX_DEPTH {
        return Err(
            ValidationError::new("category", "categories nest at most 3 levels deep").into(),
        );
    }
    let mut parent: Option<String> = None;
    let mut created = 0;
    for n in names {
        let name = Name::parse("category", n)?;
        let found =
            knowledge::find_category(conn, &p.tenant, name.as_str(), parent.as_deref()).await?;
        let c = match found {
            Some(c) => c,
            None => {
                created += 1;
                let c =
                    knowledge::create_category(conn, &p.tenant, name.as_str(), parent.as_deref())
                        .await
                        .map_err(|e| AppError::from_store("knowledge category", e))?;
                audit(
                    conn,
                    p,
                    "knowledge_category.create",
                    "knowledge_category",
                    Some(&c.id),
                    None,
                    json(&c),
                )
                .await?;
                c
            }
        };
        parent = Some(c.id);
    }
    let input = ItemInput {
        category_id: parent.unwrap_or_default(),
        question: row.question,
        similar: row.similar,
        answer: answer_of(&row.answer)?,
        enabled: true,
        valid_from: None,
        valid_to: None,
        flow_id: None,
    };
    insert_item(conn, p, &input).await?;
    Ok(created)
}

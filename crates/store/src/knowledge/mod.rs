//! 知识库: categories (at most three levels), knowledge items with their similar
//! phrasings (相似问法), and the tenant's synonym groups (同义词库).

//!
//! One module per concern: `categories` (the tree), `items` (items with their phrasings,
//! and the console's search), `synonyms`, and `import` (the bulk path of the knowledge
//! import: many rows per statement). Everything is re-exported here.

mod categories;
mod import;
mod items;
mod synonyms;

pub use categories::*;
pub use import::*;
pub use items::*;
pub use synonyms::*;

use crate::{Result, StoreError};
use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use utoipa::ToSchema;

/// Categories nest at most this deep (a top-level category is depth 1).
pub const MAX_DEPTH: i64 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KnowledgeCategory {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    /// 1 for a top-level category, at most 3.
    pub depth: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KnowledgeItem {
    pub id: String,
    pub category_id: String,
    /// The standard question (标准问题).
    pub question: String,
    /// Similar phrasings (相似问法), in order.
    pub similar: Vec<String>,
    /// `{"text": "...", "rich": {...}?}`.
    #[schema(value_type = Object)]
    pub answer: serde_json::Value,
    pub enabled: bool,
    pub valid_from: Option<i64>,
    pub valid_to: Option<i64>,
    /// A multi-turn flow this item starts instead of (after) answering (migration 0010).
    pub flow_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SynonymGroup {
    pub id: String,
    /// Terms that mean the same thing.
    pub terms: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an item is made of, for create and (full) update.
#[derive(Debug, Clone)]
pub struct ItemFields<'a> {
    pub category_id: &'a str,
    pub question: &'a str,
    pub similar: &'a [String],
    pub answer: &'a serde_json::Value,
    pub enabled: bool,
    pub valid_from: Option<i64>,
    pub valid_to: Option<i64>,
}

pub(crate) const CAT_COLS: &str = "id, name, parent_id, depth, created_at, updated_at";
pub(crate) const ITEM_COLS: &str = "id, category_id, question, answer, enabled, valid_from, valid_to, flow_id, created_at, updated_at";

pub(crate) fn category_row(r: &AnyRow) -> Result<KnowledgeCategory> {
    Ok(KnowledgeCategory {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        parent_id: r.try_get("parent_id")?,
        depth: r.try_get("depth")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(crate) fn item_row(r: &AnyRow, similar: Vec<String>) -> Result<KnowledgeItem> {
    let answer: String = r.try_get("answer")?;
    Ok(KnowledgeItem {
        id: r.try_get("id")?,
        category_id: r.try_get("category_id")?,
        question: r.try_get("question")?,
        similar,
        answer: serde_json::from_str(&answer)
            .map_err(|e| StoreError::Corrupt(format!("knowledge answer: {e}")))?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        valid_from: r.try_get("valid_from")?,
        valid_to: r.try_get("valid_to")?,
        flow_id: r.try_get("flow_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(crate) fn synonym_row(r: &AnyRow) -> Result<SynonymGroup> {
    let terms: String = r.try_get("terms")?;
    Ok(SynonymGroup {
        id: r.try_get("id")?,
        terms: serde_json::from_str(&terms)
            .map_err(|e| StoreError::Corrupt(format!("synonym terms: {e}")))?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

//! What people do with the bot's output: review unmatched questions (未匹配问题) grouped by
//! similarity — attach one to an item as a new similar phrasing, make a new item of it, or
//! dismiss it —, read the decision log, and (agents) get the best answers for a visitor's
//! last message while serving.

use super::MatchFor;
use crate::knowledge::{Answer, ItemInput};
use crate::{audit, json, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::{Permission, ValidationError};
use kefu_store::bot::{self, BotDecision, UnmatchedQuestion};
use kefu_store::knowledge::{self, ItemFields, KnowledgeItem};
use kefu_store::TenantScope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How many open questions the review groups at once (oldest first).
const REVIEW_LIMIT: i64 = 1000;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnmatchedGroup {
    /// The group's first (oldest) question.
    pub representative: String,
    pub count: usize,
    pub questions: Vec<UnmatchedQuestion>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachInput {
    /// The knowledge item that gets the question as a similar phrasing.
    pub item_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFromUnmatchedInput {
    pub category_id: String,
    /// The standard question; the unmatched text when absent (it is then not repeated as
    /// a phrasing).
    pub question: Option<String>,
    pub answer: Answer,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssistSuggestion {
    pub item_id: String,
    pub question: String,
    /// `{"text": "...", "rich"?: {...}}`
    #[schema(value_type = Object)]
    pub answer: serde_json::Value,
    pub confidence: f32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssistAnswer {
    /// The visitor message the suggestions are for (absent when there is none yet).
    pub question: Option<String>,
    pub seq: Option<i64>,
    pub suggestions: Vec<AssistSuggestion>,
}

fn can_view(p: &Principal) -> AppResult<()> {
    if p.can(Permission::KnowledgeManage) {
        return Ok(());
    }
    p.require(Permission::KnowledgeView)
}

impl App {
    /// Open unmatched questions, grouped by similarity, biggest group first.
    pub async fn unmatched_groups(&self, p: &Principal) -> AppResult<Vec<UnmatchedGroup>> {
        can_view(p)?;
        let mut conn = self.store.conn().await?;
        let open = bot::list_unmatched(&mut conn, &p.tenant, "open", REVIEW_LIMIT).await?;
        drop(conn);
        let groups = tokio::task::spawn_blocking(move || {
            let texts: Vec<&str> = open.iter().map(|q| q.text.as_str()).collect();
            let g = kefu_bot::cluster::cluster(
                &texts,
                None,
                &kefu_bot::cluster::ClusterParams::default(),
            );
            g.into_iter()
                .map(|members| {
                    let questions: Vec<UnmatchedQuestion> =
                        members.iter().map(|&i| open[i].clone()).collect();
                    UnmatchedGroup {
                        representative: questions[0].text.clone(),
                        count: questions.len(),
                        questions,
                    }
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(groups)
    }

    async fn open_unmatched(
        &self,
        conn: &mut kefu_store::Conn,
        t: &TenantScope,
        id: &str,
    ) -> AppResult<UnmatchedQuestion> {
        let q = bot::get_unmatched(conn, t, id)
            .await?
            .ok_or(AppError::NotFound("unmatched question"))?;
        if q.status != "open" {
            return Err(AppError::conflict(
                "already_resolved",
                format!("this question was already {}", q.status),
            ));
        }
        Ok(q)
    }

    /// Attach an unmatched question to an item as a new similar phrasing; the matcher
    /// learns it at once.
    pub async fn attach_unmatched(
        &self,
        p: &Principal,
        id: &str,
        input: AttachInput,
    ) -> AppResult<KnowledgeItem> {
        p.require(Permission::KnowledgeManage)?;
        let id = parse_id("unmatched question", id)?;
        let item_id = parse_id("knowledge item", &input.item_id).map_err(|_| {
            AppError::Validation(ValidationError::new("item_id", "no such knowledge item"))
        })?;
        let mut tx = self.store.begin().await?;
        let q = self.open_unmatched(&mut tx, &p.tenant, &id).await?;
        let before = knowledge::get_item(&mut tx, &p.tenant, &item_id)
            .await?
            .ok_or_else(|| {
                AppError::Validation(ValidationError::new("item_id", "no such knowledge item"))
            })?;
        let text = q.text.trim().to_string();
        let mut similar = before.similar.clone();
        if text != before.question && !similar.contains(&text) {
            similar.push(text);
        }
        let item = knowledge::update_item(
            &mut tx,
            &p.tenant,
            &item_id,
            &ItemFields {
                category_id: &before.category_id,
                question: &before.question,
                similar: &similar,
                answer: &before.answer,
                enabled: before.enabled,
                valid_from: before.valid_from,
                valid_to: before.valid_to,
            },
        )
        .await
        .map_err(|e| AppError::from_store("knowledge item", e))?;
        bot::resolve_unmatched(
            &mut tx,
            &p.tenant,
            &id,
            "attached",
            Some(&item_id),
            p.user_id.as_deref(),
        )
        .await
        .map_err(|e| AppError::from_store("unmatched question", e))?;
        audit(
            &mut tx,
            p,
            "unmatched.attach",
            "knowledge_item",
            Some(&item_id),
            json(&before),
            json(&item),
        )
        .await?;
        tx.commit().await?;
        self.bot_item_changed(&p.tenant, &item_id).await;
        Ok(item)
    }

    /// Make a new knowledge item of an unmatched question.
    pub async fn create_from_unmatched(
        &self,
        p: &Principal,
        id: &str,
        input: CreateFromUnmatchedInput,
    ) -> AppResult<KnowledgeItem> {
        p.require(Permission::KnowledgeManage)?;
        let id = parse_id("unmatched question", id)?;
        let mut tx = self.store.begin().await?;
        let q = self.open_unmatched(&mut tx, &p.tenant, &id).await?;
        let (question, similar) = match input.question.filter(|s| !s.trim().is_empty()) {
            Some(std) => (std, vec![q.text.clone()]),
            None => (q.text.clone(), vec![]),
        };
        let item_input = ItemInput {
            category_id: input.category_id,
            question,
            similar,
            answer: input.answer,
            enabled: true,
            valid_from: None,
            valid_to: None,
            flow_id: None,
        };
        let item = crate::knowledge::insert_item(&mut tx, p, &item_input).await?;
        bot::resolve_unmatched(
            &mut tx,
            &p.tenant,
            &id,
            "created",
            Some(&item.id),
            p.user_id.as_deref(),
        )
        .await
        .map_err(|e| AppError::from_store("unmatched question", e))?;
        tx.commit().await?;
        self.bot_item_changed(&p.tenant, &item.id).await;
        Ok(item)
    }

    pub async fn dismiss_unmatched(&self, p: &Principal, id: &str) -> AppResult<()> {
        p.require(Permission::KnowledgeManage)?;
        let id = parse_id("unmatched question", id)?;
        let mut tx = self.store.begin().await?;
        let q = self.open_unmatched(&mut tx, &p.tenant, &id).await?;
        bot::resolve_unmatched(
            &mut tx,
            &p.tenant,
            &id,
            "dismissed",
            None,
            p.user_id.as_deref(),
        )
        .await
        .map_err(|e| AppError::from_store("unmatched question", e))?;
        audit(
            &mut tx,
            p,
            "unmatched.dismiss",
            "unmatched_question",
            Some(&id),
            json(&q),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The bot's decisions in a conversation (its serving agent, or a lead).
    pub async fn conversation_bot_decisions(
        &self,
        p: &Principal,
        id: &str,
    ) -> AppResult<Vec<BotDecision>> {
        let c = self.get_conversation(p, id).await?;
        let mut conn = self.store.conn().await?;
        Ok(bot::decisions_of_conversation(&mut conn, &p.tenant, &c.id).await?)
    }

    /// The tenant's latest decisions (leads: `conversations.supervise`).
    pub async fn recent_bot_decisions(
        &self,
        p: &Principal,
        limit: i64,
    ) -> AppResult<Vec<BotDecision>> {
        p.require(Permission::Supervise)?;
        let mut conn = self.store.conn().await?;
        Ok(bot::recent_decisions(&mut conn, &p.tenant, limit.clamp(1, 500)).await?)
    }

    /// Agent assist: the three best answers for the visitor's last question.
    pub async fn assist(&self, p: &Principal, conversation_id: &str) -> AppResult<AssistAnswer> {
        can_view(p)?;
        let c = self.get_conversation(p, conversation_id).await?;
        let mut conn = self.store.conn().await?;
        // The last real question: "转人工" and the like ask for a person, not an answer.
        let last = bot::recent_visitor_texts(&mut conn, &p.tenant, &c.id)
            .await?
            .into_iter()
            .find(|(_, t)| !super::turn::wants_human(t));
        drop(conn);
        let Some((seq, question)) = last else {
            return Ok(AssistAnswer {
                question: None,
                seq: None,
                suggestions: Vec::new(),
            });
        };
        let m = self
            .bot_match(&p.tenant, Some(&c.channel_id), &question, MatchFor::Assist)
            .await?;
        let floor = m.thresholds.candidate_floor();
        let suggestions = m
            .candidates
            .iter()
            .filter(|c| c.scores.confidence > floor)
            .take(3)
            .map(|c| AssistSuggestion {
                item_id: c.item.id.clone(),
                question: c.item.question.clone(),
                answer: c.item.answer.clone(),
                confidence: c.scores.confidence,
            })
            .collect();
        Ok(AssistAnswer {
            question: Some(question),
            seq: Some(seq),
            suggestions,
        })
    }
}

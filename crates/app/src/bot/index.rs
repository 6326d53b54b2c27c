//! A tenant's matcher: built on first use from the enabled knowledge items and the synonym
//! groups, then kept current item by item. Knowledge edits call `bot_item_changed` /
//! `bot_item_removed` / `bot_synonyms_changed` after their commit, which re-read only what
//! changed and update the index in place (no rebuild), so the next question sees the edit.
//! Embeddings (when a model is installed) and scoring run on the blocking pool.

use super::thresholds::ThresholdSource;
use crate::{App, AppError, AppResult};
use kefu_bot::{decide, Item, ItemScore, Matcher, MatcherConfig, Outcome, Synonyms, Thresholds};
use kefu_store::knowledge::{self, KnowledgeItem};
use kefu_store::TenantScope;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// The defaults: thresholds per path (lexical confidences run lower than fused ones; see
/// `crates/bot/tests/matcher.rs` and docs/benchmarks.md), used by a tenant with no
/// setting of its own (`bot::thresholds`).
#[derive(Debug, Clone, Serialize)]
pub struct BotConfig {
    pub lexical: Thresholds,
    pub semantic: Thresholds,
    /// Consecutive misses after which the bot offers a human on its own.
    pub misses_before_offer: usize,
}

impl Default for BotConfig {
    fn default() -> Self {
        BotConfig {
            lexical: Thresholds::LEXICAL,
            semantic: Thresholds::default(),
            misses_before_offer: 2,
        }
    }
}

pub(crate) struct Index {
    pub matcher: Matcher,
    pub items: HashMap<String, KnowledgeItem>,
}

/// One tenant's index; `build` serialises building and edits so an edit made while the
/// index is being built is applied after it.
#[derive(Default)]
pub(crate) struct TenantIndex {
    build: tokio::sync::Mutex<()>,
    index: RwLock<Option<Arc<RwLock<Index>>>>,
    retrain_pending: AtomicBool,
}

impl TenantIndex {
    fn current(&self) -> Option<Arc<RwLock<Index>>> {
        self.index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// One candidate answer with its scores.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub item: KnowledgeItem,
    pub scores: ItemScore,
}

/// What a match is for, which decides how far the search goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchFor {
    /// A visitor's question: what the decision needs and no more
    /// ([`kefu_bot::Matcher::score_answer`]). Nothing under the "did you mean" threshold is
    /// searched for, and when the bot answers, the candidates after the answer are only
    /// those scored on the way (the visitor is waiting; the runners-up change nothing).
    Answer,
    /// Agent assist: the best `suggestions` items down to the candidate floor, exactly.
    Assist,
}

/// What the matcher made of a question.
#[derive(Debug, Clone)]
pub struct Matched {
    pub outcome: Outcome,
    pub confidence: f32,
    /// The thresholds the decision was made with, and whose they were.
    pub thresholds: Thresholds,
    pub threshold_source: ThresholdSource,
    pub semantic: bool,
    pub purpose: MatchFor,
    /// Best first; `Outcome` indexes into this list.
    pub candidates: Vec<Candidate>,
}

impl Matched {
    /// The decision-log form: every candidate's signals, with item ids instead of slots.
    pub fn detail(&self) -> serde_json::Value {
        serde_json::json!({
            "confidence": self.confidence,
            // As decimals (0.35, not the f32's 0.3499999940…).
            "thresholds": {
                "answer": dec(self.thresholds.answer),
                "suggest": dec(self.thresholds.suggest),
                "suggestions": self.thresholds.suggestions,
            },
            "threshold_source": self.threshold_source,
            "semantic": self.semantic,
            // "answer": the candidates after an answer are not necessarily the runners-up
            "search": match self.purpose {
                MatchFor::Answer => "answer",
                MatchFor::Assist => "assist",
            },
            "candidates": self.candidates.iter().map(|c| serde_json::json!({
                "item_id": c.item.id,
                "question": c.item.question,
                "confidence": c.scores.confidence,
                "bm25": c.scores.bm25,
                "bm25_item": c.scores.bm25_item,
                "ngram": c.scores.ngram,
                "pinyin": c.scores.pinyin,
                "cos_max": c.scores.cos_max,
                "cos_knn": c.scores.cos_knn,
                "classifier": c.scores.classifier,
            })).collect::<Vec<_>>(),
        })
    }
}

/// An f32 as the short decimal it stands for.
fn dec(x: f32) -> f64 {
    (f64::from(x) * 1e6).round() / 1e6
}

fn texts(it: &KnowledgeItem) -> Vec<String> {
    std::iter::once(it.question.clone())
        .chain(it.similar.iter().cloned())
        .collect()
}

fn item_of(it: &KnowledgeItem) -> Item {
    Item {
        id: it.id.clone(),
        question: it.question.clone(),
        similar: it.similar.clone(),
    }
}

/// Valid now: enabled and within its validity dates.
pub(crate) fn valid_now(it: &KnowledgeItem, now: i64) -> bool {
    it.enabled && it.valid_from.is_none_or(|f| f <= now) && it.valid_to.is_none_or(|t| now <= t)
}

fn blocking_err(e: tokio::task::JoinError) -> AppError {
    AppError::Internal(format!("bot task failed: {e}"))
}

fn embed(
    enc: &Option<Arc<kefu_bot::embed::Encoder>>,
    texts: &[String],
) -> AppResult<Option<Vec<Vec<f32>>>> {
    use kefu_bot::embed::Embedder;
    let Some(enc) = enc else { return Ok(None) };
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(64) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        out.extend(enc.embed(&refs).map_err(AppError::Internal)?);
    }
    Ok(Some(out))
}

impl App {
    /// The tenant's index, built now if this is its first use.
    async fn bot_index(&self, scope: &TenantScope) -> AppResult<Arc<RwLock<Index>>> {
        let t = self.bot.tenant(scope.tenant_id().as_str());
        if let Some(ix) = t.current() {
            return Ok(ix);
        }
        let _guard = t.build.lock().await;
        if let Some(ix) = t.current() {
            return Ok(ix);
        }
        let mut conn = self.store.conn().await?;
        let items: Vec<KnowledgeItem> = knowledge::list_items(&mut conn, scope, None)
            .await?
            .into_iter()
            .filter(|i| i.enabled)
            .collect();
        let groups: Vec<Vec<String>> = knowledge::list_synonyms(&mut conn, scope)
            .await?
            .into_iter()
            .map(|g| g.terms)
            .collect();
        drop(conn);
        let app = self.clone();
        let started = std::time::Instant::now();
        let index = tokio::task::spawn_blocking(move || -> AppResult<Index> {
            let enc = app.bot_encoder();
            let all: Vec<String> = items.iter().flat_map(texts).collect();
            let vectors = embed(&enc, &all)?;
            let matcher = Matcher::build(
                items.iter().map(item_of).collect(),
                Synonyms::new(&groups),
                MatcherConfig::default(),
                vectors,
            )
            .map_err(AppError::Internal)?;
            Ok(Index {
                matcher,
                items: items.into_iter().map(|i| (i.id.clone(), i)).collect(),
            })
        })
        .await
        .map_err(blocking_err)??;
        tracing::info!(
            tenant = %scope.tenant_id(),
            items = index.items.len(),
            semantic = index.matcher.has_semantic(),
            ms = started.elapsed().as_millis() as u64,
            "bot: index built"
        );
        let ix = Arc::new(RwLock::new(index));
        *t.index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(ix.clone());
        Ok(ix)
    }

    /// Build the tenant's index now (and load the model) if it is not built yet, so the
    /// first question does not wait for it.
    pub(crate) async fn bot_warm(&self, scope: &TenantScope) {
        if let Err(e) = self.bot_index(scope).await {
            tracing::error!(error = %e, "bot: index not built");
        }
    }

    /// A knowledge item was created or changed: re-read it and update the index in place.
    pub(crate) async fn bot_item_changed(&self, scope: &TenantScope, id: &str) {
        if let Err(e) = self.bot_apply_item(scope, id).await {
            tracing::error!(error = %e, item = id, "bot: index update failed; rebuilding on next use");
            self.bot_invalidate(scope);
        }
    }

    /// A knowledge item was deleted.
    pub(crate) async fn bot_item_removed(&self, scope: &TenantScope, id: &str) {
        let t = self.bot.tenant(scope.tenant_id().as_str());
        let _guard = t.build.lock().await;
        if let Some(ix) = t.current() {
            let mut w = ix
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            w.matcher.remove(id);
            w.items.remove(id);
        }
        drop(_guard);
        self.bot_schedule_retrain(scope);
    }

    /// The synonym dictionary changed: items using a changed term are re-indexed.
    pub(crate) async fn bot_synonyms_changed(&self, scope: &TenantScope) {
        let t = self.bot.tenant(scope.tenant_id().as_str());
        let _guard = t.build.lock().await;
        let Some(ix) = t.current() else { return };
        let groups = match self.store.conn().await {
            Ok(mut conn) => knowledge::list_synonyms(&mut conn, scope).await,
            Err(e) => Err(e),
        };
        match groups {
            Ok(g) => {
                let groups: Vec<Vec<String>> = g.into_iter().map(|g| g.terms).collect();
                let n = tokio::task::spawn_blocking(move || {
                    let mut w = ix
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    w.matcher.set_synonyms(Synonyms::new(&groups))
                })
                .await
                .unwrap_or(0);
                tracing::debug!(reindexed = n, "bot: synonyms applied");
            }
            Err(e) => {
                tracing::error!(error = %e, "bot: synonyms not applied; rebuilding on next use");
                *t.index
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
            }
        }
    }

    /// Forget the tenant's index (a bulk import); the next question rebuilds it.
    pub(crate) fn bot_invalidate(&self, scope: &TenantScope) {
        let t = self.bot.tenant(scope.tenant_id().as_str());
        *t.index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    async fn bot_apply_item(&self, scope: &TenantScope, id: &str) -> AppResult<()> {
        let t = self.bot.tenant(scope.tenant_id().as_str());
        let _guard = t.build.lock().await;
        let Some(ix) = t.current() else {
            return Ok(()); // not built yet: the build will read the item
        };
        let mut conn = self.store.conn().await?;
        let item = knowledge::get_item(&mut conn, scope, id).await?;
        drop(conn);
        let app = self.clone();
        let id = id.to_string();
        tokio::task::spawn_blocking(move || -> AppResult<()> {
            match item.filter(|i| i.enabled) {
                None => {
                    let mut w = ix
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    w.matcher.remove(&id);
                    w.items.remove(&id);
                    Ok(())
                }
                Some(it) => {
                    let semantic = ix
                        .read()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .matcher
                        .has_semantic();
                    let vectors = if semantic {
                        embed(&app.bot_encoder(), &texts(&it))?
                    } else {
                        None
                    };
                    let mut w = ix
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    w.matcher
                        .upsert(item_of(&it), vectors)
                        .map_err(AppError::Internal)?;
                    w.items.insert(it.id.clone(), it);
                    Ok(())
                }
            }
        })
        .await
        .map_err(blocking_err)??;
        drop(_guard);
        self.bot_schedule_retrain(scope);
        Ok(())
    }

    /// With embeddings, the classifier is retrained a moment after edits (off the index's
    /// lock); until then the matcher scores without it.
    fn bot_schedule_retrain(&self, scope: &TenantScope) {
        let t = self.bot.tenant(scope.tenant_id().as_str());
        let Some(ix) = t.current() else { return };
        {
            let r = ix.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            if !r.matcher.has_semantic() || r.matcher.classifier_current() {
                return;
            }
        }
        if t.retrain_pending.swap(true, Ordering::AcqRel) {
            return;
        }
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            t.retrain_pending.store(false, Ordering::Release);
            let _ = tokio::task::spawn_blocking(move || {
                let set = ix
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .matcher
                    .training_set();
                if let Some(set) = set {
                    match kefu_bot::fusion::train_classifier(&set) {
                        Ok(lr) => {
                            let mut w = ix
                                .write()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            w.matcher.install_classifier(lr, set.generation);
                        }
                        Err(e) => tracing::error!(error = %e, "bot: classifier not retrained"),
                    }
                }
            })
            .await;
        });
    }

    /// Match a question against the tenant's knowledge base. Items outside their validity
    /// dates are left out here, so an item's window opens and closes without an edit.
    ///
    /// The thresholds are those of `channel_id` (the conversation's channel), else the
    /// tenant's, else the defaults, read now, so a saved change decides the next question.
    pub async fn bot_match(
        &self,
        scope: &TenantScope,
        channel_id: Option<&str>,
        question: &str,
        purpose: MatchFor,
    ) -> AppResult<Matched> {
        let ix = self.bot_index(scope).await?;
        let cfg = self.bot.config();
        let (set, threshold_source) = self.bot_thresholds_for(scope, channel_id).await?;
        let app = self.clone();
        let q = question.to_string();
        tokio::task::spawn_blocking(move || -> AppResult<Matched> {
            let semantic = ix
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .matcher
                .has_semantic();
            let qv = if semantic {
                embed(&app.bot_encoder(), std::slice::from_ref(&q))?.and_then(|mut v| v.pop())
            } else {
                None
            };
            let r = ix.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = kefu_store::now_ms();
            let thresholds = set.for_path(qv.is_some(), &cfg);
            let valid = |slot: usize| {
                r.matcher
                    .item(slot)
                    .and_then(|it| r.items.get(&it.id))
                    .is_some_and(|it| valid_now(it, now))
            };
            let (scores, _) = match purpose {
                MatchFor::Answer => r
                    .matcher
                    .score_answer(&q, qv.as_deref(), &thresholds, valid),
                // assist offers the best few down to the floor
                MatchFor::Assist => r.matcher.score_top_above(
                    &q,
                    qv.as_deref(),
                    thresholds.suggestions.max(1),
                    thresholds.candidate_floor(),
                    valid,
                ),
            };
            let d = decide(scores, thresholds);
            let candidates: Vec<Candidate> = d
                .candidates
                .iter()
                .filter_map(|s| {
                    let it = r.matcher.item(s.item)?;
                    Some(Candidate {
                        item: r.items.get(&it.id)?.clone(),
                        scores: s.clone(),
                    })
                })
                .collect();
            let pos = |slot: usize| d.candidates.iter().position(|c| c.item == slot);
            // Slots → positions in `candidates`.
            let outcome = match d.outcome {
                Outcome::Answer { item } => Outcome::Answer {
                    item: pos(item).unwrap_or(0),
                },
                Outcome::Suggest { items } => Outcome::Suggest {
                    items: items.into_iter().filter_map(pos).collect(),
                },
                Outcome::NoMatch => Outcome::NoMatch,
            };
            Ok(Matched {
                outcome,
                confidence: d.confidence,
                thresholds,
                threshold_source,
                semantic: qv.is_some(),
                purpose,
                candidates,
            })
        })
        .await
        .map_err(blocking_err)?
    }

    /// One item from the index (current data), if enabled and valid now.
    pub(crate) async fn bot_item(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> AppResult<Option<KnowledgeItem>> {
        let ix = self.bot_index(scope).await?;
        let r = ix.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(r.items
            .get(id)
            .filter(|it| valid_now(it, kefu_store::now_ms()))
            .cloned())
    }
}

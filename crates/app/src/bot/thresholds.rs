//! The bot's thresholds (机器人阈值) per tenant, overridable per bot channel (SPEC §4 and
//! issue 5: "three outcomes per bot … thresholds are configurable"). Each setting holds an
//! answer and a suggest threshold for the lexical path and for the semantic path (their
//! confidences run on different scales). What applies to a question: its channel's setting,
//! else the tenant's, else the app's defaults ([`BotConfig`]). Settings are read from the
//! store on every question, so a saved change applies to the next question on every node.

use super::BotConfig;
use crate::{audit, json, parse_id, App, AppError, AppResult, Principal};
use kefu_bot::Thresholds;
use kefu_domain::crm::FieldError;
use kefu_domain::Permission;
use kefu_store::bot_thresholds::{self as store, StoredThresholds, ThresholdValues};
use kefu_store::{channels, TenantScope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One path's pair: at or above `answer` the bot answers; at or above `suggest` (and below
/// `answer`) it offers "did you mean" choices; below `suggest` it admits no match.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PathThresholds {
    /// In [0, 1], above `suggest`.
    pub answer: f64,
    /// In [0, 1], below `answer`.
    pub suggest: f64,
}

/// A whole setting: the lexical path's pair (no embedding model, or none used) and the
/// semantic path's (embeddings fused with the lexical scores).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ThresholdSet {
    pub lexical: PathThresholds,
    pub semantic: PathThresholds,
}

/// Where the thresholds of a decision came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdSource {
    /// The built-in defaults (no setting saved).
    Default,
    /// The tenant's own setting.
    Tenant,
    /// The conversation's channel's setting.
    Channel,
}

/// A saved setting: the tenant's own (`channel_id` null) or a channel's.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SavedThresholds {
    pub channel_id: Option<String>,
    /// The channel's name, for a channel's setting.
    pub channel_name: Option<String>,
    pub lexical: PathThresholds,
    pub semantic: PathThresholds,
    pub updated_by: Option<String>,
    pub updated_at: i64,
}

/// Everything about a tenant's thresholds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BotThresholds {
    /// The built-in defaults, used while the tenant has no setting of its own.
    pub defaults: ThresholdSet,
    /// What applies to conversations on a channel without its own setting.
    pub effective: ThresholdSet,
    /// The tenant's own setting, if saved.
    pub tenant: Option<SavedThresholds>,
    /// Channels with a setting of their own.
    pub channels: Vec<SavedThresholds>,
}

impl ThresholdSet {
    pub fn from_config(c: &BotConfig) -> Self {
        // The matcher's f32 as the decimal it was written as (0.35, not 0.3499999940…).
        let dec = |x: f32| (f64::from(x) * 1e6).round() / 1e6;
        let pair = |t: &Thresholds| PathThresholds {
            answer: dec(t.answer),
            suggest: dec(t.suggest),
        };
        ThresholdSet {
            lexical: pair(&c.lexical),
            semantic: pair(&c.semantic),
        }
    }

    fn from_stored(s: &StoredThresholds) -> Self {
        ThresholdSet {
            lexical: PathThresholds {
                answer: s.lexical_answer,
                suggest: s.lexical_suggest,
            },
            semantic: PathThresholds {
                answer: s.semantic_answer,
                suggest: s.semantic_suggest,
            },
        }
    }

    fn values(&self) -> ThresholdValues {
        ThresholdValues {
            lexical_answer: self.lexical.answer,
            lexical_suggest: self.lexical.suggest,
            semantic_answer: self.semantic.answer,
            semantic_suggest: self.semantic.suggest,
        }
    }

    /// Every problem at once, each with its field (`lexical.answer` …).
    pub fn check(&self) -> AppResult<()> {
        let mut errors = Vec::new();
        for (path, p) in [("lexical", &self.lexical), ("semantic", &self.semantic)] {
            let mut in_range = true;
            for (name, v) in [("answer", p.answer), ("suggest", p.suggest)] {
                if !(0.0..=1.0).contains(&v) {
                    in_range = false;
                    errors.push(FieldError::new(
                        format!("{path}.{name}"),
                        "out_of_range",
                        "must be between 0 and 1",
                    ));
                }
            }
            if in_range && p.answer <= p.suggest {
                errors.push(FieldError::new(
                    format!("{path}.answer"),
                    "not_above_suggest",
                    "must be greater than the suggest threshold",
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::InvalidFields(errors))
        }
    }

    /// The matcher's thresholds of one path, with the app's number of suggestions.
    pub(crate) fn for_path(&self, semantic: bool, c: &BotConfig) -> Thresholds {
        let (p, base) = if semantic {
            (&self.semantic, &c.semantic)
        } else {
            (&self.lexical, &c.lexical)
        };
        Thresholds {
            answer: p.answer as f32,
            suggest: p.suggest as f32,
            suggestions: base.suggestions,
        }
    }
}

fn saved(s: StoredThresholds, channel_name: Option<String>) -> SavedThresholds {
    let set = ThresholdSet::from_stored(&s);
    SavedThresholds {
        channel_id: s.channel_id,
        channel_name,
        lexical: set.lexical,
        semantic: set.semantic,
        updated_by: s.updated_by,
        updated_at: s.updated_at,
    }
}

impl App {
    /// The thresholds a question on `channel_id` (or on no channel) is decided with.
    pub(crate) async fn bot_thresholds_for(
        &self,
        scope: &TenantScope,
        channel_id: Option<&str>,
    ) -> AppResult<(ThresholdSet, ThresholdSource)> {
        let mut conn = self.store.conn().await?;
        Ok(
            match store::effective(&mut conn, scope, channel_id).await? {
                Some(s) => {
                    let source = if s.channel_id.is_some() {
                        ThresholdSource::Channel
                    } else {
                        ThresholdSource::Tenant
                    };
                    (ThresholdSet::from_stored(&s), source)
                }
                None => (
                    ThresholdSet::from_config(&self.bot.config()),
                    ThresholdSource::Default,
                ),
            },
        )
    }

    /// The tenant's thresholds: defaults, its own setting, the channels' (`knowledge.manage`).
    pub async fn bot_thresholds(&self, p: &Principal) -> AppResult<BotThresholds> {
        p.require(Permission::KnowledgeManage)?;
        let mut conn = self.store.conn().await?;
        let rows = store::list(&mut conn, &p.tenant).await?;
        let names: std::collections::HashMap<String, String> = channels::list(&mut conn, &p.tenant)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        drop(conn);
        let defaults = ThresholdSet::from_config(&self.bot.config());
        let mut tenant = None;
        let mut chans = Vec::new();
        for r in rows {
            match r.channel_id.clone() {
                None => tenant = Some(saved(r, None)),
                Some(id) => {
                    let name = names.get(&id).cloned();
                    chans.push(saved(r, name));
                }
            }
        }
        let effective = tenant
            .as_ref()
            .map_or(defaults, |t: &SavedThresholds| ThresholdSet {
                lexical: t.lexical,
                semantic: t.semantic,
            });
        Ok(BotThresholds {
            defaults,
            effective,
            tenant,
            channels: chans,
        })
    }

    /// Save the tenant's setting (`channel_id` `None`) or a channel's. The next question
    /// is decided with it.
    pub async fn set_bot_thresholds(
        &self,
        p: &Principal,
        channel_id: Option<&str>,
        set: ThresholdSet,
    ) -> AppResult<SavedThresholds> {
        p.require(Permission::KnowledgeManage)?;
        set.check()?;
        let mut tx = self.store.begin().await?;
        let channel = match channel_id {
            Some(id) => {
                let id = parse_id("channel", id)?;
                let c = channels::get(&mut tx, &p.tenant, &id)
                    .await?
                    .ok_or(AppError::NotFound("channel"))?;
                Some(c)
            }
            None => None,
        };
        let cid = channel.as_ref().map(|c| c.id.as_str());
        let before = store::list(&mut tx, &p.tenant)
            .await?
            .into_iter()
            .find(|s| s.channel_id.as_deref() == cid);
        let s = store::put(&mut tx, &p.tenant, cid, &set.values(), p.user_id.as_deref()).await?;
        audit(
            &mut tx,
            p,
            "bot.thresholds.update",
            "bot_thresholds",
            cid.or(Some("tenant")),
            before.as_ref().and_then(json),
            json(&s),
        )
        .await?;
        tx.commit().await?;
        Ok(saved(s, channel.map(|c| c.name)))
    }

    /// Remove the tenant's setting (back to the defaults) or a channel's (back to the
    /// tenant's). 404 when there is none.
    pub async fn clear_bot_thresholds(
        &self,
        p: &Principal,
        channel_id: Option<&str>,
    ) -> AppResult<()> {
        p.require(Permission::KnowledgeManage)?;
        let cid = channel_id
            .map(|id| parse_id("bot thresholds", id))
            .transpose()?;
        let mut tx = self.store.begin().await?;
        store::delete(&mut tx, &p.tenant, cid.as_deref())
            .await
            .map_err(|e| AppError::from_store("bot thresholds", e))?;
        audit(
            &mut tx,
            p,
            "bot.thresholds.delete",
            "bot_thresholds",
            cid.as_deref().or(Some("tenant")),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(la: f64, ls: f64, sa: f64, ss: f64) -> ThresholdSet {
        ThresholdSet {
            lexical: PathThresholds {
                answer: la,
                suggest: ls,
            },
            semantic: PathThresholds {
                answer: sa,
                suggest: ss,
            },
        }
    }

    fn fields(r: AppResult<()>) -> Vec<(String, &'static str)> {
        match r {
            Err(AppError::InvalidFields(e)) => e.into_iter().map(|f| (f.field, f.code)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn thresholds_are_checked_field_by_field() {
        assert!(set(0.35, 0.15, 0.5, 0.3).check().is_ok());
        assert!(set(1.0, 0.0, 1.0, 0.99).check().is_ok());
        assert_eq!(
            fields(set(0.3, 0.3, 0.5, 0.6).check()),
            [
                ("lexical.answer".to_string(), "not_above_suggest"),
                ("semantic.answer".to_string(), "not_above_suggest")
            ]
        );
        assert_eq!(
            fields(set(1.2, -0.1, 0.5, 0.3).check()),
            [
                ("lexical.answer".to_string(), "out_of_range"),
                ("lexical.suggest".to_string(), "out_of_range")
            ]
        );
    }
}

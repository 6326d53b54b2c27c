//! The bot in the app: a per-tenant matcher over the tenant's knowledge base, kept in memory
//! and updated item by item as the knowledge base changes (`index`); the bot's turn in a
//! conversation (`turn`); unmatched-question review, the decision log and agent assist
//! (`review`); and the slot where multi-turn flows plug in (`hooks`).

pub mod hooks;
pub mod index;
pub mod review;
pub mod thresholds;
pub mod turn;

pub use hooks::{BotContext, BotHooks, BotReply};
pub use index::{BotConfig, Candidate, MatchFor, Matched};
pub use thresholds::{BotThresholds, PathThresholds, SavedThresholds, ThresholdSet};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// Everything the bot keeps in memory: one index per tenant (built on first use), the
/// embedding model (loaded on first use, if its directory exists), configuration, hooks.
#[derive(Default)]
pub struct BotService {
    tenants: Mutex<HashMap<String, Arc<index::TenantIndex>>>,
    encoder: OnceLock<Option<Arc<kefu_bot::embed::Encoder>>>,
    /// Where the model lives; `None` = `<data dir>/models/e5-small` (next to the files dir).
    model_dir: RwLock<Option<PathBuf>>,
    config: RwLock<BotConfig>,
    hooks: RwLock<Option<Arc<dyn BotHooks>>>,
}

impl BotService {
    fn tenant(&self, tenant: &str) -> Arc<index::TenantIndex> {
        let mut map = self
            .tenants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(tenant.to_string()).or_default().clone()
    }

    pub fn config(&self) -> BotConfig {
        self.config
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn hooks(&self) -> Option<Arc<dyn BotHooks>> {
        self.hooks
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl crate::App {
    /// Use another model directory (an empty path switches embeddings off). Takes effect
    /// if the model has not been looked for yet (before the first question).
    pub fn with_bot_model_dir(self, dir: PathBuf) -> Self {
        self.set_bot_model_dir(dir);
        self
    }

    pub fn set_bot_model_dir(&self, dir: PathBuf) {
        *self
            .bot
            .model_dir
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(dir);
    }

    /// The default thresholds and limits of the bot (tenants and channels with a saved
    /// setting use theirs: `bot::thresholds`).
    pub fn set_bot_config(&self, c: BotConfig) {
        *self
            .bot
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = c;
    }

    /// Plug in multi-turn flows (or anything else that answers before the matcher).
    pub fn set_bot_hooks(&self, h: Arc<dyn BotHooks>) {
        *self
            .bot
            .hooks
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(h);
    }

    /// The embedding model, loaded once if its directory holds one.
    pub(crate) fn bot_encoder(&self) -> Option<Arc<kefu_bot::embed::Encoder>> {
        self.bot
            .encoder
            .get_or_init(|| {
                let dir = self
                    .bot
                    .model_dir
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone()
                    .unwrap_or_else(|| {
                        self.files_dir
                            .parent()
                            .map(|d| d.join("models").join("e5-small"))
                            .unwrap_or_default()
                    });
                if dir.as_os_str().is_empty() || !dir.join("model.safetensors").exists() {
                    tracing::info!(dir = %dir.display(), "bot: no embedding model, lexical matching only");
                    return None;
                }
                match kefu_bot::embed::Encoder::load(&dir) {
                    Ok(e) => {
                        tracing::info!(dir = %dir.display(), "bot: embedding model loaded");
                        Some(Arc::new(e))
                    }
                    Err(e) => {
                        tracing::error!(dir = %dir.display(), error = %e, "bot: model not loaded, lexical matching only");
                        None
                    }
                }
            })
            .clone()
    }
}

//! kefu's bot matcher. The matching core (tokenize, synonyms, bm25, ngram, classifier,
//! fusion, calibrate, metrics) does no I/O: it works over an in-memory knowledge base and
//! query embeddings handed to it. `embed` reads a model directory, `install` writes one, and
//! `eval` reads the evaluation files.
//!
//! ```text
//! let m = Matcher::build(items, synonyms, MatcherConfig::default(), vectors)?;
//! let t = Thresholds::default();
//! let d = decide(m.score_top(query, query_vector, t.suggestions), t);
//! ```

pub mod bench;
pub mod bm25;
pub mod calibrate;
pub mod classifier;
pub mod cluster;
pub mod embed;
pub mod emotion;
pub mod eval;
pub mod flow;
mod forward;
pub mod fusion;
pub mod install;
pub mod metrics;
pub mod ngram;
pub mod sentencepiece;
pub mod synonyms;
pub mod synth;
pub mod tokenize;
pub mod topk;

pub use calibrate::{decide, Decision, Outcome, Thresholds};
pub use emotion::{Emotion, Reading};
pub use fusion::{Item, ItemScore, Matcher, MatcherConfig, TopPath, TrainingSet};
pub use synonyms::Synonyms;

//! Which flow (if any) a visitor's message asks for, from each flow's trigger phrases.
//! A message that contains a whole trigger phrase starts that flow; otherwise the lexical
//! matcher (BM25, character and pinyin n-grams) scores the phrases like knowledge items
//! and a flow starts only at or above [`Intents::threshold`].

use crate::fusion::{Item, Matcher, MatcherConfig};
use crate::synonyms::Synonyms;
use crate::tokenize::normalize;

/// Confidence at which a paraphrase of a trigger starts a flow. Starting a flow by
/// mistake is worse than answering normally, so this is above the answer threshold.
pub const DEFAULT_THRESHOLD: f32 = 0.6;

#[derive(Clone, Debug, PartialEq)]
pub struct IntentMatch {
    pub flow_id: String,
    pub confidence: f32,
}

pub struct Intents {
    matcher: Option<Matcher>,
    /// (normalised phrase, flow id), longest phrase first.
    phrases: Vec<(String, String)>,
    pub threshold: f32,
}

impl Intents {
    /// `flows`: (flow id, trigger phrases).
    pub fn build(flows: &[(String, Vec<String>)]) -> Self {
        let mut phrases: Vec<(String, String)> = Vec::new();
        let mut items = Vec::new();
        for (id, triggers) in flows {
            let ts: Vec<String> = triggers
                .iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
            let Some((first, rest)) = ts.split_first() else {
                continue;
            };
            for t in &ts {
                phrases.push((normalize(t), id.clone()));
            }
            items.push(Item {
                id: id.clone(),
                question: first.clone(),
                similar: rest.to_vec(),
            });
        }
        phrases.sort_by_key(|p| std::cmp::Reverse(p.0.chars().count()));
        let matcher = if items.is_empty() {
            None
        } else {
            Matcher::build(items, Synonyms::default(), MatcherConfig::default(), None).ok()
        };
        Intents {
            matcher,
            phrases,
            threshold: DEFAULT_THRESHOLD,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    pub fn detect(&self, text: &str) -> Option<IntentMatch> {
        let norm = normalize(text);
        if norm.is_empty() {
            return None;
        }
        if let Some((_, id)) = self.phrases.iter().find(|(p, _)| norm.contains(p.as_str())) {
            return Some(IntentMatch {
                flow_id: id.clone(),
                confidence: 1.0,
            });
        }
        let m = self.matcher.as_ref()?;
        let best = m.score_top(text, None, 1).into_iter().next()?;
        if best.confidence < self.threshold {
            return None;
        }
        Some(IntentMatch {
            flow_id: m.item(best.item)?.id.clone(),
            confidence: best.confidence,
        })
    }
}

//! Turning a confidence into one of three outcomes — answer, "did you mean" (您是不是想问),
//! or no match (offer a human, 转人工) — with configurable thresholds, and choosing
//! thresholds from labelled data so that a given share of in-scope questions is answered.

use crate::fusion::ItemScore;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
pub struct Thresholds {
    /// At or above: answer directly.
    pub answer: f32,
    /// At or above (and below `answer`): offer the top choices.
    pub suggest: f32,
    /// How many choices a suggestion offers.
    pub suggestions: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            answer: 0.5,
            suggest: 0.3,
            suggestions: 3,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Answer { item: usize },
    Suggest { items: Vec<usize> },
    NoMatch,
}

impl Thresholds {
    /// The defaults for a matcher without embeddings: lexical confidences run lower than
    /// fused ones (see `tests/matcher.rs` and docs/benchmarks.md).
    pub const LEXICAL: Thresholds = Thresholds {
        answer: 0.35,
        suggest: 0.15,
        suggestions: 3,
    };

    /// The lowest confidence any use of a match looks at: half the "did you mean"
    /// threshold. Decisions offer nothing below `suggest`; agent assist and the decision
    /// log (near misses) go down to this floor, and the search skips everything under it.
    pub fn candidate_floor(&self) -> f32 {
        self.suggest * 0.5
    }
}

/// A decision and the scores behind it (for the decision log).
#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    pub confidence: f32,
    pub thresholds: Thresholds,
    /// The best candidates with every signal, best first.
    pub candidates: Vec<ItemScore>,
}

/// Decide from scores sorted best first (as [`crate::fusion::Matcher::score`] returns them).
pub fn decide(mut scores: Vec<ItemScore>, t: Thresholds) -> Decision {
    let keep = t.suggestions.max(1);
    scores.truncate(keep);
    let confidence = scores.first().map_or(0.0, |s| s.confidence);
    let outcome = match scores.first() {
        Some(top) if confidence >= t.answer => Outcome::Answer { item: top.item },
        Some(_) if confidence >= t.suggest => Outcome::Suggest {
            items: scores
                .iter()
                .filter(|s| s.confidence >= t.suggest)
                .map(|s| s.item)
                .collect(),
        },
        _ => Outcome::NoMatch,
    };
    Decision {
        outcome,
        confidence,
        thresholds: t,
        candidates: scores,
    }
}

/// The highest threshold at which at least `rate` of the given in-scope confidences are at
/// or above it (answered). `None` when there are no confidences.
pub fn threshold_for_answer_rate(in_scope: &[f32], rate: f64) -> Option<f32> {
    if in_scope.is_empty() {
        return None;
    }
    let mut v: Vec<f32> = in_scope.to_vec();
    v.sort_by(|a, b| b.total_cmp(a));
    let need = ((rate.clamp(0.0, 1.0) * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[need - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(item: usize, confidence: f32) -> ItemScore {
        ItemScore {
            item,
            confidence,
            ..Default::default()
        }
    }

    #[test]
    fn three_outcomes() {
        let t = Thresholds {
            answer: 0.6,
            suggest: 0.3,
            suggestions: 2,
        };
        assert_eq!(
            decide(vec![s(4, 0.9), s(1, 0.5)], t).outcome,
            Outcome::Answer { item: 4 }
        );
        assert_eq!(
            decide(vec![s(4, 0.5), s(1, 0.4), s(2, 0.35)], t).outcome,
            Outcome::Suggest { items: vec![4, 1] }
        );
        let d = decide(vec![s(4, 0.2)], t);
        assert_eq!(d.outcome, Outcome::NoMatch);
        assert_eq!(d.candidates.len(), 1, "scores are kept for the log");
        assert_eq!(decide(vec![], t).outcome, Outcome::NoMatch);
    }

    #[test]
    fn threshold_answers_the_requested_share() {
        let c = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0];
        // 90% of 10 = 9 answered → the 9th highest, 0.1
        assert_eq!(threshold_for_answer_rate(&c, 0.9), Some(0.1));
        // 95% of 10 = 9.5 → 10 answered → 0.0
        assert_eq!(threshold_for_answer_rate(&c, 0.95), Some(0.0));
        assert_eq!(threshold_for_answer_rate(&c, 0.5), Some(0.5));
        assert_eq!(threshold_for_answer_rate(&[], 0.5), None);
    }
}

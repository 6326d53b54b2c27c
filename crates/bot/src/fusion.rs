//! The matcher: an index over knowledge items (standard question + similar phrasings) that
//! scores every item for a query on several signals and fuses them into one confidence.
//!
//! Lexical signals (always): BM25 over single phrasings (best phrasing per item), BM25 over
//! each item's phrasings concatenated, character n-gram cosine (best phrasing), and — for a
//! knowledge base with Chinese — n-gram cosine of the pinyin spelling (best phrasing).
//! Semantic signals (when the index was built with embeddings): the best phrasing cosine
//! (1-NN), the mean of the item's best `knn` phrasing cosines, and the probability of a
//! logistic-regression classifier trained on the phrasings' embeddings.
//! Every signal is mapped into [0, 1]; the confidence is their weighted mean.

use crate::bm25::{Bm25, Bm25Params};
use crate::classifier::{LogReg, TrainParams};
use crate::embed::dot;
use crate::ngram::{ngrams, pinyin_form, NgramIndex};
use crate::synonyms::Synonyms;
use crate::tokenize::{is_cjk, normalize, words_of_normalized};
use serde::{Deserialize, Serialize};

/// A knowledge item as the matcher sees it.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Item {
    pub id: String,
    pub question: String,
    #[serde(default)]
    pub similar: Vec<String>,
}

/// Fusion weights and index parameters. Weights need not sum to one.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct MatcherConfig {
    pub w_bm25: f32,
    pub w_bm25_item: f32,
    pub w_ngram: f32,
    /// Pinyin n-gram cosine; only used when the knowledge base contains Chinese.
    pub w_pinyin: f32,
    pub w_cos_max: f32,
    pub w_cos_knn: f32,
    pub w_classifier: f32,
    /// Cosines at or below this count as 0 (e5 cosines of unrelated texts sit near 0.7).
    pub cos_floor: f32,
    pub knn: usize,
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
}

impl Default for MatcherConfig {
    fn default() -> Self {
        MatcherConfig {
            w_bm25: 0.15,
            w_bm25_item: 0.15,
            w_ngram: 0.1,
            w_pinyin: 0.1,
            w_cos_max: 0.2,
            w_cos_knn: 0.3,
            w_classifier: 0.5,
            cos_floor: 0.7,
            knn: 3,
            epochs: 12,
            learning_rate: 0.5,
            l2: 1e-4,
        }
    }
}

/// One item's scores for a query: each signal in [0, 1] and the fused confidence.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ItemScore {
    pub item: usize,
    pub confidence: f32,
    pub bm25: f32,
    pub bm25_item: f32,
    pub ngram: f32,
    pub pinyin: f32,
    pub cos_max: f32,
    pub cos_knn: f32,
    pub classifier: f32,
}

struct Semantic {
    /// one row per phrasing, L2-normalised
    vectors: Vec<Vec<f32>>,
    classifier: Option<LogReg>,
}

pub struct Matcher {
    cfg: MatcherConfig,
    items: Vec<Item>,
    /// phrasing → item
    owner: Vec<usize>,
    synonyms: Synonyms,
    bm25: Bm25,
    bm25_item: Bm25,
    ngram: NgramIndex,
    pinyin: Option<NgramIndex>,
    semantic: Option<Semantic>,
}

/// The texts the index is built from, in order: each item's question then its phrasings.
pub fn phrasings(items: &[Item]) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        out.push((i, it.question.as_str()));
        for s in &it.similar {
            out.push((i, s.as_str()));
        }
    }
    out
}

fn squash_cos(c: f32, floor: f32) -> f32 {
    ((c - floor) / (1.0 - floor)).clamp(0.0, 1.0)
}

impl Matcher {
    /// Build the index. `vectors`, when given, holds one embedding per entry of
    /// [`phrasings`] (same order) and switches the semantic signals on.
    pub fn build(
        items: Vec<Item>,
        synonyms: Synonyms,
        cfg: MatcherConfig,
        vectors: Option<Vec<Vec<f32>>>,
    ) -> Result<Self, String> {
        let phr = phrasings(&items);
        let owner: Vec<usize> = phr.iter().map(|p| p.0).collect();
        let norm: Vec<String> = phr
            .iter()
            .map(|p| synonyms.apply(&normalize(p.1)))
            .collect();
        let words: Vec<Vec<String>> = norm.iter().map(|n| words_of_normalized(n)).collect();
        let grams: Vec<Vec<String>> = norm.iter().map(|n| ngrams(n)).collect();
        let pinyin = if norm.iter().any(|n| n.chars().any(is_cjk)) {
            let g: Vec<Vec<String>> = norm.iter().map(|n| ngrams(&pinyin_form(n))).collect();
            Some(NgramIndex::build(&g))
        } else {
            None
        };
        let mut item_words: Vec<Vec<String>> = vec![Vec::new(); items.len()];
        for (w, &o) in words.iter().zip(&owner) {
            item_words[o].extend(w.iter().cloned());
        }
        let semantic = match vectors {
            None => None,
            Some(v) => {
                if v.len() != phr.len() {
                    return Err(format!(
                        "{} embeddings for {} phrasings",
                        v.len(),
                        phr.len()
                    ));
                }
                let classifier = if cfg.w_classifier > 0.0 && items.len() > 1 {
                    let p = TrainParams {
                        epochs: cfg.epochs,
                        learning_rate: cfg.learning_rate,
                        l2: cfg.l2,
                        ..TrainParams::default()
                    };
                    Some(LogReg::train(&v, &owner, items.len(), p)?)
                } else {
                    None
                };
                Some(Semantic {
                    vectors: v,
                    classifier,
                })
            }
        };
        Ok(Matcher {
            bm25: Bm25::build(&words, Bm25Params::default()),
            bm25_item: Bm25::build(&item_words, Bm25Params::default()),
            ngram: NgramIndex::build(&grams),
            pinyin,
            cfg,
            items,
            owner,
            synonyms,
            semantic,
        })
    }

    pub fn items(&self) -> &[Item] {
        &self.items
    }

    pub fn has_semantic(&self) -> bool {
        self.semantic.is_some()
    }

    /// Every item's scores, best first. `query_vector` is the query's embedding; without it
    /// (or without a semantic index) only the lexical weights count.
    pub fn score(&self, query: &str, query_vector: Option<&[f32]>) -> Vec<ItemScore> {
        let c = &self.cfg;
        let n = self.items.len();
        let norm = self.synonyms.apply(&normalize(query));
        let words = words_of_normalized(&norm);
        let mut out: Vec<ItemScore> = (0..n)
            .map(|i| ItemScore {
                item: i,
                ..Default::default()
            })
            .collect();
        let (s, bound) = self.bm25.score(&words);
        let bound = bound.max(1e-6);
        let g = self.ngram.score(&ngrams(&norm));
        for (p, &o) in self.owner.iter().enumerate() {
            out[o].bm25 = out[o].bm25.max(s[p] / bound);
            out[o].ngram = out[o].ngram.max(g[p]);
        }
        let (si, bi) = self.bm25_item.score(&words);
        for (o, v) in si.into_iter().enumerate() {
            out[o].bm25_item = (v / bi.max(1e-6)).min(1.0);
        }
        let mut total = c.w_bm25 + c.w_bm25_item + c.w_ngram;
        if let Some(px) = &self.pinyin {
            total += c.w_pinyin;
            let g = px.score(&ngrams(&pinyin_form(&norm)));
            for (p, &o) in self.owner.iter().enumerate() {
                out[o].pinyin = out[o].pinyin.max(g[p]);
            }
        }
        if let (Some(sem), Some(q)) = (&self.semantic, query_vector) {
            total += c.w_cos_max + c.w_cos_knn;
            let mut per_item: Vec<Vec<f32>> = vec![Vec::new(); n];
            for (v, &o) in sem.vectors.iter().zip(&self.owner) {
                per_item[o].push(dot(q, v));
            }
            for (o, cos) in per_item.iter_mut().enumerate() {
                cos.sort_by(|a, b| b.total_cmp(a));
                let k = c.knn.max(1).min(cos.len().max(1));
                let best = cos.first().copied().unwrap_or(0.0);
                let mean_k = cos.iter().take(k).sum::<f32>() / k as f32;
                out[o].cos_max = squash_cos(best, c.cos_floor);
                out[o].cos_knn = squash_cos(mean_k, c.cos_floor);
            }
            if let Some(lr) = &sem.classifier {
                total += c.w_classifier;
                for (o, p) in lr.predict(q).into_iter().enumerate() {
                    out[o].classifier = p;
                }
            }
        }
        let total = total.max(1e-6);
        for s in &mut out {
            s.confidence = (c.w_bm25 * s.bm25
                + c.w_bm25_item * s.bm25_item
                + c.w_ngram * s.ngram
                + c.w_pinyin * s.pinyin
                + c.w_cos_max * s.cos_max
                + c.w_cos_knn * s.cos_knn
                + c.w_classifier * s.classifier)
                / total;
        }
        out.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.item.cmp(&b.item))
        });
        out
    }
}

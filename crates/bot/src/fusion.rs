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

use crate::bm25::{Accum, Bm25, Bm25Params};
use crate::classifier::{LogReg, TrainParams};
use crate::embed::dot;
use crate::ivf::{dot8, Ivf};
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
    /// No classifier is trained for more items than this (training is O(phrasings × items)
    /// per epoch: hours at 100,000 items); its weight then drops out like a missing signal.
    pub classifier_max_items: usize,
    /// From this many phrasings on, the index works in "large" mode: query terms and
    /// n-grams that occur in more than `large_max_df` of the phrasings are skipped, and the
    /// semantic signals come from an IVF index probing `ivf_probe` of its lists instead of
    /// a scan of every vector. Below it every score is exact.
    pub large_from: usize,
    pub large_max_df: f32,
    pub ivf_probe: usize,
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
            classifier_max_items: 20_000,
            large_from: 50_000,
            large_max_df: 0.05,
            ivf_probe: 12,
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
    /// one row per phrasing, L2-normalised, `dim` floats each, back to back
    vectors: Vec<f32>,
    dim: usize,
    classifier: Option<LogReg>,
    /// large mode only
    ivf: Option<Ivf>,
}

pub struct Matcher {
    cfg: MatcherConfig,
    items: Vec<Item>,
    /// phrasing → item (ascending: an item's phrasings are contiguous)
    owner: Vec<usize>,
    /// item → its first phrasing; `first[n]` = number of phrasings
    first: Vec<usize>,
    /// skip terms/n-grams in more phrasings than this (usize::MAX below `large_from`)
    max_df: usize,
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
                let classifier = if cfg.w_classifier > 0.0
                    && items.len() > 1
                    && items.len() <= cfg.classifier_max_items
                {
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
                let dim = v.first().map_or(0, Vec::len);
                if v.iter().any(|x| x.len() != dim) {
                    return Err("embeddings of different lengths".into());
                }
                let mut flat = Vec::with_capacity(v.len() * dim);
                for x in v {
                    flat.extend_from_slice(&x);
                }
                let ivf = (phr.len() >= cfg.large_from && dim > 0)
                    .then(|| Ivf::build(&flat, dim, crate::ivf::lists_for(phr.len()), 0x1f));
                Some(Semantic {
                    vectors: flat,
                    dim,
                    classifier,
                    ivf,
                })
            }
        };
        let mut first = Vec::with_capacity(items.len() + 1);
        for (p, &o) in owner.iter().enumerate() {
            while first.len() <= o {
                first.push(p);
            }
        }
        while first.len() <= items.len() {
            first.push(owner.len());
        }
        let max_df = if phr.len() >= cfg.large_from {
            ((phr.len() as f32 * cfg.large_max_df) as usize).max(1)
        } else {
            usize::MAX
        };
        Ok(Matcher {
            bm25: Bm25::build(&words, Bm25Params::default()),
            bm25_item: Bm25::build(&item_words, Bm25Params::default()),
            ngram: NgramIndex::build(&grams),
            pinyin,
            cfg,
            items,
            owner,
            first,
            max_df,
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

    /// True when the index works in large mode (see [`MatcherConfig::large_from`]).
    pub fn is_large(&self) -> bool {
        self.max_df != usize::MAX
    }

    /// Every item's scores, best first. `query_vector` is the query's embedding; without it
    /// (or without a semantic index) only the lexical weights count.
    pub fn score(&self, query: &str, query_vector: Option<&[f32]>) -> Vec<ItemScore> {
        self.score_top(query, query_vector, usize::MAX)
    }

    /// The best `k` items' scores, best first — the first `k` of [`Matcher::score`]. Only
    /// items with a signal are scored: those sharing a term or n-gram with the query and,
    /// with a query vector, every item (exact mode) or the items of the vectors in the
    /// probed IVF lists (large mode). An item with no signal has confidence 0 and is listed
    /// (after the others, by index) only when fewer than `k` items have one.
    pub fn score_top(&self, query: &str, query_vector: Option<&[f32]>, k: usize) -> Vec<ItemScore> {
        let c = &self.cfg;
        let n = self.items.len();
        let norm = self.synonyms.apply(&normalize(query));
        let words = words_of_normalized(&norm);
        // item → index into `out`
        let mut slot: Vec<u32> = vec![u32::MAX; n];
        let mut out: Vec<ItemScore> = Vec::new();
        let mut at = |o: usize, out: &mut Vec<ItemScore>| -> usize {
            if slot[o] == u32::MAX {
                slot[o] = out.len() as u32;
                out.push(ItemScore {
                    item: o,
                    ..Default::default()
                });
            }
            slot[o] as usize
        };
        let np = self.owner.len();
        let mut acc = Accum::new(np);
        let bound = self
            .bm25
            .accumulate(&words, self.max_df, &mut acc)
            .max(1e-6);
        for &p in &acc.touched {
            let o = self.owner[p as usize];
            let i = at(o, &mut out);
            out[i].bm25 = out[i].bm25.max(acc.score[p as usize] / bound);
        }
        let mut acc = Accum::new(np);
        self.ngram.accumulate(&ngrams(&norm), self.max_df, &mut acc);
        for &p in &acc.touched {
            let o = self.owner[p as usize];
            let i = at(o, &mut out);
            out[i].ngram = out[i].ngram.max(acc.score[p as usize]);
        }
        let mut acc = Accum::new(n);
        let bi = self
            .bm25_item
            .accumulate(&words, self.max_df, &mut acc)
            .max(1e-6);
        for &o in &acc.touched {
            let i = at(o as usize, &mut out);
            out[i].bm25_item = (acc.score[o as usize] / bi).min(1.0);
        }
        let mut total = c.w_bm25 + c.w_bm25_item + c.w_ngram;
        if let Some(px) = &self.pinyin {
            total += c.w_pinyin;
            let mut acc = Accum::new(np);
            px.accumulate(&ngrams(&pinyin_form(&norm)), self.max_df, &mut acc);
            for &p in &acc.touched {
                let o = self.owner[p as usize];
                let i = at(o, &mut out);
                out[i].pinyin = out[i].pinyin.max(acc.score[p as usize]);
            }
        }
        if let (Some(sem), Some(q)) = (&self.semantic, query_vector) {
            total += c.w_cos_max + c.w_cos_knn;
            let d = sem.dim;
            let candidates: Vec<usize> = match &sem.ivf {
                None => (0..n).collect(),
                Some(ivf) => {
                    let mut items: Vec<usize> = ivf
                        .probe(&sem.vectors, q, c.ivf_probe)
                        .into_iter()
                        .map(|p| self.owner[p as usize])
                        .collect();
                    items.sort_unstable();
                    items.dedup();
                    items
                }
            };
            let exact = sem.ivf.is_none();
            let mut cos: Vec<f32> = Vec::new();
            for o in candidates {
                cos.clear();
                for p in self.first[o]..self.first[o + 1] {
                    let v = &sem.vectors[p * d..(p + 1) * d];
                    cos.push(if exact { dot(q, v) } else { dot8(q, v) });
                }
                cos.sort_by(|a, b| b.total_cmp(a));
                let kk = c.knn.max(1).min(cos.len().max(1));
                let best = cos.first().copied().unwrap_or(0.0);
                let mean_k = cos.iter().take(kk).sum::<f32>() / kk as f32;
                let i = at(o, &mut out);
                out[i].cos_max = squash_cos(best, c.cos_floor);
                out[i].cos_knn = squash_cos(mean_k, c.cos_floor);
            }
            if let Some(lr) = &sem.classifier {
                total += c.w_classifier;
                for (o, p) in lr.predict(q).into_iter().enumerate() {
                    let i = at(o, &mut out);
                    out[i].classifier = p;
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
        let order = |a: &ItemScore, b: &ItemScore| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.item.cmp(&b.item))
        };
        // Items with a positive confidence, best first; then every item with confidence 0
        // by index (touched or not), as a full sort by (confidence, index) would list them.
        let (mut best, zero): (Vec<ItemScore>, Vec<ItemScore>) =
            out.into_iter().partition(|s| s.confidence > 0.0);
        if k < best.len() {
            best.select_nth_unstable_by(k, order);
            best.truncate(k);
        }
        best.sort_by(order);
        if best.len() < k.min(n) {
            let mut zero_at: Vec<Option<ItemScore>> = Vec::new();
            if !zero.is_empty() {
                zero_at = vec![None; n];
                for z in zero {
                    let o = z.item;
                    zero_at[o] = Some(z);
                }
            }
            for (o, &sl) in slot.iter().enumerate() {
                if best.len() >= k {
                    break;
                }
                let touched_positive = sl != u32::MAX && zero_at.get(o).is_none_or(Option::is_none);
                if touched_positive {
                    continue;
                }
                best.push(
                    zero_at
                        .get_mut(o)
                        .and_then(Option::take)
                        .unwrap_or(ItemScore {
                            item: o,
                            ..Default::default()
                        }),
                );
            }
        }
        best
    }
}

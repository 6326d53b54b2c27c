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
//!
//! [`Matcher::score`] scores every item (dense); [`Matcher::score_top`] finds the best few
//! without scoring every phrasing (see `top.rs`) and gives the same answer.

mod lexical;
mod resolve;
mod signature;
mod sketch;
mod top;

pub use top::TopPath;

use crate::bm25::{Bm25, Bm25Params};
use crate::classifier::{LogReg, TrainParams};
use crate::embed::dot;
use crate::ngram::{ngrams, pinyin_form, NgramIndex};
use crate::synonyms::Synonyms;
use crate::tokenize::{is_cjk, normalize, words_of_normalized};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
    /// No classifier is trained for more items than this (training costs phrasings × items
    /// per epoch).
    pub classifier_max_items: usize,
    /// Up to this many phrasings, [`Matcher::score_top`] compares the query's embedding with
    /// every phrasing's (exact); above, it takes the semantic candidates from one-bit
    /// sketches of the items and scores only those exactly (approximate).
    pub semantic_exact_up_to: usize,
    /// Find each lexical signal's candidates with MaxScore over per-term bounds instead of
    /// adding up every posting (both exact; MaxScore measured slower on the benchmark).
    pub top_k_pruning: bool,
    /// Search under one bound on the fused confidence first (`fusion/lexical.rs`; with an
    /// embedding, the semantic candidates are scored first), falling back to each signal's
    /// best items when a query touches too many items (both exact). It is the faster search
    /// on the development sets and at 100,000 generated items (docs/benchmarks.md).
    pub fused_lexical_bound: bool,
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
            classifier_max_items: 20_000,
            semantic_exact_up_to: 50_000,
            top_k_pruning: false,
            fused_lexical_bound: true,
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
    /// one row per phrasing slot, L2-normalised (empty for a removed phrasing)
    vectors: Vec<Vec<f32>>,
    classifier: Option<LogReg>,
    sketch: sketch::Sketch,
}

/// An item's phrasing documents. They are always consecutive: an item's texts are indexed
/// together, at the build or by one upsert (which appends them), so a span is all a search
/// needs to find them in a posting list.
#[derive(Clone, Copy, Debug, Default)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    fn docs(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// A removed phrasing's owner.
const DEAD: u32 = u32::MAX;

/// A knowledge base's index. Items are addressed by *slot* (`ItemScore::item`); an item keeps
/// its slot across updates, and a removed item's slot stays empty until the next build.
pub struct Matcher {
    cfg: MatcherConfig,
    items: Vec<Option<Item>>,
    slot_of: HashMap<String, usize>,
    /// item slot → its phrasing documents (question first, then the similar phrasings)
    item_docs: Vec<Span>,
    /// phrasing document → item slot (`DEAD` once removed)
    owner: Vec<u32>,
    /// how many phrasings are `DEAD`
    dead: usize,
    /// item slot → which terms its documents have (`signature.rs`)
    sigs: Vec<signature::Sig>,
    synonyms: Synonyms,
    bm25: Bm25,
    bm25_item: Bm25,
    ngram: NgramIndex,
    pinyin: Option<NgramIndex>,
    semantic: Option<Semantic>,
    /// Bumped by every edit; the classifier counts only when trained at the current one.
    generation: u64,
    classifier_generation: u64,
}

/// What [`train_classifier`] needs, taken from a matcher under a short lock.
pub struct TrainingSet {
    pub vectors: Vec<Vec<f32>>,
    pub labels: Vec<usize>,
    pub classes: usize,
    pub generation: u64,
    params: TrainParams,
}

/// Train the classifier off the matcher (it takes a while on a large knowledge base); hand
/// the result to [`Matcher::install_classifier`].
pub fn train_classifier(t: &TrainingSet) -> Result<LogReg, String> {
    LogReg::train(&t.vectors, &t.labels, t.classes, t.params)
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

fn texts_of(it: &Item) -> impl Iterator<Item = &str> {
    std::iter::once(it.question.as_str()).chain(it.similar.iter().map(String::as_str))
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
        let owner: Vec<u32> = phr.iter().map(|p| p.0 as u32).collect();
        let norm: Vec<String> = phr
            .iter()
            .map(|p| synonyms.apply(&normalize(p.1)))
            .collect();
        let words: Vec<Vec<String>> = norm.iter().map(|n| words_of_normalized(n)).collect();
        let pinyin = if norm.iter().any(|n| n.chars().any(is_cjk)) {
            Some(NgramIndex::build_with(norm.len(), |d| {
                ngrams(&pinyin_form(&norm[d]))
            }))
        } else {
            None
        };
        let mut item_words: Vec<Vec<String>> = vec![Vec::new(); items.len()];
        let mut item_docs: Vec<Span> = vec![Span::default(); items.len()];
        for (d, (w, &o)) in words.iter().zip(&owner).enumerate() {
            item_words[o as usize].extend(w.iter().cloned());
            let s = &mut item_docs[o as usize];
            if s.len == 0 {
                s.start = d as u32;
            }
            s.len += 1;
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
                let mut sketch = sketch::Sketch::new(&v);
                for (slot, span) in item_docs.iter().enumerate() {
                    sketch.set(slot, span.docs().map(|d| v[d].as_slice()));
                }
                Some(Semantic {
                    vectors: v,
                    classifier: None,
                    sketch,
                })
            }
        };
        let slot_of = items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.clone(), i))
            .collect();
        let mut m = Matcher {
            bm25: Bm25::build(&words, Bm25Params::default()),
            bm25_item: Bm25::build(&item_words, Bm25Params::default()),
            ngram: NgramIndex::build_with(norm.len(), |d| ngrams(&norm[d])),
            pinyin,
            cfg,
            items: items.into_iter().map(Some).collect(),
            slot_of,
            item_docs,
            owner,
            dead: 0,
            sigs: Vec::new(),
            synonyms,
            semantic,
            generation: 0,
            classifier_generation: 0,
        };
        m.refresh_signatures();
        if let Some(t) = m.training_set() {
            let lr = train_classifier(&t)?;
            m.install_classifier(lr, t.generation);
        }
        Ok(m)
    }

    /// The item in a slot (`None` once removed).
    pub fn item(&self, slot: usize) -> Option<&Item> {
        self.items.get(slot).and_then(Option::as_ref)
    }

    /// The slot of an item id.
    pub fn slot_of(&self, id: &str) -> Option<usize> {
        self.slot_of.get(id).copied()
    }

    /// Item slots (live and removed).
    pub fn slots(&self) -> usize {
        self.items.len()
    }

    /// Live items.
    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }

    pub fn has_semantic(&self) -> bool {
        self.semantic.is_some()
    }

    /// Phrasing documents no longer in use (an owner may rebuild when these pile up).
    pub fn dead_phrasings(&self) -> usize {
        self.dead
    }

    /// Whether the classifier (if the index has one) reflects every edit.
    pub fn classifier_current(&self) -> bool {
        self.classifier_generation == self.generation
    }

    fn lexical_docs(&mut self, slot: usize, texts: &[&str], vectors: Option<Vec<Vec<f32>>>) {
        let mut item_words = Vec::new();
        let mut vectors = vectors.map(Vec::into_iter);
        let span = Span {
            start: self.owner.len() as u32,
            len: texts.len() as u32,
        };
        for t in texts {
            let norm = self.synonyms.apply(&normalize(t));
            let words = words_of_normalized(&norm);
            let d = self.bm25.push(&words);
            item_words.extend(words);
            self.ngram.push(&ngrams(&norm));
            if self.pinyin.is_none() && norm.chars().any(is_cjk) {
                self.build_pinyin();
            }
            if let Some(px) = &mut self.pinyin {
                px.push(&ngrams(&pinyin_form(&norm)));
            }
            if let Some(sem) = &mut self.semantic {
                let v = vectors
                    .as_mut()
                    .and_then(Iterator::next)
                    .unwrap_or_default();
                sem.vectors.push(v);
            }
            debug_assert_eq!(d, self.owner.len(), "the indexes number documents alike");
            self.owner.push(slot as u32);
        }
        self.bm25_item.set(slot, &item_words);
        if let Some(sem) = &mut self.semantic {
            let vectors = &sem.vectors;
            sem.sketch
                .set(slot, span.docs().map(|d| vectors[d].as_slice()));
        }
        self.item_docs[slot] = span;
        self.sigs[slot] = self.signature(slot);
    }

    /// Which terms an item's documents have, over the four lexical signals.
    fn signature(&self, slot: usize) -> signature::Sig {
        let mut sig = signature::Sig::default();
        let span = self.item_docs.get(slot).copied().unwrap_or_default();
        for d in span.docs() {
            self.bm25
                .doc_term_ids(d)
                .for_each(|t| signature::set(&mut sig, 0, self.bm25.text_key(t)));
            self.ngram
                .doc_gram_ids(d)
                .for_each(|t| signature::set(&mut sig, 1, self.ngram.text_key(t)));
            if let Some(px) = &self.pinyin {
                px.doc_gram_ids(d)
                    .for_each(|t| signature::set(&mut sig, 2, px.text_key(t)));
            }
        }
        self.bm25_item
            .doc_term_ids(slot)
            .for_each(|t| signature::set(&mut sig, 3, self.bm25_item.text_key(t)));
        sig
    }

    /// Every item's signature anew (after the build, and when the pinyin index appears).
    fn refresh_signatures(&mut self) {
        self.sigs = (0..self.items.len()).map(|s| self.signature(s)).collect();
    }

    /// The pinyin index over every phrasing so far (the first Chinese phrasing arrived).
    fn build_pinyin(&mut self) {
        let mut grams = vec![Vec::new(); self.owner.len()];
        for (slot, span) in self.item_docs.iter().enumerate() {
            if let Some(it) = self.item(slot) {
                for (d, t) in span.docs().zip(texts_of(it)) {
                    grams[d] = ngrams(&pinyin_form(&self.synonyms.apply(&normalize(t))));
                }
            }
        }
        let mut px = NgramIndex::build(&grams);
        for (d, &o) in self.owner.iter().enumerate() {
            if o == DEAD {
                px.remove(d);
            }
        }
        self.pinyin = Some(px);
        self.refresh_signatures();
    }

    fn drop_docs(&mut self, slot: usize) -> Vec<Vec<f32>> {
        let mut old = Vec::new();
        for d in std::mem::take(&mut self.item_docs[slot]).docs() {
            self.bm25.remove(d);
            self.ngram.remove(d);
            if let Some(px) = &mut self.pinyin {
                px.remove(d);
            }
            if let Some(sem) = &mut self.semantic {
                old.push(std::mem::take(&mut sem.vectors[d]));
            }
            self.owner[d] = DEAD;
            self.dead += 1;
        }
        old
    }

    /// Add an item, or replace the item with the same id, touching only its own documents.
    /// An index with embeddings needs `vectors`: one per text, question first (as
    /// [`phrasings`] orders them); an index without them ignores `vectors`.
    pub fn upsert(&mut self, item: Item, vectors: Option<Vec<Vec<f32>>>) -> Result<(), String> {
        let n = 1 + item.similar.len();
        let vectors = match (&self.semantic, vectors) {
            (None, _) => None,
            (Some(_), Some(v)) if v.len() == n => Some(v),
            (Some(_), Some(v)) => {
                return Err(format!("{} embeddings for {n} phrasings", v.len()));
            }
            (Some(_), None) => return Err("this index needs the phrasings' embeddings".into()),
        };
        let slot = match self.slot_of.get(&item.id) {
            Some(&s) => {
                self.drop_docs(s);
                s
            }
            None => {
                let s = self.items.len();
                self.items.push(None);
                self.item_docs.push(Span::default());
                self.bm25_item.push(&[]);
                self.sigs.push(signature::Sig::default());
                s
            }
        };
        let texts: Vec<String> = texts_of(&item).map(str::to_string).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        self.lexical_docs(slot, &refs, vectors);
        self.slot_of.insert(item.id.clone(), slot);
        self.items[slot] = Some(item);
        self.generation += 1;
        Ok(())
    }

    /// Remove an item by id; false if it was not there.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.slot_of.remove(id) else {
            return false;
        };
        self.drop_docs(slot);
        self.bm25_item.remove(slot);
        self.sigs[slot] = signature::Sig::default();
        if let Some(sem) = &mut self.semantic {
            sem.sketch.clear(slot);
        }
        self.items[slot] = None;
        self.generation += 1;
        true
    }

    /// Switch to another synonym dictionary, re-indexing (lexically) only the items whose
    /// texts contain a term whose rewriting changed. Returns how many were re-indexed.
    pub fn set_synonyms(&mut self, synonyms: Synonyms) -> usize {
        let changed = self.synonyms.changed_terms(&synonyms);
        self.synonyms = synonyms;
        if changed.is_empty() {
            return 0;
        }
        let affected: Vec<usize> = (0..self.items.len())
            .filter(|&s| {
                self.item(s).is_some_and(|it| {
                    texts_of(it).any(|t| {
                        let n = normalize(t);
                        changed.iter().any(|c| n.contains(c.as_str()))
                    })
                })
            })
            .collect();
        for &slot in &affected {
            let vectors = self.drop_docs(slot);
            let vectors = self.semantic.as_ref().map(|_| vectors);
            let texts: Vec<String> = self
                .item(slot)
                .map(|it| texts_of(it).map(str::to_string).collect())
                .unwrap_or_default();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            self.lexical_docs(slot, &refs, vectors);
        }
        affected.len()
    }

    /// What training the classifier needs (`None` without embeddings, with fewer than two
    /// items or more than `classifier_max_items`, or when the configuration gives it no
    /// weight).
    pub fn training_set(&self) -> Option<TrainingSet> {
        let sem = self.semantic.as_ref()?;
        if self.cfg.w_classifier <= 0.0
            || self.len() < 2
            || self.len() > self.cfg.classifier_max_items
        {
            return None;
        }
        let mut vectors = Vec::new();
        let mut labels = Vec::new();
        for (d, &o) in self.owner.iter().enumerate() {
            if o != DEAD && !sem.vectors[d].is_empty() {
                vectors.push(sem.vectors[d].clone());
                labels.push(o as usize);
            }
        }
        Some(TrainingSet {
            vectors,
            labels,
            classes: self.items.len(),
            generation: self.generation,
            params: TrainParams {
                epochs: self.cfg.epochs,
                learning_rate: self.cfg.learning_rate,
                l2: self.cfg.l2,
                ..TrainParams::default()
            },
        })
    }

    /// Put a classifier trained on [`Matcher::training_set`] in use; refused (false) when
    /// the index changed since that set was taken.
    pub fn install_classifier(&mut self, lr: LogReg, generation: u64) -> bool {
        match &mut self.semantic {
            Some(sem) if generation == self.generation => {
                sem.classifier = Some(lr);
                self.classifier_generation = generation;
                true
            }
            _ => false,
        }
    }

    /// Every item's scores, best first. `query_vector` is the query's embedding; without it
    /// (or without a semantic index) only the lexical weights count.
    pub fn score(&self, query: &str, query_vector: Option<&[f32]>) -> Vec<ItemScore> {
        let c = &self.cfg;
        let n = self.items.len();
        let dead = |o: u32| o == DEAD;
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
            if dead(o) {
                continue;
            }
            out[o as usize].bm25 = out[o as usize].bm25.max(s[p] / bound);
            out[o as usize].ngram = out[o as usize].ngram.max(g[p]);
        }
        let (si, bi) = self.bm25_item.score(&words);
        for (o, v) in si.into_iter().enumerate() {
            out[o].bm25_item = (v / bi.max(1e-6)).min(1.0);
        }
        if let Some(px) = &self.pinyin {
            let g = px.score(&ngrams(&pinyin_form(&norm)));
            for (p, &o) in self.owner.iter().enumerate() {
                if !dead(o) {
                    out[o as usize].pinyin = out[o as usize].pinyin.max(g[p]);
                }
            }
        }
        if let (Some(sem), Some(q)) = (&self.semantic, query_vector) {
            let mut per_item: Vec<Vec<f32>> = vec![Vec::new(); n];
            for (v, &o) in sem.vectors.iter().zip(&self.owner) {
                if !dead(o) && !v.is_empty() {
                    per_item[o as usize].push(dot(q, v));
                }
            }
            for (o, cos) in per_item.iter_mut().enumerate() {
                cos.sort_by(|a, b| b.total_cmp(a));
                let k = c.knn.max(1).min(cos.len().max(1));
                let best = cos.first().copied().unwrap_or(0.0);
                let mean_k = cos.iter().take(k).sum::<f32>() / k as f32;
                out[o].cos_max = squash_cos(best, c.cos_floor);
                out[o].cos_knn = squash_cos(mean_k, c.cos_floor);
            }
            if let Some(lr) = self.current_classifier() {
                for (o, p) in lr.predict(q).into_iter().enumerate() {
                    out[o].classifier = p;
                }
            }
        }
        let total = self.total_weight(query_vector.is_some());
        out.retain(|s| self.items[s.item].is_some());
        for s in &mut out {
            s.confidence = self.fuse(s, total);
        }
        out.sort_by(by_confidence);
        out
    }

    fn current_classifier(&self) -> Option<&LogReg> {
        self.semantic
            .as_ref()
            .and_then(|s| s.classifier.as_ref())
            .filter(|_| self.classifier_current())
    }

    /// The sum of the weights of the signals that count for this query.
    fn total_weight(&self, has_query_vector: bool) -> f32 {
        let c = &self.cfg;
        let mut total = c.w_bm25 + c.w_bm25_item + c.w_ngram;
        if self.pinyin.is_some() {
            total += c.w_pinyin;
        }
        if self.semantic.is_some() && has_query_vector {
            total += c.w_cos_max + c.w_cos_knn;
            if self.current_classifier().is_some() {
                total += c.w_classifier;
            }
        }
        total.max(1e-6)
    }

    /// The confidence: the weighted mean of the signals (monotone in every signal).
    fn fuse(&self, s: &ItemScore, total: f32) -> f32 {
        let c = &self.cfg;
        (c.w_bm25 * s.bm25
            + c.w_bm25_item * s.bm25_item
            + c.w_ngram * s.ngram
            + c.w_pinyin * s.pinyin
            + c.w_cos_max * s.cos_max
            + c.w_cos_knn * s.cos_knn
            + c.w_classifier * s.classifier)
            / total
    }
}

/// Best first; equal confidences by slot.
fn by_confidence(a: &ItemScore, b: &ItemScore) -> std::cmp::Ordering {
    b.confidence
        .total_cmp(&a.confidence)
        .then(a.item.cmp(&b.item))
}

#[cfg(test)]
mod top_tests;

//! The best few items for a query without scoring every phrasing.
//!
//! 1. Each lexical signal's best `n` items, exactly, by MaxScore over doc-ordered posting
//!    lists with per-term upper bounds ([`crate::topk`]): BM25 over phrasings, BM25 over
//!    items, n-gram cosine, pinyin cosine. Each also yields θ, the score no item outside its
//!    best `n` exceeds.
//! 2. Semantic candidates: up to `semantic_exact_up_to` phrasings, every phrasing's cosine
//!    (exact, θ = the n-th best item's cosine); above, the `n` items nearest by one-bit
//!    sketch (approximate). The classifier (small knowledge bases only) is dense anyway.
//! 3. The union of the candidates is scored exactly on every signal — each phrasing from
//!    its own stored terms, the same arithmetic as [`Matcher::score`] — fused and sorted.
//! 4. Certificate: an item outside every candidate set has each signal ≤ that signal's θ,
//!    so its confidence is at most the fusion of the θs (the fusion is monotone). If the
//!    k-th candidate is at or above that bound, the top k are exact; otherwise `n` grows
//!    ×4 and the search is repeated, and the dense path is the last resort.
//!
//! With a floor (`score_top_above`), only items at or above it count: a decision never
//! offers anything below half its "did you mean" threshold, and a search that knows this
//! can certify as soon as nothing left out could reach the floor. With
//! `fused_lexical_bound`, `lexical.rs` searches under one bound on the fused confidence
//! first and this search is its fallback.

use super::lexical::{Fused, SemanticPart, Tuning, TUNING};
use super::{by_confidence, squash_cos, ItemScore, Matcher, DEAD};
use crate::bm25::Bm25Query;
use crate::calibrate::Thresholds;
use crate::embed::dot;
use crate::ngram::{ngrams, pinyin_form, NgramQuery};
use crate::tokenize::{normalize, words_of_normalized};
use crate::topk::{accumulate_groups, top_groups, Lists, TopGroups};

/// One lexical signal's best `n` groups: MaxScore when pruning is configured, else every
/// posting added up (both exact; see `topk.rs`).
fn groups<L: Lists>(
    pruning: bool,
    l: &L,
    n: usize,
    docs: usize,
    g: impl Fn(u32) -> u32,
) -> TopGroups {
    if pruning {
        top_groups(l, n, g)
    } else {
        accumulate_groups(l, n, docs, g)
    }
}

/// How a [`Matcher::score_top_where`] answer was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopPath {
    /// Candidates certified exact after this many rounds (1 = the first `n`).
    Certified { rounds: u32 },
    /// The lexical part is certified; the semantic candidates came from the item sketches
    /// (knowledge bases above `semantic_exact_up_to` phrasings), so an item whose phrasings
    /// are near the query but whose sketch is not could be missed.
    SketchSemantic { rounds: u32 },
    /// The bound never came under the k-th candidate: every item was scored.
    Dense,
    /// Exact by one bound on the fused confidence (`lexical.rs`), not by per-signal
    /// candidates. With an embedding, the semantic candidates were scored first; `sketch`
    /// says they came from the item sketches (approximate, as in `SketchSemantic`).
    Fused { sketch: bool },
}

/// What a search must find exactly: the best `k` items at or above `floor`, or, once an
/// item at or above `answer` is found, only the best one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Want {
    pub(crate) k: usize,
    pub(crate) floor: f32,
    /// `f32::INFINITY` for a plain top-`k` search.
    pub(crate) answer: f32,
}

impl Want {
    /// θ, the confidence an item must beat to count, given the exactly scored items found
    /// so far (best first): the `k`-th's (the floor until there are `k`), or the first's
    /// once it reaches `answer`. It never falls as items are found, which the pruning
    /// needs.
    pub(crate) fn theta(&self, found: &[ItemScore]) -> f32 {
        let kth = match found.get(self.k.max(1) - 1) {
            Some(s) => s.confidence.max(self.floor),
            None => self.floor,
        };
        match found.first() {
            Some(top) if top.confidence >= self.answer => kth.max(top.confidence),
            _ => kth,
        }
    }

    /// Whether `found` (best first, exactly scored) is the answer once nothing left out can
    /// score above `limit`.
    fn certified(&self, found: &[ItemScore], limit: f32) -> bool {
        match found.get(self.k.max(1) - 1) {
            _ if limit < self.floor || limit <= 0.0 => true,
            Some(kth) if kth.confidence >= limit => true,
            _ => found
                .first()
                .is_some_and(|top| top.confidence >= self.answer && top.confidence >= limit),
        }
    }
}

/// The first round's candidates per signal.
const FIRST_N: usize = 32;

pub(super) struct Query {
    pub(super) bm25: Bm25Query,
    pub(super) bm25_item: Bm25Query,
    pub(super) ngram: NgramQuery,
    pub(super) pinyin: Option<NgramQuery>,
}

impl Matcher {
    /// The best `k` items with a positive confidence, best first (equal confidences by
    /// slot): the first `k` of [`Matcher::score`] without the zero-confidence tail.
    pub fn score_top(&self, query: &str, query_vector: Option<&[f32]>, k: usize) -> Vec<ItemScore> {
        self.score_top_where(query, query_vector, k, |_| true).0
    }

    /// [`Matcher::score_top`] among the items for which `keep(slot)` holds, and how the
    /// answer was found. Items tied with the k-th at exactly its confidence may be left
    /// out for one of them with a higher slot (the dense order breaks ties by slot).
    pub fn score_top_where(
        &self,
        query: &str,
        query_vector: Option<&[f32]>,
        k: usize,
        keep: impl Fn(usize) -> bool,
    ) -> (Vec<ItemScore>, TopPath) {
        self.score_top_above(query, query_vector, k, 0.0, keep)
    }

    /// [`Matcher::score_top_where`] among the items whose confidence is at least `floor`:
    /// what a decision needs, since nothing below the "did you mean" threshold is ever
    /// offered. A higher floor lets the search skip more (no answer changes: the result is
    /// the same as the unfloored one with the items below `floor` removed).
    pub fn score_top_above(
        &self,
        query: &str,
        query_vector: Option<&[f32]>,
        k: usize,
        floor: f32,
        keep: impl Fn(usize) -> bool,
    ) -> (Vec<ItemScore>, TopPath) {
        let want = Want {
            k: k.max(1),
            floor,
            answer: f32::INFINITY,
        };
        self.top_search(query, query_vector, want, keep, FIRST_N.max(4 * k))
    }

    /// What a decision needs ([`crate::calibrate::decide`]), and no more: the best item at
    /// or above `t.suggest` and, when it is below `t.answer`, the best `t.suggestions` at or
    /// above `t.suggest` (the "did you mean" choices). Once an item at or above `t.answer`
    /// is found only the best counts, so the items after the first are then some of those
    /// scored on the way (each exactly), not necessarily the runners-up; the decision is
    /// the same as on [`Matcher::score_top_above`]'s answer. The bot answers with this; it
    /// skips far more than a search for the best few down to the candidate floor.
    pub fn score_answer(
        &self,
        query: &str,
        query_vector: Option<&[f32]>,
        t: &Thresholds,
        keep: impl Fn(usize) -> bool,
    ) -> (Vec<ItemScore>, TopPath) {
        let k = t.suggestions.max(1);
        let want = Want {
            k,
            floor: t.suggest,
            answer: t.answer,
        };
        self.top_search(query, query_vector, want, keep, FIRST_N.max(4 * k))
    }

    /// The search itself; `first_n` is the first round's candidates per signal (tests
    /// start small to exercise the certificate and the rounds).
    pub(crate) fn top_search(
        &self,
        query: &str,
        query_vector: Option<&[f32]>,
        want: Want,
        keep: impl Fn(usize) -> bool,
        first_n: usize,
    ) -> (Vec<ItemScore>, TopPath) {
        let (k, floor) = (want.k.max(1), want.floor);
        let norm = self.synonyms.apply(&normalize(query));
        let words = words_of_normalized(&norm);
        let q = Query {
            bm25: self.bm25.query(&words),
            bm25_item: self.bm25_item.query(&words),
            ngram: self.ngram.query(&ngrams(&norm)),
            pinyin: self
                .pinyin
                .as_ref()
                .map(|px| px.query(&ngrams(&pinyin_form(&norm)))),
        };
        let qv = query_vector.filter(|_| self.semantic.is_some());
        let total = self.total_weight(query_vector.is_some());
        let live_phrasings = self.owner.len() - self.dead_phrasings();
        let sketch_mode = qv.is_some() && live_phrasings > self.cfg.semantic_exact_up_to;
        // Per-item semantic keys, computed once: the exact best cosine, or minus the
        // sketch distance.
        let sem_keys: Vec<(u32, f32)> = match (qv, &self.semantic) {
            (Some(v), Some(sem)) if sketch_mode => sem
                .sketch
                .distances(v)
                .into_iter()
                .map(|(i, d)| (i, -(d as f32)))
                .collect(),
            (Some(v), Some(sem)) => self.best_cosines(v, &sem.vectors),
            _ => Vec::new(),
        };
        let classifier: Vec<(u32, f32)> = match (qv, self.current_classifier()) {
            (Some(v), Some(lr)) => lr
                .predict(v)
                .into_iter()
                .enumerate()
                .filter(|(i, _)| self.items.get(*i).is_some_and(Option::is_some))
                .map(|(i, p)| (i as u32, p))
                .collect(),
            _ => Vec::new(),
        };
        if self.cfg.fused_lexical_bound {
            // tests start with a tiny `first_n`: then prune hard here too
            let tuning = if first_n < FIRST_N {
                Tuning {
                    first_refresh: first_n,
                    scan_ratio: first_n / 2,
                    // and give up on the fused search now and then
                    touched_budget: if first_n == 1 { 4 } else { usize::MAX },
                    // both ways of deciding the last candidates, and the signature bound
                    // with and without common terms
                    direct_up_to: if first_n.is_multiple_of(2) { 0 } else { 4 },
                    common_share: first_n,
                }
            } else {
                TUNING
            };
            let live = self.len();
            let mut n = first_n.max(1);
            loop {
                let semantic = qv.map(|v| {
                    let (sem_seeds, t_cos) = best_n(&sem_keys, n);
                    let mut seeds: Vec<u32> = sem_seeds.collect();
                    let (clf_seeds, t_clf) = best_n(&classifier, n);
                    seeds.extend(clf_seeds);
                    seeds.sort_unstable();
                    seeds.dedup();
                    SemanticPart {
                        qv: v,
                        classifier: &classifier,
                        seeds,
                        theta_cos: (!sketch_mode).then(|| squash_cos(t_cos, self.cfg.cos_floor)),
                        theta_classifier: t_clf,
                    }
                });
                match self.fused_top(&q, want, &keep, total, tuning, semantic) {
                    Fused::Done(top) => {
                        return (
                            top,
                            TopPath::Fused {
                                sketch: sketch_mode,
                            },
                        )
                    }
                    Fused::MoreSeeds if 4 * n < live / 8 => n *= 4,
                    // the per-signal search below, with its own rounds and last resort
                    Fused::MoreSeeds | Fused::TooCostly => break,
                }
            }
        }
        let live = self.len();
        let pruning = self.cfg.top_k_pruning;
        let mut n = first_n.max(1);
        let mut rounds = 0;
        loop {
            rounds += 1;
            let mut cand: Vec<u32> = Vec::new();
            let mut theta = ItemScore::default();
            let owner = |d: u32| self.owner[d as usize];
            let bound = q.bm25.bound.max(1e-6);
            let (c, t) = groups(
                pruning,
                &self.bm25.lists(&q.bm25),
                n,
                self.owner.len(),
                owner,
            )
            .finish();
            cand.extend(c.iter().map(|x| x.0));
            theta.bm25 = t / bound;
            let bi = q.bm25_item.bound.max(1e-6);
            let (c, t) = groups(
                pruning,
                &self.bm25_item.lists(&q.bm25_item),
                n,
                self.items.len(),
                |d| d,
            )
            .finish();
            cand.extend(c.iter().map(|x| x.0));
            theta.bm25_item = (t / bi).min(1.0);
            let (c, t) = groups(
                pruning,
                &self.ngram.lists(&q.ngram),
                n,
                self.owner.len(),
                owner,
            )
            .finish();
            cand.extend(c.iter().map(|x| x.0));
            theta.ngram = t;
            if let (Some(px), Some(pq)) = (&self.pinyin, &q.pinyin) {
                let (c, t) = groups(pruning, &px.lists(pq), n, self.owner.len(), owner).finish();
                cand.extend(c.iter().map(|x| x.0));
                theta.pinyin = t;
            }
            let (c, t) = best_n(&sem_keys, n);
            let sem_cand: Vec<u32> = c.collect();
            cand.extend(&sem_cand);
            if !sketch_mode {
                theta.cos_max = squash_cos(t, self.cfg.cos_floor);
                theta.cos_knn = theta.cos_max;
            }
            let (c, t) = best_n(&classifier, n);
            cand.extend(c);
            theta.classifier = t;
            cand.sort_unstable();
            cand.dedup();
            let mut scored: Vec<ItemScore> = cand
                .iter()
                .map(|&i| i as usize)
                .filter(|&i| self.items.get(i).is_some_and(Option::is_some) && keep(i))
                .map(|i| self.rescore(i, &q, qv, &classifier, total))
                .collect();
            if sketch_mode {
                // the sketch gives no bound: take the weakest semantic candidate's cosine
                // (`scored` is in slot order here)
                let weakest = sem_cand
                    .iter()
                    .filter_map(|&i| {
                        let at = scored.binary_search_by_key(&(i as usize), |s| s.item);
                        at.ok().map(|at| scored[at].cos_max)
                    })
                    .fold(f32::INFINITY, f32::min);
                if weakest.is_finite() {
                    theta.cos_max = weakest;
                    theta.cos_knn = weakest;
                }
            }
            scored.sort_by(by_confidence);
            scored.retain(|s| s.confidence > 0.0 && s.confidence >= floor);
            scored.truncate(k);
            let limit = self.fuse(&theta, total);
            if want.certified(&scored, limit) {
                let path = if sketch_mode {
                    TopPath::SketchSemantic { rounds }
                } else {
                    TopPath::Certified { rounds }
                };
                return (scored, path);
            }
            n *= 4;
            if n >= live / 8 {
                break;
            }
        }
        let mut all = self.score(query, query_vector);
        all.retain(|s| s.confidence > 0.0 && s.confidence >= floor && keep(s.item));
        all.truncate(k);
        (all, TopPath::Dense)
    }

    /// Every item's best phrasing cosine (items with vectors only), in document order.
    fn best_cosines(&self, q: &[f32], vectors: &[Vec<f32>]) -> Vec<(u32, f32)> {
        let mut out: Vec<(u32, f32)> = Vec::new();
        for (v, &o) in vectors.iter().zip(&self.owner) {
            if o == DEAD || v.is_empty() {
                continue;
            }
            let c = dot(q, v);
            match out.last_mut() {
                Some(last) if last.0 == o => last.1 = last.1.max(c),
                _ => out.push((o, c)),
            }
        }
        // one entry per item: an item's phrasings are consecutive documents (`Span`); the
        // order is by document, which `best_n` does not need to be by slot
        out
    }

    /// Ask for what [`Matcher::rescore`] will read of `item` (lexical signals): first the
    /// spans of its documents' term lists, then (`lists`) the lists.
    #[inline]
    pub(super) fn prefetch_item(&self, item: usize, lists: bool) {
        let Some(span) = self.item_docs.get(item) else {
            return;
        };
        let docs = span.docs();
        self.bm25.prefetch_docs(docs.clone(), lists);
        self.ngram.prefetch_docs(docs.clone(), lists);
        if let Some(px) = &self.pinyin {
            px.prefetch_docs(docs, lists);
        }
        self.bm25_item.prefetch_docs(item..item + 1, lists);
    }

    /// One item on every signal, with the same arithmetic as [`Matcher::score`].
    pub(super) fn rescore(
        &self,
        item: usize,
        q: &Query,
        qv: Option<&[f32]>,
        classifier: &[(u32, f32)],
        total: f32,
    ) -> ItemScore {
        let c = &self.cfg;
        let mut s = ItemScore {
            item,
            ..Default::default()
        };
        let bound = q.bm25.bound.max(1e-6);
        for d in self.item_docs[item].docs() {
            s.bm25 = s.bm25.max(self.bm25.doc_score(&q.bm25, d) / bound);
            s.ngram = s.ngram.max(self.ngram.doc_score(&q.ngram, d));
            if let (Some(px), Some(pq)) = (&self.pinyin, &q.pinyin) {
                s.pinyin = s.pinyin.max(px.doc_score(pq, d));
            }
        }
        let bi = q.bm25_item.bound.max(1e-6);
        s.bm25_item = (self.bm25_item.doc_score(&q.bm25_item, item) / bi).min(1.0);
        if let (Some(sem), Some(v)) = (&self.semantic, qv) {
            let mut cos: Vec<f32> = self.item_docs[item]
                .docs()
                .map(|d| &sem.vectors[d])
                .filter(|x| !x.is_empty())
                .map(|x| dot(v, x))
                .collect();
            cos.sort_by(|a, b| b.total_cmp(a));
            let k = c.knn.max(1).min(cos.len().max(1));
            let best = cos.first().copied().unwrap_or(0.0);
            let mean_k = cos.iter().take(k).sum::<f32>() / k as f32;
            s.cos_max = squash_cos(best, c.cos_floor);
            s.cos_knn = squash_cos(mean_k, c.cos_floor);
            if let Ok(i) = classifier.binary_search_by_key(&(item as u32), |x| x.0) {
                s.classifier = classifier[i].1;
            }
        }
        s.confidence = self.fuse(&s, total);
        s
    }
}

/// The `n` keys' items with the highest values and the value no other item exceeds (the
/// n-th best, or −∞ → 0 after squashing when there are at most `n`).
fn best_n(keys: &[(u32, f32)], n: usize) -> (impl Iterator<Item = u32> + '_, f32) {
    if keys.len() <= n {
        return (
            Box::new(keys.iter().map(|x| x.0)) as Box<dyn Iterator<Item = u32>>,
            0.0,
        );
    }
    let mut vals: Vec<f32> = keys.iter().map(|x| x.1).collect();
    let (_, nth, _) = vals.select_nth_unstable_by(n - 1, |a, b| b.total_cmp(a));
    let nth = *nth;
    // everything above the n-th, and as many equal to it as fit
    let above = keys.iter().filter(|x| x.1 > nth).count();
    let mut equal_room = n - above;
    let it = keys.iter().filter_map(move |x| {
        if x.1 > nth {
            Some(x.0)
        } else if x.1 == nth && equal_room > 0 {
            equal_room -= 1;
            Some(x.0)
        } else {
            None
        }
    });
    (Box::new(it) as Box<dyn Iterator<Item = u32>>, nth)
}

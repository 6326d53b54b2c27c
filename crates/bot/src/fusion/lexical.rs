//! The best few items of a lexical-only query (no query embedding) under one fused bound.
//!
//! The per-signal search in `top.rs` finds each signal's best `n` items and then certifies
//! their union; on a large, repetitive knowledge base that means adding up every posting of
//! every signal, because each signal on its own has thousands of near-ties. Here the lists of
//! all four lexical signals (BM25 per phrasing and per item, n-gram and pinyin cosine) are one
//! pool, each scaled into confidence units (the signal's weight over the total, BM25 also over
//! the query's bound), and the pruning threshold is the k-th best *confidence* — far above
//! any single signal's n-th best:
//!
//! 1. Lists are added up term-at-a-time into per-thread accumulators, the most selective
//!    first (highest bound per posting: rare terms, which is where the best items are).
//! 2. Now and then the items with the best partial sums are scored exactly (the same
//!    `rescore` as the certified path), which raises θ, the k-th best confidence found.
//! 3. An item in none of the lists added so far scores at most `rest`, the sum of the
//!    remaining lists' bounds; once `rest ≤ θ` the remaining (common) lists are skipped.
//! 4. Every item touched so far scores at most, per signal, its best phrasing's partial sum
//!    plus the signal's remaining bounds; those above θ are scored exactly, best bound first,
//!    until the next bound is not above θ. While that would mean many exact scores, more
//!    lists are added up first (each tightens every touched item's bound).
//!
//! Off by default (`MatcherConfig::fused_lexical_bound`): on the benchmark (docs/benchmarks.md
//! "Bot at scale") it is no faster than the per-signal search. Step 3 is cheap — with the
//! final θ known, 10,000–660,000 of a query's 0.5–6.6 million postings (a few percent for
//! in-scope queries, up to a quarter for out-of-scope ones) come before `rest ≤ θ` — but at that point `rest` is almost θ, so nearly every touched item's bound is
//! above θ, and step 4 ends up adding most of the remaining lists. What would help is a
//! per-item bound on the remaining lists that is much tighter than the sum of their
//! whole-list maxima (the knowledge base's phrasings share template words, so a phrasing
//! contains only some of the common n-grams the sum assumes).
//!
//! Exact for the same reasons as MaxScore (contributions are non-negative and each list's
//! bound is valid after removals, see `bm25.rs` / `ngram.rs`); float rounding is covered by
//! widening every bound by [`SLACK`].

use super::top::Query;
use super::{by_confidence, ItemScore, Matcher};
use crate::topk::Lists;
use std::cell::RefCell;

/// Widening of bounds against float rounding (partial sums are added in another order than
/// the exact scores).
const SLACK: f32 = 1.0 + 1e-5;
const ABS_SLACK: f32 = 1e-7;

/// Items scored exactly at each refresh of θ (beyond the `k` needed).
const PROBE: usize = 8;

/// When the search pays for itself: how many postings (then at every doubling) before θ
/// is first raised, and what scoring one item exactly costs in postings added up. Tests use
/// small values so that the pruning, not only the exhaustive tail, decides on small
/// knowledge bases.
#[derive(Clone, Copy)]
pub(super) struct Tuning {
    pub(super) first_refresh: usize,
    pub(super) rescore_cost: usize,
}

/// Measured roughly on the benchmark (one exact item score ≈ 1,000 postings).
pub(super) const TUNING: Tuning = Tuning {
    first_refresh: 1024,
    rescore_cost: 1000,
};

/// Phrasing-level signals accumulated per document (BM25, n-gram, pinyin); BM25 over items
/// is accumulated per item.
const DOC_SIGNALS: usize = 3;
const ITEM_SIGNAL: usize = 3;

#[derive(Clone, Copy, Default)]
struct DocAcc {
    /// The query this entry belongs to: entries of earlier queries count as zero, so the
    /// arrays are never cleared.
    epoch: u32,
    s: [f32; DOC_SIGNALS],
}

#[derive(Clone, Copy, Default)]
struct ItemAcc {
    epoch: u32,
    /// per signal, the best phrasing's partial sum (BM25 over items: the item's own)
    s: [f32; 4],
    /// scored exactly in this query
    done: bool,
}

#[derive(Default)]
struct Scratch {
    epoch: u32,
    docs: Vec<DocAcc>,
    items: Vec<ItemAcc>,
    touched_docs: Vec<u32>,
    touched_items: Vec<u32>,
}

impl Scratch {
    fn begin(&mut self, num_docs: usize, num_items: usize) {
        if self.docs.len() < num_docs {
            self.docs.resize(num_docs, DocAcc::default());
        }
        if self.items.len() < num_items {
            self.items.resize(num_items, ItemAcc::default());
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // after 2^32 queries: start the stamps over
            self.docs.iter_mut().for_each(|d| d.epoch = 0);
            self.items.iter_mut().for_each(|i| i.epoch = 0);
            self.epoch = 1;
        }
        self.touched_docs.clear();
        self.touched_items.clear();
    }

    #[inline]
    fn item(&mut self, i: u32) -> &mut ItemAcc {
        let e = self.epoch;
        let a = &mut self.items[i as usize];
        if a.epoch != e {
            *a = ItemAcc {
                epoch: e,
                ..ItemAcc::default()
            };
            self.touched_items.push(i);
        }
        a
    }

    /// Add one phrasing-level list (`signal` < 3), scaled into confidence units, keeping
    /// each touched item's best phrasing per signal up to date as it goes.
    fn add_doc_list<L: Lists>(
        &mut self,
        l: &L,
        t: usize,
        signal: usize,
        scale: f32,
        owner: &[usize],
    ) {
        let e = self.epoch;
        for (pos, &d) in l.docs(t).iter().enumerate() {
            let a = &mut self.docs[d as usize];
            if a.epoch != e {
                *a = DocAcc {
                    epoch: e,
                    s: [0.0; DOC_SIGNALS],
                };
                self.touched_docs.push(d);
            }
            a.s[signal] += scale * l.score(t, pos);
            let v = a.s[signal];
            let it = self.item(owner[d as usize] as u32);
            it.s[signal] = it.s[signal].max(v);
        }
    }

    /// Add one list of BM25 over items.
    fn add_item_list<L: Lists>(&mut self, l: &L, t: usize, scale: f32) {
        for (pos, &i) in l.docs(t).iter().enumerate() {
            let c = scale * l.score(t, pos);
            self.item(i).s[ITEM_SIGNAL] += c;
        }
    }
}

/// One list of the pool: which signal, which term of it, its bound in confidence units.
struct Entry {
    signal: usize,
    term: usize,
    bound: f32,
    len: usize,
}

/// The best `k` exactly scored items (best first) and θ, the k-th confidence (0 until `k`
/// items with a positive confidence are in).
struct Best {
    k: usize,
    items: Vec<ItemScore>,
}

impl Best {
    fn theta(&self) -> f32 {
        if self.items.len() < self.k {
            0.0
        } else {
            self.items[self.k - 1].confidence
        }
    }
    fn offer(&mut self, s: ItemScore) {
        if s.confidence <= 0.0 || (self.items.len() >= self.k && s.confidence < self.theta()) {
            return;
        }
        let at = self.items.partition_point(|x| by_confidence(x, &s).is_lt());
        self.items.insert(at, s);
        self.items.truncate(self.k);
    }
}

/// The touched items not yet scored exactly whose bound (partial sums plus `rest`) is above
/// `theta`, with that bound.
fn candidates(sc: &Scratch, rest: &[f32; 4], theta: f32) -> Vec<(f32, u32)> {
    let mut cand = Vec::new();
    for &i in &sc.touched_items {
        let a = &sc.items[i as usize];
        if a.done {
            continue;
        }
        let ub = bound_sum(&[
            a.s[0] + rest[0],
            a.s[1] + rest[1],
            a.s[2] + rest[2],
            a.s[3] + rest[3],
        ]);
        if ub > theta {
            cand.push((ub, i));
        }
    }
    cand
}

/// A sum of bounds, widened against rounding.
fn bound_sum(r: &[f32; 4]) -> f32 {
    (r[0] + r[1] + r[2] + r[3]) * SLACK + ABS_SLACK
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Matcher {
    /// The best `k` items among those `keep` accepts, for a query without an embedding.
    pub(super) fn lexical_top(
        &self,
        q: &Query,
        k: usize,
        keep: &impl Fn(usize) -> bool,
        total: f32,
        tuning: Tuning,
    ) -> Vec<ItemScore> {
        let c = &self.cfg;
        let bm25 = self.bm25.lists(&q.bm25);
        let bm25_item = self.bm25_item.lists(&q.bm25_item);
        let ngram = self.ngram.lists(&q.ngram);
        let pinyin = match (&self.pinyin, &q.pinyin) {
            (Some(px), Some(pq)) => Some(px.lists(pq)),
            _ => None,
        };
        // confidence units: weight / total, BM25 also over the query's bound
        let scale = [
            c.w_bm25 / total / q.bm25.bound.max(1e-6),
            c.w_ngram / total,
            c.w_pinyin / total,
            c.w_bm25_item / total / q.bm25_item.bound.max(1e-6),
        ];
        let mut pool: Vec<Entry> = Vec::new();
        let mut add = |signal: usize,
                       terms: usize,
                       len: &dyn Fn(usize) -> usize,
                       ub: &dyn Fn(usize) -> f32| {
            for t in 0..terms {
                let bound = scale[signal] * ub(t) * SLACK;
                if len(t) > 0 && bound > 0.0 {
                    pool.push(Entry {
                        signal,
                        term: t,
                        bound,
                        len: len(t),
                    });
                }
            }
        };
        add(0, bm25.terms(), &|t| bm25.docs(t).len(), &|t| {
            bm25.upper_bound(t)
        });
        add(1, ngram.terms(), &|t| ngram.docs(t).len(), &|t| {
            ngram.upper_bound(t)
        });
        if let Some(p) = &pinyin {
            add(2, p.terms(), &|t| p.docs(t).len(), &|t| p.upper_bound(t));
        }
        add(3, bm25_item.terms(), &|t| bm25_item.docs(t).len(), &|t| {
            bm25_item.upper_bound(t)
        });
        // most selective first: the highest bound per posting
        pool.sort_by(|a, b| {
            (b.bound / b.len as f32)
                .total_cmp(&(a.bound / a.len as f32))
                .then(a.term.cmp(&b.term))
        });
        // rest[i]: per signal, the bounds of pool[i..] (suffix sums, not running
        // subtraction, so that no rounding makes them too small)
        let mut rest = vec![[0f32; 4]; pool.len() + 1];
        for i in (0..pool.len()).rev() {
            rest[i] = rest[i + 1];
            rest[i][pool[i].signal] += pool[i].bound;
        }

        let mut best = Best {
            k,
            items: Vec::with_capacity(k + 1),
        };
        let owner = &self.owner;
        let live_item = |i: usize| self.items.get(i).is_some_and(Option::is_some) && keep(i);
        let exact = |i: u32, acc: &mut ItemAcc, best: &mut Best| {
            acc.done = true;
            if live_item(i as usize) {
                best.offer(self.rescore(i as usize, q, None, &[], total));
            }
        };
        let add_list = |sc: &mut Scratch, e: &Entry| match e.signal {
            0 => sc.add_doc_list(&bm25, e.term, 0, scale[0], owner),
            1 => sc.add_doc_list(&ngram, e.term, 1, scale[1], owner),
            2 => {
                if let Some(p) = &pinyin {
                    sc.add_doc_list(p, e.term, 2, scale[2], owner);
                }
            }
            _ => sc.add_item_list(&bm25_item, e.term, scale[3]),
        };
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let sc = &mut *guard;
            sc.begin(self.owner.len(), self.items.len());
            let mut next = 0;
            let mut added = 0usize;
            let mut refresh_at = tuning.first_refresh;
            // 1. the selective lists, until an item in none of them cannot reach θ
            while next < pool.len() && bound_sum(&rest[next]) > best.theta() {
                add_list(sc, &pool[next]);
                added += pool[next].len;
                next += 1;
                if added >= refresh_at && next < pool.len() {
                    // raise θ: score exactly the items with the best partial sums
                    refresh_at = 2 * added;
                    let mut lead: Vec<(f32, u32)> = sc
                        .touched_items
                        .iter()
                        .map(|&i| (sc.items[i as usize], i))
                        .filter(|(a, _)| !a.done)
                        .map(|(a, i)| (a.s.iter().sum::<f32>(), i))
                        .collect();
                    let m = (k + PROBE).min(lead.len());
                    if m > 0 && m < lead.len() {
                        lead.select_nth_unstable_by(m - 1, |a, b| b.0.total_cmp(&a.0));
                    }
                    for &(_, i) in &lead[..m] {
                        let mut a = sc.items[i as usize];
                        exact(i, &mut a, &mut best);
                        sc.items[i as usize] = a;
                    }
                }
            }
            // 2. the touched items whose bound (partial sums plus the remaining lists) is
            // above θ must be scored exactly; while there are many of them, adding up more
            // lists (which tightens every bound) is cheaper
            let mut cand = candidates(sc, &rest[next], best.theta());
            while next < pool.len() && cand.len() * tuning.rescore_cost > pool[next].len {
                // enough lists that folding them into the items again is paid for
                let step = sc.touched_items.len();
                let mut done = 0;
                while next < pool.len() && (done == 0 || done < step) {
                    add_list(sc, &pool[next]);
                    done += pool[next].len;
                    next += 1;
                }
                cand = candidates(sc, &rest[next], best.theta());
            }
            cand.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            for (ub, i) in cand {
                if ub <= best.theta() {
                    break;
                }
                let mut a = sc.items[i as usize];
                exact(i, &mut a, &mut best);
                sc.items[i as usize] = a;
            }
        });
        best.items
    }
}

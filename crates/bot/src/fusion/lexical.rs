//! The best few items of a query under one bound on the fused confidence.
//!
//! The per-signal search in `top.rs` finds each signal's best `n` items and then certifies
//! their union; on a large, repetitive knowledge base that means adding up every posting of
//! every signal, because each signal on its own has thousands of near-ties. Here the lists of
//! all four lexical signals (BM25 per phrasing and per item, n-gram and pinyin cosine) are one
//! pool, each scaled into confidence units (the signal's weight over the total, BM25 also over
//! the query's bound), and the pruning threshold is the k-th best *confidence* (never below
//! the caller's floor; for the answer search, the best's once it is high enough to answer,
//! `top::Want`) — far above any single signal's n-th best:
//!
//! 0. With a query embedding, the semantic candidates (and the classifier's) are scored
//!    exactly first; every other item's semantic signals are at most the bound they leave
//!    (`extra`), which is added to every bound below.
//! 1. Lists are added up term-at-a-time into per-thread accumulators, the most selective
//!    first (highest bound per posting: rare terms, which is where the best items are).
//! 2. Now and then the items with the best partial sums are scored exactly (the same
//!    `rescore` as the certified path), which raises θ, the k-th best confidence found.
//! 3. An item in none of the lists added so far scores at most what the remaining lists
//!    can add; once that is ≤ θ the remaining (common) lists add no new candidates.
//! 4. The touched items whose bound is still above θ are bounded again by the remaining
//!    terms they have, read off their signatures (`signature.rs`): most in-scope
//!    candidates share a rare word with the query and little else, and drop out here. At
//!    most `Tuning::direct_up_to` left are scored exactly, best bound first (without a
//!    query embedding one signal at a time, until the candidate cannot beat θ); more are
//!    decided by looking them up in the remaining lists, largest bound first, instead of
//!    adding those lists up (`resolve.rs`); each list a candidate is absent from takes that
//!    list's bound off its own. The few left above θ after every list are scored exactly,
//!    best bound first.
//!
//! What remaining lists can add is, per signal, the sum of their bounds, capped twice: no
//! signal exceeds its weight (every signal is in [0, 1]), and the n-gram and pinyin cosines
//! add at most the norm of the remaining query weights (Cauchy–Schwarz against a unit
//! document vector), which is far below the sum of per-term bounds when a query has dozens
//! of n-grams. That cap is what lets a query on a large, repetitive knowledge base settle
//! on a few thousand candidates.
//!
//! On by default (`MatcherConfig::fused_lexical_bound`). If the selective lists touch more
//! than `Tuning::touched_budget` items, the search gives up and the caller takes the
//! per-signal search. Measured in docs/benchmarks.md ("Bot at scale").
//!
//! Exact for the same reasons as MaxScore (contributions are non-negative and each list's
//! bound is valid after removals, see `bm25.rs` / `ngram.rs`); float rounding is covered by
//! widening every bound by [`SLACK`].

use super::resolve::{Cand, Pass, PassCtx, PassScratch};
use super::signature::{self, Rest, RestBuffers, RestTerm};
use super::top::{Query, Want};
use super::{by_confidence, ItemScore, Matcher};
use crate::topk::Lists;
use std::cell::RefCell;

/// Widening of bounds against float rounding (partial sums are added in another order than
/// the exact scores).
const SLACK: f32 = 1.0 + 1e-5;
const ABS_SLACK: f32 = 1e-7;

/// How many candidates ahead the signature walk asks for a signature (a few misses in
/// flight at once).
const PREFETCH_AHEAD: usize = 8;

/// How many postings ahead a list's accumulators are asked for.
const POSTINGS_AHEAD: usize = 16;

/// Items scored exactly at each refresh of θ (beyond the `k` needed).
const PROBE: usize = 8;

/// When the search pays for itself: how many postings (then at every doubling) before θ
/// is first raised; how much longer than the candidates a remaining list may be and still
/// be scanned whole rather than searched per candidate (a scan reads a posting in a few
/// nanoseconds, a search costs a few cache misses); and how many touched items are too
/// many (`Fused::TooCostly`: the per-signal search then runs). Tests use small values so
/// that the pruning, not only the exhaustive tail, decides on small knowledge bases.
#[derive(Clone, Copy)]
pub(super) struct Tuning {
    pub(super) first_refresh: usize,
    pub(super) scan_ratio: usize,
    pub(super) touched_budget: usize,
    /// Up to this many candidates left after the signature bound are scored exactly
    /// instead of being looked up in the remaining lists.
    pub(super) direct_up_to: usize,
    /// A remaining term in more than 1 of this many documents (items, for BM25 over items)
    /// is taken as present in every item by the signature bound (`signature.rs`).
    pub(super) common_share: usize,
}

/// Measured roughly on the benchmark (100,000 items: a query touches 2,000–40,000 items
/// before no untouched one can reach θ).
pub(super) const TUNING: Tuning = Tuning {
    first_refresh: 1024,
    scan_ratio: 16,
    touched_budget: 1 << 16,
    direct_up_to: 4096,
    common_share: 8,
};

/// How a fused search ended.
pub(super) enum Fused {
    Done(Vec<ItemScore>),
    /// The semantic bound on the items outside the seeds stayed above θ.
    MoreSeeds,
    /// More items were touched than `Tuning::touched_budget`.
    TooCostly,
}

/// Phrasing-level signals accumulated per document (BM25, n-gram, pinyin); BM25 over items
/// is accumulated per item.
const DOC_SIGNALS: usize = 3;
const ITEM_SIGNAL: usize = 3;

#[derive(Clone, Copy, Default)]
struct DocAcc {
    /// The query this entry belongs to: entries of earlier queries count as zero, so the
    /// arrays are never cleared.
    epoch: u32,
    s: f32,
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
    /// per phrasing-level signal: each document's partial sum (separate arrays: a list
    /// touches one signal, and the array it touches is a third of the size)
    docs: [Vec<DocAcc>; DOC_SIGNALS],
    items: Vec<ItemAcc>,
    /// how many items this query touched, and which (a bitmap, walked in slot order)
    touched: usize,
    touched_bits: Vec<u64>,
    pass: PassScratch,
    /// buffers of one query, kept for the next (a large knowledge base's are hundreds of
    /// kilobytes, and allocating them anew each query showed in the profile)
    lead: Vec<(f32, u32)>,
    cands: Vec<Cand>,
    by_bound: Vec<Bounded>,
    rest_buffers: RestBuffers,
}

/// A candidate to score exactly, with its bound and what each lexical signal adds to it at
/// most (confidence units).
#[derive(Clone, Copy)]
struct Bounded {
    bound: f32,
    item: u32,
    parts: [f32; 4],
}

impl Scratch {
    fn begin(&mut self, num_docs: usize, num_items: usize) {
        for docs in &mut self.docs {
            if docs.len() < num_docs {
                docs.resize(num_docs, DocAcc::default());
            }
        }
        if self.items.len() < num_items {
            self.items.resize(num_items, ItemAcc::default());
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // after 2^32 queries: start the stamps over
            self.docs.iter_mut().flatten().for_each(|d| d.epoch = 0);
            self.items.iter_mut().for_each(|i| i.epoch = 0);
            self.epoch = 1;
        }
        self.touched = 0;
        self.touched_bits.clear();
        self.touched_bits.resize(num_items.div_ceil(64), 0);
    }

    /// The touched items in slot order.
    fn touched_in_order(&self) -> impl Iterator<Item = u32> + '_ {
        self.touched_bits.iter().enumerate().flat_map(|(w, &bits)| {
            let mut b = bits;
            std::iter::from_fn(move || {
                (b != 0).then(|| {
                    let i = b.trailing_zeros();
                    b &= b - 1;
                    (w * 64) as u32 + i
                })
            })
        })
    }

    /// The touched items not scored exactly yet, with their accumulators, in slot order.
    fn pending(&self) -> impl Iterator<Item = (ItemAcc, u32)> + '_ {
        self.touched_in_order()
            .map(|i| (self.items[i as usize], i))
            .filter(|(a, _)| !a.done)
    }

    #[inline]
    fn item(&mut self, i: u32) -> &mut ItemAcc {
        touch(
            &mut self.items,
            &mut self.touched,
            &mut self.touched_bits,
            self.epoch,
            i,
        )
    }

    /// Add one phrasing-level list (`signal` < 3), scaled into confidence units, keeping
    /// each touched item's best phrasing per signal up to date as it goes.
    fn add_doc_list<L: Lists>(
        &mut self,
        l: &L,
        t: usize,
        signal: usize,
        scale: f32,
        owner: &[u32],
    ) {
        let e = self.epoch;
        let (docs, items) = (&mut self.docs[signal], &mut self.items);
        let (touched, bits) = (&mut self.touched, &mut self.touched_bits);
        // a long list's accumulators are random writes: ask for those a few postings ahead
        let ids = l.docs(t);
        let mut at = 0;
        l.for_each_posting(t, |d, s| {
            if let Some(&ahead) = ids.get(at + POSTINGS_AHEAD) {
                let ahead = ahead as usize;
                if let (Some(a), Some(&i)) = (docs.get(ahead), owner.get(ahead)) {
                    crate::forward::prefetch(a);
                    if let Some(it) = items.get(i as usize) {
                        crate::forward::prefetch(it);
                    }
                }
            }
            at += 1;
            let a = &mut docs[d as usize];
            if a.epoch != e {
                *a = DocAcc { epoch: e, s: 0.0 };
            }
            a.s += scale * s;
            let v = a.s;
            let it = touch(items, touched, bits, e, owner[d as usize]);
            it.s[signal] = it.s[signal].max(v);
        });
    }

    /// Add one list of BM25 over items.
    fn add_item_list<L: Lists>(&mut self, l: &L, t: usize, scale: f32) {
        l.for_each_posting(t, |i, s| {
            self.item(i).s[ITEM_SIGNAL] += scale * s;
        });
    }
}

/// An item's accumulator, reset (and the item noted as touched) on its first use in this
/// query.
#[inline]
fn touch<'a>(
    items: &'a mut [ItemAcc],
    touched: &mut usize,
    bits: &mut [u64],
    epoch: u32,
    i: u32,
) -> &'a mut ItemAcc {
    let a = &mut items[i as usize];
    if a.epoch != epoch {
        *a = ItemAcc {
            epoch,
            ..ItemAcc::default()
        };
        *touched += 1;
        bits[i as usize / 64] |= 1 << (i % 64);
    }
    a
}

/// One list of the pool: which signal, which term of it, its bound in confidence units.
struct Entry {
    signal: usize,
    term: usize,
    /// the term's key in the item signatures (`signature::bit`)
    id: u32,
    bound: f32,
    len: usize,
    /// For the cosine signals, the square of the term's query weight in confidence units
    /// (∞ for BM25: no cap from norms).
    qn2: f32,
}

/// Best bound first; equal bounds by slot.
fn by_bound_order(a: &Bounded, b: &Bounded) -> std::cmp::Ordering {
    b.bound.total_cmp(&a.bound).then(a.item.cmp(&b.item))
}

/// What the lists from each position of `order` on can still add to an item, per signal:
/// the sum of their bounds and, for a cosine signal, at most the norm of their query
/// weights (Cauchy–Schwarz against a unit document vector) — sums of suffixes, not a
/// running subtraction, so that no rounding makes them too small.
fn tails<'a>(
    mut out: Vec<[f32; 4]>,
    order: impl DoubleEndedIterator<Item = &'a Entry> + ExactSizeIterator,
) -> Vec<[f32; 4]> {
    let n = order.len();
    out.clear();
    out.resize(n + 1, [0f32; 4]);
    let (mut sum, mut sq) = ([0f32; 4], [0f32; 4]);
    for (i, e) in order.enumerate().rev() {
        sum[e.signal] += e.bound;
        sq[e.signal] += e.qn2;
        for s in 0..4 {
            out[i][s] = sum[s].min(sq[s].sqrt() * SLACK);
        }
    }
    out
}

/// The semantic side of a query with an embedding: the items to score exactly before
/// anything else (its semantic and classifier candidates), and what bounds the semantic
/// signals of every other item.
pub(super) struct SemanticPart<'a> {
    pub(super) qv: &'a [f32],
    /// every live item's classifier probability, by slot (empty without a classifier)
    pub(super) classifier: &'a [(u32, f32)],
    pub(super) seeds: Vec<u32>,
    /// The squashed cosine no item outside `seeds` exceeds; `None` when the seeds came
    /// from sketches (no bound: the weakest seed's cosine is taken, as `top.rs` does).
    pub(super) theta_cos: Option<f32>,
    /// The probability no item outside `seeds` exceeds.
    pub(super) theta_classifier: f32,
}

/// The best `k` exactly scored items (best first) and θ ([`Want::theta`]).
struct Best {
    want: Want,
    items: Vec<ItemScore>,
}

impl Best {
    fn theta(&self) -> f32 {
        self.want.theta(&self.items)
    }
    fn offer(&mut self, s: ItemScore) {
        if s.confidence <= 0.0
            || s.confidence < self.want.floor
            || (self.items.len() >= self.want.k && s.confidence < self.theta())
        {
            return;
        }
        let at = self.items.partition_point(|x| by_confidence(x, &s).is_lt());
        self.items.insert(at, s);
        self.items.truncate(self.want.k);
    }
}

/// A bound on the lexical part of a confidence: per signal what is known plus what the
/// remaining lists can add, at most the signal's whole weight (every signal is in [0, 1]),
/// summed and widened against rounding.
#[inline]
fn bound_sum(known: &[f32; 4], rest: &[f32; 4], cap: &[f32; 4]) -> f32 {
    widen(bound_parts(known, rest, cap).iter().sum())
}

#[inline]
fn bound_parts(known: &[f32; 4], rest: &[f32; 4], cap: &[f32; 4]) -> [f32; 4] {
    std::array::from_fn(|s| (known[s] + rest[s]).min(cap[s]))
}

#[inline]
fn widen(b: f32) -> f32 {
    b * SLACK + ABS_SLACK
}

impl Matcher {
    /// Score exactly, in order, the items of `by_bound` (best bound first) until the next
    /// bound is not above θ. The items' term lists are random reads: each is asked for a
    /// few items ahead (its span first, then the lists the span points to).
    fn exact_in_order(
        &self,
        sc: &mut Scratch,
        by_bound: &[Bounded],
        best: &mut Best,
        exact: &impl Fn(&mut Scratch, &Bounded, &mut Best),
    ) {
        for (j, c) in by_bound.iter().enumerate() {
            if c.bound <= best.theta() {
                break;
            }
            if let Some(far) = by_bound.get(j + 2 * PREFETCH_AHEAD) {
                self.prefetch_item(far.item as usize, false);
            }
            if let Some(near) = by_bound.get(j + PREFETCH_AHEAD) {
                self.prefetch_item(near.item as usize, true);
            }
            exact(sc, c, best);
        }
    }

    /// An item's exact lexical score (the same numbers as [`Matcher::rescore`] gives
    /// without a query embedding), or `None` as soon as the signals computed so far with
    /// the bounds of the others (`parts`) show that it cannot beat `theta`.
    ///
    /// One signal at a time, each replacing its bound: BM25 over the item first (one
    /// document: cheap), then the pinyin cosine (the loosest bound: the remaining n-grams
    /// an item has are taken as its whole document vector), BM25, the n-gram cosine.
    /// Measured on a near-tie of 2,000 candidates (`你是机器人吗` at 100,000 items), a
    /// dozen needed every signal; scoring all four for each candidate that survived the
    /// cosines alone did twice the work.
    fn lexical_unless_below(
        &self,
        item: usize,
        q: &Query,
        parts: &[f32; 4],
        theta: f32,
        total: f32,
    ) -> Option<ItemScore> {
        let c = &self.cfg;
        let mut parts = *parts;
        let mut s = ItemScore {
            item,
            ..Default::default()
        };
        let mut settle = |signal: usize, weight: f32, value: f32| {
            parts[signal] = parts[signal].min(weight * value / total);
            widen(parts.iter().sum()) > theta
        };
        let bi = q.bm25_item.bound.max(1e-6);
        s.bm25_item = (self.bm25_item.doc_score(&q.bm25_item, item) / bi).min(1.0);
        if !settle(ITEM_SIGNAL, c.w_bm25_item, s.bm25_item) {
            return None;
        }
        let docs = self.item_docs[item].docs();
        if let (Some(px), Some(pq)) = (&self.pinyin, &q.pinyin) {
            s.pinyin = docs
                .clone()
                .map(|d| px.doc_score(pq, d))
                .fold(0.0, f32::max);
            if !settle(2, c.w_pinyin, s.pinyin) {
                return None;
            }
        }
        let bound = q.bm25.bound.max(1e-6);
        s.bm25 = docs
            .clone()
            .map(|d| self.bm25.doc_score(&q.bm25, d) / bound)
            .fold(0.0, f32::max);
        if !settle(0, c.w_bm25, s.bm25) {
            return None;
        }
        s.ngram = docs
            .map(|d| self.ngram.doc_score(&q.ngram, d))
            .fold(0.0, f32::max);
        if !settle(1, c.w_ngram, s.ngram) {
            return None;
        }
        s.confidence = self.fuse(&s, total);
        Some(s)
    }
}

/// Per-query vectors of the fused search that live outside its scratch (see `fused_top`).
#[derive(Default)]
struct Buffers {
    pool: Vec<Entry>,
    rest: Vec<[f32; 4]>,
    rem: Vec<usize>,
    tail: Vec<[f32; 4]>,
}

thread_local! {
    static BUFFERS: RefCell<Buffers> = RefCell::new(Buffers::default());
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Matcher {
    /// The items `want` asks for among those `keep` accepts.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fused_top(
        &self,
        q: &Query,
        want: Want,
        keep: &impl Fn(usize) -> bool,
        total: f32,
        tuning: Tuning,
        semantic: Option<SemanticPart<'_>>,
    ) -> Fused {
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
        // every signal is in [0, 1]: at most its weight in confidence units
        let cap = [
            c.w_bm25 / total,
            c.w_ngram / total,
            c.w_pinyin / total,
            c.w_bm25_item / total,
        ]
        .map(|x| x * SLACK);
        // the query's buffers, kept for the next query: a few kilobytes each, and any
        // allocation over 1 KiB makes malloc consolidate the many small blocks the query's
        // n-grams left (measured at a third of a cheap query's time)
        let mut bufs = BUFFERS.with(|b| std::mem::take(&mut *b.borrow_mut()));
        let mut pool = std::mem::take(&mut bufs.pool);
        pool.clear();
        // a term's key in the item signatures: its text's
        let sig_key = |signal: usize, id: u32| match (signal, &self.pinyin) {
            (0, _) => self.bm25.text_key(id),
            (1, _) => self.ngram.text_key(id),
            (2, Some(px)) => px.text_key(id),
            (3, _) => self.bm25_item.text_key(id),
            _ => id,
        };
        let mut add = |signal: usize, l: &dyn Lists| {
            for t in 0..l.terms() {
                let bound = scale[signal] * l.upper_bound(t) * SLACK;
                let len = l.docs(t).len();
                let qn2 = l
                    .query_weight(t)
                    .map_or(f32::INFINITY, |w| (scale[signal] * w).powi(2));
                if len > 0 && bound > 0.0 {
                    pool.push(Entry {
                        signal,
                        term: t,
                        id: sig_key(signal, l.term_id(t)),
                        bound,
                        len,
                        qn2,
                    });
                }
            }
        };
        add(0, &bm25);
        add(1, &ngram);
        if let Some(p) = &pinyin {
            add(2, p);
        }
        add(3, &bm25_item);
        // most selective first: the highest bound per posting
        pool.sort_by(|a, b| {
            (b.bound / b.len as f32)
                .total_cmp(&(a.bound / a.len as f32))
                .then(a.term.cmp(&b.term))
        });
        // rest[i]: per signal, what the lists pool[i..] can add
        let rest = tails(std::mem::take(&mut bufs.rest), pool.iter());
        let nothing = [0f32; 4];

        let k = want.k;
        let mut best = Best {
            want,
            items: Vec::with_capacity(k + 1),
        };
        let owner = &self.owner;
        let live_item = |i: usize| self.items.get(i).is_some_and(Option::is_some) && keep(i);
        let (qv, classifier) = match &semantic {
            Some(s) => (Some(s.qv), s.classifier),
            None => (None, &[][..]),
        };
        // score an item exactly (once); its best phrasing cosine, ∞ if it does not count
        let exact = |sc: &mut Scratch, i: u32, best: &mut Best| {
            sc.item(i).done = true;
            if live_item(i as usize) {
                let s = self.rescore(i as usize, q, qv, classifier, total);
                let cos = s.cos_max;
                best.offer(s);
                return cos;
            }
            f32::INFINITY
        };
        // raise θ: score exactly the touched items with the best partial sums (the likely
        // answers)
        let probe = |sc: &mut Scratch, best: &mut Best| {
            let mut lead = std::mem::take(&mut sc.lead);
            lead.clear();
            lead.extend(sc.pending().map(|(a, i)| (a.s.iter().sum::<f32>(), i)));
            let m = (k + PROBE).min(lead.len());
            if m > 0 && m < lead.len() {
                lead.select_nth_unstable_by(m - 1, |a, b| b.0.total_cmp(&a.0));
            }
            for &(_, i) in &lead[..m] {
                exact(sc, i, best);
            }
            sc.lead = lead;
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
        let searched = SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let sc = &mut *guard;
            sc.begin(self.owner.len(), self.items.len());
            // 0. the semantic candidates, exactly; every other item's semantic signals are
            // bounded by the weakest of them (or the exact θ)
            let mut extra = 0.0;
            if let Some(sem) = &semantic {
                let mut weakest = f32::INFINITY;
                for &i in &sem.seeds {
                    weakest = weakest.min(exact(sc, i, &mut best));
                }
                let cos = match sem.theta_cos {
                    Some(t) => t,
                    None if weakest.is_finite() => weakest,
                    None => 0.0,
                };
                extra = ((c.w_cos_max + c.w_cos_knn) * cos + c.w_classifier * sem.theta_classifier)
                    / total
                    * SLACK;
            }
            let mut next = 0;
            let mut added = 0usize;
            let mut refresh_at = tuning.first_refresh;
            // 1. the selective lists, until an item in none of them cannot reach θ
            while next < pool.len() && bound_sum(&nothing, &rest[next], &cap) + extra > best.theta()
            {
                add_list(sc, &pool[next]);
                added += pool[next].len;
                next += 1;
                if sc.touched > tuning.touched_budget {
                    return Err(Fused::TooCostly);
                }
                if added >= refresh_at && next < pool.len() {
                    refresh_at = 2 * added;
                    probe(sc, &mut best);
                }
            }
            // 2. the touched items whose bound is above θ: the remaining lists are looked up
            // for them, largest bound first (`resolve.rs`), and the few still above θ after
            // that are scored exactly
            let mut rem = std::mem::take(&mut bufs.rem);
            rem.clear();
            rem.extend(next..pool.len());
            rem.sort_by(|&a, &b| pool[b].bound.total_cmp(&pool[a].bound).then(a.cmp(&b)));
            let tail = tails(
                std::mem::take(&mut bufs.tail),
                rem.iter().map(|&e| &pool[e]),
            );
            let ub = |known: &[f32; 4], j: usize| bound_sum(known, &tail[j], &cap) + extra;
            // what the remaining lists can add to an item, by the terms it has
            let common = |signal: usize| {
                let n = if signal == ITEM_SIGNAL {
                    self.items.len()
                } else {
                    self.owner.len()
                };
                n / tuning.common_share.max(1)
            };
            let sig_rest = Rest::new(
                std::mem::take(&mut sc.rest_buffers),
                rem.iter().map(|&e| {
                    let e = &pool[e];
                    RestTerm {
                        signal: e.signal,
                        id: e.id,
                        bound: e.bound,
                        qn2: e.qn2,
                        common: e.len > common(e.signal),
                    }
                }),
            );
            let sig_parts = |c: &Cand| {
                bound_parts(
                    &c.known,
                    &sig_rest.of(&self.sigs[c.item as usize], SLACK),
                    &cap,
                )
            };
            // Without a query embedding, a candidate is scored one signal at a time and
            // dropped as soon as the signals so far rule it out.
            let exact_bounded = |sc: &mut Scratch, c: &Bounded, best: &mut Best| {
                let i = c.item;
                if semantic.is_some() {
                    exact(sc, i, best);
                    return;
                }
                sc.item(i).done = true;
                if !live_item(i as usize) {
                    return;
                }
                let scored =
                    self.lexical_unless_below(i as usize, q, &c.parts, best.theta(), total);
                if let Some(s) = scored {
                    best.offer(s);
                }
            };
            if sc.touched > k + PROBE {
                probe(sc, &mut best);
            }
            let theta = best.theta();
            let mut cands = std::mem::take(&mut sc.cands);
            cands.clear();
            cands.extend(
                sc.pending()
                    .map(|(a, i)| Cand {
                        item: i,
                        known: a.s,
                    })
                    .filter(|c| ub(&c.known, 0) > theta),
            );
            // The signatures are random reads in a large array: ask for the ones a few
            // candidates ahead while bounding this one, so the misses overlap.
            let mut by_bound = std::mem::take(&mut sc.by_bound);
            by_bound.clear();
            let mut kept = 0;
            for j in 0..cands.len() {
                if let Some(ahead) = cands.get(j + PREFETCH_AHEAD) {
                    signature::prefetch(&self.sigs[ahead.item as usize]);
                }
                let parts = sig_parts(&cands[j]);
                let bound = widen(parts.iter().sum()) + extra;
                if bound > theta {
                    by_bound.push(Bounded {
                        bound,
                        item: cands[j].item,
                        parts,
                    });
                    cands[kept] = cands[j];
                    kept += 1;
                }
            }
            cands.truncate(kept);
            // A few candidates are scored exactly, best bound first: cheaper than looking
            // each up in every remaining list (a cold search in a long list each).
            if cands.len() <= tuning.direct_up_to {
                by_bound.sort_unstable_by(by_bound_order);
                self.exact_in_order(sc, &by_bound, &mut best, &exact_bounded);
                cands.clear();
            }
            for (j, &e) in rem.iter().enumerate() {
                if cands.is_empty() {
                    break;
                }
                let e = &pool[e];
                let ctx = PassCtx {
                    owner,
                    item_docs: &self.item_docs,
                    scan: e.len <= tuning.scan_ratio * cands.len(),
                };
                let (t, ps) = (e.term, &mut sc.pass);
                match e.signal {
                    0 => ctx.pass(&bm25, t, 0, scale[0], Pass::Docs, &mut cands, ps),
                    1 => ctx.pass(&ngram, t, 1, scale[1], Pass::Docs, &mut cands, ps),
                    2 => {
                        if let Some(p) = &pinyin {
                            ctx.pass(p, t, 2, scale[2], Pass::Docs, &mut cands, ps);
                        }
                    }
                    _ => ctx.pass(&bm25_item, t, 3, scale[3], Pass::Items, &mut cands, ps),
                }
                let theta = best.theta();
                cands.retain(|c| ub(&c.known, j + 1) > theta);
            }
            let last = rem.len();
            by_bound.clear();
            by_bound.extend(cands.iter().map(|c| {
                let parts = bound_parts(&c.known, &tail[last], &cap);
                Bounded {
                    bound: widen(parts.iter().sum()) + extra,
                    item: c.item,
                    parts,
                }
            }));
            by_bound.sort_unstable_by(by_bound_order);
            self.exact_in_order(sc, &by_bound, &mut best, &exact_bounded);
            sc.cands = cands;
            sc.by_bound = by_bound;
            sc.rest_buffers = sig_rest.into_buffers();
            bufs.rem = rem;
            bufs.tail = tail;
            // An item in none of the lists added has no lexical score: it counts only if
            // its semantic part (at most `extra`) could beat θ.
            let untouched = bound_sum(&nothing, &rest[next], &cap) + extra;
            if extra <= 0.0 || untouched <= best.theta() {
                Ok(())
            } else {
                Err(Fused::MoreSeeds)
            }
        });
        bufs.pool = pool;
        bufs.rest = rest;
        BUFFERS.with(|b| *b.borrow_mut() = bufs);
        match searched {
            Ok(()) => Fused::Done(best.items),
            Err(e) => e,
        }
    }
}

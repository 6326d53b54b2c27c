//! Exact top-N over posting lists with per-term score upper bounds (MaxScore, Turtle & Flood
//! 1995), grouped: a document's score counts for its *group* (the item owning a phrasing),
//! and a group scores the maximum of its documents. Used by [`crate::fusion::Matcher`] to
//! find each lexical signal's best items without scoring every phrasing.
//!
//! The result is exact: every group left out scores at most the returned threshold (the
//! N-th best group score, 0 when fewer than N groups score at all).
//!
//! [`accumulate_groups`] gives the same result without bounds, by adding up every posting
//! (term-at-a-time, into a reused per-thread array). On the benchmark's knowledge base it
//! is the faster of the two (docs/benchmarks.md "Bot at scale"): the per-term bounds are
//! loose there, so MaxScore still visits most documents at a higher cost per document.
//! MaxScore is kept behind `MatcherConfig::top_k_pruning` as the base for block-max bounds.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// A query's posting lists: each term's documents in ascending order, the term's score
/// contribution at a position of its list, and an upper bound of that contribution.
pub trait Lists {
    /// How many terms (lists).
    fn terms(&self) -> usize;
    fn docs(&self, t: usize) -> &[u32];
    fn upper_bound(&self, t: usize) -> f32;
    fn score(&self, t: usize, pos: usize) -> f32;
    /// A document's whole score (from its own terms).
    fn doc_score(&self, d: u32) -> f32;
    /// Term `t`'s id in its index (the same for every query; see `fusion/signature.rs`).
    fn term_id(&self, t: usize) -> u32;
    /// For a cosine (a unit query vector against unit document vectors): the query's
    /// weight of term `t`. Then the terms in any set add at most the norm of their query
    /// weights to a document's score (Cauchy–Schwarz), often far less than their bounds.
    fn query_weight(&self, _t: usize) -> Option<f32> {
        None
    }
    /// `f(document, contribution)` for every posting of term `t` in list order: the same
    /// numbers as `docs` and `score` give, in one loop over the list's arrays (adding up
    /// postings is most of a query's time on a large knowledge base).
    fn for_each_posting(&self, t: usize, mut f: impl FnMut(u32, f32))
    where
        Self: Sized,
    {
        for (pos, &d) in self.docs(t).iter().enumerate() {
            f(d, self.score(t, pos));
        }
    }
}

/// Documents scored whole before the traversal, from the lists with the highest bounds (the
/// rarest terms: the likely best documents), to start the threshold high.
const SEED_TERMS: usize = 3;
const SEED_DOCS: usize = 256;

/// Float rounding: a document's score summed in another order may exceed the sum of its
/// terms' bounds by an ulp or two; bounds are widened by this factor before pruning.
const SLACK: f32 = 1.0 + 1e-5;

/// A total order on scores for the heap.
#[derive(Clone, Copy)]
struct Score(f32);
impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The best `n` groups seen so far, each at its best score.
pub struct TopGroups {
    n: usize,
    best: HashMap<u32, f32>,
    /// min-heap of (score, group); entries whose score is no longer the group's best are
    /// stale and skipped
    heap: BinaryHeap<Reverse<(Score, u32)>>,
}

impl TopGroups {
    pub fn new(n: usize) -> Self {
        TopGroups {
            n: n.max(1),
            best: HashMap::with_capacity(2 * n),
            heap: BinaryHeap::with_capacity(2 * n),
        }
    }

    fn clean(&mut self) {
        while let Some(Reverse((Score(s), g))) = self.heap.peek().copied() {
            if self.best.get(&g) == Some(&s) {
                break;
            }
            self.heap.pop();
        }
    }

    /// The score a group must beat to enter (−∞ while fewer than `n` are in).
    pub fn threshold(&self) -> f32 {
        if self.best.len() < self.n {
            return f32::NEG_INFINITY;
        }
        self.heap.peek().map_or(f32::NEG_INFINITY, |r| (r.0).0 .0)
    }

    pub fn offer(&mut self, g: u32, s: f32) {
        if s <= self.threshold() {
            return;
        }
        match self.best.get(&g) {
            Some(&old) if old >= s => return,
            _ => {}
        }
        self.best.insert(g, s);
        self.heap.push(Reverse((Score(s), g)));
        self.clean();
        if self.best.len() > self.n {
            if let Some(Reverse((_, g))) = self.heap.pop() {
                self.best.remove(&g);
            }
            self.clean();
        }
    }

    /// The groups in, and the score every group left out is at or below: the N-th best
    /// score, or 0 when fewer than N groups scored (scores are never negative).
    pub fn finish(self) -> (Vec<(u32, f32)>, f32) {
        let theta = self.threshold().max(0.0);
        (self.best.into_iter().collect(), theta)
    }
}

/// Find the best `n` groups (`group` maps a document to its group) by the group's maximum
/// document score, where a document's score is the sum of its terms' contributions.
/// Documents must have non-negative contributions.
pub fn top_groups<L: Lists>(lists: &L, n: usize, group: impl Fn(u32) -> u32) -> TopGroups {
    let mut top = TopGroups::new(n);
    let m = lists.terms();
    seed(lists, &mut top, &group);
    // terms by ascending upper bound; prefix[i] = bound of terms order[0..=i]
    let mut order: Vec<usize> = (0..m).filter(|&t| !lists.docs(t).is_empty()).collect();
    let ub: Vec<f32> = (0..m).map(|t| lists.upper_bound(t) * SLACK).collect();
    order.sort_by(|&a, &b| ub[a].total_cmp(&ub[b]));
    let mut prefix = Vec::with_capacity(order.len());
    let mut acc = 0f32;
    for &t in &order {
        acc += ub[t];
        prefix.push(acc * SLACK);
    }
    let docs: Vec<&[u32]> = (0..m).map(|t| lists.docs(t)).collect();
    let mut pos = vec![0usize; m];
    // order[..essential] are non-essential: together they cannot lift a document above
    // the threshold, so only documents in some essential list are candidates
    let mut essential = 0;
    let mut cur_group = u32::MAX;
    let mut cur_best = f32::NEG_INFINITY;
    let mut theta = top.threshold();
    loop {
        while essential < order.len() && prefix[essential] <= theta {
            essential += 1;
        }
        if essential == order.len() {
            break;
        }
        // the next candidate: the smallest current document among essential lists
        let mut d = u32::MAX;
        for &t in &order[essential..] {
            if let Some(&x) = docs[t].get(pos[t]) {
                d = d.min(x);
            }
        }
        if d == u32::MAX {
            break;
        }
        let mut s = 0f32;
        for &t in &order[essential..] {
            if docs[t].get(pos[t]) == Some(&d) {
                s += lists.score(t, pos[t]);
                pos[t] += 1;
            }
        }
        let mut alive = true;
        for i in (0..essential).rev() {
            if s + prefix[i] <= theta {
                alive = false;
                break;
            }
            let t = order[i];
            let p = advance(docs[t], pos[t], d);
            pos[t] = p;
            if docs[t].get(p) == Some(&d) {
                s += lists.score(t, p);
            }
        }
        if !alive {
            continue;
        }
        let g = group(d);
        if g != cur_group {
            if cur_group != u32::MAX {
                top.offer(cur_group, cur_best);
                theta = top.threshold();
            }
            cur_group = g;
            cur_best = s;
        } else {
            cur_best = cur_best.max(s);
        }
    }
    if cur_group != u32::MAX {
        top.offer(cur_group, cur_best);
    }
    top
}

/// The same result as [`top_groups`] by accumulating every posting of every term
/// (term-at-a-time) into a per-thread scratch array that is reset only where it was touched:
/// no pruning, so no bounds are needed, and no per-query allocation of the document count.
pub fn accumulate_groups<L: Lists>(
    lists: &L,
    n: usize,
    num_docs: usize,
    group: impl Fn(u32) -> u32,
) -> TopGroups {
    thread_local! {
        static SCRATCH: std::cell::RefCell<(Vec<f32>, Vec<u32>)> =
            const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
    }
    SCRATCH.with(|cell| {
        let mut guard = cell.borrow_mut();
        let (acc, touched) = &mut *guard;
        if acc.len() < num_docs {
            acc.resize(num_docs, 0.0);
        }
        touched.clear();
        for t in 0..lists.terms() {
            lists.for_each_posting(t, |d, s| {
                let a = &mut acc[d as usize];
                if *a == 0.0 {
                    touched.push(d);
                }
                *a += s;
            });
        }
        let mut top = TopGroups::new(n);
        for &d in touched.iter() {
            let s = std::mem::take(&mut acc[d as usize]);
            top.offer(group(d), s);
        }
        top
    })
}

/// Start `top` with the whole scores of some documents likely to be among the best: a valid
/// start, since they are real documents' scores (the traversal only raises them).
fn seed<L: Lists>(lists: &L, top: &mut TopGroups, group: &impl Fn(u32) -> u32) {
    let mut terms: Vec<usize> = (0..lists.terms()).collect();
    terms.sort_by(|&a, &b| lists.upper_bound(b).total_cmp(&lists.upper_bound(a)));
    let mut docs: Vec<u32> = terms
        .iter()
        .take(SEED_TERMS)
        .flat_map(|&t| lists.docs(t).iter().take(SEED_DOCS).copied())
        .collect();
    docs.sort_unstable();
    docs.dedup();
    let mut cur = (u32::MAX, f32::NEG_INFINITY);
    for d in docs {
        let s = lists.doc_score(d);
        let g = group(d);
        if g != cur.0 {
            if cur.0 != u32::MAX {
                top.offer(cur.0, cur.1);
            }
            cur = (g, s);
        } else {
            cur.1 = cur.1.max(s);
        }
    }
    if cur.0 != u32::MAX {
        top.offer(cur.0, cur.1);
    }
}

/// The first position at or after `from` whose document is ≥ `d` (galloping search).
pub(crate) fn advance(docs: &[u32], from: usize, d: u32) -> usize {
    if docs.get(from).is_none_or(|&x| x >= d) {
        return from;
    }
    let mut step = 1;
    let mut lo = from;
    let mut hi = from + 1;
    while hi < docs.len() && docs[hi] < d {
        lo = hi;
        step *= 2;
        hi = (hi + step).min(docs.len());
    }
    let hi = hi.min(docs.len());
    lo + docs[lo..hi].partition_point(|&x| x < d)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Vec<(Vec<u32>, Vec<f32>)>);
    impl Lists for Fixed {
        fn terms(&self) -> usize {
            self.0.len()
        }
        fn docs(&self, t: usize) -> &[u32] {
            &self.0[t].0
        }
        fn upper_bound(&self, t: usize) -> f32 {
            self.0[t].1.iter().copied().fold(0.0, f32::max)
        }
        fn score(&self, t: usize, pos: usize) -> f32 {
            self.0[t].1[pos]
        }
        fn term_id(&self, t: usize) -> u32 {
            t as u32
        }
        fn doc_score(&self, d: u32) -> f32 {
            self.0
                .iter()
                .filter_map(|(ds, ws)| ds.binary_search(&d).ok().map(|i| ws[i]))
                .sum()
        }
    }

    #[test]
    fn galloping_finds_the_first_not_below() {
        let d = [1, 3, 5, 7, 9, 11, 13, 15, 17];
        for from in 0..d.len() {
            for x in 0..20 {
                let want = from + d[from..].partition_point(|&y| y < x);
                assert_eq!(advance(&d, from, x), want, "from {from} x {x}");
            }
        }
    }

    #[test]
    fn grouped_top_n_equals_brute_force() {
        let mut seed = 7u64;
        let mut rnd = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for _ in 0..200 {
            let docs = 1 + rnd(60) as u32;
            let terms = 1 + rnd(6) as usize;
            let mut lists = Vec::new();
            for _ in 0..terms {
                let mut ds = Vec::new();
                let mut ws = Vec::new();
                for d in 0..docs {
                    if rnd(3) == 0 {
                        ds.push(d);
                        ws.push(rnd(100) as f32 / 10.0 + 0.01);
                    }
                }
                lists.push((ds, ws));
            }
            let l = Fixed(lists);
            let group = |d: u32| d / 3;
            let mut dense = vec![0f32; docs as usize];
            for (ds, ws) in &l.0 {
                for (&d, &w) in ds.iter().zip(ws) {
                    dense[d as usize] += w;
                }
            }
            let mut by_group: HashMap<u32, f32> = HashMap::new();
            for (d, &s) in dense.iter().enumerate() {
                if s > 0.0 {
                    let e = by_group.entry(group(d as u32)).or_insert(0.0);
                    *e = e.max(s);
                }
            }
            let n = 1 + rnd(5) as usize;
            let pruned = top_groups(&l, n, group).finish();
            let added = accumulate_groups(&l, n, docs as usize, group).finish();
            for (got, theta) in [pruned, added] {
                let mut want: Vec<f32> = by_group.values().copied().collect();
                want.sort_by(|a, b| b.total_cmp(a));
                let nth = if want.len() >= n { want[n - 1] } else { 0.0 };
                assert!((theta - nth).abs() < 1e-4, "{theta} vs {nth}");
                for (g, s) in &got {
                    assert!((by_group[g] - s).abs() < 1e-4);
                }
                for (g, s) in &by_group {
                    if !got.iter().any(|x| x.0 == *g) {
                        assert!(*s <= theta + 1e-4, "group {g} {s} left out above {theta}");
                    }
                }
                assert_eq!(got.len(), n.min(by_group.len()));
            }
        }
    }
}

//! The second stage of the fused search (`lexical.rs`): deciding the touched items whose
//! bound is still above θ once no untouched item can reach it.
//!
//! Adding up a remaining (common) list whole costs its length; looking a few thousand
//! candidates up in it costs a short galloping search each. So the remaining lists are
//! taken one at a time, the largest bound first, and each gives every candidate its largest
//! contribution there (0 when absent) instead of the list's bound. A candidate absent from
//! the lists with the largest bounds loses them at once and drops below θ after a few
//! lists; only the few that could still beat θ are scored exactly. This is MaxScore's
//! split into essential and non-essential lists (Turtle & Flood 1995), at item level:
//! candidates come only from the lists added up, the rest are only looked up.
//!
//! A list is scanned instead of searched when it is short next to the candidates (the scan
//! reads every posting once; a search per candidate costs several postings' worth).

use super::Span;
use crate::topk::{advance, Lists};

/// A touched item still in the running, with the sum of what it is known to score at most
/// on the lists decided so far (partial sums of the added lists, per-list maxima of the
/// looked-up ones).
#[derive(Clone, Copy, Debug)]
pub(super) struct Cand {
    pub(super) item: u32,
    /// per signal, in confidence units
    pub(super) known: [f32; 4],
}

/// The positions in `docs` (ascending) of the documents in `lo..hi`, searching forward
/// from `cur` and moving it past them. Documents behind the cursor (an item re-indexed
/// after the build has its documents after items with higher slots) are found by binary
/// search, the cursor unmoved.
#[inline]
fn find(docs: &[u32], cur: &mut usize, lo: u32, hi: u32) -> std::ops::Range<usize> {
    if *cur > 0 && docs[*cur - 1] >= lo {
        return docs.partition_point(|&x| x < lo)..docs.partition_point(|&x| x < hi);
    }
    let from = advance(docs, *cur, lo);
    let mut to = from;
    while to < docs.len() && docs[to] < hi {
        to += 1;
    }
    *cur = to;
    from..to
}

/// Reusable buffers of the passes (one per thread, in the fused search's scratch).
#[derive(Default)]
pub(super) struct PassScratch {
    /// item → its index in the candidates, `u32::MAX` for any other item (kept so between
    /// scans)
    pos_of: Vec<u32>,
    contrib: Vec<f32>,
}

impl PassScratch {
    fn begin_scan(&mut self, items: usize, cands: &[Cand]) {
        if self.pos_of.len() < items {
            self.pos_of.resize(items, u32::MAX);
        }
        for (p, c) in cands.iter().enumerate() {
            self.pos_of[c.item as usize] = p as u32;
        }
        self.contrib.clear();
        self.contrib.resize(cands.len(), 0.0);
    }

    fn end_scan(&mut self, cands: &mut [Cand], signal: usize) {
        for (c, add) in cands.iter_mut().zip(&self.contrib) {
            self.pos_of[c.item as usize] = u32::MAX;
            c.known[signal] += add;
        }
    }
}

/// How one list is to be passed over the candidates.
#[derive(Clone, Copy)]
pub(super) enum Pass {
    /// A phrasing-level list: an item's contribution is its best phrasing's.
    Docs,
    /// BM25 over items: the list's documents are items.
    Items,
}

/// What every pass needs besides its list: the index's document owners and item spans,
/// and whether to scan.
pub(super) struct PassCtx<'a> {
    pub(super) owner: &'a [u32],
    pub(super) item_docs: &'a [Span],
    pub(super) scan: bool,
}

impl PassCtx<'_> {
    /// Give every candidate its largest contribution in list `t` of `l` (scaled into
    /// confidence units) on `signal`. `cands` is in item order.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn pass<L: Lists>(
        &self,
        l: &L,
        t: usize,
        signal: usize,
        scale: f32,
        kind: Pass,
        cands: &mut [Cand],
        ps: &mut PassScratch,
    ) {
        if self.scan {
            ps.begin_scan(self.item_docs.len(), cands);
            let (pos_of, contrib) = (&ps.pos_of, &mut ps.contrib);
            l.for_each_posting(t, |d, s| {
                let i = match kind {
                    Pass::Docs => self
                        .owner
                        .get(d as usize)
                        .map_or(usize::MAX, |&o| o as usize),
                    Pass::Items => d as usize,
                };
                if let Some(&p) = pos_of.get(i) {
                    if p != u32::MAX {
                        let c = &mut contrib[p as usize];
                        *c = c.max(scale * s);
                    }
                }
            });
            ps.end_scan(cands, signal);
            return;
        }
        let docs = l.docs(t);
        let mut cur = 0;
        for c in cands.iter_mut() {
            let at = match kind {
                Pass::Items => find(docs, &mut cur, c.item, c.item + 1),
                Pass::Docs => {
                    let s = self
                        .item_docs
                        .get(c.item as usize)
                        .copied()
                        .unwrap_or_default();
                    find(docs, &mut cur, s.start, s.start + s.len)
                }
            };
            let best = at.map(|p| l.score(t, p)).fold(0.0, f32::max);
            c.known[signal] += scale * best;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_goes_forward_and_still_finds_documents_behind() {
        let docs = [2, 4, 7, 9, 15, 21];
        let mut cur = 0;
        assert_eq!(find(&docs, &mut cur, 4, 5), 1..2);
        assert_eq!(find(&docs, &mut cur, 8, 9), 3..3);
        assert_eq!(find(&docs, &mut cur, 9, 16), 3..5);
        assert_eq!(cur, 5);
        // behind the cursor: found, cursor unmoved
        assert_eq!(find(&docs, &mut cur, 2, 5), 0..2);
        assert_eq!(find(&docs, &mut cur, 3, 4), 1..1);
        // straddling it
        assert_eq!(find(&docs, &mut cur, 10, 30), 4..6);
        assert_eq!(cur, 5);
        assert_eq!(find(&docs, &mut cur, 21, 22), 5..6);
        assert_eq!(find(&docs, &mut cur, 22, 40), 6..6);
    }
}

//! Item signatures: which terms an item has, as a small bit set, so that the fused search
//! can bound what the remaining posting lists could add to an item without looking it up
//! in any of them.
//!
//! In the second stage of the fused search (`lexical.rs`), thousands of touched items are
//! still above θ only because the bound on the remaining lists assumes an item has every
//! remaining term. Measured on the 100,000-item benchmark, bounding each item with only the
//! remaining terms it really has (each term's bound; for a cosine, also the norm of the
//! query weights of those terms) leaves a handful of an in-scope query's 5,000 candidates.
//! A signature answers "might the item have term t" with no false negatives (each term of
//! each of the item's documents sets one bit), so the bound stays exact; a false positive
//! only makes it looser.
//!
//! A signature is kept per item slot and recomputed whenever the item's documents change.

/// 64-bit words per signature: 1,024 bits. An item of five phrasings has 100–200 distinct
/// terms over the four lexical signals, so about 10–18 % of the bits are set.
pub(super) const WORDS: usize = 16;
const BITS: usize = WORDS * 64;

/// Aligned to a cache line: reading an item's signature is a cache miss or two, and
/// most of the cost of the bound.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(64))]
pub(super) struct Sig(pub(super) [u64; WORDS]);

impl Default for Sig {
    fn default() -> Self {
        Sig([0; WORDS])
    }
}

/// Ask for a signature that will be read soon (both its cache lines).
#[inline]
pub(super) fn prefetch(sig: &Sig) {
    crate::forward::prefetch(&sig.0[0]);
    crate::forward::prefetch(&sig.0[WORDS / 2]);
}

/// The bit of term `id` of lexical signal `signal` (0 BM25, 1 n-grams, 2 pinyin, 3 BM25
/// over items; their vocabularies are separate, so the signal is part of the key).
#[inline]
pub(super) fn bit(signal: usize, id: u32) -> usize {
    let key = (u64::from(id) << 2 | signal as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (key >> (64 - BITS.trailing_zeros())) as usize
}

pub(super) fn set(sig: &mut Sig, signal: usize, id: u32) {
    let b = bit(signal, id);
    sig.0[b / 64] |= 1 << (b % 64);
}

/// What the remaining lists of a query can add to an item, by the buckets of its signature.
pub(super) struct Rest {
    /// the buckets any remaining term not taken as common falls in
    mask: [u64; WORDS],
    /// per bucket: per signal the sum of the bounds of the remaining terms in it, then for
    /// the two cosine signals the sum of their squared query weights (padded to eight
    /// lanes, which the compiler adds as vectors)
    bucket: Vec<[f32; 8]>,
    /// the same sums over the common terms, which every item is taken to have (most items
    /// have them anyway, and testing their bits would cost more than it saves)
    base: [f32; 8],
}

/// One remaining term: its signal, id, bound, squared query weight (used for the cosine
/// signals only) and whether it counts as common.
pub(super) struct RestTerm {
    pub(super) signal: usize,
    pub(super) id: u32,
    pub(super) bound: f32,
    pub(super) qn2: f32,
    pub(super) common: bool,
}

impl Rest {
    /// `buffer` is the bucket array of an earlier query ([`Rest::into_buffer`]): reusing
    /// it saves a 32 KiB allocation a query, which was costly in malloc.
    pub(super) fn new(mut buffer: Vec<[f32; 8]>, terms: impl Iterator<Item = RestTerm>) -> Self {
        buffer.clear();
        buffer.resize(BITS, [0.0; 8]);
        let mut r = Rest {
            mask: [0; WORDS],
            bucket: buffer,
            base: [0.0; 8],
        };
        for t in terms {
            let e = if t.common {
                &mut r.base
            } else {
                let b = bit(t.signal, t.id);
                r.mask[b / 64] |= 1 << (b % 64);
                &mut r.bucket[b]
            };
            e[t.signal] += t.bound;
            // the two cosines (the only signals with a query weight)
            match t.signal {
                1 => e[4] += t.qn2,
                2 => e[5] += t.qn2,
                _ => {}
            }
        }
        r
    }

    pub(super) fn into_buffer(self) -> Vec<[f32; 8]> {
        self.bucket
    }

    /// Per signal, at most what the remaining terms can add to an item with this signature:
    /// the bounds of the terms whose bit it has (and of the common ones) and, for the
    /// cosines, at most the norm of those terms' query weights (Cauchy–Schwarz), widened by
    /// `slack`.
    #[inline]
    pub(super) fn of(&self, sig: &Sig, slack: f32) -> [f32; 4] {
        let mut acc = self.base;
        for (w, (&s, &m)) in sig.0.iter().zip(&self.mask).enumerate() {
            let mut bits = s & m;
            while bits != 0 {
                let b = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let e = &self.bucket[b];
                for (a, x) in acc.iter_mut().zip(e) {
                    *a += x;
                }
            }
        }
        [
            acc[0],
            acc[1].min(acc[4].sqrt() * slack),
            acc[2].min(acc[5].sqrt() * slack),
            acc[3],
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_is_bounded_by_the_terms_it_has_and_by_no_others() {
        let mut sig = Sig::default();
        set(&mut sig, 1, 7);
        set(&mut sig, 0, 3);
        let terms = [
            (1, 7, 0.25, 0.04),
            (1, 8, 0.5, 0.09),
            (0, 3, 0.125, f32::INFINITY),
            (3, 3, 1.0, f32::INFINITY),
        ];
        let r = Rest::new(
            Vec::new(),
            terms.into_iter().map(|(signal, id, bound, qn2)| RestTerm {
                signal,
                id,
                bound,
                qn2,
                common: false,
            }),
        );
        let got = r.of(&sig, 1.0);
        // Unless a term the item lacks shares a bit with one it has, only its own count.
        let collide = |s: usize, id: u32| [bit(1, 7), bit(0, 3)].contains(&bit(s, id));
        if !collide(1, 8) && !collide(3, 3) {
            assert_eq!(got, [0.125, 0.2, 0.0, 0.0], "n-gram: min(0.25, √0.04)");
        }
        // Never less than the truth, whatever collides.
        assert!(got[0] >= 0.125 && got[1] >= 0.2);
        let empty = r.of(&Sig::default(), 1.0);
        assert_eq!(empty, [0.0; 4]);
    }

    #[test]
    fn bits_spread_over_the_whole_signature() {
        let mut seen = vec![false; BITS];
        for id in 0..4096 {
            seen[bit(1, id)] = true;
        }
        let used = seen.iter().filter(|&&x| x).count();
        assert!(
            used > BITS * 9 / 10,
            "{used} of {BITS} bits used by 4,096 terms"
        );
    }
}

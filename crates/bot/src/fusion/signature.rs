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
/// over items). `id` is the term's text key (`text_key` of its index), and the signals
/// on the same kind of term share bits: a word takes one bit whether it is in a phrasing
/// or in the item, an n-gram one whether it is an n-gram or pinyin (English text is its
/// own pinyin) — two bits for one string only filled the signature.
#[inline]
pub(super) fn bit(signal: usize, id: u32) -> usize {
    let class = match signal {
        2 => 1,
        3 => 0,
        s => s,
    };
    let key = (u64::from(id) << 2 | class as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (key >> (64 - BITS.trailing_zeros())) as usize
}

pub(super) fn set(sig: &mut Sig, signal: usize, id: u32) {
    let b = bit(signal, id);
    sig.0[b / 64] |= 1 << (b % 64);
}

/// What the remaining lists of a query can add to an item, by the buckets of its signature.
pub(super) struct Rest {
    /// per bucket: per signal the sum of the bounds of the remaining terms in it, then for
    /// the two cosine signals the sum of their squared query weights (padded to eight
    /// lanes, which the compiler adds as vectors)
    bucket: Vec<[f32; 8]>,
    /// The buckets again, four bits of the signature at a time: for each nibble in which
    /// some remaining term falls, the sums for each of its 16 values. An item's bound is
    /// then one table read per such nibble, with no branch: a bit-by-bit walk cost a
    /// mispredicted branch a bit, and a query of a hundred n-grams spent more time bounding
    /// candidates than finding them.
    nibbles: Vec<Nibble>,
    /// the same sums over the common terms, which every item is taken to have (most items
    /// have them anyway, and testing their bits would cost more than it saves)
    base: [f32; 8],
    /// whether the CPU adds eight lanes at once
    #[cfg(target_arch = "x86_64")]
    avx: bool,
}

/// The sums of one nibble of the signature (`word`, bits `shift..shift + 4`), by its value.
#[derive(Clone, Copy)]
struct Nibble {
    word: usize,
    shift: u32,
    sums: [[f32; 8]; 16],
}

/// The vectors of a [`Rest`], kept from one query to the next (their allocations were
/// costly in malloc).
#[derive(Default)]
pub(super) struct RestBuffers {
    bucket: Vec<[f32; 8]>,
    nibbles: Vec<Nibble>,
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
    /// `buffers` are those of an earlier query ([`Rest::into_buffers`]).
    pub(super) fn new(buffers: RestBuffers, terms: impl Iterator<Item = RestTerm>) -> Self {
        let RestBuffers {
            mut bucket,
            mut nibbles,
        } = buffers;
        bucket.clear();
        bucket.resize(BITS, [0.0; 8]);
        nibbles.clear();
        let mut mask = [0u64; WORDS];
        let mut base = [0.0; 8];
        for t in terms {
            let e = if t.common {
                &mut base
            } else {
                let b = bit(t.signal, t.id);
                mask[b / 64] |= 1 << (b % 64);
                &mut bucket[b]
            };
            e[t.signal] += t.bound;
            // the two cosines (the only signals with a query weight)
            match t.signal {
                1 => e[4] += t.qn2,
                2 => e[5] += t.qn2,
                _ => {}
            }
        }
        for (word, &m) in mask.iter().enumerate() {
            for shift in (0..64).step_by(4) {
                if (m >> shift) & 0xF == 0 {
                    continue;
                }
                let mut sums = [[0f32; 8]; 16];
                for (v, sum) in sums.iter_mut().enumerate() {
                    for b in (0..4).filter(|b| v >> b & 1 == 1) {
                        let e = &bucket[word * 64 + shift as usize + b];
                        for (a, x) in sum.iter_mut().zip(e) {
                            *a += x;
                        }
                    }
                }
                nibbles.push(Nibble { word, shift, sums });
            }
        }
        Rest {
            bucket,
            nibbles,
            base,
            #[cfg(target_arch = "x86_64")]
            avx: std::arch::is_x86_feature_detected!("avx"),
        }
    }

    pub(super) fn into_buffers(self) -> RestBuffers {
        RestBuffers {
            bucket: self.bucket,
            nibbles: self.nibbles,
        }
    }

    /// Per signal, at most what the remaining terms can add to an item with this signature:
    /// the bounds of the terms whose bit it has (and of the common ones) and, for the
    /// cosines, at most the norm of those terms' query weights (Cauchy–Schwarz), widened by
    /// `slack`.
    #[inline]
    pub(super) fn of(&self, sig: &Sig, slack: f32) -> [f32; 4] {
        #[cfg(target_arch = "x86_64")]
        let acc = if self.avx {
            // SAFETY: the CPU has AVX (checked in `Rest::new`).
            unsafe { self.sums_avx(sig) }
        } else {
            self.sums(sig)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let acc = self.sums(sig);
        [
            acc[0],
            acc[1].min(acc[4].sqrt() * slack),
            acc[2].min(acc[5].sqrt() * slack),
            acc[3],
        ]
    }

    /// The same sums with eight lanes to a vector instruction (twice the four of the
    /// baseline x86-64 the crate is compiled for).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn sums_avx(&self, sig: &Sig) -> [f32; 8] {
        self.sums(sig)
    }

    /// The lanes of the buckets `sig` has, plus the common terms'.
    #[inline(always)]
    fn sums(&self, sig: &Sig) -> [f32; 8] {
        // two sums, so that consecutive table reads do not wait on each other
        let (mut even, mut odd) = (self.base, [0f32; 8]);
        let mut pairs = self.nibbles.chunks_exact(2);
        let value = |n: &Nibble| ((sig.0[n.word] >> n.shift) & 0xF) as usize;
        for p in &mut pairs {
            for (a, x) in even.iter_mut().zip(&p[0].sums[value(&p[0])]) {
                *a += x;
            }
            for (a, x) in odd.iter_mut().zip(&p[1].sums[value(&p[1])]) {
                *a += x;
            }
        }
        for n in pairs.remainder() {
            for (a, x) in even.iter_mut().zip(&n.sums[value(n)]) {
                *a += x;
            }
        }
        std::array::from_fn(|i| even[i] + odd[i])
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
            RestBuffers::default(),
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

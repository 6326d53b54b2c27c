//! A one-bit sketch per item for the semantic candidates of a large knowledge base: the
//! signs of the item's summed phrasing vectors, centred on the knowledge base's mean vector
//! (sentence embeddings share a common direction; without centring most bits would agree
//! for any two texts). Hamming distance to the query's sketch orders items roughly by
//! cosine; the best few hundred are then scored exactly. 384 dimensions → 48 bytes an item,
//! so 100,000 items are scanned in well under a millisecond. Approximate: an item whose
//! phrasings point in different directions may be missed (its mean is not near any of them).

#[derive(Clone, Debug, Default)]
pub(super) struct Sketch {
    /// the mean phrasing vector at build time (edits do not move it: it only centres)
    mean: Vec<f32>,
    words: usize,
    /// item slot → `words` u64s
    codes: Vec<u64>,
    /// item slot → whether it has vectors
    has: Vec<bool>,
}

impl Sketch {
    pub(super) fn new(vectors: &[Vec<f32>]) -> Self {
        let dim = vectors.iter().map(Vec::len).max().unwrap_or(0);
        let mut mean = vec![0f32; dim];
        let mut n = 0usize;
        for v in vectors.iter().filter(|v| v.len() == dim) {
            n += 1;
            for (m, x) in mean.iter_mut().zip(v) {
                *m += x;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f32);
        Sketch {
            words: dim.div_ceil(64),
            mean,
            ..Default::default()
        }
    }

    fn code_into(&self, v: &[f32], times: f32, out: &mut [u64]) {
        out.iter_mut().for_each(|w| *w = 0);
        for (i, (x, m)) in v.iter().zip(&self.mean).enumerate() {
            if *x > m * times {
                out[i / 64] |= 1 << (i % 64);
            }
        }
    }

    /// Set an item's sketch from its phrasing vectors (none: the item has no sketch).
    pub(super) fn set<'a>(&mut self, slot: usize, vectors: impl Iterator<Item = &'a [f32]>) {
        if self.has.len() <= slot {
            self.has.resize(slot + 1, false);
            self.codes.resize((slot + 1) * self.words, 0);
        }
        let mut sum = vec![0f32; self.mean.len()];
        let mut n = 0f32;
        for v in vectors.filter(|v| v.len() == self.mean.len()) {
            n += 1.0;
            for (s, x) in sum.iter_mut().zip(v) {
                *s += x;
            }
        }
        self.has[slot] = n > 0.0 && self.words > 0;
        let mut code = vec![0u64; self.words];
        self.code_into(&sum, n, &mut code);
        self.codes[slot * self.words..(slot + 1) * self.words].copy_from_slice(&code);
    }

    pub(super) fn clear(&mut self, slot: usize) {
        if let Some(h) = self.has.get_mut(slot) {
            *h = false;
        }
    }

    /// Items with a sketch and their Hamming distance to the query.
    pub(super) fn distances(&self, q: &[f32]) -> Vec<(u32, u32)> {
        if q.len() != self.mean.len() || self.words == 0 {
            return Vec::new();
        }
        let mut qc = vec![0u64; self.words];
        self.code_into(q, 1.0, &mut qc);
        let mut out = Vec::with_capacity(self.has.len());
        for (slot, code) in self.codes.chunks_exact(self.words).enumerate() {
            if self.has[slot] {
                let d: u32 = code
                    .iter()
                    .zip(&qc)
                    .map(|(a, b)| (a ^ b).count_ones())
                    .sum();
                out.push((slot as u32, d));
            }
        }
        out
    }
}

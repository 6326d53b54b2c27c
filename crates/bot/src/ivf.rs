//! An inverted-file (IVF) index over the phrasings' embeddings, for knowledge bases too
//! large to scan every vector per query (500,000 × 384 floats is 768 MB of reads). The
//! vectors are grouped by their nearest of `lists` centroids (k-means on a sample); a
//! query scans only the lists of its `probe` nearest centroids and keeps the best
//! [`CANDIDATES`] phrasings. Approximate: a phrasing in an unprobed list is missed (the
//! recall cost is measured in docs/benchmarks.md). Deterministic for a seed; no I/O.

use crate::synth::Rng;

/// Phrasings a probe hands back (their items are then scored exactly).
pub const CANDIDATES: usize = 256;
const SAMPLE: usize = 16_384;
const ITERATIONS: usize = 8;

/// Dot product with eight independent sums, so the compiler can keep them in SIMD lanes
/// (the plain iterator sum is one dependent chain). Rounds differently from
/// [`crate::embed::dot`]; used only where exactness to the last bit is not promised.
#[inline]
pub fn dot8(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = (acc[0] + acc[4]) + (acc[1] + acc[5]) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// How many lists for `n` vectors: about n / 2,000, between 16 and 256.
pub fn lists_for(n: usize) -> usize {
    (n / 2000).clamp(16, 256)
}

pub struct Ivf {
    dim: usize,
    /// `lists × dim`, L2-normalised
    centroids: Vec<f32>,
    /// vector ids per list
    lists: Vec<Vec<u32>>,
}

fn nearest(centroids: &[f32], dim: usize, v: &[f32]) -> usize {
    let mut best = (f32::MIN, 0);
    for (c, row) in centroids.chunks_exact(dim).enumerate() {
        let s = dot8(v, row);
        if s > best.0 {
            best = (s, c);
        }
    }
    best.1
}

fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 1e-12 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

impl Ivf {
    /// Spherical k-means on a sample of the vectors (`flat`: `dim` floats per vector),
    /// then every vector assigned to its nearest centroid.
    pub fn build(flat: &[f32], dim: usize, lists: usize, seed: u64) -> Ivf {
        let n = flat.len() / dim.max(1);
        let lists = lists.clamp(1, n.max(1));
        let mut rng = Rng::new(seed);
        let mut ids: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut ids);
        let sample = &ids[..n.min(SAMPLE)];
        let row = |i: usize| &flat[i * dim..(i + 1) * dim];
        let mut centroids: Vec<f32> = sample[..lists.min(sample.len())]
            .iter()
            .flat_map(|&i| row(i).iter().copied())
            .collect();
        let k = centroids.len() / dim.max(1);
        for _ in 0..ITERATIONS {
            let mut sums = vec![0f32; k * dim];
            let mut counts = vec![0usize; k];
            for &i in sample {
                let c = nearest(&centroids, dim, row(i));
                counts[c] += 1;
                for (s, x) in sums[c * dim..(c + 1) * dim].iter_mut().zip(row(i)) {
                    *s += x;
                }
            }
            for c in 0..k {
                if counts[c] > 0 {
                    let s = &mut sums[c * dim..(c + 1) * dim];
                    normalise(s);
                    centroids[c * dim..(c + 1) * dim].copy_from_slice(s);
                }
            }
        }
        let mut out = vec![Vec::new(); k];
        for i in 0..n {
            out[nearest(&centroids, dim, row(i))].push(i as u32);
        }
        Ivf {
            dim,
            centroids,
            lists: out,
        }
    }

    pub fn lists(&self) -> usize {
        self.lists.len()
    }

    /// The best [`CANDIDATES`] vector ids by dot product with `q`, from the lists of the
    /// `probe` centroids nearest to `q` (unordered).
    pub fn probe(&self, flat: &[f32], q: &[f32], probe: usize) -> Vec<u32> {
        let d = self.dim;
        let mut cs: Vec<(f32, usize)> = self
            .centroids
            .chunks_exact(d)
            .enumerate()
            .map(|(c, row)| (dot8(q, row), c))
            .collect();
        let probe = probe.clamp(1, cs.len().max(1));
        if probe < cs.len() {
            cs.select_nth_unstable_by(probe - 1, |a, b| b.0.total_cmp(&a.0));
            cs.truncate(probe);
        }
        let mut hits: Vec<(f32, u32)> = Vec::new();
        for (_, c) in cs {
            for &i in &self.lists[c] {
                let i_us = i as usize;
                hits.push((dot8(q, &flat[i_us * d..(i_us + 1) * d]), i));
            }
        }
        if hits.len() > CANDIDATES {
            hits.select_nth_unstable_by(CANDIDATES - 1, |a, b| b.0.total_cmp(&a.0));
            hits.truncate(CANDIDATES);
        }
        hits.into_iter().map(|h| h.1).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot8_agrees_with_the_plain_dot() {
        let a: Vec<f32> = (0..384).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..384).map(|i| (i as f32 * 0.11).cos()).collect();
        assert!((dot8(&a, &b) - crate::embed::dot(&a, &b)).abs() < 1e-3);
    }

    #[test]
    fn a_stored_vector_finds_itself() {
        let mut rng = Rng::new(3);
        let dim = 16;
        let mut flat: Vec<f32> = (0..2000 * dim).map(|_| rng.unit() - 0.5).collect();
        for v in flat.chunks_exact_mut(dim) {
            normalise(v);
        }
        let ivf = Ivf::build(&flat, dim, 32, 1);
        assert_eq!(ivf.lists(), 32);
        for i in [0usize, 777, 1999] {
            let q = flat[i * dim..(i + 1) * dim].to_vec();
            assert!(ivf.probe(&flat, &q, 4).contains(&(i as u32)), "vector {i}");
        }
    }
}

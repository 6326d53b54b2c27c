//! The numeric kernels of the encoder's own forward pass ([`super::fast`]): a matrix product
//! against pre-packed weights, layer normalisation and erf-GELU, each over plain `f32`
//! slices.
//!
//! Why not candle's ops: for one query (m ≈ 10–25 rows) candle's `Linear` re-packs the
//! transposed weight matrix on every call (≈ 45% of the time in a profile) and every op
//! allocates a tensor. Here the weights are packed once at load time into panels of
//! [`NR`] output columns, and the product streams each panel once per call.
//!
//! The x86 kernels ([`super::x86`]: AVX-512, else AVX2+FMA) are chosen at run time (`is_x86_feature_detected!`); the
//! portable one computes the same sums in the same order (without fused multiply-adds),
//! so all agree to f32 rounding.

/// Output columns per packed panel (one AVX-512 register, two AVX2 ones).
pub const NR: usize = 16;

/// The instruction set the products run with, detected once per call.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Isa {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Portable,
}

fn isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        return Isa::Avx512;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        return Isa::Avx2;
    }
    Isa::Portable
}

/// Buffers reused across the products of one forward pass (a dequantised panel and the
/// k-major copy of the input rows), so no call allocates or zero-fills.
#[derive(Default)]
pub struct Scratch {
    panel: Vec<f32>,
    rows: Vec<f32>,
}

/// A linear layer `y = x·Wᵀ + b` with `W` (`n` × `k`, row-major as stored) re-laid into
/// panels: panel `p` holds, for every `kk` in `0..k`, the 16 weights
/// `W[p·16 + j][kk]` (`j` in `0..16`) next to each other; the last panel is zero-padded.
pub struct Packed {
    pub k: usize,
    pub n: usize,
    w: Weights,
    bias: Vec<f32>,
}

/// Weights per block of [`QB`] along `k`.
const QB: usize = 32;

enum Weights {
    F32(Vec<f32>),
    /// Lossless when every block of [`QB`] weights of a row is a 4-bit integer times one
    /// scale — true of kefu's installed model, which was dequantised from Q4_0 blocks of 32
    /// (`install::dequant_q4`). Half a byte per weight instead of four: a query streams every
    /// weight once, and with f32 (~85 MB) and then 8-bit weights the profile's hot spots were
    /// the loads of new weight cache lines — the product waits on memory. `(n - 8) as f32 ·
    /// scale` is exact (a 4-bit integer times an f16-precision scale), so the product sees
    /// bit-identical weights.
    Q4 {
        /// Panel `p`, rows `kk` and `kk + 1` (`kk` even): 16 bytes at `(p·k + kk)·8`, byte
        /// `j` = `n(kk, j) | n(kk + 1, j) << 4` with `n = q + 8`.
        q: Vec<u8>,
        /// panel `p`, block `b`: 16 scales at `(p · k/QB + b) · 16`
        scales: Vec<f32>,
    },
}

/// `w` as `q · d` with integer `q` in `-8..=7` (Q4_0's range; `d` may be negative), if
/// exactly so.
fn block_scale(w: &[f32]) -> Option<f32> {
    let amax = w.iter().fold(0f32, |a, v| a.max(v.abs()));
    if amax == 0.0 {
        return Some(0.0);
    }
    // the largest |q| is usually 8 (Q4_0 maps the largest magnitude to -8), but try all
    (1..=8)
        .rev()
        .flat_map(|t| [-amax / t as f32, amax / t as f32])
        .find(|&d| {
            w.iter().all(|&v| {
                let q = (v / d).round();
                (-8.0..=7.0).contains(&q) && q * d == v
            })
        })
}

impl Packed {
    /// `w` is `n` rows of `k` (the PyTorch `Linear.weight` layout), `bias` has `n` values.
    pub fn new(w: &[f32], bias: Vec<f32>, n: usize, k: usize) -> Result<Self, String> {
        if w.len() != n * k || bias.len() != n {
            return Err(format!(
                "linear layer: expected {n}×{k} weights and {n} biases, got {} and {}",
                w.len(),
                bias.len()
            ));
        }
        let np = n.div_ceil(NR);
        let scales: Option<Vec<f32>> = if k.is_multiple_of(QB) && k > 0 {
            w.chunks_exact(QB).map(block_scale).collect()
        } else {
            None
        };
        let weights = match scales {
            Some(row_scales) => {
                let nb = k / QB;
                let mut q = vec![0u8; np * k * NR / 2];
                let mut scales = vec![0f32; np * nb * NR];
                for (row, wr) in w.chunks_exact(k).enumerate() {
                    let (p, j) = (row / NR, row % NR);
                    for (b, blk) in wr.chunks_exact(QB).enumerate() {
                        let d = row_scales[row * nb + b];
                        scales[(p * nb + b) * NR + j] = d;
                        for (i, &v) in blk.iter().enumerate() {
                            let kk = b * QB + i;
                            let n = if d == 0.0 {
                                8
                            } else {
                                ((v / d).round() + 8.0) as u8
                            };
                            q[(p * k + kk - kk % 2) * NR / 2 + j] |= n << (4 * (kk % 2));
                        }
                    }
                }
                Weights::Q4 { q, scales }
            }
            None => {
                let mut panels = vec![0f32; np * k * NR];
                for (row, wr) in w.chunks_exact(k).enumerate() {
                    let (p, j) = (row / NR, row % NR);
                    let panel = &mut panels[p * k * NR..(p + 1) * k * NR];
                    for (kk, &v) in wr.iter().enumerate() {
                        panel[kk * NR + j] = v;
                    }
                }
                Weights::F32(panels)
            }
        };
        Ok(Packed {
            k,
            n,
            w: weights,
            bias,
        })
    }

    /// Whether the weights are held as exact 4-bit blocks (see [`Weights::Q4`]).
    pub fn is_compact(&self) -> bool {
        matches!(self.w, Weights::Q4 { .. })
    }

    /// Stack several layers with the same input size into one (their outputs side by
    /// side): the query, key and value projections become one product over `x`.
    pub fn concat(parts: &[(&[f32], &[f32], usize)], k: usize) -> Result<Self, String> {
        let n: usize = parts.iter().map(|p| p.2).sum();
        let mut w = Vec::with_capacity(n * k);
        let mut b = Vec::with_capacity(n);
        for (pw, pb, pn) in parts {
            if pw.len() != pn * k || pb.len() != *pn {
                return Err("linear layer: weight / bias sizes do not match".into());
            }
            w.extend_from_slice(pw);
            b.extend_from_slice(pb);
        }
        Packed::new(&w, b, n, k)
    }

    /// `out` (`m` × `n`) = `x` (`m` × `k`) · Wᵀ + b. Panel by panel: the panel (dequantised
    /// into a scratch buffer first when compact) stays in L1/L2 while every row block reads
    /// it, so each weight leaves L2/L3 once per call.
    pub fn forward(&self, x: &[f32], m: usize, out: &mut [f32], scratch: &mut Scratch) {
        self.forward_with(x, m, out, scratch, isa());
    }

    fn forward_with(&self, x: &[f32], m: usize, out: &mut [f32], scratch: &mut Scratch, isa: Isa) {
        assert!(x.len() >= m * self.k && out.len() >= m * self.n);
        let k = self.k;
        let Scratch {
            panel: dq,
            rows: xp,
        } = scratch;
        #[cfg(target_arch = "x86_64")]
        let blocks = match isa {
            Isa::Avx512 => row_blocks(x, m, k, super::x86::MR_AVX512, xp),
            Isa::Avx2 => row_blocks(x, m, k, super::x86::MR_AVX2, xp),
            Isa::Portable => Vec::new(),
        };
        #[cfg(not(target_arch = "x86_64"))]
        let _ = xp;
        for p in 0..self.n.div_ceil(NR) {
            let panel: &[f32] = match &self.w {
                Weights::F32(v) => &v[p * k * NR..(p + 1) * k * NR],
                Weights::Q4 { q, scales } => {
                    let nb = k / QB;
                    dq.resize(k * NR, 0.0);
                    dequant(
                        &q[p * k * NR / 2..(p + 1) * k * NR / 2],
                        &scales[p * nb * NR..(p + 1) * nb * NR],
                        dq,
                        isa,
                    );
                    &dq[..k * NR]
                }
            };
            let c0 = p * NR;
            let cols = NR.min(self.n - c0);
            let bias = &self.bias[c0..c0 + cols];
            #[cfg(target_arch = "x86_64")]
            if isa != Isa::Portable {
                for &(r0, rows, off) in &blocks {
                    let b = super::x86::Block {
                        xp: xp[off..off + rows * k].as_ptr(),
                        k,
                        panel: panel.as_ptr(),
                        out: out[r0 * self.n + c0..(r0 + rows - 1) * self.n + c0 + cols]
                            .as_mut_ptr(),
                        ldo: self.n,
                        cols,
                        bias: bias.as_ptr(),
                    };
                    // SAFETY: the instruction set was detected by `isa()`; the slices
                    // above bound every pointer of `b` (rows × k inputs, k × 16 panel
                    // values, `rows` output rows of `cols`, `cols` biases), and
                    // `row_blocks` keeps `rows` within the kernel's block size.
                    unsafe {
                        match isa {
                            Isa::Avx512 => super::x86::avx512(rows, &b),
                            _ => super::x86::avx2(rows, &b),
                        }
                    }
                }
                continue;
            }
            portable_panel(panel, x, m, k, out, self.n, c0, bias);
        }
    }
}

/// Rows split evenly over the fewest blocks of at most `mr` (14 rows, `mr` 6 → 4+5+5, not
/// 6+6+2: a block of 1–2 rows has too few accumulators to hide the FMA latency), each
/// block's rows copied k-major. Returns (first row, rows, offset in the copy) per block.
#[cfg(target_arch = "x86_64")]
fn row_blocks(
    x: &[f32],
    m: usize,
    k: usize,
    mr: usize,
    xp: &mut Vec<f32>,
) -> Vec<(usize, usize, usize)> {
    let n_blocks = m.div_ceil(mr);
    let mut blocks = Vec::with_capacity(n_blocks);
    // every element is overwritten below; resize only grows the buffer
    xp.resize(m * k, 0.0);
    let mut r0 = 0;
    for b in 0..n_blocks {
        let rows = (m - r0) / (n_blocks - b);
        let off = r0 * k;
        for r in 0..rows {
            for (kk, &v) in x[(r0 + r) * k..(r0 + r + 1) * k].iter().enumerate() {
                xp[off + kk * rows + r] = v;
            }
        }
        blocks.push((r0, rows, off));
        r0 += rows;
    }
    blocks
}

fn dequant(q: &[u8], scales: &[f32], out: &mut [f32], isa: Isa) {
    // SAFETY (both): the instruction set was detected by `isa()`; the bodies are safe Rust.
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { super::x86::dequant_avx512(q, scales, out) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { super::x86::dequant_avx2(q, scales, out) },
        Isa::Portable => dequant_body(q, scales, out),
    }
}

/// Two packed rows of 16 nibbles at a time (see [`Weights::Q4`]) into f32 weights.
#[inline(always)]
pub(super) fn dequant_body(q: &[u8], scales: &[f32], out: &mut [f32]) {
    for ((qb, ob), s) in q
        .chunks_exact(QB * NR / 2)
        .zip(out.chunks_exact_mut(QB * NR))
        .zip(scales.chunks_exact(NR))
    {
        for (qr, or) in qb.chunks_exact(NR).zip(ob.chunks_exact_mut(2 * NR)) {
            let (lo, hi) = or.split_at_mut(NR);
            for j in 0..NR {
                lo[j] = ((qr[j] & 15) as i8 - 8) as f32 * s[j];
                hi[j] = ((qr[j] >> 4) as i8 - 8) as f32 * s[j];
            }
        }
    }
}

/// The same blocking as the AVX2 kernel, in plain Rust (vectorised by the compiler for the
/// baseline target). Sums run over `k` in order, then the bias is added.
#[allow(clippy::too_many_arguments)]
fn portable_panel(
    panel: &[f32],
    x: &[f32],
    m: usize,
    k: usize,
    out: &mut [f32],
    ldo: usize,
    c0: usize,
    bias: &[f32],
) {
    for r in 0..m {
        let xr = &x[r * k..(r + 1) * k];
        let mut acc = [0f32; NR];
        for (xv, wv) in xr.iter().zip(panel.chunks_exact(NR)) {
            for j in 0..NR {
                acc[j] += xv * wv[j];
            }
        }
        let o = &mut out[r * ldo + c0..r * ldo + c0 + bias.len()];
        for ((o, a), b) in o.iter_mut().zip(acc).zip(bias) {
            *o = a + b;
        }
    }
}

/// Layer normalisation of each `h`-wide row in place (mean and variance in two passes).
pub fn layer_norm(x: &mut [f32], h: usize, gamma: &[f32], beta: &[f32], eps: f32) {
    for row in x.chunks_exact_mut(h) {
        let mean = row.iter().sum::<f32>() / h as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

/// `x · ½ · (1 + erf(x / √2))` in place — the exact (erf) GELU of BERT, as candle's
/// `gelu_erf`, with a vectorisable erf instead of libm's scalar one (which was ~8% of the
/// time): a rational approximation accurate to a few f32 ulps.
pub fn gelu(x: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is available (checked above); the body is safe Rust.
            unsafe { gelu_avx2(x) };
            return;
        }
    }
    gelu_body(x);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn gelu_avx2(x: &mut [f32]) {
    gelu_body(x);
}

#[inline(always)]
fn gelu_body(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = *v * 0.5 * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// erf for f32: the odd/even rational approximation used by Eigen and XLA on [-4, 4]
/// (erf is ±1 in f32 beyond). Branch-free so that the loop above vectorises; plain `*`/`+`
/// (no `mul_add`) so every build rounds the same way.
#[inline(always)]
pub fn erf(a: f32) -> f32 {
    // coefficients as printed in Eigen (f64 literals, rounded to f32 once)
    const A1: f32 = -1.609_603_332_624_15e-2_f64 as f32;
    const A3: f32 = -2.954_599_808_540_25e-3_f64 as f32;
    const A5: f32 = -7.349_906_303_268_55e-4_f64 as f32;
    const A7: f32 = -5.692_506_394_623_46e-5_f64 as f32;
    const A9: f32 = -2.101_024_020_825_08e-6_f64 as f32;
    const A11: f32 = 2.770_681_424_959_02e-8_f64 as f32;
    const A13: f32 = -2.726_142_258_013_06e-10_f64 as f32;
    const B0: f32 = -1.426_473_905_141_89e-2_f64 as f32;
    const B2: f32 = -7.373_329_167_204_68e-3_f64 as f32;
    const B4: f32 = -1.682_826_974_382_03e-3_f64 as f32;
    const B6: f32 = -2.133_740_552_789_05e-4_f64 as f32;
    const B8: f32 = -1.456_607_184_649_96e-5_f64 as f32;
    let x = a.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = x2 * A13 + A11;
    p = x2 * p + A9;
    p = x2 * p + A7;
    p = x2 * p + A5;
    p = x2 * p + A3;
    p = x2 * p + A1;
    p *= x;
    let mut q = x2 * B8 + B6;
    q = x2 * q + B4;
    q = x2 * q + B2;
    q = x2 * q + B0;
    p / q
}

/// Softmax of one row in place (max-subtracted, as candle's `softmax_last_dim`).
pub fn softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f32;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in row.iter_mut() {
        *v /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    }

    #[test]
    fn packed_product_equals_the_naive_one_for_every_row_count() {
        let mut s = 7;
        let cases = [
            (40usize, 24usize, false),
            (16, 384, false),
            (33, 5, false),
            (40, 64, true),
        ];
        for &(n, k, compact) in &cases {
            let w: Vec<f32> = (0..n * k)
                .map(|i| {
                    if compact {
                        // 4-bit integers times a per-block power-of-two-ish scale
                        let d = 0.01 * (1 + (i / QB) % 3) as f32;
                        ((lcg(&mut s) * 15.99).floor()).clamp(-8.0, 7.0) * d
                    } else {
                        lcg(&mut s)
                    }
                })
                .collect();
            let b: Vec<f32> = (0..n).map(|_| lcg(&mut s)).collect();
            let p = Packed::new(&w, b.clone(), n, k).unwrap();
            assert_eq!(p.is_compact(), compact, "n {n} k {k}");
            for m in [1usize, 5, 6, 7, 13, 25] {
                let x: Vec<f32> = (0..m * k).map(|_| lcg(&mut s)).collect();
                let mut fast = vec![0f32; m * n];
                let mut port = vec![0f32; m * n];
                let mut sc = Scratch::default();
                p.forward(&x, m, &mut fast, &mut sc);
                p.forward_with(&x, m, &mut port, &mut sc, Isa::Portable);
                for r in 0..m {
                    for c in 0..n {
                        let want: f64 = (0..k)
                            .map(|i| x[r * k + i] as f64 * w[c * k + i] as f64)
                            .sum::<f64>()
                            + b[c] as f64;
                        let (f, q) = (fast[r * n + c] as f64, port[r * n + c] as f64);
                        assert!((f - want).abs() < 1e-4, "m {m} n {n} k {k}: {f} vs {want}");
                        assert!((q - want).abs() < 1e-4, "m {m} n {n} k {k}: {q} vs {want}");
                    }
                }
            }
        }
    }

    /// erf by its Taylor series in f64 (converges fine on [-4, 4]).
    fn erf_series(x: f64) -> f64 {
        let (mut term, mut sum) = (x, x);
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn erf_is_accurate_to_f32_rounding() {
        let mut worst = 0f64;
        for i in -6000..=6000 {
            let x = i as f32 / 1000.0;
            let want = if x.abs() > 4.0 {
                x.signum() as f64
            } else {
                erf_series(x as f64)
            };
            worst = worst.max((erf(x) as f64 - want).abs());
        }
        assert!(worst < 1e-6, "max abs error {worst}");
        let mut v = vec![-3.0f32, -0.5, 0.0, 0.5, 3.0];
        gelu(&mut v);
        assert!((v[3] - 0.345_731_3).abs() < 1e-6 && v[2] == 0.0, "{v:?}");
    }
}

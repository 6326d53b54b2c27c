//! x86-64 register-blocked kernels for [`super::kernels::Packed`]: `R` rows of `x` against
//! one 16-column weight panel, the accumulators held in registers for the whole `k` loop.
//!
//! The rows of a block come packed k-major (`xp[kk·R + r]`), so every broadcast is one
//! pointer plus a constant offset. Each function is compiled for its instruction set
//! (`#[target_feature]`) and only called after run-time detection.

use super::kernels::NR;
use std::arch::x86_64::*;

/// Rows per AVX2 block: 6 rows × 2 ymm = 12 accumulators + 2 weight vectors + a
/// broadcast fit the 16 ymm registers.
pub const MR_AVX2: usize = 6;

/// Rows per AVX-512 block: 24 zmm accumulators + the weight vector fit the 32 zmm
/// registers, so a typical query (≤ 24 tokens) reads each weight once per product.
pub const MR_AVX512: usize = 24;

/// One block: `out[r·ldo + j] = Σ_kk xp[kk·R + r] · panel[kk·16 + j] + bias[j]`,
/// `j < cols`.
pub struct Block {
    pub xp: *const f32,
    pub k: usize,
    pub panel: *const f32,
    pub out: *mut f32,
    pub ldo: usize,
    pub cols: usize,
    pub bias: *const f32,
}

macro_rules! dispatch {
    ($f:ident, $rows:expr, $b:expr, [$($n:literal)*]) => {
        match $rows {
            $($n => $f::<$n>($b),)*
            _ => unreachable!("row block larger than the kernel's"),
        }
    };
}

/// # Safety
/// AVX2 and FMA must be available; `b`'s pointers must cover `rows` × `k` packed inputs,
/// `k` × 16 panel values, `rows` output rows of `cols` values and `cols` biases;
/// `1 <= rows <= MR_AVX2`.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn avx2(rows: usize, b: &Block) {
    dispatch!(avx2_block, rows, b, [1 2 3 4 5 6]);
}

#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn avx2_block<const R: usize>(b: &Block) {
    let mut acc = [[_mm256_setzero_ps(); 2]; R];
    for kk in 0..b.k {
        let w0 = _mm256_loadu_ps(b.panel.add(kk * NR));
        let w1 = _mm256_loadu_ps(b.panel.add(kk * NR + 8));
        let xk = b.xp.add(kk * R);
        for (r, a) in acc.iter_mut().enumerate() {
            let x = _mm256_broadcast_ss(&*xk.add(r));
            a[0] = _mm256_fmadd_ps(x, w0, a[0]);
            a[1] = _mm256_fmadd_ps(x, w1, a[1]);
        }
    }
    let mut tmp = [0f32; NR];
    for (r, a) in acc.iter().enumerate() {
        let o = b.out.add(r * b.ldo);
        if b.cols == NR {
            _mm256_storeu_ps(o, _mm256_add_ps(a[0], _mm256_loadu_ps(b.bias)));
            _mm256_storeu_ps(
                o.add(8),
                _mm256_add_ps(a[1], _mm256_loadu_ps(b.bias.add(8))),
            );
        } else {
            // the zero-padded last panel: only `cols` outputs exist
            _mm256_storeu_ps(tmp.as_mut_ptr(), a[0]);
            _mm256_storeu_ps(tmp.as_mut_ptr().add(8), a[1]);
            for (j, t) in tmp.iter().enumerate().take(b.cols) {
                *o.add(j) = t + *b.bias.add(j);
            }
        }
    }
}

/// # Safety
/// AVX-512F must be available; as [`avx2`] otherwise, with `1 <= rows <= MR_AVX512`.
#[target_feature(enable = "avx512f")]
pub unsafe fn avx512(rows: usize, b: &Block) {
    dispatch!(
        avx512_block,
        rows,
        b,
        [1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24]
    );
}

#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn avx512_block<const R: usize>(b: &Block) {
    let mut acc = [_mm512_setzero_ps(); R];
    for kk in 0..b.k {
        let w = _mm512_loadu_ps(b.panel.add(kk * NR));
        let xk = b.xp.add(kk * R);
        for (r, a) in acc.iter_mut().enumerate() {
            *a = _mm512_fmadd_ps(_mm512_set1_ps(*xk.add(r)), w, *a);
        }
    }
    // masked bias load / stores: the zero-padded last panel has only `cols` outputs
    let mask: __mmask16 = if b.cols >= NR {
        0xffff
    } else {
        (1u16 << b.cols) - 1
    };
    let bias = _mm512_maskz_loadu_ps(mask, b.bias);
    for (r, a) in acc.iter().enumerate() {
        _mm512_mask_storeu_ps(b.out.add(r * b.ldo), mask, _mm512_add_ps(*a, bias));
    }
}

/// The 4-bit weights of one panel times their block scales (layout: `kernels::Weights::Q4`):
/// per pair of `k` rows, 16 bytes → low and high nibbles → `n - 8` → f32 → × scale. The same
/// arithmetic as `kernels::dequant_body` (exact either way), written out because the
/// compiler's vectorisation of the nibble loop was slower than the product itself.
///
/// # Safety
/// AVX-512F must be available.
#[target_feature(enable = "avx512f")]
pub unsafe fn dequant_avx512(q: &[u8], scales: &[f32], out: &mut [f32]) {
    let blocks = scales.len() / NR;
    assert!(q.len() >= blocks * 256 && out.len() >= blocks * 512);
    let low = _mm_set1_epi8(15);
    let eight = _mm_set1_epi8(8);
    for b in 0..blocks {
        let s = _mm512_loadu_ps(scales.as_ptr().add(b * NR));
        for pair in 0..16 {
            let bytes = _mm_loadu_si128(q.as_ptr().add(b * 256 + pair * 16).cast());
            let lo = _mm_sub_epi8(_mm_and_si128(bytes, low), eight);
            let hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(bytes, 4), low), eight);
            let o = out.as_mut_ptr().add(b * 512 + pair * 32);
            _mm512_storeu_ps(
                o,
                _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo)), s),
            );
            _mm512_storeu_ps(
                o.add(NR),
                _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi)), s),
            );
        }
    }
}

/// As [`dequant_avx512`], with 8-lane registers.
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn dequant_avx2(q: &[u8], scales: &[f32], out: &mut [f32]) {
    let blocks = scales.len() / NR;
    assert!(q.len() >= blocks * 256 && out.len() >= blocks * 512);
    let low = _mm_set1_epi8(15);
    let eight = _mm_set1_epi8(8);
    for b in 0..blocks {
        let s0 = _mm256_loadu_ps(scales.as_ptr().add(b * NR));
        let s1 = _mm256_loadu_ps(scales.as_ptr().add(b * NR + 8));
        for pair in 0..16 {
            let bytes = _mm_loadu_si128(q.as_ptr().add(b * 256 + pair * 16).cast());
            let lo = _mm_sub_epi8(_mm_and_si128(bytes, low), eight);
            let hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(bytes, 4), low), eight);
            let o = out.as_mut_ptr().add(b * 512 + pair * 32);
            for (h, v) in [lo, hi].into_iter().enumerate() {
                let a = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v));
                let c = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)));
                _mm256_storeu_ps(o.add(h * NR), _mm256_mul_ps(a, s0));
                _mm256_storeu_ps(o.add(h * NR + 8), _mm256_mul_ps(c, s1));
            }
        }
    }
}

//! The IKNP bit-matrix transposition on AVX2 registers (the same steps as the portable
//! code in `ot::transpose`, which it is tested equal to): row `r` of two 128×128 matrices
//! (blocks `c` and `c + 1` of the row) in one register; the width-64 step is an
//! `unpacklo/hi_epi64` while gathering, widths 32–8 and 4–1 run in two passes on groups of
//! eight registers, and each final row is stored as column `i` of both matrices.

use super::Block;
use std::arch::x86_64::{
    __m256i, _mm_loadu_si128, _mm_storeu_si128, _mm256_and_si256, _mm256_castsi256_si128,
    _mm256_extracti128_si256, _mm256_loadu_si256, _mm256_set1_epi64x, _mm256_slli_epi64,
    _mm256_srli_epi64, _mm256_unpackhi_epi64, _mm256_unpacklo_epi64, _mm256_xor_si256,
    _mm256_zextsi128_si256,
};

/// Blocks `i` and `i + 1` of `rows`, zeros for those past `n` (0, 1 or 2 of them valid).
#[inline]
#[target_feature(enable = "avx2")]
fn load_row(rows: &[Block], i: usize, n: usize) -> __m256i {
    match n {
        0 => _mm256_set1_epi64x(0),
        1 => {
            let src = &rows[i];
            // SAFETY: `src` is a valid 16-byte Block; unaligned load.
            _mm256_zextsi128_si256(unsafe { _mm_loadu_si128((src as *const Block).cast()) })
        }
        _ => {
            let src = &rows[i..i + 2];
            // SAFETY: `src` holds 2 Blocks = 32 readable bytes; unaligned load.
            unsafe { _mm256_loadu_si256(src.as_ptr().cast()) }
        }
    }
}

/// Exchanges bits `p` (`p & W ≠ 0`) of `x` with bits `p − W` of `y` in every 64-bit lane.
#[inline]
#[target_feature(enable = "avx2")]
fn swap<const W: i32>(x: &mut __m256i, y: &mut __m256i, mask: __m256i) {
    let t = _mm256_and_si256(_mm256_xor_si256(_mm256_srli_epi64::<W>(*x), *y), mask);
    *x = _mm256_xor_si256(*x, _mm256_slli_epi64::<W>(t));
    *y = _mm256_xor_si256(*y, t);
}

/// Steps of widths `A`, `B`, `C` on eight rows: row `k` with rows `k + 4`, `k + 2`, `k + 1`.
#[inline]
#[target_feature(enable = "avx2")]
fn three<const A: i32, const B: i32, const C: i32>(g: &mut [__m256i; 8], m: [u64; 3]) {
    let m = m.map(|m| _mm256_set1_epi64x(m as i64));
    for k in [0, 1, 2, 3] {
        let (x, y) = g.split_at_mut(k + 4);
        swap::<A>(&mut x[k], &mut y[0], m[0]);
    }
    for k in [0, 1, 4, 5] {
        let (x, y) = g.split_at_mut(k + 2);
        swap::<B>(&mut x[k], &mut y[0], m[1]);
    }
    for k in [0, 2, 4, 6] {
        let (x, y) = g.split_at_mut(k + 1);
        swap::<C>(&mut x[k], &mut y[0], m[2]);
    }
}

/// Transposes blocks `c … c + 3` (those below `cols`; the others are taken as zero) of the
/// 128 rows of `cols` blocks: `out[128·j + i]` = column `i` of block `c + j`. Each row's
/// 64 bytes are read in one pass (rows `cols` blocks apart alias in a few L1 sets, so a
/// line read twice would come from L2 twice). `masks`: widths 32, 16, 8 and 4, 2, 1.
#[target_feature(enable = "avx2")]
pub(super) fn quad(
    rows: &[Block],
    cols: usize,
    c: usize,
    masks: ([u64; 3], [u64; 3]),
    out: &mut [Block; 512],
) {
    let zero = _mm256_set1_epi64x(0);
    let mut a = [[zero; 128]; 2];
    let n = [
        cols.saturating_sub(c).min(2),
        cols.saturating_sub(c + 2).min(2),
    ];
    for r in 0..64 {
        for (p, a) in a.iter_mut().enumerate() {
            // The width-64 step: high half of row r ↔ low half of row r + 64.
            let x = load_row(rows, r * cols + c + 2 * p, n[p]);
            let y = load_row(rows, (r + 64) * cols + c + 2 * p, n[p]);
            a[r] = _mm256_unpacklo_epi64(x, y);
            a[r + 64] = _mm256_unpackhi_epi64(x, y);
        }
    }
    let (o01, o23) = out.split_at_mut(256);
    for (a, o) in a.iter_mut().zip([o01, o23]) {
        finish(a, masks, o);
    }
}

/// The steps of widths 32 … 1 on 128 gathered rows of two matrices, then the stores:
/// `out[i]` / `out[128 + i]` = column `i` of the first / second matrix.
#[inline]
#[target_feature(enable = "avx2")]
fn finish(a: &mut [__m256i; 128], masks: ([u64; 3], [u64; 3]), out: &mut [Block]) {
    for half in a.chunks_exact_mut(64) {
        for b in 0..8 {
            let mut g: [__m256i; 8] = std::array::from_fn(|k| half[b + 8 * k]);
            three::<32, 16, 8>(&mut g, masks.0);
            for (k, v) in g.into_iter().enumerate() {
                half[b + 8 * k] = v;
            }
        }
    }
    let (o0, o1) = out.split_at_mut(128);
    for (i0, group) in a.chunks_exact(8).enumerate() {
        let mut g: [__m256i; 8] = std::array::from_fn(|k| group[k]);
        three::<4, 2, 1>(&mut g, masks.1);
        for (k, v) in g.into_iter().enumerate() {
            let i = 8 * i0 + k;
            // SAFETY: `o0[i]`, `o1[i]` are valid, exclusively borrowed 16-byte Blocks.
            unsafe {
                _mm_storeu_si128((&mut o0[i] as *mut Block).cast(), _mm256_castsi256_si128(v));
                _mm_storeu_si128(
                    (&mut o1[i] as *mut Block).cast(),
                    _mm256_extracti128_si256::<1>(v),
                );
            }
        }
    }
}

//! Bit-matrix transposition for OT extension (safe code, Eklundh's recursive block swap).

use crate::block::Block;

/// Transposes a 128×128 bit matrix in place: afterwards bit `i` of `m[j]` is the former
/// bit `j` of `m[i]` (bit 0 = least significant).
pub fn transpose_128(m: &mut [u128; 128]) {
    let mut h = Halves::default();
    for (r, &x) in m.iter().enumerate() {
        h.lo[r] = x as u64;
        h.hi[r] = (x >> 64) as u64;
    }
    transpose_halves(&mut h);
    for (r, d) in m.iter_mut().enumerate() {
        *d = h.lo[r] as u128 | (h.hi[r] as u128) << 64;
    }
}

/// A 128×128 bit matrix as two columns of 64-bit halves (structure of arrays, so each step
/// is a loop over contiguous `u64`s that the compiler vectorises).
pub(crate) struct Halves {
    /// Bits 0..64 of every row.
    pub(crate) lo: [u64; 128],
    /// Bits 64..128 of every row.
    pub(crate) hi: [u64; 128],
}

impl Default for Halves {
    fn default() -> Self {
        Halves {
            lo: [0; 128],
            hi: [0; 128],
        }
    }
}

/// Transposes through the widest vector unit available.
fn transpose_halves(m: &mut Halves) {
    if !crate::aesni::run_avx2(m, transpose_halves_portable) {
        transpose_halves_portable(m);
    }
}

/// The transposition (Eklundh): swap the off-diagonal blocks of width 64, 32, …, 1. For
/// width 64 that exchanges `hi[r]` and `lo[r + 64]`; below it, bits `p` and `p + width`
/// (`p & width = 0`) sit in the same 64-bit half.
#[inline(always)]
pub(crate) fn transpose_halves_portable(m: &mut Halves) {
    let (lo_top, lo_bottom) = m.lo.split_at_mut(64);
    for (x, y) in m.hi[..64].iter_mut().zip(lo_bottom.iter_mut()) {
        std::mem::swap(x, y);
    }
    let _ = lo_top;
    macro_rules! level {
        ($w:expr, $mask:expr) => {{
            for a in [&mut m.lo, &mut m.hi] {
                for pair in a.chunks_exact_mut(2 * $w) {
                    let (xs, ys) = pair.split_at_mut($w);
                    for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
                        let t = ((*x >> $w) ^ *y) & $mask;
                        *x ^= t << $w;
                        *y ^= t;
                    }
                }
            }
        }};
    }
    level!(32, 0x0000_0000_ffff_ffffu64);
    level!(16, 0x0000_ffff_0000_ffffu64);
    level!(8, 0x00ff_00ff_00ff_00ffu64);
    level!(4, 0x0f0f_0f0f_0f0f_0f0fu64);
    level!(2, 0x3333_3333_3333_3333u64);
    level!(1, 0x5555_5555_5555_5555u64);
}

/// Transposes 128 rows of `cols` blocks (row `i`, bit `j` of the row = bit `j % 128` of
/// block `rows[i][j / 128]`) into `cols·128` blocks: bit `i` of `out[j]` = row `i` bit `j`.
pub fn transpose_rows(rows: &[Vec<Block>], cols: usize, out: &mut Vec<Block>) {
    assert_eq!(rows.len(), 128, "transpose_rows: need 128 rows");
    out.clear();
    out.reserve(cols * 128);
    let mut h = Halves::default();
    for c in 0..cols {
        for (r, row) in rows.iter().enumerate() {
            let x = row[c].0;
            h.lo[r] = x as u64;
            h.hi[r] = (x >> 64) as u64;
        }
        transpose_halves(&mut h);
        out.extend(
            h.lo.iter()
                .zip(&h.hi)
                .map(|(&l, &hi)| Block(l as u128 | (hi as u128) << 64)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    #[test]
    fn transpose_matches_bit_by_bit_definition() {
        let mut rng = ChaCha12Rng::seed_from_u64(5);
        let mut m = [0u128; 128];
        for x in m.iter_mut() {
            *x = (rng.next_u64() as u128) << 64 | rng.next_u64() as u128;
        }
        let orig = m;
        transpose_128(&mut m);
        for (i, row) in orig.iter().enumerate() {
            for (j, col) in m.iter().enumerate() {
                assert_eq!((col >> i) & 1, (row >> j) & 1, "bit ({i},{j})");
            }
        }
        transpose_128(&mut m);
        assert_eq!(m, orig, "transpose is an involution");
    }
}

//! Bit-matrix transposition for OT extension (safe code, Eklundh's recursive block swap).

use crate::block::Block;

/// Transposes a 128×128 bit matrix in place: afterwards bit `i` of `m[j]` is the former
/// bit `j` of `m[i]` (bit 0 = least significant).
pub fn transpose_128(m: &mut [u128; 128]) {
    let mut h = [[0u64; 2]; 128];
    for (d, &x) in h.iter_mut().zip(m.iter()) {
        *d = [x as u64, (x >> 64) as u64];
    }
    transpose_halves(&mut h);
    for (d, x) in m.iter_mut().zip(h.iter()) {
        *d = x[0] as u128 | (x[1] as u128) << 64;
    }
}

/// The transposition on rows split into 64-bit halves `[low, high]`, so every step below
/// the top one works on independent 64-bit lanes (vectorised with SSE2 by the compiler).
fn transpose_halves(m: &mut [[u64; 2]; 128]) {
    // Width 64: swap the high half of row r with the low half of row r + 64.
    let (top, bottom) = m.split_at_mut(64);
    for (x, y) in top.iter_mut().zip(bottom.iter_mut()) {
        std::mem::swap(&mut x[1], &mut y[0]);
    }
    // Widths 32 … 1: bits p and p + width (p & width = 0) lie in the same 64-bit half.
    macro_rules! level {
        ($w:expr, $mask:expr) => {{
            let mut k = 0;
            while k < 128 {
                let (lo, hi) = m[k..k + 2 * $w].split_at_mut($w);
                for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                    for l in 0..2 {
                        let t = ((x[l] >> $w) ^ y[l]) & $mask;
                        x[l] ^= t << $w;
                        y[l] ^= t;
                    }
                }
                k += 2 * $w;
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
    let mut h = [[0u64; 2]; 128];
    for c in 0..cols {
        for (dst, row) in h.iter_mut().zip(rows) {
            let x = row[c].0;
            *dst = [x as u64, (x >> 64) as u64];
        }
        transpose_halves(&mut h);
        out.extend(h.iter().map(|x| Block(x[0] as u128 | (x[1] as u128) << 64)));
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

//! Bit-matrix transposition for OT extension (safe code, Eklundh's recursive block swap).

use crate::block::Block;

/// Transposes a 128×128 bit matrix in place: afterwards bit `i` of `m[j]` is the former
/// bit `j` of `m[i]` (bit 0 = least significant).
pub fn transpose_128(m: &mut [u128; 128]) {
    let mut width = 64usize;
    let mut mask: u128 = u64::MAX as u128;
    while width != 0 {
        let mut k = 0;
        while k < 128 {
            for r in k..k + width {
                let t = ((m[r] >> width) ^ m[r + width]) & mask;
                m[r] ^= t << width;
                m[r + width] ^= t;
            }
            k += 2 * width;
        }
        width >>= 1;
        mask ^= mask << width;
    }
}

/// Transposes 128 rows of `cols` blocks (row `i`, bit `j` of the row = bit `j % 128` of
/// block `rows[i][j / 128]`) into `cols·128` blocks: bit `i` of `out[j]` = row `i` bit `j`.
pub fn transpose_rows(rows: &[Vec<Block>], cols: usize, out: &mut Vec<Block>) {
    assert_eq!(rows.len(), 128, "transpose_rows: need 128 rows");
    out.clear();
    out.reserve(cols * 128);
    let mut m = [0u128; 128];
    for c in 0..cols {
        for (dst, row) in m.iter_mut().zip(rows) {
            *dst = row[c].0;
        }
        transpose_128(&mut m);
        out.extend(m.iter().map(|&x| Block(x)));
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

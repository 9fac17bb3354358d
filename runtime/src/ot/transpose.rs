//! Bit-matrix transposition for OT extension (safe code, Eklundh's recursive block swap).
//!
//! Two 128×128 matrices are transposed together: row `r` of both sits in one `[u64; 4]`
//! (one 256-bit register: the two 128-bit rows side by side, as they lie in memory), so
//! gathering is a plain 32-byte load per row and every step below width 64 is the same
//! elementwise shift/mask on the four 64-bit lanes (bits `p` and `p − w` of a row sit in
//! the same 64-bit half). The width-64 step, the only one crossing halves, is a lane
//! interleave done while gathering; the other six run in two passes of three steps on
//! groups of eight rows held in registers (the steps commute: each exchanges one bit of
//! the row index with the same bit of the column index).

use crate::block::Block;

/// Row `r` of two 128×128 matrices: lanes 0–1 = matrix 0 (low, high 64 bits), lanes 2–3 =
/// matrix 1.
type Pair = [[u64; 4]; 128];

/// Transposes a 128×128 bit matrix in place: afterwards bit `i` of `m[j]` is the former
/// bit `j` of `m[i]` (bit 0 = least significant).
pub fn transpose_128(m: &mut [u128; 128]) {
    let rows: Vec<Block> = m.iter().map(|&x| Block(x)).collect();
    let mut out = Vec::with_capacity(128);
    transpose_matrix(&rows, 1, 128, &mut out);
    for (d, b) in m.iter_mut().zip(&out) {
        *d = b.0;
    }
}

/// The two 64-bit halves of a block.
#[inline(always)]
fn halves(b: Block) -> [u64; 2] {
    [b.0 as u64, (b.0 >> 64) as u64]
}

/// Exchanges bits `p` (`p & W ≠ 0`) of `x` with bits `p − W` of `y`, in all four lanes.
#[inline(always)]
fn swap_bits<const W: u32>(x: &mut [u64; 4], y: &mut [u64; 4], mask: u64) {
    for (x, y) in x.iter_mut().zip(y.iter_mut()) {
        let t = ((*x >> W) ^ *y) & mask;
        *x ^= t << W;
        *y ^= t;
    }
}

/// Three Eklundh steps on eight rows held in registers: widths `A`, `B`, `C` pair row `k`
/// with rows `k + 4`, `k + 2`, `k + 1` of the group.
#[inline(always)]
fn three_levels<const A: u32, const B: u32, const C: u32>(g: &mut [[u64; 4]; 8], m: [u64; 3]) {
    for k in [0, 1, 2, 3] {
        let (x, y) = g.split_at_mut(k + 4);
        swap_bits::<A>(&mut x[k], &mut y[0], m[0]);
    }
    for k in [0, 1, 4, 5] {
        let (x, y) = g.split_at_mut(k + 2);
        swap_bits::<B>(&mut x[k], &mut y[0], m[1]);
    }
    for k in [0, 2, 4, 6] {
        let (x, y) = g.split_at_mut(k + 1);
        swap_bits::<C>(&mut x[k], &mut y[0], m[2]);
    }
}

/// Masks of the steps of widths 32, 16, 8 and of widths 4, 2, 1.
const HIGH: [u64; 3] = [
    0x0000_0000_ffff_ffff,
    0x0000_ffff_0000_ffff,
    0x00ff_00ff_00ff_00ff,
];
const LOW: [u64; 3] = [
    0x0f0f_0f0f_0f0f_0f0f,
    0x3333_3333_3333_3333,
    0x5555_5555_5555_5555,
];

/// Transposes the IKNP matrix of one step and appends the first `take` of its columns:
/// `rows` holds 128 rows of `cols` blocks each (row `i`, bit `j` of the row = bit `j % 128`
/// of block `rows[i·cols + j / 128]`); the appended block `j` has bit `i` = row `i` bit `j`.
pub fn transpose_matrix(rows: &[Block], cols: usize, take: usize, out: &mut Vec<Block>) {
    assert_eq!(
        rows.len(),
        128 * cols,
        "transpose_matrix: need 128 rows of {cols} blocks"
    );
    let take = take.min(128 * cols);
    out.reserve(take);
    // The columns of four blocks, staged in L1 before they are appended.
    let mut staged = [Block::ZERO; 512];
    let mut c = 0;
    while c < cols && 128 * c < take {
        let k = (cols - c).min(4);
        if !crate::aesni::transpose_quad(rows, cols, c, (HIGH, LOW), &mut staged) {
            let (s01, s23) = staged.split_at_mut(256);
            for (p, s) in [s01, s23].into_iter().enumerate() {
                if c + 2 * p < cols {
                    transpose_pair_portable(rows, cols, c + 2 * p, s);
                }
            }
        }
        let n = (take - 128 * c).min(128 * k);
        out.extend_from_slice(&staged[..n]);
        c += k;
    }
}

/// Blocks `c` and `c + 1` of the rows transposed (block `c + 1` taken as zero past the last
/// column): `out[i]` / `out[128 + i]` = column `i` of block `c` / `c + 1` (`out` holds 256
/// blocks). The safe code
/// that the AVX2 kernel (`aesni::transpose_pair`) is tested equal to.
fn transpose_pair_portable(rows: &[Block], cols: usize, c: usize, out: &mut [Block]) {
    let two = c + 1 < cols;
    let mut a: Pair = [[0; 4]; 128];
    // Gather rows r and r + 64 of blocks c, c + 1 and take the width-64 step: high half of
    // row r ↔ low half of row r + 64, in each matrix.
    let row = |r: usize| -> [u64; 4] {
        let x0 = halves(rows[r * cols + c]);
        let x1 = if two {
            halves(rows[r * cols + c + 1])
        } else {
            [0; 2]
        };
        [x0[0], x0[1], x1[0], x1[1]]
    };
    for r in 0..64 {
        let (x, y) = (row(r), row(r + 64));
        a[r] = [x[0], y[0], x[2], y[2]];
        a[r + 64] = [x[1], y[1], x[3], y[3]];
    }
    for half in a.chunks_exact_mut(64) {
        for b in 0..8 {
            let mut g: [[u64; 4]; 8] = std::array::from_fn(|k| half[b + 8 * k]);
            three_levels::<32, 16, 8>(&mut g, HIGH);
            for (k, row) in g.iter().enumerate() {
                half[b + 8 * k] = *row;
            }
        }
    }
    // Widths 4, 2, 1 on eight rows, which are then final: row i holds column i of both.
    for (i0, group) in a.chunks_exact(8).enumerate() {
        let mut g: [[u64; 4]; 8] = std::array::from_fn(|k| group[k]);
        three_levels::<4, 2, 1>(&mut g, LOW);
        for (k, r) in g.iter().enumerate() {
            out[8 * i0 + k] = Block(r[0] as u128 | (r[1] as u128) << 64);
            out[128 + 8 * i0 + k] = Block(r[2] as u128 | (r[3] as u128) << 64);
        }
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

    #[test]
    fn matrix_transpose_matches_definition_for_every_column_count_and_take() {
        let mut rng = ChaCha12Rng::seed_from_u64(6);
        for (cols, take) in [
            (1, 128),
            (1, 5),
            (3, 300),
            (4, 512),
            (5, 640),
            (9, 1000),
            (9, 0),
        ] {
            let rows: Vec<Block> = (0..128 * cols)
                .map(|_| Block((rng.next_u64() as u128) << 64 | rng.next_u64() as u128))
                .collect();
            let mut out = vec![Block(7)];
            transpose_matrix(&rows, cols, take, &mut out);
            assert_eq!(
                out.len(),
                1 + take,
                "cols {cols} take {take}: appends exactly `take`"
            );
            assert_eq!(out[0], Block(7), "earlier contents kept");
            for (j, col) in out[1..].iter().enumerate() {
                for i in 0..128 {
                    let bit = rows[i * cols + j / 128].bit(j % 128);
                    assert_eq!(col.bit(i), bit, "cols {cols}: bit {i} of column {j}");
                }
            }
        }
    }

    #[test]
    fn avx2_kernel_equals_the_portable_code() {
        let mut rng = ChaCha12Rng::seed_from_u64(7);
        for cols in [1usize, 2, 3, 8] {
            let rows: Vec<Block> = (0..128 * cols)
                .map(|_| Block((rng.next_u64() as u128) << 64 | rng.next_u64() as u128))
                .collect();
            for c in 0..cols {
                let mut want = [Block(1); 256];
                transpose_pair_portable(&rows, cols, c, &mut want);
                for (i, col) in want[..128].iter().enumerate() {
                    let bits = (0..128).all(|r| col.bit(r) == rows[r * cols + c].bit(i));
                    assert!(bits, "portable: cols {cols}, block {c}, column {i}");
                }
            }
            for c in 0..cols {
                let mut got = [Block(2); 512];
                if !crate::aesni::transpose_quad(&rows, cols, c, (HIGH, LOW), &mut got) {
                    continue;
                }
                for p in 0..2 {
                    let mut want = [Block::ZERO; 256];
                    if c + 2 * p < cols {
                        transpose_pair_portable(&rows, cols, c + 2 * p, &mut want);
                    }
                    assert_eq!(got[256 * p..256 * (p + 1)], want, "cols {cols}, block {c}");
                }
            }
        }
        let mut out = [Block(3); 512];
        let rows = vec![Block::ZERO; 128];
        assert!(!crate::aesni::transpose_quad(
            &rows,
            1,
            1,
            (HIGH, LOW),
            &mut out
        ));
        assert!(!crate::aesni::transpose_quad(
            &rows,
            2,
            0,
            (HIGH, LOW),
            &mut out
        ));
        assert_eq!(out, [Block(3); 512], "refused calls write nothing");
    }
}

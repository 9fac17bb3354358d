//! Bit-matrix transposition for OT extension (safe code, Eklundh's recursive block swap).
//!
//! Four 128×128 matrices are transposed together, interleaved: every step of the
//! transposition is then the same elementwise operation on `[u64; 4]` rows (one 256-bit
//! register), so the whole transposition vectorises with no lane shuffles, even at the
//! narrow widths where one matrix alone would pair neighbouring 64-bit words.

use crate::block::Block;

/// Transposes a 128×128 bit matrix in place: afterwards bit `i` of `m[j]` is the former
/// bit `j` of `m[i]` (bit 0 = least significant).
pub fn transpose_128(m: &mut [u128; 128]) {
    let mut q = Quad::default();
    for (r, &x) in m.iter().enumerate() {
        q.lo[r][0] = x as u64;
        q.hi[r][0] = (x >> 64) as u64;
    }
    transpose_quad(&mut q);
    for (r, d) in m.iter_mut().enumerate() {
        *d = q.lo[r][0] as u128 | (q.hi[r][0] as u128) << 64;
    }
}

/// Four 128×128 bit matrices interleaved: `lo[r][j]` / `hi[r][j]` hold bits 0..64 /
/// 64..128 of row `r` of matrix `j`.
pub(crate) struct Quad {
    /// Bits 0..64 of every row of the four matrices.
    pub(crate) lo: [[u64; 4]; 128],
    /// Bits 64..128 of every row of the four matrices.
    pub(crate) hi: [[u64; 4]; 128],
}

impl Default for Quad {
    fn default() -> Self {
        Quad {
            lo: [[0; 4]; 128],
            hi: [[0; 4]; 128],
        }
    }
}

/// Transposes the four matrices through the widest vector unit available.
fn transpose_quad(m: &mut Quad) {
    if !crate::aesni::run_avx2(m, transpose_quad_portable) {
        transpose_quad_portable(m);
    }
}

/// One Eklundh step of width `W` on every row pair `(r, r + W)` (`r & W = 0`): bits `p`
/// (`p & W ≠ 0`) of row `r` trade places with bits `p − W` of row `r + W`.
#[inline(always)]
fn level<const W: usize>(a: &mut [[u64; 4]; 128], mask: u64) {
    for pair in a.chunks_exact_mut(2 * W) {
        let (xs, ys) = pair.split_at_mut(W);
        for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
            for j in 0..4 {
                let t = ((x[j] >> W) ^ y[j]) & mask;
                x[j] ^= t << W;
                y[j] ^= t;
            }
        }
    }
}

/// The transposition (Eklundh): swap the off-diagonal blocks of width 64, 32, …, 1. For
/// width 64 that exchanges `hi[r]` and `lo[r + 64]`; below it, bits `p` and `p + width`
/// (`p & width = 0`) sit in the same 64-bit half.
#[inline(always)]
pub(crate) fn transpose_quad_portable(m: &mut Quad) {
    for (x, y) in m.hi[..64].iter_mut().zip(m.lo[64..].iter_mut()) {
        std::mem::swap(x, y);
    }
    for a in [&mut m.lo, &mut m.hi] {
        level::<32>(a, 0x0000_0000_ffff_ffff);
        level::<16>(a, 0x0000_ffff_0000_ffff);
        level::<8>(a, 0x00ff_00ff_00ff_00ff);
        level::<4>(a, 0x0f0f_0f0f_0f0f_0f0f);
        level::<2>(a, 0x3333_3333_3333_3333);
        level::<1>(a, 0x5555_5555_5555_5555);
    }
}

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
    let mut job = Job {
        rows,
        cols,
        take,
        out,
        quad: Quad::default(),
        staged: [Block::ZERO; 512],
    };
    // Gathering, transposing and scattering all compiled for AVX2 when the CPU has it.
    if !crate::aesni::run_avx2(&mut job, run_job) {
        run_job(&mut job);
    }
}

/// One call of [`transpose_matrix`]: the rows, how many columns to append, the output.
struct Job<'a> {
    rows: &'a [Block],
    cols: usize,
    take: usize,
    out: &'a mut Vec<Block>,
    quad: Quad,
    /// The columns of one quad, staged in L1 before they are appended (one write to `out`).
    staged: [Block; 512],
}

#[inline(always)]
fn run_job(job: &mut Job<'_>) {
    let (rows, cols, q, staged) = (job.rows, job.cols, &mut job.quad, &mut job.staged);
    let mut c = 0;
    while c < cols && 128 * c < job.take {
        let k = (cols - c).min(4);
        if k == 4 {
            for (r, row) in rows.chunks_exact(cols).enumerate() {
                for (j, b) in row[c..c + 4].iter().enumerate() {
                    q.lo[r][j] = b.0 as u64;
                    q.hi[r][j] = (b.0 >> 64) as u64;
                }
            }
        } else {
            for (r, row) in rows.chunks_exact(cols).enumerate() {
                for j in 0..4 {
                    let x = if j < k { row[c + j].0 } else { 0 };
                    q.lo[r][j] = x as u64;
                    q.hi[r][j] = (x >> 64) as u64;
                }
            }
        }
        transpose_quad_portable(q);
        let (s0, rest) = staged.split_at_mut(128);
        let (s1, rest) = rest.split_at_mut(128);
        let (s2, s3) = rest.split_at_mut(128);
        for (i, (lo, hi)) in q.lo.iter().zip(&q.hi).enumerate() {
            let col = |j: usize| Block(lo[j] as u128 | (hi[j] as u128) << 64);
            s0[i] = col(0);
            s1[i] = col(1);
            s2[i] = col(2);
            s3[i] = col(3);
        }
        let n = (job.take - 128 * c).min(128 * k);
        job.out.extend_from_slice(&staged[..n]);
        c += k;
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
}

//! Cheaper coefficients at a bounded error: per piece, the coefficient pairs (m, c) near the
//! minimax fit whose products cost the fewest AND gates, with d re-centred, kept only if the
//! program's exact fixed-point evaluation stays within the error bound.
//!
//! A constant product `trunc_mul(k, v, FP)` costs one row of the column sum per non-adjacent
//! form digit of k that survives the truncation, as wide as the part of v·digit above 2^−FP;
//! candidates are ranked by that estimate and the best are compiled to count ANDs exactly.

use crate::Piece;
use num_bigint::BigInt;

/// Estimated column bits of `k · v` truncated at 2^−fp: for each NAF digit 2^(e − fc) of
/// the fixed<·, fc> constant `k`, the bits of v (integer part `v_int` bits, fraction
/// `v_frac` bits) that land at weight ≥ 2^−fp.
pub(crate) fn row_bits(k: i64, fc: u32, v_int: u32, v_frac: u32, fp: u32) -> u32 {
    dsl::trunc::naf_digits(&BigInt::from(k))
        .iter()
        .enumerate()
        .filter(|(_, d)| **d != 0)
        .map(|(pos, _)| {
            let e = pos as i64 - i64::from(fc);
            let top = i64::from(v_int) + e; // weight of the highest bit, exclusive
            let bottom = (-i64::from(v_frac) + e).max(-i64::from(fp));
            (top - bottom).max(0) as u32
        })
        .sum()
}

/// One candidate for a piece: raw coefficients at `fc` bits, the float d, its float error.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Candidate {
    /// m at fc fractional bits.
    pub(crate) m: i64,
    /// c at fc fractional bits.
    pub(crate) c: i64,
    /// The re-centred constant.
    pub(crate) d: f64,
    /// Max |p(x) − tanh x| over the piece's inputs, in floating point.
    pub(crate) err: f64,
    /// The row-bit estimate of the two products.
    pub(crate) cost: u32,
}

/// Candidates of `piece` on the fixed-point inputs of (lo, upper]: every (m, c) within
/// `radius` steps of the fit's, d re-centred (fixed at 0 for the first piece), float error at
/// most `budget`; cheapest estimate first.
pub(crate) fn candidates(
    piece: &Piece,
    lo: f64,
    fc: u32,
    radius: i64,
    budget: f64,
) -> Vec<Candidate> {
    let scale = f64::from(1u32 << fc);
    let xs: Vec<f64> = ((lo * 4096.0).floor() as i64 + 1..=(piece.upper * 4096.0) as i64)
        .map(|i| i as f64 / 4096.0)
        .collect();
    let ys: Vec<f64> = xs.iter().map(|x| x.tanh()).collect();
    let (m0, c0) = (
        (piece.m * scale).round() as i64,
        (piece.c * scale).round() as i64,
    );
    let first = lo == 0.0;
    let t2_int = (piece.upper * piece.upper).log2().floor().max(0.0) as u32 + 1;
    let t_int = piece.upper.log2().floor().max(0.0) as u32 + 1;
    let mut out = Vec::new();
    for m in m0 - radius..=m0 + radius {
        for c in c0 - radius..=c0 + radius {
            let (mf, cf) = (m as f64 / scale, c as f64 / scale);
            let (mut lo_r, mut hi_r) = (f64::INFINITY, f64::NEG_INFINITY);
            for (x, y) in xs.iter().zip(&ys) {
                let r = y - (mf * x * x + cf * x);
                lo_r = lo_r.min(r);
                hi_r = hi_r.max(r);
            }
            let (d, err) = if first {
                (0.0, lo_r.abs().max(hi_r.abs()))
            } else {
                ((lo_r + hi_r) / 2.0, (hi_r - lo_r) / 2.0)
            };
            if err <= budget {
                let cost = row_bits(m, fc, t2_int, 13, 14) + row_bits(c, fc, t_int, 12, 14);
                out.push(Candidate { m, c, d, err, cost });
            }
        }
    }
    out.sort_by(|a, b| a.cost.cmp(&b.cost).then(a.err.total_cmp(&b.err)));
    out
}

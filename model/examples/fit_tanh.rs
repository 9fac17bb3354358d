//! Fits odd piecewise-quadratic approximations of tanh (minimax per piece by Lawson's
//! iteratively reweighted least squares, breakpoints moved to balance the pieces' errors)
//! and prints, for each, the max error of the exact fixed-point evaluation and the Rust
//! constant for `model/src/tanh_fit_coefficients.rs`.
//!
//! `cargo run -p gcc-nn-model --example fit_tanh -- PIECES END [COEF_FRAC]`

use gcc_nn_model as model;
use model::activation::{Piece, PiecewiseQuadratic};

#[allow(clippy::needless_range_loop)] // small dense Gauss–Jordan elimination
/// Minimax quadratic on [lo, hi] (Lawson's algorithm on a grid); returns (m, c, d, max err).
fn fit_piece(lo: f64, hi: f64) -> (f64, f64, f64, f64) {
    // The first piece passes through the origin (d = 0), so the function stays odd and continuous at 0.
    let nb = if lo == 0.0 { 2 } else { 3 };
    let n = 400;
    let xs: Vec<f64> = (0..=n)
        .map(|i| lo + (hi - lo) * i as f64 / n as f64)
        .collect();
    let mut w = vec![1.0 / xs.len() as f64; xs.len()];
    let mut best = (0.0, 0.0, 0.0, f64::INFINITY);
    for _ in 0..300 {
        // Weighted least squares for a·x² + b·x + c: 3×3 normal equations.
        let mut a = [[0.0f64; 4]; 3];
        for (x, wi) in xs.iter().zip(&w) {
            let phi = [x * x, *x, 1.0];
            let y = x.tanh();
            for r in 0..nb {
                for c in 0..nb {
                    a[r][c] += wi * phi[r] * phi[c];
                }
                a[r][3] += wi * phi[r] * y;
            }
        }
        for col in 0..nb {
            let piv = (col..nb)
                .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
                .unwrap_or(col);
            a.swap(col, piv);
            for r in 0..nb {
                if r != col {
                    let f = a[r][col] / a[col][col];
                    for c in col..4 {
                        a[r][c] -= f * a[col][c];
                    }
                }
            }
        }
        let (m, c) = (a[0][3] / a[0][0], a[1][3] / a[1][1]);
        let d = if nb == 3 { a[2][3] / a[2][2] } else { 0.0 };
        let errs: Vec<f64> = xs
            .iter()
            .map(|x| (m * x * x + c * x + d - x.tanh()).abs())
            .collect();
        let e = errs.iter().cloned().fold(0.0, f64::max);
        if e < best.3 {
            best = (m, c, d, e);
        }
        let s: f64 = w.iter().zip(&errs).map(|(w, e)| w * e).sum();
        w.iter_mut().zip(&errs).for_each(|(w, e)| *w *= e / s);
    }
    best
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pieces: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let end: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3.5);
    let coef_frac: u32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(14);
    let q = |v: f64| (v * 64.0).round() / 64.0; // breakpoints on a 1/64 grid: exact decimals
    let mut bps: Vec<f64> = (0..=pieces)
        .map(|i| end * i as f64 / pieces as f64)
        .collect();
    for _ in 0..60 {
        let errs: Vec<f64> = bps.windows(2).map(|w| fit_piece(w[0], w[1]).3).collect();
        for i in 1..pieces {
            // Move the breakpoint towards the piece with the larger error.
            let shift = 0.15 * (bps[i + 1] - bps[i - 1]) * (errs[i - 1] - errs[i])
                / (errs[i - 1] + errs[i]);
            bps[i] -= shift;
        }
    }
    for b in bps.iter_mut() {
        *b = q(*b);
    }
    let fitted: Vec<Piece> = bps
        .windows(2)
        .map(|w| {
            let (m, c, d, _) = fit_piece(w[0], w[1]);
            Piece {
                upper: w[1],
                m,
                c,
                d,
            }
        })
        .collect();
    let bits_for = |v: f64| (1..64u32).find(|&b| v < (1u64 << b) as f64).unwrap_or(64);
    let t_bits = bits_for(end * 4096.0);
    let t2_bits = bits_for(end * end * 8192.0);
    let leaked: &'static [Piece] = Box::leak(fitted.clone().into_boxed_slice());
    let approx = PiecewiseQuadratic {
        name: "tanh_fit",
        pieces: leaked,
        t_bits,
        t2_frac: 13,
        t2_bits,
        coef_frac,
    };
    let float_err = (0..=40000)
        .map(|i| i as f64 * 1e-4)
        .map(|x| (approx.eval_f64(x) - x.tanh()).abs())
        .fold(0.0, f64::max);
    println!(
        "// pieces {pieces}, end {end}, coef_frac {coef_frac}: float max err {float_err:.2e}, fixed max err {:.2e} (tanh*: {:.2e})",
        approx.max_fixed_error(),
        model::activation::TANH_STAR.max_fixed_error()
    );
    println!(
        "pub const TANH_FIT: PiecewiseQuadratic = PiecewiseQuadratic {{\n    name: \"tanh_fit\",\n    pieces: &["
    );
    for p in &fitted {
        println!(
            "        Piece {{ upper: {}, m: {:.7}, c: {:.7}, d: {:.7} }},",
            p.upper, p.m, p.c, p.d
        );
    }
    println!(
        "    ],\n    t_bits: {t_bits},\n    t2_frac: 13,\n    t2_bits: {t2_bits},\n    coef_frac: {coef_frac},\n}};"
    );
}

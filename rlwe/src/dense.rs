//! The NTT engine of the products ([`crate::layout::Engine::Ntt`]): for dense ŵ (few patches
//! per polynomial, Cheetah's original setting) one transform of ŵ serves all N coefficients,
//! so `Σ_ib ŵ·(b, a)` costs `L` transforms per block product plus pointwise work, instead of
//! `n_o·n_i` shifted multiply-accumulates.

use crate::cipher::InputCiphertext;
use crate::layout::{Layout, Term};
use crate::params::{L, N, context};
use crate::poly::RnsPoly;
use rayon::prelude::*;

/// `acc ← acc + x ⊙ y` (NTT representation).
fn mul_add(acc: &mut RnsPoly, x: &RnsPoly, y: &RnsPoly) {
    let ctx = context();
    for l in 0..L {
        let m = ctx.modulus(l);
        let (xs, ys) = (x.residues(l), y.residues(l));
        for ((a, &u), &v) in acc.residues_mut(l).iter_mut().zip(xs).zip(ys) {
            *a = m.add(*a, m.mul(u, v));
        }
    }
}

/// Same contract as the coefficient engine's `accumulate_group`: `a[ob]` (all coefficients)
/// and `b[ob][l][u]` (useful coefficients), mod q, unmasked.
pub(crate) fn accumulate_group(
    layout: &Layout,
    a_in: &[&RnsPoly],
    b_in: &[&InputCiphertext],
    terms: &[Vec<Term>],
    g: usize,
) -> (Vec<RnsPoly>, Vec<Vec<Vec<u64>>>) {
    let inputs: Vec<(RnsPoly, RnsPoly)> = a_in
        .par_iter()
        .zip(b_in)
        .map(|(a, c)| {
            let (mut a, mut b) = ((*a).clone(), c.b.clone());
            a.to_ntt();
            b.to_ntt();
            (a, b)
        })
        .collect();
    let outs: Vec<(RnsPoly, Vec<Vec<u64>>)> = terms
        .par_iter()
        .enumerate()
        .map(|(ob, ts)| {
            let (mut acc_a, mut acc_b) = (RnsPoly::zero(), RnsPoly::zero());
            for (ib, (a, b)) in inputs.iter().enumerate() {
                let mut w = vec![0i64; N];
                for t in ts.iter().filter(|t| t.block == ib) {
                    w[t.degree] = t.w;
                }
                let mut w = RnsPoly::from_signed(&w);
                w.to_ntt();
                mul_add(&mut acc_a, &w, a);
                mul_add(&mut acc_b, &w, b);
            }
            acc_a.from_ntt();
            acc_b.from_ntt();
            let b_useful = (0..L)
                .map(|l| {
                    layout
                        .useful_degrees(ob, g)
                        .map(|d| acc_b.residues(l)[d])
                        .collect()
                })
                .collect();
            (acc_a, b_useful)
        })
        .collect();
    outs.into_iter().unzip()
}

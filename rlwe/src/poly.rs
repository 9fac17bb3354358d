//! Polynomials of `R_q` in RNS form: `L` residue vectors of `N` coefficients, stored flat
//! (`data[l·N + i]`), in coefficient or NTT representation (the caller keeps track).

use crate::arith::Modulus;
use crate::params::{L, N, context};
use rayon::prelude::*;
use zeroize::Zeroize;

/// An element of `R_q`, residues modulo each prime of [`crate::params::PRIMES`].
#[derive(Clone, PartialEq, Eq)]
pub struct RnsPoly {
    pub(crate) data: Vec<u64>,
}

impl Zeroize for RnsPoly {
    fn zeroize(&mut self) {
        self.data.zeroize();
    }
}

impl RnsPoly {
    /// The zero polynomial.
    pub fn zero() -> Self {
        Self {
            data: vec![0; L * N],
        }
    }

    /// A polynomial with small signed integer coefficients (`coeffs.len() == N`).
    pub fn from_signed(coeffs: &[i64]) -> Self {
        let ctx = context();
        let mut data = vec![0u64; L * N];
        for (l, res) in data.chunks_mut(N).enumerate() {
            let m = ctx.modulus(l);
            for (r, &c) in res.iter_mut().zip(coeffs) {
                // Small values (secrets, errors) skip the 128-bit reduction.
                *r = match c.unsigned_abs() {
                    a if a >= m.p => m.from_i128(c as i128),
                    a if c < 0 => m.neg(a),
                    a => a,
                };
            }
        }
        Self { data }
    }

    /// The residues modulo prime `l`.
    pub fn residues(&self, l: usize) -> &[u64] {
        &self.data[l * N..(l + 1) * N]
    }

    /// The residues modulo prime `l`, mutable.
    pub fn residues_mut(&mut self, l: usize) -> &mut [u64] {
        &mut self.data[l * N..(l + 1) * N]
    }

    /// Coefficient → NTT representation (the L primes in parallel).
    pub fn to_ntt(&mut self) {
        let ctx = context();
        self.data
            .par_chunks_mut(N)
            .enumerate()
            .for_each(|(l, r)| ctx.ntt[l].forward(r));
    }

    /// NTT → coefficient representation.
    pub fn from_ntt(&mut self) {
        let ctx = context();
        self.data
            .par_chunks_mut(N)
            .enumerate()
            .for_each(|(l, r)| ctx.ntt[l].inverse(r));
    }

    /// `self ← self ⊙ other` (pointwise; both in NTT representation).
    pub fn mul_assign_ntt(&mut self, other: &RnsPoly) {
        self.pointwise(other, |m, x, y| m.mul(x, y));
    }

    /// `self[i] ← op(modulus, self[i], other[i])` coefficient by coefficient, per RNS limb.
    fn pointwise(&mut self, other: &RnsPoly, op: impl Fn(&Modulus, u64, u64) -> u64) {
        let ctx = context();
        for (l, (a, b)) in self
            .data
            .chunks_mut(N)
            .zip(other.data.chunks(N))
            .enumerate()
        {
            let m = ctx.modulus(l);
            for (x, &y) in a.iter_mut().zip(b) {
                *x = op(m, *x, y);
            }
        }
    }

    /// `self ← self + other` (same representation).
    pub fn add_assign(&mut self, other: &RnsPoly) {
        self.pointwise(other, |m, x, y| m.add(x, y));
    }

    /// `self ← −self`.
    pub fn neg_assign(&mut self) {
        let ctx = context();
        for (l, a) in self.data.chunks_mut(N).enumerate() {
            let m = ctx.modulus(l);
            for x in a.iter_mut() {
                *x = m.neg(*x);
            }
        }
    }

    /// `self ⊙ other` (NTT representation), a new polynomial.
    pub fn mul_ntt(&self, other: &RnsPoly) -> RnsPoly {
        let mut r = self.clone();
        r.mul_assign_ntt(other);
        r
    }
}

//! Negacyclic number-theoretic transform modulo one prime (Harvey's lazy butterflies).
//!
//! For `p ≡ 1 (mod 2n)` and ψ a primitive 2n-th root of unity, the forward transform maps
//! `a ∈ Z_p[X]/(X^n + 1)` to its evaluations at the odd powers of ψ (in bit-reversed order),
//! so a product in the ring is a pointwise product of transforms. Cooley–Tukey forward and
//! Gentleman–Sande inverse with the powers of ψ folded in (no separate twist); values stay in
//! `[0, 4p)` between layers, hence `p < 2^62`. Checked against schoolbook negacyclic
//! multiplication in `tests/ntt_kat.rs`.

use crate::arith::Modulus;
use crate::error::{Result, RlweError};

/// Precomputed tables of one (prime, n) pair.
#[derive(Clone, Debug)]
pub struct NttTable {
    /// The modulus.
    pub m: Modulus,
    /// Transform length (a power of two).
    pub n: usize,
    psi: Vec<u64>,
    psi_shoup: Vec<u64>,
    psi_inv: Vec<u64>,
    psi_inv_shoup: Vec<u64>,
    n_inv: (u64, u64),
}

fn bit_reverse(x: usize, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        x.reverse_bits() >> (usize::BITS - bits)
    }
}

impl NttTable {
    /// Tables for the prime `p` (`p ≡ 1 mod 2n`, `p < 2^62`) and the power of two `n ≥ 2`.
    pub fn new(p: u64, n: usize) -> Result<Self> {
        let bad = |what: String| Err(RlweError::InvalidParameter { what });
        if n < 2 || !n.is_power_of_two() {
            return bad(format!("NTT length {n} is not a power of two ≥ 2"));
        }
        if p >> 62 != 0 || !(p - 1).is_multiple_of(2 * n as u64) || !crate::arith::is_prime_u64(p) {
            return bad(format!(
                "NTT modulus {p} is not a prime ≡ 1 mod {} below 2^62",
                2 * n
            ));
        }
        let m = Modulus::new(p);
        // ψ = g^((p−1)/2n) for the smallest g making ψ^n = −1 (a primitive 2n-th root).
        let psi_root = (2..p)
            .map(|g| m.pow(g, (p - 1) / (2 * n as u64)))
            .find(|&r| m.pow(r, n as u64) == p - 1)
            .ok_or_else(|| RlweError::InvalidParameter {
                what: format!("no primitive {}-th root of unity mod {p}", 2 * n),
            })?;
        let bits = n.trailing_zeros();
        let psi_inv_root = m.inv(psi_root);
        let table = |root: u64| -> Vec<u64> {
            (0..n)
                .map(|i| m.pow(root, bit_reverse(i, bits) as u64))
                .collect()
        };
        let psi = table(psi_root);
        let psi_inv = table(psi_inv_root);
        let psi_shoup = psi.iter().map(|&w| m.shoup(w)).collect();
        let psi_inv_shoup = psi_inv.iter().map(|&w| m.shoup(w)).collect();
        let ni = m.inv(n as u64);
        Ok(Self {
            m,
            n,
            psi,
            psi_shoup,
            psi_inv,
            psi_inv_shoup,
            n_inv: (ni, m.shoup(ni)),
        })
    }

    /// In-place forward transform; input in `[0, 4p)` (any reduced input), output in `[0, p)`.
    pub fn forward(&self, a: &mut [u64]) {
        debug_assert_eq!(a.len(), self.n);
        let p = self.m.p;
        let two_p = 2 * p;
        let mut t = self.n;
        let mut m = 1;
        while m < self.n {
            t >>= 1;
            let ws = self.psi[m..2 * m].iter().zip(&self.psi_shoup[m..2 * m]);
            for (chunk, (&w, &w_shoup)) in a.chunks_exact_mut(2 * t).zip(ws) {
                let (lo, hi) = chunk.split_at_mut(t);
                for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                    let mut u = *x;
                    if u >= two_p {
                        u -= two_p;
                    }
                    let v = self.m.mul_shoup_lazy(*y, w, w_shoup);
                    *x = u + v;
                    *y = u + two_p - v;
                }
            }
            m <<= 1;
        }
        for x in a.iter_mut() {
            let mut v = *x;
            if v >= two_p {
                v -= two_p;
            }
            if v >= p {
                v -= p;
            }
            *x = v;
        }
    }

    /// In-place inverse transform; input in `[0, 2p)`, output in `[0, p)`.
    pub fn inverse(&self, a: &mut [u64]) {
        debug_assert_eq!(a.len(), self.n);
        let two_p = 2 * self.m.p;
        let mut t = 1;
        let mut m = self.n;
        while m > 1 {
            let h = m >> 1;
            let ws = self.psi_inv[h..m].iter().zip(&self.psi_inv_shoup[h..m]);
            for (chunk, (&w, &w_shoup)) in a.chunks_exact_mut(2 * t).zip(ws) {
                let (lo, hi) = chunk.split_at_mut(t);
                for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                    let (u, v) = (*x, *y);
                    let mut s = u + v;
                    if s >= two_p {
                        s -= two_p;
                    }
                    *x = s;
                    *y = self.m.mul_shoup_lazy(u + two_p - v, w, w_shoup);
                }
            }
            t <<= 1;
            m = h;
        }
        for x in a.iter_mut() {
            *x = self.m.mul_shoup(*x, self.n_inv.0, self.n_inv.1);
        }
    }

    /// Negacyclic product `a·b mod (X^n + 1, p)` of two reduced polynomials (test helper and
    /// small-case reference).
    pub fn multiply(&self, a: &[u64], b: &[u64]) -> Vec<u64> {
        let (mut fa, mut fb) = (a.to_vec(), b.to_vec());
        self.forward(&mut fa);
        self.forward(&mut fb);
        for (x, y) in fa.iter_mut().zip(&fb) {
            *x = self.m.mul(*x, *y);
        }
        self.inverse(&mut fa);
        fa
    }
}

/// Schoolbook negacyclic product mod p (the known-answer reference of the NTT).
pub fn schoolbook_negacyclic(m: &Modulus, a: &[u64], b: &[u64]) -> Vec<u64> {
    let n = a.len();
    let mut out = vec![0u64; n];
    for (i, &x) in a.iter().enumerate() {
        for (j, &y) in b.iter().enumerate() {
            let prod = m.mul(x, y);
            let k = i + j;
            if k < n {
                out[k] = m.add(out[k], prod);
            } else {
                out[k - n] = m.sub(out[k - n], prod);
            }
        }
    }
    out
}

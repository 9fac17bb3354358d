//! Fixed parameters: ring degree, the three NTT primes, error width, and the shared context.
//!
//! Security (Homomorphic Encryption Standard, Albrecht et al. 2018, Table 1, classical
//! 128-bit, ternary secret, error σ ≈ 3.2): N = 8192 allows log2 q ≤ 218. Here
//! `q = Q0·Q1·Q2 ≈ 2^175`. The error is the centred binomial distribution with η = 21
//! (variance η/2 = 10.5, σ ≈ 3.24 ≥ 3.2, support `[−21, 21]`).

use crate::arith::Modulus;
use crate::ntt::NttTable;
use std::sync::OnceLock;

/// Ring degree N (`R_q = Z_q[X]/(X^N + 1)`).
pub const N: usize = 8192;
/// The primes of the RNS basis, all `≡ 1 mod 2N`: Q0 < 2^55 is also the modulus the returned
/// ciphertexts are switched down to; Q1, Q2 < 2^60.
pub const PRIMES: [u64; 3] = [36028797018652673, 1152921504606830593, 1152921504606748673];
/// Number of RNS primes.
pub const L: usize = PRIMES.len();
/// Centred-binomial parameter η of the error distribution (|e| ≤ η).
pub const ETA: u32 = 21;
/// Largest supported share-ring width k (`t = 2^k`).
pub const MAX_K: u32 = 48;
/// σ: the statistical security parameter of the protocol (bits).
pub const SIGMA: u32 = 40;

/// Per-prime tables and the constants of mixed-radix reconstruction and modulus switching.
#[derive(Debug)]
pub struct Context {
    /// NTT tables, one per prime of [`PRIMES`].
    pub ntt: Vec<NttTable>,
    /// `Q1^−1 mod Q2` (CRT of the two upper primes).
    pub q1_inv_mod_q2: u64,
    /// `(Q1·Q2)^−1 mod Q0` (modulus switching from q down to Q0).
    pub q12_inv_mod_q0: u64,
    /// `Q1·Q2` as a 128-bit integer.
    pub q12: u128,
}

impl Context {
    /// The modulus of prime `l`.
    pub fn modulus(&self, l: usize) -> &Modulus {
        &self.ntt[l].m
    }

    /// The exact value in `[0, Q1·Q2)` of residues `(x1 mod Q1, x2 mod Q2)` (Garner).
    #[inline(always)]
    pub fn crt12(&self, x1: u64, x2: u64) -> u128 {
        let m2 = self.modulus(2);
        let d = m2.mul(m2.sub(x2 % m2.p, x1 % m2.p), self.q1_inv_mod_q2);
        x1 as u128 + d as u128 * PRIMES[1] as u128
    }
}

static CONTEXT: OnceLock<Context> = OnceLock::new();

/// The shared context (built once; the primes are constants checked by the tests).
pub fn context() -> &'static Context {
    CONTEXT.get_or_init(|| {
        // The primes are fixed constants that `params_are_valid` below checks; building
        // their tables cannot fail for them, so a failure here is a programming error.
        let ntt: Vec<NttTable> = PRIMES
            .iter()
            .filter_map(|&p| NttTable::new(p, N).ok())
            .collect();
        assert_eq!(ntt.len(), L, "RLWE NTT tables for the fixed primes");
        let m0 = Modulus::new(PRIMES[0]);
        let m2 = Modulus::new(PRIMES[2]);
        let q12 = PRIMES[1] as u128 * PRIMES[2] as u128;
        Context {
            q1_inv_mod_q2: m2.inv(PRIMES[1] % PRIMES[2]),
            q12_inv_mod_q0: m0.inv(m0.reduce_u128(q12)),
            q12,
            ntt,
        }
    })
}

/// `⌊log2 q⌋` for the fixed primes (checked by the tests).
pub const LOG2_Q: u32 = 174;

/// `⌊log2 q⌋`.
pub fn log2_q() -> u32 {
    LOG2_Q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_valid() {
        for (l, &p) in PRIMES.iter().enumerate() {
            assert!(crate::arith::is_prime_u64(p), "prime {l}");
            assert_eq!((p - 1) % (2 * N as u64), 0, "prime {l} is NTT-friendly");
        }
        assert!(PRIMES[0] < 1 << 55 && PRIMES[1] < 1 << 60 && PRIMES[2] < 1 << 60);
        // The HE Standard's bound for N = 8192 at 128-bit security.
        let bits: f64 = PRIMES.iter().map(|&p| (p as f64).log2()).sum();
        assert!(bits < 218.0 && bits > 174.0, "log2 q = {bits}");
        assert_eq!(bits.floor() as u32, LOG2_Q);
        assert!(
            ((PRIMES[1] as u128) * (PRIMES[2] as u128)) >> 119 == 1,
            "Q1·Q2 ≥ 2^119"
        );
        let c = context();
        let x = 0x0123_4567_89ab_cdef_0011_2233_4455u128 % c.q12;
        assert_eq!(
            c.crt12(
                (x % PRIMES[1] as u128) as u64,
                (x % PRIMES[2] as u128) as u64
            ),
            x
        );
    }
}

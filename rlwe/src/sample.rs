//! Sampling: uniform residues (from a seed or a CSPRNG), ternary secrets, centred-binomial
//! errors and the uniform flooding noise.

use crate::params::{ETA, N, PRIMES};
use crate::poly::RnsPoly;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// A uniform polynomial of `R_q` (each residue uniform by rejection sampling, hence uniform
/// modulo q by the CRT), expanded deterministically from a 32-byte seed.
pub fn uniform_from_seed(seed: &[u8; 32]) -> RnsPoly {
    let mut rng = ChaCha20Rng::from_seed(*seed);
    let mut p = RnsPoly::zero();
    for (l, &q) in PRIMES.iter().enumerate() {
        let mask = u64::MAX >> q.leading_zeros();
        for x in p.residues_mut(l) {
            *x = loop {
                let v = rng.next_u64() & mask;
                if v < q {
                    break v;
                }
            };
        }
    }
    p
}

/// A fresh 32-byte seed.
pub fn seed<R: Rng + ?Sized>(rng: &mut R) -> [u8; 32] {
    let mut s = [0u8; 32];
    rng.fill_bytes(&mut s);
    s
}

/// N coefficients uniform in {−1, 0, 1}.
pub fn ternary<R: Rng + ?Sized>(rng: &mut R) -> Vec<i64> {
    (0..N)
        .map(|_| {
            loop {
                // 2 bits → {0,1,2} uniformly by rejection of 3.
                let v = rng.next_u32() & 3;
                if v < 3 {
                    break v as i64 - 1;
                }
            }
        })
        .collect()
}

/// N coefficients from the centred binomial distribution with parameter η = [`ETA`]:
/// `Σ_{i<η} (b_i − b'_i)` for fair bits, in `[−η, η]`.
pub fn cbd<R: Rng + ?Sized>(rng: &mut R) -> Vec<i64> {
    let mask = (1u64 << ETA) - 1;
    (0..N)
        .map(|_| {
            let v = rng.next_u64();
            (v & mask).count_ones() as i64 - ((v >> 32) & mask).count_ones() as i64
        })
        .collect()
}

/// One value uniform in `[−2^f, 2^f)` (`f ≤ 125`): the flooding noise.
pub fn flood<R: Rng + ?Sized>(rng: &mut R, f: u32) -> i128 {
    let raw = ((rng.next_u64() as u128) << 64) | rng.next_u64() as u128;
    let v = raw & ((1u128 << (f + 1)) - 1);
    v as i128 - (1i128 << f)
}

/// A uniform value in `[0, 2^k)`.
pub fn uniform_bits<R: Rng + ?Sized>(rng: &mut R, k: u32) -> u64 {
    rng.next_u64() & ((1u64 << k) - 1)
}

/// Draws a seed for a per-task generator from the caller's CSPRNG.
pub fn task_rng<R: Rng + ?Sized>(rng: &mut R) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(seed(rng))
}

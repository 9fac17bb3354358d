//! Probable-prime generation: sieve by trial division, then Miller–Rabin with random bases.
//!
//! A random odd candidate with its two top bits set (so that the product of two such
//! primes has exactly twice their bits) is rejected if any of the odd primes below
//! [`TRIAL_DIVISION_BOUND`] divides it, then tested with [`MILLER_RABIN_ROUNDS`] rounds of
//! Miller–Rabin with bases drawn from the CSPRNG. For random 1024-bit candidates the
//! probability that a composite passes is far below 2^-100 (FIPS 186-5, Table C.1 asks for
//! 4–5 rounds at this size; we run more).

use crate::bigint::{params_for, random_below, random_bits, to_monty};
use num_bigint::BigUint;
use num_traits::{One, Zero};
use rand::CryptoRng;

/// Miller–Rabin rounds with independent random bases.
pub const MILLER_RABIN_ROUNDS: usize = 40;

/// Odd primes below this bound are tried as divisors before Miller–Rabin.
pub const TRIAL_DIVISION_BOUND: u32 = 20_000;

/// The odd primes below [`TRIAL_DIVISION_BOUND`] (sieve of Eratosthenes).
fn small_primes() -> Vec<u32> {
    let n = TRIAL_DIVISION_BOUND as usize;
    let mut composite = vec![false; n];
    let mut primes = Vec::new();
    for i in 2..n {
        if !composite[i] {
            if i > 2 {
                primes.push(i as u32);
            }
            let mut j = i * i;
            while j < n {
                composite[j] = true;
                j += i;
            }
        }
    }
    primes
}

/// `x mod d` for a small divisor, from the 64-bit words.
fn rem_small(x: &BigUint, d: u32) -> u32 {
    let d = u128::from(d);
    let mut r: u128 = 0;
    for w in x.iter_u64_digits().rev() {
        r = ((r << 64) | u128::from(w)) % d;
    }
    r as u32
}

/// Whether a small odd prime below the bound divides `n` (and `n` is not that prime).
fn has_small_factor(n: &BigUint, primes: &[u32]) -> bool {
    primes
        .iter()
        .any(|&p| rem_small(n, p) == 0 && *n != BigUint::from(p))
}

/// Miller–Rabin with `rounds` random bases; `n` odd and > 3.
pub fn miller_rabin<R: CryptoRng + ?Sized>(n: &BigUint, rounds: usize, rng: &mut R) -> bool {
    let one = BigUint::one();
    let n_minus_1 = n - &one;
    let s = n_minus_1.trailing_zeros().unwrap_or(0);
    let d = &n_minus_1 >> s;
    let Some(params) = params_for(n) else {
        return false;
    };
    let d_boxed = crate::bigint::to_boxed(&d, crate::bigint::precision_for(&d));
    let monty_one = to_monty(&one, &params);
    let monty_minus_one = to_monty(&n_minus_1, &params);
    let base_range = n - BigUint::from(3u8);
    'rounds: for _ in 0..rounds {
        let a = random_below(rng, &base_range) + BigUint::from(2u8);
        let mut x = to_monty(&a, &params).pow(&d_boxed);
        if x == monty_one || x == monty_minus_one {
            continue;
        }
        for _ in 1..s {
            x = x.square();
            if x == monty_minus_one {
                continue 'rounds;
            }
            if x == monty_one {
                return false;
            }
        }
        return false;
    }
    true
}

/// Whether `n` is (probably) prime: small cases exactly, then trial division and Miller–Rabin.
pub fn is_probable_prime<R: CryptoRng + ?Sized>(n: &BigUint, rng: &mut R) -> bool {
    if n < &BigUint::from(4u8) {
        return n > &BigUint::one();
    }
    if rem_small(n, 2) == 0 && !n.is_zero() {
        return false;
    }
    let primes = small_primes();
    if n < &BigUint::from(TRIAL_DIVISION_BOUND) {
        return !has_small_factor(n, &primes);
    }
    !has_small_factor(n, &primes) && miller_rabin(n, MILLER_RABIN_ROUNDS, rng)
}

/// A random probable prime of exactly `bits` bits (top two bits set), `bits >= 16`.
pub fn random_prime<R: CryptoRng + ?Sized>(bits: u32, rng: &mut R) -> BigUint {
    let primes = small_primes();
    loop {
        let mut candidate = random_bits(rng, u64::from(bits));
        candidate.set_bit(u64::from(bits) - 1, true);
        candidate.set_bit(u64::from(bits) - 2, true);
        candidate.set_bit(0, true);
        if has_small_factor(&candidate, &primes) {
            continue;
        }
        if miller_rabin(&candidate, MILLER_RABIN_ROUNDS, rng) {
            return candidate;
        }
    }
}

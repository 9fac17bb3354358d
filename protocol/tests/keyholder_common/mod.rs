//! The key holder's attack of issue 13, shared by `tests/keyholder_*.rs`.
//!
//! The key holder knows p and q, so it evaluates characters of `Z_N^*` on every ciphertext
//! (reduced mod N): the Legendre symbols mod p and mod q (order 2) and the cubic residue
//! symbols mod p and mod q (order 3; the test primes have `3 | p − 1`). A character of a
//! Paillier ciphertext depends only on its randomness. For a returned product
//! `R = Π_j c_j^(e_j) · z`, `log χ(R) = Σ_j e_j·log χ(c_j) + log χ(z) (mod ℓ)`: the attacker
//! knows `log χ(c_j)` of its own ciphertexts and `log χ(R)`, and solves the linear system over
//! GF(ℓ) in the unknown exponent residues `e_j mod ℓ` ([`predict`]). With fresh randomness
//! hiding the computation, `log χ(z)` is uniform and the predictions are at chance; with the
//! old fixed-base zeros, `χ(z) = 1` whenever χ of the sender's base is 1, and the prediction
//! is exact.
#![allow(dead_code)]

use paillier::{BigUint, SecretKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use runtime::channel::{Channel, ChannelError};
use std::sync::{Arc, Mutex, MutexGuard};

/// Serialises the tests of one binary: the negative control flips a process-wide switch (and
/// `progress_events.rs`, in the same binary, installs the process's progress sink).
pub(crate) fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A secret key from primes `p ≡ q ≡ 1 (mod 3)` of `bits/2` bits each, and the primes.
pub(crate) fn cubic_key(bits: u32, seed: u64) -> (SecretKey, BigUint, BigUint) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let three = BigUint::from(3u8);
    let mut prime = || loop {
        let p = paillier::prime::random_prime(bits / 2, &mut rng);
        if &p % &three == BigUint::from(1u8) {
            return p;
        }
    };
    loop {
        let (p, q) = (prime(), prime());
        if let Ok(sk) = SecretKey::from_primes(&p, &q)
            && sk.public_key().bits() == bits
        {
            return (sk, p, q);
        }
    }
}

/// A character of order ℓ ∈ {2, 3} of `Z_p^*`, as a discrete log in `Z_ℓ`.
pub(crate) struct Character {
    /// What it is (assertion messages).
    pub(crate) name: String,
    /// ℓ.
    pub(crate) order: u8,
    p: BigUint,
    exp: BigUint,
    /// `χ(g)` for the first g with χ(g) ≠ 1: log 1.
    omega: BigUint,
}

impl Character {
    fn new(name: &str, p: &BigUint, order: u8) -> Self {
        let exp = (p - 1u8) / BigUint::from(order);
        let one = BigUint::from(1u8);
        let omega = (2u32..)
            .map(|g| BigUint::from(g).modpow(&exp, p))
            .find(|v| v != &one)
            .unwrap_or(one);
        Self {
            name: format!("{name} (order {order})"),
            order,
            p: p.clone(),
            exp,
            omega,
        }
    }

    /// `log_ω χ(x mod p)`, `None` if x is not a unit mod p.
    pub(crate) fn log(&self, x: &BigUint) -> Option<u8> {
        let v = (x % &self.p).modpow(&self.exp, &self.p);
        let mut w = BigUint::from(1u8);
        for l in 0..self.order {
            if v == w {
                return Some(l);
            }
            w = (&w * &self.omega) % &self.p;
        }
        None
    }
}

/// The four characters the key holder of (p, q) evaluates.
pub(crate) fn characters(p: &BigUint, q: &BigUint) -> Vec<Character> {
    vec![
        Character::new("Legendre mod p", p, 2),
        Character::new("Legendre mod q", q, 2),
        Character::new("cubic mod p", p, 3),
        Character::new("cubic mod q", q, 3),
    ]
}

/// Predicts the unknowns `x ∈ Z_ℓ^n` of `A·x = b` (rows `(a, b)`) by Gaussian elimination,
/// adding the equations one by one and skipping any that contradicts the earlier ones; free
/// unknowns are predicted 0. Returns the prediction and whether every equation was
/// consistent.
pub(crate) fn predict(order: u8, n: usize, rows: &[(Vec<u8>, u8)]) -> (Vec<u8>, bool) {
    let l = u32::from(order);
    let inv = |a: u32| (1..l).find(|&x| a * x % l == 1).unwrap_or(1);
    // reduced rows keyed by pivot column
    let mut basis: Vec<(usize, Vec<u32>, u32)> = Vec::new();
    let mut consistent = true;
    for (a, b) in rows {
        let mut a: Vec<u32> = a.iter().map(|&v| u32::from(v) % l).collect();
        let mut b = u32::from(*b) % l;
        for (piv, ra, rb) in &basis {
            let f = a[*piv];
            if f != 0 {
                for (x, y) in a.iter_mut().zip(ra) {
                    *x = (*x + (l - f) * y) % l;
                }
                b = (b + (l - f) * rb) % l;
            }
        }
        match a.iter().position(|&v| v != 0) {
            Some(piv) => {
                let s = inv(a[piv]);
                a.iter_mut().for_each(|x| *x = *x * s % l);
                b = b * s % l;
                for (_, ra, rb) in basis.iter_mut() {
                    let f = ra[piv];
                    if f != 0 {
                        for (x, y) in ra.iter_mut().zip(&a) {
                            *x = (*x + (l - f) * y) % l;
                        }
                        *rb = (*rb + (l - f) * b) % l;
                    }
                }
                basis.push((piv, a, b));
            }
            None if b != 0 => consistent = false,
            None => {}
        }
    }
    let mut x = vec![0u8; n];
    // Reduced row echelon form: with the free unknowns 0, each pivot unknown is its b.
    for (piv, _, rb) in &basis {
        x[*piv] = *rb as u8;
    }
    (x, consistent)
}

/// How many predictions are right, against the chance bound for `order`: hits of
/// `unknowns` fair guesses lie within `mean ± 5·sd` (false alarm < 10^−6).
pub(crate) fn chance_band(order: u8, unknowns: usize) -> (f64, f64) {
    let p = 1.0 / f64::from(order);
    let mean = unknowns as f64 * p;
    let sd = (unknowns as f64 * p * (1.0 - p)).sqrt();
    (mean - 5.0 * sd, mean + 5.0 * sd)
}

/// A channel that keeps every received `recv_exact` read as one chunk: a ciphertext read is a
/// chunk of the ciphertext width.
pub(crate) struct ChunkRecorder<C> {
    inner: C,
    chunks: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl<C: Channel> ChunkRecorder<C> {
    /// Records what arrives on `inner` into `chunks`.
    pub(crate) fn new(inner: C, chunks: Arc<Mutex<Vec<Vec<u8>>>>) -> Self {
        Self { inner, chunks }
    }
}

impl<C: Channel> Channel for ChunkRecorder<C> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ChannelError> {
        self.inner.send(bytes)
    }
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.inner.recv_exact(buf)?;
        self.chunks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(buf.to_vec());
        Ok(())
    }
    fn flush(&mut self) -> Result<(), ChannelError> {
        self.inner.flush()
    }
    fn bytes_sent(&self) -> u64 {
        self.inner.bytes_sent()
    }
    fn bytes_received(&self) -> u64 {
        self.inner.bytes_received()
    }
}

/// The received chunks of ciphertext width `width`, as integers, taken from runs of at least
/// `min_run` consecutive such reads: ciphertexts arrive in runs (one read each), while a
/// garbled-circuit message of the same width (a few gates' tables) is an isolated read.
pub(crate) fn ciphertext_chunks(
    chunks: &Mutex<Vec<Vec<u8>>>,
    width: usize,
    min_run: usize,
) -> Vec<BigUint> {
    let chunks = chunks.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::new();
    let mut run: Vec<&Vec<u8>> = Vec::new();
    for c in chunks.iter().chain(std::iter::once(&Vec::new())) {
        if c.len() == width {
            run.push(c);
            continue;
        }
        if run.len() >= min_run {
            out.extend(run.iter().map(|c| BigUint::from_bytes_be(c)));
        }
        run.clear();
    }
    out
}

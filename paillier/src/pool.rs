//! A pool of precomputed encryption randomness `r^N mod N²`: the off-line half of encryption.
//!
//! Filling the pool costs one exponentiation per value (done in parallel with rayon);
//! taking a value is free, and encrypting or re-randomising with it is on-line work.

use crate::cipher::Randomness;
use crate::keys::{PublicKey, SecretKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

/// Precomputed `r^N mod N²` values for one public key, each handed out once.
#[derive(Debug)]
pub struct RandomnessPool {
    items: Vec<Randomness>,
}

/// One independent ChaCha20 stream per worker item, seeded from the OS-seeded thread RNG.
fn seeds(count: usize) -> Vec<[u8; 32]> {
    let mut rng = rand::rng();
    (0..count)
        .map(|_| {
            let mut seed = [0u8; 32];
            rand::Rng::fill_bytes(&mut rng, &mut seed);
            seed
        })
        .collect()
}

impl RandomnessPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self { items: Vec::new() }
    }

    /// Add `count` fresh values computed from the public key (any party can do this).
    pub fn fill(&mut self, pk: &PublicKey, count: usize) {
        let fresh: Vec<Randomness> = seeds(count)
            .into_par_iter()
            .map(|seed| pk.random_nth_power(&mut ChaCha20Rng::from_seed(seed)))
            .collect();
        self.items.extend(fresh);
    }

    /// Add `count` fresh values computed by the key owner through the CRT (faster).
    pub fn fill_crt(&mut self, sk: &SecretKey, count: usize) {
        let fresh: Vec<Randomness> = seeds(count)
            .into_par_iter()
            .map(|seed| sk.random_nth_power_crt(&mut ChaCha20Rng::from_seed(seed)))
            .collect();
        self.items.extend(fresh);
    }

    /// Take one value, or `None` when the pool is empty.
    pub fn take(&mut self) -> Option<Randomness> {
        self.items.pop()
    }

    /// Values left.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no value is left.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl Default for RandomnessPool {
    fn default() -> Self {
        Self::new()
    }
}

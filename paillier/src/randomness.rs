//! Encryption randomness, in one place: every fresh encryption of zero is one of
//! - a full-size `r^N mod N²` for a uniform unit r ([`full_zero`], one exponentiation with a
//!   `bits(N)`-bit exponent; [`PublicKey::random_nth_power`], or the key owner's faster
//!   [`SecretKey::random_nth_power_crt`]);
//! - one of those precomputed off-line: a [`RandomnessPool`] (filled in parallel, each value
//!   handed out once);
//! - a power `h^x` of one fixed base h for a uniform exponent x of a given length, from a
//!   [`CombTable`] of `h^(d·2^(c·t))` (one multiplication mod N² per c-bit window of x
//!   instead of an exponentiation). Which base and exponent length are secure is the
//!   caller's argument (the fast protocol's `fresh` module); this module does the arithmetic.
//!
//! Measured (`cargo bench -p gcc-nn-paillier --bench paillier -- comb`, 2048-bit N, one
//! core, load ≈ 5 on the 2-core Zen 4): one comb power with a 1024-bit exponent and window
//! 8 costs 1.2 ms, against ≈ 16 ms idle for a full `r^N`.
//!
//! The comb shares its digit extraction with [`crate::FixedBaseTable`] (many bases, short
//! exponents, bucket aggregation); a single base with long exponents is cheaper with the
//! comb's table of every digit multiple (one multiplication per window, no buckets).

use crate::cipher::{Ciphertext, Randomness};
use crate::keys::{PublicKey, SecretKey};
use crate::multiexp::digit;
use rand::{CryptoRng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

/// A fresh encryption of zero with full-size randomness `r^N` (one full exponentiation).
pub fn full_zero<R: CryptoRng + ?Sized>(pk: &PublicKey, rng: &mut R) -> Ciphertext {
    pk.zero_with(&pk.random_nth_power(rng))
}

/// Precomputed `r^N mod N²` values for one public key, each handed out once: the off-line
/// half of encryption (filling costs one exponentiation per value, in parallel with rayon;
/// taking one is free, and encrypting or re-randomising with it is on-line work).
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

    /// Add `count` values made by `power` from independent seeded streams, in parallel.
    fn fill_with(
        &mut self,
        count: usize,
        power: impl Fn(&mut ChaCha20Rng) -> Randomness + Sync + Send,
    ) {
        let fresh: Vec<Randomness> = seeds(count)
            .into_par_iter()
            .map(|seed| power(&mut ChaCha20Rng::from_seed(seed)))
            .collect();
        self.items.extend(fresh);
    }

    /// Add `count` fresh values computed from the public key (any party can do this).
    pub fn fill(&mut self, pk: &PublicKey, count: usize) {
        self.fill_with(count, |rng| pk.random_nth_power(rng));
    }

    /// Add `count` fresh values computed by the key owner through the CRT (faster).
    pub fn fill_crt(&mut self, sk: &SecretKey, count: usize) {
        self.fill_with(count, |rng| sk.random_nth_power_crt(rng));
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

/// Widest window of a [`CombTable`] (bits per digit).
pub const COMB_WINDOW: u32 = 8;

/// The comb window c ∈ [1, COMB_WINDOW] minimising `⌈e/c⌉·(2^c − 1) + uses·⌈e/c⌉`
/// multiplications (building the table plus `uses` powers) for `e` exponent bits (u128: no
/// saturation, so `usize::MAX` uses picks the widest window instead of tying every window at
/// the maximum).
pub fn comb_window(exp_bits: u32, uses: usize) -> u32 {
    let cost = |c: u32| {
        let w = u128::from(exp_bits.div_ceil(c));
        w * ((1u128 << c) - 1) + (uses as u128) * w
    };
    (1..=COMB_WINDOW)
        .min_by_key(|&c| cost(c))
        .unwrap_or(COMB_WINDOW)
}

/// Powers `h^x` of one fixed base h for exponents of `exp_bits` bits: a comb table
/// `table[t][d − 1] = h^(d·2^(c·t))` (`⌈e/c⌉·(2^c − 1)` ciphertexts), after which each power
/// costs at most `⌈e/c⌉` multiplications mod N².
#[derive(Clone)]
pub struct CombTable {
    table: Vec<Vec<Ciphertext>>,
    exp_bits: u32,
    window: u32,
    base: Ciphertext,
}

impl std::fmt::Debug for CombTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CombTable({} exponent bits, window {})",
            self.exp_bits, self.window
        )
    }
}

impl CombTable {
    /// The table over `h` under `pk` for exponents of `exp_bits` bits (a multiple of 64),
    /// with the window minimising building plus `uses` powers ([`comb_window`]).
    pub fn new(pk: &PublicKey, h: Ciphertext, exp_bits: u32, uses: usize) -> Self {
        let window = comb_window(exp_bits, uses);
        let windows = exp_bits.div_ceil(window);
        let mut table = Vec::with_capacity(windows as usize);
        let mut base = h.clone();
        for t in 0..windows {
            if t > 0 {
                base = pk.shift_left(&base, window);
            }
            let mut row = Vec::with_capacity((1 << window) - 1);
            row.push(base.clone());
            for d in 1..(1usize << window) - 1 {
                let next = pk.add(&row[d - 1], &base);
                row.push(next);
            }
            table.push(row);
        }
        Self {
            table,
            exp_bits,
            window,
            base: h,
        }
    }

    /// The base h.
    pub fn base(&self) -> &Ciphertext {
        &self.base
    }

    /// Bits of the exponents.
    pub fn exponent_bits(&self) -> u32 {
        self.exp_bits
    }

    /// The window c (bits per digit).
    pub fn window(&self) -> u32 {
        self.window
    }

    /// `h^x` for x given as little-endian 64-bit words (bits past `exp_bits` ignored), or
    /// `None` for x = 0 (no multiplication at all).
    pub fn power(&self, pk: &PublicKey, words: &[u64]) -> Option<Ciphertext> {
        let mut acc: Option<Ciphertext> = None;
        for (t, row) in self.table.iter().enumerate() {
            let d = digit(words, t, self.window);
            if d != 0 {
                acc = Some(match acc {
                    Some(a) => pk.add(&a, &row[d - 1]),
                    None => row[d - 1].clone(),
                });
            }
        }
        acc
    }

    /// `h^x` for x uniform on `exp_bits` bits: a fresh zero when h is an encryption of zero.
    /// x = 0 has probability 2^−exp_bits; a uniform `r^N` ([`full_zero`]) stands in for
    /// `h^0 = 1` then.
    pub fn random_power<R: CryptoRng + ?Sized>(&self, pk: &PublicKey, rng: &mut R) -> Ciphertext {
        let words: Vec<u64> = (0..self.exp_bits / 64).map(|_| rng.next_u64()).collect();
        self.power(pk, &words).unwrap_or_else(|| full_zero(pk, rng))
    }
}

#[cfg(test)]
mod tests {
    use super::{COMB_WINDOW, CombTable, comb_window, full_zero};
    use crate::{BigUint, SecretKey};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn unbounded_uses_pick_the_widest_window() {
        // Regression: with saturating u64 costs every window tied at u64::MAX for
        // `usize::MAX` uses and the narrowest (c = 1, 4× the multiplications) won, which
        // made the owner's upload 4× slower.
        assert_eq!(comb_window(1024, usize::MAX), COMB_WINDOW);
        assert_eq!(comb_window(1024, 41_497), COMB_WINDOW);
    }

    #[test]
    fn no_uses_pick_the_smallest_table() {
        // c = 1: 1024 table entries; c = 2: 512·3 = 1536; wider is larger still.
        assert_eq!(comb_window(1024, 0), 1);
        // Two uses: c = 1 costs 1024 + 2048, c = 2 costs 1536 + 1024, c = 3 costs 2394 + 684.
        assert_eq!(comb_window(1024, 2), 2);
    }

    /// The comb's `h^x` equals the plain exponentiation `h^x` (`mul_plain`) for random and
    /// edge exponents, at several windows, and with an encryption of zero as h it decrypts
    /// to 0.
    #[test]
    fn comb_powers_equal_plain_exponentiation() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let sk = SecretKey::generate_any_size(512, &mut rng).expect("test key");
        let pk = sk.public_key();
        let h = full_zero(pk, &mut rng);
        for uses in [0, 2, 100, usize::MAX] {
            let table = CombTable::new(pk, h.clone(), 128, uses);
            assert_eq!(table.window(), comb_window(128, uses));
            assert_eq!(table.base(), &h);
            let mut cases = vec![[1u64, 0], [u64::MAX, u64::MAX], [0, 1 << 63]];
            cases.extend((0..4).map(|_| [rng.next_u64(), rng.next_u64()]));
            for words in cases {
                let x = BigUint::from(words[0]) + (BigUint::from(words[1]) << 64u32);
                let got = table.power(pk, &words).expect("x != 0");
                assert_eq!(
                    got,
                    pk.mul_plain(&h, &x),
                    "x = {x}, window {}",
                    table.window()
                );
                assert_eq!(sk.decrypt(&got).expect("decrypts"), BigUint::from(0u8));
            }
            assert!(table.power(pk, &[0, 0]).is_none());
            let fresh = table.random_power(pk, &mut rng);
            assert_ne!(fresh, table.random_power(pk, &mut rng));
            assert_eq!(sk.decrypt(&fresh).expect("decrypts"), BigUint::from(0u8));
        }
    }
}

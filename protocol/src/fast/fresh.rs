//! Fresh encryptions of zero, the randomness of every ciphertext the fast protocol sends.
//!
//! Two sources:
//! - [`FreshZeros::full`]: `r^N mod N²` for a uniform unit r, standard Paillier (one full
//!   exponentiation with a `bits(N)`-bit exponent each, ≈ 16 ms at 2048 bits);
//! - [`FreshZeros::short_exponent`]: Damgård–Jurik–Nielsen randomness `h^x` with
//!   `h = r0^N mod N²` for a secret random unit r0 and x uniform on `⌈bits(N)/2⌉` bits
//!   (semantically secure under DCR plus the DJN assumption that such short-exponent powers
//!   of a random N-th residue are indistinguishable from random N-th residues). `h` is fixed,
//!   so a comb table of `h^(d·2^(c·t))` makes each fresh zero `⌈bits(N)/(2c)⌉` multiplications
//!   mod N² (≈ 1 ms at 2048 bits, c = 8) instead of a full exponentiation.
//!
//! Either way the result is multiplied into a ciphertext (one multiplication mod N²), which
//! re-randomises it: PROTOCOL.md's rule for every message.

use paillier::{BigUint, Ciphertext, PaillierError, PublicKey};
use rand::CryptoRng;

/// Widest window of the comb table (bits per digit).
const COMB_WINDOW: u32 = 8;

enum Source {
    Full,
    Comb {
        /// `table[t][d − 1] = h^(d·2^(c·t))`.
        table: Vec<Vec<Ciphertext>>,
        exp_bits: u32,
        /// The window c.
        window: u32,
    },
}

/// A source of fresh encryptions of zero under one public key.
pub struct FreshZeros {
    pk: PublicKey,
    source: Source,
}

impl std::fmt::Debug for FreshZeros {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.source {
            Source::Full => "full r^N",
            Source::Comb { .. } => "short exponent h^x",
        };
        write!(f, "FreshZeros({kind}, {} bits)", self.pk.bits())
    }
}

/// The bits of a u64 slice at window t (c ≤ 16 bits).
fn digit(words: &[u64], t: u32, c: u32) -> usize {
    let bit = t * c;
    let (word, shift) = ((bit / 64) as usize, bit % 64);
    let mut v = words.get(word).copied().unwrap_or(0) >> shift;
    if shift + c > 64 {
        v |= words.get(word + 1).copied().unwrap_or(0) << (64 - shift);
    }
    (v & ((1u64 << c) - 1)) as usize
}

/// The comb window c ∈ [1, COMB_WINDOW] minimising `⌈e/c⌉·(2^c − 1) + uses·⌈e/c⌉`
/// multiplications for `e` exponent bits (u128: no saturation, so `usize::MAX` uses picks
/// the widest window instead of tying every window at the maximum).
fn comb_window(exp_bits: u32, uses: usize) -> u32 {
    let cost = |c: u32| {
        let w = u128::from(exp_bits.div_ceil(c));
        w * ((1u128 << c) - 1) + (uses as u128) * w
    };
    (1..=COMB_WINDOW)
        .min_by_key(|&c| cost(c))
        .unwrap_or(COMB_WINDOW)
}

impl FreshZeros {
    /// Standard Paillier randomness `r^N` (one full exponentiation per fresh zero).
    pub fn full(pk: &PublicKey) -> Self {
        Self {
            pk: pk.clone(),
            source: Source::Full,
        }
    }

    /// Short-exponent (DJN) randomness with a comb table (`⌈bits(N)/2c⌉·(2^c − 1)`
    /// ciphertexts: ≈ 16 MB and ≈ 0.2 s to build at 2048 bits with c = 8).
    pub fn short_exponent<R: CryptoRng + ?Sized>(pk: &PublicKey, rng: &mut R) -> Self {
        Self::short_exponent_for(pk, usize::MAX, rng)
    }

    /// [`FreshZeros::short_exponent`] with the comb window minimising building plus `uses`
    /// fresh zeros (`⌈e/c⌉·(2^c − 1) + uses·⌈e/c⌉` multiplications, e the exponent bits):
    /// small jobs build a small table. The randomness is the same either way.
    pub fn short_exponent_for<R: CryptoRng + ?Sized>(
        pk: &PublicKey,
        uses: usize,
        rng: &mut R,
    ) -> Self {
        let exp_bits = pk.bits().div_ceil(2).div_ceil(64) * 64;
        let window = comb_window(exp_bits, uses);
        let h = pk.zero_with(&pk.random_nth_power(rng));
        let windows = exp_bits.div_ceil(window);
        let mut table = Vec::with_capacity(windows as usize);
        let mut base = h;
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
            pk: pk.clone(),
            source: Source::Comb {
                table,
                exp_bits,
                window,
            },
        }
    }

    /// The key these zeros are under.
    pub fn public_key(&self) -> &PublicKey {
        &self.pk
    }

    /// A fresh encryption of zero.
    pub fn zero<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Ciphertext {
        match &self.source {
            Source::Full => self.pk.zero_with(&self.pk.random_nth_power(rng)),
            Source::Comb {
                table,
                exp_bits,
                window,
            } => {
                let words: Vec<u64> = (0..exp_bits / 64).map(|_| rng.next_u64()).collect();
                let mut acc: Option<Ciphertext> = None;
                for (t, row) in table.iter().enumerate() {
                    let d = digit(&words, t as u32, *window);
                    if d != 0 {
                        acc = Some(match acc {
                            Some(a) => self.pk.add(&a, &row[d - 1]),
                            None => row[d - 1].clone(),
                        });
                    }
                }
                // x = 0 has probability 2^−exp_bits; h^0 is then the trivial encryption of 0.
                acc.unwrap_or_else(|| self.pk.zero_with(&self.pk.random_nth_power(rng)))
            }
        }
    }

    /// A fresh encryption of `m ∈ [0, N)`.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &self,
        m: &BigUint,
        rng: &mut R,
    ) -> Result<Ciphertext, PaillierError> {
        self.pk.add_plain(&self.zero(rng), m)
    }

    /// `c` re-randomised and with `m` added: `c · Enc(m)` with fresh randomness.
    pub fn add_fresh<R: CryptoRng + ?Sized>(
        &self,
        c: &Ciphertext,
        m: &BigUint,
        rng: &mut R,
    ) -> Result<Ciphertext, PaillierError> {
        self.pk.add_plain(&self.pk.add(c, &self.zero(rng)), m)
    }
}

#[cfg(test)]
mod tests {
    use super::{COMB_WINDOW, comb_window};

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
}

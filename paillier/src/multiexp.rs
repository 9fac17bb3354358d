//! Multi-exponentiation: `Π_j c_j^(e_j)`, the homomorphic inner product `Enc(Σ_j e_j·x_j)`.
//!
//! Two forms:
//! - [`inner_product`]: one-shot Pippenger (bucket) method over windows of c bits, cost
//!   ≈ (b/c)·(n + 2^(c+1)) + b multiplications for n bases and b-bit exponents, against
//!   n·1.5·b for one exponentiation per base.
//! - [`FixedBaseTable`]: the bases are fixed and many exponent vectors are applied to them
//!   (every output row of a layer over the same encrypted inputs). Each base's powers
//!   `c_j^(2^(c·t))` are computed once, after which a row costs n·⌈b/c⌉ + 2^(c+1)
//!   multiplications and no squarings.

use crate::cipher::Ciphertext;
use crate::error::{PaillierError, Result};
use crate::keys::PublicKey;
use crypto_bigint::modular::BoxedMontyForm;
use num_bigint::{BigInt, BigUint, Sign};

/// `Π_d bucket[d]^d` by running products (2 multiplications per bucket).
fn aggregate_buckets(buckets: &[Option<BoxedMontyForm>]) -> Option<BoxedMontyForm> {
    let mut running: Option<BoxedMontyForm> = None;
    let mut total: Option<BoxedMontyForm> = None;
    for b in buckets.iter().rev() {
        if let Some(b) = b {
            running = Some(match running {
                Some(r) => r.mul(b),
                None => b.clone(),
            });
        }
        if let Some(r) = &running {
            total = Some(match total {
                Some(t) => t.mul(r),
                None => r.clone(),
            });
        }
    }
    total
}

/// Multiply `slot` by `x` (or set it).
fn mul_into(slot: &mut Option<BoxedMontyForm>, x: &BoxedMontyForm) {
    *slot = Some(match slot.take() {
        Some(s) => s.mul(x),
        None => x.clone(),
    });
}

/// Window `t` (c bits) of an exponent given as little-endian 64-bit words.
pub(crate) fn digit(words: &[u64], t: usize, c: u32) -> usize {
    let bit = t as u64 * u64::from(c);
    let word = (bit / 64) as usize;
    let shift = (bit % 64) as u32;
    let mut v = words.get(word).copied().unwrap_or(0) >> shift;
    if shift + c > 64 {
        v |= words.get(word + 1).copied().unwrap_or(0) << (64 - shift);
    }
    (v & ((1u64 << c) - 1)) as usize
}

/// The window width minimising (b/c)·(n + 2^(c+1)).
fn best_window(n: usize, bits: u64) -> u32 {
    (1..=16u32)
        .min_by_key(|&c| bits.div_ceil(u64::from(c)) * (n as u64 + (2u64 << c)))
        .unwrap_or(4)
}

/// Pippenger over non-negative exponents.
fn pippenger(pk: &PublicKey, bases: &[&BoxedMontyForm], exps: &[&BigUint]) -> BoxedMontyForm {
    let bits = exps.iter().map(|e| e.bits()).max().unwrap_or(0);
    let one = BoxedMontyForm::one(&pk.nn_params);
    if bits == 0 {
        return one;
    }
    let c = best_window(bases.len(), bits);
    let words: Vec<Vec<u64>> = exps.iter().map(|e| e.to_u64_digits()).collect();
    let windows = bits.div_ceil(u64::from(c)) as usize;
    let mut acc: Option<BoxedMontyForm> = None;
    for t in (0..windows).rev() {
        if let Some(a) = acc.as_mut() {
            for _ in 0..c {
                *a = a.square();
            }
        }
        let mut buckets: Vec<Option<BoxedMontyForm>> = vec![None; 1 << c];
        for (base, w) in bases.iter().zip(&words) {
            let d = digit(w, t, c);
            if d != 0 {
                mul_into(&mut buckets[d], base);
            }
        }
        if let Some(sum) = aggregate_buckets(&buckets[1..]) {
            mul_into(&mut acc, &sum);
        }
    }
    acc.unwrap_or(one)
}

/// `Enc(Σ_j e_j·x_j)` from `Enc(x_j)` and signed integer weights `e_j` (Pippenger; negative
/// weights cost one extra inversion in total).
pub fn inner_product(pk: &PublicKey, cts: &[Ciphertext], weights: &[BigInt]) -> Result<Ciphertext> {
    if cts.len() != weights.len() {
        return Err(PaillierError::LengthMismatch {
            what: "inner product weights",
            expected: cts.len(),
            actual: weights.len(),
        });
    }
    let split = |sign: Sign| -> (Vec<&BoxedMontyForm>, Vec<&BigUint>) {
        cts.iter()
            .zip(weights)
            .filter(|(_, w)| w.sign() == sign)
            .map(|(c, w)| (&c.c, w.magnitude()))
            .unzip()
    };
    let (pos_b, pos_e) = split(Sign::Plus);
    let (neg_b, neg_e) = split(Sign::Minus);
    let pos = Ciphertext {
        c: pippenger(pk, &pos_b, &pos_e),
    };
    if neg_b.is_empty() {
        return Ok(pos);
    }
    let neg = Ciphertext {
        c: pippenger(pk, &neg_b, &neg_e),
    };
    Ok(pk.sub(&pos, &neg))
}

/// Fixed bases with precomputed powers `c_j^(2^(c·t))`, for many exponent vectors of at most
/// `exp_bits` bits (non-negative, e.g. ring elements).
#[derive(Debug, Clone)]
pub struct FixedBaseTable {
    window: u32,
    windows: usize,
    exp_bits: u32,
    powers: Vec<Vec<BoxedMontyForm>>,
}

impl FixedBaseTable {
    /// Precompute the powers of every base (exp_bits squarings per base) for windows of
    /// `window` bits (1..=16; 0 picks one for the number of bases).
    pub fn new(pk: &PublicKey, bases: &[Ciphertext], exp_bits: u32, window: u32) -> Result<Self> {
        let window = if window == 0 {
            best_window(bases.len(), u64::from(exp_bits)).min(12)
        } else {
            window
        };
        if !(1..=16).contains(&window) || !(1..=64).contains(&exp_bits) {
            return Err(PaillierError::PlaintextOutOfRange {
                what: format!(
                    "fixed-base table needs a window of 1..=16 bits and exponents of 1..=64 bits \
                     (got {window} and {exp_bits})"
                ),
            });
        }
        debug_assert!(bases.iter().all(|b| pk.owns(b)));
        let windows = exp_bits.div_ceil(window) as usize;
        let powers = bases
            .iter()
            .map(|b| {
                let mut row = Vec::with_capacity(windows);
                let mut x = b.c.clone();
                for t in 0..windows {
                    if t > 0 {
                        for _ in 0..window {
                            x = x.square();
                        }
                    }
                    row.push(x.clone());
                }
                row
            })
            .collect();
        Ok(Self {
            window,
            windows,
            exp_bits,
            powers,
        })
    }

    /// Number of bases.
    pub fn len(&self) -> usize {
        self.powers.len()
    }

    /// Whether there are no bases.
    pub fn is_empty(&self) -> bool {
        self.powers.is_empty()
    }

    /// `Π_j c_j^(e_j)` for exponents below `2^exp_bits`.
    pub fn inner_product(&self, pk: &PublicKey, exps: &[u64]) -> Result<Ciphertext> {
        if exps.len() != self.powers.len() {
            return Err(PaillierError::LengthMismatch {
                what: "fixed-base exponents",
                expected: self.powers.len(),
                actual: exps.len(),
            });
        }
        if self.exp_bits < 64 && exps.iter().any(|&e| e >> self.exp_bits != 0) {
            return Err(PaillierError::PlaintextOutOfRange {
                what: format!("an exponent exceeds the table's {} bits", self.exp_bits),
            });
        }
        let mut buckets: Vec<Option<BoxedMontyForm>> = vec![None; 1 << self.window];
        for (row, &e) in self.powers.iter().zip(exps) {
            for (t, power) in row.iter().enumerate().take(self.windows) {
                let d = digit(&[e], t, self.window);
                if d != 0 {
                    mul_into(&mut buckets[d], power);
                }
            }
        }
        Ok(Ciphertext {
            c: aggregate_buckets(&buckets[1..])
                .unwrap_or_else(|| BoxedMontyForm::one(&pk.nn_params)),
        })
    }
}

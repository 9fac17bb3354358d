//! The noise budget of a masked product (bound, flooding, correctness, failure probability).
//!
//! Notation: `t = 2^k`, `q = Q0·Q1·Q2 ≈ 2^175`, η = 21 (fresh errors `|e|∞ ≤ η`), shares
//! centred so that every weight has `|w| ≤ 2^(k−1)`, `T` = the largest number of weights that
//! reach one output coefficient (`T ≤ n_o·n_in`: every nonzero coefficient of every ŵ of an
//! output block, summed over the input blocks).
//!
//! **Input.** `Enc(v̂) = (b, a)`, `b = −a·s + e + Δ(v̂)`, `Δ(m) = ⌊q·m/t⌉ = q·m/t + ε`,
//! `|ε| ≤ ½` per coefficient (exact rounded scaling; `⌊q/t⌋·m` would add the carry term
//! `(q mod t)·⌊m·ŵ/t⌋`, up to ≈ N·2^(2k), far above any budget).
//!
//! **Product.** `Σ ŵ·(b, a)` decrypts to `(q/t)·[Σ ŵ·v̂]_t + Σ ŵ·(e + ε)` modulo q: the
//! multiple `q·⌊Σŵ·v̂ / t⌋` vanishes. Each coefficient of `Σ ŵ·(e + ε)` is a sum of at most T
//! terms `w·(e_c + ε_c)`, so it is at most `T·2^(k−1)·(η + ½)`.
//!
//! **Mask, re-randomisation.** Adding `Δ(μ)` adds `≤ ½`; the fresh public-key encryption of
//! zero adds `e_pk·u + e0 + e1·s`, at most `(2N + 1)·η` (u, s ternary). Altogether
//!
//! ```text
//!   B = T·2^(k−1)·(η + ½) + ½ + (2N + 1)·η        (k = 40, T = 169: B < 2^51)
//! ```
//!
//! **Flooding.** Every returned coefficient gets `f` uniform in `[−2^F, 2^F)` with
//! `F = ⌈log2 B⌉ + 64`: a shift by `|x| ≤ B` moves a uniform variable on `2^(F+1)` values by
//! statistical distance `≤ B/2^(F+1) < 2^−64` per coefficient, so the key holder's view of
//! up to 2^24 returned coefficients ([`MAX_RETURNED_COEFFICIENTS`]) is within `2^−40` (σ = 40)
//! of a view that does not depend on the weights. A key holder reads one coefficient per
//! output of every layer and patch: 2,704 × (128 + 128 + 25) = 759,824 per 256×256 image of
//! the shipped model, so 2^24 covers 22 such images (an earlier text said ≈ 12, counting
//! both parties' returns together; each party's view is bounded separately). The multiplier
//! matrices are the parties' model shares, fixed for a share pair: the fast protocol counts
//! the coefficients returned per share pair in both share files and re-shares (fresh masks,
//! fresh matrices) before an image would pass the bound. (σ = 40 extra bits alone would
//! cover one coefficient; 64 costs nothing here.) For the shipped model at k = 40: F = 115 for T = 169 (n_o = 1), 116 for the
//! whole-image layouts (n_o = 2, T = 338), 122 for one patch (n_o = 128, T = 21,632).
//!
//! **Correctness at q.** `B + 2^F < 2^(F+1) ≤ q/(2t)` needs `F + k + 2 ≤ log2 q` (174).
//!
//! **Modulus switching** to Q0 (< 2^55) before sending: `round(Q0·c/q)` per coefficient adds
//! `ε_b + ε_a·s` with `|ε| ≤ ½`, at most `½ + N/2`; the noise becomes
//! `(Q0/q)·(B + 2^F) + ½ + N/2`, which must stay below `Q0/(2t)`:
//! for k = 40 that is `2^−5 + 4096.5 < 2^14`. This caps k at 41. Switching is a public
//! deterministic map of the flooded ciphertext, so it cannot undo the flooding.
//!
//! **Accumulators.** The products accumulate `|w|·x` with `x < 2^60` in u128: `T·2^(k−1)·2^60`
//! must stay below `2^127`.
//!
//! **Failure probability: 0.** Every bound above is a worst case (bounded supports: centred
//! binomial, ternary, uniform flooding, rounding), not a tail bound. `src/extreme_tests.rs` runs
//! all weights at `−2^(k−1)`, all inputs at `2^k − 1`, every fresh error at `+η`, T from
//! 169 to the largest of the shipped model (21,632), the flooding at its extreme value, with
//! both engines, and decrypts exactly.

use crate::error::{Result, RlweError};
use crate::params::{ETA, LOG2_Q, N, PRIMES};

/// Extra flooding bits above the bound (σ = 40 plus 24 for up to 2^24 returned coefficients).
pub const FLOOD_EXTRA: u32 = 64;
/// Most coefficients one multiplier matrix may return to a key holder over all its uses: with
/// [`FLOOD_EXTRA`] = σ + 24 bits of flooding, 2^24 coefficients keep the key holder's whole
/// view within 2^−σ. The fast protocol counts them per share pair and re-shares before this
/// is exceeded (`gcc-nn-protocol`'s `fast::store::RLWE_BUDGET`).
pub const MAX_RETURNED_COEFFICIENTS: u64 = 1 << (FLOOD_EXTRA - crate::params::SIGMA);
/// Largest flooding exponent the sampler supports (`i128`).
pub const MAX_FLOOD: u32 = 125;

/// The checked noise budget of a layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// T: weights reaching one output coefficient.
    pub terms: usize,
    /// `⌈log2 B⌉`.
    pub bound_bits: u32,
    /// F: flooding noise is uniform in `[−2^F, 2^F)`.
    pub flood_bits: u32,
}

impl Budget {
    /// `2B` as an exact integer for T terms at k bits (B itself has a ½).
    pub fn twice_bound(terms: usize, k: u32) -> u128 {
        let eta = ETA as u128;
        terms as u128 * (1u128 << (k - 1)) * (2 * eta + 1) + 1 + 2 * (2 * N as u128 + 1) * eta
    }

    /// The budget of an `n_out`×`n_in` product cut into output blocks of `n_o` at `k` bits
    /// (a layout's: [`Budget::for_layout`]), or [`RlweError::NoiseBudget`] naming
    /// the condition that fails. Integer arithmetic only, so both parties agree on every
    /// layout's validity.
    pub fn for_product(n_in: usize, n_out: usize, n_o: usize, k: u32) -> Result<Self> {
        let terms = n_o.min(n_out) * n_in;
        let fail = |what: &str, needed_bits: u32, available_bits: u32| {
            Err(RlweError::NoiseBudget {
                what: format!("{what} ({n_out}×{n_in} product, n_o = {n_o}, k = {k})"),
                needed_bits,
                available_bits,
            })
        };
        // T·2^(k−1)·2^60 < 2^127, checked first so that the bound below cannot overflow.
        let acc_bits = ceil_log2(terms as u128) + k - 1 + 60;
        if acc_bits >= 127 {
            return fail("u128 accumulators", acc_bits, 127);
        }
        // ⌈log2 B⌉ = ⌈log2 2B⌉ − 1.
        let bound_bits = ceil_log2(Self::twice_bound(terms, k)) - 1;
        let flood_bits = bound_bits + FLOOD_EXTRA;
        if flood_bits > MAX_FLOOD {
            return fail("flooding noise", flood_bits, MAX_FLOOD);
        }
        if flood_bits + k + 2 > LOG2_Q {
            return fail("decryption at q", flood_bits + k + 2, LOG2_Q);
        }
        // After switching: (Q0/q)·2^(F+1) + ½ + N/2 < Q0/2^(k+1), with Q0/q = 1/(Q1·Q2) ≤ 2^−119
        // so the first term is at most 2^(F−118) (counted as 1 when below). Times 2^(k+1):
        let first = 1u128 << (flood_bits.saturating_sub(118) + k + 1);
        let switched = first + (1u128 << k) + (N as u128 / 2) * (1u128 << (k + 1));
        if switched >= PRIMES[0] as u128 {
            return fail("decryption after switching to Q0", ceil_log2(switched), 55);
        }
        Ok(Self {
            terms,
            bound_bits,
            flood_bits,
        })
    }
}

/// `⌈log2 x⌉` for `x ≥ 1`.
fn ceil_log2(x: u128) -> u32 {
    128 - (x.max(1) - 1).leading_zeros()
}

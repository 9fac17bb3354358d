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
//! up to 2^24 returned coefficients (≈ 12 whole images) is within `2^−40` (σ = 40) of a view
//! that does not depend on the weights. (PROTOCOL.md asks for σ = 40 extra bits; 64 costs
//! nothing here.) For the shipped model at k = 40: F = 115 for T = 169 (n_o = 1), 116 for the
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
use crate::layout::Layout;
use crate::params::{ETA, N, PRIMES, log2_q};

/// Extra flooding bits above the bound (σ = 40 plus 24 for up to 2^24 returned coefficients).
pub const FLOOD_EXTRA: u32 = 64;
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
    /// The bound B (as f64) for T terms at k bits.
    pub fn bound(terms: usize, k: u32) -> f64 {
        let eta = ETA as f64;
        terms as f64 * 2f64.powi(k as i32 - 1) * (eta + 0.5) + 0.5 + (2 * N + 1) as f64 * eta
    }

    /// The budget of `layout`, or [`RlweError::NoiseBudget`] naming the condition that fails.
    pub fn for_layout(layout: &Layout) -> Result<Self> {
        let terms = layout.n_o.min(layout.n_out) * layout.n_in;
        let k = layout.k;
        let bound_bits = Self::bound(terms, k).log2().ceil() as u32;
        let flood_bits = bound_bits + FLOOD_EXTRA;
        let fail = |what: &str, needed_bits: u32, available_bits: u32| {
            Err(RlweError::NoiseBudget {
                what: format!(
                    "{what} ({}×{} product, n_o = {}, k = {k})",
                    layout.n_out, layout.n_in, layout.n_o
                ),
                needed_bits,
                available_bits,
            })
        };
        if flood_bits > MAX_FLOOD {
            return fail("flooding noise", flood_bits, MAX_FLOOD);
        }
        if flood_bits + k + 2 > log2_q() {
            return fail("decryption at q", flood_bits + k + 2, log2_q());
        }
        let q0 = PRIMES[0] as f64;
        let log2_q_over_q0 = PRIMES[1..].iter().map(|&p| (p as f64).log2()).sum::<f64>();
        let switched = 2f64.powf(flood_bits as f64 + 1.0 - log2_q_over_q0) + 0.5 + N as f64 / 2.0;
        if switched >= q0 / 2f64.powi(k as i32 + 1) {
            return fail(
                "decryption after switching to Q0",
                (switched.log2() + k as f64 + 1.0).ceil() as u32,
                q0.log2() as u32,
            );
        }
        let acc_bits = (terms as f64).log2() + (k - 1) as f64 + 60.0;
        if acc_bits >= 127.0 {
            return fail("u128 accumulators", acc_bits.ceil() as u32, 127);
        }
        Ok(Self {
            terms,
            bound_bits,
            flood_bits,
        })
    }
}

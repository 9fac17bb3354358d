//! The paper's protocol (PROTOCOL.md §2), one chunk of patches at a time, every layer
//! batched over the chunk.
//!
//! Invariant: the cloud holds `Enc_U(a)` for the current layer's input of every patch.
//! 1. The user sends `Enc(p)` for every patch of the chunk.
//! 2. Linear layer: for every patch b, the cloud draws fresh masks `r2_bj` (inputs) and
//!    `r1_bij` (weights), sends re-randomised `Enc(a_bj + r2_bj)` and `Enc(W_ij + r1_bij)`;
//!    the user decrypts and returns fresh `Enc(s_bi)`, `s_bi = Σ_j (W_ij + r1_bij)(a_bj + r2_bj)`;
//!    the cloud computes `Enc(z_bi) = Enc(s_bi) · Enc(Σ_j r1_bij·a_bj + W_ij·r2_bj + r1_bij·r2_bj)^(−1)
//!    · Enc(b_i)` by multi-exponentiation.
//! 3. Hidden layers: the masked-activation bridge ([`crate::bridge`]) on every `Enc(z_bi)`
//!    of the chunk as one garbled batch; the user garbles, the cloud evaluates.
//! 4. Output layer: the cloud sends re-randomised `Enc(q)`; the user decrypts.
//!
//! Masks: a value with `|v| < 2^bits` gets `m = 2^bits + u`, u uniform in `[0, 2^(bits+σ))`,
//! so `v + m` is positive, below `2^(bits+σ+1)`, never wraps mod N, and its distribution is
//! within statistical distance `2^−σ` of one independent of v. All arithmetic is exact mod
//! N, so the result equals `model::fixed::FixedMlp::forward` bit for bit.
//!
//! The cloud side ([`cloud`]) only ever has a [`paillier::PublicKey`]; handing it the secret
//! key is a type error. This compiles:
//!
//! ```no_run
//! # use gcc_nn_protocol::reference::cloud::run_chunk;
//! # use gcc_nn_protocol::session::{JobStats, serve::CloudState};
//! # fn f(ch: &mut runtime::channel::MemChannel, state: &CloudState, sk: &paillier::SecretKey) {
//! let mut stats = JobStats::default();
//! let pk = sk.public_key();
//! let _ = run_chunk(ch, pk, &state.model, &state.circuit.bridge, 1, &mut stats);
//! # }
//! ```
//!
//! and the same call with the secret key does not:
//!
//! ```compile_fail,E0308
//! # use gcc_nn_protocol::reference::cloud::run_chunk;
//! # use gcc_nn_protocol::session::{JobStats, serve::CloudState};
//! # fn f(ch: &mut runtime::channel::MemChannel, state: &CloudState, sk: &paillier::SecretKey) {
//! let mut stats = JobStats::default();
//! let _ = run_chunk(ch, sk, &state.model, &state.circuit.bridge, 1, &mut stats);
//! # }
//! ```

pub mod cloud;
pub mod user;

use crate::bridge::{DEFAULT_SIGMA, Mode};
use model::fixed::FixedParams;
use rand::CryptoRng;

/// Statistical masking parameter of the linear layers.
pub const SIGMA: u32 = DEFAULT_SIGMA;
/// How the bridge carries masked values in the reference protocol: one per ciphertext,
/// as the paper does.
pub const BRIDGE_MODE: Mode = Mode::Unpacked;

/// Bits bounding every layer input: `|a| < 2^a_bits` for clamped input pixels
/// (`|p| ≤ clamp·2^Fa`) and activations (`|a| ≤ 2^Fa`).
pub fn activation_bits(fixed: &FixedParams) -> u32 {
    let input = (fixed.input_clamp * f64::from(1u32 << fixed.fa)).ceil() as u128;
    let max = input.max(1u128 << fixed.fa);
    128 - max.leading_zeros()
}

/// A mask for a value with `|v| < 2^bits`: `2^bits + u`, u uniform in `[0, 2^(bits+σ))`.
pub fn draw_mask<R: CryptoRng + ?Sized>(bits: u32, rng: &mut R) -> u128 {
    let width = bits + SIGMA;
    let v = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
    let u = if width >= 128 {
        v
    } else {
        v & ((1u128 << width) - 1)
    };
    (1u128 << bits) + u
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn activation_bits_cover_inputs_and_activations() {
        let f = model::fixed::FIXED;
        let bits = activation_bits(&f);
        let max_input = (f.input_clamp * f64::from(1u32 << f.fa)) as i128;
        assert!(max_input < 1i128 << bits);
        assert!(1i128 << f.fa < 1i128 << bits);
    }

    #[test]
    fn masked_values_stay_positive_and_bounded() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        for bits in [1u32, 16, 24, 48] {
            for _ in 0..200 {
                let m = draw_mask(bits, &mut rng);
                let lo = m as i128 - (1i128 << bits) + 1;
                let hi = m as i128 + (1i128 << bits) - 1;
                assert!(lo > 0, "v + m must be positive for every |v| < 2^bits");
                assert!(hi < 1i128 << (bits + SIGMA + 1));
            }
        }
    }
}

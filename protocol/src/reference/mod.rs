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
use crate::session::SessionError;
use crate::upload::{EncryptedModel, ModelHeader};
use model::fixed::FixedParams;
use rand::CryptoRng;

/// Statistical masking parameter of the linear layers.
pub const SIGMA: u32 = DEFAULT_SIGMA;
/// How the bridge carries masked values in the reference protocol: one per ciphertext,
/// as the paper does.
pub const BRIDGE_MODE: Mode = Mode::Unpacked;

/// Checks what the protocol indexes by: at least one layer and an output bound below
/// 2^126. (Headers from the peer or a file are validated by their decoders; this keeps a
/// hand-built header from panicking the run.)
pub(crate) fn check_header(h: &ModelHeader) -> Result<(), SessionError> {
    if h.layers() == 0 || h.z_bits > 126 {
        return Err(SessionError::Model(format!(
            "model header with widths {:?} and |z| < 2^{} cannot be run",
            h.widths, h.z_bits
        )));
    }
    Ok(())
}

/// [`check_header`], plus every encrypted layer's shape against the header's widths.
pub(crate) fn check_model(m: &EncryptedModel) -> Result<(), SessionError> {
    check_header(&m.header)?;
    let w = &m.header.widths;
    let consistent = m.layers.len() == m.header.layers()
        && m.layers.iter().enumerate().all(|(i, l)| {
            l.inputs == w[i] as usize
                && l.outputs == w[i + 1] as usize
                && l.weights.len() == l.inputs * l.outputs
                && l.bias.len() == l.outputs
        });
    if !consistent {
        return Err(SessionError::Model(format!(
            "encrypted layers do not match the widths {w:?}"
        )));
    }
    Ok(())
}

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

    /// A 3x3 → 2 → 1x1 model encrypted under a 256-bit test key.
    fn tiny_model() -> EncryptedModel {
        use model::mlp::{Dense, Mlp};
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        let sk = paillier::SecretKey::generate_any_size(256, &mut rng).expect("key");
        let layers = vec![
            Dense {
                inputs: 9,
                outputs: 2,
                weights: (0..18).map(|k| (k % 7) as f32 / 7.0 - 0.4).collect(),
                bias: vec![0.1, -0.2],
            },
            Dense {
                inputs: 2,
                outputs: 1,
                weights: vec![0.6, -0.4],
                bias: vec![0.05],
            },
        ];
        let mlp = Mlp::new(3, 1, 1, 25.0, layers).expect("model");
        let fixed = model::fixed::FixedMlp::from_model(
            &mlp,
            model::fixed::FIXED,
            model::activation::TANH_FIT,
        )
        .expect("fixed");
        EncryptedModel::encrypt_with_rng(&fixed, sk.public_key(), &mut rng).expect("encrypt")
    }

    #[test]
    fn inconsistent_models_are_errors_not_panics() {
        let good = tiny_model();
        check_model(&good).expect("a real model is consistent");
        let mut no_layers = good.clone();
        no_layers.header.widths.truncate(1);
        no_layers.layers.clear();
        let mut huge_bound = good.header.clone();
        huge_bound.z_bits = 127;
        let mut short_bias = good.clone();
        short_bias.layers[1].bias.clear();
        let mut wrong_width = good.clone();
        wrong_width.layers[0].inputs = 5;
        for bad in [&no_layers, &short_bias, &wrong_width] {
            assert!(matches!(check_model(bad), Err(SessionError::Model(_))));
        }
        assert!(matches!(
            check_header(&huge_bound),
            Err(SessionError::Model(_))
        ));
        assert!(matches!(
            check_header(&no_layers.header),
            Err(SessionError::Model(_))
        ));
    }

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

//! The paper's protocol (docs/protocol.md §2), one chunk of patches at a time, every layer
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
//! **Output: what the user learns here, unlike in the fast protocol.** As in the paper, the
//! user decrypts every patch's raw network output `q` (40 bits at scale 2^24, before the
//! residual addition and the overlap averaging) and maps it to pixels itself
//! ([`model::pixel::image_pixels`]). It therefore learns much more than the 8-bit denoised
//! image: a fine-grained output value per patch and per overlapping pixel, an input–output
//! relation of the secret network that helps model extraction. The fast protocol
//! ([`crate::fast::output`]) reveals no `q`: overlap averaging and the output mapping run on
//! additive shares and each final pixel is revealed to the user alone by a small garbled
//! circuit, so its user learns exactly the 8-bit image. The reference protocol keeps the
//! paper's behaviour on purpose, as the baseline of the comparison; the fast protocol (the
//! default) is the one to use when the model's privacy toward the user matters.
//!
//! Masks ([`draw_mask`]): a value with `|v| < 2^bits` gets `m = 2^bits + u`, u uniform in
//! `[0, 2^(bits + MASK_SIGMA))`, so `v + m` is positive, below `2^(bits + MASK_SIGMA + 1)` and
//! never wraps mod N. The same secret is masked again and again — `W_ij` once per patch of
//! every job, an activation once per occurrence of the same patch — so every mask is sized
//! for the counted uses: [`MASK_SIGMA`] = σ + log2([`MASK_USES`]) + 1 = 81 bits, which keeps
//! the user's whole view of one secret within statistical distance `2^−σ = 2^−40` of one
//! independent of it (the bound is proved at [`draw_mask`]). The activation bridge runs
//! with the same parameter ([`crate::session::activation::ActivationCircuit`]). All
//! arithmetic is exact mod N, so the result equals `model::fixed::FixedMlp::forward` bit for
//! bit.
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
pub mod core;
pub mod job;
pub mod user;
mod wire;

use crate::bridge::Mode;
use crate::error::ProtocolError as SessionError;
use crate::upload::{EncryptedModel, ModelHeader};
use model::fixed::FixedParams;
use rand::CryptoRng;

/// σ, the cap on uses of one secret and the reference protocol's mask parameter σ + log2
/// uses + 1 = 81 bits ([`crate::params`], where each is declared with its reason).
pub use crate::params::{MASK_USES, MASK_USES_LOG2, REFERENCE_SIGMA as MASK_SIGMA, SIGMA};
/// Largest `bits` [`draw_mask`] accepts: the mask `2^bits + u` must fit 128 bits.
pub const MAX_MASKED_BITS: u32 = 127 - MASK_SIGMA;
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
/// (`|p| ≤ clamp·2^Fa`) and activations of any activation (outputs in `fixed<16, 12>`:
/// `|a| ≤ 2^15`, ReLU and GELU reach 8·2^Fa − 1).
pub fn activation_bits(fixed: &FixedParams) -> u32 {
    let input = (fixed.input_clamp * f64::from(1u32 << fixed.fa)).ceil() as u128;
    let max = input.max(1u128 << (activation::WIDTH - 1));
    128 - max.leading_zeros()
}

/// A mask for a value with `|v| < 2^bits`: `m = 2^bits + u`, u uniform in
/// `[0, 2^(bits + MASK_SIGMA))`; `bits` ≤ [`MAX_MASKED_BITS`], else an error.
///
/// Bound (statistical distance 2^−σ over the counted uses): `v + 2^bits` lies in
/// `(0, 2^(bits+1))`, so for any two values v, v' the masked `v + m` and `v' + m` are
/// uniform on two intervals of length `2^(bits + MASK_SIGMA)` shifted by less than
/// `2^(bits+1)`: their distance is below `2^(bits+1) / 2^(bits + MASK_SIGMA)` =
/// `2^−(σ + log2 MASK_USES)`. Each use draws a fresh mask, so over at most [`MASK_USES`] uses
/// of the same secret the distances add up to at most `2^−σ` = 2^−40.
/// `v + m < 2^(bits + MASK_SIGMA + 1)`, so it never wraps modulo an N of more bits
/// ([`check_key_fits`]).
pub fn draw_mask<R: CryptoRng + ?Sized>(bits: u32, rng: &mut R) -> Result<u128, SessionError> {
    if bits > MAX_MASKED_BITS {
        return Err(SessionError::Model(format!(
            "a {bits}-bit value cannot be masked with {MASK_SIGMA} statistical bits in 128 bits"
        )));
    }
    let width = bits + MASK_SIGMA;
    let v = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
    Ok((1u128 << bits) + (v & ((1u128 << width) - 1)))
}

/// Checks that a masked value of a `bits`-bit secret (below `2^(bits + MASK_SIGMA + 1)`)
/// stays below the modulus of a `key_bits`-bit key, so no masked value wraps mod N.
pub fn check_key_fits(bits: u32, key_bits: u32) -> Result<(), SessionError> {
    if bits + MASK_SIGMA + 1 >= key_bits {
        return Err(SessionError::Model(format!(
            "masked {bits}-bit values need {} bits, more than a {key_bits}-bit key holds",
            bits + MASK_SIGMA + 1
        )));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::SeedableRng;

    /// A 3x3 → 2 → 1x1 model encrypted under a 256-bit test key.
    fn tiny_model() -> EncryptedModel {
        tiny_model_with_key().0
    }

    /// [`tiny_model`] and its (test) secret key.
    pub(super) fn tiny_model_with_key() -> (EncryptedModel, paillier::SecretKey) {
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
            activation::Activation::shipped("tanh_fit").expect("shipped"),
        )
        .expect("fixed");
        let enc = EncryptedModel::encrypt_with_rng(
            &fixed,
            sk.public_key(),
            &crate::upload::OwnerKey::from_seed(&[7; 32]),
            &mut rng,
        )
        .expect("encrypt");
        (enc, sk)
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
        // ReLU's largest output, 8 − 2^−12, fits too.
        assert!((1i128 << 15) - 1 < 1i128 << bits);
    }

    #[test]
    fn masked_values_stay_positive_and_bounded_at_the_extremes() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let w_bits = tiny_model().header.weight_bits;
        let a_bits = activation_bits(&model::fixed::FIXED);
        for bits in [1u32, a_bits, w_bits, MAX_MASKED_BITS] {
            for _ in 0..200 {
                let m = draw_mask(bits, &mut rng).expect("mask");
                // The extremes of v: −(2^bits − 1) and 2^bits − 1.
                let lo = m - ((1u128 << bits) - 1);
                let hi = m
                    .checked_add((1u128 << bits) - 1)
                    .expect("no u128 overflow");
                assert!(lo > 0, "v + m must be positive for every |v| < 2^bits");
                // hi < 2^(bits + MASK_SIGMA + 1) (that bound is 2^128 at MAX_MASKED_BITS).
                assert_eq!(hi.checked_shr(bits + MASK_SIGMA + 1).unwrap_or(0), 0);
            }
        }
        // The largest mask of all: u = 2^(bits + MASK_SIGMA) − 1 still leaves v + m in range.
        let top = (1u128 << MAX_MASKED_BITS) + ((1u128 << (MAX_MASKED_BITS + MASK_SIGMA)) - 1);
        assert!(top.checked_add((1u128 << MAX_MASKED_BITS) - 1).is_some());
        assert!(draw_mask(MAX_MASKED_BITS + 1, &mut rng).is_err());
    }

    /// The masks are as wide as the count of uses demands (σ + 40 + 1 = 81 bits above the
    /// value), and they use that width: the top bits are set in about half the draws.
    #[test]
    fn masks_are_sized_for_two_to_the_forty_uses() {
        assert_eq!(MASK_SIGMA, 81);
        assert_eq!(MASK_USES, 1 << 40);
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        let bits = 23;
        let draws: Vec<u128> = (0..400)
            .map(|_| draw_mask(bits, &mut rng).expect("mask"))
            .collect();
        let top = draws
            .iter()
            .filter(|&&m| (m - (1u128 << bits)) >> (bits + MASK_SIGMA - 1) == 1)
            .count();
        assert!(
            (150..250).contains(&top),
            "top mask bit set in {top} of 400"
        );
        assert!(draws.iter().all(|&m| m >> (bits + MASK_SIGMA + 1) == 0));
    }

    #[test]
    fn masked_values_must_fit_the_key() {
        let w = tiny_model().header.weight_bits;
        check_key_fits(w, 2048).expect("2048-bit keys hold every masked value");
        check_key_fits(w, 256).expect("the tests' 256-bit keys too");
        assert!(check_key_fits(w, w + MASK_SIGMA + 1).is_err());
    }
}

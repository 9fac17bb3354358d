//! Setup, once per (user, model): the cloud re-shares the encrypted model (docs/protocol.md §3).
//!
//! Cloud: for every weight and bias `Enc_U(W)`, a mask `t = 2^(k−1) + u` with u uniform on
//! `k + σ_s` bits ([`draw_mask`], σ_s = [`SETUP_SIGMA`]), so `t ∈ [2^(k−1), 2^(k−1) + 2^(k+σ_s))`
//! and `t mod 2^k` is uniform; `Enc_U(W + t)` by a plaintext addition; K of them packed per
//! ciphertext by Horner. As `−2^(k−1) ≤ W < 2^(k−1)` (every weight and bias is a ring
//! element read as signed), `0 ≤ W + t < 2^k + 2^(k+σ_s) ≤ 2^(k+σ_s+1)`: slots of
//! `k + σ_s + 1` bits never carry. The user decrypts and keeps `W_U = (W + t) mod 2^k`, the
//! cloud `α = t mod 2^k`: `W = W_U − α (mod 2^k)`.
//!
//! # Statistical hiding, counted over re-sharings (issue 13 item 6)
//!
//! The user sees the integer `W + t`. Against the simulation `2^(k−1) + u'` (no W), one sample
//! is at statistical distance `|W| / 2^(k+σ_s) ≤ 2^(k−1)/2^(k+σ_s) = 2^(−σ_s−1)`. Every
//! re-sharing of the same model to the same user draws a fresh t: another sample. The cloud
//! counts re-sharings per (user key, model) in its share store and refuses more than
//! [`MAX_RESHARINGS`] `= 2^10` ([`super::store::CloudShareStore::count_resharing`]), and
//! `σ_s = σ + 10 = 50`, so over all re-sharings each weight is within
//! `2^10 · 2^−51 = 2^−41` of the simulation, and any two models within `2^−40`.
//!
//! # Randomness of the returned ciphertexts (issue 13 item 1)
//!
//! The packed ciphertexts go to the user, who holds the key; they are built from the owner's
//! upload ciphertexts, whose randomness (the owner's short-exponent base) is not in the
//! subgroup of any base the user publishes, so each is re-randomised with a uniform `r^N`
//! ([`FreshZeros::full`], a full exponentiation per packed ciphertext: setup work, once per
//! (user, model)). Its randomness is then uniform on the N-th residues, independent of how it
//! was computed.
//!
//! Messages: cloud → user: header words `magic | version | k | user key fingerprint |
//! layers | (inputs, outputs) per layer`, the cloud's public key, the share binding
//! (`pair id [32] | model hash [32]`, [`ShareBinding`]), then per layer the packed
//! ciphertexts (weights row-major, then biases). The user checks every declared size
//! against [`MAX_LAYERS`], [`MAX_SIDE`] and its own expectation before allocating.

use super::fresh::FreshZeros;
use super::ring::Ring;
use super::shares::{LayerShare, MAX_KEY_BYTES, ModelShare, ShareBinding, ShareKey};
use super::wire::{
    expect_words, protocol, recv_bytes, recv_cts, recv_words, send_bytes, send_cts, send_words,
};
use crate::error::{BridgeError, he};
use crate::upload::EncryptedModel;
use paillier::{BigUint, Ciphertext, PublicKey, SecretKey};
use rand::{CryptoRng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use runtime::channel::Channel;
use std::sync::Arc;
use zeroize::{Zeroize, Zeroizing};

const MAGIC: u64 = u64::from_le_bytes(*b"GCCNN-FS");
const VERSION: u64 = 3;
/// The re-sharing cap and the setup mask's σ_s = σ + log2 [`MAX_RESHARINGS`] (module docs).
pub use crate::params::{MAX_RESHARINGS, SETUP_SIGMA};

/// The setup mask `t = 2^(k−1) + u`, u uniform on `k + σ_s` bits: `t mod 2^k` is uniform and
/// `W + t` for any signed k-bit W hides W within `2^(−σ_s−1)` (module docs). Needs
/// `k + σ_s ≤ 127` (k ≤ 63 by [`Ring::new`]).
pub fn draw_mask<R: CryptoRng + ?Sized>(ring: &Ring, rng: &mut R) -> u128 {
    mask_from(
        ring,
        (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64()),
    )
}

/// [`draw_mask`] from 128 uniform bits (the low `k + σ_s` are used).
fn mask_from(ring: &Ring, bits: u128) -> u128 {
    (1u128 << (ring.k - 1)) + (bits & ((1u128 << (ring.k + SETUP_SIGMA)) - 1))
}

/// Most layers a user accepts in a header.
const MAX_LAYERS: u64 = super::shares::MAX_LAYERS as u64;
/// Largest layer side a user accepts.
const MAX_SIDE: u64 = super::shares::MAX_SIDE as u64;

fn fingerprint_word(pk: &PublicKey) -> u64 {
    u64::from_le_bytes(pk.fingerprint())
}

/// The cloud's side of the setup: returns its shares (α, β) and keeps `cloud_sk` with them;
/// the share pair gets a fresh random id.
pub fn cloud_setup<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    user_pk: &PublicKey,
    model: &EncryptedModel,
    cloud_sk: Arc<SecretKey>,
    ring: Ring,
    rng: &mut R,
) -> Result<ModelShare, BridgeError> {
    let mut header = vec![
        MAGIC,
        VERSION,
        u64::from(ring.k),
        fingerprint_word(user_pk),
        model.layers.len() as u64,
    ];
    for (i, o) in model.shapes() {
        header.extend([i as u64, o as u64]);
    }
    send_words(ch, &header, "setup header")?;
    send_bytes(ch, &cloud_sk.public_key().to_bytes(), "setup cloud key")?;
    let mut pair_id = [0u8; 32];
    rng.fill_bytes(&mut pair_id);
    let binding = ShareBinding {
        pair_id,
        model_hash: model.model_hash(),
        user_key: user_pk.fingerprint(),
    };
    let mut bound = binding.pair_id.to_vec();
    bound.extend_from_slice(&binding.model_hash);
    send_bytes(ch, &bound, "setup share binding")?;
    let layout = ring
        .setup_layout(SETUP_SIGMA, user_pk.bits())
        .map_err(he("setup layout"))?;
    let packed_count = model
        .layers
        .iter()
        .map(|l| (l.weights.len() + l.bias.len()).div_ceil(layout.slots()))
        .sum();
    // Uniform r^N per packed ciphertext: the owner's randomness is in no base of the user.
    let zeros = FreshZeros::full_toward_holder(user_pk, packed_count, rng);
    let mut layers = Vec::with_capacity(model.layers.len());
    for l in &model.layers {
        let all: Vec<&Ciphertext> = l.weights.iter().chain(&l.bias).collect();
        // t = 2^(k−1) + u, u on k + σ_s bits: 2^−40 over MAX_RESHARINGS (module docs).
        let masks: Zeroizing<Vec<u128>> =
            Zeroizing::new(all.iter().map(|_| draw_mask(&ring, rng)).collect());
        // 256-bit seeds: the uniform r of each zero must not come from a guessable seed.
        let seeds = super::cross::seeds(rng, all.len().div_ceil(layout.slots()));
        let packed: Vec<Ciphertext> = all
            .par_chunks(layout.slots())
            .zip(masks.par_chunks(layout.slots()))
            .zip(seeds)
            .map(|((cts, ts), seed)| {
                let masked = cts
                    .iter()
                    .zip(ts)
                    .map(|(c, &t)| user_pk.add_plain(c, &BigUint::from(t)))
                    .collect::<Result<Vec<_>, _>>()?;
                let p = layout.pack_ciphertexts(user_pk, &masked)?;
                let mut r = ChaCha20Rng::from_seed(seed);
                Ok(user_pk.add(&p, &zeros.zero(&mut r)))
            })
            .collect::<Result<_, paillier::PaillierError>>()
            .map_err(he("setup packing"))?;
        send_cts(ch, user_pk, &packed, "setup ciphertexts")?;
        let alpha: Zeroizing<Vec<u64>> =
            Zeroizing::new(masks.iter().map(|&t| (t as u64) & ring.mask()).collect());
        let n_w = l.inputs * l.outputs;
        layers.push(LayerShare {
            inputs: l.inputs,
            outputs: l.outputs,
            weights: alpha[..n_w].to_vec(),
            bias: alpha[n_w..].to_vec(),
        });
    }
    Ok(ModelShare {
        ring,
        binding,
        layers,
        key: ShareKey::CloudSecret(cloud_sk),
        rlwe_use: Default::default(),
    })
}

/// The user's side of the setup: checks the model's shapes against `shapes`, decrypts, and
/// returns its shares `W_U`, `b_U` with the cloud's public key.
pub fn user_setup<C: Channel + ?Sized>(
    ch: &mut C,
    user_sk: &SecretKey,
    shapes: &[(usize, usize)],
    ring: Ring,
) -> Result<ModelShare, BridgeError> {
    let pk = user_sk.public_key();
    let head = recv_words(ch, 5, "setup header")?;
    expect_words(
        "setup header",
        &["magic", "version", "ring bits", "user key fingerprint"],
        &[MAGIC, VERSION, u64::from(ring.k), fingerprint_word(pk)],
        &head,
    )?;
    if head[4] > MAX_LAYERS || head[4] != shapes.len() as u64 {
        return Err(protocol(
            "setup header",
            format!("{} layers, expected {}", head[4], shapes.len()),
        ));
    }
    let dims = recv_words(ch, 2 * shapes.len(), "setup header")?;
    for (li, (d, &(i, o))) in dims.chunks(2).zip(shapes).enumerate() {
        if d[0] > MAX_SIDE || d[1] > MAX_SIDE || d != [i as u64, o as u64] {
            return Err(protocol(
                "setup header",
                format!("layer {li} is {}→{}, expected {i}→{o}", d[0], d[1]),
            ));
        }
    }
    let cloud_pk = PublicKey::from_bytes(&recv_bytes(ch, MAX_KEY_BYTES, "setup cloud key")?)
        .map_err(he("setup cloud key"))?;
    let bound = recv_bytes(ch, 64, "setup share binding")?;
    if bound.len() != 64 {
        return Err(protocol(
            "setup share binding",
            format!("{} bytes, expected 64", bound.len()),
        ));
    }
    let mut binding = ShareBinding {
        pair_id: [0; 32],
        model_hash: [0; 32],
        user_key: pk.fingerprint(),
    };
    binding.pair_id.copy_from_slice(&bound[..32]);
    binding.model_hash.copy_from_slice(&bound[32..]);
    let layout = ring
        .setup_layout(SETUP_SIGMA, pk.bits())
        .map_err(he("setup layout"))?;
    let mut layers = Vec::with_capacity(shapes.len());
    crate::progress::phase(
        "re-sharing the model",
        shapes.iter().map(|&(i, o)| (i * o + o) as u64).sum(),
    );
    for &(inputs, outputs) in shapes {
        let count = inputs * outputs + outputs;
        let cts = recv_cts(ch, pk, count.div_ceil(layout.slots()), "setup ciphertexts")?;
        let values: Vec<Vec<u64>> = cts
            .par_iter()
            .enumerate()
            .map(|(g, c)| {
                let n = layout.slots().min(count - g * layout.slots());
                let slots = layout.unpack(&user_sk.decrypt(c)?, n)?;
                crate::progress::advance(n as u64);
                Ok(slots
                    .iter()
                    .map(|s| s.iter_u64_digits().next().unwrap_or(0) & ring.mask())
                    .collect())
            })
            .collect::<Result<_, paillier::PaillierError>>()
            .map_err(he("setup decryption"))?;
        let mut values = values;
        let flat: Zeroizing<Vec<u64>> = Zeroizing::new(values.iter().flatten().copied().collect());
        values.iter_mut().for_each(|v| v.zeroize());
        layers.push(LayerShare {
            inputs,
            outputs,
            weights: flat[..inputs * outputs].to_vec(),
            bias: flat[inputs * outputs..].to_vec(),
        });
    }
    crate::progress::finish();
    Ok(ModelShare {
        ring,
        binding,
        layers,
        key: ShareKey::CloudPublic(cloud_pk),
        rlwe_use: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::{MAX_RESHARINGS, SETUP_SIGMA, mask_from};
    use crate::fast::ring::{Ring, SIGMA};

    #[test]
    fn masks_at_the_extremes_hide_every_weight_within_the_counted_bound() {
        for k in [8u32, 40, 63] {
            let ring = Ring::new(k).expect("ring");
            let (lo, hi) = (mask_from(&ring, 0), mask_from(&ring, u128::MAX));
            // t ∈ [2^(k−1), 2^(k−1) + 2^(k+σ_s)): exactly 2^(k+σ_s) values.
            assert_eq!(lo, 1u128 << (k - 1));
            assert_eq!(hi - lo + 1, 1u128 << (k + SETUP_SIGMA));
            // t mod 2^k takes every value equally often: lo ≡ 2^(k−1) and the range is a
            // multiple of 2^k.
            assert_eq!((hi - lo + 1) % (1u128 << k), 0);
            // W + t for the extreme signed weights stays in [0, 2^(k+σ_s+1)): the slots of
            // `setup_layout(SETUP_SIGMA, ·)` never carry.
            let (w_min, w_max) = (-(1i128 << (k - 1)), (1i128 << (k - 1)) - 1);
            assert!(w_min + lo as i128 >= 0);
            let top = w_max + hi as i128;
            let width = ring
                .setup_layout(SETUP_SIGMA, 2048)
                .expect("layout")
                .width();
            assert!(
                top < 1i128 << width,
                "k = {k}: {top} needs more than {width} bits"
            );
            // One sample: |W| / 2^(k+σ_s) ≤ 2^(−σ_s−1); MAX_RESHARINGS samples: ≤ 2^−40.
            let per_sample = (1u128 << (k - 1)) as f64 / (hi - lo + 1) as f64;
            assert_eq!(per_sample, 2f64.powi(-(SETUP_SIGMA as i32) - 1));
            assert!(per_sample * MAX_RESHARINGS as f64 <= 2f64.powi(-(SIGMA as i32)));
        }
    }
}

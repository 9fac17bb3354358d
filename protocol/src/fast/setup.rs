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
//! Messages ([`super::setup_msg::SetupMsg`]), cloud → user: header words `magic | version |
//! k | user key fingerprint | layers` and the session id (the channel's: a header of another
//! session is refused), `(inputs, outputs)` per layer, the cloud's public key,
//! the share binding (`pair id [32] | model hash [32]`, [`super::shares::ShareBinding`]),
//! then per layer the packed ciphertexts (weights row-major, then biases). The user checks
//! every declared size against the share limits and its own expectation before allocating.
//!
//! The protocol is two sans-IO cores ([`super::setup_core`]); [`cloud_setup`] and
//! [`user_setup`] are their thin runners over a channel (and the user's progress).

use super::party::read_framed;
use super::ring::Ring;
use super::setup_core::{CloudSetup, CloudStep, UserSetup, UserStep};
use super::shares::ModelShare;
use crate::error::{BridgeError, chan};
use crate::upload::EncryptedModel;
use paillier::{PublicKey, SecretKey};
use rand::CryptoRng;
use runtime::channel::Channel;
use std::sync::Arc;

/// The re-sharing cap, the setup mask's σ_s and the mask itself ([`super::setup_core`]).
pub use super::setup_core::{MAX_RESHARINGS, SETUP_SIGMA, draw_mask};

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
    let mut core = CloudSetup::new(user_pk, model, cloud_sk, ring, ch.session_id())?;
    loop {
        match core.poll(rng)? {
            CloudStep::Computed(_) => {}
            CloudStep::Send(msg) => {
                let phase = msg.phase();
                ch.send(&msg.to_bytes(user_pk)).map_err(chan(phase))?;
                ch.flush().map_err(chan(phase))?;
            }
            CloudStep::Done(share) => return Ok(*share),
        }
    }
}

/// The user's side of the setup: checks the model's shapes against `shapes`, decrypts, and
/// returns its shares `W_U`, `b_U` with the cloud's public key. Progress: one phase over the
/// model's weights and biases.
pub fn user_setup<C: Channel + ?Sized>(
    ch: &mut C,
    user_sk: &SecretKey,
    shapes: &[(usize, usize)],
    ring: Ring,
) -> Result<ModelShare, BridgeError> {
    let mut core = UserSetup::new(user_sk, shapes, ring, ch.session_id())?;
    let mut opened = false;
    loop {
        match core.poll()? {
            UserStep::Recv(expect) => {
                let bytes = read_framed(ch, expect)?;
                core.receive(core.decode(&bytes)?)?;
            }
            UserStep::Decrypted(n) => {
                if !opened {
                    crate::progress::phase("re-sharing the model", core.values());
                    opened = true;
                }
                crate::progress::advance(n);
            }
            UserStep::Done(share) => {
                crate::progress::finish();
                return Ok(*share);
            }
        }
    }
}

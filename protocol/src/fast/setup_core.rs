//! The setup (module docs of [`super::setup`]) as two sans-IO state machines: no channel, no
//! clock, no progress. The runners ([`super::setup::cloud_setup`],
//! [`super::setup::user_setup`]) ask each core what to do next ([`CloudStep`],
//! [`UserStep`]), move its messages ([`SetupMsg`]) and report progress.
//!
//! ```text
//! cloud                                             user
//! CloudSetup::poll → Send(Header), Send(Shapes)  ─▶ UserSetup::receive: checked against
//!                    Send(CloudKey), Send(Binding)   its own shapes, key, ring, session
//!                    Computed (uniform r^N zeros)
//! per layer:         Computed (masks, packing)
//!                    Send(Layer)                 ─▶ UserSetup::receive, then
//!                                                   Decrypted(n) per chunk of ciphertexts
//! Done(α, β, cloud key)                             Done(W_U, b_U, cloud public key)
//! ```

use super::fresh::FreshZeros;
use super::ring::Ring;
use super::setup_msg::{MAGIC, SetupHeader, SetupMsg, VERSION, Wanted};
use super::shares::{LayerShare, MAX_KEY_BYTES, ModelShare, ShareBinding, ShareKey};
use super::wire::{check_session, expect_words, protocol};
use crate::error::{ProtocolError, he};
use crate::upload::EncryptedModel;
use paillier::{BigUint, Ciphertext, PublicKey, SecretKey, SlotLayout};
use rand::{CryptoRng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use runtime::channel::SessionId;
use std::sync::Arc;
use zeroize::{Zeroize, Zeroizing};

/// The re-sharing cap and the setup mask's σ_s = σ + log2 [`MAX_RESHARINGS`] (module docs of
/// [`super::setup`]).
pub use crate::params::{MAX_RESHARINGS, SETUP_SIGMA};

/// Most layers a user accepts in a header.
const MAX_LAYERS: u64 = super::shares::MAX_LAYERS as u64;
/// Largest layer side a user accepts.
const MAX_SIDE: u64 = super::shares::MAX_SIDE as u64;
/// Ciphertexts the user decrypts per step (the runner reports progress between steps).
const DECRYPT_CHUNK: usize = 64;

/// The setup mask `t = 2^(k−1) + u`, u uniform on `k + σ_s` bits: `t mod 2^k` is uniform and
/// `W + t` for any signed k-bit W hides W within `2^(−σ_s−1)` (module docs of
/// [`super::setup`]). Needs `k + σ_s ≤ 127` (k ≤ 63 by [`Ring::new`]).
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

fn fingerprint_word(pk: &PublicKey) -> u64 {
    u64::from_le_bytes(pk.fingerprint())
}

/// The packing of the setup under a key of `bits` bits.
fn layout(ring: &Ring, bits: u32) -> Result<SlotLayout, ProtocolError> {
    ring.setup_layout(SETUP_SIGMA, bits)
        .map_err(he("setup layout"))
}

/// What the cloud's core asks its runner to do next.
#[derive(Debug)]
pub enum CloudStep {
    /// A pure step was computed (its name, for timing).
    Computed(&'static str),
    /// Send this message ([`SetupMsg::to_bytes`] under the user's key).
    Send(SetupMsg),
    /// The setup is over: the cloud's shares α, β with its secret key.
    Done(Box<ModelShare>),
}

/// Where the cloud's core is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CloudAt {
    Header,
    Shapes,
    Key,
    Binding,
    Zeros,
    Pack(usize),
    Send(usize),
    Done,
}

/// The cloud's side of one setup.
pub struct CloudSetup<'a> {
    user_pk: &'a PublicKey,
    model: &'a EncryptedModel,
    cloud_sk: Arc<SecretKey>,
    ring: Ring,
    session: SessionId,
    layout: SlotLayout,
    at: CloudAt,
    binding: Option<ShareBinding>,
    zeros: Option<FreshZeros>,
    packed: Vec<Ciphertext>,
    layers: Vec<LayerShare>,
}

impl<'a> CloudSetup<'a> {
    /// Re-shares `model` (under `user_pk`) toward its user in session `session` (the
    /// channel's id, which the header carries), keeping `cloud_sk` with the cloud's shares.
    pub fn new(
        user_pk: &'a PublicKey,
        model: &'a EncryptedModel,
        cloud_sk: Arc<SecretKey>,
        ring: Ring,
        session: SessionId,
    ) -> Result<Self, ProtocolError> {
        Ok(Self {
            user_pk,
            model,
            cloud_sk,
            ring,
            session,
            layout: layout(&ring, user_pk.bits())?,
            at: CloudAt::Header,
            binding: None,
            zeros: None,
            packed: Vec::new(),
            layers: Vec::with_capacity(model.layers.len()),
        })
    }

    /// The next step; `rng` draws the pair id, the zeros, the masks and the zeros' seeds.
    pub fn poll<R: CryptoRng + ?Sized>(&mut self, rng: &mut R) -> Result<CloudStep, ProtocolError> {
        let (ring, model) = (self.ring, self.model);
        let step = match self.at {
            CloudAt::Header => {
                self.at = CloudAt::Shapes;
                CloudStep::Send(SetupMsg::Header(SetupHeader {
                    magic: MAGIC,
                    version: VERSION,
                    ring_bits: u64::from(ring.k),
                    user_key: fingerprint_word(self.user_pk),
                    layers: model.layers.len() as u64,
                    session: self.session,
                }))
            }
            CloudAt::Shapes => {
                self.at = CloudAt::Key;
                let shapes = model.shapes();
                CloudStep::Send(SetupMsg::Shapes(
                    shapes.iter().map(|&(i, o)| (i as u64, o as u64)).collect(),
                ))
            }
            CloudAt::Key => {
                self.at = CloudAt::Binding;
                CloudStep::Send(SetupMsg::CloudKey(self.cloud_sk.public_key().clone()))
            }
            CloudAt::Binding => {
                let mut pair_id = [0u8; 32];
                rng.fill_bytes(&mut pair_id);
                let model_hash = model.model_hash();
                self.binding = Some(ShareBinding {
                    pair_id,
                    model_hash,
                    user_key: self.user_pk.fingerprint(),
                });
                self.at = CloudAt::Zeros;
                CloudStep::Send(SetupMsg::Binding {
                    pair_id,
                    model_hash,
                })
            }
            CloudAt::Zeros => {
                let slots = self.layout.slots();
                let packed_count = model
                    .layers
                    .iter()
                    .map(|l| (l.weights.len() + l.bias.len()).div_ceil(slots))
                    .sum();
                // Uniform r^N per packed ciphertext: the owner's randomness is in no base of
                // the user.
                self.zeros = Some(FreshZeros::full_toward_holder(
                    self.user_pk,
                    packed_count,
                    rng,
                ));
                self.at = next_layer(0, model.layers.len());
                CloudStep::Computed("setup: randomness")
            }
            CloudAt::Pack(li) => {
                self.pack(li, rng)?;
                self.at = CloudAt::Send(li);
                CloudStep::Computed("setup: mask and pack")
            }
            CloudAt::Send(li) => {
                self.at = next_layer(li + 1, model.layers.len());
                CloudStep::Send(SetupMsg::Layer(std::mem::take(&mut self.packed)))
            }
            CloudAt::Done => {
                let binding = self
                    .binding
                    .ok_or_else(|| ProtocolError::Interface("setup without a binding".into()))?;
                CloudStep::Done(Box::new(ModelShare {
                    ring,
                    binding,
                    layers: std::mem::take(&mut self.layers),
                    key: ShareKey::CloudSecret(self.cloud_sk.clone()),
                    rlwe_use: Default::default(),
                }))
            }
        };
        Ok(step)
    }

    /// Layer `li`: masks `t`, `Enc_U(W + t)` packed K per ciphertext and re-randomised with a
    /// uniform zero; the cloud keeps `α = t mod 2^k`.
    fn pack<R: CryptoRng + ?Sized>(&mut self, li: usize, rng: &mut R) -> Result<(), ProtocolError> {
        let (ring, user_pk, layout) = (self.ring, self.user_pk, &self.layout);
        let zeros = self
            .zeros
            .as_ref()
            .ok_or_else(|| ProtocolError::Interface("setup zeros not drawn".into()))?;
        let l = &self.model.layers[li];
        let all: Vec<&Ciphertext> = l.weights.iter().chain(&l.bias).collect();
        // t = 2^(k−1) + u, u on k + σ_s bits: 2^−40 over MAX_RESHARINGS (module docs).
        let masks: Zeroizing<Vec<u128>> =
            Zeroizing::new(all.iter().map(|_| draw_mask(&ring, rng)).collect());
        // 256-bit seeds: the uniform r of each zero must not come from a guessable seed.
        let seeds = super::cross::seeds(rng, all.len().div_ceil(layout.slots()));
        self.packed = all
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
        let alpha: Zeroizing<Vec<u64>> =
            Zeroizing::new(masks.iter().map(|&t| (t as u64) & ring.mask()).collect());
        self.layers.push(split_layer(l.inputs, l.outputs, &alpha));
        Ok(())
    }
}

/// Packing layer `li` of `layers`, or the end.
fn next_layer(li: usize, layers: usize) -> CloudAt {
    if li < layers {
        CloudAt::Pack(li)
    } else {
        CloudAt::Done
    }
}

/// A layer's shares from its values (weights row-major, then biases).
fn split_layer(inputs: usize, outputs: usize, values: &[u64]) -> LayerShare {
    let n_w = inputs * outputs;
    LayerShare {
        inputs,
        outputs,
        weights: values[..n_w].to_vec(),
        bias: values[n_w..].to_vec(),
    }
}

/// What the user's core asks its runner to do next.
#[derive(Debug)]
pub enum UserStep {
    /// Read a message so framed, then [`UserSetup::decode`] and [`UserSetup::receive`] it.
    Recv(super::msg::Expect),
    /// This many weights and biases were decrypted (progress).
    Decrypted(u64),
    /// The setup is over: the user's shares `W_U`, `b_U` with the cloud's public key.
    Done(Box<ModelShare>),
}

/// The user's side of one setup: checks everything the cloud announces against its own
/// expectation (the model's shapes, its key, the ring) before allocating for it.
pub struct UserSetup<'a> {
    user_sk: &'a SecretKey,
    shapes: &'a [(usize, usize)],
    ring: Ring,
    session: SessionId,
    layout: SlotLayout,
    wanted: Option<Wanted>,
    cloud_pk: Option<PublicKey>,
    binding: Option<ShareBinding>,
    /// The current layer's ciphertexts and the values decrypted so far.
    pending: Vec<Ciphertext>,
    values: Zeroizing<Vec<u64>>,
    layers: Vec<LayerShare>,
}

impl<'a> UserSetup<'a> {
    /// Expects a model of `shapes` under `user_sk`'s key, shared in `ring`, in session
    /// `session` (the channel's id: a header of another session is refused).
    pub fn new(
        user_sk: &'a SecretKey,
        shapes: &'a [(usize, usize)],
        ring: Ring,
        session: SessionId,
    ) -> Result<Self, ProtocolError> {
        Ok(Self {
            user_sk,
            shapes,
            ring,
            session,
            layout: layout(&ring, user_sk.public_key().bits())?,
            wanted: Some(Wanted::Header),
            cloud_pk: None,
            binding: None,
            pending: Vec::new(),
            values: Zeroizing::new(Vec::new()),
            layers: Vec::with_capacity(shapes.len()),
        })
    }

    /// Weights and biases of the model (the total of every [`UserStep::Decrypted`]).
    pub fn values(&self) -> u64 {
        self.shapes.iter().map(|&(i, o)| (i * o + o) as u64).sum()
    }

    /// Packed ciphertexts of layer `li`.
    fn packed_count(&self, li: usize) -> usize {
        let (i, o) = self.shapes[li];
        (i * o + o).div_ceil(self.layout.slots())
    }

    /// The next step: a message to read, a chunk of decryption, or the end.
    pub fn poll(&mut self) -> Result<UserStep, ProtocolError> {
        if let Some(w) = self.wanted {
            return Ok(UserStep::Recv(w.expect(self.user_sk.public_key())));
        }
        if !self.pending.is_empty() {
            return self.decrypt_chunk();
        }
        let li = self.layers.len();
        if li < self.shapes.len() {
            self.wanted = Some(Wanted::Layer(self.packed_count(li)));
            return self.poll();
        }
        let (Some(binding), Some(cloud_pk)) = (self.binding, self.cloud_pk.clone()) else {
            return Err(ProtocolError::Interface("setup ended early".into()));
        };
        Ok(UserStep::Done(Box::new(ModelShare {
            ring: self.ring,
            binding,
            layers: std::mem::take(&mut self.layers),
            key: ShareKey::CloudPublic(cloud_pk),
            rlwe_use: Default::default(),
        })))
    }

    /// Reads the message [`UserSetup::poll`] asked for from its bytes (without a length
    /// prefix).
    pub fn decode(&self, bytes: &[u8]) -> Result<SetupMsg, ProtocolError> {
        let w = self
            .wanted
            .ok_or_else(|| ProtocolError::Interface("no setup message is expected".into()))?;
        w.decode(self.user_sk.public_key(), bytes)
    }

    /// Takes the message [`UserSetup::poll`] asked for, checked against what the user expects.
    pub fn receive(&mut self, msg: SetupMsg) -> Result<(), ProtocolError> {
        let pk = self.user_sk.public_key();
        let phase = msg.phase();
        let expected = self.shapes.len();
        match (self.wanted, msg) {
            (Some(Wanted::Header), SetupMsg::Header(h)) => {
                expect_words(
                    phase,
                    &["magic", "version", "ring bits", "user key fingerprint"],
                    &[MAGIC, VERSION, u64::from(self.ring.k), fingerprint_word(pk)],
                    &[h.magic, h.version, h.ring_bits, h.user_key],
                )?;
                check_session(phase, &self.session, &h.session)?;
                if h.layers > MAX_LAYERS || h.layers != expected as u64 {
                    let what = format!("{} layers, expected {expected}", h.layers);
                    return Err(protocol(phase, what));
                }
                self.wanted = Some(Wanted::Shapes(expected));
            }
            (Some(Wanted::Shapes(_)), SetupMsg::Shapes(dims)) if dims.len() == expected => {
                for (li, (&(d0, d1), &(i, o))) in dims.iter().zip(self.shapes).enumerate() {
                    if d0 > MAX_SIDE || d1 > MAX_SIDE || (d0, d1) != (i as u64, o as u64) {
                        let what = format!("layer {li} is {d0}→{d1}, expected {i}→{o}");
                        return Err(protocol(phase, what));
                    }
                }
                self.wanted = Some(Wanted::CloudKey(MAX_KEY_BYTES));
            }
            (Some(Wanted::CloudKey(_)), SetupMsg::CloudKey(k)) => {
                self.cloud_pk = Some(k);
                self.wanted = Some(Wanted::Binding);
            }
            (
                Some(Wanted::Binding),
                SetupMsg::Binding {
                    pair_id,
                    model_hash,
                },
            ) => {
                self.binding = Some(ShareBinding {
                    pair_id,
                    model_hash,
                    user_key: pk.fingerprint(),
                });
                self.wanted = None;
            }
            (Some(Wanted::Layer(count)), SetupMsg::Layer(cts)) if cts.len() == count => {
                self.pending = cts;
                self.wanted = None;
            }
            (wanted, msg) => {
                let what = match wanted {
                    Some(w) => format!("{} while waiting for the {}", msg.name(), w.name()),
                    None => format!("{} while no message is expected", msg.name()),
                };
                return Err(protocol(phase, what));
            }
        }
        Ok(())
    }

    /// Decrypts the next chunk of the current layer (the whole layer's values once done).
    fn decrypt_chunk(&mut self) -> Result<UserStep, ProtocolError> {
        let li = self.layers.len();
        let (inputs, outputs) = self.shapes[li];
        let count = inputs * outputs + outputs;
        let slots = self.layout.slots();
        let (sk, ring, layout) = (self.user_sk, self.ring, &self.layout);
        let done = self.values.len().div_ceil(slots);
        let end = (done + DECRYPT_CHUNK).min(self.pending.len());
        let chunk: Vec<Vec<u64>> = self.pending[done..end]
            .par_iter()
            .enumerate()
            .map(|(g, c)| {
                let n = slots.min(count - (done + g) * slots);
                let slots = layout.unpack(&sk.decrypt(c)?, n)?;
                Ok(slots
                    .iter()
                    .map(|s| s.iter_u64_digits().next().unwrap_or(0) & ring.mask())
                    .collect())
            })
            .collect::<Result<_, paillier::PaillierError>>()
            .map_err(he("setup decryption"))?;
        let mut chunk = chunk;
        let n: usize = chunk.iter().map(Vec::len).sum();
        self.values.extend(chunk.iter().flatten());
        chunk.iter_mut().for_each(|v| v.zeroize());
        if end == self.pending.len() {
            self.pending.clear();
            self.layers.push(split_layer(inputs, outputs, &self.values));
            self.values.zeroize();
        }
        Ok(UserStep::Decrypted(n as u64))
    }
}

#[cfg(test)]
#[path = "setup_tests.rs"]
mod tests;

//! The reference protocol as a pure per-step core: its messages as types, one enum per
//! direction, and each party's arithmetic as steps of a small state machine. No I/O and no
//! timing: the runners ([`super::cloud::run_chunk`], [`super::user::run_chunk`]) move the
//! messages, precompute the `r^N` values each step consumes, run the activation bridge
//! between layers and record the timeline.
//!
//! One chunk, per layer (module docs of [`super`]):
//! ```text
//! user  UserCore::encrypt_patches      ──UserMsg::Patches──▶   CloudCore::on_patches
//! cloud CloudCore::blind               ──CloudMsg::Blinded──▶  UserCore::decrypt
//! user  UserCore::multiply             ──UserMsg::Products──▶  CloudCore::unblind
//!       hidden layer: activation bridge on CloudStep::Activate, CloudCore::on_activations
//! cloud CloudCore::outputs (last layer) ──CloudMsg::Outputs──▶ UserCore::outputs
//! ```

use super::{activation_bits, check_header, check_key_fits, check_model, draw_mask};
use crate::error::{ProtocolError, he};
use crate::upload::{EncryptedModel, ModelHeader};
use paillier::{BigInt, BigUint, Ciphertext, PublicKey, Randomness, SecretKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

/// user → cloud.
#[derive(Debug, Clone, PartialEq)]
pub enum UserMsg {
    /// `Enc(p)` of every input value of every patch, patch-major.
    Patches(Vec<Ciphertext>),
    /// Fresh `Enc(s_bi)` of one layer, patch-major.
    Products(Vec<Ciphertext>),
}

/// cloud → user.
#[derive(Debug, Clone, PartialEq)]
pub enum CloudMsg {
    /// Re-randomised `Enc(a_bj + r2_bj)` then `Enc(W_ij + r1_bij)` per patch.
    Blinded(Vec<Ciphertext>),
    /// Re-randomised `Enc(q)` of the output layer, patch-major.
    Outputs(Vec<Ciphertext>),
}

/// The kind of a message: both directions carry runs of ciphertexts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// [`UserMsg::Patches`].
    Patches,
    /// [`UserMsg::Products`].
    Products,
    /// [`CloudMsg::Blinded`].
    Blinded,
    /// [`CloudMsg::Outputs`].
    Outputs,
}

impl Kind {
    /// The message's phase name (errors, wire).
    pub fn phase(self) -> &'static str {
        match self {
            Kind::Patches => "encrypted patches",
            Kind::Products => "encrypted products",
            Kind::Blinded => "blinded factors",
            Kind::Outputs => "encrypted outputs",
        }
    }

    /// What one of its ciphertexts is (in "expected n …").
    fn noun(self) -> &'static str {
        match self {
            Kind::Patches => "patch values",
            Kind::Products => "products",
            Kind::Blinded => "blinded factors",
            Kind::Outputs => "outputs",
        }
    }

    /// What one of its ciphertexts is (in "got n …").
    fn long_noun(self) -> &'static str {
        match self {
            Kind::Patches => "encrypted patch values",
            Kind::Products => "encrypted products",
            Kind::Blinded => "blinded factors",
            Kind::Outputs => "encrypted outputs",
        }
    }
}

/// What both message enums share: a kind and its run of ciphertexts.
pub trait Message {
    /// The message's kind.
    fn kind(&self) -> Kind;
    /// Its ciphertexts.
    fn ciphertexts(&self) -> &[Ciphertext];
    /// Its ciphertexts, taken.
    fn into_ciphertexts(self) -> Vec<Ciphertext>;

    /// The message's kind and size, for errors.
    fn describe(&self) -> String {
        format!("{} {}", self.ciphertexts().len(), self.kind().long_noun())
    }
}

/// Both message enums are a kind per variant and a run of ciphertexts: one implementation.
macro_rules! message {
    ($msg:ident { $($variant:ident),* $(,)? }) => {
        impl Message for $msg {
            fn kind(&self) -> Kind {
                match self {
                    $($msg::$variant(_) => Kind::$variant),*
                }
            }

            fn ciphertexts(&self) -> &[Ciphertext] {
                match self {
                    $($msg::$variant(c))|* => c,
                }
            }

            fn into_ciphertexts(self) -> Vec<Ciphertext> {
                match self {
                    $($msg::$variant(c))|* => c,
                }
            }
        }
    };
}

message!(UserMsg { Patches, Products });
message!(CloudMsg { Blinded, Outputs });

/// The ciphertexts of `msg` when it is a `want` of `count` ciphertexts; else an error in
/// `want`'s phase naming what came.
fn expect<M: Message>(msg: M, want: Kind, count: usize) -> Result<Vec<Ciphertext>, ProtocolError> {
    if msg.kind() == want && msg.ciphertexts().len() == count {
        return Ok(msg.into_ciphertexts());
    }
    Err(unexpected(
        want.phase(),
        format!("expected {count} {}, got {}", want.noun(), msg.describe()),
    ))
}

/// What the cloud does after unblinding a layer.
#[derive(Debug, Clone, PartialEq)]
pub enum CloudStep {
    /// A hidden layer: run the activation bridge on these `Enc(z)` (patch-major), then
    /// [`CloudCore::on_activations`].
    Activate(Vec<Ciphertext>),
    /// The output layer: re-randomise these `Enc(q)` and send them ([`CloudCore::outputs`]).
    Output(Vec<Ciphertext>),
}

/// A message of the wrong kind or length for the step.
fn unexpected(phase: &'static str, what: String) -> ProtocolError {
    ProtocolError::protocol(phase, what)
}

/// Masks of one patch for one layer: `r2_j` per input, `r1_ij` per weight.
#[derive(Debug)]
struct PatchMasks {
    r2: Vec<u128>,
    r1: Vec<u128>,
}

/// The cloud's state over one chunk: the current layer's `Enc(a)` per patch and the masks of
/// the layer in progress. It only ever holds the user's public key.
#[derive(Debug)]
pub struct CloudCore<'a> {
    pk: &'a PublicKey,
    model: &'a EncryptedModel,
    count: usize,
    a_bits: u32,
    w_bits: u32,
    layer: usize,
    acts: Vec<Vec<Ciphertext>>,
    masks: Vec<PatchMasks>,
}

impl<'a> CloudCore<'a> {
    /// A chunk of `count` patches of `model`, under `pk` (which must be the model's key).
    pub fn new(
        pk: &'a PublicKey,
        model: &'a EncryptedModel,
        count: usize,
    ) -> Result<Self, ProtocolError> {
        if *pk != model.header.public_key {
            return Err(ProtocolError::Model(
                "the key does not match the model's".into(),
            ));
        }
        check_model(model)?;
        let a_bits = activation_bits(&model.header.fixed);
        let w_bits = model.header.weight_bits;
        check_key_fits(w_bits.max(a_bits), pk.bits())?;
        Ok(Self {
            pk,
            model,
            count,
            a_bits,
            w_bits,
            layer: 0,
            acts: Vec::new(),
            masks: Vec::new(),
        })
    }

    /// Ciphertexts of the user's [`UserMsg::Patches`].
    pub fn patch_values(&self) -> usize {
        self.count * self.model.header.widths[0] as usize
    }

    /// Takes the user's encrypted patches.
    pub fn on_patches(&mut self, msg: UserMsg) -> Result<(), ProtocolError> {
        let cts = expect(msg, Kind::Patches, self.patch_values())?;
        let n0 = self.model.header.widths[0] as usize;
        self.acts = cts.chunks(n0).map(<[Ciphertext]>::to_vec).collect();
        self.layer = 0;
        Ok(())
    }

    /// The layer in progress (0-based).
    pub fn layer(&self) -> usize {
        self.layer
    }

    /// Ciphertexts of this layer's [`CloudMsg::Blinded`] (and `r^N` values [`Self::blind`]
    /// needs).
    pub fn blinded_count(&self) -> usize {
        let l = &self.model.layers[self.layer];
        self.count * (l.inputs + l.inputs * l.outputs)
    }

    /// Draws this layer's fresh masks from the OS-seeded CSPRNG: every weight is masked once
    /// per patch, so they are sized for the counted uses ([`super::draw_mask`]).
    pub fn draw_masks(&mut self) -> Result<(), ProtocolError> {
        let l = &self.model.layers[self.layer];
        let (n_in, n_out, a_bits, w_bits) = (l.inputs, l.outputs, self.a_bits, self.w_bits);
        self.masks = (0..self.count)
            .into_par_iter()
            .map(|_| {
                let mut rng = ChaCha20Rng::from_rng(&mut rand::rng());
                Ok(PatchMasks {
                    r2: (0..n_in)
                        .map(|_| draw_mask(a_bits, &mut rng))
                        .collect::<Result<_, _>>()?,
                    r1: (0..n_in * n_out)
                        .map(|_| draw_mask(w_bits, &mut rng))
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<_, ProtocolError>>()?;
        Ok(())
    }

    /// Blinds this layer's inputs and weights with the drawn masks and re-randomises them
    /// with `rands` ([`Self::blinded_count`] values).
    pub fn blind(&self, rands: &[Randomness]) -> Result<CloudMsg, ProtocolError> {
        let l = &self.model.layers[self.layer];
        let n_in = l.inputs;
        let per_patch = n_in + n_in * l.outputs;
        if rands.len() != self.blinded_count() || self.masks.len() != self.count {
            return Err(ProtocolError::Interface(
                "blinding needs the layer's masks and one r^N per blinded value".into(),
            ));
        }
        let (pk, masks, acts) = (self.pk, &self.masks, &self.acts);
        let cts = rands
            .par_iter()
            .enumerate()
            .map(|(k, rn)| {
                let (b, t) = (k / per_patch, k % per_patch);
                let (c, m) = if t < n_in {
                    (&acts[b][t], masks[b].r2[t])
                } else {
                    (&l.weights[t - n_in], masks[b].r1[t - n_in])
                };
                let masked = pk.add_plain(c, &BigUint::from(m)).map_err(he("blinding"))?;
                Ok(pk.rerandomize(&masked, rn))
            })
            .collect::<Result<Vec<_>, ProtocolError>>()?;
        Ok(CloudMsg::Blinded(cts))
    }

    /// Ciphertexts of the user's [`UserMsg::Products`] for this layer.
    pub fn products_count(&self) -> usize {
        self.count * self.model.layers[self.layer].outputs
    }

    /// `Enc(z_bi) = Enc(s_bi) · Enc(Σ_j r1·a + W·r2 + r1·r2)^(−1) · Enc(b_i)` by
    /// multi-exponentiation; says whether the activation bridge or the output follows.
    pub fn unblind(&mut self, msg: UserMsg) -> Result<CloudStep, ProtocolError> {
        let sums = expect(msg, Kind::Products, self.products_count())?;
        let l = &self.model.layers[self.layer];
        let (n_in, n_out) = (l.inputs, l.outputs);
        let (pk, masks, acts) = (self.pk, &self.masks, &self.acts);
        let z = sums
            .par_iter()
            .enumerate()
            .map(|(k, s)| {
                let (b, i) = (k / n_out, k % n_out);
                let r1 = &masks[b].r1[i * n_in..(i + 1) * n_in];
                let r1_big: Vec<BigInt> = r1.iter().map(|&m| BigInt::from(m)).collect();
                let r2: Vec<BigInt> = masks[b].r2.iter().map(|&m| BigInt::from(m)).collect();
                let row = &l.weights[i * n_in..(i + 1) * n_in];
                let cross_a =
                    paillier::inner_product(pk, &acts[b], &r1_big).map_err(he("unblinding"))?;
                let cross_w = paillier::inner_product(pk, row, &r2).map_err(he("unblinding"))?;
                let rr: BigUint = r1
                    .iter()
                    .zip(&masks[b].r2)
                    .map(|(&x, &y)| BigUint::from(x) * BigUint::from(y))
                    .sum::<BigUint>()
                    % pk.n();
                let cross = pk
                    .add_plain(&pk.add(&cross_a, &cross_w), &rr)
                    .map_err(he("unblinding"))?;
                Ok(pk.add(&pk.sub(s, &cross), &l.bias[i]))
            })
            .collect::<Result<Vec<_>, ProtocolError>>()?;
        self.masks.clear();
        Ok(if self.layer + 1 == self.model.layers.len() {
            CloudStep::Output(z)
        } else {
            CloudStep::Activate(z)
        })
    }

    /// Takes the bridge's `Enc(f(z))` (patch-major) as the next layer's inputs.
    pub fn on_activations(&mut self, cts: Vec<Ciphertext>) -> Result<(), ProtocolError> {
        let width = self.model.layers[self.layer].outputs;
        if cts.len() != self.count * width {
            return Err(unexpected(
                "activation bridge",
                format!(
                    "{} activations for {} patches of {width}",
                    cts.len(),
                    self.count
                ),
            ));
        }
        self.acts = cts.chunks(width).map(<[Ciphertext]>::to_vec).collect();
        self.layer += 1;
        Ok(())
    }

    /// The output message: the last layer's `Enc(q)` re-randomised with `rands` (one each).
    pub fn outputs(&self, q: &[Ciphertext], rands: &[Randomness]) -> CloudMsg {
        CloudMsg::Outputs(
            q.par_iter()
                .zip(rands.par_iter())
                .map(|(c, r)| self.pk.rerandomize(c, r))
                .collect(),
        )
    }
}

/// The user's state over one chunk: the key, the model's public header and the layer in
/// progress.
#[derive(Debug)]
pub struct UserCore<'a> {
    sk: &'a SecretKey,
    header: &'a ModelHeader,
    count: usize,
    layer: usize,
    plain: Vec<BigUint>,
}

impl<'a> UserCore<'a> {
    /// A chunk of `count` patches of the model described by `header`.
    pub fn new(
        sk: &'a SecretKey,
        header: &'a ModelHeader,
        count: usize,
    ) -> Result<Self, ProtocolError> {
        check_header(header)?;
        Ok(Self {
            sk,
            header,
            count,
            layer: 0,
            plain: Vec::new(),
        })
    }

    /// `Enc(p)` of every value of every patch (`Fa` fractional bits), with `rands` (one per
    /// value).
    pub fn encrypt_patches(
        &self,
        patches: &[Vec<i64>],
        rands: &[Randomness],
    ) -> Result<UserMsg, ProtocolError> {
        let n0 = self.header.widths[0] as usize;
        if let Some(p) = patches.iter().find(|p| p.len() != n0) {
            return Err(ProtocolError::Model(format!(
                "a patch has {} values, the model takes {n0}",
                p.len()
            )));
        }
        let flat: Vec<i64> = patches.iter().flatten().copied().collect();
        if patches.len() != self.count || rands.len() != flat.len() {
            return Err(ProtocolError::Interface(format!(
                "{} patches and {} r^N values for a chunk of {}",
                patches.len(),
                rands.len(),
                self.count
            )));
        }
        let pk = self.sk.public_key();
        let cts = flat
            .par_iter()
            .zip(rands.par_iter())
            .map(|(&v, rn)| {
                pk.encrypt_signed_with(&BigInt::from(v), rn)
                    .map_err(he("encrypting patches"))
            })
            .collect::<Result<Vec<_>, ProtocolError>>()?;
        Ok(UserMsg::Patches(cts))
    }

    /// Layers of the model.
    pub fn layers(&self) -> usize {
        self.header.layers()
    }

    /// (inputs, outputs) of the layer in progress.
    fn shape(&self) -> (usize, usize) {
        let w = &self.header.widths;
        (w[self.layer] as usize, w[self.layer + 1] as usize)
    }

    /// Ciphertexts of this layer's [`CloudMsg::Blinded`].
    pub fn blinded_count(&self) -> usize {
        let (n_in, n_out) = self.shape();
        self.count * (n_in + n_in * n_out)
    }

    /// Decrypts the blinded factors of this layer.
    pub fn decrypt(&mut self, msg: CloudMsg) -> Result<(), ProtocolError> {
        let cts = expect(msg, Kind::Blinded, self.blinded_count())?;
        let sk = self.sk;
        self.plain = cts
            .par_iter()
            .map(|c| sk.decrypt(c).map_err(he("decrypting blinded factors")))
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    /// `r^N` values [`Self::multiply`] needs: one per product.
    pub fn products_count(&self) -> usize {
        self.count * self.shape().1
    }

    /// Fresh `Enc(s_bi)`, `s_bi = Σ_j (W_ij + r1_bij)(a_bj + r2_bj) mod N`, with `rands`;
    /// moves on to the next layer.
    pub fn multiply(&mut self, rands: &[Randomness]) -> Result<UserMsg, ProtocolError> {
        let (n_in, n_out) = self.shape();
        if rands.len() != self.products_count() || self.plain.len() != self.blinded_count() {
            return Err(ProtocolError::Interface(
                "multiplying needs the decrypted factors and one r^N per product".into(),
            ));
        }
        let pk = self.sk.public_key();
        let per_patch = n_in + n_in * n_out;
        let plain = &self.plain;
        let cts = rands
            .par_iter()
            .enumerate()
            .map(|(k, rn)| {
                let (b, i) = (k / n_out, k % n_out);
                let (a, w) = plain[b * per_patch..(b + 1) * per_patch].split_at(n_in);
                let s: BigUint = w[i * n_in..(i + 1) * n_in]
                    .iter()
                    .zip(a)
                    .map(|(x, y)| x * y)
                    .sum::<BigUint>()
                    % pk.n();
                pk.encrypt_with(&s, rn).map_err(he("encrypting products"))
            })
            .collect::<Result<Vec<_>, ProtocolError>>()?;
        self.plain.clear();
        self.layer += 1;
        Ok(UserMsg::Products(cts))
    }

    /// Whether the activation bridge runs before the next layer (after [`Self::multiply`]).
    pub fn activation_follows(&self) -> bool {
        self.layer < self.layers()
    }

    /// Ciphertexts of the cloud's [`CloudMsg::Outputs`].
    pub fn output_count(&self) -> usize {
        self.count * self.header.widths[self.layers()] as usize
    }

    /// Decrypts the raw outputs `q` per patch, each checked against the model's bound.
    pub fn outputs(&self, msg: CloudMsg) -> Result<Vec<Vec<i64>>, ProtocolError> {
        let cts = expect(msg, Kind::Outputs, self.output_count())?;
        let (sk, z_bits) = (self.sk, self.header.z_bits);
        let bound = 1i128 << z_bits;
        let q = cts
            .par_iter()
            .map(|c| {
                let v = sk.decrypt_signed(c).map_err(he("decrypting outputs"))?;
                i128::try_from(&v)
                    .ok()
                    .filter(|v| v.abs() < bound)
                    .map(|v| v as i64)
                    .ok_or_else(|| {
                        unexpected(
                            "encrypted outputs",
                            format!("an output exceeds the model's bound 2^{z_bits}"),
                        )
                    })
            })
            .collect::<Result<Vec<i64>, ProtocolError>>()?;
        let n_last = self.header.widths[self.layers()] as usize;
        Ok(q.chunks(n_last).map(<[i64]>::to_vec).collect())
    }
}

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;

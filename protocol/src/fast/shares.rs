//! What each party keeps after the setup: the ring shares of the re-shared model, with a
//! versioned, checksummed byte format so later images skip the setup ([`super::store`]).
//! The owner's upload itself is [`crate::upload::EncryptedModel`], shared by both protocols.
//!
//! Byte format of a [`ModelShare`]: the [`bytes`] envelope ([`SHARE_FILE`]: magic
//! `"GCCNN-MS"`, version, length, SHA-256) around a little-endian body
//! `role u8 (1 user, 2 cloud) | k u32 | pair id [32] | model hash [32] |
//!  user key fingerprint [8] | RLWE images u64 | RLWE returned coefficients u64 | layers u32 |
//!  per layer: inputs u32, outputs u32, weights u64 × (inputs·outputs), biases u64 × outputs |
//!  key length u64 | key bytes` — the key is the cloud's public key in a user share and the
//! cloud's secret key in a cloud share (so a cloud share file is secret). Every declared size
//! is checked against [`MAX_LAYERS`], [`MAX_SIDE`], [`MAX_KEY_BYTES`] and the bytes actually
//! present before anything is allocated. Version 3 added the RLWE use counter
//! ([`RlweUse`]); a version-2 file is refused as written by an older gcc-nn (the next job
//! re-shares).

use super::ring::Ring;
use crate::error::BridgeError;
use bytes::{DecodeError, Format, Put};
use paillier::{PublicKey, SecretKey};
use std::sync::Arc;
use zeroize::{Zeroize, Zeroizing};

/// Version of the share file format.
pub const SHARE_FILE_VERSION: u32 = 3;
/// The share file envelope.
pub const SHARE_FILE: Format = Format {
    what: "model share file",
    magic: *b"GCCNN-MS",
    version: SHARE_FILE_VERSION,
    max_body: 1 << 36,
    remedy: "delete it: the next job re-shares the model and stores a new one",
    legacy_prefixes: &[],
};
/// Limits of a share file ([`crate::wire`]): layers, layer side, key bytes.
pub use crate::wire::{
    MAX_SHARE_KEY_BYTES as MAX_KEY_BYTES, MAX_SHARE_LAYERS as MAX_LAYERS,
    MAX_SHARE_SIDE as MAX_SIDE,
};

/// What ties a share to its partner: both parties' shares of one setup carry the same
/// binding, and both check it before every image ([`super::party`]'s image header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShareBinding {
    /// Random identity of the share pair, drawn by the cloud at setup.
    pub pair_id: [u8; 32],
    /// [`crate::upload::EncryptedModel::model_hash`] of the re-shared model.
    pub model_hash: [u8; 32],
    /// Fingerprint of the user's public key.
    pub user_key: [u8; 8],
}

impl ShareBinding {
    /// The first 8 bytes of the pair id as a word (sent in image headers).
    pub fn pair_word(&self) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&self.pair_id[..8]);
        u64::from_le_bytes(w)
    }

    /// The pair id's first 8 bytes in hex (log lines).
    pub fn short_id(&self) -> String {
        self.pair_id[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// One party's ring shares of one layer: the user's `W_U`, `b_U` or the cloud's α, β
/// (secret: wiped from memory when dropped).
#[derive(Clone, PartialEq, Eq)]
pub struct LayerShare {
    /// Number of inputs.
    pub inputs: usize,
    /// Number of outputs.
    pub outputs: usize,
    /// Weight shares, row-major `[outputs][inputs]`, in `[0, 2^k)`.
    pub weights: Vec<u64>,
    /// Bias shares, in `[0, 2^k)`.
    pub bias: Vec<u64>,
}

impl Drop for LayerShare {
    fn drop(&mut self) {
        self.weights.zeroize();
        self.bias.zeroize();
    }
}

impl std::fmt::Debug for LayerShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LayerShare({}→{}, ..)", self.inputs, self.outputs)
    }
}

/// How much of the RLWE engine's flooding budget a share pair has spent: the images run on it
/// with `--protocol fast-rlwe` and the coefficients returned to each key holder
/// ([`super::store::RLWE_BUDGET`]). Both parties persist it with their share and count an
/// image before it runs; a fresh share pair starts at zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RlweUse {
    /// Images run with the RLWE engine on this pair.
    pub images: u64,
    /// Coefficients returned to each key holder over those images.
    pub coefficients: u64,
}

/// The key stored with a share.
#[derive(Clone, Debug)]
pub enum ShareKey {
    /// The user keeps the cloud's public key (cross product 2 encrypts under it).
    CloudPublic(PublicKey),
    /// The cloud keeps its own secret key.
    CloudSecret(Arc<SecretKey>),
}

/// A party's share of the re-shared model (docs/protocol.md §3, "Setup").
#[derive(Clone, Debug)]
pub struct ModelShare {
    /// The ring.
    pub ring: Ring,
    /// Which setup this share came from (identical in the partner's share).
    pub binding: ShareBinding,
    /// Layers, first to last.
    pub layers: Vec<LayerShare>,
    /// The cloud's key (public at the user, secret at the cloud).
    pub key: ShareKey,
    /// The RLWE flooding budget spent on this pair so far.
    pub rlwe_use: RlweUse,
}

fn bad(what: impl Into<String>) -> BridgeError {
    BridgeError::Protocol {
        phase: "model share file",
        what: what.into(),
    }
}

fn decode(e: DecodeError) -> BridgeError {
    bad(format!("{} at byte {}: {}", e.field, e.offset, e.reason))
}

impl ModelShare {
    /// `(inputs, outputs)` per layer.
    pub fn shapes(&self) -> Vec<(usize, usize)> {
        self.layers.iter().map(|l| (l.inputs, l.outputs)).collect()
    }

    /// The versioned byte form (see the module docs; a cloud share contains its secret key;
    /// wiped from memory when dropped).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let (role, key) = match &self.key {
            ShareKey::CloudPublic(pk) => (1u8, Zeroizing::new(pk.to_bytes())),
            ShareKey::CloudSecret(sk) => (2u8, sk.to_bytes()),
        };
        let values: usize = self
            .layers
            .iter()
            .map(|l| l.weights.len() + l.bias.len())
            .sum();
        let mut w = SHARE_FILE.writer(128 + 8 * self.layers.len() + 8 * values + key.len());
        w.put_u8(role);
        w.put_u32(self.ring.k);
        w.put(&self.binding.pair_id);
        w.put(&self.binding.model_hash);
        w.put(&self.binding.user_key);
        w.put_u64(self.rlwe_use.images);
        w.put_u64(self.rlwe_use.coefficients);
        w.put_u32(self.layers.len() as u32);
        for l in &self.layers {
            w.put_u32(l.inputs as u32);
            w.put_u32(l.outputs as u32);
            for v in l.weights.iter().chain(&l.bias) {
                w.put_u64(*v);
            }
        }
        w.put_bytes64(&key);
        Zeroizing::new(w.finish())
    }

    /// Parses [`ModelShare::to_bytes`], checking the envelope (magic, version, length,
    /// checksum), every declared size (against the limits and the bytes present) and every
    /// share's range.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BridgeError> {
        let mut r = SHARE_FILE.open(bytes).map_err(decode)?;
        let role = r.u8("role").map_err(decode)?;
        let ring = Ring::new(r.u32("ring bits").map_err(decode)?)
            .map_err(crate::error::he("model share file"))?;
        let binding = ShareBinding {
            pair_id: r.array("pair id").map_err(decode)?,
            model_hash: r.array("model hash").map_err(decode)?,
            user_key: r.array("user key fingerprint").map_err(decode)?,
        };
        let rlwe_use = RlweUse {
            images: r.u64("RLWE images").map_err(decode)?,
            coefficients: r.u64("RLWE coefficients").map_err(decode)?,
        };
        let at = r.offset();
        let n_layers = r.u32("layer count").map_err(decode)? as usize;
        if n_layers == 0 {
            return Err(decode(r.error_at("layer count", at, "0 layers")));
        }
        r.check_count("layer count", at, n_layers as u64, MAX_LAYERS as u64, 8)
            .map_err(decode)?;
        let mut layers = Vec::with_capacity(n_layers);
        for li in 0..n_layers {
            let at = r.offset();
            let (inputs, outputs) = (
                r.u32("layer inputs").map_err(decode)? as usize,
                r.u32("layer outputs").map_err(decode)? as usize,
            );
            if !(1..=MAX_SIDE).contains(&inputs) || !(1..=MAX_SIDE).contains(&outputs) {
                return Err(bad(format!(
                    "layer {li} at byte {at}: {inputs}→{outputs} outside 1..={MAX_SIDE}"
                )));
            }
            // Both ≤ 2^16: no overflow; the count is checked against the bytes present
            // before the vectors are allocated.
            let count = inputs * outputs;
            r.check_count("layer shares", at, (count + outputs) as u64, u64::MAX, 8)
                .map_err(decode)?;
            // Wiped on drop, also when the range check below refuses it.
            let layer = LayerShare {
                inputs,
                outputs,
                weights: r.u64s("layer weights", count).map_err(decode)?,
                bias: r.u64s("layer biases", outputs).map_err(decode)?,
            };
            if layer
                .weights
                .iter()
                .chain(&layer.bias)
                .any(|&v| v > ring.mask())
            {
                return Err(bad(format!("layer {li}: a share exceeds 2^{}", ring.k)));
            }
            layers.push(layer);
        }
        let key_bytes = r.bytes64("key", MAX_KEY_BYTES as u64).map_err(decode)?;
        let key = match role {
            1 => ShareKey::CloudPublic(
                PublicKey::from_bytes(key_bytes).map_err(crate::error::he("model share key"))?,
            ),
            2 => ShareKey::CloudSecret(Arc::new(
                SecretKey::from_bytes(key_bytes).map_err(crate::error::he("model share key"))?,
            )),
            other => return Err(bad(format!("unknown role {other}"))),
        };
        r.finish().map_err(decode)?;
        Ok(Self {
            ring,
            binding,
            layers,
            key,
            rlwe_use,
        })
    }
}

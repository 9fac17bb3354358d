//! What each party keeps after the setup: the ring shares of the re-shared model, with a
//! versioned, checksummed byte format so later images skip the setup ([`super::store`]).
//! The owner's upload itself is [`crate::upload::EncryptedModel`], shared by both protocols.
//!
//! Byte format of a [`ModelShare`] (little-endian):
//! `"GCCNN-MS" | version u32 | role u8 (1 user, 2 cloud) | k u32 | pair id [32] |
//!  model hash [32] | user key fingerprint [8] | layers u32 |
//!  per layer: inputs u32, outputs u32, weights u64 × (inputs·outputs), biases u64 × outputs |
//!  key length u64 | key bytes | SHA-256 of everything before` — the key is the cloud's
//! public key in a user share and the cloud's secret key in a cloud share (so a cloud share
//! file is secret). Every declared size is checked against [`MAX_LAYERS`], [`MAX_SIDE`],
//! [`MAX_KEY_BYTES`] and the bytes actually present before anything is allocated.

use super::ring::Ring;
use crate::error::BridgeError;
use paillier::{PublicKey, SecretKey};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use zeroize::{Zeroize, Zeroizing};

const MAGIC: &[u8; 8] = b"GCCNN-MS";
/// Version of the share file format.
pub const SHARE_FILE_VERSION: u32 = 2;
/// Most layers a share file may declare.
pub const MAX_LAYERS: usize = 64;
/// Largest layer side (inputs or outputs) a share file may declare.
pub const MAX_SIDE: usize = 1 << 16;
/// Largest key a share file may carry.
pub const MAX_KEY_BYTES: usize = 1 << 16;

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
}

fn bad(what: impl Into<String>) -> BridgeError {
    BridgeError::Protocol {
        phase: "model share file",
        what: what.into(),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BridgeError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| bad(format!("truncated at byte {}", self.at)))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], BridgeError> {
        let mut b = [0u8; N];
        b.copy_from_slice(self.take(N)?);
        Ok(b)
    }
    fn u32(&mut self) -> Result<u32, BridgeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, BridgeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}

impl ModelShare {
    /// `(inputs, outputs)` per layer.
    pub fn shapes(&self) -> Vec<(usize, usize)> {
        self.layers.iter().map(|l| (l.inputs, l.outputs)).collect()
    }

    /// The versioned byte form (see the module docs; a cloud share contains its secret key;
    /// wiped from memory when dropped).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::new());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&SHARE_FILE_VERSION.to_le_bytes());
        let (role, key) = match &self.key {
            ShareKey::CloudPublic(pk) => (1u8, Zeroizing::new(pk.to_bytes())),
            ShareKey::CloudSecret(sk) => (2u8, sk.to_bytes()),
        };
        out.push(role);
        out.extend_from_slice(&self.ring.k.to_le_bytes());
        out.extend_from_slice(&self.binding.pair_id);
        out.extend_from_slice(&self.binding.model_hash);
        out.extend_from_slice(&self.binding.user_key);
        out.extend_from_slice(&(self.layers.len() as u32).to_le_bytes());
        for l in &self.layers {
            out.extend_from_slice(&(l.inputs as u32).to_le_bytes());
            out.extend_from_slice(&(l.outputs as u32).to_le_bytes());
            for w in l.weights.iter().chain(&l.bias) {
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        out.extend_from_slice(&(key.len() as u64).to_le_bytes());
        out.extend_from_slice(&key);
        let digest = Sha256::digest(out.as_slice());
        out.extend_from_slice(&digest);
        out
    }

    /// Parses [`ModelShare::to_bytes`], checking magic, version, checksum, every declared
    /// size (against the limits and the bytes present) and every share's range.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BridgeError> {
        if bytes.len() < 8 + 4 + 32 || &bytes[..8] != MAGIC {
            return Err(bad("not a gcc-nn model share file"));
        }
        let (body, digest) = bytes.split_at(bytes.len() - 32);
        let mut r = Reader { bytes: body, at: 8 };
        let version = r.u32()?;
        if version != SHARE_FILE_VERSION {
            return Err(bad(format!(
                "file format version {version}, this build reads {SHARE_FILE_VERSION}"
            )));
        }
        if Sha256::digest(body).as_slice() != digest {
            return Err(bad("checksum mismatch: the file is corrupt or truncated"));
        }
        let role = r.array::<1>()?[0];
        let ring = Ring::new(r.u32()?).map_err(crate::error::he("model share file"))?;
        let binding = ShareBinding {
            pair_id: r.array()?,
            model_hash: r.array()?,
            user_key: r.array()?,
        };
        let n_layers = r.u32()? as usize;
        if !(1..=MAX_LAYERS).contains(&n_layers) {
            return Err(bad(format!("{n_layers} layers (1..={MAX_LAYERS})")));
        }
        let mut layers = Vec::with_capacity(n_layers);
        for li in 0..n_layers {
            let (inputs, outputs) = (r.u32()? as usize, r.u32()? as usize);
            if !(1..=MAX_SIDE).contains(&inputs) || !(1..=MAX_SIDE).contains(&outputs) {
                return Err(bad(format!(
                    "layer {li}: {inputs}→{outputs} outside 1..={MAX_SIDE}"
                )));
            }
            // Both ≤ 2^16: no overflow; the count is checked against the bytes present
            // before the vectors are allocated.
            let count = inputs * outputs;
            if (count + outputs) * 8 > r.left() {
                return Err(bad(format!(
                    "layer {li}: {inputs}×{outputs} shares but only {} bytes left",
                    r.left()
                )));
            }
            let mut read = |n: usize| -> Result<Vec<u64>, BridgeError> {
                (0..n)
                    .map(|_| {
                        let v = r.u64()?;
                        if v > ring.mask() {
                            return Err(bad(format!("layer {li}: a share exceeds 2^{}", ring.k)));
                        }
                        Ok(v)
                    })
                    .collect()
            };
            let weights = read(count)?;
            let bias = read(outputs)?;
            layers.push(LayerShare {
                inputs,
                outputs,
                weights,
                bias,
            });
        }
        let len = r.u64()?;
        if len > MAX_KEY_BYTES as u64 {
            return Err(bad(format!("key of {len} bytes exceeds {MAX_KEY_BYTES}")));
        }
        let key_bytes = r.take(len as usize)?;
        let key = match role {
            1 => ShareKey::CloudPublic(
                PublicKey::from_bytes(key_bytes).map_err(crate::error::he("model share key"))?,
            ),
            2 => ShareKey::CloudSecret(Arc::new(
                SecretKey::from_bytes(key_bytes).map_err(crate::error::he("model share key"))?,
            )),
            other => return Err(bad(format!("unknown role {other}"))),
        };
        if r.left() != 0 {
            return Err(bad(format!("{} trailing bytes", r.left())));
        }
        Ok(Self {
            ring,
            binding,
            layers,
            key,
        })
    }
}

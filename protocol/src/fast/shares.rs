//! What each party keeps: the owner's encrypted model (at the cloud) and the ring shares of
//! the re-shared model (both sides), with a versioned byte format so later images skip the
//! setup.
//!
//! Byte format of a [`ModelShare`] (little-endian):
//! `"GCCNN-MS" | version u32 | role u8 (1 user, 2 cloud) | k u32 | layers u32 |
//!  per layer: inputs u32, outputs u32, weights u64 × (inputs·outputs), biases u64 × outputs |
//!  key length u64 | key bytes` — the key is the cloud's public key in a user share and the
//! cloud's secret key in a cloud share (so a cloud share file is secret).

use super::fresh::FreshZeros;
use super::ring::Ring;
use crate::error::BridgeError;
use model::fixed::FixedMlp;
use paillier::{BigInt, Ciphertext, PublicKey, SecretKey};
use rand::CryptoRng;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use std::sync::Arc;

const MAGIC: &[u8; 8] = b"GCCNN-MS";
const VERSION: u32 = 1;

/// One layer of the model encrypted by its owner under the user's key.
#[derive(Clone, Debug)]
pub struct EncryptedLayer {
    /// Number of inputs.
    pub inputs: usize,
    /// Number of outputs.
    pub outputs: usize,
    /// `Enc_U(W_ij)`, row-major `[outputs][inputs]` (signed, mod N).
    pub weights: Vec<Ciphertext>,
    /// `Enc_U(b_i)` (scale `Fw + Fa`).
    pub bias: Vec<Ciphertext>,
}

/// The model as the cloud holds it after the owner's upload (PROTOCOL.md §1).
#[derive(Clone, Debug)]
pub struct EncryptedModel {
    /// Layers, first to last.
    pub layers: Vec<EncryptedLayer>,
}

impl EncryptedModel {
    /// The owner's upload: every weight and bias encrypted under the user's key (fresh
    /// short-exponent randomness, both cores).
    pub fn encrypt<R: CryptoRng + ?Sized>(
        user_pk: &PublicKey,
        model: &FixedMlp,
        rng: &mut R,
    ) -> Result<Self, BridgeError> {
        let zeros = FreshZeros::short_exponent(user_pk, rng);
        let enc = |values: &[i64], rng: &mut R| -> Result<Vec<Ciphertext>, BridgeError> {
            let seeds: Vec<u64> = values.iter().map(|_| rng.next_u64()).collect();
            values
                .par_iter()
                .zip(seeds)
                .map(|(&v, s)| {
                    let mut r = ChaCha20Rng::seed_from_u64(s);
                    let m = paillier::signed_to_residue(&BigInt::from(v), user_pk.n());
                    zeros
                        .encrypt(&m, &mut r)
                        .map_err(crate::error::he("model upload"))
                })
                .collect()
        };
        let mut layers = Vec::with_capacity(model.layers.len());
        for l in &model.layers {
            layers.push(EncryptedLayer {
                inputs: l.inputs,
                outputs: l.outputs,
                weights: enc(&l.weights, rng)?,
                bias: enc(&l.bias, rng)?,
            });
        }
        Ok(Self { layers })
    }

    /// `(inputs, outputs)` per layer.
    pub fn shapes(&self) -> Vec<(usize, usize)> {
        self.layers.iter().map(|l| (l.inputs, l.outputs)).collect()
    }
}

/// One party's ring shares of one layer: the user's `W_U`, `b_U` or the cloud's α, β.
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

/// A party's share of the re-shared model (PROTOCOL.md §3, "Setup").
#[derive(Clone, Debug)]
pub struct ModelShare {
    /// The ring.
    pub ring: Ring,
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

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], BridgeError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| bad(format!("truncated at byte {}", self.at)))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, BridgeError> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(b))
    }
    fn u64(&mut self) -> Result<u64, BridgeError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }
}

impl ModelShare {
    /// `(inputs, outputs)` per layer.
    pub fn shapes(&self) -> Vec<(usize, usize)> {
        self.layers.iter().map(|l| (l.inputs, l.outputs)).collect()
    }

    /// The versioned byte form (see the module docs; a cloud share contains its secret key).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        let (role, key) = match &self.key {
            ShareKey::CloudPublic(pk) => (1u8, pk.to_bytes()),
            ShareKey::CloudSecret(sk) => (2u8, sk.to_bytes().to_vec()),
        };
        out.push(role);
        out.extend_from_slice(&self.ring.k.to_le_bytes());
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
        out
    }

    /// Parses [`ModelShare::to_bytes`], checking every length and range.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BridgeError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(8)? != MAGIC {
            return Err(bad("not a gcc-nn model share"));
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(bad(format!("version {version}, expected {VERSION}")));
        }
        let role = r.take(1)?[0];
        let ring = Ring::new(r.u32()?).map_err(crate::error::he("model share file"))?;
        let n_layers = r.u32()? as usize;
        let mut layers = Vec::new();
        for li in 0..n_layers {
            let (inputs, outputs) = (r.u32()? as usize, r.u32()? as usize);
            let count = inputs
                .checked_mul(outputs)
                .filter(|&c| c * 8 <= bytes.len())
                .ok_or_else(|| bad(format!("layer {li}: {inputs}×{outputs} is too large")))?;
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
        let len = usize::try_from(r.u64()?).map_err(|_| bad("key length"))?;
        let key_bytes = r.take(len)?;
        let key = match role {
            1 => ShareKey::CloudPublic(
                PublicKey::from_bytes(key_bytes).map_err(crate::error::he("model share key"))?,
            ),
            2 => ShareKey::CloudSecret(Arc::new(
                SecretKey::from_bytes(key_bytes).map_err(crate::error::he("model share key"))?,
            )),
            other => return Err(bad(format!("unknown role {other}"))),
        };
        if r.at != bytes.len() {
            return Err(bad(format!("{} trailing bytes", bytes.len() - r.at)));
        }
        Ok(Self { ring, layers, key })
    }
}

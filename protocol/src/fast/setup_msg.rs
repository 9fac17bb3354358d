//! The setup's messages as types ([`SetupMsg`], cloud → user: the user sends nothing during
//! a setup) and their wire forms (version 4 of the setup header added the session id):
//!
//! ```text
//! Header     words  magic | version | k | user key fingerprint | layers, then session id [32]
//! Shapes     words  (inputs, outputs) per layer
//! CloudKey   u64 length, the cloud's public key
//! Binding    u64 length (64), pair id [32] | model hash [32]
//! Layer      the layer's packed ciphertexts back to back (weights row-major, then biases)
//! ```
//!
//! Header and shapes used to go out in one write; as two messages their bytes on the stream
//! are the same. The session id is the channel's (`Channel::session_id`: from the TLS
//! exporter), an input of both cores; the user refuses a header of another session.

use super::msg::{Expect, Framing};
use super::wire::{protocol, trailing_session};
use crate::error::{ProtocolError, he};
use paillier::{Ciphertext, PublicKey};
use runtime::channel::SessionId;

/// First word of the setup header.
pub(crate) const MAGIC: u64 = u64::from_le_bytes(*b"GCCNN-FS");
/// Second word: the setup's version.
pub(crate) const VERSION: u64 = 4;
/// Words of the setup header (the session id follows them).
pub(crate) const HEADER_WORDS: usize = 5;
/// Bytes of the setup header: its words and the session id.
pub(crate) const HEADER_BYTES: usize = HEADER_WORDS * 8 + 32;
/// Bytes of the share binding's body.
pub(crate) const BINDING_BYTES: usize = 64;

/// The setup header: its words and the session id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetupHeader {
    /// [`MAGIC`] from an honest cloud.
    pub magic: u64,
    /// [`VERSION`] from an honest cloud.
    pub version: u64,
    /// Bits k of the share ring.
    pub ring_bits: u64,
    /// Fingerprint of the user's Paillier key (the key the upload is under).
    pub user_key: u64,
    /// Layers of the model.
    pub layers: u64,
    /// The session the setup runs in.
    pub session: SessionId,
}

/// What the cloud sends during a setup, in this order: [`SetupMsg::Header`],
/// [`SetupMsg::Shapes`], [`SetupMsg::CloudKey`], [`SetupMsg::Binding`], then one
/// [`SetupMsg::Layer`] per layer.
#[derive(Clone, Debug)]
pub enum SetupMsg {
    /// The header words.
    Header(SetupHeader),
    /// `(inputs, outputs)` per layer, as announced.
    Shapes(Vec<(u64, u64)>),
    /// The cloud's fresh public key for this user (cross product 2 runs under it).
    CloudKey(PublicKey),
    /// The share pair's id and the re-shared model's hash.
    Binding {
        /// Random id of the pair, drawn by the cloud.
        pair_id: [u8; 32],
        /// The model's hash ([`crate::upload::EncryptedModel::model_hash`]).
        model_hash: [u8; 32],
    },
    /// One layer's packed `Enc_U(W + t)` (weights row-major, then biases).
    Layer(Vec<Ciphertext>),
}

impl SetupMsg {
    /// The message's phase name (errors, wire).
    pub fn phase(&self) -> &'static str {
        match self {
            SetupMsg::Header(_) | SetupMsg::Shapes(_) => "setup header",
            SetupMsg::CloudKey(_) => "setup cloud key",
            SetupMsg::Binding { .. } => "setup share binding",
            SetupMsg::Layer(_) => "setup ciphertexts",
        }
    }

    /// What the message is, in errors (no contents).
    pub fn name(&self) -> String {
        match self {
            SetupMsg::Header(_) => "the header".into(),
            SetupMsg::Shapes(s) => format!("the shapes of {} layers", s.len()),
            SetupMsg::CloudKey(_) => "the cloud's key".into(),
            SetupMsg::Binding { .. } => "the share binding".into(),
            SetupMsg::Layer(c) => format!("a layer of {} ciphertexts", c.len()),
        }
    }

    /// Wire form; ciphertexts at the fixed width of `user_pk`.
    pub fn to_bytes(&self, user_pk: &PublicKey) -> Vec<u8> {
        let words = |w: &mut dyn Iterator<Item = u64>| w.flat_map(u64::to_le_bytes).collect();
        let prefixed = |body: &[u8]| {
            let mut out = (body.len() as u64).to_le_bytes().to_vec();
            out.extend_from_slice(body);
            out
        };
        match self {
            SetupMsg::Header(h) => {
                let mut out: Vec<u8> =
                    words(&mut [h.magic, h.version, h.ring_bits, h.user_key, h.layers].into_iter());
                out.extend_from_slice(&h.session);
                out
            }
            SetupMsg::Shapes(s) => words(&mut s.iter().flat_map(|&(i, o)| [i, o])),
            SetupMsg::CloudKey(pk) => prefixed(&pk.to_bytes()),
            SetupMsg::Binding {
                pair_id,
                model_hash,
            } => prefixed(&[&pair_id[..], &model_hash[..]].concat()),
            SetupMsg::Layer(cts) => {
                let mut out = Vec::with_capacity(cts.len() * user_pk.ciphertext_bytes());
                for c in cts {
                    user_pk.write_ciphertext(c, &mut out);
                }
                out
            }
        }
    }
}

/// Which message the user waits for next, and how to read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// The header words.
    Header,
    /// The shapes of this many layers.
    Shapes(usize),
    /// The cloud's key, at most this many bytes.
    CloudKey(usize),
    /// The binding.
    Binding,
    /// A layer of this many packed ciphertexts.
    Layer(usize),
}

impl Wanted {
    /// What is awaited, in errors.
    pub(crate) fn name(self) -> String {
        match self {
            Wanted::Header => "header".into(),
            Wanted::Shapes(n) => format!("shapes of {n} layers"),
            Wanted::CloudKey(_) => "cloud's key".into(),
            Wanted::Binding => "share binding".into(),
            Wanted::Layer(n) => format!("layer of {n} ciphertexts"),
        }
    }

    /// How the runner reads it; ciphertexts at the fixed width of `user_pk`.
    pub(crate) fn expect(self, user_pk: &PublicKey) -> Expect {
        let (framing, phase) = match self {
            Wanted::Header => (Framing::Exact(HEADER_BYTES), "setup header"),
            Wanted::Shapes(layers) => (Framing::Exact(layers * 16), "setup header"),
            Wanted::CloudKey(max) => (Framing::Prefixed { max }, "setup cloud key"),
            Wanted::Binding => (
                Framing::Prefixed { max: BINDING_BYTES },
                "setup share binding",
            ),
            Wanted::Layer(count) => (
                Framing::Records {
                    count,
                    size: user_pk.ciphertext_bytes(),
                },
                "setup ciphertexts",
            ),
        };
        Expect { framing, phase }
    }

    /// Reads the message from its bytes (without a length prefix); ciphertexts are checked
    /// to lie in (0, N²) under `user_pk`.
    pub(crate) fn decode(
        self,
        user_pk: &PublicKey,
        bytes: &[u8],
    ) -> Result<SetupMsg, ProtocolError> {
        let phase = self.expect(user_pk).phase;
        let words = || -> Vec<u64> {
            bytes
                .chunks_exact(8)
                .map(|c| {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(c);
                    u64::from_le_bytes(w)
                })
                .collect()
        };
        let exact = |want: usize| {
            if bytes.len() == want {
                Ok(())
            } else {
                Err(protocol(
                    phase,
                    format!("{} bytes, expected {want}", bytes.len()),
                ))
            }
        };
        match self {
            Wanted::Header => {
                exact(HEADER_BYTES)?;
                let w = words();
                Ok(SetupMsg::Header(SetupHeader {
                    magic: w[0],
                    version: w[1],
                    ring_bits: w[2],
                    user_key: w[3],
                    layers: w[4],
                    session: trailing_session(bytes),
                }))
            }
            Wanted::Shapes(layers) => {
                exact(layers * 16)?;
                Ok(SetupMsg::Shapes(
                    words().chunks(2).map(|d| (d[0], d[1])).collect(),
                ))
            }
            Wanted::CloudKey(_) => Ok(SetupMsg::CloudKey(
                PublicKey::from_bytes(bytes).map_err(he(phase))?,
            )),
            Wanted::Binding => {
                exact(BINDING_BYTES)?;
                let (mut pair_id, mut model_hash) = ([0u8; 32], [0u8; 32]);
                pair_id.copy_from_slice(&bytes[..32]);
                model_hash.copy_from_slice(&bytes[32..]);
                Ok(SetupMsg::Binding {
                    pair_id,
                    model_hash,
                })
            }
            Wanted::Layer(count) => {
                let size = user_pk.ciphertext_bytes();
                exact(count * size)?;
                let cts = bytes
                    .chunks_exact(size.max(1))
                    .map(|c| user_pk.read_ciphertext(c).map_err(he(phase)))
                    .collect::<Result<_, _>>()?;
                Ok(SetupMsg::Layer(cts))
            }
        }
    }
}

//! Model upload (docs/protocol.md §1): the model owner encrypts every weight and bias under the
//! user's Paillier public key and writes one self-checking file the cloud serves from.
//!
//! File layout: the [`bytes`] envelope ([`UPLOAD_FILE`]: `"GCCNN-EM"` | version u32 | body
//! length u64 | body | SHA-256 of everything before it) around the body (little-endian)
//!
//! ```text
//! header length u64 | header (ModelHeader::to_bytes)
//! | seal: SHA-256 of the ciphertexts [32] | owner public key [32] | Ed25519 signature [64]
//! | per layer: outputs·inputs weight ciphertexts, then outputs bias ciphertexts (fixed width)
//! ```
//!
//! ([`EncryptedModel::file_layout`] and [`ModelHeader::layout`] name every field's bytes.)
//! Version 4 (this build) is signed by the model owner ([`seal`]: Ed25519 over the header and
//! the ciphertexts' digest, with the key of [`owner`]); the reader checks the signature under
//! the key the file names before it parses the header, and the cloud and the user check that
//! key against the owner's public key they were given. A file of an earlier version (unsigned)
//! is refused as written by an older gcc-nn: re-run `gcc-nn model encrypt --owner-key`.
//!
//! The header is public metadata the cloud needs to run the protocol and both sides check in
//! the handshake: the user's public key, shape, fixed-point formats, the activation (its name,
//! its DSL source, at most [`crate::wire::MAX_ACTIVATION_SOURCE`] bytes, and the SHA-256 of the source), the
//! hash of the activation circuit and bounds on |W| and |z|. The cloud compiles the activation's
//! wrappers from that source, and the user gets the same source from the cloud in the
//! handshake. The bounds come from the formats and the activation's output range alone
//! ([`format_bounds`]), never from the weights: every model of the same shape, formats and
//! activation has the same header apart from its key. The upload refuses weights that break
//! them (`protocol/tests/upload_bounds.rs`).
//!
//! One file serves both secure protocols: the reference protocol multiplies the ciphertexts
//! directly, the fast protocol re-shares them once per user ([`crate::fast::setup`]). The
//! SHA-256 checksum at the end doubles as the model's identity ([`EncryptedModel::model_hash`])
//! under which the fast protocol's stored shares are filed.
//!
//! # Randomness of the upload (security assumption)
//!
//! Every weight and bias is encrypted as `(1 + N)^m · h^x mod N²` with Damgård–Jurik–Nielsen
//! short-exponent randomness ([`crate::fresh::FreshZeros::short_exponent`]): `h = r0^N`
//! for one secret uniform unit `r0` drawn per upload, and a fresh uniform exponent `x` of
//! `⌈bits(N)/2⌉` bits (rounded up to 64) per ciphertext. Semantic security then rests on the
//! decisional composite residuosity assumption (as for textbook Paillier) **plus** the DJN
//! assumption that `h^x` for such short `x` is indistinguishable from a uniform N-th residue
//! `r^N` (Damgård, Jurik, Nielsen, "A generalization of Paillier's public-key system with
//! applications to electronic voting", 2010, §4.2). In exchange each encryption costs about
//! `bits(N)/16` multiplications mod N² from a comb table instead of a full `bits(N)`-bit
//! exponentiation: ≈ 20 s instead of ≈ 400 s for the shipped model at 2048 bits.

mod header;
pub mod owner;
pub mod seal;

pub use header::{ModelHeader, format_bounds};
pub use owner::{OwnerKey, OwnerPublicKey};
pub use seal::{ModelSeal, SEAL_BYTES};

use crate::bridge::activation_circuit::ActivationCircuit;
use crate::error::ProtocolError as SessionError;
use crate::fresh::FreshZeros;
use crate::params::KeyPolicy;
use bytes::{Format, Put, Reader};
use header::{check_activation_size, decode};
use model::fixed::FixedMlp;
use paillier::{BigInt, Ciphertext, PublicKey};
use platform::atomic_file::Visibility;
use rand::{CryptoRng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::path::Path;

/// Version of the encrypted model file format (2: the header carries the activation's source
/// and SHA-256 instead of its name alone; 3: the bytes envelope, keys in their v2 form; 4: the
/// owner's signature, [`seal`]).
pub const MODEL_FILE_VERSION: u32 = 4;
/// The encrypted model file envelope.
pub const UPLOAD_FILE: Format = Format {
    what: "encrypted model",
    magic: *b"GCCNN-EM",
    version: MODEL_FILE_VERSION,
    max_body: (8 + MAX_HEADER + SEAL_BYTES + MAX_PARAMETERS * 2 * MAX_KEY_BYTES) as u64,
    remedy: "uploads are now signed by the model owner: re-run `gcc-nn model encrypt \
             --owner-key DIR` with this gcc-nn (`gcc-nn model owner-key -o DIR` makes the key)",
    legacy_prefixes: &[],
};
/// Limits of a model header ([`crate::wire`]).
pub use crate::wire::MAX_PARAMETERS;
use crate::wire::{MAX_MODEL_HEADER as MAX_HEADER, MAX_MODEL_KEY_BYTES as MAX_KEY_BYTES};

/// One encrypted layer.
#[derive(Debug, Clone)]
pub struct EncryptedLayer {
    /// Number of inputs.
    pub inputs: usize,
    /// Number of outputs.
    pub outputs: usize,
    /// `Enc(W_ij)`, row-major `[outputs][inputs]`.
    pub weights: Vec<Ciphertext>,
    /// `Enc(b_i)` (scale `Fw + Fa`).
    pub bias: Vec<Ciphertext>,
}

/// Refuses weights that break the public bounds: some |W| ≥ 2^weight_bits, or a layer whose
/// worst-case |z| over every possible input ([`FixedMlp::z_bounds`]) reaches 2^z_bits.
fn check_weights(fixed: &FixedMlp, weight_bits: u32, z_bits: u32) -> Result<(), SessionError> {
    for (i, l) in fixed.layers.iter().enumerate() {
        if let Some(w) = l
            .weights
            .iter()
            .find(|w| w.unsigned_abs() >> weight_bits != 0)
        {
            return Err(SessionError::Model(format!(
                "layer {}: the weight {w} (raw) breaks the public bound |W| < 2^{weight_bits} \
                 of these formats",
                i + 1
            )));
        }
    }
    for (i, b) in fixed.z_bounds().iter().enumerate() {
        if b.unsigned_abs() >> z_bits != 0 {
            return Err(SessionError::Model(format!(
                "layer {}: pre-activations may reach {b} (raw), beyond the public bound \
                 |z| < 2^{z_bits} of the activation circuit's input",
                i + 1
            )));
        }
    }
    Ok(())
}

/// A model encrypted under the user's key and signed by its owner: what the cloud holds.
#[derive(Debug, Clone)]
pub struct EncryptedModel {
    /// Public metadata.
    pub header: ModelHeader,
    /// The owner's signature of the header and the ciphertexts ([`seal`]).
    pub seal: ModelSeal,
    /// Encrypted layers, first to last.
    pub layers: Vec<EncryptedLayer>,
}

impl EncryptedModel {
    /// The model owner's step: encrypts `fixed` under `pk` with fresh short-exponent
    /// randomness from the OS-seeded CSPRNG (see the module docs for the assumption), on
    /// both cores, after checking that `pk` is a production key
    /// ([`KeyPolicy::Production`]), that the bridge circuit of its activation exists and that
    /// the weights keep the format bounds ([`format_bounds`]); then signs it with `owner`.
    pub fn encrypt(
        fixed: &FixedMlp,
        pk: &PublicKey,
        owner: &OwnerKey,
    ) -> Result<Self, SessionError> {
        KeyPolicy::Production.check(pk, "the user's public key")?;
        Self::encrypt_with_rng(fixed, pk, owner, &mut rand::rng())
    }

    /// [`EncryptedModel::encrypt`] with the randomness drawn from `rng` and without the
    /// production key check: the tests' path to small (insecure) keys. No shipped command
    /// calls it.
    pub fn encrypt_with_rng<R: CryptoRng + ?Sized>(
        fixed: &FixedMlp,
        pk: &PublicKey,
        owner: &OwnerKey,
        rng: &mut R,
    ) -> Result<Self, SessionError> {
        let header = Self::header_for(fixed, pk)?;
        let zeros = FreshZeros::short_exponent(pk, rng);
        let mut enc = |values: &[i64]| -> Result<Vec<Ciphertext>, SessionError> {
            let seeds: Vec<[u8; 32]> = crate::fresh::seeds(rng, values.len());
            values
                .par_iter()
                .zip(seeds)
                .map(|(&v, seed)| {
                    let m = paillier::signed_to_residue(&BigInt::from(v), pk.n());
                    zeros
                        .encrypt(&m, &mut ChaCha20Rng::from_seed(seed))
                        .map_err(|e| SessionError::Model(format!("encryption: {e}")))
                })
                .inspect(|_| crate::progress::advance(1))
                .collect()
        };
        crate::progress::phase(
            "upload: encrypting the model",
            fixed
                .layers
                .iter()
                .map(|l| (l.weights.len() + l.bias.len()) as u64)
                .sum(),
        );
        let mut layers = Vec::with_capacity(fixed.layers.len());
        for l in &fixed.layers {
            layers.push(EncryptedLayer {
                inputs: l.inputs,
                outputs: l.outputs,
                weights: enc(&l.weights)?,
                bias: enc(&l.bias)?,
            });
        }
        crate::progress::finish();
        let seal = ModelSeal::sign(&header.to_bytes(), params_digest(&header, &layers), owner);
        Ok(Self {
            header,
            seal,
            layers,
        })
    }

    /// The public header of `fixed` under `pk`, checked.
    fn header_for(fixed: &FixedMlp, pk: &PublicKey) -> Result<ModelHeader, SessionError> {
        check_activation_size(&fixed.activation)?;
        let circuit = ActivationCircuit::for_activation(&fixed.activation, &fixed.params)?;
        let (weight_bits, z_bits) = format_bounds(
            &fixed.params,
            circuit.bridge.params().x_bits,
            &fixed.activation,
        )?;
        check_weights(fixed, weight_bits, z_bits)?;
        let mut widths = vec![fixed.layers.first().map_or(0, |l| l.inputs) as u32];
        widths.extend(fixed.layers.iter().map(|l| l.outputs as u32));
        let header = ModelHeader {
            public_key: pk.clone(),
            fixed: fixed.params,
            activation: fixed.activation.clone(),
            circuit_hash: circuit.hash(),
            input_patch: fixed.input_patch as u32,
            output_patch: fixed.output_patch as u32,
            stride: fixed.stride as u32,
            widths,
            weight_bits,
            z_bits,
        };
        header.check_shape().map_err(SessionError::Model)?;
        Ok(header)
    }

    /// Signs the model (as it is now) with `owner`, replacing its seal: the owner's tool
    /// after changing a model, and the tests' way to a changed model that is still signed.
    pub fn sign(&mut self, owner: &OwnerKey) {
        self.seal = ModelSeal::sign(
            &self.header.to_bytes(),
            params_digest(&self.header, &self.layers),
            owner,
        );
    }

    /// Checks the owner's signature against the model as it is: the signing key must be
    /// `expected` (an error names both fingerprints), the ciphertexts must be the ones
    /// signed and the signature must verify over the header and their digest. What the
    /// cloud runs before serving ([`crate::session::serve::CloudState`]).
    pub fn verify_owner(&self, expected: &OwnerPublicKey) -> Result<(), SessionError> {
        self.seal.check_owner(expected)?;
        if params_digest(&self.header, &self.layers) != self.seal.params_digest {
            return Err(SessionError::Signature(format!(
                "the ciphertexts differ from the ones owner key {} signed: the model was \
                 changed after it was signed",
                self.seal.owner.fingerprint()
            )));
        }
        self.seal.check(&self.header.to_bytes(), Some(expected))
    }

    /// `(inputs, outputs)` per layer.
    pub fn shapes(&self) -> Vec<(usize, usize)> {
        self.layers.iter().map(|l| (l.inputs, l.outputs)).collect()
    }

    /// The model's identity: the SHA-256 checksum of its file form (header, seal and every
    /// ciphertext), under which the fast protocol files its per-user shares.
    pub fn model_hash(&self) -> [u8; 32] {
        let bytes = self.to_bytes();
        let mut h = [0u8; 32];
        h.copy_from_slice(&bytes[bytes.len() - 32..]);
        h
    }

    /// The file form (module docs; [`EncryptedModel::file_layout`] names its fields).
    pub fn to_bytes(&self) -> Vec<u8> {
        let pk = &self.header.public_key;
        let header = self.header.to_bytes();
        let mut w = UPLOAD_FILE.writer(
            8 + header.len() + SEAL_BYTES + self.header.parameter_count() * pk.ciphertext_bytes(),
        );
        w.put_bytes64(&header);
        w.put(&self.seal.to_bytes());
        for c in ciphertexts(&self.layers) {
            pk.write_ciphertext(c, w.buf());
        }
        w.finish()
    }

    /// Where each field of the file form lies (byte ranges of [`EncryptedModel::to_bytes`],
    /// in order): `envelope` (magic, version, body length), `header length`, `header`,
    /// `seal`, `ciphertexts`, `checksum`. The header's own fields are
    /// [`ModelHeader::layout`], offset by the start of `header`.
    pub fn file_layout(&self) -> Vec<(&'static str, Range<usize>)> {
        let header = self.header.to_bytes().len();
        let params = self.header.parameter_count() * self.header.public_key.ciphertext_bytes();
        let mut at = 0;
        [
            ("envelope", bytes::HEADER_BYTES),
            ("header length", 8),
            ("header", header),
            ("seal", SEAL_BYTES),
            ("ciphertexts", params),
            ("checksum", bytes::CHECKSUM_BYTES),
        ]
        .into_iter()
        .map(|(name, len)| {
            at += len;
            (name, at - len..at)
        })
        .collect()
    }

    /// Reads the file form, checking the envelope (magic, version, length, checksum), sizes,
    /// the owner's signature (under the key the file names: [`EncryptedModel::verify_owner`]
    /// checks that it is the expected owner's) and every ciphertext. The signature is
    /// checked before the header is parsed.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SessionError> {
        let mut r = UPLOAD_FILE.open(bytes).map_err(|e| {
            if e.field == "magic" && e.offset == 0 && !e.reason.contains("older") {
                SessionError::Format {
                    what: "encrypted model",
                    why: "not a gcc-nn encrypted model (made by `gcc-nn model encrypt`)".into(),
                }
            } else {
                decode(e)
            }
        })?;
        let at = r.offset();
        let header_len = r.count64("header", MAX_HEADER as u64, 1).map_err(decode)?;
        let header_bytes = r.take("header", header_len).map_err(decode)?;
        let seal = ModelSeal::read(&mut r).map_err(decode)?;
        let params_at = r.offset();
        let params = r.take("ciphertexts", r.remaining()).map_err(decode)?;
        if sha256(params) != seal.params_digest {
            return Err(SessionError::Signature(format!(
                "the ciphertexts differ from the ones owner key {} signed: the model was \
                 changed after it was signed",
                seal.owner.fingerprint()
            )));
        }
        seal.check(header_bytes, None)?;
        let header = ModelHeader::read(&mut Reader::at_offset(
            header_bytes,
            "encrypted model header",
            at + 8,
        ))?;
        let pk = header.public_key.clone();
        let width = pk.ciphertext_bytes();
        let mut r = Reader::at_offset(params, UPLOAD_FILE.what, params_at);
        // parameter_count ≤ MAX_PARAMETERS (checked with the header): no overflow, and the
        // length check below bounds every allocation by the file's own size.
        let expected = header.parameter_count().saturating_mul(width);
        if r.remaining() != expected {
            return Err(decode(r.error(
                "ciphertexts",
                format!(
                    "{} bytes of ciphertexts where the header's shape needs {expected}",
                    r.remaining()
                ),
            )));
        }
        let mut read = |count: usize| -> Result<Vec<Ciphertext>, SessionError> {
            let at = r.offset();
            let chunk = r.take("ciphertexts", count * width).map_err(decode)?;
            chunk
                .chunks(width)
                .enumerate()
                .map(|(i, c)| {
                    pk.read_ciphertext(c).map_err(|e| {
                        decode(r.error_at("ciphertext", at + i * width, e.to_string()))
                    })
                })
                .collect()
        };
        let mut layers = Vec::new();
        for w in header.widths.windows(2) {
            let (inputs, outputs) = (w[0] as usize, w[1] as usize);
            let weights = read(inputs * outputs)?;
            let bias = read(outputs)?;
            layers.push(EncryptedLayer {
                inputs,
                outputs,
                weights,
                bias,
            });
        }
        Ok(Self {
            header,
            seal,
            layers,
        })
    }

    /// Writes the file through the atomic writer (mode 0644; nothing half-written on error).
    pub fn save(&self, path: &Path) -> Result<(), SessionError> {
        platform::atomic_file::write_file(path, &self.to_bytes(), Visibility::Public)
            .map_err(|e| SessionError::Io(e.to_string()))
    }

    /// Reads a file (errors name it).
    pub fn load(path: &Path) -> Result<Self, SessionError> {
        let bytes = std::fs::read(path)
            .map_err(|e| SessionError::Io(format!("{}: {e}", path.display())))?;
        Self::from_bytes(&bytes).map_err(|e| SessionError::Io(format!("{}: {e}", path.display())))
    }
}

/// Every ciphertext of `layers` in file order: per layer the weights, then the biases.
fn ciphertexts(layers: &[EncryptedLayer]) -> impl Iterator<Item = &Ciphertext> {
    layers.iter().flat_map(|l| l.weights.iter().chain(&l.bias))
}

/// SHA-256 of `bytes`.
fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// SHA-256 of the ciphertext section of the file form of `layers` under `header`'s key
/// (what the owner's seal names), computed without building the section.
fn params_digest(header: &ModelHeader, layers: &[EncryptedLayer]) -> [u8; 32] {
    let pk = &header.public_key;
    let mut h = Sha256::new();
    let mut buf = Vec::with_capacity(pk.ciphertext_bytes());
    for c in ciphertexts(layers) {
        buf.clear();
        pk.write_ciphertext(c, &mut buf);
        h.update(&buf);
    }
    h.finalize().into()
}

//! Model upload (docs/protocol.md §1): the model owner encrypts every weight and bias under the
//! user's Paillier public key and writes one self-checking file the cloud serves from.
//!
//! File layout: the [`bytes`] envelope ([`UPLOAD_FILE`]: `"GCCNN-EM"` | version u32 | body
//! length u64 | body | SHA-256 of everything before it) around the body (little-endian)
//!
//! ```text
//! header length u64 | header (ModelHeader::to_bytes)
//! | per layer: outputs·inputs weight ciphertexts, then outputs bias ciphertexts (fixed width)
//! ```
//!
//! Version 3 (this build) embeds the user's public key in its enveloped form; a file of an
//! earlier version is refused as written by an older gcc-nn (re-encrypt the model).
//!
//! The header is public metadata the cloud needs to run the protocol and both sides check in
//! the handshake: the user's public key, shape, fixed-point formats, the activation (its name,
//! its DSL source, at most [`MAX_ACTIVATION_SOURCE`] bytes, and the SHA-256 of the source), the
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

use crate::bridge::activation_circuit::ActivationCircuit;
use crate::error::ProtocolError as SessionError;
use crate::fresh::FreshZeros;
use crate::params::KeyPolicy;
use crate::wire::{MAX_ACTIVATION_NAME, MAX_ACTIVATION_SOURCE};
use activation::Activation;
use bytes::{DecodeError, Format, Put, Reader};
use model::fixed::{FixedActivation, FixedMlp, FixedParams};
use paillier::{BigInt, Ciphertext, PublicKey};
use rand::{CryptoRng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use std::path::Path;

/// Version of the encrypted model file format (2: the header carries the activation's source
/// and SHA-256 instead of its name alone; 3: the bytes envelope, keys in their v2 form).
pub const MODEL_FILE_VERSION: u32 = 3;
/// The encrypted model file envelope.
pub const UPLOAD_FILE: Format = Format {
    what: "encrypted model",
    magic: *b"GCCNN-EM",
    version: MODEL_FILE_VERSION,
    max_body: (8 + MAX_HEADER + MAX_PARAMETERS * 2 * MAX_KEY_BYTES) as u64,
    remedy: "re-encrypt the model with this gcc-nn (`gcc-nn model encrypt`)",
    legacy_prefixes: &[],
};
/// Limits of a model header ([`crate::wire`]).
pub use crate::wire::MAX_PARAMETERS;
use crate::wire::{
    MAX_MODEL_HEADER as MAX_HEADER, MAX_MODEL_KEY_BYTES as MAX_KEY_BYTES,
    MAX_MODEL_WIDTH as MAX_WIDTH,
};

/// Public metadata of an encrypted model (also the cloud's half of the handshake).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelHeader {
    /// The user's public key the model is encrypted under.
    pub public_key: PublicKey,
    /// Fixed-point formats.
    pub fixed: FixedParams,
    /// The activation (name, DSL source, SHA-256 of the source), evaluated.
    pub activation: FixedActivation,
    /// SHA-256 identity of the compiled masked-activation circuit.
    pub circuit_hash: [u8; 32],
    /// Input patch side.
    pub input_patch: u32,
    /// Output patch side.
    pub output_patch: u32,
    /// Default stride.
    pub stride: u32,
    /// Layer widths, input first: `n_0, n_1, …, n_L`.
    pub widths: Vec<u32>,
    /// |W| < 2^weight_bits for every raw weight ([`format_bounds`]: from the formats).
    pub weight_bits: u32,
    /// |z| < 2^z_bits for every pre-activation and output on every possible input
    /// ([`format_bounds`]: from the formats).
    pub z_bits: u32,
}

/// The public bounds `(weight_bits, z_bits)` of every model with the fixed-point formats
/// `fixed` and the activation `act` whose circuit reads `x_bits`-bit signed pre-activations,
/// derived from these public data alone (nothing about the weights is revealed):
///
/// - `|z| < 2^(x_bits − 1)`: the circuit's input format (it reads z modulo 2^x_bits as a
///   signed value), also required of the output layer; it must lie inside the ring's signed
///   range `2^(K − 1)`;
/// - `|W| < 2^(z_bits − ⌊log2 A⌋)` with `A = min(clamp·2^Fa, max |f|)`: every layer input can
///   reach A (an input pixel up to its clamp, an activation up to its largest output, taken
///   from the activation's table: 2^Fa for the tanh family, 8·2^Fa − 1 for ReLU), so a larger
///   weight alone could push some `|z|` past the first bound. For the tanh family this is
///   `z_bits − Fa`.
///
/// The upload checks the weights against both before encrypting anything.
pub fn format_bounds(
    fixed: &FixedParams,
    x_bits: u32,
    act: &FixedActivation,
) -> Result<(u32, u32), SessionError> {
    let z_bits = x_bits.saturating_sub(1);
    let input_reach = fixed.input_clamp * f64::from(1u32 << fixed.fa.min(30));
    let reach = (act.max_abs() as f64).min(input_reach).max(1.0);
    let reach_log2 = reach.log2().floor() as u32;
    let usable = fixed.input_clamp >= 1.0 && z_bits > reach_log2 && z_bits < fixed.ring_bits;
    if !usable {
        return Err(SessionError::Model(format!(
            "formats {fixed:?} with activation `{}` (|f| ≤ {}) do not fit a circuit of \
             {x_bits}-bit pre-activations",
            act.name(),
            act.max_abs()
        )));
    }
    Ok((z_bits - reach_log2, z_bits))
}

/// A decode error as this module's error, keeping the field and offset.
fn decode(e: DecodeError) -> SessionError {
    SessionError::Format {
        what: e.what,
        why: format!("{} at byte {}: {}", e.field, e.offset, e.reason),
    }
}

impl ModelHeader {
    /// Number of layers.
    pub fn layers(&self) -> usize {
        self.widths.len().saturating_sub(1)
    }

    /// Weights plus biases.
    pub fn parameter_count(&self) -> usize {
        self.widths
            .windows(2)
            .map(|w| (w[0] as usize + 1) * w[1] as usize)
            .sum()
    }

    /// The byte form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.put_bytes64(&self.public_key.to_bytes());
        out.put_u32(self.fixed.fa);
        out.put_u32(self.fixed.fw);
        out.put_u32(self.fixed.ring_bits);
        out.put(&self.fixed.input_clamp.to_le_bytes());
        for field in [self.activation.name(), self.activation.source()] {
            out.put_bytes64(field.as_bytes());
        }
        out.put(&self.activation.sha256());
        out.put(&self.circuit_hash);
        for v in [self.input_patch, self.output_patch, self.stride] {
            out.put_u32(v);
        }
        out.put_u32(self.widths.len() as u32);
        for &w in &self.widths {
            out.put_u32(w);
        }
        out.put_u32(self.weight_bits);
        out.put_u32(self.z_bits);
        out
    }

    /// Reads and sanity-checks the byte form (shape consistent, sizes bounded).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SessionError> {
        Self::read(&mut Reader::new(bytes, "model header"))
    }

    /// Reads the header from `r` (all of it: trailing bytes are an error).
    fn read(r: &mut Reader<'_>) -> Result<Self, SessionError> {
        let at = r.offset();
        let pk_bytes = r
            .bytes64("public key", MAX_KEY_BYTES as u64)
            .map_err(decode)?;
        let public_key = PublicKey::from_bytes(pk_bytes)
            .map_err(|e| decode(r.error_at("public key", at, e.to_string())))?;
        let fa = r.u32("Fa").map_err(decode)?;
        let fw = r.u32("Fw").map_err(decode)?;
        let ring_bits = r.u32("ring bits").map_err(decode)?;
        let input_clamp = f64::from_bits(r.u64("input clamp").map_err(decode)?);
        let activation = read_activation(r)?;
        let circuit_hash = r.array("circuit hash").map_err(decode)?;
        let input_patch = r.u32("input patch").map_err(decode)?;
        let output_patch = r.u32("output patch").map_err(decode)?;
        let stride = r.u32("stride").map_err(decode)?;
        let at = r.offset();
        let count = r.u32("layer width count").map_err(decode)?;
        if !(2..=64).contains(&count) {
            return Err(decode(r.error_at(
                "layer width count",
                at,
                format!("{count} layer widths (2 to 64 expected)"),
            )));
        }
        let widths = (0..count)
            .map(|_| r.u32("layer width"))
            .collect::<Result<Vec<u32>, _>>()
            .map_err(decode)?;
        let weight_bits = r.u32("weight bits").map_err(decode)?;
        let z_bits = r.u32("z bits").map_err(decode)?;
        r.finish().map_err(decode)?;
        let h = Self {
            public_key,
            fixed: FixedParams {
                fa,
                fw,
                ring_bits,
                input_clamp,
            },
            activation,
            circuit_hash,
            input_patch,
            output_patch,
            stride,
            widths,
            weight_bits,
            z_bits,
        };
        h.check_shape()
            .map_err(|why| decode(r.error_at("shape", at, why)))?;
        Ok(h)
    }

    /// Checks that the shape is a denoiser's: widths positive and bounded, input and output
    /// widths match the patch sides, bounds within the ring.
    fn check_shape(&self) -> Result<(), String> {
        if self.widths.iter().any(|&w| w == 0 || w > MAX_WIDTH) {
            return Err(format!(
                "layer widths {:?} out of 1..={MAX_WIDTH}",
                self.widths
            ));
        }
        if self.parameter_count() > MAX_PARAMETERS {
            return Err(format!(
                "{} parameters exceed the limit of {MAX_PARAMETERS}",
                self.parameter_count()
            ));
        }
        let (Some(&first), Some(&last)) = (self.widths.first(), self.widths.last()) else {
            return Err("no layer widths".into());
        };
        if u64::from(first) != u64::from(self.input_patch).pow(2)
            || u64::from(last) != u64::from(self.output_patch).pow(2)
            || self.output_patch > self.input_patch
            || self.stride == 0
        {
            let (i, o, s) = (self.input_patch, self.output_patch, self.stride);
            return Err(format!(
                "widths {:?} do not fit a {i}x{i} → {o}x{o} patch model (stride {s})",
                self.widths
            ));
        }
        let consistent = self.z_bits < self.fixed.ring_bits
            && self.z_bits > self.fixed.fa
            && self.weight_bits > 0
            && self.weight_bits <= self.z_bits;
        if !consistent {
            return Err(format!(
                "bounds |W| < 2^{}, |z| < 2^{} are not format bounds of the ring 2^{} \
                 (need {} < z bits < {2}, 0 < weight bits ≤ z bits)",
                self.weight_bits, self.z_bits, self.fixed.ring_bits, self.fixed.fa
            ));
        }
        Ok(())
    }

    /// Checks that the header's bounds are exactly the format bounds ([`format_bounds`]) of
    /// its formats and activation for the activation circuit taking `x_bits`-bit
    /// pre-activations (a model encrypted by an older build, with bounds computed from its
    /// weights, is refused: re-encrypt it).
    pub fn check_bounds(&self, x_bits: u32) -> Result<(), SessionError> {
        let expected = format_bounds(&self.fixed, x_bits, &self.activation)?;
        if (self.weight_bits, self.z_bits) != expected {
            return Err(SessionError::Model(format!(
                "bounds |W| < 2^{}, |z| < 2^{} differ from this build's format bounds \
                 |W| < 2^{}, |z| < 2^{} (re-encrypt the model with this build)",
                self.weight_bits, self.z_bits, expected.0, expected.1
            )));
        }
        Ok(())
    }
}

/// Reads the activation of a header: name, source (bounded), SHA-256 of the source (checked),
/// then checks the program and evaluates its table.
fn read_activation(r: &mut Reader<'_>) -> Result<FixedActivation, SessionError> {
    let at = r.offset();
    let err = |r: &Reader<'_>, why: String| decode(r.error_at("activation", at, why));
    let name = r
        .bytes64("activation name", MAX_ACTIVATION_NAME as u64)
        .map_err(decode)?;
    let name = std::str::from_utf8(name).map_err(|_| err(r, "name is not UTF-8".into()))?;
    let source = r
        .bytes64("activation source", MAX_ACTIVATION_SOURCE as u64)
        .map_err(decode)?;
    let source = std::str::from_utf8(source)
        .map_err(|_| err(r, format!("the source of activation `{name}` is not UTF-8")))?;
    let sha: [u8; 32] = r.array("activation SHA-256").map_err(decode)?;
    let act = Activation::from_source(name, source, &format!("{name}.dsl (model header)"))
        .map_err(|e| err(r, format!("activation `{name}`: {e}")))?;
    if act.sha256().as_slice() != sha {
        return Err(err(
            r,
            format!("the SHA-256 of activation `{name}` does not match its source"),
        ));
    }
    FixedActivation::new(act).map_err(|e| err(r, format!("activation `{name}`: {e}")))
}

/// Refuses an activation whose source is too long for a model header.
fn check_activation_size(act: &Activation) -> Result<(), SessionError> {
    let (name, source) = (act.name().len(), act.source().len());
    if name > MAX_ACTIVATION_NAME {
        return Err(SessionError::Model(format!(
            "activation name `{}` has {name} bytes, above the limit of {MAX_ACTIVATION_NAME}",
            act.name()
        )));
    }
    if source > MAX_ACTIVATION_SOURCE {
        return Err(SessionError::Model(format!(
            "activation {}: the source has {source} bytes, above the limit of \
             {MAX_ACTIVATION_SOURCE} bytes a model header carries",
            act.file()
        )));
    }
    Ok(())
}

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

/// A model encrypted under the user's key: what the cloud holds.
#[derive(Debug, Clone)]
pub struct EncryptedModel {
    /// Public metadata.
    pub header: ModelHeader,
    /// Encrypted layers, first to last.
    pub layers: Vec<EncryptedLayer>,
}

impl EncryptedModel {
    /// The model owner's step: encrypts `fixed` under `pk` with fresh short-exponent
    /// randomness from the OS-seeded CSPRNG (see the module docs for the assumption), on
    /// both cores, after checking that `pk` is a production key
    /// ([`KeyPolicy::Production`]), that the bridge circuit of its activation exists and that
    /// the weights keep the format bounds ([`format_bounds`]).
    pub fn encrypt(fixed: &FixedMlp, pk: &PublicKey) -> Result<Self, SessionError> {
        KeyPolicy::Production.check(pk, "the user's public key")?;
        Self::encrypt_with_rng(fixed, pk, &mut rand::rng())
    }

    /// [`EncryptedModel::encrypt`] with the randomness drawn from `rng` and without the
    /// production key check: the tests' path to small (insecure) keys. No shipped command
    /// calls it.
    pub fn encrypt_with_rng<R: CryptoRng + ?Sized>(
        fixed: &FixedMlp,
        pk: &PublicKey,
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
        Ok(Self { header, layers })
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

    /// `(inputs, outputs)` per layer.
    pub fn shapes(&self) -> Vec<(usize, usize)> {
        self.layers.iter().map(|l| (l.inputs, l.outputs)).collect()
    }

    /// The model's identity: the SHA-256 checksum of its file form (header and every
    /// ciphertext), under which the fast protocol files its per-user shares.
    pub fn model_hash(&self) -> [u8; 32] {
        let bytes = self.to_bytes();
        let mut h = [0u8; 32];
        h.copy_from_slice(&bytes[bytes.len() - 32..]);
        h
    }

    /// The file form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let pk = &self.header.public_key;
        let header = self.header.to_bytes();
        let mut w = UPLOAD_FILE
            .writer(header.len() + 8 + self.header.parameter_count() * pk.ciphertext_bytes());
        w.put_bytes64(&header);
        for l in &self.layers {
            for c in l.weights.iter().chain(&l.bias) {
                pk.write_ciphertext(c, w.buf());
            }
        }
        w.finish()
    }

    /// Reads the file form, checking the envelope (magic, version, length, checksum), sizes
    /// and every ciphertext.
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
        let header = ModelHeader::read(&mut Reader::at_offset(
            header_bytes,
            "encrypted model header",
            at + 8,
        ))?;
        let pk = header.public_key.clone();
        let width = pk.ciphertext_bytes();
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
        Ok(Self { header, layers })
    }

    /// Writes the file.
    pub fn save(&self, path: &Path) -> Result<(), SessionError> {
        std::fs::write(path, self.to_bytes())
            .map_err(|e| SessionError::Io(format!("{}: {e}", path.display())))
    }

    /// Reads a file.
    pub fn load(path: &Path) -> Result<Self, SessionError> {
        let bytes = std::fs::read(path)
            .map_err(|e| SessionError::Io(format!("{}: {e}", path.display())))?;
        Self::from_bytes(&bytes).map_err(|e| SessionError::Io(format!("{}: {e}", path.display())))
    }
}

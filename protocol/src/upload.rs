//! Model upload (docs/protocol.md §1): the model owner encrypts every weight and bias under the
//! user's Paillier public key and writes one self-checking file the cloud serves from.
//!
//! File layout (all integers little-endian):
//!
//! ```text
//! "GCCNN-EM" | version u32 | header length u32 | header (ModelHeader::to_bytes)
//! | per layer: outputs·inputs weight ciphertexts, then outputs bias ciphertexts (fixed width)
//! | SHA-256 of everything before it
//! ```
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
//! short-exponent randomness ([`crate::fast::fresh::FreshZeros::short_exponent`]): `h = r0^N`
//! for one secret uniform unit `r0` drawn per upload, and a fresh uniform exponent `x` of
//! `⌈bits(N)/2⌉` bits (rounded up to 64) per ciphertext. Semantic security then rests on the
//! decisional composite residuosity assumption (as for textbook Paillier) **plus** the DJN
//! assumption that `h^x` for such short `x` is indistinguishable from a uniform N-th residue
//! `r^N` (Damgård, Jurik, Nielsen, "A generalization of Paillier's public-key system with
//! applications to electronic voting", 2010, §4.2). In exchange each encryption costs about
//! `bits(N)/16` multiplications mod N² from a comb table instead of a full `bits(N)`-bit
//! exponentiation: ≈ 20 s instead of ≈ 400 s for the shipped model at 2048 bits.

use crate::fast::fresh::FreshZeros;
use crate::session::activation::ActivationCircuit;
use crate::session::{KeyPolicy, SessionError};
use crate::wire::{MAX_ACTIVATION_NAME, MAX_ACTIVATION_SOURCE};
use activation::Activation;
use model::fixed::{FixedActivation, FixedMlp, FixedParams};
use paillier::{BigInt, Ciphertext, PublicKey};
use rand::{CryptoRng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::path::Path;

const MAGIC: &[u8; 8] = b"GCCNN-EM";
/// Version of the encrypted model file format (2: the header carries the activation's source
/// and SHA-256 instead of its name alone).
pub const MODEL_FILE_VERSION: u32 = 2;
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

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A reader over a byte slice that names what it is reading in its errors.
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn err(&self, why: impl Into<String>) -> SessionError {
        SessionError::Format {
            what: self.what,
            why: why.into(),
        }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], SessionError> {
        if self.bytes.len() < n {
            return Err(self.err(format!(
                "truncated: {n} more bytes needed, {} left",
                self.bytes.len()
            )));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, SessionError> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(a))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, SessionError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }

    pub(crate) fn blob(&mut self, max: usize) -> Result<&'a [u8], SessionError> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(self.err(format!("field of {n} bytes exceeds {max}")));
        }
        self.take(n)
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
        let pk = self.public_key.to_bytes();
        put_u32(&mut out, pk.len() as u32);
        out.extend_from_slice(&pk);
        put_u32(&mut out, self.fixed.fa);
        put_u32(&mut out, self.fixed.fw);
        put_u32(&mut out, self.fixed.ring_bits);
        out.extend_from_slice(&self.fixed.input_clamp.to_le_bytes());
        for field in [self.activation.name(), self.activation.source()] {
            put_u32(&mut out, field.len() as u32);
            out.extend_from_slice(field.as_bytes());
        }
        out.extend_from_slice(&self.activation.sha256());
        out.extend_from_slice(&self.circuit_hash);
        for v in [self.input_patch, self.output_patch, self.stride] {
            put_u32(&mut out, v);
        }
        put_u32(&mut out, self.widths.len() as u32);
        for &w in &self.widths {
            put_u32(&mut out, w);
        }
        put_u32(&mut out, self.weight_bits);
        put_u32(&mut out, self.z_bits);
        out
    }

    /// Reads and sanity-checks the byte form (shape consistent, sizes bounded).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SessionError> {
        let mut r = Reader {
            bytes,
            what: "model header",
        };
        let pk_bytes = r.blob(MAX_KEY_BYTES)?;
        let public_key =
            PublicKey::from_bytes(pk_bytes).map_err(|e| r.err(format!("public key: {e}")))?;
        let (fa, fw, ring_bits) = (r.u32()?, r.u32()?, r.u32()?);
        let input_clamp = f64::from_bits(r.u64()?);
        let activation = read_activation(&mut r)?;
        let mut circuit_hash = [0u8; 32];
        circuit_hash.copy_from_slice(r.take(32)?);
        let (input_patch, output_patch, stride) = (r.u32()?, r.u32()?, r.u32()?);
        let count = r.u32()?;
        if !(2..=64).contains(&count) {
            return Err(r.err(format!("{count} layer widths (2 to 64 expected)")));
        }
        let widths = (0..count)
            .map(|_| r.u32())
            .collect::<Result<Vec<u32>, _>>()?;
        let (weight_bits, z_bits) = (r.u32()?, r.u32()?);
        if !r.bytes.is_empty() {
            return Err(r.err(format!("{} trailing bytes", r.bytes.len())));
        }
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
        h.check_shape().map_err(|why| r.err(why))?;
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
    let name = r.blob(MAX_ACTIVATION_NAME)?;
    let name = std::str::from_utf8(name).map_err(|_| r.err("activation name is not UTF-8"))?;
    let source = r.blob(MAX_ACTIVATION_SOURCE)?;
    let source = std::str::from_utf8(source)
        .map_err(|_| r.err(format!("the source of activation `{name}` is not UTF-8")))?;
    let sha = r.take(32)?;
    let act = Activation::from_source(name, source, &format!("{name}.dsl (model header)"))
        .map_err(|e| r.err(format!("activation `{name}`: {e}")))?;
    if act.sha256().as_slice() != sha {
        return Err(r.err(format!(
            "the SHA-256 of activation `{name}` does not match its source"
        )));
    }
    FixedActivation::new(act).map_err(|e| r.err(format!("activation `{name}`: {e}")))
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
            let seeds: Vec<[u8; 32]> = crate::fast::cross::seeds(rng, values.len());
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
        let mut out = Vec::with_capacity(
            header.len() + 48 + self.header.parameter_count() * pk.ciphertext_bytes(),
        );
        out.extend_from_slice(MAGIC);
        put_u32(&mut out, MODEL_FILE_VERSION);
        put_u32(&mut out, header.len() as u32);
        out.extend_from_slice(&header);
        for l in &self.layers {
            for c in l.weights.iter().chain(&l.bias) {
                pk.write_ciphertext(c, &mut out);
            }
        }
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }

    /// Reads the file form, checking magic, version, checksum, sizes and every ciphertext.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SessionError> {
        let bad = |why: String| SessionError::Format {
            what: "encrypted model",
            why,
        };
        if bytes.len() < 16 + 32 || &bytes[..8] != MAGIC {
            return Err(bad(
                "not a gcc-nn encrypted model (made by `gcc-nn model encrypt`)".into(),
            ));
        }
        let (body, digest) = bytes.split_at(bytes.len() - 32);
        let mut r = Reader {
            bytes: &body[8..],
            what: "encrypted model",
        };
        let version = r.u32()?;
        if version != MODEL_FILE_VERSION {
            return Err(bad(format!(
                "file format version {version}, this build reads {MODEL_FILE_VERSION}"
            )));
        }
        if Sha256::digest(body).as_slice() != digest {
            return Err(bad(
                "checksum mismatch: the file is corrupt or truncated".into()
            ));
        }
        let header = ModelHeader::from_bytes(r.blob(MAX_HEADER)?)?;
        let pk = header.public_key.clone();
        let width = pk.ciphertext_bytes();
        // parameter_count ≤ MAX_PARAMETERS (checked with the header): no overflow, and the
        // length check below bounds every allocation by the file's own size.
        let expected = header.parameter_count().saturating_mul(width);
        if r.bytes.len() != expected {
            return Err(bad(format!(
                "{} bytes of ciphertexts where the header's shape needs {expected}",
                r.bytes.len()
            )));
        }
        let mut read = |count: usize| -> Result<Vec<Ciphertext>, SessionError> {
            let chunk = r.take(count * width)?;
            chunk
                .chunks(width)
                .map(|c| {
                    pk.read_ciphertext(c)
                        .map_err(|e| bad(format!("ciphertext: {e}")))
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

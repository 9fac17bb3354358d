//! The public header of an encrypted model ([`ModelHeader`]) and the format bounds it states
//! ([`format_bounds`]); the header's byte form is what the owner signs
//! ([`super::seal`]) and what the cloud offers in the handshake.

use crate::error::ProtocolError as SessionError;
use crate::wire::{MAX_ACTIVATION_NAME, MAX_ACTIVATION_SOURCE};
use activation::Activation;
use bytes::{DecodeError, Put, Reader};
use model::fixed::{FixedActivation, FixedParams};
use paillier::PublicKey;
use std::ops::Range;

use super::MAX_PARAMETERS;
use crate::wire::{MAX_MODEL_KEY_BYTES as MAX_KEY_BYTES, MAX_MODEL_WIDTH as MAX_WIDTH};

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

/// A byte form being written, with the span of every field ([`ModelHeader::layout`]).
#[derive(Default)]
struct Fields {
    bytes: Vec<u8>,
    spans: Vec<(&'static str, Range<usize>)>,
}

impl Fields {
    /// Appends the field `name` written by `write`.
    fn field(&mut self, name: &'static str, write: impl FnOnce(&mut Vec<u8>)) {
        let start = self.bytes.len();
        write(&mut self.bytes);
        self.spans.push((name, start..self.bytes.len()));
    }

    /// Appends a byte string: its u64 length (the field `length`), then `data` (`name`).
    fn bytes64(&mut self, (length, name): (&'static str, &'static str), data: &[u8]) {
        self.field(length, |o| o.put_u64(data.len() as u64));
        self.field(name, |o| o.put(data));
    }
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
pub(super) fn decode(e: DecodeError) -> SessionError {
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
        self.encode().bytes
    }

    /// Where each field of the byte form lies, in order (the names the reader's errors
    /// use; a byte string is two fields, `… length` and its content): what tests and
    /// tools locate a field by instead of counting bytes.
    pub fn layout(&self) -> Vec<(&'static str, Range<usize>)> {
        self.encode().spans
    }

    /// The byte form with its field spans: the one place the field order is written.
    fn encode(&self) -> Fields {
        let mut f = Fields::default();
        f.bytes64(
            ("public key length", "public key"),
            &self.public_key.to_bytes(),
        );
        f.field("Fa", |o| o.put_u32(self.fixed.fa));
        f.field("Fw", |o| o.put_u32(self.fixed.fw));
        f.field("ring bits", |o| o.put_u32(self.fixed.ring_bits));
        f.field("input clamp", |o| {
            o.put(&self.fixed.input_clamp.to_le_bytes())
        });
        f.bytes64(
            ("activation name length", "activation name"),
            self.activation.name().as_bytes(),
        );
        f.bytes64(
            ("activation source length", "activation source"),
            self.activation.source().as_bytes(),
        );
        f.field("activation SHA-256", |o| o.put(&self.activation.sha256()));
        f.field("circuit hash", |o| o.put(&self.circuit_hash));
        f.field("input patch", |o| o.put_u32(self.input_patch));
        f.field("output patch", |o| o.put_u32(self.output_patch));
        f.field("stride", |o| o.put_u32(self.stride));
        f.field("layer width count", |o| o.put_u32(self.widths.len() as u32));
        f.field("layer widths", |o| {
            self.widths.iter().for_each(|&w| o.put_u32(w))
        });
        f.field("weight bits", |o| o.put_u32(self.weight_bits));
        f.field("z bits", |o| o.put_u32(self.z_bits));
        f
    }

    /// Reads and sanity-checks the byte form (shape consistent, sizes bounded).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SessionError> {
        Self::read(&mut Reader::new(bytes, "model header"))
    }

    /// Reads the header from `r` (all of it: trailing bytes are an error).
    pub(super) fn read(r: &mut Reader<'_>) -> Result<Self, SessionError> {
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
    pub(super) fn check_shape(&self) -> Result<(), String> {
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
pub(super) fn check_activation_size(act: &Activation) -> Result<(), SessionError> {
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

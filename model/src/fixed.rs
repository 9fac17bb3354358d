//! The exact fixed-point denoiser that the secure protocols reproduce bit for bit.
//!
//! All fixed-point parameters live in [`FIXED`] (docs/protocol.md §0):
//!
//! - inputs and activations carry `Fa = 12` fractional bits (the activation format is
//!   `fixed<16, 12>`, [`activation::FA`]); an input pixel is normalised,
//!   clamped to `[-8, 8]` (pixel values −153 … 561, more than 6σ outside [0, 255] at σ = 25)
//!   and rounded to nearest: `p = round(clamp(p, −8, 8)·2^Fa)`;
//! - weights carry `Fw = 12`: `W = round(w·2^Fw)`; biases are stored at `Fw + Fa = 24`;
//! - a pre-activation `z = W·a + b` is exact at scale `Fw + Fa` and lives in the ring
//!   `Z_2^K`, `K = 40`, read as signed; the activation floors `z` by `2^Fw` (the free shift
//!   of the circuit), saturates to `fixed<16, 12>` and applies the activation's DSL program,
//!   through its 65,536-entry table ([`FixedActivation`]: the same program the secure
//!   wrappers link, evaluated by the DSL interpreter);
//! - the last layer has no activation: its `q` (scale `Fw + Fa`) is added to the input
//!   centre (`p·2^Fw`) and mapped back to pixels in floating point.
//!
//! Bound: with |p| ≤ 8·2^Fa and |activation| ≤ A (the largest |f| in the activation's table,
//! public: 2^Fa for the tanh family, 8·2^Fa − 1 for ReLU), `|z_i| ≤ Σ_j |W_ij|·A + |b_i|` for
//! every image whatsoever; [`FixedMlp::z_bounds`] computes it per layer from the weights,
//! and [`FixedMlp::from_model`] refuses a model whose bound reaches `2^(K−1)`. For the
//! shipped model the bound is about 2^30 and real images reach about 2^26 (`tests/model_fixed.rs`).

use crate::error::{ModelError, Result};
use crate::mlp::{Layer, Mlp};
use crate::patches::PatchGeometry;
use activation::Activation;
use std::sync::Arc;

/// Rounds `v` to the nearest integer, halves away from zero (the DSL's literal rule).
pub fn round_half_away(v: f64) -> i64 {
    v.round() as i64
}

/// Two's-complement wrap of `v` to `bits` bits.
pub fn wrap_signed(v: i128, bits: u32) -> i128 {
    let m = 1i128 << bits;
    let r = v.rem_euclid(m);
    if r >= m / 2 { r - m } else { r }
}

/// An activation with its table evaluated: the fixed-point reference's f(sat(x)), infallible
/// once built. Dereferences to the [`Activation`] (name, source, SHA-256, wrappers).
#[derive(Clone, Debug)]
pub struct FixedActivation {
    activation: Activation,
    table: Arc<[i16]>,
    max_abs: i64,
}

impl PartialEq for FixedActivation {
    fn eq(&self, other: &Self) -> bool {
        self.activation == other.activation
    }
}

impl std::ops::Deref for FixedActivation {
    type Target = Activation;
    fn deref(&self) -> &Activation {
        &self.activation
    }
}

impl FixedActivation {
    /// Evaluates `activation` on every input of the activation format (once per
    /// [`Activation`]; the DSL interpreter on its program).
    pub fn new(activation: Activation) -> Result<Self> {
        let table: Arc<[i16]> = Arc::from(activation.table()?);
        let max_abs = table.iter().map(|&v| i64::from(v).abs()).max().unwrap_or(0);
        Ok(Self {
            activation,
            table,
            max_abs,
        })
    }

    /// The shipped activation `name` (`tanh`, `tanh_fit`, `relu`, `gelu`, …), evaluated.
    pub fn shipped(name: &str) -> Result<Self> {
        Self::new(Activation::shipped(name)?)
    }

    /// The activation.
    pub fn activation(&self) -> &Activation {
        &self.activation
    }

    /// f(sat(x)) for a raw value `x` at `Fa` fractional bits: saturated into the activation
    /// format (as every wrapper does), then looked up. Returns the raw output.
    pub fn eval(&self, x: i64) -> i64 {
        let i = i64::from(activation::saturate(x)) - activation::MIN_RAW;
        // saturate() keeps i in 0..TABLE_LEN, the table's length.
        self.table.get(i as usize).map_or(0, |&v| i64::from(v))
    }

    /// The largest |f(x)| over every input (raw): public, it bounds every hidden layer's
    /// inputs (2^Fa for the tanh family, 8·2^Fa − 1 for ReLU).
    pub fn max_abs(&self) -> i64 {
        self.max_abs
    }
}

/// Fixed-point formats of the plaintext reference and the protocols.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FixedParams {
    /// Fractional bits of inputs and activations.
    pub fa: u32,
    /// Fractional bits of weights.
    pub fw: u32,
    /// Ring size exponent K: pre-activations live in `Z_2^K`.
    pub ring_bits: u32,
    /// Inputs are clamped to `[-input_clamp, input_clamp]` (normalised units).
    pub input_clamp: f64,
}

/// The one set of fixed-point parameters used everywhere.
pub const FIXED: FixedParams = FixedParams {
    fa: 12,
    fw: 12,
    ring_bits: 40,
    input_clamp: 8.0,
};

impl FixedParams {
    /// Fractional bits of pre-activations and of the output `q`: `Fw + Fa`.
    pub fn z_frac(&self) -> u32 {
        self.fw + self.fa
    }

    /// Quantises one normalised input value.
    pub fn quantise_input(&self, p: f64) -> i64 {
        round_half_away(p.clamp(-self.input_clamp, self.input_clamp) * f64::from(1u32 << self.fa))
    }

    /// The activation on a pre-activation `z` (raw, scale `Fw + Fa`, already read as a
    /// signed ring element): floor by `2^Fw`, saturate to `fixed<16, 12>`, apply `act`.
    pub fn act_fixed(&self, z: i64, act: &FixedActivation) -> i64 {
        act.eval(z >> self.fw)
    }
}

/// One layer with raw integer weights (`Fw` fractional bits) and biases (`Fw + Fa`).
pub type FixedDense = Layer<i64>;

/// A model quantised to [`FixedParams`], with its activation.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedMlp {
    /// The formats.
    pub params: FixedParams,
    /// The activation every hidden layer applies, evaluated.
    pub activation: FixedActivation,
    /// Input patch side.
    pub input_patch: usize,
    /// Output patch side.
    pub output_patch: usize,
    /// Default stride.
    pub stride: usize,
    /// Layers, first to last.
    pub layers: Vec<FixedDense>,
}

impl FixedMlp {
    /// Quantises `model` for `activation` (its table is evaluated here, once per
    /// [`Activation`]); errors if some pre-activation could leave the ring's signed range.
    pub fn from_model(model: &Mlp, params: FixedParams, activation: Activation) -> Result<Self> {
        Self::from_model_evaluated(model, params, FixedActivation::new(activation)?)
    }

    /// [`FixedMlp::from_model`] with an already evaluated activation.
    pub fn from_model_evaluated(
        model: &Mlp,
        params: FixedParams,
        activation: FixedActivation,
    ) -> Result<Self> {
        let (sw, sb) = (
            f64::from(1u32 << params.fw),
            (1u64 << params.z_frac()) as f64,
        );
        let layers = model
            .layers
            .iter()
            .map(|l| FixedDense {
                inputs: l.inputs,
                outputs: l.outputs,
                weights: l
                    .weights
                    .iter()
                    .map(|&w| round_half_away(f64::from(w) * sw))
                    .collect(),
                bias: l
                    .bias
                    .iter()
                    .map(|&b| round_half_away(f64::from(b) * sb))
                    .collect(),
            })
            .collect();
        let fixed = Self {
            params,
            activation,
            input_patch: model.input_patch,
            output_patch: model.output_patch,
            stride: model.stride,
            layers,
        };
        let limit = 1i128 << (params.ring_bits - 1);
        for (i, b) in fixed.z_bounds().iter().enumerate() {
            if i128::from(*b) >= limit {
                return Err(ModelError::FixedOverflow(format!(
                    "layer {} pre-activations may reach {b} ≥ 2^{} (ring K = {})",
                    i + 1,
                    params.ring_bits - 1,
                    params.ring_bits
                )));
            }
        }
        Ok(fixed)
    }

    /// Worst-case |z| per layer over every possible input (see the module docs).
    pub fn z_bounds(&self) -> Vec<i64> {
        let mut a_max: i128 =
            round_half_away(self.params.input_clamp * f64::from(1u32 << self.params.fa)).into();
        let mut out = Vec::new();
        for l in &self.layers {
            let worst = (0..l.outputs)
                .map(|o| {
                    let row = l.row(o);
                    row.iter().map(|&w| i128::from(w).abs()).sum::<i128>() * a_max
                        + i128::from(l.bias[o]).abs()
                })
                .max()
                .unwrap_or(0);
            out.push(i64::try_from(worst).unwrap_or(i64::MAX));
            a_max = self.activation.max_abs().into();
        }
        out
    }

    /// The patch geometry at stride `stride`.
    pub fn geometry(&self, stride: usize) -> Result<PatchGeometry> {
        PatchGeometry::new(self.input_patch, self.output_patch, stride)
    }

    /// Runs one quantised input patch; returns the raw output `q` (scale `Fw + Fa`) and
    /// the largest |z| met on the way.
    pub fn forward(&self, input: &[i64]) -> (Vec<i64>, i64) {
        let mut a: Vec<i64> = input.to_vec();
        let mut max_z = 0i64;
        let n = self.layers.len();
        for (li, l) in self.layers.iter().enumerate() {
            let mut next = Vec::with_capacity(l.outputs);
            for o in 0..l.outputs {
                let s: i128 = l
                    .row(o)
                    .iter()
                    .zip(&a)
                    .map(|(&w, &x)| i128::from(w) * i128::from(x))
                    .sum::<i128>()
                    + i128::from(l.bias[o]);
                let z = wrap_signed(s, self.params.ring_bits) as i64;
                max_z = max_z.max(z.abs());
                next.push(if li + 1 < n {
                    self.params.act_fixed(z, &self.activation)
                } else {
                    z
                });
            }
            a = next;
        }
        (a, max_z)
    }
}

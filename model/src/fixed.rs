//! The exact fixed-point denoiser that the secure protocols reproduce bit for bit.
//!
//! All fixed-point parameters live in [`FIXED`] (docs/protocol.md §0):
//!
//! - inputs and activations carry `Fa = 12` fractional bits (the DSL activation format is
//!   `fixed<16, 12>`, see [`crate::activation::ACT_FRAC`]); an input pixel is normalised,
//!   clamped to `[-8, 8]` (pixel values −153 … 561, more than 6σ outside [0, 255] at σ = 25)
//!   and rounded to nearest: `p = round(clamp(p, −8, 8)·2^Fa)`;
//! - weights carry `Fw = 12`: `W = round(w·2^Fw)`; biases are stored at `Fw + Fa = 24`;
//! - a pre-activation `z = W·a + b` is exact at scale `Fw + Fa` and lives in the ring
//!   `Z_2^K`, `K = 40`, read as signed; the activation floors `z` by `2^Fw` (the free shift
//!   of the circuit), saturates to `fixed<16, 12>` and applies the piecewise quadratic;
//! - the last layer has no activation: its `q` (scale `Fw + Fa`) is added to the input
//!   centre (`p·2^Fw`) and mapped back to pixels in floating point.
//!
//! Bound: with |p| ≤ 8·2^Fa and |activation| ≤ 2^Fa, `|z_i| ≤ Σ_j |W_ij|·A + |b_i|` for
//! every image whatsoever; [`FixedMlp::z_bounds`] computes it per layer from the weights,
//! and [`FixedMlp::from_model`] refuses a model whose bound reaches `2^(K−1)`. For the
//! shipped model the bound is about 2^30 and real images reach about 2^26 (`tests/model_fixed.rs`).

use crate::activation::{ACT_BITS, PiecewiseQuadratic, round_half_away, wrap_signed};
use crate::error::{ModelError, Result};
use crate::mlp::Mlp;
use crate::patches::PatchGeometry;

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
    pub fn act_fixed(&self, z: i64, act: &PiecewiseQuadratic) -> i64 {
        let x = z >> self.fw;
        let lim = 1i64 << (ACT_BITS - 1);
        act.eval_fixed(x.clamp(-lim, lim - 1))
    }
}

/// One layer with integer weights (`Fw`) and biases (`Fw + Fa`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedDense {
    /// Number of inputs.
    pub inputs: usize,
    /// Number of outputs.
    pub outputs: usize,
    /// Raw weights, row-major `[outputs][inputs]`.
    pub weights: Vec<i64>,
    /// Raw biases.
    pub bias: Vec<i64>,
}

/// A model quantised to [`FixedParams`], with its activation.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedMlp {
    /// The formats.
    pub params: FixedParams,
    /// The activation every hidden layer applies.
    pub activation: PiecewiseQuadratic,
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
    /// Quantises `model`; errors if some pre-activation could leave the ring's signed range.
    pub fn from_model(
        model: &Mlp,
        params: FixedParams,
        activation: PiecewiseQuadratic,
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
                    let row = &l.weights[o * l.inputs..(o + 1) * l.inputs];
                    row.iter().map(|&w| i128::from(w).abs()).sum::<i128>() * a_max
                        + i128::from(l.bias[o]).abs()
                })
                .max()
                .unwrap_or(0);
            out.push(i64::try_from(worst).unwrap_or(i64::MAX));
            a_max = 1 << self.params.fa;
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
                let row = &l.weights[o * l.inputs..(o + 1) * l.inputs];
                let s: i128 = row
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

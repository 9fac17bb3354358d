//! The residual tanh MLP denoiser (float weights) and its versioned file format.
//!
//! The network maps a normalised `input`×`input` noisy patch `p` to a correction `q` of its
//! centre `output`×`output` block: the denoised block is `centre(p) + q`, mapped back to
//! pixels with `(y·0.2 + 0.5)·255`. Hidden layers use tanh (or an approximation of it);
//! the last layer is linear. Adding `centre(p)` is done by the user, who holds `p`.
//!
//! File format, version 3: the [`bytes`] envelope ([`MODEL_FILE`]: `"GCCNNMLP"`, `u32`
//! version, `u64` body length, body, SHA-256 of all bytes before it) around a little-endian
//! body: the activation the model was trained for ([`ModelActivation`]: `u8` name length n,
//! 1 ≤ n ≤ 64, n bytes of UTF-8 name without control characters, the SHA-256 of its DSL
//! source [32]), then `u32` input patch, `u32` output patch, `u32` default stride, `f32`
//! training σ, `u32` layer count L, L+1 × `u32` widths, then per layer the weights (`f32`,
//! row-major `[out][in]`) and the biases (`f32`).
//!
//! Version 2 (the same body without the activation) named no activation, so a ReLU model run
//! with the default tanh_fit gave wrong images silently: it is refused, with the remedy
//! `gcc-nn model upgrade OLD --activation NAME -o NEW` ([`Mlp::from_v2_bytes`], weights
//! copied bit for bit). Version 1 (no length field) is refused as written by an older gcc-nn.

use crate::error::{ModelError, Result};
pub use crate::model_activation::{MAX_ACTIVATION_NAME, ModelActivation};
use crate::patches::PatchGeometry;
use bytes::{DecodeError, Format, Put, Reader};
use std::path::Path;

/// The model file format version written by [`Mlp::to_bytes`].
pub const FORMAT_VERSION: u32 = 3;
/// The model file envelope.
pub const MODEL_FILE: Format = Format {
    what: "model",
    magic: *b"GCCNNMLP",
    version: FORMAT_VERSION,
    max_body: ACTIVATION_BYTES + V2_MAX_BODY,
    remedy: "a version-2 file names no activation: convert it with `gcc-nn model upgrade FILE \
             --activation NAME -o NEW` (NAME: the activation it was trained for, tanh_fit for \
             gcc-nn's tanh models, relu for ReLU ones); an older file: train it again with \
             `gcc-nn train`",
    legacy_prefixes: &[],
};
/// The version-2 envelope (no activation), read only by [`Mlp::from_v2_bytes`].
pub const MODEL_FILE_V2: Format = Format {
    version: 2,
    max_body: V2_MAX_BODY,
    remedy: "train it again with `gcc-nn train`",
    ..MODEL_FILE
};
/// Largest body of version 2: the header fields, the widths and the parameters.
const V2_MAX_BODY: u64 = 24 + 4 * (MAX_LAYERS as u64 + 1) + 4 * MAX_PARAMETERS;
/// Largest activation section of version 3: name length, name, SHA-256.
const ACTIVATION_BYTES: u64 = 1 + MAX_ACTIVATION_NAME as u64 + 32;
/// Most layers a model file may declare.
pub const MAX_LAYERS: u32 = 64;
/// Widest layer a model file may declare.
pub const MAX_LAYER_WIDTH: u32 = 1 << 16;
/// Largest input patch side a model file may declare (the shipped model: 17).
pub const MAX_PATCH_SIDE: u32 = 255;
/// Most weights and biases a model file may declare in total (2^24: 64 MiB of `f32`).
pub const MAX_PARAMETERS: u64 = 1 << 24;

/// One fully connected layer `z = W·a + b` with values of type `T`: `f32` in the trained
/// model ([`Dense`]), raw fixed-point integers in the quantised one
/// ([`crate::fixed::FixedDense`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer<T> {
    /// Number of inputs.
    pub inputs: usize,
    /// Number of outputs.
    pub outputs: usize,
    /// Weights, row-major `[outputs][inputs]`.
    pub weights: Vec<T>,
    /// Biases, `outputs` of them.
    pub bias: Vec<T>,
}

/// A layer of the trained model (float weights and biases).
pub type Dense = Layer<f32>;

impl<T> Layer<T> {
    /// The weights into output `o` (row `o` of `W`, `inputs` of them).
    pub fn row(&self, o: usize) -> &[T] {
        &self.weights[o * self.inputs..(o + 1) * self.inputs]
    }

    /// Weights and biases of the layer.
    pub fn parameters(&self) -> usize {
        self.weights.len() + self.bias.len()
    }
}

/// A trained residual MLP denoiser.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// Side of the input patch.
    pub input_patch: usize,
    /// Side of the output patch.
    pub output_patch: usize,
    /// Stride the model is meant to be run at.
    pub stride: usize,
    /// Noise level (σ on the [0, 255] scale) it was trained for.
    pub sigma: f32,
    /// Layers, first to last; all but the last are followed by the activation.
    pub layers: Vec<Dense>,
    /// The activation it was trained for (what every run uses unless told otherwise, and
    /// only if the source agrees: [`ModelActivation::resolve`]).
    pub activation: ModelActivation,
}

impl Mlp {
    /// Builds a model for the shipped `tanh_fit` (set another with
    /// [`Mlp::with_activation`]) and checks that the layer shapes chain and fit the patch
    /// sizes.
    pub fn new(
        input_patch: usize,
        output_patch: usize,
        stride: usize,
        sigma: f32,
        layers: Vec<Dense>,
    ) -> Result<Self> {
        let m = Self {
            input_patch,
            output_patch,
            stride,
            sigma,
            layers,
            activation: ModelActivation::shipped(DEFAULT_ACTIVATION)?,
        };
        m.validate()?;
        Ok(m)
    }

    /// A model of this shape with every weight and bias zero, for the shipped `tanh_fit`:
    /// `input`×`input` patches → `hidden` widths → `output`×`output`, at `stride` (what the
    /// cost model prices: the cost does not depend on the weights).
    pub fn zeros(input: usize, hidden: &[usize], output: usize, stride: usize) -> Result<Self> {
        let mut widths = vec![input * input];
        widths.extend(hidden);
        widths.push(output * output);
        let declared: u64 = widths
            .windows(2)
            .map(|p| (p[0] as u64) * (p[1] as u64) + p[1] as u64)
            .sum();
        // The cost model prices larger networks than a file may hold (the paper's: 2^24.7).
        if declared > 1 << 28 {
            return Err(ModelError::ShapeMismatch(format!(
                "{declared} parameters is more than a priced network may have (2^28)"
            )));
        }
        let layers = widths
            .windows(2)
            .map(|p| Dense {
                inputs: p[0],
                outputs: p[1],
                weights: vec![0.0; p[0] * p[1]],
                bias: vec![0.0; p[1]],
            })
            .collect();
        Self::new(input, output, stride, 25.0, layers)
    }

    /// The same model for `activation`.
    pub fn with_activation(mut self, activation: ModelActivation) -> Self {
        self.activation = activation;
        self
    }

    /// The activation of a run of this model: [`ModelActivation::resolve`] (`explicit` only
    /// if its source has the model's hash; without it, the model's own).
    pub fn activation_for(
        &self,
        explicit: Option<activation::Activation>,
    ) -> Result<activation::Activation> {
        self.activation.resolve(explicit)
    }

    fn validate(&self) -> Result<()> {
        PatchGeometry::new(self.input_patch, self.output_patch, self.stride)?;
        let first = self
            .layers
            .first()
            .ok_or_else(|| ModelError::ShapeMismatch("no layers".into()))?;
        if first.inputs != self.input_patch * self.input_patch {
            return Err(ModelError::ShapeMismatch(format!(
                "first layer takes {} inputs, the {}x{} input patch has {}",
                first.inputs,
                self.input_patch,
                self.input_patch,
                self.input_patch * self.input_patch
            )));
        }
        for (i, pair) in self.layers.windows(2).enumerate() {
            if pair[0].outputs != pair[1].inputs {
                return Err(ModelError::ShapeMismatch(format!(
                    "layer {} has {} outputs but layer {} takes {} inputs",
                    i + 1,
                    pair[0].outputs,
                    i + 2,
                    pair[1].inputs
                )));
            }
        }
        for (i, l) in self.layers.iter().enumerate() {
            if l.weights.len() != l.inputs * l.outputs || l.bias.len() != l.outputs {
                return Err(ModelError::ShapeMismatch(format!(
                    "layer {} buffers do not match its shape",
                    i + 1
                )));
            }
            if l.weights.iter().chain(&l.bias).any(|v| !v.is_finite()) {
                return Err(ModelError::ShapeMismatch(format!(
                    "layer {} has non-finite values",
                    i + 1
                )));
            }
        }
        let last = self.layers.last().map_or(0, |l| l.outputs);
        if last != self.output_patch * self.output_patch {
            return Err(ModelError::ShapeMismatch(format!(
                "last layer gives {last} outputs, the {}x{} output patch needs {}",
                self.output_patch,
                self.output_patch,
                self.output_patch * self.output_patch
            )));
        }
        Ok(())
    }

    /// The patch geometry at the model's own stride.
    pub fn geometry(&self) -> PatchGeometry {
        PatchGeometry {
            input: self.input_patch,
            output: self.output_patch,
            stride: self.stride,
        }
    }

    /// Layer widths, input first.
    pub fn widths(&self) -> Vec<usize> {
        let mut w = vec![self.layers.first().map_or(0, |l| l.inputs)];
        w.extend(self.layers.iter().map(|l| l.outputs));
        w
    }

    /// Total number of weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.layers.iter().map(Layer::parameters).sum()
    }

    /// Runs the network on one normalised patch with activation `act`, returning the
    /// correction `q` (not yet added to the centre).
    pub fn forward(&self, patch: &[f64], act: impl Fn(f64) -> f64) -> Vec<f64> {
        let mut a: Vec<f64> = patch.to_vec();
        let n = self.layers.len();
        for (li, l) in self.layers.iter().enumerate() {
            let mut z = Vec::with_capacity(l.outputs);
            for o in 0..l.outputs {
                let s: f64 = l
                    .row(o)
                    .iter()
                    .zip(&a)
                    .map(|(&w, &x)| f64::from(w) * x)
                    .sum();
                z.push(s + f64::from(l.bias[o]));
            }
            if li + 1 < n {
                z.iter_mut().for_each(|v| *v = act(*v));
            }
            a = z;
        }
        a
    }

    /// Serialises to the versioned binary format (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let params = self.parameter_count();
        let name = self.activation.name().as_bytes();
        let mut w =
            MODEL_FILE.writer(1 + name.len() + 32 + 24 + 4 * (self.layers.len() + 1) + 4 * params);
        // A ModelActivation's name is 1..=64 bytes (checked when it was made).
        w.put(&[name.len() as u8]);
        w.put(name);
        w.put(&self.activation.sha256());
        for v in [
            self.input_patch as u32,
            self.output_patch as u32,
            self.stride as u32,
        ] {
            w.put_u32(v);
        }
        w.put(&self.sigma.to_le_bytes());
        w.put_u32(self.layers.len() as u32);
        for width in self.widths() {
            w.put_u32(width as u32);
        }
        for l in &self.layers {
            for v in l.weights.iter().chain(&l.bias) {
                w.put(&v.to_le_bytes());
            }
        }
        w.finish()
    }

    /// Parses the binary format (version 3); `what` names the source in errors.
    pub fn from_bytes(bytes: &[u8], what: &str) -> Result<Self> {
        let (bad, decode) = errors(what);
        let mut r = MODEL_FILE.open(bytes).map_err(decode)?;
        let n = usize::from(r.u8("activation name length").map_err(decode)?);
        let name = r.take("activation name", n).map_err(decode)?;
        let name = std::str::from_utf8(name)
            .map_err(|e| bad(format!("activation name is not UTF-8: {e}")))?;
        crate::model_activation::check_name(name)
            .map_err(|m| bad(format!("activation name: {m}")))?;
        let sha256 = r.array::<32>("activation hash").map_err(decode)?;
        let activation = ModelActivation::new(name, sha256)?;
        Ok(Self::parse_body(r, what)?.with_activation(activation))
    }

    /// Parses a version-2 file (no activation) as a model for `activation`: the converter
    /// of `gcc-nn model upgrade` (weights and biases copied bit for bit).
    pub fn from_v2_bytes(bytes: &[u8], what: &str, activation: ModelActivation) -> Result<Self> {
        let (_, decode) = errors(what);
        let r = MODEL_FILE_V2.open(bytes).map_err(decode)?;
        Ok(Self::parse_body(r, what)?.with_activation(activation))
    }

    /// The format version a model file declares (bytes 8..12), if it has the magic.
    pub fn file_version(bytes: &[u8]) -> Option<u32> {
        let head = bytes.get(..12)?;
        (head[..8] == MODEL_FILE.magic)
            .then(|| u32::from_le_bytes([head[8], head[9], head[10], head[11]]))
    }

    /// The body after the activation (the whole body of version 2): shape, σ, widths,
    /// parameters; the model it gives is for [`DEFAULT_ACTIVATION`] until the caller sets
    /// the file's.
    fn parse_body(mut r: Reader<'_>, what: &str) -> Result<Self> {
        let (bad, decode) = errors(what);
        let over = |field: &str, value: u64, limit: u64| {
            bad(format!("{field} {value} is outside 1..={limit}"))
        };
        let mut side = |field: &str| -> Result<usize> {
            let v = r.u32(field).map_err(decode)?;
            if v == 0 || v > MAX_PATCH_SIDE {
                return Err(over(field, v.into(), MAX_PATCH_SIDE.into()));
            }
            Ok(v as usize)
        };
        let input_patch = side("input patch side")?;
        let output_patch = side("output patch side")?;
        let stride = side("stride")?;
        let sigma = f32::from_bits(r.u32("training sigma").map_err(decode)?);
        if !sigma.is_finite() || sigma < 0.0 {
            return Err(bad(format!("training sigma {sigma} is not a finite σ ≥ 0")));
        }
        let n_layers = r.u32("layer count").map_err(decode)?;
        if n_layers == 0 || n_layers > MAX_LAYERS {
            return Err(over("layer count", n_layers.into(), MAX_LAYERS.into()));
        }
        let n_layers = n_layers as usize;
        let mut widths = Vec::with_capacity(n_layers + 1);
        for _ in 0..=n_layers {
            let w = r.u32("layer width").map_err(decode)?;
            if w == 0 || w > MAX_LAYER_WIDTH {
                return Err(over("layer width", w.into(), MAX_LAYER_WIDTH.into()));
            }
            widths.push(w as usize);
        }
        // Declared parameters: checked against the limit and the bytes present before
        // anything is allocated for them.
        let declared: u64 = widths
            .windows(2)
            .map(|p| (p[0] as u64) * (p[1] as u64) + p[1] as u64)
            .sum();
        if declared > MAX_PARAMETERS {
            return Err(bad(format!(
                "parameter count {declared} exceeds the limit of {MAX_PARAMETERS}"
            )));
        }
        let left = r.remaining() as u64;
        if declared * 4 != left {
            return Err(bad(format!(
                "layer widths declare {declared} parameters ({} bytes) but {left} bytes follow",
                declared * 4
            )));
        }
        let mut layers = Vec::with_capacity(n_layers);
        for pair in widths.windows(2) {
            let (inputs, outputs) = (pair[0], pair[1]);
            let mut read = |n: usize, field: &str| -> Result<Vec<f32>> {
                (0..n)
                    .map(|_| r.u32(field).map(f32::from_bits).map_err(decode))
                    .collect()
            };
            let weights = read(inputs * outputs, "weights")?;
            let bias = read(outputs, "biases")?;
            layers.push(Dense {
                inputs,
                outputs,
                weights,
                bias,
            });
        }
        r.finish().map_err(decode)?;
        Self::new(input_patch, output_patch, stride, sigma, layers)
    }

    /// Reads a model file (version 3).
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// Writes a model file.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::image_file::write_replacing(path, &self.to_bytes())
    }
}

/// The activation of a model built in memory without one ([`Mlp::new`]): the shipped
/// default of every secure run.
pub const DEFAULT_ACTIVATION: &str = "tanh_fit";

/// The error makers of the decoder: a message about `what`, and a [`DecodeError`] as one.
fn errors(
    what: &str,
) -> (
    impl Fn(String) -> ModelError + Copy + '_,
    impl Fn(DecodeError) -> ModelError + Copy + '_,
) {
    let bad = move |message: String| ModelError::BadModelFile {
        what: what.to_string(),
        message,
    };
    let decode = move |e: DecodeError| {
        if e.field == "magic" {
            bad("not a gcc-nn model (magic \"GCCNNMLP\" missing)".into())
        } else {
            bad(format!("{} at byte {}: {}", e.field, e.offset, e.reason))
        }
    };
    (bad, decode)
}

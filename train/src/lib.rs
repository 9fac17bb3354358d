//! Training the residual MLP denoiser with candle (autograd; Adam written here so that its
//! state can be checkpointed), apart from the inference crate `gcc-nn-model` so that nothing
//! downstream of inference (the secure protocols) depends on candle.
//!
//! Samples are random `input`×`input` crops of the training images, randomly flipped and
//! rotated, with fresh Gaussian noise each time; the loss is the mean squared error of
//! `centre(p) + q` against the clean centre, in normalised units. Everything random comes
//! from one ChaCha12 generator seeded with [`TrainSpec::seed`], so a run is repeatable for a
//! given configuration, and a run stopped at a checkpoint and resumed ([`checkpoint`]) gives
//! the same model as one that was never stopped.
//!
//! - [`config`]: the configuration and its JSON file ([`TrainSpec`], [`TrainActivation`]);
//! - [`checkpoint`]: the resumable state of a run.

pub mod checkpoint;
pub mod config;

pub use checkpoint::{Checkpoint, Moments};
pub use config::{TrainActivation, TrainSpec};

use candle_core::backprop::GradStore;
use candle_core::{Device, Tensor, Var};
use indicatif::{ProgressBar, ProgressStyle};
use model::error::{ModelError, Result};
use model::gray::GrayImage;
use model::metrics::standard_normal;
use model::mlp::{Dense, Mlp};
use model::patches::normalise;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;
use std::path::PathBuf;

/// A training run: the configuration, and how it starts and keeps its state.
#[derive(Clone, Debug, Default)]
pub struct TrainConfig {
    /// What to train.
    pub spec: TrainSpec,
    /// Show a progress bar.
    pub progress: bool,
    /// Start from these weights (same shape) instead of random ones: continues training
    /// with a fresh optimiser and schedule.
    pub init: Option<Mlp>,
    /// Where to write a checkpoint every `spec.checkpoint_every` steps (and at the end).
    pub checkpoint: Option<PathBuf>,
    /// Continue from this checkpoint (same configuration) instead of starting.
    pub resume: Option<Checkpoint>,
    /// Stop after this step (a checkpoint is written there) and return the weights so far:
    /// long runs go in pieces, resumed later with [`TrainConfig::resume`].
    pub stop_after: Option<usize>,
}

fn candle_err(e: candle_core::Error) -> ModelError {
    ModelError::Training(e.to_string())
}

/// Draws one training batch: normalised noisy patches and the residual targets
/// `clean centre − noisy centre` (normalised).
fn batch(images: &[GrayImage], spec: &TrainSpec, rng: &mut ChaCha12Rng) -> (Vec<f32>, Vec<f32>) {
    let (s, o) = (spec.input_patch, spec.output_patch);
    let m = (s - o) / 2;
    let mut inputs = Vec::with_capacity(spec.batch * s * s);
    let mut targets = Vec::with_capacity(spec.batch * o * o);
    let mut clean = vec![0.0f64; s * s];
    for _ in 0..spec.batch {
        let img = &images[rng.random_range(0..images.len())];
        let x0 = rng.random_range(0..=img.width() - s);
        let y0 = rng.random_range(0..=img.height() - s);
        let transform: u8 = rng.random_range(0..8);
        for r in 0..s {
            for c in 0..s {
                let (mut rr, mut cc) = if transform & 1 == 1 { (c, r) } else { (r, c) };
                if transform & 2 == 2 {
                    rr = s - 1 - rr;
                }
                if transform & 4 == 4 {
                    cc = s - 1 - cc;
                }
                clean[r * s + c] = img.get(x0 + cc, y0 + rr);
            }
        }
        let start = inputs.len();
        for &v in &clean {
            inputs.push(normalise(v + spec.sigma * standard_normal(rng)) as f32);
        }
        for r in 0..o {
            for c in 0..o {
                let idx = (r + m) * s + c + m;
                targets.push(normalise(clean[idx]) as f32 - inputs[start + idx]);
            }
        }
    }
    (inputs, targets)
}

/// Adam (β = 0.9, 0.999, ε = 10^−8, no weight decay: candle-nn's AdamW with decay 0) with
/// its moments kept as tensors so that a checkpoint can hold them.
struct Adam {
    moments: Vec<(Tensor, Tensor)>,
    step: u64,
}

impl Adam {
    const B1: f64 = 0.9;
    const B2: f64 = 0.999;
    const EPS: f64 = 1e-8;

    fn step(&mut self, vars: &[Var], grads: &GradStore, lr: f64) -> candle_core::Result<()> {
        self.step += 1;
        let t = self.step as i32;
        let (c1, c2) = (1.0 - Self::B1.powi(t), 1.0 - Self::B2.powi(t));
        for (var, (m, v)) in vars.iter().zip(self.moments.iter_mut()) {
            let Some(g) = grads.get(var.as_tensor()) else {
                continue;
            };
            *m = (m.affine(Self::B1, 0.0)? + g.affine(1.0 - Self::B1, 0.0)?)?;
            *v = (v.affine(Self::B2, 0.0)? + g.sqr()?.affine(1.0 - Self::B2, 0.0)?)?;
            let m_hat = m.affine(1.0 / c1, 0.0)?;
            let denom = v.affine(1.0 / c2, 0.0)?.sqrt()?.affine(1.0, Self::EPS)?;
            let update = (m_hat / denom)?.affine(lr, 0.0)?;
            var.set(&var.as_tensor().sub(&update)?)?;
        }
        Ok(())
    }
}

/// The learning rate at `step` of `steps`: cosine decay from `lr` to 5 % of it.
fn learning_rate(spec: &TrainSpec, step: usize) -> f64 {
    let progress = step as f64 / spec.steps as f64;
    spec.learning_rate * (0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()))
}

/// The model held in `vars` (weights `[out][in]`, biases).
fn model_of(vars: &[Var], spec: &TrainSpec) -> Result<Mlp> {
    let mut layers = Vec::new();
    for pair in vars.chunks(2) {
        let (w, b) = (pair[0].as_tensor(), pair[1].as_tensor());
        let (outputs, inputs) = w.dims2().map_err(candle_err)?;
        layers.push(Dense {
            inputs,
            outputs,
            weights: w
                .flatten_all()
                .and_then(|t| t.to_vec1::<f32>())
                .map_err(candle_err)?,
            bias: b.to_vec1::<f32>().map_err(candle_err)?,
        });
    }
    // The file names the fixed-point activation the secure runs use (model format v3).
    let activation = model::ModelActivation::shipped(spec.activation.fixed_name())?;
    Ok(Mlp::new(
        spec.input_patch,
        spec.output_patch,
        spec.stride,
        spec.sigma as f32,
        layers,
    )?
    .with_activation(activation))
}

/// Initial weights and biases of every layer: from `init`, or random (N(0, 1/fan_in), zero
/// biases) from `rng`.
fn initial_layers(cfg: &TrainConfig, rng: &mut ChaCha12Rng) -> Result<Vec<(Vec<f32>, Vec<f32>)>> {
    let widths = cfg.spec.widths();
    if let Some(init) = cfg.init.as_ref().filter(|m| m.widths() != widths) {
        return Err(ModelError::ShapeMismatch(format!(
            "initial model has widths {:?}, the configuration asks for {widths:?}",
            init.widths()
        )));
    }
    Ok(widths
        .windows(2)
        .enumerate()
        .map(|(li, pair)| {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let scale = (1.0 / fan_in as f64).sqrt();
            match &cfg.init {
                Some(init) => (
                    init.layers[li].weights.clone(),
                    init.layers[li].bias.clone(),
                ),
                None => (
                    (0..fan_in * fan_out)
                        .map(|_| (scale * standard_normal(rng)) as f32)
                        .collect(),
                    vec![0.0f32; fan_out],
                ),
            }
        })
        .collect())
}

fn check_images(images: &[GrayImage], spec: &TrainSpec) -> Result<()> {
    if images.is_empty() {
        return Err(ModelError::Training("no training images".into()));
    }
    if let Some(small) = images
        .iter()
        .find(|i| i.width() < spec.input_patch || i.height() < spec.input_patch)
    {
        return Err(ModelError::ImageTooSmall {
            width: small.width(),
            height: small.height(),
            needed: spec.input_patch,
        });
    }
    model::patches::PatchGeometry::new(spec.input_patch, spec.output_patch, spec.stride)?;
    spec.check().map_err(ModelError::Training)
}

/// Trains a model on `images` (grayscale, each at least one input patch large), starting
/// from `cfg.resume` when given, writing checkpoints to `cfg.checkpoint`.
pub fn train(images: &[GrayImage], cfg: &TrainConfig) -> Result<Mlp> {
    let spec = &cfg.spec;
    check_images(images, spec)?;
    let dev = Device::Cpu;
    let mut rng = ChaCha12Rng::seed_from_u64(spec.seed);
    let (layers, moments, start, adam_step, mut running) = match &cfg.resume {
        Some(ck) => {
            // The checkpoint cadence may change between pieces; nothing else may.
            let same = TrainSpec {
                checkpoint_every: spec.checkpoint_every,
                ..ck.spec.clone()
            };
            if same != *spec {
                return Err(ModelError::Training(format!(
                    "the checkpoint was made with another configuration: {} (asked: {})",
                    ck.spec.to_json(),
                    spec.to_json()
                )));
            }
            rng.set_word_pos(ck.rng_word_pos);
            let layers: Vec<_> = ck
                .model
                .layers
                .iter()
                .map(|l| (l.weights.clone(), l.bias.clone()))
                .collect();
            (
                layers,
                Some(&ck.moments),
                ck.step as usize,
                ck.adam_step,
                ck.running_loss,
            )
        }
        None => (initial_layers(cfg, &mut rng)?, None, 0, 0, 0.0),
    };
    let widths = spec.widths();
    let mut vars = Vec::new();
    let mut adam = Adam {
        moments: Vec::new(),
        step: adam_step,
    };
    for (li, (w, b)) in layers.into_iter().enumerate() {
        let (fan_in, fan_out) = (widths[li], widths[li + 1]);
        for (data, shape) in [(w, vec![fan_out, fan_in]), (b, vec![fan_out])] {
            let k = vars.len();
            let n = data.len();
            let t = Tensor::from_vec(data, shape.as_slice(), &dev).map_err(candle_err)?;
            let (m, v) = match moments.and_then(|ms| ms.get(k)) {
                Some(mo) if mo.m.len() == n && mo.v.len() == n => (
                    Tensor::from_vec(mo.m.clone(), shape.as_slice(), &dev),
                    Tensor::from_vec(mo.v.clone(), shape.as_slice(), &dev),
                ),
                Some(_) => {
                    return Err(ModelError::Training(
                        "the checkpoint's optimiser state does not fit its model".into(),
                    ));
                }
                None => (t.zeros_like(), t.zeros_like()),
            };
            adam.moments
                .push((m.map_err(candle_err)?, v.map_err(candle_err)?));
            vars.push(Var::from_tensor(&t).map_err(candle_err)?);
        }
    }
    let bar = if cfg.progress {
        ProgressBar::new(spec.steps as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} steps, eta {eta} {msg}",
        )
        .map_err(|e| ModelError::Training(e.to_string()))?,
    );
    bar.set_position(start as u64);
    let (n_in, n_out) = (widths[0], widths[widths.len() - 1]);
    let save = |step: usize, rng: &ChaCha12Rng, running: f64, adam: &Adam| -> Result<()> {
        let Some(path) = &cfg.checkpoint else {
            return Ok(());
        };
        let moments = adam
            .moments
            .iter()
            .map(|(m, v)| {
                Ok(Moments {
                    m: m.flatten_all()?.to_vec1::<f32>()?,
                    v: v.flatten_all()?.to_vec1::<f32>()?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()
            .map_err(candle_err)?;
        Checkpoint {
            spec: spec.clone(),
            step: step as u64,
            rng_word_pos: rng.get_word_pos(),
            running_loss: running,
            adam_step: adam.step,
            model: model_of(&vars, spec)?,
            moments,
        }
        .save(path)
    };
    let end = cfg.stop_after.map_or(spec.steps, |s| s.min(spec.steps));
    for step in start..end {
        let (x, t) = batch(images, spec, &mut rng);
        let x = Tensor::from_vec(x, (spec.batch, n_in), &dev).map_err(candle_err)?;
        let t = Tensor::from_vec(t, (spec.batch, n_out), &dev).map_err(candle_err)?;
        let mut a = x;
        for (i, pair) in vars.chunks(2).enumerate() {
            let w_t = pair[0].as_tensor().t().map_err(candle_err)?;
            let z = a.matmul(&w_t).map_err(candle_err)?;
            let z = z.broadcast_add(pair[1].as_tensor()).map_err(candle_err)?;
            a = if 2 * (i + 1) < vars.len() {
                match spec.activation {
                    TrainActivation::Tanh => z.tanh(),
                    TrainActivation::Relu => z.relu(),
                }
                .map_err(candle_err)?
            } else {
                z
            };
        }
        let loss = (a - t)
            .and_then(|d| d.sqr())
            .and_then(|d| d.mean_all())
            .map_err(candle_err)?;
        let grads = loss.backward().map_err(candle_err)?;
        adam.step(&vars, &grads, learning_rate(spec, step))
            .map_err(candle_err)?;
        let l = f64::from(loss.to_scalar::<f32>().map_err(candle_err)?);
        if !l.is_finite() {
            return Err(ModelError::Training(format!(
                "the loss became {l} at step {step}: lower the learning rate"
            )));
        }
        running = if step == 0 {
            l
        } else {
            0.99 * running + 0.01 * l
        };
        if step.is_multiple_of(100) {
            // mse in normalised units → approximate patch PSNR in dB.
            let psnr = 10.0 * (1.0 / (running * 0.04)).log10();
            bar.set_message(format!("loss {running:.5} (≈{psnr:.2} dB on patches)"));
        }
        bar.inc(1);
        let done = step + 1;
        if spec.checkpoint_every > 0 && done.is_multiple_of(spec.checkpoint_every) && done < end {
            save(done, &rng, running, &adam)?;
        }
    }
    bar.finish();
    save(end.max(start), &rng, running, &adam)?;
    model_of(&vars, spec)
}

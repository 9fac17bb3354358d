//! Training the residual tanh MLP with candle (autograd and Adam from candle-nn), apart from
//! the inference crate `gcc-nn-model` so that nothing downstream of inference (the secure
//! protocols) depends on candle.
//!
//! Samples are random `input`×`input` crops of the training images, randomly flipped and
//! rotated, with fresh Gaussian noise each time; the loss is the mean squared error of
//! `centre(p) + q` against the clean centre, in normalised units. Everything random comes
//! from one ChaCha12 generator seeded with [`TrainConfig::seed`], so a run is repeatable
//! for a given step count.

use candle_core::{Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use indicatif::{ProgressBar, ProgressStyle};
use model::error::{ModelError, Result};
use model::gray::GrayImage;
use model::metrics::standard_normal;
use model::mlp::{Dense, Mlp};
use model::patches::{PatchGeometry, normalise};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;

/// What to train and for how long.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// Input patch side.
    pub input_patch: usize,
    /// Output patch side.
    pub output_patch: usize,
    /// Stride stored in the model as its default.
    pub stride: usize,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Noise σ on the [0, 255] scale.
    pub sigma: f64,
    /// Optimiser steps.
    pub steps: usize,
    /// Patches per step.
    pub batch: usize,
    /// Adam learning rate at the start; decays by cosine to 5 % of it.
    pub learning_rate: f64,
    /// Seed of every random choice (initial weights, crops, noise).
    pub seed: u64,
    /// Show a progress bar.
    pub progress: bool,
    /// Start from these weights (same shape) instead of random ones: continues training.
    pub init: Option<Mlp>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            input_patch: 13,
            output_patch: 5,
            stride: 5,
            hidden: vec![128, 128],
            sigma: 25.0,
            steps: 40_000,
            batch: 256,
            learning_rate: 1e-3,
            seed: 1,
            progress: true,
            init: None,
        }
    }
}

fn candle_err(e: candle_core::Error) -> ModelError {
    ModelError::Training(e.to_string())
}

/// Draws one training batch: normalised noisy patches and the residual targets
/// `clean centre − noisy centre` (normalised).
fn batch(images: &[GrayImage], cfg: &TrainConfig, rng: &mut ChaCha12Rng) -> (Vec<f32>, Vec<f32>) {
    let (s, o) = (cfg.input_patch, cfg.output_patch);
    let m = (s - o) / 2;
    let mut inputs = Vec::with_capacity(cfg.batch * s * s);
    let mut targets = Vec::with_capacity(cfg.batch * o * o);
    let mut clean = vec![0.0f64; s * s];
    for _ in 0..cfg.batch {
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
            inputs.push(normalise(v + cfg.sigma * standard_normal(rng)) as f32);
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

/// Trains a model on `images` (grayscale, each at least one input patch large).
pub fn train(images: &[GrayImage], cfg: &TrainConfig) -> Result<Mlp> {
    if images.is_empty() {
        return Err(ModelError::Training("no training images".into()));
    }
    if let Some(small) = images
        .iter()
        .find(|i| i.width() < cfg.input_patch || i.height() < cfg.input_patch)
    {
        return Err(ModelError::ImageTooSmall {
            width: small.width(),
            height: small.height(),
            needed: cfg.input_patch,
        });
    }
    PatchGeometry::new(cfg.input_patch, cfg.output_patch, cfg.stride)?;
    let dev = Device::Cpu;
    let mut rng = ChaCha12Rng::seed_from_u64(cfg.seed);
    let mut widths = vec![cfg.input_patch * cfg.input_patch];
    widths.extend(&cfg.hidden);
    widths.push(cfg.output_patch * cfg.output_patch);
    let mut vars = Vec::new();
    if let Some(init) = cfg.init.as_ref().filter(|m| m.widths() != widths) {
        return Err(ModelError::ShapeMismatch(format!(
            "initial model has widths {:?}, the configuration asks for {widths:?}",
            init.widths()
        )));
    }
    for (li, pair) in widths.windows(2).enumerate() {
        let (fan_in, fan_out) = (pair[0], pair[1]);
        let scale = (1.0 / fan_in as f64).sqrt();
        let (w, b) = match &cfg.init {
            Some(init) => (
                init.layers[li].weights.clone(),
                init.layers[li].bias.clone(),
            ),
            None => (
                (0..fan_in * fan_out)
                    .map(|_| (scale * standard_normal(&mut rng)) as f32)
                    .collect(),
                vec![0.0f32; fan_out],
            ),
        };
        let w = Tensor::from_vec(w, (fan_out, fan_in), &dev).map_err(candle_err)?;
        let b = Tensor::from_vec(b, fan_out, &dev).map_err(candle_err)?;
        vars.push((
            Var::from_tensor(&w).map_err(candle_err)?,
            Var::from_tensor(&b).map_err(candle_err)?,
        ));
    }
    let all: Vec<Var> = vars
        .iter()
        .flat_map(|(w, b)| [w.clone(), b.clone()])
        .collect();
    let params = ParamsAdamW {
        lr: cfg.learning_rate,
        weight_decay: 0.0,
        ..Default::default()
    };
    let mut opt = AdamW::new(all, params).map_err(candle_err)?;
    let bar = if cfg.progress {
        ProgressBar::new(cfg.steps as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} steps, eta {eta} {msg}",
        )
        .map_err(|e| ModelError::Training(e.to_string()))?,
    );
    let n_in = cfg.input_patch * cfg.input_patch;
    let n_out = cfg.output_patch * cfg.output_patch;
    let mut running = 0.0f64;
    for step in 0..cfg.steps {
        let progress = step as f64 / cfg.steps as f64;
        let lr = cfg.learning_rate
            * (0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
        opt.set_learning_rate(lr);
        let (x, t) = batch(images, cfg, &mut rng);
        let x = Tensor::from_vec(x, (cfg.batch, n_in), &dev).map_err(candle_err)?;
        let t = Tensor::from_vec(t, (cfg.batch, n_out), &dev).map_err(candle_err)?;
        let mut a = x;
        for (i, (w, b)) in vars.iter().enumerate() {
            let z = a
                .matmul(&w.as_tensor().t().map_err(candle_err)?)
                .map_err(candle_err)?;
            let z = z.broadcast_add(b.as_tensor()).map_err(candle_err)?;
            a = if i + 1 < vars.len() {
                z.tanh().map_err(candle_err)?
            } else {
                z
            };
        }
        let loss = (a - t)
            .map_err(candle_err)?
            .sqr()
            .map_err(candle_err)?
            .mean_all()
            .map_err(candle_err)?;
        opt.backward_step(&loss).map_err(candle_err)?;
        let l = f64::from(loss.to_scalar::<f32>().map_err(candle_err)?);
        running = if step == 0 {
            l
        } else {
            0.99 * running + 0.01 * l
        };
        if step % 100 == 0 {
            // mse in normalised units → approximate patch PSNR in dB.
            let psnr = 10.0 * (1.0 / (running * 0.04)).log10();
            bar.set_message(format!("loss {running:.5} (≈{psnr:.2} dB on patches)"));
        }
        bar.inc(1);
    }
    bar.finish();
    let mut layers = Vec::new();
    for (w, b) in &vars {
        let (outputs, inputs) = w.as_tensor().dims2().map_err(candle_err)?;
        let weights = w
            .as_tensor()
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(candle_err)?;
        let bias = b.as_tensor().to_vec1::<f32>().map_err(candle_err)?;
        layers.push(Dense {
            inputs,
            outputs,
            weights,
            bias,
        });
    }
    Mlp::new(
        cfg.input_patch,
        cfg.output_patch,
        cfg.stride,
        cfg.sigma as f32,
        layers,
    )
}

//! `gcc-nn denoise --plain`, `gcc-nn psnr-report` and `gcc-nn train`: the plaintext MLP
//! denoiser (float and exact fixed point), its PSNR table, and its training.

use super::CliError;
use clap::{Subcommand, ValueEnum};
use model::activation::{PiecewiseQuadratic, TANH_FIT, TANH_STAR};
use model::denoise::{FloatActivation, denoise_fixed, denoise_float};
use model::fixed::{FIXED, FixedMlp};
use model::metrics::{add_noise, psnr, psnr_u8, ssim};
use model::{GrayImage, Mlp};
use std::path::{Path, PathBuf};

/// Which tanh approximation the fixed-point denoiser uses.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum ActChoice {
    /// circuits/tanh_fit.dsl: more pieces, smaller error (default).
    TanhFit,
    /// circuits/tanh.dsl: the paper's tanh*.
    TanhStar,
}

impl ActChoice {
    fn approx(self) -> PiecewiseQuadratic {
        match self {
            ActChoice::TanhFit => TANH_FIT,
            ActChoice::TanhStar => TANH_STAR,
        }
    }
}

/// Plaintext denoiser commands.
#[derive(Subcommand)]
pub(crate) enum DenoiseCommand {
    /// Denoise a grayscale PNG with the exact fixed-point model (what the secure protocols
    /// compute). With --sigma the image is taken as clean: noise is added first and the
    /// noisy and denoised PSNRs are printed.
    Denoise {
        /// Plaintext (insecure, local) denoising; required.
        #[arg(long)]
        plain: bool,
        /// Input image (8-bit grayscale PNG); default: the shipped sample assets/camera256.png.
        image: Option<PathBuf>,
        /// Output PNG.
        #[arg(short, long, default_value = "denoised.png")]
        output: PathBuf,
        /// Treat IMAGE as clean and add Gaussian noise of this σ (0–255 scale).
        #[arg(long)]
        sigma: Option<f64>,
        /// Seed of the added noise (insecure, for reproducible figures).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Model file; default: the shipped assets/denoiser.gccmlp.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Stride between output patches; default: the model's.
        #[arg(long)]
        stride: Option<usize>,
        /// Activation approximation.
        #[arg(long, value_enum, default_value = "tanh-fit")]
        activation: ActChoice,
        /// Use the float network with the real tanh instead of fixed point.
        #[arg(long)]
        float: bool,
        /// Secure denoising: the cloud's address (see `gcc-nn serve`); needs --key.
        #[arg(long, value_name = "ADDR", conflicts_with = "plain")]
        connect: Option<String>,
        #[command(flatten)]
        secure: super::secure::SecureDenoiseArgs,
    },
    /// PSNR table at σ = 25 for the test images: noisy, float tanh, fixed-point tanh*,
    /// fixed-point tanh_fit and the gaps; writes denoised PNGs and a comparison PNG.
    PsnrReport {
        /// Directories of test images (default: ../shared/data/images/seed5 and …/Set12).
        #[arg(long = "set")]
        sets: Vec<PathBuf>,
        /// Noise σ.
        #[arg(long, default_value_t = 25.0)]
        sigma: f64,
        /// Seed of the noise of the first image (+1 per image).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Model file; default: the shipped one.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Stride; default: the model's.
        #[arg(long)]
        stride: Option<usize>,
        /// Where the denoised PNGs go.
        #[arg(long, default_value = "target/psnr-report")]
        out_dir: PathBuf,
        /// Side-by-side PNG (clean | noisy | float tanh | fixed point) of the shipped sample.
        #[arg(long, default_value = "docs/denoise_comparison.png")]
        comparison: PathBuf,
    },
    /// Train the residual tanh MLP on a directory of images (the shipped model came from
    /// the defaults).
    Train {
        /// Training images (Train400 only; never the test sets).
        #[arg(long, default_value = "../shared/data/images/Train400")]
        data: PathBuf,
        /// Output model file.
        #[arg(short, long, default_value = "assets/denoiser.gccmlp")]
        output: PathBuf,
        /// Optimiser steps.
        #[arg(long, default_value_t = 30_000)]
        steps: usize,
        /// Patches per step.
        #[arg(long, default_value_t = 256)]
        batch: usize,
        /// Hidden widths, comma-separated.
        #[arg(long, default_value = "128,128", value_delimiter = ',')]
        hidden: Vec<usize>,
        /// Input patch side.
        #[arg(long, default_value_t = 13)]
        input_patch: usize,
        /// Output patch side.
        #[arg(long, default_value_t = 5)]
        output_patch: usize,
        /// Default stride stored in the model.
        #[arg(long, default_value_t = 5)]
        stride: usize,
        /// Training noise σ.
        #[arg(long, default_value_t = 25.0)]
        sigma: f64,
        /// Seed of initial weights, crops and noise.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Adam learning rate at the start (cosine decay to 5 % of it).
        #[arg(long, default_value_t = 1e-3)]
        learning_rate: f64,
        /// Continue from this model (same shape) instead of random weights.
        #[arg(long)]
        init: Option<PathBuf>,
    },
}

fn load_model(path: &Option<PathBuf>) -> Result<Mlp, CliError> {
    Ok(match path {
        Some(p) => Mlp::load(p)?,
        None => model::shipped::model()?,
    })
}

fn ensure_parent(path: &Path) -> Result<(), CliError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Ok(())
}

/// Runs a denoiser command.
pub(crate) fn run(cmd: DenoiseCommand) -> Result<(), CliError> {
    match cmd {
        DenoiseCommand::Denoise {
            plain,
            image,
            output,
            sigma,
            seed,
            model,
            stride,
            activation,
            float,
            connect,
            secure,
        } => {
            if let Some(addr) = &connect {
                return super::secure::denoise_remote(addr, image.as_deref(), &output, &secure);
            }
            if !plain {
                return Err("pass --plain (local) or --connect ADDR --key SK (secure)".into());
            }
            let mlp = load_model(&model)?;
            let stride = stride.unwrap_or(mlp.stride);
            let input = match &image {
                Some(p) => GrayImage::load(p)?,
                None => model::shipped::sample_image()?,
            };
            let noisy = match sigma {
                Some(s) => add_noise(&input, s, seed),
                None => input.clone(),
            };
            let t = std::time::Instant::now();
            let out = if float {
                denoise_float(&mlp, &noisy, stride, FloatActivation::Tanh)?
            } else {
                let fixed = FixedMlp::from_model(&mlp, FIXED, activation.approx())?;
                denoise_fixed(&fixed, &noisy, stride)?.0
            };
            let secs = t.elapsed().as_secs_f64();
            ensure_parent(&output)?;
            out.save_png(&output)?;
            if sigma.is_some() {
                println!("noisy    PSNR {:.2} dB", psnr(&input, &noisy)?);
                println!(
                    "denoised PSNR {:.2} dB (8-bit PNG: {:.2} dB, SSIM {:.4})",
                    psnr(&input, &out)?,
                    psnr_u8(&input, &out)?,
                    ssim(&input, &out)?
                );
            }
            println!(
                "wrote {} ({}x{}, {secs:.2} s)",
                output.display(),
                out.width(),
                out.height()
            );
            Ok(())
        }
        DenoiseCommand::PsnrReport {
            sets,
            sigma,
            seed,
            model,
            stride,
            out_dir,
            comparison,
        } => psnr_report(&sets, sigma, seed, &model, stride, &out_dir, &comparison),
        DenoiseCommand::Train {
            data,
            output,
            steps,
            batch,
            hidden,
            input_patch,
            output_patch,
            stride,
            sigma,
            seed,
            learning_rate,
            init,
        } => {
            eprintln!(
                "warning: training uses a fixed seed ({seed}): fine for a model, not for secrets"
            );
            let images = model::train::load_dir(&data)?;
            let cfg = model::train::TrainConfig {
                input_patch,
                output_patch,
                stride,
                hidden,
                sigma,
                steps,
                batch,
                learning_rate,
                seed,
                progress: true,
                init: init.as_deref().map(Mlp::load).transpose()?,
            };
            let t = std::time::Instant::now();
            let mlp = model::train::train(&images, &cfg)?;
            ensure_parent(&output)?;
            mlp.save(&output)?;
            println!(
                "wrote {} ({} parameters, {} training images, {:.0} s)",
                output.display(),
                mlp.parameter_count(),
                images.len(),
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

fn psnr_report(
    sets: &[PathBuf],
    sigma: f64,
    seed: u64,
    model_path: &Option<PathBuf>,
    stride: Option<usize>,
    out_dir: &Path,
    comparison: &Path,
) -> Result<(), CliError> {
    let mlp = load_model(model_path)?;
    let stride = stride.unwrap_or(mlp.stride);
    let sets: Vec<PathBuf> = if sets.is_empty() {
        ["../shared/data/images/seed5", "../shared/data/images/Set12"]
            .into_iter()
            .map(PathBuf::from)
            .filter(|d| d.is_dir())
            .collect()
    } else {
        sets.to_vec()
    };
    let mut stdout = std::io::stdout();
    model::report::psnr_report(
        &mlp,
        &sets,
        sigma,
        seed,
        stride,
        out_dir,
        comparison,
        &mut stdout,
    )?;
    Ok(())
}

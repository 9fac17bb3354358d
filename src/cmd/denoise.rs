//! `gcc-nn denoise --plain`, `gcc-nn psnr-report` and `gcc-nn train`: the plaintext MLP
//! denoiser (float and exact fixed point), its PSNR table, and its training.

use super::CliError;
use clap::{Subcommand, ValueEnum};
use model::activation::{PiecewiseQuadratic, TANH_FIT, TANH_STAR};
use model::denoise::{FloatActivation, denoise_fixed, denoise_float};
use model::fixed::{FIXED, FixedMlp};
use model::image_file::FileFormat;
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
    /// Denoise an image with the exact fixed-point model (what the secure protocols
    /// compute). With --sigma the image is taken as clean: noise is added first and the
    /// noisy and denoised PSNRs are printed; with --clean REF they are measured against REF.
    Denoise {
        /// Plaintext (insecure, local) denoising; required.
        #[arg(long)]
        plain: bool,
        /// Input image: PNG, JPEG, TIFF or PGM/PPM, 8- or 16-bit; colour is converted to
        /// gray (BT.601 luma), alpha ignored. Default: the shipped sample
        /// assets/camera256.png (plain mode only).
        image: Option<PathBuf>,
        /// Output image, 8-bit gray; the format follows the extension (.png, .jpg/.jpeg,
        /// .tif/.tiff, .pgm).
        #[arg(short, long, default_value = "denoised.png")]
        output: PathBuf,
        /// Treat IMAGE as clean and add Gaussian noise of this σ (0–255 scale); plain mode.
        #[arg(long, conflicts_with_all = ["connect", "clean"])]
        sigma: Option<f64>,
        /// Seed of the noise added by --sigma (insecure, for reproducible figures).
        #[arg(long, default_value_t = 1, requires = "sigma", conflicts_with_all = ["connect", "clean"])]
        seed: u64,
        /// Model file; default: the shipped assets/denoiser.gccmlp (plain mode: with
        /// --connect the cloud's encrypted model is used).
        #[arg(long, conflicts_with = "connect")]
        model: Option<PathBuf>,
        /// Stride between output patches; default: the model's (plain mode).
        #[arg(long, conflicts_with = "connect")]
        stride: Option<usize>,
        /// Activation approximation (plain mode; with --connect the model owner chose it).
        #[arg(
            long,
            value_enum,
            default_value = "tanh-fit",
            conflicts_with = "connect"
        )]
        activation: ActChoice,
        /// Use the float network with the real tanh instead of fixed point (plain mode).
        #[arg(long, conflicts_with_all = ["connect", "activation"])]
        float: bool,
        /// Secure denoising: the cloud's address (see `gcc-nn serve`); needs --key.
        #[arg(long, value_name = "ADDR", conflicts_with = "plain")]
        connect: Option<String>,
        #[command(flatten)]
        secure: super::secure::SecureDenoiseArgs,
    },
    /// PSNR table at σ = 25 for folders of test images: noisy, float tanh, fixed-point
    /// tanh*, fixed-point tanh_fit and the gaps; writes the denoised PNGs and a comparison
    /// PNG into --out-dir (default: a new folder runs/psnr-report-DATE).
    PsnrReport {
        /// A folder of test images (repeatable), e.g. model/tests/data/cc0.
        #[arg(long = "set", value_name = "DIR", required = true)]
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
        /// Folder for the denoised PNGs and the comparison image (created if needed);
        /// default: a new folder runs/psnr-report-DATE.
        #[arg(short = 'o', long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// Side-by-side PNG (clean | noisy | float tanh | fixed point) of the shipped
        /// sample; default: OUT_DIR/denoise_comparison.png.
        #[arg(long, value_name = "PNG")]
        comparison: Option<PathBuf>,
    },
    /// Train the residual tanh MLP on a folder of images (the shipped model came from the
    /// defaults, on Train400; see docs/model.md).
    Train {
        /// Folder of training images (never the test sets).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Output model file; default: runs/train-DATE/denoiser.gccmlp (a new folder).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace OUTPUT if it exists (never the shipped assets/denoiser.gccmlp).
        #[arg(long, requires = "output")]
        force: bool,
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

/// Reads an image for a command; says on stderr when colour or alpha was converted.
pub(crate) fn load_image(path: &Path) -> Result<GrayImage, CliError> {
    let (img, source) = GrayImage::load_with_source(path)?;
    if let Some(note) = source.conversion_note() {
        eprintln!("note: {}: {note}", path.display());
    }
    Ok(img)
}

/// Reads the clean reference `path` of `--clean`; its size must be the image's.
pub(crate) fn load_reference(path: &Path, image: &GrayImage) -> Result<GrayImage, CliError> {
    let clean = load_image(path)?;
    if (clean.width(), clean.height()) != (image.width(), image.height()) {
        return Err(format!(
            "--clean {}: the reference is {}x{} but the image is {}x{}",
            path.display(),
            clean.width(),
            clean.height(),
            image.width(),
            image.height()
        )
        .into());
    }
    Ok(clean)
}

/// Refuses to replace an existing file without `--force`, and the shipped model always.
fn check_model_output(path: &Path, force: bool) -> Result<(), CliError> {
    let Ok(existing) = std::fs::read(path) else {
        return Ok(());
    };
    if existing == model::shipped::MODEL_BYTES {
        return Err(format!(
            "-o {}: that is the shipped model; write elsewhere and copy it over if you mean it",
            path.display()
        )
        .into());
    }
    if !force {
        return Err(format!("-o {}: exists (pass --force to replace it)", path.display()).into());
    }
    Ok(())
}

/// A new folder `runs/KIND-YYYYMMDD-HHMMSS` (UTC; `-2`, `-3`, … if taken) for output the
/// user did not name; announced on stderr.
fn fresh_run_dir(kind: &str) -> Result<PathBuf, CliError> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let t = secs % 86_400;
    let stamp = format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        t / 3600,
        t / 60 % 60,
        t % 60
    );
    let root = Path::new("runs");
    std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
    for n in 1..1000 {
        let name = if n == 1 {
            format!("{kind}-{stamp}")
        } else {
            format!("{kind}-{stamp}-{n}")
        };
        let dir = root.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => {
                eprintln!("writing to the new folder {}", dir.display());
                return Ok(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("{}: {e}", dir.display()).into()),
        }
    }
    Err(format!(
        "{}: no free run folder name for {kind}-{stamp}",
        root.display()
    )
    .into())
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
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
            // An output name without a known image extension fails before any work.
            FileFormat::from_output_path(&output)?;
            if let Some(addr) = &connect {
                return super::secure::denoise_remote(addr, image.as_deref(), &output, &secure);
            }
            if !plain {
                return Err("pass --plain (local) or --connect ADDR --key SK (secure)".into());
            }
            let mlp = load_model(&model)?;
            let stride = stride.unwrap_or(mlp.stride);
            let input = match &image {
                Some(p) => load_image(p)?,
                None => model::shipped::sample_image()?,
            };
            // The clean reference the PSNRs are measured against, if any.
            let reference = match (&secure.clean, sigma) {
                (Some(c), _) => Some(load_reference(c, &input)?),
                (None, Some(_)) => Some(input.clone()),
                (None, None) => None,
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
            let format = out.save(&output)?;
            if let Some(clean) = &reference {
                outln!("noisy    PSNR {:.2} dB", psnr(clean, &noisy)?);
                outln!(
                    "denoised PSNR {:.2} dB (rounded to 8 bits: {:.2} dB, SSIM {:.4})",
                    psnr(clean, &out)?,
                    psnr_u8(clean, &out)?,
                    ssim(clean, &out)?
                );
            }
            outln!(
                "wrote {} ({format}, {}x{}, {secs:.2} s)",
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
        } => {
            let out_dir = match out_dir {
                Some(d) => d,
                None => fresh_run_dir("psnr-report")?,
            };
            let comparison = comparison.unwrap_or_else(|| out_dir.join("denoise_comparison.png"));
            psnr_report(&sets, sigma, seed, &model, stride, &out_dir, &comparison)?;
            eprintln!("denoised images in {}", out_dir.display());
            Ok(())
        }
        DenoiseCommand::Train {
            data,
            output,
            force,
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
            let output = match output {
                Some(p) => {
                    check_model_output(&p, force)?;
                    p
                }
                None => fresh_run_dir("train")?.join("denoiser.gccmlp"),
            };
            eprintln!(
                "warning: training uses a fixed seed ({seed}): fine for a model, not for secrets"
            );
            let images = model::GrayImage::load_dir(&data)?;
            let cfg = train::TrainConfig {
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
            let mlp = train::train(&images, &cfg)?;
            ensure_parent(&output)?;
            mlp.save(&output)?;
            outln!(
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
    let mut stdout = super::Stdout;
    model::report::psnr_report(
        &mlp,
        sets,
        sigma,
        seed,
        stride,
        out_dir,
        comparison,
        &mut stdout,
    )?;
    Ok(())
}

//! `gcc-nn denoise --plain` and `gcc-nn psnr-report`: the plaintext MLP denoiser (float and
//! exact fixed point) and its PSNR table (training: `train.rs`).

use super::CliError;
use super::args::{ProtocolChoice, SchemeChoice};
use super::images::{ensure_parent, load_image, load_reference};
use super::runs::fresh_run_dir;
use activation::Activation;
use clap::Subcommand;
use model::denoise::{FloatActivation, denoise_fixed, denoise_float};
use model::fixed::{FIXED, FixedMlp};
use model::image_file::FileFormat;
use model::metrics::{add_noise, psnr_u8, ssim};
use model::{GrayImage, Mlp};
use std::path::{Path, PathBuf};

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
        /// Activation; default: the one the model file names. A shipped name (tanh_fit,
        /// tanh, tanh_fine, relu, sigmoid, gelu) or a DSL file fixed<16,12> → fixed<16,12>,
        /// accepted only if its source has the model's hash (plain mode; with --connect the
        /// cloud sends the activation of the owner's upload).
        #[arg(
            long,
            value_name = "FILE.dsl|NAME",
            value_parser = super::parse_activation,
            conflicts_with = "connect"
        )]
        activation: Option<Activation>,
        /// Use the float network (the activation it was trained with: tanh, or ReLU for a
        /// ReLU model) instead of fixed point (plain mode).
        #[arg(long, conflicts_with_all = ["connect", "activation"])]
        float: bool,
        /// Secure denoising: the cloud's address (see `gcc-nn serve`); needs --key.
        #[arg(long, value_name = "ADDR", conflicts_with = "plain")]
        connect: Option<String>,
        #[command(flatten)]
        secure: Box<SecureDenoiseArgs>,
        /// Print one JSON object (fields: docs/cli.md) instead of the text report.
        #[arg(long)]
        json: bool,
    },
    /// PSNR table at σ = 25 for folders of test images: noisy, float (the trained activation), fixed-point
    /// tanh*, fixed-point tanh_fit and the gaps; writes the denoised PNGs and a comparison
    /// PNG into --output DIR (default: a new folder runs/psnr-report-DATE).
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
        #[arg(short = 'o', long = "output", alias = "out-dir", value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// Side-by-side PNG (clean | noisy | float | fixed point) of the shipped
        /// sample; default: OUT_DIR/denoise_comparison.png.
        #[arg(long, value_name = "PNG")]
        comparison: Option<PathBuf>,
        /// Fixed-point activation to compare (repeatable; the last one also gives the 8-bit
        /// column and the images): a shipped name or a DSL file; default: the model's own
        /// (for a tanh_fit model: tanh then tanh_fit, the README's table).
        #[arg(long, value_name = "FILE.dsl|NAME", value_parser = super::parse_activation)]
        activation: Vec<Activation>,
    },
}

fn load_model(path: &Option<PathBuf>) -> Result<Mlp, CliError> {
    Ok(match path {
        Some(p) => Mlp::load(p)?,
        None => model::shipped::model()?,
    })
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
            json,
        } => {
            // An output name without a known image extension fails before any work.
            FileFormat::from_output_path(&output)?;
            if let Some(addr) = &connect {
                return denoise_remote(addr, image.as_deref(), &output, &secure, json);
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
            // The noisy image as a file would hold it (8 bits), as in `demo`: the same input,
            // hence the same denoised PSNR, as the secure run of the same seed.
            let noisy = match sigma {
                Some(s) => add_noise(&input, s, seed).quantized(),
                None => input.clone(),
            };
            // The model's own activation, or an explicit one that agrees with it.
            let activation = mlp.activation_for(activation)?;
            let baseline = FloatActivation::trained_for(&mlp.activation);
            let activation_name = if float {
                format!("float {}", baseline.label())
            } else {
                activation.name().to_string()
            };
            let t = std::time::Instant::now();
            let out = if float {
                denoise_float(&mlp, &noisy, stride, baseline)?
            } else {
                let fixed = FixedMlp::from_model(&mlp, FIXED, activation)?;
                denoise_fixed(&fixed, &noisy, stride)?.0
            };
            let secs = t.elapsed().as_secs_f64();
            ensure_parent(&output)?;
            let format = out.save(&output)?;
            let quality = reference
                .as_ref()
                .map(|clean| Quality::measure(clean, &noisy, &out))
                .transpose()?;
            if json {
                let value = serde_json::json!({
                    "mode": "plain",
                    "input": image.as_ref().map(|p| p.display().to_string()),
                    "output": output.display().to_string(),
                    "format": format.to_string(),
                    "width": out.width(),
                    "height": out.height(),
                    "seconds": secs,
                    "activation": activation_name,
                    "quality": quality.as_ref().map(Quality::json),
                });
                outln!("{value}");
                return Ok(());
            }
            if let Some(q) = &quality {
                q.print();
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
            activation,
        } => {
            let out_dir = match out_dir {
                Some(d) => d,
                None => fresh_run_dir("psnr-report")?,
            };
            let comparison = comparison.unwrap_or_else(|| out_dir.join("denoise_comparison.png"));
            psnr_report(
                &sets,
                sigma,
                seed,
                &model,
                stride,
                activation,
                &out_dir,
                &comparison,
            )?;
            eprintln!("denoised images in {}", out_dir.display());
            Ok(())
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn psnr_report(
    sets: &[PathBuf],
    sigma: f64,
    seed: u64,
    model_path: &Option<PathBuf>,
    stride: Option<usize>,
    mut activations: Vec<Activation>,
    out_dir: &Path,
    comparison: &Path,
) -> Result<(), CliError> {
    let mlp = load_model(model_path)?;
    let stride = stride.unwrap_or(mlp.stride);
    if activations.is_empty() {
        activations = model::report::default_activations(&mlp)?;
    }
    let mut stdout = super::Stdout;
    model::report::psnr_report(
        &mlp,
        &activations,
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

/// Image quality against a clean reference, with the one PSNR definition of every command:
/// the PSNR of the 8-bit images (as saved, rounded and clamped), peak 255.
struct Quality {
    noisy_psnr: f64,
    denoised_psnr: f64,
    /// SSIM of the denoised image; `None` when the image is smaller than SSIM's 11×11 window.
    ssim: Option<f64>,
}

impl Quality {
    fn measure(
        clean: &GrayImage,
        noisy: &GrayImage,
        denoised: &GrayImage,
    ) -> Result<Self, CliError> {
        Ok(Quality {
            noisy_psnr: psnr_u8(clean, noisy)?,
            denoised_psnr: psnr_u8(clean, denoised)?,
            ssim: ssim(clean, denoised).ok(),
        })
    }

    fn print(&self) {
        outln!("noisy    PSNR {:.2} dB", self.noisy_psnr);
        match self.ssim {
            Some(ssim) => outln!(
                "denoised PSNR {:.2} dB (SSIM {:.4})",
                self.denoised_psnr,
                ssim
            ),
            None => outln!(
                "denoised PSNR {:.2} dB (SSIM not defined below 11x11 pixels)",
                self.denoised_psnr
            ),
        }
        outln!("(PSNR of the 8-bit images against the clean reference, peak 255)");
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "noisy_psnr_db": self.noisy_psnr,
            "denoised_psnr_db": self.denoised_psnr,
            "denoised_ssim": self.ssim,
        })
    }
}

/// The user's options of `gcc-nn denoise --connect ADDR`.
#[derive(clap::Args)]
pub(crate) struct SecureDenoiseArgs {
    /// Secure denoising: the user's secret key (a paillier.key file or its directory).
    #[arg(long, value_name = "SK", conflicts_with = "plain")]
    key: Option<PathBuf>,
    /// Secure denoising: the model owner's public key (owner.pub from `gcc-nn model
    /// owner-key`, or its directory); a model signed by any other key is refused.
    #[arg(long, value_name = "PUB", conflicts_with = "plain")]
    owner_pub: Option<PathBuf>,
    /// Secure protocol to ask the cloud for: `fast-rlwe` (default: linear layers on
    /// ring-LWE), `fast` (on Paillier) or `reference` (the paper's, hours per image).
    #[arg(
        long,
        value_enum,
        default_value = "fast-rlwe",
        conflicts_with = "plain"
    )]
    protocol: ProtocolChoice,
    /// Garbling scheme of the fast protocols' activation and output circuits: `half-gates`
    /// (32 bytes per AND gate, the faster to compute) or `three-halves` (24.625 bytes per AND:
    /// 23 % fewer bytes to the cloud); the image header names it and the cloud follows. The
    /// reference protocol runs half-gates only.
    #[arg(
        long,
        value_enum,
        default_value = "half-gates",
        conflicts_with = "plain"
    )]
    scheme: SchemeChoice,
    /// Clean reference image: print the PSNR of the noisy and denoised images against it.
    #[arg(long, value_name = "REF")]
    clean: Option<PathBuf>,
    /// Patches per round of the reference protocol (each layer is one batch over a chunk).
    #[arg(long, default_value_t = 8, conflicts_with = "plain")]
    chunk: usize,
    /// While the server is busy, retry for up to this many seconds.
    #[arg(
        long = "wait",
        alias = "wait-secs",
        value_name = "SECS",
        default_value_t = 0,
        conflicts_with = "plain"
    )]
    wait_secs: u64,
    /// Give up when the cloud stays silent this many seconds.
    #[arg(
        long = "timeout",
        alias = "timeout-secs",
        value_name = "SECS",
        default_value_t = 3600,
        conflicts_with = "plain"
    )]
    timeout_secs: u64,
    /// Where the fast protocol keeps this user's model share (secret; 0600): a file, or a
    /// directory for one file per model. Default: the directory of the key.
    #[arg(long, value_name = "PATH", conflicts_with = "plain")]
    share: Option<PathBuf>,
    /// Keep no share: the fast protocol re-shares the model for every image.
    #[arg(long, conflicts_with_all = ["share", "plain"])]
    no_share: bool,
    /// TLS: this user's identity and the cloud's pinned certificate.
    #[command(flatten)]
    tls: super::identity::ClientTlsArgs,
}

/// The user's side ([`protocol::app::denoise`]): denoise IMAGE securely, write OUTPUT,
/// print the summary (or one JSON object).
fn denoise_remote(
    addr: &str,
    image: Option<&Path>,
    output: &Path,
    args: &SecureDenoiseArgs,
    json: bool,
) -> Result<(), CliError> {
    use protocol::app::denoise::{DenoiseOptions, denoise_remote, share_location};
    // Refused before any file is read (the reference protocol garbles with half-gates only).
    args.protocol.kind().check_scheme(args.scheme.scheme())?;
    let key = args
        .key
        .as_deref()
        .ok_or("secure denoising needs --key SK (from `gcc-nn keygen`)")?;
    let image = image.ok_or("secure denoising needs an IMAGE")?;
    let sk = super::keys::load_secret(key)?;
    // The key is refused before anything else happens (connect checks it again).
    let key_policy = super::keys::key_policy();
    key_policy.check(sk.public_key(), "your key")?;
    let owner_pub = args.owner_pub.as_deref().ok_or(
        "secure denoising needs --owner-pub PUB (the model owner's owner.pub, from `gcc-nn \
         model owner-key`)",
    )?;
    let owner = protocol::upload::OwnerPublicKey::load(owner_pub)?;
    let noisy = load_image(image)?;
    let transport = args.tls.transport("denoise --connect")?;
    let clean = args
        .clean
        .as_deref()
        .map(|c| load_reference(c, &noisy))
        .transpose()?;
    let opts = DenoiseOptions {
        addr: addr.to_string(),
        transport,
        owner,
        protocol: args.protocol.kind(),
        scheme: args.scheme.scheme(),
        chunk: args.chunk,
        timeout: std::time::Duration::from_secs(args.timeout_secs.max(1)),
        wait: std::time::Duration::from_secs(args.wait_secs),
        share: (!args.no_share).then(|| share_location(key, args.share.as_deref())),
        key_policy,
    };
    let run = denoise_remote(&sk, &noisy, &opts)?;
    ensure_parent(output)?;
    let format = run.image.save(output)?;
    let quality = clean
        .as_ref()
        .map(|c| Quality::measure(c, &noisy, &run.image))
        .transpose()?;
    let title = format!(
        "secure denoising ({}, {} garbling)",
        run.protocol.name(),
        run.scheme
    );
    let summary = run.summary(&title, None);
    if json {
        let mut value = super::json::summary(&summary);
        value["mode"] = "secure".into();
        value["protocol"] = run.protocol.name().into();
        value["scheme"] = run.scheme.name().into();
        value["input"] = image.display().to_string().into();
        value["output"] = output.display().to_string().into();
        value["format"] = format.to_string().into();
        value["width"] = run.image.width().into();
        value["height"] = run.image.height().into();
        value["quality"] = quality.as_ref().map(Quality::json).into();
        outln!("{value}");
        return Ok(());
    }
    out!("{summary}");
    if let Some(q) = &quality {
        q.print();
    }
    outln!(
        "wrote {} ({format}, {}x{})",
        output.display(),
        run.image.width(),
        run.image.height()
    );
    Ok(())
}

//! `gcc-nn demo`: the README's main job. Runs the whole secure denoiser on the shipped
//! sample image with every role as its own process, exactly as a person would by hand:
//!
//! 1. noise (σ = 25 by default) is added to the shipped clean sample → `noisy.png`;
//! 2. the user: `gcc-nn keygen` (2048-bit Paillier);
//! 3. the model owner: `gcc-nn model encrypt` (the shipped model under the user's key);
//! 4. the cloud: `gcc-nn serve` on a free loopback port (a child process);
//! 5. the user: `gcc-nn denoise --connect …` → `denoised.png`, with the PSNR;
//! 6. the secure result is compared with the plaintext fixed-point reference.

use super::CliError;
use super::secure::ProtocolChoice;
use clap::Subcommand;
use model::GrayImage;
use model::activation::TANH_FIT;
use model::denoise::denoise_fixed;
use model::fixed::{FIXED, FixedMlp};
use model::metrics::{add_noise, psnr, psnr_u8};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// The end-to-end demonstration.
#[derive(Subcommand)]
pub(crate) enum DemoCommand {
    /// Secure denoising of the shipped sample image end to end: keygen, model encryption,
    /// a cloud process and the user, over loopback TCP (semi-honest, κ = 128, σ = 40).
    Demo {
        /// Folder for keys, the encrypted model and the images.
        #[arg(long, default_value = "demo-out")]
        out: PathBuf,
        /// Secure protocol: `fast-rlwe` (default: linear layers on ring-LWE), `fast` (on
        /// Paillier, ≈ 4× slower), `reference` (the paper's: hours per image at 2048 bits).
        #[arg(long, value_enum, default_value = "fast-rlwe")]
        protocol: ProtocolChoice,
        /// Paillier modulus bits (2048 is the real setting).
        #[arg(long, default_value_t = 2048)]
        bits: u32,
        /// Denoise only the top-left N×N crop of the sample (quicker runs).
        #[arg(long)]
        crop: Option<usize>,
        /// Noise σ on the 0–255 scale.
        #[arg(long, default_value_t = 25.0)]
        sigma: f64,
        /// Seed of the simulated noise (the noise is test data, not a secret).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Kills the cloud child if the demo stops early.
struct CloudProcess(Child);

impl Drop for CloudProcess {
    fn drop(&mut self) {
        // Already exited after its one connection in the normal case; errors are moot here.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the demo.
pub(crate) fn run(cmd: DemoCommand) -> Result<(), CliError> {
    let DemoCommand::Demo {
        out,
        protocol,
        bits,
        crop,
        sigma,
        seed,
    } = cmd;
    let t0 = Instant::now();
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut clean = model::shipped::sample_image()?;
    if let Some(n) = crop {
        clean = clean.crop(0, 0, n, n)?;
    }
    let noisy = add_noise(&clean, sigma, seed);
    let (clean_path, noisy_path) = (out.join("clean.png"), out.join("noisy.png"));
    clean.save_png(&clean_path)?;
    noisy.save_png(&noisy_path)?;
    outln!(
        "[1/6] sample {}x{}, noise σ = {sigma}: {} (PSNR {:.2} dB; every PSNR here is of the 8-bit images as saved, peak 255)",
        clean.width(),
        clean.height(),
        noisy_path.display(),
        psnr_u8(&clean, &noisy)?
    );

    let exe = std::env::current_exe().map_err(|e| format!("cannot find own executable: {e}"))?;
    let keys = out.join("keys");
    let enc = out.join("model.enc");
    step(
        2,
        "user: keygen",
        &exe,
        &[
            "keygen",
            "-o",
            path(&keys)?,
            "--bits",
            &bits.to_string(),
            "--force",
        ],
    )?;
    step(
        3,
        "model owner: model encrypt",
        &exe,
        &[
            "model",
            "encrypt",
            "--user-key",
            path(&keys)?,
            "-o",
            path(&enc)?,
        ],
    )?;

    outln!("[4/6] cloud: serve (child process)");
    let mut cloud = CloudProcess(
        Command::new(&exe)
            .args(["serve", "--model", path(&enc)?, "--listen", "127.0.0.1:0"])
            .args(["--max-connections", "1"])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the cloud process: {e}"))?,
    );
    let addr = listening_address(&mut cloud.0)?;
    outln!("      cloud listening on {addr}");

    let denoised = out.join("denoised.png");
    let protocol_name = protocol.kind().name();
    step(
        5,
        "user: denoise --connect",
        &exe,
        &[
            "denoise",
            "--connect",
            &addr,
            "--key",
            path(&keys)?,
            "--protocol",
            protocol_name,
            "--clean",
            path(&clean_path)?,
            path(&noisy_path)?,
            "-o",
            path(&denoised)?,
        ],
    )?;
    let status = cloud.0.wait()?;
    if !status.success() {
        return Err(format!("the cloud process exited with {status}").into());
    }

    // The user's image went through PNG: compare against the reference on that same input.
    let noisy_png = GrayImage::load(&noisy_path)?;
    let fixed = FixedMlp::from_model(&model::shipped::model()?, FIXED, TANH_FIT)?;
    let (reference, _) = denoise_fixed(&fixed, &noisy_png, fixed.stride)?;
    let secure = GrayImage::load(&denoised)?;
    // The reference's pixels are integers (model::pixel), so the comparison is exact.
    let identical = reference.to_u8() == secure.to_u8();
    outln!(
        "[6/6] secure output {} the plaintext fixed-point reference (8-bit pixels); PSNR {:.2} dB",
        if identical { "equals" } else { "DIFFERS FROM" },
        psnr(&clean, &secure)?
    );
    if protocol.kind().fast_engine().is_some() {
        outln!(
            "      the user learned only these 8-bit pixels: overlap averaging ran on shares and \
             each pixel was revealed by a small garbled circuit (no per-patch outputs)"
        );
    }
    outln!(
        "done in {:.1} s; files in {}",
        t0.elapsed().as_secs_f64(),
        out.display()
    );
    if protocol.kind().fast_engine().is_some() {
        outln!(
            "both sides kept their shares ({} and {}.shares/): a later \
             `gcc-nn serve --model {}` + `gcc-nn denoise --connect … --key {}` skips the re-sharing",
            keys.display(),
            enc.display(),
            enc.display(),
            keys.display()
        );
    }
    if identical {
        Ok(())
    } else {
        Err("secure output differs from the plaintext fixed-point reference".into())
    }
}

/// Runs one role as a child process, forwarding its output; fails on a non-zero exit.
fn step(n: usize, what: &str, exe: &Path, args: &[&str]) -> Result<(), CliError> {
    outln!("[{n}/6] {what}: gcc-nn {}", args.join(" "));
    let status = Command::new(exe)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})").into())
    }
}

/// Reads the cloud's `listening on ADDR` line; forwards the rest of its stdout.
fn listening_address(child: &mut Child) -> Result<String, CliError> {
    let stdout = child
        .stdout
        .take()
        .ok_or("the cloud process has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line?;
        if let Some(addr) = line.strip_prefix("listening on ") {
            let addr = addr.trim().to_string();
            std::thread::spawn(move || lines.map_while(Result::ok).for_each(|l| outln!("{l}")));
            return Ok(addr);
        }
    }
    Err("the cloud process exited before listening".into())
}

/// A path as UTF-8 text for a child's command line.
fn path(p: &Path) -> Result<&str, CliError> {
    p.to_str()
        .ok_or_else(|| format!("path is not UTF-8: {}", p.display()).into())
}

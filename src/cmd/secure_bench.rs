//! `gcc-nn secure-bench`: cost of the reference protocol per patch and per layer, with the
//! cloud in its own process so that each side's CPU time is its own.

use super::CliError;
use clap::Subcommand;
use model::Mlp;
use model::denoise::quantised_patches;
use model::fixed::{FIXED, FixedMlp};
use paillier::SecretKey;
use platform::cpu;
use protocol::app::summary::Summary;
use protocol::session::ProtocolKind;
use protocol::session::client::connect;
use protocol::upload::EncryptedModel;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The reference protocol's bench.
#[derive(Subcommand)]
pub(crate) enum SecureBenchCommand {
    /// Measure the reference protocol on the shipped model: model owner, cloud (a child
    /// `gcc-nn serve` process) and user over loopback TLS 1.3; prints time per phase and layer,
    /// CPU per side, bytes, and the extrapolation to a whole 256x256 image.
    SecureBench {
        /// Paillier modulus bits: 2048 or 3072 (smaller keys are refused, as by `serve`).
        #[arg(long, default_value_t = 2048)]
        bits: u32,
        /// Patches to run (one chunk).
        #[arg(long, default_value_t = 1)]
        patches: usize,
        /// Model file; default: the shipped one.
        #[arg(long)]
        model: Option<PathBuf>,
    },
}

/// Runs `gcc-nn secure-bench`.
pub(crate) fn run(cmd: SecureBenchCommand) -> Result<(), CliError> {
    let SecureBenchCommand::SecureBench {
        bits,
        patches,
        model,
    } = cmd;
    bench(bits, patches.max(1), model.as_deref())
}

/// Runs the bench.
fn bench(bits: u32, patches: usize, model_path: Option<&Path>) -> Result<(), CliError> {
    let mlp = match model_path {
        Some(p) => Mlp::load(p)?,
        None => model::shipped::model()?,
    };
    let fixed = FixedMlp::from_model(&mlp, FIXED, mlp.activation_for(None)?)?;
    let dir = tempfile_dir()?;
    // The cloud is the shipped `gcc-nn serve`, which refuses keys under 2048 bits: the
    // bench measures production keys only (no insecure small-key mode).
    if bits < paillier::MIN_PRODUCTION_KEY_BITS {
        return Err(format!(
            "secure-bench needs a production key: {bits}-bit keys are refused (at least {} bits; \
             `gcc-nn serve` refuses smaller keys)",
            paillier::MIN_PRODUCTION_KEY_BITS
        )
        .into());
    }
    let t = Instant::now();
    let sk = SecretKey::generate(bits, &mut rand::rng())?;
    outln!("keygen ({bits} bits): {:.2} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    // The bench plays the model owner too: a fresh owner key, whose public half the cloud
    // and the user check the upload against.
    let owner = protocol::upload::OwnerKey::generate();
    owner.save_pair(&dir, true)?;
    let enc = EncryptedModel::encrypt(&fixed, sk.public_key(), &owner)?;
    let enc_path = dir.join("model.enc");
    enc.save(&enc_path)?;
    outln!(
        "model owner: {} parameters encrypted in {:.2} s ({} bytes)",
        enc.header.parameter_count(),
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&enc_path)?.len()
    );
    drop(enc);
    let (serve_tls, transport) = super::identity::local_tls(&dir)?;
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--max-connections",
            "1",
            "--owner-pub",
        ])
        .arg(&dir)
        .arg("--model")
        .arg(&enc_path)
        .args(&serve_tls)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let pid = child.id();
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out).read_line(&mut line)?;
    }
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| {
            format!(
                "the cloud process did not start (its first line: '{}')",
                line.trim()
            )
        })?
        .to_string();
    let cloud_cpu0 = cpu::process_cpu(pid);
    let user_cpu0 = cpu::own_cpu();
    let sample = model::shipped::sample_image()?;
    let (inputs, _) = quantised_patches(&fixed, &sample, fixed.stride)?;
    let chosen: Vec<Vec<i64>> = inputs.iter().step_by(97).take(patches).cloned().collect();
    let t0 = Instant::now();
    let mut session = connect(
        &transport,
        &addr,
        &sk,
        &owner.public(),
        ProtocolKind::Reference,
        Duration::from_secs(7200),
        Duration::ZERO,
    )?;
    let handshake = t0.elapsed();
    let (q, stats) = session.run_job(&sk, &chosen, chosen.len(), &mut |p| {
        eprintln!("  layer {}/{} done", p.layers_done, p.layers)
    })?;
    let wall = t0.elapsed();
    let user_cpu = cpu::own_cpu()
        .zip(user_cpu0)
        .map(|(a, b)| a.saturating_sub(b));
    drop(session);
    // The cloud exits after its one connection: its final figure, read before it is reaped.
    let cloud_cpu = cpu::final_child_cpu(pid, Duration::from_secs(30))
        .zip(cloud_cpu0)
        .map(|(a, b)| a.saturating_sub(b));
    let _ = child.wait();
    let exact = chosen.iter().zip(&q).all(|(p, q)| fixed.forward(p).0 == *q);
    let summary = Summary {
        title: "secure bench (reference)",
        stats: &stats,
        handshake,
        total: wall,
        patches: chosen.len(),
        layers: fixed.layers.len(),
        user_cpu,
        cloud_cpu,
    };
    out!("{summary}");
    let (user_cpu, cloud_cpu) = (
        user_cpu.map_or(0.0, |d| d.as_secs_f64()),
        cloud_cpu.map_or(0.0, |d| d.as_secs_f64()),
    );
    let n = chosen.len() as f64;
    let image_patches = inputs.len() as f64;
    let products: usize = fixed.layers.iter().map(|l| l.inputs * l.outputs).sum();
    let tanh: usize = fixed.layers[..fixed.layers.len() - 1]
        .iter()
        .map(|l| l.outputs)
        .sum();
    outln!(
        "outputs equal the fixed-point reference: {exact}\n\
         per patch: wall {:.2} s, CPU user {:.2} s, CPU cloud {:.2} s, {:.2} MB each way (user→cloud {:.2}, cloud→user {:.2})\n\
         per patch: {products} encrypted multiplications ({:.3} ms wall each, paper ≈125 ms), {tanh} secure tanh",
        wall.as_secs_f64() / n,
        user_cpu / n,
        cloud_cpu / n,
        (stats.bytes_sent + stats.bytes_received) as f64 / 2e6 / n,
        stats.bytes_sent as f64 / 1e6 / n,
        stats.bytes_received as f64 / 1e6 / n,
        wall.as_secs_f64() * 1e3 / n / products as f64,
    );
    outln!(
        "whole 256x256 image ({} patches at stride {}): ≈{:.1} h wall on this machine \
         (paper: tens of hours per patch)",
        image_patches,
        fixed.stride,
        wall.as_secs_f64() / n * image_patches / 3600.0
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A fresh private directory under the system temp dir.
fn tempfile_dir() -> Result<std::path::PathBuf, CliError> {
    let dir = std::env::temp_dir().join(format!("gcc-nn-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

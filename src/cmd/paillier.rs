//! `gcc-nn keygen` (Paillier key pair) and `gcc-nn bridge-demo` (the HE↔GC bridge over loopback).

use super::CliError;
use super::keys::{PUBLIC_KEY_FILE, SECRET_KEY_FILE};
use clap::Subcommand;
use paillier::{DEFAULT_KEY_BITS, MIN_PRODUCTION_KEY_BITS, SecretKey};
use platform::atomic_file::{PendingFile, Visibility, WriteError};
use protocol::Timeline;
use protocol::bridge::demo::{DemoOptions, DemoReport, run_demo};
use protocol::bridge::{BridgeCircuit, Mode};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Paillier commands.
#[derive(Subcommand)]
pub(crate) enum PaillierCommand {
    /// Generate a Paillier key pair (g = N+1; primes by trial division and 40 Miller–Rabin
    /// rounds from the OS-seeded CSPRNG) and write DIR/paillier.pub and DIR/paillier.key
    /// (the secret file is created with permissions 0600).
    Keygen {
        /// Directory to write the two key files into (created if missing).
        #[arg(short = 'o', long = "output", alias = "out", value_name = "DIR")]
        out: PathBuf,
        /// Modulus size in bits: 2048 (default) or 3072.
        #[arg(long, default_value_t = DEFAULT_KEY_BITS)]
        bits: u32,
        /// Overwrite existing key files.
        #[arg(long)]
        force: bool,
    },
    /// Run the Paillier↔garbled-circuit bridge (masked tanh*) between a cloud and a user
    /// thread over loopback TCP on random pre-activations; print the outputs next to the
    /// plaintext reference with per-phase timings and bytes (semi-honest, κ = 128, σ = 40).
    BridgeDemo {
        /// Number of activations in the batch.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// Pack masked values into Paillier slots (one decryption serves many activations).
        #[arg(long)]
        packed: bool,
        /// Chained packing: one σ per ciphertext instead of one per slot (more slots, fewer
        /// decryptions and squarings; the circuit carries borrows across slots).
        #[arg(long, conflicts_with = "packed")]
        chained: bool,
        /// Pre-activations at the activation scale (16 bits, 12 fractional: the masked wrapper
        /// with FW = 0, LZ = 16) instead of the shipped scale 24 (36 bits).
        #[arg(long)]
        narrow: bool,
        /// Read the user's key from DIR/paillier.key (from `gcc-nn keygen`) instead of
        /// generating one.
        #[arg(long, value_name = "DIR")]
        key: Option<PathBuf>,
        /// Modulus size of a generated key.
        #[arg(long, default_value_t = DEFAULT_KEY_BITS)]
        bits: u32,
        /// INSECURE: fixed seed for the pre-activations and masks (reproducible runs).
        #[arg(long)]
        seed: Option<u64>,
        /// How many outputs to print.
        #[arg(long, default_value_t = 12)]
        show: usize,
    },
}

/// Runs a Paillier command.
pub(crate) fn run(cmd: PaillierCommand) -> Result<(), CliError> {
    match cmd {
        PaillierCommand::Keygen { out, bits, force } => keygen(&out, bits, force),
        PaillierCommand::BridgeDemo {
            batch,
            packed,
            chained,
            narrow,
            key,
            bits,
            seed,
            show,
        } => {
            let mode = if chained {
                Mode::Chained
            } else if packed {
                Mode::Packed
            } else {
                Mode::Unpacked
            };
            bridge_demo(batch, mode, narrow, key.as_deref(), bits, seed, show)
        }
    }
}

fn bridge_demo(
    batch: usize,
    mode: Mode,
    narrow: bool,
    key: Option<&Path>,
    bits: u32,
    seed: Option<u64>,
    show: usize,
) -> Result<(), CliError> {
    if batch == 0 {
        return Err("--batch must be at least 1".into());
    }
    if seed.is_some() {
        eprintln!(
            "warning: --seed makes the masks predictable: INSECURE, for reproducible demos only"
        );
    }
    let started = std::time::Instant::now();
    let sk = match key {
        Some(dir) => {
            let path = dir.join(SECRET_KEY_FILE);
            let bytes =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            SecretKey::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => {
            check_production_size(bits)?;
            SecretKey::generate(bits, &mut rand::rng())?
        }
    };
    let key_time = started.elapsed();
    let key_bits = sk.public_key().bits();
    let circuit = if narrow {
        BridgeCircuit::narrow_tanh()?
    } else {
        BridgeCircuit::default_tanh()?
    };
    let circuit = if mode == Mode::Chained {
        circuit.with_chained(key_bits)?
    } else {
        circuit
    };
    let p = circuit.params();
    let frac_bits = if narrow { 12 } else { 24 };
    outln!(
        "bridge demo: {batch} activations, {} mode, {}-bit Paillier key ({} in {:.2} s), σ = {}",
        match mode {
            Mode::Unpacked => "unpacked",
            Mode::Packed => "packed",
            Mode::Chained => "chained",
        },
        sk.public_key().bits(),
        if key.is_some() { "read" } else { "generated" },
        key_time.as_secs_f64(),
        p.sigma
    );
    outln!(
        "circuit: circuits/wrappers/masked.dsl linked to circuits/tanh.dsl{}, LX = {} input bits ({frac_bits} fractional), {} ANDs per activation",
        if narrow { " (FW = 0, LZ = 16)" } else { "" },
        p.x_bits,
        circuit.and_count()
    );
    let report = run_demo(
        Arc::new(sk),
        Arc::new(circuit),
        &DemoOptions {
            batch,
            mode,
            seed,
            frac_bits,
        },
    )?;
    print_report(&report, show, frac_bits);
    if report.matching() != batch {
        return Err(format!(
            "{} of {batch} outputs differ from the plaintext reference",
            batch - report.matching()
        )
        .into());
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn print_party(name: &str, r: &Timeline) {
    outln!(
        "{name}: on-line {:.1} ms wall ({:.1} ms Paillier compute, {:.1} ms garbled-circuit run), \
         sent {} B, received {} B, r^N from pool {}, computed on line {}",
        ms(r.online()),
        ms(r.compute()),
        ms(r.gc_wall()),
        r.bytes_sent,
        r.bytes_received,
        r.randomness_from_pool,
        r.randomness_computed
    );
    for (phase, d) in &r.phases() {
        outln!("    {phase:<28} {:>10.2} ms", ms(*d));
    }
}

fn print_report(r: &DemoReport, show: usize, frac_bits: u32) {
    let n = r.inputs.len();
    let scale = 4096.0;
    let in_scale = f64::powi(2.0, frac_bits as i32);
    outln!(
        "\n{:>8} {:>10} {:>10} {:>10} {:>10}  match",
        "#",
        "x",
        "x (real)",
        "bridge",
        "reference"
    );
    for i in 0..n.min(show) {
        outln!(
            "{i:>8} {:>10} {:>10.4} {:>10.4} {:>10.4}  {}",
            r.inputs[i],
            r.inputs[i] as f64 / in_scale,
            r.outputs[i] as f64 / scale,
            r.reference[i] as f64 / scale,
            if r.outputs[i] == r.reference[i] {
                "yes"
            } else {
                "NO"
            }
        );
    }
    outln!(
        "... {} of {n} outputs bit-identical to the plaintext reference\n",
        r.matching()
    );
    outln!(
        "off-line r^N precomputation: cloud {} values in {:.1} ms, user {} values (CRT) in {:.1} ms (both parallel over cores)",
        r.cloud_offline.0,
        ms(r.cloud_offline.1),
        r.user_offline.0,
        ms(r.user_offline.1)
    );
    print_party("cloud", &r.cloud);
    print_party("user ", &r.user);
    let per = |d: Duration| ms(d) / n as f64;
    let compute = r.cloud.compute() + r.user.compute() + r.cloud.gc_wall();
    let offline = r.cloud_offline.1 + r.user_offline.1;
    outln!(
        "\nper activation (amortised over {n}): on-line {:.3} ms (cloud Paillier {:.3} + user Paillier {:.3} + GC wall {:.3}), \
         off-line {:.3} ms, on-line + off-line {:.3} ms; whole on-line run {:.1} ms wall",
        per(compute),
        per(r.cloud.compute()),
        per(r.user.compute()),
        per(r.cloud.gc_wall()),
        per(offline),
        per(compute + offline),
        ms(r.online_wall)
    );
}

/// Refuses a key size no production path accepts, naming it (before any work is done).
fn check_production_size(bits: u32) -> Result<(), CliError> {
    if bits < MIN_PRODUCTION_KEY_BITS {
        return Err(format!(
            "refusing to generate a {bits}-bit Paillier key: production keys need at least \
             {MIN_PRODUCTION_KEY_BITS} bits (2048 or 3072)"
        )
        .into());
    }
    Ok(())
}

fn keygen(dir: &Path, bits: u32, force: bool) -> Result<(), CliError> {
    check_production_size(bits)?;
    let started = std::time::Instant::now();
    let sk = SecretKey::generate(bits, &mut rand::rng())?;
    // Belt and braces: the generated modulus passes the same check every production path makes.
    sk.public_key().validate_production()?;
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create directory {}: {e}", dir.display()))?;
    let pub_path = dir.join(PUBLIC_KEY_FILE);
    let key_path = dir.join(SECRET_KEY_FILE);
    // Refuse before writing anything, so that a refusal never leaves a mismatched pair.
    if !force {
        for path in [&key_path, &pub_path] {
            if path.exists() {
                return Err(format!("{} exists (use --force to overwrite)", path.display()).into());
            }
        }
    }
    // Both files complete in temporary files (the secret one 0600 from its creation),
    // then moved into place.
    let pending = |path: &Path, bytes: &[u8], visibility| {
        PendingFile::write(path, bytes, visibility).map_err(|e| WriteError::new(path, e))
    };
    let key_tmp = pending(&key_path, &sk.to_bytes(), Visibility::Private)?;
    let pub_tmp = pending(&pub_path, &sk.public_key().to_bytes(), Visibility::Public)?;
    key_tmp.place(force)?;
    pub_tmp.place(force)?;
    outln!(
        "generated a {bits}-bit Paillier key in {:.2} s (fingerprint {})",
        started.elapsed().as_secs_f64(),
        sk.public_key()
            .fingerprint()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    outln!("  public key: {}", pub_path.display());
    outln!("  secret key: {} (mode 0600)", key_path.display());
    Ok(())
}

//! The secure roles: `gcc-nn model encrypt` (model owner), `gcc-nn serve` (cloud), the user's
//! `gcc-nn denoise --connect` (called from `denoise.rs`) and `gcc-nn secure-bench`.

use super::CliError;
use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use model::Mlp;
use model::activation::{TANH_FIT, TANH_STAR};
use model::denoise::{gray_from_u8, quantised_patches};
use model::fixed::{FIXED, FixedMlp};
use model::metrics::psnr;
use model::patches::ImageLayout;
use paillier::{PublicKey, SecretKey};
use protocol::fast::store::{CloudShareStore, UserShareLocation};
use protocol::session::client::{Progress, connect};
use protocol::session::serve::{CloudState, ServeOptions, serve};
use protocol::session::{JobStats, ProtocolKind};
use protocol::upload::EncryptedModel;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which activation the model owner's fixed-point model uses.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Activation {
    /// circuits/masked_tanh_fit.dsl (default, as `denoise --plain`).
    TanhFit,
    /// circuits/masked_tanh.dsl: the paper's tanh*.
    TanhStar,
}

/// Which secure protocol a user asks for.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum ProtocolChoice {
    /// The paper's protocol (docs/protocol.md §2).
    Reference,
    /// The fast whole-image protocol (docs/protocol.md §3), linear layers on packed Paillier.
    Fast,
    /// The fast whole-image protocol with its linear layers on ring-LWE (docs/protocol.md §4).
    FastRlwe,
}

impl ProtocolChoice {
    pub(crate) fn kind(self) -> ProtocolKind {
        match self {
            ProtocolChoice::Reference => ProtocolKind::Reference,
            ProtocolChoice::Fast => ProtocolKind::Fast,
            ProtocolChoice::FastRlwe => ProtocolKind::FastRlwe,
        }
    }
}

/// Model owner's commands.
#[derive(Subcommand)]
pub(crate) enum ModelCommand {
    /// Encrypt a model under the user's Paillier public key for the cloud (model owner).
    Encrypt {
        /// Model file (default: the shipped assets/denoiser.gccmlp).
        #[arg(long)]
        model: Option<PathBuf>,
        /// The user's public key: a paillier.pub file or the directory holding it.
        #[arg(long)]
        user_key: PathBuf,
        /// Output encrypted model.
        #[arg(short, long)]
        output: PathBuf,
        /// Activation approximation (must match what the user expects).
        #[arg(long, value_enum, default_value = "tanh-fit")]
        activation: Activation,
    },
}

/// Secure-denoising commands.
#[derive(Subcommand)]
pub(crate) enum SecureCommand {
    /// Model owner commands (`model encrypt`).
    Model {
        #[command(subcommand)]
        cmd: ModelCommand,
    },
    /// Serve an encrypted model to users over TCP (the cloud; never holds a secret key).
    Serve {
        /// Encrypted model from `gcc-nn model encrypt`.
        #[arg(long)]
        model: PathBuf,
        /// Address to listen on (port 0: any free port, printed on stdout).
        #[arg(long, default_value = "127.0.0.1:7878")]
        listen: String,
        /// Users served at the same time; more are told to wait.
        #[arg(long, default_value_t = 1)]
        max_sessions: usize,
        /// Stop after this many connections (default: serve for ever).
        #[arg(long)]
        max_connections: Option<usize>,
        /// Drop a user silent for this many seconds.
        #[arg(long, default_value_t = 3600)]
        timeout_secs: u64,
        /// Cut any session that lasts longer than this many seconds (default: no limit).
        #[arg(long)]
        session_limit_secs: Option<u64>,
        /// Directory where the fast protocol keeps each user's shares between images
        /// (secret: holds the cloud's per-user keys; files 0600). Default: MODEL.shares.
        #[arg(long, value_name = "DIR")]
        share_store: Option<PathBuf>,
        /// Keep no shares: the fast protocol re-shares the model for every image.
        #[arg(long, conflicts_with = "share_store")]
        no_share_store: bool,
    },
    /// Measure the reference protocol on the shipped model: model owner, cloud (a child
    /// `gcc-nn serve` process) and user over loopback TCP; prints time per phase and layer,
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

fn read_key_file(path: &Path, file: &str) -> Result<Vec<u8>, CliError> {
    let p = if path.is_dir() {
        path.join(file)
    } else {
        path.to_path_buf()
    };
    std::fs::read(&p).map_err(|e| format!("cannot read key {}: {e}", p.display()).into())
}

/// Reads a public key file (or DIR/paillier.pub).
fn load_public(path: &Path) -> Result<PublicKey, CliError> {
    let bytes = read_key_file(path, "paillier.pub")?;
    PublicKey::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// Reads a secret key file (or DIR/paillier.key).
pub(crate) fn load_secret(path: &Path) -> Result<SecretKey, CliError> {
    let bytes = read_key_file(path, "paillier.key")?;
    SecretKey::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// Runs a secure command.
pub(crate) fn run(cmd: SecureCommand) -> Result<(), CliError> {
    match cmd {
        SecureCommand::Model {
            cmd:
                ModelCommand::Encrypt {
                    model,
                    user_key,
                    output,
                    activation,
                },
        } => {
            let mlp = match &model {
                Some(p) => Mlp::load(p)?,
                None => model::shipped::model()?,
            };
            let pk = load_public(&user_key)?;
            let act = match activation {
                Activation::TanhFit => TANH_FIT,
                Activation::TanhStar => TANH_STAR,
            };
            let fixed = FixedMlp::from_model(&mlp, FIXED, act)?;
            let t = Instant::now();
            let enc = EncryptedModel::encrypt(&fixed, &pk)?;
            enc.save(&output)?;
            outln!(
                "wrote {} ({} encrypted parameters, {}-bit key, short-exponent randomness, {:.1} s)",
                output.display(),
                enc.header.parameter_count(),
                pk.bits(),
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
        SecureCommand::Serve {
            model,
            listen,
            max_sessions,
            max_connections,
            timeout_secs,
            session_limit_secs,
            share_store,
            no_share_store,
        } => {
            install_log_subscriber();
            let enc = EncryptedModel::load(&model)?;
            let mut state =
                CloudState::new(enc).map_err(|e| format!("{}: {e}", model.display()))?;
            if !no_share_store {
                let dir = share_store.unwrap_or_else(|| {
                    let mut d = model.clone().into_os_string();
                    d.push(".shares");
                    PathBuf::from(d)
                });
                state.share_store = Some(CloudShareStore::open(&dir)?);
                tracing::info!("fast-protocol shares kept in {}", dir.display());
            }
            let listener = TcpListener::bind(&listen)
                .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
            let addr = listener.local_addr()?;
            let h = &state.model.header;
            outln!("listening on {addr}");
            tracing::info!(
                "serving {}: widths {:?}, activation {}, protocols: reference, fast, fast-rlwe",
                model.display(),
                h.widths,
                h.activation
            );
            let opts = ServeOptions {
                max_sessions: max_sessions.max(1),
                timeout: Duration::from_secs(timeout_secs.max(1)),
                max_connections,
                session_limit: session_limit_secs.map(|s| Duration::from_secs(s.max(1))),
                ..ServeOptions::default()
            };
            // The server's events reach stderr through the `tracing` subscriber (levels,
            // timestamps, session and peer fields); the plain line sink is not needed here.
            serve(
                &listener,
                Arc::new(state),
                &opts,
                Arc::new(|line: String| eprintln!("{line}")),
            )?;
            Ok(())
        }
        SecureCommand::SecureBench {
            bits,
            patches,
            model,
        } => super::secure_bench::run(bits, patches.max(1), model.as_deref()),
    }
}

/// Prints `tracing` events (the server's log) on stderr: UTC timestamp, level, message and
/// fields such as `session=3 peer=127.0.0.1:50412`; colour only on a terminal.
fn install_log_subscriber() {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_max_level(tracing::Level::INFO)
        .init();
}

/// The user's options of `gcc-nn denoise --connect ADDR` (flattened into `denoise`).
#[derive(clap::Args)]
pub(crate) struct SecureDenoiseArgs {
    /// Secure denoising: the user's secret key (a paillier.key file or its directory).
    #[arg(long, value_name = "SK", conflicts_with = "plain")]
    key: Option<PathBuf>,
    /// Secure protocol to ask the cloud for: `fast-rlwe` (default: linear layers on
    /// ring-LWE), `fast` (on Paillier) or `reference` (the paper's, hours per image).
    #[arg(long, value_enum, default_value = "fast-rlwe", conflicts_with = "plain")]
    protocol: ProtocolChoice,
    /// Clean reference image: print the PSNR of the noisy and denoised images against it.
    #[arg(long, value_name = "REF")]
    pub(crate) clean: Option<PathBuf>,
    /// Patches per protocol round (each layer is one batch over a chunk).
    #[arg(long, default_value_t = 8, conflicts_with = "plain")]
    chunk: usize,
    /// While the server is busy, retry for up to this many seconds.
    #[arg(long, default_value_t = 0, conflicts_with = "plain")]
    wait_secs: u64,
    /// Where the fast protocol keeps this user's model share (secret; 0600): a file, or a
    /// directory for one file per model. Default: the directory of the key.
    #[arg(long, value_name = "PATH", conflicts_with = "plain")]
    share: Option<PathBuf>,
    /// Keep no share: the fast protocol re-shares the model for every image.
    #[arg(long, conflicts_with_all = ["share", "plain"])]
    no_share: bool,
}

/// The user's side: connect, handshake, denoise IMAGE securely, write OUT, print a summary.
pub(crate) fn denoise_remote(
    addr: &str,
    image: Option<&Path>,
    output: &Path,
    args: &SecureDenoiseArgs,
) -> Result<(), CliError> {
    let t0 = Instant::now();
    let key = args
        .key
        .as_deref()
        .ok_or("secure denoising needs --key SK (from `gcc-nn keygen`)")?;
    let image = image.ok_or("secure denoising needs an IMAGE")?;
    let sk = load_secret(key)?;
    let noisy = super::denoise::load_image(image)?;
    let mut session = connect(
        addr,
        &sk,
        args.protocol.kind(),
        Duration::from_secs(3600),
        Duration::from_secs(args.wait_secs),
    )?;
    let handshake = t0.elapsed();
    if !args.no_share {
        session.share_location = Some(match &args.share {
            Some(p) if !p.is_dir() => UserShareLocation::File(p.clone()),
            Some(p) => UserShareLocation::Dir(p.clone()),
            None if key.is_dir() => UserShareLocation::Dir(key.to_path_buf()),
            None => UserShareLocation::Dir(
                key.parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            ),
        });
    }
    let shell = session.shell_model()?;
    let (inputs, _) = quantised_patches(&shell, &noisy, shell.stride)?;
    let layout = ImageLayout::new(noisy.width(), noisy.height(), shell.geometry(shell.stride)?)?;
    let layers = session.header.layers();
    let bar = ProgressBar::new((inputs.len() * layers) as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} patch-layers {msg} (eta {eta})",
        )
        .map_err(|e| e.to_string())?,
    );
    let mut on_progress = |p: Progress| {
        bar.set_position(((p.patches_done * p.layers) + p.chunk * p.layers_done) as u64);
        bar.set_message(format!(
            "patches {}–{} of {}, layer {}/{}",
            p.patches_done + 1,
            p.patches_done + p.chunk,
            p.patches,
            p.layers_done,
            p.layers
        ));
    };
    let (result, stats) = session.run_image(&sk, &inputs, &layout, args.chunk, &mut on_progress)?;
    bar.finish_and_clear();
    // The 8-bit image: all the fast protocol reveals; the reference protocol also revealed
    // every patch's raw output (`result.patch_outputs`), which is not kept.
    let out = gray_from_u8(&layout, &result.pixels)?;
    out.save(output)?;
    print_summary(&stats, handshake, t0.elapsed(), inputs.len(), layers);
    if let Some(clean) = &args.clean {
        let clean = super::denoise::load_reference(clean, &noisy)?;
        outln!(
            "PSNR: noisy {:.2} dB, denoised {:.2} dB",
            psnr(&clean, &noisy)?,
            psnr(&clean, &out)?
        );
    }
    outln!(
        "wrote {} ({}x{})",
        output.display(),
        out.width(),
        out.height()
    );
    Ok(())
}

/// Prints time per phase and bytes each way.
pub(crate) fn print_summary(
    stats: &JobStats,
    handshake: Duration,
    total: Duration,
    patches: usize,
    layers: usize,
) {
    outln!(
        "secure denoising: {patches} patches × {layers} layers in {:.2} s (handshake {:.3} s)",
        total.as_secs_f64(),
        handshake.as_secs_f64()
    );
    for (name, d) in &stats.phases {
        outln!("  {name:<34} {:>10.3} s", d.as_secs_f64());
    }
    outln!(
        "  totals: off-line r^N {:.3} s, waiting for the cloud {:.3} s",
        stats.total("offline:").as_secs_f64(),
        stats.total("wait:").as_secs_f64()
    );
    outln!(
        "  bytes: {} sent, {} received ({:.1} KiB per patch)",
        stats.bytes_sent,
        stats.bytes_received,
        (stats.bytes_sent + stats.bytes_received) as f64 / 1024.0 / patches.max(1) as f64
    );
}

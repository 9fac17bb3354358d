//! The secure roles of the model owner (`gcc-nn model encrypt`) and the cloud (`gcc-nn
//! serve`); the user's `gcc-nn denoise --connect` is in `denoise.rs`, on
//! [`protocol::app::denoise`].

use super::CliError;
use clap::Subcommand;
use model::Mlp;
use model::fixed::{FIXED, FixedMlp};
use protocol::fast::store::CloudShareStore;
use protocol::session::KeyPolicy;
use protocol::session::admit::UserRate;
use protocol::session::serve::{CloudState, ServeOptions, serve};
use protocol::upload::{EncryptedModel, OwnerKey, OwnerPublicKey};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Model owner's commands.
#[derive(Subcommand)]
pub(crate) enum ModelCommand {
    /// Make the model owner's Ed25519 signing key: DIR/owner.key (secret, 0600) signs every
    /// upload; DIR/owner.pub goes to the cloud (`serve --owner-pub`) and to the users
    /// (`denoise --owner-pub`), who refuse a model signed by any other key.
    OwnerKey {
        /// Directory for owner.key and owner.pub (created if needed).
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        /// Overwrite an existing key pair.
        #[arg(long)]
        force: bool,
    },
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
        /// The model owner's signing key (owner.key from `gcc-nn model owner-key`, or its
        /// directory): the upload is signed with it.
        #[arg(long, value_name = "FILE|DIR")]
        owner_key: PathBuf,
        /// Activation; default: the one the model file names. A shipped name (tanh_fit,
        /// tanh, tanh_fine, relu, sigmoid, gelu) or a DSL file fixed<16,12> → fixed<16,12>,
        /// accepted only if its source has the model's hash (needed when the model names a
        /// DSL file of its owner's). Its source goes into the encrypted model's header (the
        /// cloud compiles it and sends it to the user).
        #[arg(long, value_name = "FILE.dsl|NAME", value_parser = super::parse_activation)]
        activation: Option<activation::Activation>,
    },
    /// Convert a version-2 model file (which names no activation) to version 3, naming the
    /// activation it was trained for, or re-bind a version-3 file to a new source of its own
    /// activation (same name); weights and biases are copied bit for bit.
    Upgrade {
        /// The version-2 model file (or a version-3 one to re-bind).
        model: PathBuf,
        /// The activation the model was trained for (tanh_fit for gcc-nn's tanh models, relu
        /// for ReLU ones), a shipped name or a DSL file.
        #[arg(long, value_name = "FILE.dsl|NAME", value_parser = super::parse_activation)]
        activation: activation::Activation,
        /// Output model file (version 3).
        #[arg(short, long)]
        output: PathBuf,
        /// Replace OUTPUT if it exists (it may be MODEL itself).
        #[arg(long)]
        force: bool,
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
    /// Serve an encrypted model to users over TLS 1.3 (the cloud; never holds a secret key).
    Serve {
        /// Encrypted model from `gcc-nn model encrypt`.
        #[arg(long)]
        model: PathBuf,
        /// The model owner's public key (owner.pub, or its directory): the model must be
        /// signed by it, else serve refuses to start.
        #[arg(long, value_name = "FILE|DIR")]
        owner_pub: PathBuf,
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
        #[arg(
            long = "timeout",
            alias = "timeout-secs",
            value_name = "SECS",
            default_value_t = 3600
        )]
        timeout_secs: u64,
        /// Cut any session that lasts longer than this many seconds (default: no limit).
        #[arg(
            long = "session-limit",
            alias = "session-limit-secs",
            value_name = "SECS"
        )]
        session_limit_secs: Option<u64>,
        /// Directory where the fast protocol keeps each user's shares between images
        /// (secret: holds the cloud's per-user keys; files 0600). Default: MODEL.shares.
        #[arg(long, value_name = "DIR")]
        share_store: Option<PathBuf>,
        /// Keep no shares: the fast protocol re-shares the model for every image.
        #[arg(long, conflicts_with = "share_store")]
        no_share_store: bool,
        /// Sessions each user may start per hour; more are refused before any work (0: no
        /// limit).
        #[arg(long, value_name = "N", default_value_t = 60)]
        user_rate: u32,
        #[command(flatten)]
        tls: super::identity::ServerTlsArgs,
    },
}

/// Runs a secure command.
pub(crate) fn run(cmd: SecureCommand) -> Result<(), CliError> {
    match cmd {
        SecureCommand::Model {
            cmd: ModelCommand::OwnerKey { output, force },
        } => {
            let key = OwnerKey::generate();
            let (secret, public) = key.save_pair(&output, force)?;
            outln!(
                "generated the model owner's Ed25519 key (fingerprint {})",
                key.public().fingerprint()
            );
            outln!(
                "  public key: {} (for the cloud and the users)",
                public.display()
            );
            outln!("  secret key: {} (mode 0600)", secret.display());
            Ok(())
        }
        SecureCommand::Model {
            cmd:
                ModelCommand::Encrypt {
                    model,
                    user_key,
                    output,
                    owner_key,
                    activation,
                },
        } => {
            let owner = OwnerKey::load(&owner_key)?;
            let mlp = match &model {
                Some(p) => Mlp::load(p)?,
                None => model::shipped::model()?,
            };
            // The header's activation (source and hash) is the model file's.
            let activation = mlp.activation_for(activation)?;
            let pk = super::keys::load_public(&user_key)?;
            let fixed = FixedMlp::from_model(&mlp, FIXED, activation)?;
            let t = Instant::now();
            let enc = match super::keys::key_policy() {
                KeyPolicy::Production => EncryptedModel::encrypt(&fixed, &pk, &owner)?,
                KeyPolicy::InsecureTestKeys => {
                    EncryptedModel::encrypt_with_rng(&fixed, &pk, &owner, &mut rand::rng())?
                }
            };
            enc.save(&output)?;
            outln!(
                "wrote {} ({} encrypted parameters, {}-bit key, short-exponent randomness, \
                 signed by owner key {}, {:.1} s)",
                output.display(),
                enc.header.parameter_count(),
                pk.bits(),
                owner.public().fingerprint(),
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
        SecureCommand::Model {
            cmd:
                ModelCommand::Upgrade {
                    model,
                    activation,
                    output,
                    force,
                },
        } => upgrade(&model, &activation, &output, force),
        SecureCommand::Serve {
            model,
            owner_pub,
            listen,
            max_sessions,
            max_connections,
            timeout_secs,
            session_limit_secs,
            share_store,
            no_share_store,
            user_rate,
            tls,
        } => {
            install_log_subscriber();
            if tls.plaintext() && share_store.is_some() {
                return Err(
                    "--share-store needs authenticated users: it cannot be used with \
                            --insecure-plaintext"
                        .into(),
                );
            }
            let owner = OwnerPublicKey::load(&owner_pub)?;
            let enc = EncryptedModel::load(&model)?;
            let mut state = CloudState::with_key_policy(enc, &owner, super::keys::key_policy())
                .map_err(|e| format!("{}: {e}", model.display()))?;
            let transport = tls.transport("serve")?;
            if tls.plaintext() {
                tracing::warn!(
                    "plain TCP: no user is authenticated, so no share store (a re-sharing per image)"
                );
            } else if !no_share_store {
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
            let widths: Vec<String> = h.widths.iter().map(ToString::to_string).collect();
            tracing::info!(
                "serving {}: layer widths {}, activation {}, protocols: reference, fast, fast-rlwe",
                model.display(),
                widths.join("-"),
                h.activation.name()
            );
            let opts = ServeOptions {
                max_sessions: max_sessions.max(1),
                timeout: Duration::from_secs(timeout_secs.max(1)),
                max_connections,
                session_limit: session_limit_secs.map(|s| Duration::from_secs(s.max(1))),
                transport,
                user_rate: (user_rate > 0).then_some(UserRate {
                    max: user_rate,
                    per: Duration::from_secs(3600),
                }),
                ..ServeOptions::default()
            };
            // The server's events reach stderr through the `tracing` subscriber (levels,
            // timestamps, session and peer fields); the plain line sink is not needed here.
            serve(
                &listener,
                Arc::new(state),
                &opts,
                Arc::new(|_line: String| {}),
            )?;
            Ok(())
        }
    }
}

/// `gcc-nn model upgrade`: the version-2 file at `path` as version 3 for `activation`.
fn upgrade(
    path: &std::path::Path,
    activation: &activation::Activation,
    output: &std::path::Path,
    force: bool,
) -> Result<(), CliError> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let what = path.display().to_string();
    match Mlp::file_version(&bytes) {
        Some(2) => {}
        Some(v) if v == model::mlp::FORMAT_VERSION => {
            let mlp = Mlp::from_bytes(&bytes, &what)?;
            if mlp.activation.matches(activation) {
                return Err(format!(
                    "{what}: already version {v} (activation {}): nothing to convert",
                    mlp.activation
                )
                .into());
            }
            if mlp.activation.name() != activation.name() {
                return Err(format!(
                    "{what}: the model was trained for {}, not {}: a version-3 model is only \
                     re-bound to a new source of its own activation",
                    mlp.activation,
                    activation.name()
                )
                .into());
            }
            // A new source of the same activation (e.g. tanh_fit with truncated products):
            // re-bind the weights to it.
            refuse_existing(output, force)?;
            let old = mlp.activation.to_string();
            let mlp = mlp.with_activation(model::ModelActivation::of(activation)?);
            mlp.save(output)?;
            outln!(
                "wrote {} (model format {v}, activation {} re-bound from {old}; {} weights and \
                 biases as in {what}); check its quality with `gcc-nn psnr-report --model {}`",
                output.display(),
                mlp.activation,
                mlp.parameter_count(),
                output.display()
            );
            return Ok(());
        }
        // Anything else gets the decoder's own message (not a model, version 1, newer).
        _ => {
            Mlp::from_bytes(&bytes, &what)?;
        }
    }
    refuse_existing(output, force)?;
    let named = model::ModelActivation::of(activation)?;
    let mlp = Mlp::from_v2_bytes(&bytes, &what, named)?;
    mlp.save(output)?;
    outln!(
        "wrote {} (model format {}, activation {}, {} weights and biases as in {})",
        output.display(),
        model::mlp::FORMAT_VERSION,
        mlp.activation,
        mlp.parameter_count(),
        what
    );
    Ok(())
}

/// `model upgrade`'s output guard: an existing OUTPUT is replaced only with `--force`.
fn refuse_existing(output: &std::path::Path, force: bool) -> Result<(), CliError> {
    if output.exists() && !force {
        return Err(format!("{}: exists (pass --force to replace it)", output.display()).into());
    }
    Ok(())
}

/// Prints `tracing` events (the server's log) on stderr: UTC timestamp, level, message and
/// fields such as `session=3 peer="127.0.0.1:50412"`; colour only on a terminal.
fn install_log_subscriber() {
    use std::io::IsTerminal;
    log_subscriber(std::io::stderr, std::io::stderr().is_terminal()).init();
}

/// The server log's format, written to `writer` (`ansi`: colours).
fn log_subscriber<W>(
    writer: W,
    ansi: bool,
) -> tracing_subscriber::fmt::SubscriberBuilder<
    tracing_subscriber::fmt::format::DefaultFields,
    tracing_subscriber::fmt::format::Format,
    tracing_subscriber::filter::LevelFilter,
    W,
>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(ansi)
        .with_target(false)
        .with_max_level(tracing::Level::INFO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A `MakeWriter` into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("buffer").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> tracing_subscriber::fmt::MakeWriter<'w> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'w self) -> Buffer {
            self.clone()
        }
    }

    /// The accept loop's events (logged on the serving thread) come out with a timestamp,
    /// a level and the session and peer fields.
    #[test]
    fn server_events_have_timestamp_level_and_fields() {
        use protocol::session::serve::{Handler, serve_with};
        let buffer = Buffer::default();
        let subscriber = log_subscriber(buffer.clone(), false).finish();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let client = std::thread::spawn(move || {
            let _conn = std::net::TcpStream::connect(addr).expect("connect");
            std::thread::sleep(Duration::from_millis(200));
        });
        let handler: Handler = Arc::new(|_conn| Ok("done".to_string()));
        let opts = ServeOptions {
            max_connections: Some(1),
            ..ServeOptions::default()
        };
        tracing::subscriber::with_default(subscriber, || {
            serve_with(&listener, &opts, Arc::new(|_line: String| {}), handler).expect("serve")
        });
        client.join().expect("client");
        let log = String::from_utf8(buffer.0.lock().expect("buffer").clone()).expect("utf-8");
        let line = log
            .lines()
            .find(|l| l.contains("connected"))
            .unwrap_or_else(|| panic!("no connected event: {log}"));
        // 2026-12-05T17:52:01.114235Z  INFO connected session=1 peer="127.0.0.1:50412"
        let stamp = line.split_whitespace().next().expect("timestamp");
        assert!(
            stamp.len() >= 20
                && stamp.ends_with('Z')
                && stamp.as_bytes()[4] == b'-'
                && stamp.contains('T'),
            "{line}"
        );
        assert!(line.contains(" INFO "), "{line}");
        assert!(line.contains("session=1"), "{line}");
        assert!(line.contains(r#"peer="127.0.0.1:"#), "{line}");
    }
}

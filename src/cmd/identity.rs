//! TLS identities and the transport options every networked command shares: the identity
//! commands (`cloud-identity`, `user-identity`, `fingerprint`), the cloud side's options
//! ([`ServerTlsArgs`]: `serve`, `garbler`) and the user side's ([`ClientTlsArgs`]:
//! `denoise --connect`, `evaluator`). Plain TCP only with `--insecure-plaintext`, which says
//! on stderr that it is insecure.

use super::CliError;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use transport::identity::load_cert;
use transport::{AllowList, ClientTransport, Fingerprint, Identity, Role, ServerTransport};

/// What `--insecure-plaintext` prints on stderr.
pub(crate) const PLAINTEXT_WARNING: &str = "WARNING: --insecure-plaintext: this connection is \
     neither encrypted nor authenticated (anyone on the network can read, change or replay \
     it, and pose as either party); use it for benchmarks only";

/// Identity commands.
#[derive(Subcommand)]
pub(crate) enum IdentityCommand {
    /// Create the cloud's long-term TLS identity: DIR/cloud.key (0600) and DIR/cloud.crt
    /// (self-signed; users pin it with --cloud-cert or its fingerprint).
    CloudIdentity(IdentityArgs),
    /// Create a user's TLS identity: DIR/user.key (0600) and DIR/user.crt; its fingerprint
    /// goes into the cloud's --allow-users file.
    UserIdentity(IdentityArgs),
    /// Print the SHA-256 fingerprint of a certificate file (PEM).
    Fingerprint {
        /// The certificate (e.g. DIR/cloud.crt or DIR/user.crt).
        cert: PathBuf,
    },
}

/// Options of the identity commands.
#[derive(Args)]
pub(crate) struct IdentityArgs {
    /// Directory to write the key and certificate to (created if missing).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Replace an identity that is already there.
    #[arg(long)]
    force: bool,
}

/// Runs an identity command.
pub(crate) fn run(cmd: IdentityCommand) -> Result<(), CliError> {
    let (role, args) = match cmd {
        IdentityCommand::CloudIdentity(a) => (Role::Cloud, a),
        IdentityCommand::UserIdentity(a) => (Role::User, a),
        IdentityCommand::Fingerprint { cert } => {
            outln!("{}", Fingerprint::of(&load_cert(&cert)?));
            return Ok(());
        }
    };
    let fp = create_identity(&args.output, role, args.force)?;
    outln!(
        "wrote {} (0600) and {}",
        role.key_path(&args.output).display(),
        role.cert_path(&args.output).display()
    );
    outln!("fingerprint {fp}");
    if role == Role::User {
        outln!(
            "(the cloud accepts this user once the line `{fp} NAME` is in its --allow-users file)"
        );
    }
    Ok(())
}

/// Generates and writes an identity of `role` in `dir`; returns its fingerprint.
pub(crate) fn create_identity(
    dir: &Path,
    role: Role,
    force: bool,
) -> Result<Fingerprint, CliError> {
    let id = Identity::generate(role)?;
    id.write(dir, role, force)?;
    Ok(id.fingerprint())
}

/// The cloud side's transport options (`serve`, `garbler`).
#[derive(Args, Clone, Debug)]
pub(crate) struct ServerTlsArgs {
    /// This side's TLS identity: the directory holding cloud.key and cloud.crt
    /// (`gcc-nn cloud-identity -o DIR`).
    #[arg(long, value_name = "DIR")]
    identity: Option<PathBuf>,
    /// Create the identity in --identity DIR first if there is none (prints its fingerprint).
    #[arg(long, requires = "identity")]
    init: bool,
    /// The users accepted: a file of certificate fingerprints, one per line, each optionally
    /// followed by a name (`# comments`). Anyone else is refused inside the TLS handshake,
    /// before any work.
    #[arg(long, value_name = "FILE")]
    allow_users: Option<PathBuf>,
    /// INSECURE: plain TCP, neither encrypted nor authenticated (benchmarks only).
    #[arg(long, conflicts_with_all = ["identity", "allow_users", "init"])]
    insecure_plaintext: bool,
}

impl ServerTlsArgs {
    /// Whether plain TCP was asked for.
    pub(crate) fn plaintext(&self) -> bool {
        self.insecure_plaintext
    }

    /// The transport these options ask for (the warning printed for plain TCP); `what` names
    /// the command in the error for missing options.
    pub(crate) fn transport(&self, what: &str) -> Result<ServerTransport, CliError> {
        if self.insecure_plaintext {
            eprintln!("{PLAINTEXT_WARNING}");
            return Ok(ServerTransport::InsecurePlaintext);
        }
        let (Some(dir), Some(allow_file)) = (&self.identity, &self.allow_users) else {
            return Err(format!(
                "{what} needs --identity DIR (this side's TLS identity, from `gcc-nn \
                 cloud-identity -o DIR`, or add --init) and --allow-users FILE (the users' \
                 certificate fingerprints), or --insecure-plaintext for a benchmark"
            )
            .into());
        };
        if self.init && !Role::Cloud.key_path(dir).exists() {
            let fp = create_identity(dir, Role::Cloud, false)?;
            eprintln!(
                "created the cloud identity in {}: fingerprint {fp}",
                dir.display()
            );
        }
        let id = Identity::load(dir, Role::Cloud)?;
        let allow = AllowList::load(allow_file)?;
        if allow.is_empty() {
            return Err(format!("{}: no user fingerprint in it", allow_file.display()).into());
        }
        tracing::info!(
            "TLS 1.3 identity {} ({}), {} user(s) allowed",
            id.fingerprint(),
            dir.display(),
            allow.len()
        );
        Ok(ServerTransport::tls(&id, allow)?)
    }
}

/// The user side's transport options (`denoise --connect`, `evaluator`).
#[derive(Args, Clone, Debug, Default)]
pub(crate) struct ClientTlsArgs {
    /// This side's TLS identity: the directory holding user.key and user.crt
    /// (`gcc-nn user-identity -o DIR`).
    #[arg(long, value_name = "DIR")]
    identity: Option<PathBuf>,
    /// The peer's certificate (e.g. cloud.crt), pinned: a peer presenting any other is refused.
    #[arg(
        long,
        value_name = "FILE",
        alias = "peer-cert",
        conflicts_with = "cloud_fingerprint"
    )]
    cloud_cert: Option<PathBuf>,
    /// The peer's certificate fingerprint (SHA-256, 64 hex digits), pinned.
    #[arg(long, value_name = "HEX", alias = "peer-fingerprint")]
    cloud_fingerprint: Option<String>,
    /// INSECURE: plain TCP, neither encrypted nor authenticated (benchmarks only).
    #[arg(long, conflicts_with_all = ["identity", "cloud_cert", "cloud_fingerprint"])]
    insecure_plaintext: bool,
}

impl ClientTlsArgs {
    /// The transport these options ask for (the warning printed for plain TCP); `what` names
    /// the command in the error for missing options.
    pub(crate) fn transport(&self, what: &str) -> Result<ClientTransport, CliError> {
        if self.insecure_plaintext {
            eprintln!("{PLAINTEXT_WARNING}");
            return Ok(ClientTransport::InsecurePlaintext);
        }
        let pin = match (&self.cloud_cert, &self.cloud_fingerprint) {
            (Some(cert), _) => Fingerprint::of(&load_cert(cert)?),
            (None, Some(hex)) => Fingerprint::parse(hex, "--cloud-fingerprint")?,
            (None, None) => {
                return Err(format!(
                    "{what} refuses to connect without the peer's certificate: pass --cloud-cert \
                     FILE or --cloud-fingerprint HEX (pinned), or --insecure-plaintext for a \
                     benchmark"
                )
                .into());
            }
        };
        let Some(dir) = &self.identity else {
            return Err(format!(
                "{what} needs --identity DIR (your TLS identity, from `gcc-nn user-identity -o \
                 DIR`; the cloud must list its fingerprint), or --insecure-plaintext for a \
                 benchmark"
            )
            .into());
        };
        let id = Identity::load(dir, Role::User)?;
        Ok(ClientTransport::tls(&id, pin)?)
    }
}

/// A cloud and a user identity made in `dir` for a local run of both roles (`secure-bench`):
/// returns `serve`'s options (its identity and an allow-list naming the user) and the
/// user's transport (pinning the cloud).
pub(crate) fn local_tls(dir: &Path) -> Result<(Vec<String>, ClientTransport), CliError> {
    let (cloud, user) = (
        Identity::generate(Role::Cloud)?,
        Identity::generate(Role::User)?,
    );
    cloud.write(dir, Role::Cloud, true)?;
    let allow = dir.join("allowed-users.txt");
    std::fs::write(&allow, format!("{} local-user\n", user.fingerprint()))
        .map_err(|e| format!("cannot write {}: {e}", allow.display()))?;
    let serve = vec![
        "--identity".to_string(),
        dir.to_string_lossy().into_owned(),
        "--allow-users".to_string(),
        allow.to_string_lossy().into_owned(),
    ];
    Ok((serve, ClientTransport::tls(&user, cloud.fingerprint())?))
}

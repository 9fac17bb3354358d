//! The one error of the transport layer.

use std::path::PathBuf;

/// A failure to set up or load what a secure link needs; every variant names the file, the
/// peer or the step.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A file's contents are not what they should be.
    #[error("{}: {what}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// A secret key file is readable by other users.
    #[error(
        "{}: the key file is readable by others (mode {mode:o}); run `chmod 600` on it",
        path.display()
    )]
    OpenKeyFile {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A fingerprint given on the command line or in a file does not parse.
    #[error("{what}: {why}")]
    Fingerprint {
        /// Where it came from.
        what: String,
        /// Why it does not parse.
        why: String,
    },
    /// Certificate generation failed.
    #[error("cannot generate a certificate: {0}")]
    Generate(String),
    /// The TLS library refused a configuration or a connection.
    #[error("TLS ({step}): {source}")]
    Tls {
        /// Which step.
        step: &'static str,
        /// The rustls error.
        source: rustls::Error,
    },
    /// Connecting to or talking with the peer failed.
    #[error("{step}: {source}")]
    Io {
        /// Which step (names the peer's address where known).
        step: String,
        /// The I/O error (a TLS refusal by the peer reads e.g. `received fatal alert`).
        source: std::io::Error,
    },
}

//! Support module: where the key files of `gcc-nn keygen` are (a file, or the directory
//! holding `paillier.pub` / `paillier.key`), read with the path in every error.

use super::CliError;
use paillier::{PublicKey, SecretKey};
use std::path::{Path, PathBuf};

/// File name of the public key inside the key directory.
pub(crate) const PUBLIC_KEY_FILE: &str = "paillier.pub";
/// File name of the secret key inside the key directory.
pub(crate) const SECRET_KEY_FILE: &str = "paillier.key";

/// `path` itself, or `path/file` when `path` is a directory.
fn key_path(path: &Path, file: &str) -> PathBuf {
    if path.is_dir() {
        path.join(file)
    } else {
        path.to_path_buf()
    }
}

/// Reads a public key file (or DIR/paillier.pub).
pub(crate) fn load_public(path: &Path) -> Result<PublicKey, CliError> {
    let p = key_path(path, PUBLIC_KEY_FILE);
    let bytes = std::fs::read(&p).map_err(|e| format!("cannot read key {}: {e}", p.display()))?;
    PublicKey::from_bytes(&bytes).map_err(|e| format!("{}: {e}", p.display()).into())
}

/// Reads a secret key file (or DIR/paillier.key).
pub(crate) fn load_secret(path: &Path) -> Result<SecretKey, CliError> {
    let p = key_path(path, SECRET_KEY_FILE);
    if !p.is_file() {
        return Err(format!("cannot read key {}: no such file", p.display()).into());
    }
    // from_file wipes the read buffer.
    SecretKey::from_file(&p).map_err(|e| format!("{}: {e}", p.display()).into())
}

/// The environment variable that lets a debug build's commands accept small (insecure)
/// Paillier keys: the spawned-process tests of the shipped models use it (docs/cli.md,
/// "Test builds"). Release builds do not contain it, nor the code that reads it.
#[cfg(debug_assertions)]
pub(crate) const INSECURE_TEST_KEYS_ENV: &str = "GCC_NN_INSECURE_TEST_KEYS";

/// Which Paillier keys `model encrypt`, `serve` and `denoise --connect` accept: always
/// [`protocol::session::KeyPolicy::Production`] in a release build. A debug build (what
/// `cargo test` spawns) takes [`protocol::session::KeyPolicy::InsecureTestKeys`] when
/// `GCC_NN_INSECURE_TEST_KEYS` is `1`, and says so on stderr.
pub(crate) fn key_policy() -> protocol::session::KeyPolicy {
    #[cfg(debug_assertions)]
    if std::env::var_os(INSECURE_TEST_KEYS_ENV).is_some_and(|v| v == "1") {
        eprintln!(
            "warning: {INSECURE_TEST_KEYS_ENV}=1: this debug build accepts INSECURE small keys \
             (tests only; release builds ignore it)"
        );
        return protocol::session::KeyPolicy::InsecureTestKeys;
    }
    protocol::session::KeyPolicy::Production
}

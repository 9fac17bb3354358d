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

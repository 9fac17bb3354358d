//! The model owner's Ed25519 identity (RFC 8032, through `ed25519-dalek`): the signing key
//! that signs every upload ([`OwnerKey`]) and its public half that the cloud and the user are
//! given to check it ([`OwnerPublicKey`]).
//!
//! Files (`gcc-nn model owner-key -o DIR`), each in the [`bytes`] envelope:
//!
//! ```text
//! DIR/owner.key  "GCCNN-OS" | version 1 | 32-byte RFC 8032 secret key (seed)   mode 0600
//! DIR/owner.pub  "GCCNN-OP" | version 1 | 32-byte RFC 8032 public key          mode 0644
//! ```
//!
//! Both are written through the one atomic writer ([`platform::atomic_file`]): complete in a
//! temporary file first (the secret one 0600 from its creation), then moved into place, so a
//! failure leaves neither half of a pair behind. A public key is refused if it is not a
//! canonical encoding of a curve point or if it has small order (a "weak" key, for which
//! signatures say nothing about the message).

use crate::error::{ProtocolError, hex};
use bytes::{DecodeError, Format};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use platform::atomic_file::{PendingFile, Visibility, WriteError};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// File name of the owner's secret signing key inside a key directory.
pub const OWNER_SECRET_FILE_NAME: &str = "owner.key";
/// File name of the owner's public key inside a key directory.
pub const OWNER_PUBLIC_FILE_NAME: &str = "owner.pub";
/// Bytes of an Ed25519 public key (and of a secret key seed).
pub const OWNER_KEY_BYTES: usize = 32;
/// Bytes of an Ed25519 signature.
pub const SIGNATURE_BYTES: usize = 64;

/// The owner's secret key file.
pub const OWNER_SECRET_FILE: Format = Format {
    what: "owner signing key",
    magic: *b"GCCNN-OS",
    version: 1,
    max_body: OWNER_KEY_BYTES as u64,
    remedy: "make a new one with `gcc-nn model owner-key`",
    legacy_prefixes: &[],
};
/// The owner's public key file.
pub const OWNER_PUBLIC_FILE: Format = Format {
    what: "owner public key",
    magic: *b"GCCNN-OP",
    version: 1,
    max_body: OWNER_KEY_BYTES as u64,
    remedy: "ask the model owner for the owner.pub of `gcc-nn model owner-key`",
    legacy_prefixes: &[],
};

/// A decode error of a key file, as the protocol's error.
fn decode(e: DecodeError) -> ProtocolError {
    ProtocolError::Format {
        what: e.what,
        why: format!("{} at byte {}: {}", e.field, e.offset, e.reason),
    }
}

/// `path` itself, or `path/file` when `path` is a directory.
pub fn key_path(path: &Path, file: &str) -> PathBuf {
    if path.is_dir() {
        path.join(file)
    } else {
        path.to_path_buf()
    }
}

/// The model owner's secret Ed25519 signing key (wiped on drop; its `Debug` shows only the
/// public key's fingerprint).
pub struct OwnerKey {
    key: SigningKey,
}

impl std::fmt::Debug for OwnerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OwnerKey {{ public: {} }}", self.public().fingerprint())
    }
}

impl OwnerKey {
    /// A fresh key from the OS-seeded CSPRNG.
    pub fn generate() -> Self {
        let mut seed = Zeroizing::new([0u8; OWNER_KEY_BYTES]);
        rand::Rng::fill_bytes(&mut rand::rng(), seed.as_mut_slice());
        Self::from_seed(&seed)
    }

    /// The key whose RFC 8032 secret key (32-byte seed) is `seed` (known-answer tests and
    /// test fixtures; a real owner uses [`OwnerKey::generate`]).
    pub fn from_seed(seed: &[u8; OWNER_KEY_BYTES]) -> Self {
        Self {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// The public half.
    pub fn public(&self) -> OwnerPublicKey {
        OwnerPublicKey {
            key: self.key.verifying_key(),
        }
    }

    /// The RFC 8032 signature of `message` (deterministic: no randomness).
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_BYTES] {
        self.key.sign(message).to_bytes()
    }

    /// The secret key file's bytes (wiped when dropped).
    pub fn to_file_bytes(&self) -> Zeroizing<Vec<u8>> {
        let seed = Zeroizing::new(self.key.to_bytes());
        Zeroizing::new(OWNER_SECRET_FILE.seal(seed.as_slice()))
    }

    /// Reads a secret key file's bytes (envelope, version, length, checksum).
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut r = OWNER_SECRET_FILE.open(bytes).map_err(decode)?;
        let seed = Zeroizing::new(r.array::<OWNER_KEY_BYTES>("secret key").map_err(decode)?);
        r.finish().map_err(decode)?;
        Ok(Self::from_seed(&seed))
    }

    /// Reads the secret key file `path` (or `path/owner.key` for a directory); errors name
    /// the file.
    pub fn load(path: &Path) -> Result<Self, ProtocolError> {
        let p = key_path(path, OWNER_SECRET_FILE_NAME);
        let bytes = Zeroizing::new(
            std::fs::read(&p).map_err(|e| ProtocolError::Io(format!("{}: {e}", p.display())))?,
        );
        Self::from_file_bytes(&bytes)
            .map_err(|e| ProtocolError::Io(format!("{}: {e}", p.display())))
    }

    /// Writes `dir/owner.key` (0600) and `dir/owner.pub` (0644) through the atomic writer,
    /// creating `dir`; refuses (before writing anything) if either exists unless `force`.
    /// Returns the two paths, secret first.
    pub fn save_pair(&self, dir: &Path, force: bool) -> Result<(PathBuf, PathBuf), ProtocolError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            ProtocolError::Io(format!("cannot create directory {}: {e}", dir.display()))
        })?;
        let secret = dir.join(OWNER_SECRET_FILE_NAME);
        let public = dir.join(OWNER_PUBLIC_FILE_NAME);
        let existing = [&secret, &public].into_iter().find(|p| p.exists());
        if let Some(p) = existing.filter(|_| !force) {
            return Err(ProtocolError::Io(format!(
                "{} exists (use --force to overwrite)",
                p.display()
            )));
        }
        let io = |e: WriteError| ProtocolError::Io(e.to_string());
        let pending = |path: &Path, bytes: &[u8], visibility| {
            PendingFile::write(path, bytes, visibility).map_err(|e| io(WriteError::new(path, e)))
        };
        let secret_tmp = pending(&secret, &self.to_file_bytes(), Visibility::Private)?;
        let public_tmp = pending(&public, &self.public().to_file_bytes(), Visibility::Public)?;
        secret_tmp.place(force).map_err(io)?;
        public_tmp.place(force).map_err(io)?;
        Ok((secret, public))
    }
}

/// The model owner's public Ed25519 key: what `serve --owner-pub` and `denoise --owner-pub`
/// check an upload's signature against.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OwnerPublicKey {
    key: VerifyingKey,
}

impl std::fmt::Debug for OwnerPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OwnerPublicKey({})", self.fingerprint())
    }
}

impl OwnerPublicKey {
    /// The key from its 32-byte RFC 8032 encoding: a canonical point encoding of a point
    /// that is not of small order.
    pub fn from_bytes(bytes: &[u8; OWNER_KEY_BYTES]) -> Result<Self, String> {
        let key = VerifyingKey::from_bytes(bytes)
            .map_err(|_| "not an Ed25519 public key (no curve point)".to_string())?;
        if key.to_bytes() != *bytes {
            return Err("not the canonical encoding of an Ed25519 public key".into());
        }
        if key.is_weak() {
            return Err("a weak Ed25519 public key (small order): refused".into());
        }
        Ok(Self { key })
    }

    /// The 32-byte RFC 8032 encoding.
    pub fn to_bytes(&self) -> [u8; OWNER_KEY_BYTES] {
        self.key.to_bytes()
    }

    /// What errors and logs name the key by: the first 16 bytes of SHA-256 of its encoding,
    /// in hex (`gcc-nn model owner-key` prints it; compare it with the owner's out of band).
    pub fn fingerprint(&self) -> String {
        hex(&Sha256::digest(self.key.as_bytes())[..16])
    }

    /// Checks the RFC 8032 signature `signature` of `message` under this key (strict:
    /// non-canonical `S` and small-order `R` are refused).
    pub fn verify(&self, message: &[u8], signature: &[u8; SIGNATURE_BYTES]) -> bool {
        self.key
            .verify_strict(message, &Signature::from_bytes(signature))
            .is_ok()
    }

    /// The public key file's bytes.
    pub fn to_file_bytes(&self) -> Vec<u8> {
        OWNER_PUBLIC_FILE.seal(self.key.as_bytes())
    }

    /// Reads a public key file's bytes.
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut r = OWNER_PUBLIC_FILE.open(bytes).map_err(decode)?;
        let at = r.offset();
        let key = r.array::<OWNER_KEY_BYTES>("public key").map_err(decode)?;
        r.finish().map_err(decode)?;
        Self::from_bytes(&key).map_err(|why| decode(r.error_at("public key", at, why)))
    }

    /// Reads the public key file `path` (or `path/owner.pub` for a directory); errors name
    /// the file.
    pub fn load(path: &Path) -> Result<Self, ProtocolError> {
        let p = key_path(path, OWNER_PUBLIC_FILE_NAME);
        let bytes =
            std::fs::read(&p).map_err(|e| ProtocolError::Io(format!("{}: {e}", p.display())))?;
        Self::from_file_bytes(&bytes)
            .map_err(|e| ProtocolError::Io(format!("{}: {e}", p.display())))
    }
}

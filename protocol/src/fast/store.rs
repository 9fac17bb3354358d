//! Where the shares of the fast protocol's setup live between images.
//!
//! - The cloud: a store directory (mode 0700) with one file per (user key, model):
//!   `<user key fingerprint hex>-<model hash hex, 16 digits>.cloudshare`, holding α, β and the
//!   cloud's secret key for that user.
//! - The user: one file per model, by default beside its key:
//!   `fast-<model hash hex, 16 digits>.usershare`, holding `W_U`, `b_U` and the cloud's public key.
//!
//! Every file is written with mode 0600 and atomically (a temporary file in the same
//! directory, written, synced, then renamed over the target), so a crash leaves either the
//! old file or the new one, never half of one. A file that does not parse (corrupt,
//! truncated, other version) or belongs to another key or model is reported as such; the
//! caller then runs a fresh setup rather than guessing ([`super::pairing`]).

use super::shares::ModelShare;
use paillier::PublicKey;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a stored share could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading, writing or renaming failed.
    #[error("{path}: {why}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        why: String,
    },
    /// The file exists but is not a usable share.
    #[error("{path}: {why}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `bytes` to `path` atomically with mode 0600 (temporary file + rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::Io {
        path: path.to_path_buf(),
        why: e.to_string(),
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "share".to_string(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        // Best effort: the temporary file is useless once the write failed.
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    // Best effort: make the rename itself durable (not possible on every platform).
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Reads a share file; `Ok(None)` if it does not exist.
pub fn read_share(path: &Path) -> Result<Option<ModelShare>, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                why: e.to_string(),
            });
        }
    };
    ModelShare::from_bytes(&bytes)
        .map(Some)
        .map_err(|e| StoreError::Invalid {
            path: path.to_path_buf(),
            why: e.to_string(),
        })
}

/// Checks that `share` belongs to `user_key` and the model `model_hash`.
pub fn check_binding(
    path: &Path,
    share: &ModelShare,
    user_key: &PublicKey,
    model_hash: &[u8; 32],
) -> Result<(), StoreError> {
    let b = &share.binding;
    if b.user_key != user_key.fingerprint() || b.model_hash != *model_hash {
        return Err(StoreError::Invalid {
            path: path.to_path_buf(),
            why: format!(
                "share of user key {} and model {}, not of key {} and model {}",
                hex(&b.user_key),
                hex(&b.model_hash[..8]),
                hex(&user_key.fingerprint()),
                hex(&model_hash[..8])
            ),
        });
    }
    Ok(())
}

/// The cloud's store directory of per-(user, model) shares.
#[derive(Clone, Debug)]
pub struct CloudShareStore {
    dir: PathBuf,
}

impl CloudShareStore {
    /// Opens (creating it with mode 0700 if needed) the store directory `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir).map_err(|e| StoreError::Io {
            path: dir.to_path_buf(),
            why: e.to_string(),
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of (user, model).
    pub fn path_for(&self, user_key: &PublicKey, model_hash: &[u8; 32]) -> PathBuf {
        self.dir.join(format!(
            "{}-{}.cloudshare",
            hex(&user_key.fingerprint()),
            hex(&model_hash[..8])
        ))
    }

    /// The stored cloud share of (user, model), if any; an unusable file is an error.
    pub fn load(
        &self,
        user_key: &PublicKey,
        model_hash: &[u8; 32],
    ) -> Result<Option<ModelShare>, StoreError> {
        let path = self.path_for(user_key, model_hash);
        let Some(share) = read_share(&path)? else {
            return Ok(None);
        };
        check_binding(&path, &share, user_key, model_hash)?;
        if !matches!(share.key, super::shares::ShareKey::CloudSecret(_)) {
            return Err(StoreError::Invalid {
                path,
                why: "a user share in the cloud's store".into(),
            });
        }
        Ok(Some(share))
    }

    /// Stores the cloud share of its binding's (user, model) atomically.
    pub fn save(&self, user_key: &PublicKey, share: &ModelShare) -> Result<PathBuf, StoreError> {
        let path = self.path_for(user_key, &share.binding.model_hash);
        write_atomic(&path, &share.to_bytes())?;
        Ok(path)
    }
}

/// Where a user keeps its share: a directory (one file per model) or one explicit file.
#[derive(Clone, Debug)]
pub enum UserShareLocation {
    /// `<dir>/fast-<model hash>.usershare`.
    Dir(PathBuf),
    /// Exactly this file (whatever the model: a mismatch means a fresh setup).
    File(PathBuf),
}

impl UserShareLocation {
    /// The file for the model `model_hash`.
    pub fn path_for(&self, model_hash: &[u8; 32]) -> PathBuf {
        match self {
            UserShareLocation::Dir(d) => {
                d.join(format!("fast-{}.usershare", hex(&model_hash[..8])))
            }
            UserShareLocation::File(f) => f.clone(),
        }
    }
}

//! Where the shares of the fast protocol's setup live between images.
//!
//! - The cloud: a store directory (mode 0700; an existing directory open to group or others
//!   is refused) with one file per (user key, model):
//!   `<user key fingerprint hex>-<model hash hex, 16 digits>.cloudshare`, holding α, β and the
//!   cloud's secret key for that user, and beside it `<same>.resharings`, the number of
//!   re-sharings of that model to that key so far, capped at
//!   [`super::setup::MAX_RESHARINGS`] ([`CloudShareStore::count_resharing`]).
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
use std::path::{Path, PathBuf};

/// Why a stored share could not be used (the protocol error nests it).
pub use crate::error::StoreError;

/// First line of a re-sharing counter file.
const RESHARING_MAGIC: &str = "gcc-nn re-sharings v1\n";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `bytes` to `path` atomically with mode 0600 ([`platform::atomic_file::write_private`]:
/// exclusive temporary file with a random suffix, synced, renamed into place).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    platform::atomic_file::write_private(path, bytes).map_err(|e| StoreError::Io {
        path: path.to_path_buf(),
        why: e.to_string(),
    })
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
    /// Opens (creating it with mode 0700 if needed) the store directory `dir`; an existing
    /// directory readable, writable or searchable by group or others is refused (it holds
    /// the cloud's secret keys).
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        let io = |e: std::io::Error| StoreError::Io {
            path: dir.to_path_buf(),
            why: e.to_string(),
        };
        b.create(dir).map_err(io)?;
        let meta = std::fs::metadata(dir).map_err(io)?;
        if !meta.is_dir() {
            return Err(StoreError::Refused {
                path: dir.to_path_buf(),
                why: "the share store is not a directory".into(),
            });
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(StoreError::Refused {
                    path: dir.to_path_buf(),
                    why: format!(
                        "the share store directory has mode {mode:03o}, open to group or \
                         others, and holds the cloud's secret keys: `chmod 700` it (or choose \
                         another directory)"
                    ),
                });
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// The re-sharing counter file of (user, model).
    fn counter_for(&self, user_key: &PublicKey, model_hash: &[u8; 32]) -> PathBuf {
        self.path_for(user_key, model_hash)
            .with_extension("resharings")
    }

    /// Re-sharings of (user, model) so far (0 without a counter file).
    pub fn resharings(
        &self,
        user_key: &PublicKey,
        model_hash: &[u8; 32],
    ) -> Result<u64, StoreError> {
        let path = self.counter_for(user_key, model_hash);
        match std::fs::read_to_string(&path) {
            Ok(text) => text
                .strip_prefix(RESHARING_MAGIC)
                .and_then(|t| t.trim_end().parse::<u64>().ok())
                .ok_or_else(|| StoreError::Refused {
                    path: path.clone(),
                    why: "unreadable re-sharing counter: the cap of re-sharings per user and \
                          model cannot be checked (restore the file; deleting it resets the \
                          count and weakens the masking bound)"
                        .into(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(StoreError::Io {
                path,
                why: e.to_string(),
            }),
        }
    }

    /// Counts one more re-sharing of (user, model) before it happens, persisting the count
    /// atomically; refuses once [`super::setup::MAX_RESHARINGS`] were done (the setup masks
    /// are sized for that many samples of each weight). Returns the new count.
    pub fn count_resharing(
        &self,
        user_key: &PublicKey,
        model_hash: &[u8; 32],
    ) -> Result<u64, StoreError> {
        let cap = super::setup::MAX_RESHARINGS;
        let done = self.resharings(user_key, model_hash)?;
        let path = self.counter_for(user_key, model_hash);
        if done >= cap {
            return Err(StoreError::Refused {
                path,
                why: format!(
                    "this model was re-shared to this user key {done} times, the cap is {cap} \
                     (each re-sharing reveals another masked sample of every weight): the user \
                     must keep and reuse its share, or use a new key"
                ),
            });
        }
        write_atomic(&path, format!("{RESHARING_MAGIC}{}\n", done + 1).as_bytes())?;
        Ok(done + 1)
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

#[cfg(test)]
mod tests {
    use super::{CloudShareStore, StoreError};
    use crate::fast::setup::MAX_RESHARINGS;
    use paillier::{BigUint, PublicKey};

    fn key() -> PublicKey {
        // An odd 1024-bit modulus: the store only uses its fingerprint.
        let n = (BigUint::from(1u8) << 1023u32) + BigUint::from(0x1234_5677u32);
        PublicKey::from_modulus(n).expect("test modulus")
    }

    #[cfg(unix)]
    #[test]
    fn a_store_directory_open_to_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = dir.path().join("store");
        std::fs::create_dir(&store).expect("mkdir");
        std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let err = CloudShareStore::open(&store).expect_err("0755 refused");
        assert!(matches!(err, StoreError::Refused { .. }), "{err:?}");
        assert!(err.to_string().contains("mode 755"), "{err}");
        assert!(err.to_string().contains("chmod 700"), "{err}");
        std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        CloudShareStore::open(&store).expect("0700 accepted");
        // A new directory is created 0700.
        let fresh = dir.path().join("new/store");
        CloudShareStore::open(&fresh).expect("created");
        let mode = std::fs::metadata(&fresh)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn resharings_are_counted_persistently_and_capped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = CloudShareStore::open(&dir.path().join("s")).expect("store");
        let (pk, model) = (key(), [7u8; 32]);
        assert_eq!(store.resharings(&pk, &model).expect("none yet"), 0);
        assert_eq!(store.count_resharing(&pk, &model).expect("first"), 1);
        assert_eq!(store.count_resharing(&pk, &model).expect("second"), 2);
        // Another model has its own count; a reopened store sees the persisted one.
        assert_eq!(store.count_resharing(&pk, &[8u8; 32]).expect("other"), 1);
        let again = CloudShareStore::open(store.dir()).expect("reopen");
        assert_eq!(again.resharings(&pk, &model).expect("persisted"), 2);
        // At the cap: refused, and the count stays.
        let counter = store.path_for(&pk, &model).with_extension("resharings");
        let text = format!("{}{}\n", super::RESHARING_MAGIC, MAX_RESHARINGS - 1);
        std::fs::write(&counter, text).expect("write");
        assert_eq!(
            store.count_resharing(&pk, &model).expect("last"),
            MAX_RESHARINGS
        );
        let err = store
            .count_resharing(&pk, &model)
            .expect_err("over the cap");
        assert!(matches!(err, StoreError::Refused { .. }), "{err:?}");
        assert!(err.to_string().contains("the cap is 1024"), "{err}");
        assert_eq!(store.resharings(&pk, &model).expect("kept"), MAX_RESHARINGS);
        // A damaged counter is refused, not reset.
        std::fs::write(&counter, "garbage").expect("write");
        let err = store.count_resharing(&pk, &model).expect_err("damaged");
        assert!(
            err.to_string().contains("unreadable re-sharing counter"),
            "{err}"
        );
    }
}

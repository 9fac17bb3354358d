//! Where the shares of the fast protocol's setup live between images.
//!
//! - The cloud: a store directory (mode 0700; an existing directory open to group or others
//!   is refused) with one file per (user key, model):
//!   `<user key fingerprint hex>-<model hash hex, 16 digits>.cloudshare`, holding α, β and the
//!   cloud's secret key for that user, and beside it `<same>.resharings`, the number of
//!   re-sharings of that model to that key so far ([`RESHARING_FILE`]), capped at
//!   [`super::setup::MAX_RESHARINGS`] ([`CloudShareStore::count_resharing`]).
//! - The user: one file per model, by default beside its key:
//!   `fast-<model hash hex, 16 digits>.usershare`, holding `W_U`, `b_U` and the cloud's public key.
//!
//! The RLWE engine's flooding bound ([`RLWE_BUDGET`] coefficients returned to each key holder
//! per share pair: 22 whole 256×256 images of the shipped model) is enforced here: each share file carries its
//! pair's [`super::shares::RlweUse`]; at job start [`rlwe_fit`] keeps a stored share only if
//! the image fits in what is left (otherwise the pair is re-shared: fresh masks, fresh
//! matrices), and [`count_rlwe_image`] counts the image in the share, which the job persists
//! before the image runs, on both sides.
//!
//! Every file is written with mode 0600 and atomically (a temporary file in the same
//! directory, written, synced, then renamed over the target), so a crash leaves either the
//! old file or the new one, never half of one. A file that does not parse (corrupt,
//! truncated, other version) or belongs to another key or model is reported as such; the
//! caller then runs a fresh setup rather than guessing ([`super::pairing`]).

use super::engine::CrossEngine;
use super::shares::ModelShare;
use paillier::PublicKey;
use std::path::{Path, PathBuf};

/// Why a stored share could not be used (the protocol error nests it).
pub use crate::error::StoreError;

/// The re-sharing counter file: the [`bytes`] envelope around one little-endian u64.
pub const RESHARING_FILE: bytes::Format = bytes::Format {
    what: "re-sharing counter",
    magic: *b"GCCNN-RC",
    version: 2,
    max_body: 8,
    remedy: "restore the file written by this gcc-nn",
    legacy_prefixes: &[],
};

/// First line of a version-1 re-sharing counter (text), still read so that an upgrade keeps
/// the count (refusing it would leave only deleting it, which resets the cap).
const RESHARING_MAGIC_V1: &str = "gcc-nn re-sharings v1\n";

/// The count in a counter file of either version.
fn parse_resharings(bytes: &[u8]) -> Option<u64> {
    if let Some(text) = bytes.strip_prefix(RESHARING_MAGIC_V1.as_bytes()) {
        return std::str::from_utf8(text).ok()?.trim_end().parse().ok();
    }
    let mut r = RESHARING_FILE.open(bytes).ok()?;
    let n = r.u64("count").ok()?;
    r.finish().ok()?;
    Some(n)
}

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

/// Coefficients the RLWE engine may return to each key holder per share pair (the flooding
/// bound, [`rlwe::noise::MAX_RETURNED_COEFFICIENTS`] = 2^24).
pub const RLWE_BUDGET: u64 = rlwe::noise::MAX_RETURNED_COEFFICIENTS;

/// Coefficients returned to each key holder by one RLWE image of `patches` patches through
/// layers of `(inputs, outputs)` `shapes`: every output of every layer for every patch.
pub fn rlwe_image_cost(shapes: &[(usize, usize)], patches: usize) -> u64 {
    shapes.iter().fold(0u64, |acc, &(_, outputs)| {
        acc.saturating_add((outputs as u64).saturating_mul(patches as u64))
    })
}

/// At job start: keeps the stored share only if an image of `cost` on `engine` fits in what
/// is left of its pair's RLWE budget (Paillier images do not count); returns it, or `None`
/// with the note why the pair is re-shared. An image larger than the whole budget is refused.
pub fn rlwe_fit(
    stored: Option<ModelShare>,
    engine: CrossEngine,
    cost: u64,
) -> Result<(Option<ModelShare>, Option<String>), StoreError> {
    if engine != CrossEngine::Rlwe {
        return Ok((stored, None));
    }
    if cost > RLWE_BUDGET {
        return Err(StoreError::Refused {
            path: PathBuf::from("(this image)"),
            why: format!(
                "the image returns {cost} coefficients per key holder on the RLWE engine, more \
                 than its flooding bound allows for one share pair ({RLWE_BUDGET}): split the \
                 image or run `--protocol fast`"
            ),
        });
    }
    match stored {
        Some(s) if s.rlwe_use.coefficients.saturating_add(cost) > RLWE_BUDGET => {
            let why = format!(
                "fast: share pair {} has served {} RLWE images ({} of {RLWE_BUDGET} \
                 coefficients), this one needs {cost} more: re-sharing with fresh masks",
                s.binding.short_id(),
                s.rlwe_use.images,
                s.rlwe_use.coefficients
            );
            Ok((None, Some(why)))
        }
        other => Ok((other, None)),
    }
}

/// Counts an image of `cost` on `engine` in `share` (RLWE only; returns whether the count
/// changed, so that the caller persists the share before the image runs). Refuses, rather
/// than run, an image that would take the pair past [`RLWE_BUDGET`].
pub fn count_rlwe_image(
    share: &mut ModelShare,
    engine: CrossEngine,
    cost: u64,
) -> Result<bool, StoreError> {
    if engine != CrossEngine::Rlwe {
        return Ok(false);
    }
    let used = share.rlwe_use.coefficients.saturating_add(cost);
    if used > RLWE_BUDGET {
        return Err(StoreError::Refused {
            path: PathBuf::from(format!("(share pair {})", share.binding.short_id())),
            why: format!(
                "{used} coefficients would pass the RLWE flooding bound of {RLWE_BUDGET} per \
                 share pair"
            ),
        });
    }
    share.rlwe_use.coefficients = used;
    share.rlwe_use.images += 1;
    Ok(true)
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
        match std::fs::read(&path) {
            Ok(bytes) => parse_resharings(&bytes).ok_or_else(|| StoreError::Refused {
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
        write_atomic(&path, &RESHARING_FILE.seal(&(done + 1).to_le_bytes()))?;
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
    use super::{
        CloudShareStore, RLWE_BUDGET, StoreError, count_rlwe_image, rlwe_fit, rlwe_image_cost,
    };
    use crate::fast::engine::CrossEngine;
    use crate::fast::ring::Ring;
    use crate::fast::setup::MAX_RESHARINGS;
    use crate::fast::shares::{LayerShare, ModelShare, RlweUse, ShareBinding, ShareKey};
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
        // A version-1 (text) counter is still read, and rewritten in the envelope.
        let text = format!("{}{}\n", super::RESHARING_MAGIC_V1, MAX_RESHARINGS - 1);
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
        let file = std::fs::read(&counter).expect("read");
        assert_eq!(&file[..8], b"GCCNN-RC");
        // A corrupted byte of the enveloped count is caught by its checksum: refused.
        let mut flipped = file.clone();
        flipped[20] ^= 1;
        std::fs::write(&counter, &flipped).expect("write");
        assert!(store.resharings(&pk, &model).is_err());
        // A damaged counter is refused, not reset.
        std::fs::write(&counter, "garbage").expect("write");
        let err = store.count_resharing(&pk, &model).expect_err("damaged");
        assert!(
            err.to_string().contains("unreadable re-sharing counter"),
            "{err}"
        );
    }

    fn share(coefficients: u64) -> ModelShare {
        ModelShare {
            ring: Ring::new(40).expect("ring"),
            binding: ShareBinding {
                pair_id: [3; 32],
                model_hash: [7; 32],
                user_key: key().fingerprint(),
            },
            layers: vec![LayerShare {
                inputs: 2,
                outputs: 1,
                weights: vec![1, 2],
                bias: vec![3],
            }],
            key: ShareKey::CloudPublic(key()),
            rlwe_use: RlweUse {
                images: 5,
                coefficients,
            },
        }
    }

    #[test]
    fn an_rlwe_image_costs_every_output_of_every_layer_per_patch() {
        // Four layers, three of 128 outputs and one of 1: 385 coefficients per patch.
        let shapes = [(289, 128), (128, 128), (128, 128), (128, 1)];
        assert_eq!(rlwe_image_cost(&shapes, 10), 10 * (3 * 128 + 1));
        assert_eq!(rlwe_image_cost(&shapes, 0), 0);
        assert_eq!(rlwe_image_cost(&[(1, usize::MAX)], usize::MAX), u64::MAX);
    }

    #[test]
    fn the_bound_covers_22_whole_images_of_the_shipped_model_per_share_pair() {
        // 13×13 → 128 → 128 → 5×5 at stride 5 on 256×256: 52 × 52 = 2,704 patches.
        let cost = rlwe_image_cost(&[(169, 128), (128, 128), (128, 25)], 2704);
        assert_eq!(cost, 759_824);
        assert_eq!(RLWE_BUDGET, 1 << 24);
        assert_eq!(RLWE_BUDGET / cost, 22);
    }

    #[test]
    fn a_stored_pair_is_kept_only_while_the_image_fits_in_its_rlwe_budget() {
        let cost = 1000;
        // Exactly at the bound after this image: kept.
        let (kept, note) =
            rlwe_fit(Some(share(RLWE_BUDGET - cost)), CrossEngine::Rlwe, cost).expect("fits");
        assert!(kept.is_some() && note.is_none());
        // One coefficient more: re-shared, with the reason.
        let (kept, note) =
            rlwe_fit(Some(share(RLWE_BUDGET - cost + 1)), CrossEngine::Rlwe, cost).expect("ok");
        assert!(kept.is_none());
        let note = note.expect("a note");
        assert!(note.contains("served 5 RLWE images"), "{note}");
        assert!(note.contains("re-sharing with fresh masks"), "{note}");
        // The Paillier engine does not spend the RLWE budget.
        let (kept, _) =
            rlwe_fit(Some(share(RLWE_BUDGET)), CrossEngine::Paillier, cost).expect("ok");
        assert!(kept.is_some());
        // An image beyond the whole budget is refused, stored share or not.
        let err = rlwe_fit(None, CrossEngine::Rlwe, RLWE_BUDGET + 1).expect_err("too big");
        assert!(err.to_string().contains("--protocol fast"), "{err}");
    }

    #[test]
    fn an_rlwe_image_is_counted_in_the_share_file_and_never_past_the_bound() {
        let mut s = share(RLWE_BUDGET - 10);
        assert!(!count_rlwe_image(&mut s, CrossEngine::Paillier, 10).expect("paillier"));
        assert_eq!(s.rlwe_use.coefficients, RLWE_BUDGET - 10);
        assert!(count_rlwe_image(&mut s, CrossEngine::Rlwe, 10).expect("last that fits"));
        assert_eq!(
            s.rlwe_use,
            RlweUse {
                images: 6,
                coefficients: RLWE_BUDGET
            }
        );
        let err = count_rlwe_image(&mut s, CrossEngine::Rlwe, 1).expect_err("past the bound");
        assert!(err.to_string().contains("flooding bound"), "{err}");
        assert_eq!(s.rlwe_use.images, 6, "a refused image is not counted");
        // The count is part of the share file.
        let back = ModelShare::from_bytes(&s.to_bytes()).expect("round trip");
        assert_eq!(back.rlwe_use, s.rlwe_use);
    }
}

//! The one atomic file writer of gcc-nn: key files (`gcc-nn keygen`), circuit files
//! (`gcc-nn compile`) and the fast protocol's share files (`protocol::fast::store`) all go
//! through it.
//!
//! A [`PendingFile`] is written in full to a temporary file in the destination's directory,
//! named `.<name>.tmp-<pid>-<64 random bits>`, and only then put in place:
//!
//! - the temporary file is created with `create_new` (`O_CREAT | O_EXCL`): an existing file or
//!   symbolic link at that name makes the open fail instead of being followed or truncated,
//!   and the random suffix makes the name unpredictable;
//! - it has mode 0600 from its creation (no window in which a secret is world-readable); a
//!   public file is widened to 0644 through the open handle (`fchmod`), never by path;
//! - the data is synced (`fsync`) before the file is renamed over the destination
//!   ([`PendingFile::replace`]) or hard-linked to it only if nothing is there yet
//!   ([`PendingFile::place_new`]), and the directory is synced after either, so the new
//!   name survives a crash; neither follows a symbolic link at the destination (rename
//!   replaces the link itself, `link` fails on any existing name);
//! - a pending file dropped before it is placed is removed, so a failure leaves no
//!   half-written destination and no temporary behind.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A failed atomic write, naming the destination (what a user needs to see).
#[derive(Debug)]
pub struct WriteError {
    /// The file that was to be written.
    pub path: PathBuf,
    /// What went wrong.
    pub source: std::io::Error,
}

impl WriteError {
    /// The error `source` met while writing `path`.
    pub fn new(path: &Path, source: std::io::Error) -> WriteError {
        WriteError {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.source.kind() == std::io::ErrorKind::AlreadyExists {
            write!(
                f,
                "{} exists (use --force to overwrite)",
                self.path.display()
            )
        } else {
            write!(f, "cannot write {}: {}", self.path.display(), self.source)
        }
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Who may read a file once it is in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Mode 0600: secret keys, shares.
    Private,
    /// Mode 0644: public keys, circuits.
    Public,
}

/// A complete file next to its destination, not yet in place (removed if dropped).
#[derive(Debug)]
pub struct PendingFile {
    temp: PathBuf,
    dest: PathBuf,
    placed: bool,
}

/// The directory a path's file lives in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Opens a new file exclusively with mode 0600 (fails if anything, even a dangling symbolic
/// link, exists at `path`).
fn create_exclusive(path: &Path) -> std::io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

impl PendingFile {
    /// Writes `bytes` to a fresh temporary file beside `dest` (see the module docs) with the
    /// final permissions of `visibility`, synced to disk.
    pub fn write(dest: &Path, bytes: &[u8], visibility: Visibility) -> std::io::Result<Self> {
        let name = dest.file_name().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name")
        })?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(
            ".tmp-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        let pending = Self {
            temp: parent_dir(dest).join(temp_name),
            dest: dest.to_path_buf(),
            placed: false,
        };
        let mut f = create_exclusive(&pending.temp)?;
        f.write_all(bytes)?;
        #[cfg(unix)]
        if visibility == Visibility::Public {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        #[cfg(not(unix))]
        let _ = visibility;
        f.sync_all()?;
        Ok(pending)
    }

    /// The temporary file's path (for tests and messages).
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// The destination the file is for.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Renames the file over its destination (replacing whatever is there) and syncs the
    /// directory.
    pub fn replace(mut self) -> std::io::Result<()> {
        std::fs::rename(&self.temp, &self.dest)?;
        self.placed = true;
        sync_dir(&self.dest);
        Ok(())
    }

    /// Links the file to its destination only if nothing exists there
    /// (`ErrorKind::AlreadyExists` otherwise) and syncs the directory; the temporary name is
    /// removed on drop.
    pub fn place_new(self) -> std::io::Result<()> {
        std::fs::hard_link(&self.temp, &self.dest)?;
        sync_dir(&self.dest);
        Ok(())
    }

    /// [`PendingFile::replace`] if `overwrite`, else [`PendingFile::place_new`], with the
    /// destination named in the error.
    pub fn place(self, overwrite: bool) -> Result<(), WriteError> {
        let dest = self.dest.clone();
        let placed = if overwrite {
            self.replace()
        } else {
            self.place_new()
        };
        placed.map_err(|e| WriteError::new(&dest, e))
    }
}

/// Makes a new name in `path`'s directory durable (`fsync` of the directory). Best effort:
/// not every platform can open a directory for syncing, and the file's own data is already
/// synced.
fn sync_dir(path: &Path) {
    if let Ok(d) = File::open(parent_dir(path)) {
        let _ = d.sync_all();
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.placed {
            // Best effort: after a failure or a `place_new` the temporary name is useless.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Writes `bytes` to `path` atomically with mode 0600 (a [`PendingFile`] renamed into place).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    PendingFile::write(path, bytes, Visibility::Private)?.replace()
}

/// Writes `bytes` to `path` atomically with the permissions of `visibility`, replacing what
/// is there; the error names `path`.
pub fn write_file(path: &Path, bytes: &[u8], visibility: Visibility) -> Result<(), WriteError> {
    PendingFile::write(path, bytes, visibility)
        .map_err(|e| WriteError::new(path, e))?
        .place(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(p)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn pending_files_are_private_complete_and_cleaned_up() {
        let dir = tempfile::tempdir().expect("tmp");
        let dest = dir.path().join("key");
        let pending = PendingFile::write(&dest, b"secret", Visibility::Private).expect("write");
        let temp = pending.temp_path().to_path_buf();
        assert!(
            !dest.exists(),
            "nothing at the destination before it is placed"
        );
        #[cfg(unix)]
        assert_eq!(mode(&temp), 0o600);
        drop(pending);
        assert!(!temp.exists(), "an unplaced temporary is removed");
        assert!(!dest.exists());

        let public = PendingFile::write(&dest, b"public", Visibility::Public).expect("write");
        #[cfg(unix)]
        assert_eq!(mode(public.temp_path()), 0o644);
        public.replace().expect("replace");
        assert_eq!(std::fs::read(&dest).expect("read"), b"public");
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[test]
    fn temporary_names_are_unpredictable() {
        let dir = tempfile::tempdir().expect("tmp");
        let dest = dir.path().join("f");
        let a = PendingFile::write(&dest, b"a", Visibility::Private).expect("a");
        let b = PendingFile::write(&dest, b"b", Visibility::Private).expect("b");
        assert_ne!(a.temp_path(), b.temp_path());
    }

    #[test]
    fn place_new_refuses_an_existing_destination_and_leaves_it_alone() {
        let dir = tempfile::tempdir().expect("tmp");
        let dest = dir.path().join("key");
        std::fs::write(&dest, b"old").expect("old");
        let pending = PendingFile::write(&dest, b"new", Visibility::Private).expect("write");
        let err = pending.place_new().expect_err("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&dest).expect("read"), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[test]
    fn errors_name_the_destination() {
        let dir = tempfile::tempdir().expect("tmp");
        let dest = dir.path().join("key");
        write_file(&dest, b"old", Visibility::Public).expect("first write");
        let err = PendingFile::write(&dest, b"new", Visibility::Private)
            .expect("write")
            .place(false)
            .expect_err("exists");
        assert_eq!(err.path, dest);
        assert!(err.to_string().contains("exists (use --force"), "{err}");
        assert!(
            err.to_string().contains(&dest.display().to_string()),
            "{err}"
        );
        let missing = dir.path().join("no/such/dir/f");
        let err = write_file(&missing, b"x", Visibility::Public).expect_err("no directory");
        assert!(err.to_string().starts_with("cannot write "), "{err}");
        assert!(err.to_string().contains("no/such/dir/f"), "{err}");
        assert_eq!(std::fs::read(&dest).expect("read"), b"old");
    }

    /// A symbolic link planted at the destination is replaced, never written through; one
    /// planted at the destination of `place_new` makes it fail.
    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_never_followed() {
        let dir = tempfile::tempdir().expect("tmp");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").expect("victim");
        let dest = dir.path().join("key");
        std::os::unix::fs::symlink(&victim, &dest).expect("symlink");
        let err = PendingFile::write(&dest, b"new", Visibility::Private)
            .expect("write")
            .place_new()
            .expect_err("a link is an existing name");
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        write_private(&dest, b"new").expect("replace the link");
        assert_eq!(std::fs::read(&victim).expect("victim"), b"precious");
        assert!(!std::fs::symlink_metadata(&dest).expect("meta").is_symlink());
        assert_eq!(std::fs::read(&dest).expect("dest"), b"new");
        assert_eq!(mode(&dest), 0o600);
        // Exclusive creation: a link at the temporary name itself is not followed either.
        let planted = dir.path().join(".probe");
        std::os::unix::fs::symlink(&victim, &planted).expect("symlink");
        let err = create_exclusive(&planted).expect_err("exclusive");
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&victim).expect("victim"), b"precious");
    }
}

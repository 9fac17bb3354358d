//! The one circuit-file loader: binary, Bristol Fashion (with its optional side file) or
//! old Bristol, recognised by content.
//!
//! A file starting with the binary magic is read as a binary circuit (its errors are
//! reported as such, never masked by a Bristol attempt). Any other file must be UTF-8 text
//! and is read as Bristol Fashion, then as the old Bristol format; when both fail, both
//! reasons are named. The side file `FILE.meta.json` ([`crate::meta`]) is applied to a
//! Bristol circuit when it exists, or when one is named explicitly (then it must exist).
//! Every error names the file it is about.

use crate::binary::{self, BinaryError};
use crate::bristol::{self, BristolError};
use crate::circuit::Circuit;
use crate::meta::{self, MetaError};
use std::path::{Path, PathBuf};

/// Why a circuit file could not be loaded; every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The circuit file (or the side file) could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file has the binary magic but is not a valid binary circuit.
    #[error("{}: {source}", path.display())]
    Binary {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: BinaryError,
    },
    /// The file is neither a binary circuit nor UTF-8 text.
    #[error("{}: neither a binary circuit nor a text Bristol file", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
    },
    /// The text is neither a Bristol Fashion nor an old Bristol file.
    #[error(
        "{}: not a Bristol Fashion file ({fashion}) nor an old Bristol file ({old})",
        path.display()
    )]
    Bristol {
        /// The file.
        path: PathBuf,
        /// Why it is not Bristol Fashion.
        fashion: BristolError,
        /// Why it is not the old format.
        old: BristolError,
    },
    /// The side file does not fit the circuit.
    #[error("{}: {source}", path.display())]
    Meta {
        /// The side file.
        path: PathBuf,
        /// What is wrong.
        source: MetaError,
    },
    /// A side file was named for a binary circuit, which carries its own names, parties
    /// and formats.
    #[error(
        "{}: a binary circuit carries its own parties and formats; the side file {} is not used",
        path.display(),
        meta.display()
    )]
    MetaForBinary {
        /// The binary circuit file.
        path: PathBuf,
        /// The side file named.
        meta: PathBuf,
    },
}

/// Which format a circuit file was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The binary format ([`crate::binary`]).
    Binary,
    /// Bristol Fashion ([`bristol::read_fashion`]).
    BristolFashion,
    /// The old Bristol format ([`bristol::read_old_format`]).
    BristolOld,
}

/// Decodes the bytes of a circuit file (no side file): binary if they start with the
/// binary magic, else Bristol Fashion, else old Bristol. `path` names the file in errors.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<(Circuit, Format), LoadError> {
    if bytes.starts_with(binary::MAGIC) {
        return binary::read(bytes)
            .map(|c| (c, Format::Binary))
            .map_err(|source| LoadError::Binary {
                path: path.to_path_buf(),
                source,
            });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| LoadError::NotText {
        path: path.to_path_buf(),
    })?;
    match bristol::read_fashion(text) {
        Ok(c) => Ok((c, Format::BristolFashion)),
        Err(fashion) => match bristol::read_old_format(text) {
            Ok(c) => Ok((c, Format::BristolOld)),
            Err(old) => Err(LoadError::Bristol {
                path: path.to_path_buf(),
                fashion,
                old,
            }),
        },
    }
}

fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads the circuit file `path`. For a Bristol file, the side file `meta` is applied if
/// given (it must exist), else `FILE.meta.json` if it exists ([`meta::meta_path`]).
pub fn load(path: &Path, meta: Option<&Path>) -> Result<Circuit, LoadError> {
    let (mut circuit, format) = decode(path, &read(path)?)?;
    if format == Format::Binary {
        return match meta {
            Some(m) => Err(LoadError::MetaForBinary {
                path: path.to_path_buf(),
                meta: m.to_path_buf(),
            }),
            None => Ok(circuit),
        };
    }
    let side = meta.map_or_else(|| meta::meta_path(path), Path::to_path_buf);
    if meta.is_none() && !side.exists() {
        return Ok(circuit);
    }
    let json = std::fs::read_to_string(&side).map_err(|source| LoadError::Io {
        path: side.clone(),
        source,
    })?;
    meta::apply(&mut circuit, &json).map_err(|source| LoadError::Meta { path: side, source })?;
    Ok(circuit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AND: &str = "1 3\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n";

    #[test]
    fn binary_magic_with_bad_body_is_a_binary_error_not_a_bristol_one() {
        let mut bytes = binary::MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 0, 0]);
        let e = decode(Path::new("x.bin"), &bytes).expect_err("corrupt");
        assert!(matches!(e, LoadError::Binary { .. }), "{e:?}");
        assert!(e.to_string().starts_with("x.bin: "), "{e}");
    }

    #[test]
    fn formats_are_recognised_by_content() {
        let (c, f) = decode(Path::new("and"), AND.as_bytes()).expect("fashion");
        assert_eq!(f, Format::BristolFashion);
        let (_, f) = decode(Path::new("and.bin"), &binary::write(&c)).expect("binary");
        assert_eq!(f, Format::Binary);
        let (old, f) = decode(Path::new("old"), b"1 3\n1 1 1\n2 1 0 1 2 AND\n").expect("old");
        assert_eq!(f, Format::BristolOld);
        assert_eq!(old.simulate(&[true, true]), vec![true]);
        let e = decode(Path::new("junk.txt"), b"hello").expect_err("junk");
        let msg = e.to_string();
        assert!(
            msg.contains("junk.txt") && msg.contains("nor an old Bristol"),
            "{msg}"
        );
        let e = decode(Path::new("bin"), &[0xff, 0xfe]).expect_err("not text");
        assert!(matches!(e, LoadError::NotText { .. }), "{e:?}");
    }
}

//! Long-term identities: a key pair and its self-signed certificate, named by the
//! certificate's SHA-256 [`Fingerprint`].
//!
//! Files (PEM, readable by `openssl x509`): `DIR/<role>.key` (PKCS#8, mode 0600, written
//! through the one atomic writer of `platform`) and `DIR/<role>.crt`, `<role>` being `cloud`
//! or `user`. An [`AllowList`] file holds one fingerprint (64 hex digits, `:` allowed) per
//! line, optionally followed by a name; `#` starts a comment.

use crate::error::TransportError;
use platform::atomic_file::{PendingFile, Visibility};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// SHA-256 of a certificate's DER bytes (what `openssl x509 -fingerprint -sha256` prints).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER certificate.
    pub fn of(cert_der: &[u8]) -> Self {
        Self(Sha256::digest(cert_der).into())
    }

    /// Parses 64 hex digits (upper or lower case; `:` separators allowed); `what` names the
    /// source in the error.
    pub fn parse(text: &str, what: &str) -> Result<Self, TransportError> {
        let digits: String = text.trim().chars().filter(|&c| c != ':').collect();
        let bad = |why: String| TransportError::Fingerprint {
            what: what.to_string(),
            why,
        };
        if digits.len() != 64 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad(format!(
                "`{}` is not a SHA-256 fingerprint (64 hex digits)",
                text.trim()
            )));
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
                .map_err(|e| bad(e.to_string()))?;
        }
        Ok(Self(out))
    }

    /// The first 8 bytes in hex, for log lines.
    pub fn short(&self) -> String {
        hex(&self.0[..8])
    }
}

impl fmt::Display for Fingerprint {
    /// All 32 bytes in lower-case hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.short())
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whose identity: the cloud's (the TLS server) or a user's (the TLS client).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The cloud (also the garbler of `gcc-nn garbler`).
    Cloud,
    /// A user (also the evaluator of `gcc-nn evaluator`).
    User,
}

impl Role {
    /// The file stem: `cloud` or `user`.
    pub fn stem(self) -> &'static str {
        match self {
            Role::Cloud => "cloud",
            Role::User => "user",
        }
    }

    /// `DIR/<stem>.key`.
    pub fn key_path(self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.key", self.stem()))
    }

    /// `DIR/<stem>.crt`.
    pub fn cert_path(self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.crt", self.stem()))
    }
}

/// A key pair with its self-signed certificate.
pub struct Identity {
    /// The certificate (DER).
    pub cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl fmt::Debug for Identity {
    /// The fingerprint only: the key is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({})", self.fingerprint().short())
    }
}

impl Identity {
    /// A fresh ECDSA P-256 key pair (from the OS-seeded generator of `ring`) and a
    /// self-signed certificate naming `role`.
    pub fn generate(role: Role) -> Result<Self, TransportError> {
        let name = format!("gcc-nn-{}", role.stem());
        let ck = rcgen::generate_simple_self_signed(vec![name])
            .map_err(|e| TransportError::Generate(e.to_string()))?;
        let key = PrivateKeyDer::try_from(ck.signing_key.serialize_der())
            .map_err(|e| TransportError::Generate(e.to_string()))?;
        Ok(Self {
            cert: ck.cert.der().clone(),
            key,
        })
    }

    /// The certificate's fingerprint (how the peer names this identity).
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.cert)
    }

    /// A copy of the private key (for a rustls configuration).
    pub(crate) fn key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }

    /// Writes `DIR/<role>.key` (0600) and `DIR/<role>.crt` (0644), creating `DIR`; existing
    /// files are kept unless `overwrite` (the error names the one in the way). Both files
    /// are written completely before either is put in place.
    pub fn write(&self, dir: &Path, role: Role, overwrite: bool) -> Result<(), TransportError> {
        std::fs::create_dir_all(dir).map_err(|source| TransportError::File {
            path: dir.to_path_buf(),
            source,
        })?;
        let (key_path, cert_path) = (role.key_path(dir), role.cert_path(dir));
        if !overwrite {
            for p in [&key_path, &cert_path] {
                if p.exists() {
                    return Err(TransportError::Malformed {
                        path: p.clone(),
                        what: "exists already (keep it, or remove it to make a new identity)"
                            .into(),
                    });
                }
            }
        }
        let mut key_pem = pem("PRIVATE KEY", self.key.secret_der());
        let cert_pem = pem("CERTIFICATE", &self.cert);
        let pending = |path: &Path, bytes: &[u8], v| {
            PendingFile::write(path, bytes, v).map_err(|source| TransportError::File {
                path: path.to_path_buf(),
                source,
            })
        };
        let key_file = pending(&key_path, key_pem.as_bytes(), Visibility::Private);
        zeroize::Zeroize::zeroize(&mut key_pem);
        let key_file = key_file?;
        let cert_file = pending(&cert_path, cert_pem.as_bytes(), Visibility::Public)?;
        for f in [key_file, cert_file] {
            f.place(overwrite).map_err(|e| TransportError::File {
                path: e.path,
                source: e.source,
            })?;
        }
        Ok(())
    }

    /// Reads `DIR/<role>.key` and `DIR/<role>.crt`; a key file open to other users is
    /// refused.
    pub fn load(dir: &Path, role: Role) -> Result<Self, TransportError> {
        let key_path = role.key_path(dir);
        check_private(&key_path)?;
        let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| pem_error(&key_path, e))?;
        let cert = load_cert(&role.cert_path(dir))?;
        Ok(Self { cert, key })
    }
}

/// Reads one PEM certificate (e.g. the cloud's `cloud.crt`, which the user pins).
pub fn load_cert(path: &Path) -> Result<CertificateDer<'static>, TransportError> {
    CertificateDer::from_pem_file(path).map_err(|e| pem_error(path, e))
}

fn pem_error(path: &Path, e: rustls::pki_types::pem::Error) -> TransportError {
    match e {
        rustls::pki_types::pem::Error::Io(source) => TransportError::File {
            path: path.to_path_buf(),
            source,
        },
        other => TransportError::Malformed {
            path: path.to_path_buf(),
            what: format!("not a PEM file of the expected kind ({other:?})"),
        },
    }
}

/// Refuses a key file that group or others may read (Unix).
fn check_private(path: &Path) -> Result<(), TransportError> {
    let meta = std::fs::metadata(path).map_err(|source| TransportError::File {
        path: path.to_path_buf(),
        source,
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(TransportError::OpenKeyFile {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// PEM text of one DER object.
fn pem(label: &str, der: &[u8]) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(der.len().div_ceil(3) * 4);
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(char::from(B64[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    zeroize::Zeroize::zeroize(&mut b64);
    out
}

/// The users the cloud accepts: fingerprints of their certificates, each with a name for the
/// log (the rest of its line, or its short fingerprint).
#[derive(Clone, Debug, Default)]
pub struct AllowList {
    entries: Vec<(Fingerprint, String)>,
}

impl AllowList {
    /// A list of the given identities.
    pub fn of(entries: Vec<(Fingerprint, String)>) -> Self {
        Self { entries }
    }

    /// Reads an allow-list file: one fingerprint per line, optionally followed by a name;
    /// blank lines and `#` comments are skipped. Errors name the file and line.
    pub fn load(path: &Path) -> Result<Self, TransportError> {
        let text = std::fs::read_to_string(path).map_err(|source| TransportError::File {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses the text of an allow-list file (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, TransportError> {
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (fp, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let what = format!("{}:{}", path.display(), n + 1);
            let fp = Fingerprint::parse(fp, &what)?;
            let name = match name.trim() {
                "" => fp.short(),
                s => s.to_string(),
            };
            entries.push((fp, name));
        }
        Ok(Self { entries })
    }

    /// The name of an accepted user, `None` for anyone else.
    pub fn name_of(&self, fp: &Fingerprint) -> Option<&str> {
        self.entries
            .iter()
            .find(|(f, _)| f == fp)
            .map(|(_, n)| n.as_str())
    }

    /// Number of accepted users.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nobody is accepted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_parses_its_own_display_and_colon_form() {
        let fp = Fingerprint::of(b"certificate");
        assert_eq!(Fingerprint::parse(&fp.to_string(), "t").expect("hex"), fp);
        let colons: Vec<String> = fp.0.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(
            Fingerprint::parse(&colons.join(":"), "t").expect("colons"),
            fp
        );
        let err = Fingerprint::parse("abcd", "--cloud-fingerprint").expect_err("short");
        assert!(err.to_string().contains("--cloud-fingerprint"), "{err}");
    }

    #[test]
    fn fingerprint_is_sha256_of_the_der_bytes() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            Fingerprint::of(b"abc").to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn pem_matches_the_standard_base64() {
        // RFC 4648 §10 test vectors.
        for (raw, b64) in [
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            let text = pem("X", raw.as_bytes());
            assert_eq!(text, format!("-----BEGIN X-----\n{b64}\n-----END X-----\n"));
        }
    }

    #[test]
    fn identities_round_trip_with_a_private_key_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let id = Identity::generate(Role::Cloud).expect("generate");
        id.write(dir.path(), Role::Cloud, false).expect("write");
        let back = Identity::load(dir.path(), Role::Cloud).expect("load");
        assert_eq!(back.fingerprint(), id.fingerprint());
        assert_eq!(back.key.secret_der(), id.key.secret_der());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                |p: PathBuf| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(Role::Cloud.key_path(dir.path())), 0o600);
            std::fs::set_permissions(
                Role::Cloud.key_path(dir.path()),
                std::fs::Permissions::from_mode(0o644),
            )
            .expect("chmod");
            let err = Identity::load(dir.path(), Role::Cloud).expect_err("open key");
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
        let again = id
            .write(dir.path(), Role::Cloud, false)
            .expect_err("exists");
        assert!(again.to_string().contains("cloud.key"), "{again}");
        assert_ne!(
            Identity::generate(Role::Cloud)
                .expect("second")
                .fingerprint(),
            id.fingerprint(),
            "two identities are different"
        );
    }

    #[test]
    fn allow_list_reads_names_comments_and_names_a_bad_line() {
        let a = Fingerprint::of(b"a");
        let b = Fingerprint::of(b"b");
        let text = format!("# users\n{a} alice\n\n  {b}  # bob\n");
        let list = AllowList::parse(&text, Path::new("allow.txt")).expect("parse");
        assert_eq!(list.len(), 2);
        assert_eq!(list.name_of(&a), Some("alice"));
        assert_eq!(list.name_of(&b), Some(b.short().as_str()));
        assert_eq!(list.name_of(&Fingerprint::of(b"c")), None);
        let err = AllowList::parse("zz\n", Path::new("allow.txt")).expect_err("bad");
        assert!(err.to_string().contains("allow.txt:1"), "{err}");
    }
}

//! The file envelope: magic, version, body length, body, SHA-256 ([`crate`] docs).

use crate::reader::{DecodeError, Put, Reader};
use sha2::{Digest, Sha256};

/// Bytes before the body: magic (8), version (4), body length (8).
pub const HEADER_BYTES: usize = 20;
/// Bytes of the checksum after the body (a full SHA-256).
pub const CHECKSUM_BYTES: usize = 32;

/// One file format: its magic, the version this build writes and reads, the largest body it
/// accepts, and what to tell the owner of a file of an older version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    /// The kind of file, named in every error ("Paillier public key", …).
    pub what: &'static str,
    /// The first 8 bytes of every such file.
    pub magic: [u8; 8],
    /// The version written and the only one read.
    pub version: u32,
    /// Largest body accepted, in bytes (checked before the checksum is computed).
    pub max_body: u64,
    /// What to do with a file of an older version ("re-run `gcc-nn keygen`").
    pub remedy: &'static str,
    /// How files of this kind began before this envelope (byte prefixes): such a file is
    /// reported as written by an older gcc-nn rather than as "not a … file".
    pub legacy_prefixes: &'static [&'static [u8]],
}

/// A file being written under a [`Format`]: the header is in place, the body is appended
/// through [`Put`], [`Writer::finish`] fills in the length and appends the checksum.
#[derive(Debug)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Put for Writer {
    fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}

impl Writer {
    /// The finished file.
    pub fn finish(mut self) -> Vec<u8> {
        let body = (self.buf.len() - HEADER_BYTES) as u64;
        self.buf[12..HEADER_BYTES].copy_from_slice(&body.to_le_bytes());
        let digest = Sha256::digest(&self.buf);
        self.buf.extend_from_slice(&digest);
        self.buf
    }
}

impl Format {
    /// Starts a file whose body will take about `body_capacity` bytes (the buffer is
    /// reserved once, so a secret body is not left behind in reallocated memory).
    pub fn writer(&self, body_capacity: usize) -> Writer {
        let mut buf = Vec::with_capacity(HEADER_BYTES + body_capacity + CHECKSUM_BYTES);
        buf.extend_from_slice(&self.magic);
        buf.put_u32(self.version);
        buf.put_u64(0);
        Writer { buf }
    }

    /// The file holding `body`.
    pub fn seal(&self, body: &[u8]) -> Vec<u8> {
        let mut w = self.writer(body.len());
        w.put(body);
        w.finish()
    }

    /// Checks magic, version, length and checksum of `bytes` and returns a [`Reader`] over
    /// the body (offsets in its errors count from the start of the file).
    pub fn open<'a>(&self, bytes: &'a [u8]) -> Result<Reader<'a>, DecodeError> {
        let mut r = Reader::new(bytes, self.what);
        let err = |field: &str, offset: usize, reason: String| DecodeError {
            what: self.what,
            field: field.into(),
            offset,
            reason,
        };
        if bytes.len() < self.magic.len() || bytes[..8] != self.magic {
            if self.legacy_prefixes.iter().any(|p| bytes.starts_with(p)) {
                return Err(err(
                    "magic",
                    0,
                    format!(
                        "written by an older gcc-nn (format before the checksummed envelope); {}",
                        self.remedy
                    ),
                ));
            }
            return Err(err("magic", 0, format!("not a gcc-nn {} file", self.what)));
        }
        r.take("magic", 8)?;
        let version = r.u32("version")?;
        if version < self.version {
            return Err(err(
                "version",
                8,
                format!(
                    "written by an older gcc-nn (format version {version}, this build reads {}); {}",
                    self.version, self.remedy
                ),
            ));
        }
        if version > self.version {
            return Err(err(
                "version",
                8,
                format!(
                    "written by a newer gcc-nn (format version {version}, this build reads {}): \
                     upgrade gcc-nn",
                    self.version
                ),
            ));
        }
        let len = r.u64("body length")?;
        if len > self.max_body {
            return Err(err(
                "body length",
                12,
                format!("{len} bytes exceeds the limit of {} bytes", self.max_body),
            ));
        }
        let present = r.remaining().saturating_sub(CHECKSUM_BYTES) as u64;
        if r.remaining() < CHECKSUM_BYTES || len > present {
            return Err(err(
                "body length",
                12,
                format!(
                    "declares {len} bytes, the file holds {present} and a {CHECKSUM_BYTES}-byte checksum (truncated)"
                ),
            ));
        }
        if len < present {
            return Err(err(
                "body length",
                12,
                format!(
                    "declares {len} bytes, the file holds {present} more ({} trailing bytes)",
                    present - len
                ),
            ));
        }
        let end = HEADER_BYTES + len as usize;
        if Sha256::digest(&bytes[..end]).as_slice() != &bytes[end..] {
            return Err(err(
                "checksum",
                end,
                "checksum mismatch (SHA-256): the file is corrupt, or was truncated and padded"
                    .into(),
            ));
        }
        Ok(Reader::at_offset(
            &bytes[HEADER_BYTES..end],
            self.what,
            HEADER_BYTES,
        ))
    }
}

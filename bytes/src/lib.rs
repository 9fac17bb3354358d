//! One bounded byte reader ([`Reader`]) and one file envelope ([`Format`]) for every gcc-nn
//! file format (keys, ciphertexts, model, upload, share and circuit files).
//!
//! **Reader.** Little-endian integers, fixed arrays, byte strings and declared counts; every
//! declared length or count is checked against a caller's limit *and* against the bytes
//! actually left before anything is allocated, and every error names the file kind, the
//! field and the byte offset at which it starts ([`DecodeError`]).
//!
//! **Envelope.** Every file is
//!
//! ```text
//! magic [8] | version u32 LE | body length u64 LE | body | SHA-256(magic … body) [32]
//! ```
//!
//! (the full 32-byte SHA-256 of everything before it: a random corruption passes with
//! probability 2^−256, and the same digest serves as an integrity check of secret files).
//! [`Format::open`] checks, in this order, the magic (with a dedicated message for the
//! layouts of earlier gcc-nn releases, [`Format::legacy_prefixes`]), the version (older:
//! "written by an older gcc-nn; <remedy>", newer: "written by a newer gcc-nn"), the declared
//! length against the format's limit and the bytes present, then the checksum; only then is
//! the body handed to the format's own [`Reader`].

mod envelope;
mod reader;

pub use envelope::{CHECKSUM_BYTES, Format, HEADER_BYTES, Writer};
pub use reader::{DecodeError, Put, Reader};

//! Serialization of keys and ciphertexts in the [`bytes`] file envelope (magic, version,
//! length, SHA-256; one convention for every gcc-nn file), big-endian integers inside:
//!
//! ```text
//! public key  "GCCNN-PK" v2:  body = modulus N (u64 length + bytes)
//! secret key  "GCCNN-SK" v2:  body = p (u64 length + bytes) | q (u64 length + bytes)
//! ciphertext  "GCCNN-CT" v2:  body = 8-byte key fingerprint | c, fixed width = bytes of N²
//! ```
//! Decoding checks everything it can: the envelope (magic, version, length, checksum), the
//! lengths against [`MAX_MODULUS_BYTES`] / [`MAX_PRIME_BYTES`] before reading, trailing
//! bytes, the key's size, the primality of p and q, the fingerprint, `0 < c < N²` and
//! `gcd(c, N) = 1`. Files of version 1 (a version byte and a kind tag, no checksum) are
//! refused as written by an older gcc-nn. The wire form of a ciphertext (inside protocol
//! messages that carry their own header) is the fixed-width integer alone, checked for range.

use crate::bigint::to_monty;
use crate::cipher::Ciphertext;
use crate::error::{PaillierError, Result};
use crate::keys::{PublicKey, SecretKey};
use bytes::{DecodeError, Format, Put, Reader};
use crypto_bigint::BoxedUint;
use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{One, Zero};
use zeroize::Zeroizing;

/// The format version written and read by this build (all three files).
pub const FORMAT_VERSION: u32 = 2;
/// Longest modulus N a public key file may declare, in bytes (4096 bits).
pub const MAX_MODULUS_BYTES: u32 = 512;
/// Longest prime a secret key file may declare, in bytes (2048 bits: half a 4096-bit N).
pub const MAX_PRIME_BYTES: u32 = 256;

const KEY_REMEDY: &str = "re-run `gcc-nn keygen` (and have the model encrypted for the new key)";

/// The public key file.
pub const PUBLIC_KEY_FILE: Format = Format {
    what: "public key",
    magic: *b"GCCNN-PK",
    version: FORMAT_VERSION,
    max_body: 8 + MAX_MODULUS_BYTES as u64,
    remedy: KEY_REMEDY,
    legacy_prefixes: &[&[1, b'P']],
};
/// The secret key file.
pub const SECRET_KEY_FILE: Format = Format {
    what: "secret key",
    magic: *b"GCCNN-SK",
    version: FORMAT_VERSION,
    max_body: 16 + 2 * MAX_PRIME_BYTES as u64,
    remedy: KEY_REMEDY,
    legacy_prefixes: &[&[1, b'S']],
};
/// The ciphertext file.
pub const CIPHERTEXT_FILE: Format = Format {
    what: "ciphertext",
    magic: *b"GCCNN-CT",
    version: FORMAT_VERSION,
    max_body: 8 + 2 * MAX_MODULUS_BYTES as u64,
    remedy: "re-encrypt it with this gcc-nn",
    legacy_prefixes: &[&[1, b'C']],
};

/// A decode error of this crate, keeping the field and offset in the reason.
fn decode(e: DecodeError) -> PaillierError {
    PaillierError::Decode {
        what: e.what,
        reason: format!("{} at byte {}: {}", e.field, e.offset, e.reason),
    }
}

/// A length-prefixed big-endian integer of at most `limit` bytes (checked before reading).
fn integer<'a>(r: &mut Reader<'a>, field: &str, limit: u32) -> Result<&'a [u8]> {
    r.bytes64(field, u64::from(limit)).map_err(decode)
}

fn put_integer(out: &mut impl Put, bytes: &[u8]) {
    out.put_bytes64(bytes);
}

impl PublicKey {
    /// The versioned byte form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let n = self.n.to_bytes_be();
        let mut w = PUBLIC_KEY_FILE.writer(8 + n.len());
        put_integer(&mut w, &n);
        w.finish()
    }

    /// Read the versioned byte form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = PUBLIC_KEY_FILE.open(bytes).map_err(decode)?;
        let at = r.offset();
        let n = BigUint::from_bytes_be(integer(&mut r, "modulus", MAX_MODULUS_BYTES)?);
        r.finish().map_err(decode)?;
        if n.is_even() {
            return Err(decode(r.error_at("modulus", at, "modulus is even")));
        }
        if n.bits() < u64::from(crate::keys::MIN_TEST_KEY_BITS) {
            return Err(decode(r.error_at(
                "modulus",
                at,
                format!("modulus of {} bits is too small", n.bits()),
            )));
        }
        PublicKey::from_modulus(n)
    }

    /// Append the fixed-width wire form of `c` (big-endian, [`PublicKey::ciphertext_bytes`]).
    pub fn write_ciphertext(&self, c: &Ciphertext, out: &mut Vec<u8>) {
        let bytes = c.to_biguint().to_bytes_be();
        let width = self.ciphertext_bytes();
        out.resize(out.len() + width - bytes.len(), 0);
        out.extend_from_slice(&bytes);
    }

    /// Read a fixed-width wire-form ciphertext, checking `0 < c < N²`.
    pub fn read_ciphertext(&self, bytes: &[u8]) -> Result<Ciphertext> {
        let width = self.ciphertext_bytes();
        if bytes.len() != width {
            return Err(PaillierError::Decode {
                what: "ciphertext",
                reason: format!("{} bytes where {width} were expected", bytes.len()),
            });
        }
        let c = BigUint::from_bytes_be(bytes);
        if c.is_zero() || c >= self.n_squared {
            return Err(PaillierError::Decode {
                what: "ciphertext",
                reason: "value is not in (0, N²)".into(),
            });
        }
        Ok(Ciphertext {
            c: to_monty(&c, &self.nn_params),
        })
    }
}

impl Ciphertext {
    /// The versioned byte form (with the key's fingerprint).
    pub fn to_bytes(&self, pk: &PublicKey) -> Vec<u8> {
        let mut body = Vec::with_capacity(8 + pk.ciphertext_bytes());
        body.extend_from_slice(&pk.fingerprint());
        pk.write_ciphertext(self, &mut body);
        CIPHERTEXT_FILE.seal(&body)
    }

    /// Read the versioned byte form under `pk`; a ciphertext of another key is
    /// [`PaillierError::KeyMismatch`], a non-unit is a decode error.
    pub fn from_bytes(pk: &PublicKey, bytes: &[u8]) -> Result<Self> {
        let mut r = CIPHERTEXT_FILE.open(bytes).map_err(decode)?;
        if r.array::<8>("key fingerprint").map_err(decode)? != pk.fingerprint() {
            return Err(PaillierError::KeyMismatch);
        }
        let at = r.offset();
        let body = r.take("value", pk.ciphertext_bytes()).map_err(decode)?;
        r.finish().map_err(decode)?;
        let c = pk.read_ciphertext(body)?;
        if !c.to_biguint().gcd(pk.n()).is_one() {
            return Err(decode(r.error_at("value", at, "value is not a unit mod N")));
        }
        Ok(c)
    }
}

/// A length-prefixed secret integer read straight into a `crypto-bigint` integer.
fn secret_integer(r: &mut Reader<'_>, field: &str) -> Result<BoxedUint> {
    let at = r.offset();
    let bytes = integer(r, field, MAX_PRIME_BYTES)?;
    let precision = (bytes.len().max(1) as u32 * 8).div_ceil(64) * 64;
    BoxedUint::from_be_slice(bytes, precision)
        .map_err(|e| decode(r.error_at(field, at, e.to_string())))
}

/// The big-endian bytes of `x` without leading zeros (wiped on drop).
fn trimmed_be_bytes(x: &BoxedUint) -> Zeroizing<Vec<u8>> {
    let full = Zeroizing::new(x.to_be_bytes());
    let skip = full.iter().take_while(|&&b| b == 0).count();
    Zeroizing::new(full[skip..].to_vec())
}

impl SecretKey {
    /// The versioned byte form (wiped from memory when dropped).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let (p, q) = self.boxed_primes();
        let (p, q) = (trimmed_be_bytes(&p), trimmed_be_bytes(&q));
        let mut w = SECRET_KEY_FILE.writer(16 + p.len() + q.len());
        put_integer(&mut w, &p);
        put_integer(&mut w, &q);
        Zeroizing::new(w.finish())
    }

    /// Read a secret key file: the bytes stay in a buffer that is wiped when dropped (use
    /// this rather than `std::fs::read` + [`SecretKey::from_bytes`]). No production-size
    /// check here: see [`PublicKey::validate_production`].
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| PaillierError::Decode {
            what: "secret key file",
            reason: format!("cannot read {}: {e}", path.display()),
        })?);
        Self::from_bytes(&bytes)
    }

    /// Read the versioned byte form, re-checking that p and q are probable primes. The
    /// primes go straight into wiped `crypto-bigint` integers; the caller should hold
    /// `bytes` in a `Zeroizing` buffer. No production-size check here: see
    /// [`PublicKey::validate_production`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = SECRET_KEY_FILE.open(bytes).map_err(decode)?;
        let at = r.offset();
        let p = Zeroizing::new(secret_integer(&mut r, "prime p")?);
        let q = Zeroizing::new(secret_integer(&mut r, "prime q")?);
        r.finish().map_err(decode)?;
        let mut rng = rand::rng();
        for x in [&*p, &*q] {
            if x.bits() < 16 || !crate::prime::is_probable_prime_boxed(x, &mut rng) {
                return Err(decode(r.error_at(
                    "primes",
                    at,
                    "a stored prime is not prime",
                )));
            }
        }
        SecretKey::from_boxed_primes(&p, &q)
    }
}

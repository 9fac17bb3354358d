//! Serialization of keys and ciphertexts: a version byte, a kind tag, then big-endian fields.
//!
//! ```text
//! public key:  [version=1]['P'][u32 len][N]
//! secret key:  [version=1]['S'][u32 len][p][u32 len][q]
//! ciphertext:  [version=1]['C'][8-byte key fingerprint][c, fixed width = bytes of N²]
//! ```
//! Decoding checks everything it can: version, tag, lengths, trailing bytes, the key's
//! size, the primality of p and q, the fingerprint, `0 < c < N²` and `gcd(c, N) = 1`.
//! The wire form of a ciphertext (inside protocol messages that carry their own header)
//! is the fixed-width integer alone, checked for range.

use crate::bigint::to_monty;
use crate::cipher::Ciphertext;
use crate::error::{PaillierError, Result};
use crate::keys::{PublicKey, SecretKey};
use crypto_bigint::BoxedUint;
use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{One, Zero};
use zeroize::Zeroizing;

/// The format version written and read by this build.
pub const FORMAT_VERSION: u8 = 1;
const TAG_PUBLIC: u8 = b'P';
const TAG_SECRET: u8 = b'S';
const TAG_CIPHERTEXT: u8 = b'C';
/// Longest modulus N a public key file may declare, in bytes (4096 bits).
pub const MAX_MODULUS_BYTES: u32 = 512;
/// Longest prime a secret key file may declare, in bytes (2048 bits: half a 4096-bit N).
pub const MAX_PRIME_BYTES: u32 = 256;

/// A cursor over bytes being decoded, naming what it decodes in its errors.
struct Reader<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn err(&self, reason: impl Into<String>) -> PaillierError {
        PaillierError::Decode {
            what: self.what,
            reason: reason.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(self.err(format!(
                "truncated: needed {n} more bytes, {} left",
                self.bytes.len()
            )));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn header(&mut self, tag: u8) -> Result<()> {
        let head = self.take(2)?;
        if head[0] != FORMAT_VERSION {
            return Err(PaillierError::Version {
                what: self.what,
                found: head[0],
                expected: FORMAT_VERSION,
            });
        }
        if head[1] != tag {
            return Err(self.err(format!(
                "kind tag {:?} where {:?} was expected",
                head[1] as char, tag as char
            )));
        }
        Ok(())
    }

    /// A length-prefixed integer; the declared length (named `field` in errors) is checked
    /// against `limit` before the bytes are read.
    fn integer(&mut self, field: &str, limit: u32) -> Result<BigUint> {
        let len_bytes = self.take(4)?;
        let len = u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
        if len > limit {
            return Err(self.err(format!(
                "{field} length {len} bytes exceeds the limit of {limit} bytes"
            )));
        }
        Ok(BigUint::from_bytes_be(self.take(len as usize)?))
    }

    /// A length-prefixed secret integer read straight into a `crypto-bigint` integer.
    fn secret_integer(&mut self, field: &str, limit: u32) -> Result<BoxedUint> {
        let len_bytes = self.take(4)?;
        let len = u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
        if len > limit {
            return Err(self.err(format!(
                "{field} length {len} bytes exceeds the limit of {limit} bytes"
            )));
        }
        let bytes = self.take(len as usize)?;
        let precision = (len.max(1) * 8).div_ceil(64) * 64;
        BoxedUint::from_be_slice(bytes, precision).map_err(|e| self.err(format!("{field}: {e}")))
    }

    fn finish(&self) -> Result<()> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(self.err(format!("{} trailing bytes", self.bytes.len())))
        }
    }
}

fn put_integer(out: &mut Vec<u8>, x: &BigUint) {
    let bytes = x.to_bytes_be();
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(&bytes);
}

impl PublicKey {
    /// The versioned byte form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![FORMAT_VERSION, TAG_PUBLIC];
        put_integer(&mut out, &self.n);
        out
    }

    /// Read the versioned byte form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader {
            bytes,
            what: "public key",
        };
        r.header(TAG_PUBLIC)?;
        let n = r.integer("modulus", MAX_MODULUS_BYTES)?;
        r.finish()?;
        if n.is_even() {
            return Err(r.err("modulus is even"));
        }
        if n.bits() < u64::from(crate::keys::MIN_TEST_KEY_BITS) {
            return Err(r.err(format!("modulus of {} bits is too small", n.bits())));
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
        let mut out = vec![FORMAT_VERSION, TAG_CIPHERTEXT];
        out.extend_from_slice(&pk.fingerprint());
        pk.write_ciphertext(self, &mut out);
        out
    }

    /// Read the versioned byte form under `pk`; a ciphertext of another key is
    /// [`PaillierError::KeyMismatch`], a non-unit is a decode error.
    pub fn from_bytes(pk: &PublicKey, bytes: &[u8]) -> Result<Self> {
        let mut r = Reader {
            bytes,
            what: "ciphertext",
        };
        r.header(TAG_CIPHERTEXT)?;
        if r.take(8)? != pk.fingerprint() {
            return Err(PaillierError::KeyMismatch);
        }
        let body = r.take(pk.ciphertext_bytes())?;
        r.finish()?;
        let c = pk.read_ciphertext(body)?;
        if !c.to_biguint().gcd(pk.n()).is_one() {
            return Err(r.err("value is not a unit mod N"));
        }
        Ok(c)
    }
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
        let mut out = Zeroizing::new(vec![FORMAT_VERSION, TAG_SECRET]);
        for x in [&*p, &*q] {
            let bytes = trimmed_be_bytes(x);
            out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            out.extend_from_slice(&bytes);
        }
        out
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
        let mut r = Reader {
            bytes,
            what: "secret key",
        };
        r.header(TAG_SECRET)?;
        let p = Zeroizing::new(r.secret_integer("prime p", MAX_PRIME_BYTES)?);
        let q = Zeroizing::new(r.secret_integer("prime q", MAX_PRIME_BYTES)?);
        r.finish()?;
        let mut rng = rand::rng();
        for x in [&*p, &*q] {
            if x.bits() < 16 || !crate::prime::is_probable_prime_boxed(x, &mut rng) {
                return Err(r.err("a stored prime is not prime"));
            }
        }
        SecretKey::from_boxed_primes(&p, &q)
    }
}

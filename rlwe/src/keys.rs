//! Keys: a ternary secret `s` and the public key `(p0, p1) = (−p1·s + e, p1)`.
//!
//! The secret key has no `Clone` or `Debug` and is zeroized on drop. The public key's `p1`
//! is expanded from a 32-byte seed, so it serializes to the seed plus `p0`.

use crate::bits::{BitReader, BitWriter, prime_bits};
use crate::error::{Result, RlweError};
use crate::params::{L, N, PRIMES};
use crate::poly::RnsPoly;
use crate::sample;
use rand::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A ternary secret key (coefficients and their NTT form).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretKey {
    /// Coefficients in {−1, 0, 1}.
    pub(crate) s: Vec<i64>,
    /// `s` in NTT representation modulo every prime.
    pub(crate) s_ntt: RnsPoly,
}

impl SecretKey {
    /// A fresh uniform ternary secret from the caller's CSPRNG (use `rand::rng()`).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let s = sample::ternary(rng);
        let mut s_ntt = RnsPoly::from_signed(&s);
        s_ntt.to_ntt();
        Self { s, s_ntt }
    }

    /// The public key of this secret: `p1` uniform from a fresh seed, `p0 = −p1·s + e`.
    pub fn public_key<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> PublicKey {
        let seed = sample::seed(rng);
        let mut p1_ntt = sample::uniform_from_seed(&seed);
        p1_ntt.to_ntt();
        let mut p0 = p1_ntt.mul_ntt(&self.s_ntt);
        p0.from_ntt();
        p0.neg_assign();
        p0.add_assign(&RnsPoly::from_signed(&sample::cbd(rng)));
        p0.to_ntt();
        PublicKey {
            seed,
            p0_ntt: p0,
            p1_ntt,
        }
    }
}

/// The public key, both halves in NTT representation.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    seed: [u8; 32],
    pub(crate) p0_ntt: RnsPoly,
    pub(crate) p1_ntt: RnsPoly,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey")
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// Magic and version of a serialized public key.
const PK_MAGIC: &[u8; 4] = b"RLP1";

impl PublicKey {
    /// `(p0·u + e0, p1·u + e1)` in coefficient representation: a fresh encryption of zero
    /// with `u` ternary and `e0`, `e1` centred binomial. Its decryption noise is
    /// `e·u + e0 + e1·s`, at most `(2N + 1)·η` in absolute value.
    pub fn encrypt_zero<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> (RnsPoly, RnsPoly) {
        let mut u = RnsPoly::from_signed(&sample::ternary(rng));
        u.to_ntt();
        let mut c0 = self.p0_ntt.mul_ntt(&u);
        let mut c1 = self.p1_ntt.mul_ntt(&u);
        u.zeroize();
        c0.from_ntt();
        c1.from_ntt();
        c0.add_assign(&RnsPoly::from_signed(&sample::cbd(rng)));
        c1.add_assign(&RnsPoly::from_signed(&sample::cbd(rng)));
        (c0, c1)
    }

    /// Serialized form: magic, seed of `p1`, `p0` (NTT form) packed at each prime's width.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = BitWriter::new();
        for (l, &p) in PRIMES.iter().enumerate() {
            for &x in self.p0_ntt.residues(l) {
                w.put(x, prime_bits(p));
            }
        }
        let mut out = Vec::with_capacity(36 + w.len());
        out.extend_from_slice(PK_MAGIC);
        out.extend_from_slice(&self.seed);
        out.extend_from_slice(&w.finish());
        out
    }

    /// Reads [`PublicKey::to_bytes`], checking the magic, the length and every residue's range.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = |reason: String| RlweError::Malformed {
            what: "RLWE public key",
            reason,
        };
        if bytes.len() < 36 || &bytes[..4] != PK_MAGIC {
            return Err(bad("missing magic RLP1".into()));
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&bytes[4..36]);
        let mut r = BitReader::new(&bytes[36..]);
        let mut p0_ntt = RnsPoly::zero();
        for (l, &p) in PRIMES.iter().enumerate() {
            for x in p0_ntt.residues_mut(l) {
                *x = r
                    .get_below(prime_bits(p), p)
                    .map_err(|e| bad(e.to_string()))?;
            }
        }
        r.finish().map_err(|e| bad(e.to_string()))?;
        let mut p1_ntt = sample::uniform_from_seed(&seed);
        p1_ntt.to_ntt();
        Ok(Self {
            seed,
            p0_ntt,
            p1_ntt,
        })
    }
}

/// Checks at compile time that the context is the one the keys assume.
const _: () = assert!(L == 3 && N == 8192);

/// The decryption `c0 + c1·s` modulo every prime, coefficient representation.
pub(crate) fn phase(sk: &SecretKey, c0: &RnsPoly, c1: &RnsPoly) -> RnsPoly {
    let mut t = c1.clone();
    t.to_ntt();
    t.mul_assign_ntt(&sk.s_ntt);
    t.from_ntt();
    t.add_assign(c0);
    t
}

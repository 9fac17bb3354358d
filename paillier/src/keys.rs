//! Paillier keys: generation, construction from primes, CRT parameters.
//!
//! g = N + 1, so `Enc(m; r) = (1 + m·N)·r^N mod N²`. Decryption works modulo p² and q²
//! separately (CRT) with exponents p−1 and q−1 and recombines modulo N.

use crate::bigint::{boxed_from_big, params_for};
use crate::crt::{CrtHalf, trimmed};
use crate::error::{PaillierError, Result};
use crate::prime::random_prime_boxed;
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, ConcatenatingMul, Gcd, Integer as _, Resize};
use num_bigint::BigUint;
use num_traits::{One, Pow, Zero};
use rand::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// Modulus size used when none is given.
pub const DEFAULT_KEY_BITS: u32 = 2048;
/// Modulus sizes accepted for real keys.
pub const SUPPORTED_KEY_BITS: [u32; 2] = [2048, 3072];
/// Smallest modulus that key generation and key files accept (test keys; insecure below 2048).
pub const MIN_TEST_KEY_BITS: u32 = 128;
/// Smallest modulus [`PublicKey::from_modulus`] accepts (tiny known-answer tests only).
pub const MIN_MODULUS_BITS: u32 = 6;
/// Smallest modulus every production path accepts ([`validate_production_modulus`]).
pub const MIN_PRODUCTION_KEY_BITS: u32 = 2048;
/// [`validate_production_modulus`] rejects moduli with a prime factor below this bound.
pub const PRODUCTION_TRIAL_DIVISION_BOUND: u32 = 1 << 16;

/// The primes below `bound` (sieve of Eratosthenes).
pub(crate) fn primes_below(bound: u32) -> Vec<u32> {
    let n = bound as usize;
    let mut composite = vec![false; n];
    let mut primes = Vec::new();
    for i in 2..n {
        if !composite[i] {
            primes.push(i as u32);
            let mut j = i * i;
            while j < n {
                composite[j] = true;
                j += i;
            }
        }
    }
    primes
}

/// Refuse a modulus that no production path may use: fewer than [`MIN_PRODUCTION_KEY_BITS`]
/// bits, a prime factor below [`PRODUCTION_TRIAL_DIVISION_BOUND`], or a perfect power `a^k`
/// (k ≥ 2). Since no factor is below 2^16 once trial division passed, `a ≥ 2^16` and only
/// `k ≤ bits/16` need an integer k-th root. Key files are read without this check (tests
/// use small keys); every production path calls it (or [`PublicKey::validate_production`]).
pub fn validate_production_modulus(n: &BigUint) -> Result<()> {
    let bits = u32::try_from(n.bits()).unwrap_or(u32::MAX);
    let insecure = |reason: String| PaillierError::InsecureKey { bits, reason };
    if bits < MIN_PRODUCTION_KEY_BITS {
        return Err(insecure(format!(
            "production needs at least {MIN_PRODUCTION_KEY_BITS} bits"
        )));
    }
    for d in primes_below(PRODUCTION_TRIAL_DIVISION_BOUND) {
        if (n % d).is_zero() {
            return Err(insecure(format!(
                "it has the small prime factor {d} (no factor below {PRODUCTION_TRIAL_DIVISION_BOUND} is allowed)"
            )));
        }
    }
    for k in 2..=(bits / 16).max(2) {
        let root = n.nth_root(k);
        if &root.pow(k) == n {
            return Err(insecure(format!("it is a perfect power (a {k}-th power)")));
        }
    }
    Ok(())
}

/// A Paillier public key (N, with g = N + 1).
#[derive(Clone)]
pub struct PublicKey {
    pub(crate) n: BigUint,
    pub(crate) n_squared: BigUint,
    pub(crate) nn_params: BoxedMontyParams,
    /// Montgomery parameters modulo N (for `(1 + kN)·Y` in constant time).
    pub(crate) n_params: BoxedMontyParams,
    fingerprint: [u8; 8],
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.n == other.n
    }
}
impl Eq for PublicKey {}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PublicKey {{ bits: {}, fingerprint: {} }}",
            self.bits(),
            hex(&self.fingerprint)
        )
    }
}

/// Lowercase hex of a byte string.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl PublicKey {
    /// A public key from its modulus N (odd, [`MIN_MODULUS_BITS`]..=4096 bits; anything
    /// below 2048 bits is insecure and for tests only).
    pub fn from_modulus(n: BigUint) -> Result<Self> {
        let bits = u32::try_from(n.bits()).unwrap_or(u32::MAX);
        if !(MIN_MODULUS_BITS..=4096).contains(&bits) {
            return Err(PaillierError::UnsupportedKeySize { bits });
        }
        let n_squared = &n * &n;
        let nn_params = params_for(&n_squared).ok_or(PaillierError::InvalidPrimes {
            reason: "modulus is even",
        })?;
        let n_params = params_for(&n).ok_or(PaillierError::InvalidPrimes {
            reason: "modulus is even",
        })?;
        let digest = Sha256::digest(n.to_bytes_be());
        let mut fingerprint = [0u8; 8];
        fingerprint.copy_from_slice(&digest[..8]);
        Ok(Self {
            n,
            n_squared,
            nn_params,
            n_params,
            fingerprint,
        })
    }

    /// [`validate_production_modulus`] on this key's modulus: every production path calls it.
    pub fn validate_production(&self) -> Result<()> {
        validate_production_modulus(&self.n)
    }

    /// The modulus N.
    pub fn n(&self) -> &BigUint {
        &self.n
    }

    /// N².
    pub fn n_squared(&self) -> &BigUint {
        &self.n_squared
    }

    /// Bit length of N.
    pub fn bits(&self) -> u32 {
        u32::try_from(self.n.bits()).unwrap_or(u32::MAX)
    }

    /// First 8 bytes of SHA-256 of N (big-endian): identifies the key in files and messages.
    pub fn fingerprint(&self) -> [u8; 8] {
        self.fingerprint
    }

    /// Bytes of one ciphertext in its fixed-width wire form (big-endian N²).
    pub fn ciphertext_bytes(&self) -> usize {
        usize::try_from(self.n_squared.bits().div_ceil(8)).unwrap_or(0)
    }
}

/// A Paillier secret key: the primes and the CRT constants, kept only in `crypto-bigint`
/// integers (constant-time arithmetic, see the `crt` module) and wiped on drop.
///
/// Its `Debug` prints only the public part. (The shared Montgomery parameters of p, q, p²,
/// q² live in reference-counted `crypto-bigint` values that cannot be wiped from here.)
pub struct SecretKey {
    pub(crate) public: PublicKey,
    /// Decryption and randomness half for p (cofactor q).
    pub(crate) half_p: CrtHalf,
    /// Decryption and randomness half for q (cofactor p).
    pub(crate) half_q: CrtHalf,
    /// q² (the cofactor of the randomness recombination modulo N²).
    pub(crate) qq: BoxedUint,
    /// `−(q²)^(−1) mod p²` in Montgomery form mod p².
    pub(crate) hh_p: BoxedMontyForm,
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.qq.zeroize();
        self.hh_p.zeroize();
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey {{ public: {:?}, .. }}", self.public)
    }
}

/// `(x − 1) / d` (the Paillier L function; exact when x ≡ 1 mod d). Public values only
/// (the textbook reference decryption of the tests).
pub(crate) fn l_function(x: &BigUint, d: &BigUint) -> BigUint {
    (x - BigUint::one()) / d
}

impl SecretKey {
    /// Generate a key with an N of `bits` bits (2048 or 3072) from two random probable primes.
    pub fn generate<R: CryptoRng + ?Sized>(bits: u32, rng: &mut R) -> Result<Self> {
        if !SUPPORTED_KEY_BITS.contains(&bits) {
            return Err(PaillierError::UnsupportedKeySize { bits });
        }
        Self::generate_any_size(bits, rng)
    }

    /// Generate a key of any even size ≥ [`MIN_TEST_KEY_BITS`]. Insecure: tests only (sizes
    /// below 2048 bits are breakable; production paths use [`SecretKey::generate`] and
    /// [`PublicKey::validate_production`], which refuse them).
    pub fn generate_any_size<R: CryptoRng + ?Sized>(bits: u32, rng: &mut R) -> Result<Self> {
        if !(MIN_TEST_KEY_BITS..=4096).contains(&bits) || !bits.is_multiple_of(2) {
            return Err(PaillierError::UnsupportedKeySize { bits });
        }
        loop {
            let p = Zeroizing::new(random_prime_boxed(bits / 2, rng));
            let q = Zeroizing::new(random_prime_boxed(bits / 2, rng));
            match Self::from_boxed_primes(&p, &q) {
                Ok(key) => return Ok(key),
                Err(PaillierError::InvalidPrimes { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// A key from two given primes (their primality is the caller's promise; used for
    /// known-answer tests). Requires p ≠ q, both odd and gcd(pq, (p−1)(q−1)) = 1.
    /// (`BigUint` cannot be wiped: the caller's copies of p and q stay in memory.)
    pub fn from_primes(p: &BigUint, q: &BigUint) -> Result<Self> {
        let p = Zeroizing::new(boxed_from_big(p));
        let q = Zeroizing::new(boxed_from_big(q));
        Self::from_boxed_primes(&p, &q)
    }

    /// [`SecretKey::from_primes`] for `crypto-bigint` primes (any precision).
    pub(crate) fn from_boxed_primes(p: &BoxedUint, q: &BoxedUint) -> Result<Self> {
        let p = Zeroizing::new(trimmed(p));
        let q = Zeroizing::new(trimmed(q));
        let one = BoxedUint::one();
        if p.bits() < 2 || q.bits() < 2 || !bool::from(p.is_odd()) || !bool::from(q.is_odd()) {
            return Err(PaillierError::InvalidPrimes {
                reason: "primes must be odd and > 1",
            });
        }
        let width = p.bits_precision().max(q.bits_precision());
        if (&*p).resize_unchecked(width) == (&*q).resize_unchecked(width) {
            return Err(PaillierError::InvalidPrimes { reason: "p = q" });
        }
        let n = Zeroizing::new(trimmed(&p.concatenating_mul(&*q)));
        let p_minus_1 = Zeroizing::new(p.wrapping_sub((&one).resize_unchecked(p.bits_precision())));
        let q_minus_1 = Zeroizing::new(q.wrapping_sub((&one).resize_unchecked(q.bits_precision())));
        let phi = Zeroizing::new(
            p_minus_1
                .concatenating_mul(&*q_minus_1)
                .resize_unchecked(n.bits_precision()),
        );
        if n.gcd(&*phi) != (&one).resize_unchecked(n.bits_precision()) {
            return Err(PaillierError::InvalidPrimes {
                reason: "gcd(N, (p-1)(q-1)) != 1",
            });
        }
        let public = PublicKey::from_modulus(crate::bigint::to_big(&n))?;
        let half_p = CrtHalf::new(&p, &q)?;
        let half_q = CrtHalf::new(&q, &p)?;
        let qq = trimmed(&q.concatenating_mul(&*q));
        let qq_mod_pp = Zeroizing::new(qq.rem(half_p.aa()));
        let pp_odd = half_p.aa_params.modulus();
        let qq_inv = qq_mod_pp
            .invert_odd_mod(pp_odd)
            .into_option()
            .map(Zeroizing::new)
            .ok_or(PaillierError::InvalidPrimes {
                reason: "q^2 is not invertible mod p^2",
            })?;
        let hh_p = BoxedMontyForm::new((*qq_inv).clone(), &half_p.aa_params).neg();
        Ok(Self {
            public,
            half_p,
            half_q,
            qq,
            hh_p,
        })
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The primes (p, q) at their trimmed precision, for serialization (wiped on drop).
    pub(crate) fn boxed_primes(&self) -> (Zeroizing<BoxedUint>, Zeroizing<BoxedUint>) {
        (
            Zeroizing::new(self.half_p.a.as_ref().clone()),
            Zeroizing::new(self.half_q.a.as_ref().clone()),
        )
    }

    /// The primes as `BigUint` (cannot be wiped): only for the textbook reference decryption.
    pub(crate) fn primes_big(&self) -> (BigUint, BigUint) {
        let (p, q) = self.boxed_primes();
        (crate::bigint::to_big(&p), crate::bigint::to_big(&q))
    }
}

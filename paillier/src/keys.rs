//! Paillier keys: generation, construction from primes, CRT parameters.
//!
//! g = N + 1, so `Enc(m; r) = (1 + m·N)·r^N mod N²`. Decryption works modulo p² and q²
//! separately (CRT) with exponents p−1 and q−1 and recombines modulo N.

use crate::bigint::{params_for, precision_for, to_boxed};
use crate::error::{PaillierError, Result};
use crate::prime::random_prime;
use crypto_bigint::BoxedUint;
use crypto_bigint::modular::BoxedMontyParams;
use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{One, Pow, Zero};
use rand::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

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
        let digest = Sha256::digest(n.to_bytes_be());
        let mut fingerprint = [0u8; 8];
        fingerprint.copy_from_slice(&digest[..8]);
        Ok(Self {
            n,
            n_squared,
            nn_params,
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

/// A Paillier secret key: the primes and the CRT decryption constants.
///
/// The secret values live in `crypto-bigint` integers and are zeroised on drop.
/// Its `Debug` prints only the public part. (Temporaries inside big-integer routines and
/// the shared Montgomery parameters of p², q² are not under our control and are not wiped.)
pub struct SecretKey {
    pub(crate) public: PublicKey,
    pub(crate) p: BoxedUint,
    pub(crate) q: BoxedUint,
    pub(crate) p_minus_1: BoxedUint,
    pub(crate) q_minus_1: BoxedUint,
    /// `L_p(g^(p−1) mod p²)^(−1) mod p`.
    pub(crate) hp: BoxedUint,
    /// `L_q(g^(q−1) mod q²)^(−1) mod q`.
    pub(crate) hq: BoxedUint,
    /// `q^(−1) mod p` for the CRT recombination modulo N.
    pub(crate) q_inv_p: BoxedUint,
    /// `(q²)^(−1) mod p²` for the CRT recombination modulo N².
    pub(crate) qq_inv_pp: BoxedUint,
    /// `N mod p(p−1)` and `N mod q(q−1)`: exponents of key-owner CRT encryption.
    pub(crate) n_mod_phi_pp: BoxedUint,
    pub(crate) n_mod_phi_qq: BoxedUint,
    pub(crate) pp_params: BoxedMontyParams,
    pub(crate) qq_params: BoxedMontyParams,
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.p.zeroize();
        self.q.zeroize();
        self.p_minus_1.zeroize();
        self.q_minus_1.zeroize();
        self.hp.zeroize();
        self.hq.zeroize();
        self.q_inv_p.zeroize();
        self.qq_inv_pp.zeroize();
        self.n_mod_phi_pp.zeroize();
        self.n_mod_phi_qq.zeroize();
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey {{ public: {:?}, .. }}", self.public)
    }
}

/// `(x − 1) / d` (the Paillier L function; exact when x ≡ 1 mod d).
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
            let p = random_prime(bits / 2, rng);
            let q = random_prime(bits / 2, rng);
            match Self::from_primes(&p, &q) {
                Ok(key) => return Ok(key),
                Err(PaillierError::InvalidPrimes { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// A key from two given primes (their primality is the caller's promise; used for
    /// known-answer tests and for reading key files). Requires p ≠ q, both odd and
    /// gcd(pq, (p−1)(q−1)) = 1.
    pub fn from_primes(p: &BigUint, q: &BigUint) -> Result<Self> {
        let one = BigUint::one();
        if p == q {
            return Err(PaillierError::InvalidPrimes { reason: "p = q" });
        }
        if p.is_even() || q.is_even() || p <= &one || q <= &one {
            return Err(PaillierError::InvalidPrimes {
                reason: "primes must be odd and > 1",
            });
        }
        let n = p * q;
        let phi = (p - &one) * (q - &one);
        if !n.gcd(&phi).is_one() {
            return Err(PaillierError::InvalidPrimes {
                reason: "gcd(N, (p-1)(q-1)) != 1",
            });
        }
        let public = PublicKey::from_modulus(n.clone())?;
        let pp = p * p;
        let qq = q * q;
        let pp_params = params_for(&pp).ok_or(PaillierError::InvalidPrimes {
            reason: "p is even",
        })?;
        let qq_params = params_for(&qq).ok_or(PaillierError::InvalidPrimes {
            reason: "q is even",
        })?;
        // g = N+1: g^(p-1) mod p² = 1 + (p−1)·N mod p², so L_p = (p−1)·q mod p = −q mod p.
        let g = &n + &one;
        let lp = l_function(&g.modpow(&(p - &one), &pp), p) % p;
        let lq = l_function(&g.modpow(&(q - &one), &qq), q) % q;
        let not_invertible = PaillierError::InvalidPrimes {
            reason: "L(g^(p-1)) not invertible (not primes?)",
        };
        let hp = lp.modinv(p).ok_or(not_invertible.clone())?;
        let hq = lq.modinv(q).ok_or(not_invertible.clone())?;
        let q_inv_p = (q % p).modinv(p).ok_or(not_invertible.clone())?;
        let qq_inv_pp = (&qq % &pp).modinv(&pp).ok_or(not_invertible)?;
        let n_mod_phi_pp = &n % (&pp - p);
        let n_mod_phi_qq = &n % (&qq - q);
        let boxed = |x: &BigUint, m: &BigUint| to_boxed(x, precision_for(m));
        Ok(Self {
            p: boxed(p, p),
            q: boxed(q, q),
            p_minus_1: boxed(&(p - &one), p),
            q_minus_1: boxed(&(q - &one), q),
            hp: boxed(&hp, p),
            hq: boxed(&hq, q),
            q_inv_p: boxed(&q_inv_p, p),
            qq_inv_pp: boxed(&qq_inv_pp, &pp),
            n_mod_phi_pp: boxed(&n_mod_phi_pp, &pp),
            n_mod_phi_qq: boxed(&n_mod_phi_qq, &qq),
            pp_params,
            qq_params,
            public,
        })
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The primes (p, q) as plain integers, for serialization. Handle with care.
    pub(crate) fn primes(&self) -> (BigUint, BigUint) {
        (
            crate::bigint::to_big(&self.p),
            crate::bigint::to_big(&self.q),
        )
    }
}

//! Ciphertexts, encryption, CRT decryption and the homomorphic operations.
//!
//! Ciphertexts are kept in Montgomery form modulo N², so a homomorphic addition is one
//! Montgomery multiplication. Multiplying by `(1 + kN)` needs no multiplication modulo N²
//! at all: `(1 + kN)·Y ≡ Y + N·(k·Y mod N) (mod N²)` for any Y, Montgomery form included.

use crate::bigint::{precision_for, random_mod_ct, to_big, to_boxed, to_monty};
use crate::crt::recombine;
use crate::error::{PaillierError, Result};
use crate::keys::{PublicKey, SecretKey, l_function};
use crypto_bigint::modular::BoxedMontyForm;
use crypto_bigint::{BoxedUint, Choice, ConcatenatingMul, Gcd, Resize};
use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, Zero};
use rand::CryptoRng;
use zeroize::{Zeroize, Zeroizing};

/// A Paillier ciphertext (an element of Z*_{N²}), bound to the key that made it.
#[derive(Clone, PartialEq, Eq)]
pub struct Ciphertext {
    pub(crate) c: BoxedMontyForm,
}

impl std::fmt::Debug for Ciphertext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = to_big(&self.c.retrieve()).to_bytes_be();
        let head: Vec<u8> = v.iter().take(6).copied().collect();
        write!(f, "Ciphertext({}…)", crate::keys::hex(&head))
    }
}

/// Precomputed encryption randomness `r^N mod N²` (the expensive, data-independent part of
/// an encryption). Use each value once. Wiped on drop (it would reveal the plaintext of
/// the ciphertext made with it).
#[derive(Clone)]
pub struct Randomness {
    pub(crate) rn: BoxedMontyForm,
}

impl Drop for Randomness {
    fn drop(&mut self) {
        self.rn.zeroize();
    }
}

impl std::fmt::Debug for Randomness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Randomness(..)")
    }
}

impl Ciphertext {
    /// The ciphertext as an integer in [0, N²).
    pub fn to_biguint(&self) -> BigUint {
        to_big(&self.c.retrieve())
    }
}

/// `m mod n` for a signed m, in [0, n).
pub fn signed_to_residue(v: &BigInt, n: &BigUint) -> BigUint {
    let r = v.mod_floor(&BigInt::from_biguint(Sign::Plus, n.clone()));
    r.magnitude().clone()
}

/// The centred representative of `m` in (−n/2, n/2].
pub fn residue_to_signed(m: &BigUint, n: &BigUint) -> BigInt {
    let half = n >> 1u32;
    if m > &half {
        BigInt::from_biguint(Sign::Minus, n - m)
    } else {
        BigInt::from_biguint(Sign::Plus, m.clone())
    }
}

impl PublicKey {
    fn monty(&self, x: &BigUint) -> BoxedMontyForm {
        to_monty(x, &self.nn_params)
    }

    /// `(1 + kN)·Y mod N²` for Y in Montgomery form (see the module docs), k < N, in
    /// `crypto-bigint`'s constant-time arithmetic (Y is the encryption randomness or a
    /// ciphertext; k the plaintext): `t = k·Y mod N` as one Montgomery product of
    /// `Y mod N` (read as a Montgomery form, i.e. `Y·R^(−1)`) with k in Montgomery form
    /// (`k·R`), then `Y + N·t` added modulo N².
    fn mul_one_plus_kn(&self, y: &BoxedMontyForm, k: &BigUint) -> BoxedMontyForm {
        let y_int = y.as_montgomery();
        let n = self.n_params.modulus();
        let mut y_mod_n = BoxedMontyForm::from_montgomery(y_int.rem(n.as_nz_ref()), &self.n_params);
        let mut k_form =
            BoxedMontyForm::new(to_boxed(k, self.n_params.bits_precision()), &self.n_params);
        let mut t = y_mod_n.mul(&k_form);
        y_mod_n.zeroize();
        k_form.zeroize();
        let precision = self.nn_params.bits_precision();
        let nt = Zeroizing::new(
            n.as_ref()
                .concatenating_mul(t.as_montgomery())
                .resize_unchecked(precision),
        );
        t.zeroize();
        let z = y_int.add_mod(&nt, self.nn_params.modulus().as_nz_ref());
        BoxedMontyForm::from_montgomery(z, &self.nn_params)
    }

    fn check_plaintext(&self, m: &BigUint) -> Result<()> {
        if m >= &self.n {
            return Err(PaillierError::PlaintextOutOfRange {
                what: format!("plaintext of {} bits is not below N", m.bits()),
            });
        }
        Ok(())
    }

    /// Whether `c` was made under this key (same modulus).
    pub fn owns(&self, c: &Ciphertext) -> bool {
        c.c.params() == &self.nn_params
    }

    /// Fresh randomness `r^N mod N²` for a uniform unit r (a full exponentiation: off-line
    /// work), with r drawn and exponentiated in constant-time arithmetic.
    pub fn random_nth_power<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Randomness {
        let r = self.random_unit(rng);
        let exp = to_boxed(&self.n, precision_for(&self.n));
        let precision = self.nn_params.bits_precision();
        let mut base = BoxedMontyForm::new((&*r).resize_unchecked(precision), &self.nn_params);
        let rn = base.pow(&exp);
        base.zeroize();
        Randomness { rn }
    }

    /// A uniform unit r ∈ Z*_N: 64 extra random bits reduced mod N (statistical distance
    /// below 2^-64) and a constant-time gcd check; wiped on drop.
    fn random_unit<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Zeroizing<BoxedUint> {
        let n = self.n_params.modulus();
        let one = BoxedUint::one_with_precision(n.bits_precision());
        loop {
            let r = random_mod_ct(rng, n.as_nz_ref());
            let g = Zeroizing::new(n.as_ref().gcd(&*r));
            if *g == one {
                return r;
            }
        }
    }

    /// The randomness `r^N mod N²` for a given unit r (known-answer tests, reproducible runs).
    pub fn randomness_from(&self, r: &BigUint) -> Result<Randomness> {
        if r.is_zero() || r >= &self.n || !r.gcd(&self.n).is_one() {
            return Err(PaillierError::PlaintextOutOfRange {
                what: "randomness r must be a unit in [1, N)".into(),
            });
        }
        let exp = to_boxed(&self.n, precision_for(&self.n));
        Ok(Randomness {
            rn: self.monty(r).pow(&exp),
        })
    }

    /// Encrypt `m ∈ [0, N)` with fresh randomness (computes r^N on line: slow, ~one exponentiation).
    pub fn encrypt<R: CryptoRng + ?Sized>(&self, m: &BigUint, rng: &mut R) -> Result<Ciphertext> {
        let rn = self.random_nth_power(rng);
        self.encrypt_with(m, &rn)
    }

    /// Encrypt `m ∈ [0, N)` with precomputed randomness (no multiplication mod N²).
    pub fn encrypt_with(&self, m: &BigUint, randomness: &Randomness) -> Result<Ciphertext> {
        self.check_plaintext(m)?;
        Ok(Ciphertext {
            c: self.mul_one_plus_kn(&randomness.rn, m),
        })
    }

    /// Encrypt a signed integer (encoded as `v mod N`; |v| < N/2) with precomputed randomness.
    pub fn encrypt_signed_with(&self, v: &BigInt, randomness: &Randomness) -> Result<Ciphertext> {
        self.check_signed(v)?;
        self.encrypt_with(&signed_to_residue(v, &self.n), randomness)
    }

    fn check_signed(&self, v: &BigInt) -> Result<()> {
        if v.magnitude() >= &(&self.n >> 1u32) {
            return Err(PaillierError::PlaintextOutOfRange {
                what: format!("signed plaintext of {} bits exceeds N/2", v.bits()),
            });
        }
        Ok(())
    }

    /// The deterministic encoding `1 + mN` (randomness 1). Not hiding: only for values that
    /// stay with the party that made them, or that are re-randomised before sending.
    pub fn encrypt_deterministic(&self, m: &BigUint) -> Result<Ciphertext> {
        self.check_plaintext(m)?;
        let one = BoxedMontyForm::one(&self.nn_params);
        Ok(Ciphertext {
            c: self.mul_one_plus_kn(&one, m),
        })
    }

    /// Enc(a + b).
    pub fn add(&self, a: &Ciphertext, b: &Ciphertext) -> Ciphertext {
        Ciphertext { c: a.c.mul(&b.c) }
    }

    /// Enc(a + k) for a plaintext k ∈ [0, N) (cheap: no multiplication mod N²).
    pub fn add_plain(&self, a: &Ciphertext, k: &BigUint) -> Result<Ciphertext> {
        self.check_plaintext(k)?;
        Ok(Ciphertext {
            c: self.mul_one_plus_kn(&a.c, k),
        })
    }

    /// Enc(a + k) for a signed plaintext k (|k| < N/2).
    pub fn add_plain_signed(&self, a: &Ciphertext, k: &BigInt) -> Result<Ciphertext> {
        self.check_signed(k)?;
        self.add_plain(a, &signed_to_residue(k, &self.n))
    }

    /// Enc(−a) (a modular inversion).
    ///
    /// Ciphertexts are public values, so a variable-time inversion leaks nothing. Every
    /// ciphertext this crate makes is a unit mod N², but the wire form
    /// ([`PublicKey::read_ciphertext`]) does not check gcd(c, N) = 1: a non-unit from a peer
    /// has no inverse, and its "negation" is the absorbing non-unit 0. Whatever is computed
    /// from it stays a non-unit, which every decryption refuses
    /// ([`PaillierError::NotAUnit`]) and the wire reader rejects, instead of a panic or a
    /// silently wrong plaintext.
    pub fn neg(&self, a: &Ciphertext) -> Ciphertext {
        let inv = a.c.invert_vartime().into_option();
        Ciphertext {
            c: inv.unwrap_or_else(|| BoxedMontyForm::zero(&self.nn_params)),
        }
    }

    /// Enc(a − b).
    pub fn sub(&self, a: &Ciphertext, b: &Ciphertext) -> Ciphertext {
        self.add(a, &self.neg(b))
    }

    /// Enc(k·a) for a non-negative scalar k (any size; exponent length is not hidden).
    pub fn mul_plain(&self, a: &Ciphertext, k: &BigUint) -> Ciphertext {
        if k.is_zero() {
            return Ciphertext {
                c: BoxedMontyForm::one(&self.nn_params),
            };
        }
        let bits = u32::try_from(k.bits()).unwrap_or(u32::MAX);
        let exp = to_boxed(k, bits.div_ceil(64) * 64);
        Ciphertext {
            c: a.c.pow_bounded_exp(&exp, bits),
        }
    }

    /// Enc(k·a) for a signed scalar k.
    pub fn mul_plain_signed(&self, a: &Ciphertext, k: &BigInt) -> Ciphertext {
        let r = self.mul_plain(a, k.magnitude());
        if k.sign() == Sign::Minus {
            self.neg(&r)
        } else {
            r
        }
    }

    /// Enc(a · 2^bits) by `bits` squarings.
    pub fn shift_left(&self, a: &Ciphertext, bits: u32) -> Ciphertext {
        let mut c = a.c.clone();
        for _ in 0..bits {
            c = c.square();
        }
        Ciphertext { c }
    }

    /// The same plaintext under fresh randomness (one multiplication mod N²).
    pub fn rerandomize(&self, a: &Ciphertext, randomness: &Randomness) -> Ciphertext {
        Ciphertext {
            c: a.c.mul(&randomness.rn),
        }
    }

    /// Enc(0) with the given randomness.
    pub fn zero_with(&self, randomness: &Randomness) -> Ciphertext {
        Ciphertext {
            c: randomness.rn.clone(),
        }
    }
}

impl SecretKey {
    fn check_owner(&self, c: &Ciphertext) -> Result<()> {
        if self.public.owns(c) {
            Ok(())
        } else {
            Err(PaillierError::KeyMismatch)
        }
    }

    /// The two CRT halves' results, or [`PaillierError::NotAUnit`].
    fn finish_halves(
        &self,
        (mp, p_unit): (Zeroizing<BoxedUint>, Choice),
        (mq, q_unit): (Zeroizing<BoxedUint>, Choice),
    ) -> Result<BigUint> {
        if !(p_unit & q_unit).to_bool() {
            return Err(PaillierError::NotAUnit);
        }
        let m = recombine(&mp, &mq, self.half_q.a.as_ref(), self.half_p.h());
        Ok(to_big(&m))
    }

    /// Decrypt to `m ∈ [0, N)` with the CRT, in constant-time arithmetic (see
    /// the `crt` module). A ciphertext that is not a unit mod N (c = N, kN, …: no valid
    /// encryption is) is [`PaillierError::NotAUnit`].
    pub fn decrypt(&self, c: &Ciphertext) -> Result<BigUint> {
        self.check_owner(c)?;
        let c = c.c.retrieve();
        let p_half = self.half_p.decrypt(&c);
        let q_half = self.half_q.decrypt(&c);
        self.finish_halves(p_half, q_half)
    }

    /// [`SecretKey::decrypt`] with the two CRT halves on two threads (rayon): about half
    /// the wall time on two idle cores, the same CPU time.
    pub fn decrypt_parallel(&self, c: &Ciphertext) -> Result<BigUint> {
        self.check_owner(c)?;
        let c = c.c.retrieve();
        let (p_half, q_half) = rayon::join(|| self.half_p.decrypt(&c), || self.half_q.decrypt(&c));
        self.finish_halves(p_half, q_half)
    }

    /// Decrypt and read the result as a signed integer in (−N/2, N/2].
    pub fn decrypt_signed(&self, c: &Ciphertext) -> Result<BigInt> {
        Ok(residue_to_signed(&self.decrypt(c)?, &self.public.n))
    }

    /// Decrypt a signed value that the encoding promises satisfies |v| < 2^bound_bits;
    /// anything else (wrong key, overflow) is an error rather than garbage.
    pub fn decrypt_signed_bounded(&self, c: &Ciphertext, bound_bits: u32) -> Result<BigInt> {
        let v = self.decrypt_signed(c)?;
        if v.magnitude().bits() > u64::from(bound_bits) {
            return Err(PaillierError::DecodedOutOfRange { bound_bits });
        }
        Ok(v)
    }

    /// Textbook decryption `L(c^λ mod N²)·μ mod N` without the CRT, in variable-time
    /// `num-bigint` arithmetic: the independent reference of the tests, not for production.
    pub fn decrypt_textbook(&self, c: &Ciphertext) -> Result<BigUint> {
        self.check_owner(c)?;
        let (p, q) = self.primes_big();
        let one = BigUint::one();
        let n = &self.public.n;
        let nn = &self.public.n_squared;
        let lambda = (&p - &one).lcm(&(&q - &one));
        let g = n + &one;
        let mu = l_function(&g.modpow(&lambda, nn), n).modinv(n).ok_or(
            PaillierError::InvalidPrimes {
                reason: "mu not invertible",
            },
        )?;
        let u = c.to_biguint().modpow(&lambda, nn);
        if !(&u % n).is_one() {
            return Err(PaillierError::NotAUnit);
        }
        Ok((l_function(&u, n) * mu) % n)
    }

    /// Fresh randomness `r^N mod N²` computed by the key owner through the CRT in
    /// constant-time arithmetic: two exponentiations modulo p² and q² with the half-length
    /// exponents p and q (see the `crt` module), ≈ 4× cheaper than
    /// [`PublicKey::random_nth_power`].
    pub fn random_nth_power_crt<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Randomness {
        let xp = self.half_p.random_nth_power(rng);
        let xq = self.half_q.random_nth_power(rng);
        let x = recombine(&xp, &xq, &self.qq, &self.hh_p);
        let precision = self.public.nn_params.bits_precision();
        Randomness {
            rn: BoxedMontyForm::new((&*x).resize_unchecked(precision), &self.public.nn_params),
        }
    }

    /// Key-owner encryption with randomness computed through the CRT.
    pub fn encrypt_crt<R: CryptoRng + ?Sized>(
        &self,
        m: &BigUint,
        rng: &mut R,
    ) -> Result<Ciphertext> {
        let rn = self.random_nth_power_crt(rng);
        self.public.encrypt_with(m, &rn)
    }
}

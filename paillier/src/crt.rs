//! Secret-key arithmetic in constant time (`crypto-bigint` only): CRT decryption and the key
//! owner's encryption randomness.
//!
//! For one prime a (the other is b, N = ab) and g = N + 1:
//! - Decryption half: `m_a = L_a(c^(a−1) mod a²)·h_a mod a` with `h_a = (−b)^(−1) mod a`
//!   (since `L_a(g^(a−1) mod a²) = (a−1)·b ≡ −b mod a`). The exact division `L_a(x) = (x−1)/a`
//!   is a multiplication by `a^(−1) mod 2^k` (k ≥ bits(a²)); its result is below a exactly
//!   when a divides x − 1, which for `x = c^(a−1) mod a²` holds exactly when a ∤ c. So one
//!   comparison detects a non-unit ciphertext (c = 0, N, kN, …) and decryption returns
//!   [`PaillierError::NotAUnit`] instead of garbage or a panic. Whether c is a unit is
//!   public (anyone can compute gcd(c, N)), so that branch leaks nothing.
//! - Randomness half: `r^N mod a² = s^a mod a²` with `s = r^b mod a`. As r runs uniformly
//!   over Z*_N, (r mod a, r mod b) is uniform and `r ↦ r^b` permutes Z*_a (gcd(b, a−1) = 1),
//!   so s is uniform in Z*_a and independent of the other half: drawing s directly gives
//!   exactly the distribution of `r^N mod N²`, with a half-length exponent a instead of
//!   `N mod a(a−1)`.
//!
//! Every step on secret values (reduction modulo a², the exponentiation with the secret but
//! fixed-length exponent, the exact division, the CRT recombination) is a `crypto-bigint`
//! constant-time operation; temporaries are wiped ([`Zeroizing`]).

use crate::error::{PaillierError, Result};
use crate::monty::SizedModulus;
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Choice, ConcatenatingMul, CtLt, NonZero, Odd, Resize};
use rand::CryptoRng;
use zeroize::{Zeroize, Zeroizing};

/// Bits of precision (a multiple of 64) holding a value of `bits` bits.
pub(crate) fn precision_bits(bits: u32) -> u32 {
    bits.div_ceil(64).max(1) * 64
}

/// `x` at the smallest precision that holds its bit length (the bit length is public).
pub(crate) fn trimmed(x: &BoxedUint) -> BoxedUint {
    x.resize_unchecked(precision_bits(x.bits()))
}

/// Montgomery parameters for an odd modulus, or `None` when it is even.
pub(crate) fn odd_params(modulus: &BoxedUint) -> Option<(Odd<BoxedUint>, BoxedMontyParams)> {
    let odd = Odd::new(modulus.clone()).into_option()?;
    let params = BoxedMontyParams::new(odd.clone());
    Some((odd, params))
}

/// The precomputed secret values of one CRT half (prime a, other prime b). Wiped on drop
/// (the shared Montgomery parameters inside `BoxedMontyParams` are reference-counted by
/// `crypto-bigint` and cannot be wiped from here).
pub(crate) struct CrtHalf {
    /// The prime a.
    pub(crate) a: Odd<BoxedUint>,
    /// a − 1 (the decryption exponent).
    a_minus_1: BoxedUint,
    /// a²
    aa: Odd<BoxedUint>,
    /// a^(−1) mod 2^k for the precision k of a².
    a_inv_2k: BoxedUint,
    /// `h_a = (−b)^(−1) mod a` in Montgomery form mod a (also `−(b^(−1) mod a)`).
    h: BoxedMontyForm,
    pub(crate) a_params: BoxedMontyParams,
    pub(crate) aa_params: BoxedMontyParams,
    /// a² as a fixed-size modulus for the exponentiations, when its size is supported.
    aa_fixed: Option<SizedModulus>,
}

impl Drop for CrtHalf {
    fn drop(&mut self) {
        self.a_minus_1.zeroize();
        self.a_inv_2k.zeroize();
        self.h.zeroize();
    }
}

fn invalid(reason: &'static str) -> PaillierError {
    PaillierError::InvalidPrimes { reason }
}

impl CrtHalf {
    /// The half for prime `a` with cofactor `b` (both trimmed, odd, coprime).
    pub(crate) fn new(a: &BoxedUint, b: &BoxedUint) -> Result<Self> {
        let (a_odd, a_params) = odd_params(a).ok_or(invalid("primes must be odd"))?;
        let aa = Zeroizing::new(trimmed(&a.concatenating_mul(a)));
        let (aa_odd, aa_params) = odd_params(&aa).ok_or(invalid("primes must be odd"))?;
        let k = aa.bits_precision();
        let (a_inv_2k, _) = a.resize_unchecked(k).invert_mod2k(k);
        let b_mod_a = Zeroizing::new(b.rem(a_odd.as_nz_ref()));
        let b_inv = b_mod_a
            .invert_odd_mod(&a_odd)
            .into_option()
            .map(Zeroizing::new)
            .ok_or(invalid("the primes are not coprime"))?;
        let h = BoxedMontyForm::new((*b_inv).clone(), &a_params).neg();
        let a_minus_1 = a.wrapping_sub(BoxedUint::one_with_precision(a.bits_precision()));
        Ok(Self {
            a: a_odd,
            a_minus_1,
            aa: aa_odd,
            a_inv_2k,
            h,
            aa_fixed: SizedModulus::new(&aa_params),
            a_params,
            aa_params,
        })
    }

    /// `m_a = L_a(c^(a−1) mod a²)·h_a mod a` for a ciphertext integer `c`, and whether a ∤ c.
    pub(crate) fn decrypt(&self, c: &BoxedUint) -> (Zeroizing<BoxedUint>, Choice) {
        let c_aa = Zeroizing::new(c.rem(self.aa.as_nz_ref()));
        let mut base = BoxedMontyForm::new((*c_aa).clone(), &self.aa_params);
        let mut power = self.pow_aa(&base, &self.a_minus_1);
        base.zeroize();
        let x = Zeroizing::new(power.retrieve());
        power.zeroize();
        let k = x.bits_precision();
        let x_minus_1 = Zeroizing::new(x.wrapping_sub(BoxedUint::one_with_precision(k)));
        let t = Zeroizing::new(x_minus_1.wrapping_mul(&self.a_inv_2k));
        let is_unit = t.ct_lt(&self.a.as_ref().resize_unchecked(k));
        let t_a = (&*t).resize_unchecked(self.a.bits_precision());
        let mut l = BoxedMontyForm::new(t_a, &self.a_params);
        let mut m = l.mul(&self.h);
        l.zeroize();
        let out = Zeroizing::new(m.retrieve());
        m.zeroize();
        (out, is_unit)
    }

    /// `s^a mod a²` for a uniform `s ∈ Z*_a`: this half of a uniform `r^N mod N²`.
    pub(crate) fn random_nth_power<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Zeroizing<BoxedUint> {
        // s = 0 (probability 1/a) is redrawn.
        let s = loop {
            let s = crate::bigint::random_mod_ct(rng, self.a.as_nz_ref());
            if !bool::from(s.is_zero()) {
                break s;
            }
        };
        let k = self.aa.bits_precision();
        let mut base = BoxedMontyForm::new((&*s).resize_unchecked(k), &self.aa_params);
        let mut power = self.pow_aa(&base, self.a.as_ref());
        base.zeroize();
        let out = Zeroizing::new(power.retrieve());
        power.zeroize();
        out
    }

    /// `base^e mod a²` over all `e.bits_precision()` bits of e (a public length), in constant
    /// time: the fixed-size arithmetic of module `monty` when a² has a supported size, else
    /// `crypto-bigint`'s `pow`.
    fn pow_aa(&self, base: &BoxedMontyForm, e: &BoxedUint) -> BoxedMontyForm {
        self.aa_fixed
            .as_ref()
            .and_then(|m| m.pow(base, e))
            .unwrap_or_else(|| base.pow(e))
    }

    /// The modulus a² (a non-zero reference for reductions).
    pub(crate) fn aa(&self) -> &NonZero<BoxedUint> {
        self.aa.as_nz_ref()
    }

    /// `h_a` in Montgomery form mod a (equal to `−(b^(−1) mod a)`).
    pub(crate) fn h(&self) -> &BoxedMontyForm {
        &self.h
    }
}

/// `x_b + b·((x_b − x_a)·h_a mod a)` = the x mod ab with x ≡ x_a (mod a), x ≡ x_b (mod b),
/// given `h_a = −(b^(−1) mod a)` (Garner's formula). Constant time; precision of a·b.
pub(crate) fn recombine(
    x_a: &BoxedUint,
    x_b: &BoxedUint,
    b: &BoxedUint,
    h_a: &BoxedMontyForm,
) -> Zeroizing<BoxedUint> {
    let params = h_a.params();
    let modulus = params.modulus().as_nz_ref();
    let x_b_mod_a = Zeroizing::new(x_b.rem(modulus));
    let mut xa = BoxedMontyForm::new(x_a.resize_unchecked(params.bits_precision()), params);
    let mut xb = BoxedMontyForm::new((*x_b_mod_a).clone(), params);
    let mut diff = xb.sub(&xa);
    xa.zeroize();
    xb.zeroize();
    let mut coeff = diff.mul(h_a);
    diff.zeroize();
    let h = Zeroizing::new(coeff.retrieve());
    coeff.zeroize();
    let bits = b.bits_precision() + h.bits_precision();
    let bh = Zeroizing::new(b.concatenating_mul(&*h).resize_unchecked(bits));
    Zeroizing::new(bh.wrapping_add(x_b.resize_unchecked(bits)))
}

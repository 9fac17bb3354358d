//! Conversions between `num-bigint` (plaintext side) and `crypto-bigint` (Montgomery arithmetic).

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, NonZero, Odd};
use num_bigint::BigUint;
use rand::CryptoRng;
use zeroize::Zeroizing;

/// Bits of precision (a multiple of 64) that hold every value below `modulus`.
pub(crate) fn precision_for(modulus: &BigUint) -> u32 {
    let bits = u32::try_from(modulus.bits()).unwrap_or(u32::MAX);
    bits.div_ceil(64).max(1) * 64
}

/// `x` as a fixed-precision `BoxedUint` (higher words dropped: callers check ranges first).
pub(crate) fn to_boxed(x: &BigUint, bits_precision: u32) -> BoxedUint {
    BoxedUint::from_words_with_precision(x.iter_u64_digits(), bits_precision)
}

/// `x` at the smallest precision holding it (its bit length is treated as public).
pub(crate) fn boxed_from_big(x: &BigUint) -> BoxedUint {
    to_boxed(x, precision_for(x))
}

/// `x` as a `BigUint` (the intermediate byte buffer is wiped).
pub(crate) fn to_big(x: &BoxedUint) -> BigUint {
    let words = x.as_words();
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(words.len() * 8));
    for w in words {
        bytes.extend_from_slice(&w.to_le_bytes());
    }
    BigUint::from_bytes_le(&bytes)
}

/// Montgomery parameters for an odd modulus (constant-time setup).
pub(crate) fn params_for(odd_modulus: &BigUint) -> Option<BoxedMontyParams> {
    let boxed = to_boxed(odd_modulus, precision_for(odd_modulus));
    let odd = Odd::new(boxed).into_option()?;
    Some(BoxedMontyParams::new(odd))
}

/// `x mod modulus` in Montgomery form for `params`.
pub(crate) fn to_monty(x: &BigUint, params: &BoxedMontyParams) -> BoxedMontyForm {
    BoxedMontyForm::new(to_boxed(x, params.bits_precision()), params)
}

/// A uniform value modulo `modulus`: `bits_precision + 64` random bits reduced by a
/// constant-time division (statistical distance from uniform below 2^-64); wiped on drop.
pub(crate) fn random_mod_ct<R: CryptoRng + ?Sized>(
    rng: &mut R,
    modulus: &NonZero<BoxedUint>,
) -> Zeroizing<BoxedUint> {
    let width = modulus.bits_precision() + 64;
    let mut bytes = Zeroizing::new(vec![0u8; (width / 8) as usize]);
    rng.fill_bytes(&mut bytes);
    let wide = Zeroizing::new(BoxedUint::from_be_slice_truncated(&bytes, width));
    Zeroizing::new(wide.rem(modulus))
}

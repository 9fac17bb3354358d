//! Signed fixed-point values as Paillier plaintexts.
//!
//! A real x with `frac_bits` fractional bits is the integer `round(x·2^frac_bits)` (ties away
//! from zero), and a signed integer v is the plaintext `v mod N`. Decoding reads the
//! centred representative in (−N/2, N/2].

use crate::error::{PaillierError, Result};
use num_bigint::BigInt;

/// A signed fixed-point format: `frac_bits` fractional bits, values bounded by `2^int_bits`
/// in magnitude (`int_bits + frac_bits` bits of magnitude in total).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedPoint {
    /// Fractional bits.
    pub frac_bits: u32,
    /// Magnitude bound: |x| < 2^int_bits.
    pub int_bits: u32,
}

impl FixedPoint {
    /// Total magnitude bits (|encoded| < 2^magnitude_bits).
    pub fn magnitude_bits(&self) -> u32 {
        self.int_bits + self.frac_bits
    }

    /// The integer encoding of `x`; an error if x is not finite or out of range.
    pub fn encode(&self, x: f64) -> Result<BigInt> {
        let scaled = (x * f64::powi(2.0, self.frac_bits as i32)).round();
        let limit = f64::powi(2.0, self.magnitude_bits() as i32);
        if !scaled.is_finite() || scaled.abs() >= limit {
            return Err(PaillierError::PlaintextOutOfRange {
                what: format!(
                    "{x} does not fit a fixed-point value with {} integer bits",
                    self.int_bits
                ),
            });
        }
        Ok(BigInt::from(scaled as i128))
    }

    /// The real value of an encoded integer; an error outside the format's range.
    pub fn decode(&self, v: &BigInt) -> Result<f64> {
        if v.magnitude().bits() > u64::from(self.magnitude_bits()) {
            return Err(PaillierError::DecodedOutOfRange {
                bound_bits: self.magnitude_bits(),
            });
        }
        let as_f64: f64 = num_traits::ToPrimitive::to_f64(v).unwrap_or(f64::NAN);
        Ok(as_f64 / f64::powi(2.0, self.frac_bits as i32))
    }
}

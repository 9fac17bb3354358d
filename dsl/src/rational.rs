//! Exact rational numbers, the values of literals and compile-time constants: num-rational's
//! [`Ratio`] over [`BigInt`], plus the few helpers the language needs that it lacks
//! (fixed-point quantisation, a checked integer view, exact decimal display).

use num_bigint::BigInt;
use num_rational::Ratio;
use num_traits::{One, Signed, Zero};
use std::fmt;

/// An exact rational number, always in lowest terms with a positive denominator.
pub type Rational = Ratio<BigInt>;

/// The integer `n` as a rational.
pub fn int(n: impl Into<BigInt>) -> Rational {
    Rational::from_integer(n.into())
}

/// `value · 2^k` rounded to the nearest integer, ties away from zero: the raw fixed-point
/// integer of `value` with `k` fractional bits.
pub fn round_scaled(value: &Rational, k: u32) -> BigInt {
    // Rounding does not need lowest terms: skip the gcd that `scaled` would pay for.
    Rational::new_raw(value.numer() << k, value.denom().clone())
        .round()
        .to_integer()
}

/// `value · 2^k`, exact.
pub fn scaled(value: &Rational, k: u32) -> Rational {
    value * (BigInt::one() << k)
}

/// The value if it is an integer that fits an `i64`.
pub fn to_i64(value: &Rational) -> Option<i64> {
    if value.is_integer() {
        i64::try_from(value.numer()).ok()
    } else {
        None
    }
}

/// Displays a rational for messages: an exact decimal (`-0.25`) when the denominator has
/// only the factors 2 and 5, else a fraction (`1/3`).
pub fn decimal(value: &Rational) -> Decimal<'_> {
    Decimal(value)
}

/// The display of [`decimal`].
#[derive(Clone, Copy, Debug)]
pub struct Decimal<'a>(&'a Rational);

impl fmt::Display for Decimal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        if r.is_integer() {
            return write!(f, "{}", r.numer());
        }
        let mut d = r.denom().clone();
        let mut digits = 0u32;
        let two = BigInt::from(2);
        let five = BigInt::from(5);
        loop {
            if (&d % &two).is_zero() {
                d /= &two;
            } else if (&d % &five).is_zero() {
                d /= &five;
            } else {
                break;
            }
            digits += 1;
        }
        if !d.is_one() || digits > 60 {
            return write!(f, "{}/{}", r.numer(), r.denom());
        }
        let scaled = r.numer() * BigInt::from(10).pow(digits) / r.denom();
        f.write_str(&format_scaled_decimal(&scaled, digits))
    }
}

/// Formats `scaled / 10^digits` as a decimal without trailing zeros.
pub(crate) fn format_scaled_decimal(scaled: &BigInt, digits: u32) -> String {
    let neg = scaled.is_negative();
    let mag = scaled.abs().to_string();
    let d = digits as usize;
    let padded = if mag.len() <= d {
        format!("{}{}", "0".repeat(d + 1 - mag.len()), mag)
    } else {
        mag
    };
    let (int, frac) = padded.split_at(padded.len() - d);
    let frac = frac.trim_end_matches('0');
    let sign = if neg && !scaled.is_zero() { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i64, d: i64) -> Rational {
        Rational::new(n.into(), d.into())
    }

    #[test]
    fn rounding_rules() {
        assert_eq!(round_scaled(&r(5, 2), 0), 3.into());
        assert_eq!(round_scaled(&r(-5, 2), 0), (-3).into());
        assert_eq!(round_scaled(&r(7, 3), 0), 2.into());
        assert_eq!(round_scaled(&r(-7, 3), 0), (-2).into());
        assert_eq!(round_scaled(&r(-5, 8), 2), (-3).into()); // -2.5 -> -3
        assert_eq!(round_scaled(&r(3, 8), 2), 2.into()); // 1.5 -> 2
        assert_eq!(r(-7, 3).floor().to_integer(), (-3).into());
        assert_eq!(r(-7, 3).ceil().to_integer(), (-2).into());
        assert_eq!(r(7, 3).ceil().to_integer(), 3.into());
    }

    #[test]
    fn integer_view() {
        assert_eq!(to_i64(&int(-40)), Some(-40));
        assert_eq!(to_i64(&r(1, 2)), None);
        assert_eq!(to_i64(&int(BigInt::one() << 70)), None);
    }

    #[test]
    fn decimal_display() {
        assert_eq!(decimal(&r(-1, 4)).to_string(), "-0.25");
        assert_eq!(decimal(&r(3, 40)).to_string(), "0.075");
        assert_eq!(decimal(&r(1, 3)).to_string(), "1/3");
        assert_eq!(decimal(&r(-6, 3)).to_string(), "-2");
        assert!(r(1, 3) < r(1, 2));
    }
}

//! Exact rational numbers: the values of literals and compile-time constants.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};
use std::cmp::Ordering;
use std::fmt;

/// An exact rational number `num / den` in lowest terms with `den > 0`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rational {
    num: BigInt,
    den: BigInt,
}

impl Rational {
    /// The rational `num / den`; `None` if `den` is zero.
    pub fn new(num: BigInt, den: BigInt) -> Option<Rational> {
        if den.is_zero() {
            return None;
        }
        let g = num.gcd(&den);
        let (mut num, mut den) = if g.is_zero() {
            (num, den)
        } else {
            (num / &g, den / &g)
        };
        if den.is_negative() {
            num = -num;
            den = -den;
        }
        Some(Rational { num, den })
    }

    /// The integer `n` as a rational.
    pub fn from_int(n: impl Into<BigInt>) -> Rational {
        Rational {
            num: n.into(),
            den: BigInt::one(),
        }
    }

    /// Numerator (sign carrier).
    pub fn numer(&self) -> &BigInt {
        &self.num
    }

    /// Denominator (always positive).
    pub fn denom(&self) -> &BigInt {
        &self.den
    }

    /// Whether the value is an integer.
    pub fn is_integer(&self) -> bool {
        self.den.is_one()
    }

    /// The value if it is an integer that fits an `i64`.
    pub fn to_i64(&self) -> Option<i64> {
        if self.is_integer() {
            i64::try_from(&self.num).ok()
        } else {
            None
        }
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.num.is_negative()
    }

    /// Sum.
    pub fn add(&self, o: &Rational) -> Rational {
        Self::make(&self.num * &o.den + &o.num * &self.den, &self.den * &o.den)
    }

    /// Difference.
    pub fn sub(&self, o: &Rational) -> Rational {
        Self::make(&self.num * &o.den - &o.num * &self.den, &self.den * &o.den)
    }

    /// Product.
    pub fn mul(&self, o: &Rational) -> Rational {
        Self::make(&self.num * &o.num, &self.den * &o.den)
    }

    /// Quotient; `None` when dividing by zero.
    pub fn div(&self, o: &Rational) -> Option<Rational> {
        Rational::new(&self.num * &o.den, &self.den * &o.num)
    }

    /// Negation.
    pub fn neg(&self) -> Rational {
        Rational {
            num: -&self.num,
            den: self.den.clone(),
        }
    }

    /// `self · 2^k`.
    pub fn mul_pow2(&self, k: u32) -> Rational {
        Self::make(&self.num << k, self.den.clone())
    }

    /// Largest integer ≤ self.
    pub fn floor(&self) -> BigInt {
        self.num.div_floor(&self.den)
    }

    /// Smallest integer ≥ self.
    pub fn ceil(&self) -> BigInt {
        -((-&self.num).div_floor(&self.den))
    }

    /// Nearest integer, ties rounded away from zero.
    pub fn round_half_away(&self) -> BigInt {
        // |x| + 1/2 floored, with the sign put back.
        let twice_abs: BigInt = self.num.abs() * 2 + &self.den;
        let mag = twice_abs.div_floor(&(&self.den * 2));
        if self.num.is_negative() { -mag } else { mag }
    }

    /// Approximate value as a float (for messages and tests).
    pub fn to_f64(&self) -> f64 {
        let scale = 60u32;
        let scaled = (&self.num << scale).div_floor(&self.den);
        let f: f64 = scaled.to_string().parse().unwrap_or(f64::NAN);
        f / 2f64.powi(scale as i32)
    }

    fn make(num: BigInt, den: BigInt) -> Rational {
        // den is a product of positive denominators, never zero.
        Rational::new(num, den).unwrap_or_else(|| Rational::from_int(0))
    }
}

impl PartialOrd for Rational {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rational {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.num * &other.den).cmp(&(&other.num * &self.den))
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_integer() {
            write!(f, "{}", self.num)
        } else {
            // Exact decimal when the denominator has only factors 2 and 5, else a fraction.
            let mut d = self.den.clone();
            let mut digits = 0u32;
            let two = BigInt::from(2);
            let five = BigInt::from(5);
            while (&d % &two).is_zero() || (&d % &five).is_zero() {
                if (&d % &two).is_zero() {
                    d /= &two;
                } else {
                    d /= &five;
                }
                digits += 1;
            }
            if !d.is_one() || digits > 60 {
                return write!(f, "{}/{}", self.num, self.den);
            }
            let scaled = &self.num * BigInt::from(10).pow(digits) / &self.den;
            write!(
                f,
                "{}",
                crate::value::format_scaled_decimal(&scaled, digits)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i64, d: i64) -> Rational {
        Rational::new(n.into(), d.into()).expect("nonzero den")
    }

    #[test]
    fn rounding_rules() {
        assert_eq!(r(5, 2).round_half_away(), 3.into());
        assert_eq!(r(-5, 2).round_half_away(), (-3).into());
        assert_eq!(r(7, 3).round_half_away(), 2.into());
        assert_eq!(r(-7, 3).round_half_away(), (-2).into());
        assert_eq!(r(-7, 3).floor(), (-3).into());
        assert_eq!(r(-7, 3).ceil(), (-2).into());
        assert_eq!(r(7, 3).ceil(), 3.into());
    }

    #[test]
    fn arithmetic_and_display() {
        assert_eq!(r(1, 2).add(&r(1, 3)), r(5, 6));
        assert_eq!(r(1, 2).mul(&r(-2, 3)), r(-1, 3));
        assert_eq!(r(-1, 4).to_string(), "-0.25");
        assert_eq!(r(1, 3).to_string(), "1/3");
        assert!(r(1, 3) < r(1, 2));
    }
}

//! Types of the language: `bool` and the fixed-point number formats.

use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};
use std::fmt;

/// Largest bit width of any value.
pub const MAX_WIDTH: u32 = 128;
/// Largest number of fractional bits of any value.
pub const MAX_FRAC: u32 = 128;

/// A fixed-point number format: `width` bits, `frac` of them fractional,
/// two's complement when `signed`. `int<n>` = signed, frac 0; `uint<n>` = unsigned, frac 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NumTy {
    /// Two's complement (`fixed`, `int`) or unsigned (`ufixed`, `uint`).
    pub signed: bool,
    /// Total bits, 1..=128.
    pub width: u32,
    /// Fractional bits, 0..=128: the value is raw / 2^frac.
    pub frac: u32,
}

/// The type of a value: a bit or a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    /// One bit: false / true.
    Bool,
    /// A fixed-point number.
    Num(NumTy),
}

impl Ty {
    /// Number of bits a value of this type occupies.
    pub fn width(&self) -> u32 {
        match self {
            Ty::Bool => 1,
            Ty::Num(n) => n.width,
        }
    }

    /// The number format, if this is a number.
    pub fn num(&self) -> Option<NumTy> {
        match self {
            Ty::Bool => None,
            Ty::Num(n) => Some(*n),
        }
    }
}

impl NumTy {
    /// Signed format `fixed<width, frac>`.
    pub fn signed(width: u32, frac: u32) -> NumTy {
        NumTy {
            signed: true,
            width,
            frac,
        }
    }

    /// Unsigned format `ufixed<width, frac>`.
    pub fn unsigned(width: u32, frac: u32) -> NumTy {
        NumTy {
            signed: false,
            width,
            frac,
        }
    }

    /// Smallest raw value.
    pub fn min_raw(&self) -> BigInt {
        if self.signed {
            -(BigInt::one() << (self.width - 1))
        } else {
            BigInt::zero()
        }
    }

    /// Largest raw value.
    pub fn max_raw(&self) -> BigInt {
        if self.signed {
            (BigInt::one() << (self.width - 1)) - 1
        } else {
            (BigInt::one() << self.width) - 1
        }
    }

    /// Whether the raw integer `v` is representable.
    pub fn holds(&self, v: &BigInt) -> bool {
        *v >= self.min_raw() && *v <= self.max_raw()
    }

    /// The smallest format with `frac` fractional bits holding every raw value in `lo..=hi`:
    /// unsigned when `lo ≥ 0`, else signed. `Err(bits)` if it needs more than 128 bits.
    pub fn fitting(lo: &BigInt, hi: &BigInt, frac: u32) -> Result<NumTy, u64> {
        let signed = lo.is_negative();
        let bits = if signed {
            // need -2^(n-1) <= lo and hi <= 2^(n-1)-1
            let need_lo = (-lo - 1u32).bits() + 1;
            let need_hi = if hi.is_negative() { 1 } else { hi.bits() + 1 };
            need_lo.max(need_hi)
        } else {
            hi.bits().max(1)
        };
        if bits > u64::from(MAX_WIDTH) {
            return Err(bits);
        }
        Ok(NumTy {
            signed,
            width: bits as u32,
            frac,
        })
    }

    /// Canonical 128-bit form of a raw value: the low `width` bits, sign-extended for a
    /// signed format, zero-extended otherwise.
    pub fn canon(&self, raw: u128) -> u128 {
        let w = self.width;
        if w >= 128 {
            return raw;
        }
        let low = raw & ((1u128 << w) - 1);
        if self.signed && (low >> (w - 1)) & 1 == 1 {
            low | !((1u128 << w) - 1)
        } else {
            low
        }
    }

    /// The raw bit pattern of a value: its low `width` bits.
    pub fn bits(&self, raw: u128) -> u128 {
        if self.width >= 128 {
            raw
        } else {
            raw & ((1u128 << self.width) - 1)
        }
    }

    /// The exact integer meaning of a raw bit pattern.
    pub fn to_bigint(&self, raw: u128) -> BigInt {
        let c = self.canon(raw);
        if self.signed {
            BigInt::from(c as i128)
        } else {
            BigInt::from(c)
        }
    }

    /// The bit pattern (low `width` bits) of an integer, wrapped modulo 2^width.
    pub fn from_bigint_wrapping(&self, v: &BigInt) -> u128 {
        let m = BigInt::one() << 128u32;
        let r = ((v % &m) + &m) % &m;
        let x = u128::try_from(&r).unwrap_or(0);
        self.bits(x)
    }

    /// The value of a raw bit pattern as a float (for messages and tests).
    pub fn to_f64(&self, raw: u128) -> f64 {
        let c = self.canon(raw);
        let v = if self.signed {
            (c as i128) as f64
        } else {
            c as f64
        };
        v / 2f64.powi(self.frac as i32)
    }
}

impl fmt::Display for NumTy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.signed, self.frac) {
            (true, 0) => write!(f, "int<{}>", self.width),
            (false, 0) => write!(f, "uint<{}>", self.width),
            (true, fr) => write!(f, "fixed<{}, {}>", self.width, fr),
            (false, fr) => write!(f, "ufixed<{}, {}>", self.width, fr),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bool => write!(f, "bool"),
            Ty::Num(n) => n.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_picks_smallest_format() {
        let f = |lo: i64, hi: i64| NumTy::fitting(&lo.into(), &hi.into(), 0).expect("fits");
        assert_eq!(f(0, 255), NumTy::unsigned(8, 0));
        assert_eq!(f(0, 256), NumTy::unsigned(9, 0));
        assert_eq!(f(0, 0), NumTy::unsigned(1, 0));
        assert_eq!(f(-128, 127), NumTy::signed(8, 0));
        assert_eq!(f(-129, 127), NumTy::signed(9, 0));
        assert_eq!(f(-128, 128), NumTy::signed(9, 0));
        assert_eq!(f(-1, -1), NumTy::signed(1, 0));
        assert_eq!(f(-16384, 16384), NumTy::signed(16, 0));
        let big = BigInt::one() << 128u32;
        assert_eq!(NumTy::fitting(&BigInt::zero(), &big, 0), Err(129));
    }

    #[test]
    fn canonical_forms() {
        let t = NumTy::signed(8, 0);
        assert_eq!(t.canon(0xff) as i128, -1);
        assert_eq!(t.bits(u128::MAX), 0xff);
        assert_eq!(t.to_bigint(0x80), BigInt::from(-128));
        assert_eq!(t.from_bigint_wrapping(&BigInt::from(-1)), 0xff);
        assert_eq!(
            NumTy::unsigned(8, 0).from_bigint_wrapping(&BigInt::from(300)),
            44
        );
    }
}

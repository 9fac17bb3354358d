//! Concrete values: quantising numbers into a format, parsing value text, formatting raws.

use crate::rational::Rational;
use crate::types::{NumTy, Ty};
use num_bigint::BigInt;
use thiserror::Error;

/// Why a value could not be turned into a raw integer of a type.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueError {
    /// The text is not a number (or `true`/`false` for `bool`).
    #[error("`{text}` is not a value of type {ty}: expected {expected}")]
    Malformed {
        /// The text given.
        text: String,
        /// The target type.
        ty: Ty,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// The number, once quantised, does not fit the type.
    #[error("{value} does not fit {ty} (range {min} … {max})")]
    OutOfRange {
        /// The number given.
        value: String,
        /// The target type.
        ty: Ty,
        /// Smallest representable value.
        min: String,
        /// Largest representable value.
        max: String,
    },
}

/// Quantises an exact number into `ty`: raw = round(value · 2^frac), ties away from zero.
/// `None` if the result does not fit. The result is the exact raw integer.
pub fn quantise(value: &Rational, ty: NumTy) -> Option<BigInt> {
    let raw = crate::rational::round_scaled(value, ty.frac);
    if ty.holds(&raw) { Some(raw) } else { None }
}

/// Parses user text into the raw bit pattern (low `width` bits) of a value of `ty`.
///
/// Numbers: decimal (`0.5`, `-3`, `1e-3`) are quantised like source literals
/// (round half away from zero, error if out of range); `0x…` / `0b…` are the **raw bit
/// pattern** itself (at most `width` bits, not scaled). `bool` takes `true`/`false`/`1`/`0`.
pub fn parse_value(text: &str, ty: &Ty) -> Result<u128, ValueError> {
    let t = text.trim();
    let num = match ty {
        Ty::Bool => {
            return match t {
                "true" | "1" => Ok(1),
                "false" | "0" => Ok(0),
                _ => Err(ValueError::Malformed {
                    text: t.to_string(),
                    ty: *ty,
                    expected: "`true`, `false`, `1` or `0`",
                }),
            };
        }
        Ty::Num(n) => *n,
    };
    let lower = t.to_ascii_lowercase();
    if let Some(raw) = raw_pattern(&lower) {
        let raw = raw.map_err(|()| ValueError::Malformed {
            text: t.to_string(),
            ty: *ty,
            expected: "hexadecimal (`0x…`) or binary (`0b…`) digits",
        })?;
        if raw.bits() > u64::from(num.width) {
            return Err(ValueError::OutOfRange {
                value: t.to_string(),
                ty: *ty,
                min: "0x0".into(),
                max: format!("{} bits", num.width),
            });
        }
        return Ok(num.from_bigint_wrapping(&raw));
    }
    let value = crate::lexer::parse_number_text(t).ok_or_else(|| ValueError::Malformed {
        text: t.to_string(),
        ty: *ty,
        expected: "a decimal number like `0.5`, `-3`, `1e-3`, or a raw `0x…` / `0b…` pattern",
    })?;
    match quantise(&value, num) {
        Some(raw) => Ok(num.from_bigint_wrapping(&raw)),
        None => Err(ValueError::OutOfRange {
            value: t.to_string(),
            ty: *ty,
            min: format_raw_int(&num.min_raw(), num.frac),
            max: format_raw_int(&num.max_raw(), num.frac),
        }),
    }
}

fn raw_pattern(lower: &str) -> Option<Result<BigInt, ()>> {
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else {
        return None;
    };
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() {
        return Some(Err(()));
    }
    Some(BigInt::parse_bytes(clean.as_bytes(), radix).ok_or(()))
}

/// Formats a raw value of `ty` as an exact decimal (`-0.25`, `3`, `true`).
pub fn format_value(raw: u128, ty: &Ty) -> String {
    match ty {
        Ty::Bool => if raw & 1 == 1 { "true" } else { "false" }.to_string(),
        Ty::Num(n) => format_raw_int(&n.to_bigint(raw), n.frac),
    }
}

/// Formats the raw bit pattern in hexadecimal (`0x…`, `width` bits).
pub fn format_raw_hex(raw: u128, ty: &Ty) -> String {
    let bits = match ty {
        Ty::Bool => raw & 1,
        Ty::Num(n) => n.bits(raw),
    };
    format!("{bits:#x}")
}

/// Exact decimal of `raw / 2^frac`.
pub fn format_raw_int(raw: &BigInt, frac: u32) -> String {
    // raw / 2^f = raw · 5^f / 10^f
    let scaled = raw * BigInt::from(5).pow(frac);
    crate::rational::format_scaled_decimal(&scaled, frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fx(w: u32, f: u32) -> Ty {
        Ty::Num(NumTy::signed(w, f))
    }

    #[test]
    fn parse_and_format_round_trip() {
        let t = fx(16, 12);
        assert_eq!(parse_value("0.5", &t), Ok(2048));
        assert_eq!(parse_value("-3", &t), Ok((-3i128 * 4096) as u128 & 0xffff));
        assert_eq!(format_value(0xf000, &t), "-1");
        assert_eq!(format_value(2048, &t), "0.5");
        assert_eq!(format_value(1, &t), "0.000244140625");
        assert_eq!(parse_value("0x8000", &t), Ok(0x8000));
        assert!(parse_value("0x18000", &t).is_err());
        assert!(parse_value("8", &t).is_err());
        assert_eq!(parse_value("7.9998", &t), Ok(0x7fff));
        assert!(parse_value("7.9999", &t).is_err()); // rounds up to 8.0
        assert!(parse_value("abc", &t).is_err());
        assert_eq!(parse_value("true", &Ty::Bool), Ok(1));
    }

    #[test]
    fn quantisation_ties_away_from_zero() {
        let t = NumTy::signed(8, 1);
        let r = |n: i64, d: i64| Rational::new(n.into(), d.into());
        assert_eq!(quantise(&r(1, 4), t), Some(1.into())); // 0.5 ulp -> 1 ulp
        assert_eq!(quantise(&r(-1, 4), t), Some((-1).into()));
        assert_eq!(quantise(&r(3, 4), t), Some(2.into())); // 1.5 ulp -> 2
        assert_eq!(quantise(&r(-255, 4), t), Some((-128).into())); // -63.75 -> -127.5 -> -128
        assert_eq!(quantise(&r(64, 1), t), None);
    }

    #[test]
    fn wide_values() {
        let t = Ty::Num(NumTy::unsigned(128, 0));
        let max = "340282366920938463463374607431768211455";
        assert_eq!(parse_value(max, &t), Ok(u128::MAX));
        assert_eq!(format_value(u128::MAX, &t), max);
        let s = Ty::Num(NumTy::signed(128, 0));
        assert_eq!(
            format_value(1u128 << 127, &s),
            "-170141183460469231731687303715884105728"
        );
    }
}

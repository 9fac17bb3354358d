//! The one value codec: a value's raw bit pattern ⇄ the circuit bits that carry it.
//!
//! A value of a [`ValueFormat`] of `width` bits occupies `width` wires, least significant
//! bit first; signed formats are two's complement; a fixed-point value with `frac`
//! fractional bits is the integer `x · 2^frac`. Raw patterns are `u128` (the low `width`
//! bits); values wider than 128 bits are written in hex ([`parse_hex`], [`to_hex`]).

use crate::circuit::ValueFormat;

/// A value that does not fit its format, or value text that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The integer is outside the range of the format.
    #[error("{value} does not fit in {format:?}")]
    OutOfRange {
        /// The integer (the raw fixed-point integer for fixed formats).
        value: i128,
        /// The format it was meant for.
        format: ValueFormat,
    },
    /// Hex text without the `0x` prefix.
    #[error("a {width}-bit value is given in hex (0x…), found `{text}`")]
    NotHex {
        /// Width of the value.
        width: u32,
        /// The text given.
        text: String,
    },
    /// A character that is not a hex digit.
    #[error("'{0}' is not a hex digit")]
    BadDigit(char),
    /// Hex text with a set bit at or above the width.
    #[error("value has more than {width} bits")]
    TooWide {
        /// Width of the value.
        width: u32,
    },
}

/// Appends the low `width` bits of `raw` to `out`, LSB first (bits from position 128 on
/// are 0).
pub fn push_bits(out: &mut Vec<bool>, raw: u128, width: u32) {
    out.extend((0..width).map(|i| i < 128 && (raw >> i) & 1 == 1));
}

/// The low `width` bits of `raw`, LSB first (bits from position 128 on are 0).
pub fn to_bits(raw: u128, width: u32) -> Vec<bool> {
    let mut out = Vec::with_capacity(width as usize);
    push_bits(&mut out, raw, width);
    out
}

/// The raw pattern of LSB-first `bits` (bits from position 128 on are ignored).
pub fn from_bits(bits: &[bool]) -> u128 {
    bits.iter()
        .take(128)
        .enumerate()
        .fold(0u128, |acc, (i, &b)| acc | (u128::from(b) << i))
}

/// The `width`-bit two's-complement pattern `raw` as a signed integer (only the low
/// `width` bits of `raw` count; `width ≥ 128` reads all 128 bits).
pub fn sign_extend(raw: u128, width: u32) -> i128 {
    if width >= 128 {
        return raw as i128;
    }
    if width == 0 {
        return 0;
    }
    let shift = 128 - width;
    ((raw << shift) as i128) >> shift
}

/// Parses `0x…` hex text (underscores allowed) as one big-endian integer into `width`
/// bits, LSB first; a set bit at or above `width` is an error.
pub fn parse_hex(text: &str, width: u32) -> Result<Vec<bool>, ValueError> {
    let digits = text
        .trim()
        .strip_prefix("0x")
        .ok_or_else(|| ValueError::NotHex {
            width,
            text: text.to_string(),
        })?
        .replace('_', "");
    let mut bits = Vec::with_capacity(4 * digits.len());
    for c in digits.chars().rev() {
        let d = c.to_digit(16).ok_or(ValueError::BadDigit(c))?;
        bits.extend((0..4).map(|i| (d >> i) & 1 == 1));
    }
    if bits.iter().skip(width as usize).any(|&b| b) {
        return Err(ValueError::TooWide { width });
    }
    bits.resize(width as usize, false);
    Ok(bits)
}

/// LSB-first `bits` as `0x…` hex (one digit per started group of four bits).
pub fn to_hex(bits: &[bool]) -> String {
    let digits: String = bits
        .chunks(4)
        .rev()
        .map(|nib| {
            let d = nib
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << i));
            char::from_digit(d, 16).unwrap_or('?')
        })
        .collect();
    format!("0x{digits}")
}

impl ValueFormat {
    /// The raw pattern of the integer `v` (for fixed formats the fixed-point integer
    /// `x · 2^frac`), or an error if it does not fit.
    pub fn raw_of(&self, v: i128) -> Result<u128, ValueError> {
        let out_of_range = || ValueError::OutOfRange {
            value: v,
            format: *self,
        };
        let width = self.width();
        let fits = match *self {
            ValueFormat::Bool => v == 0 || v == 1,
            ValueFormat::Signed { .. } if width == 0 => v == 0,
            ValueFormat::Signed { .. } => {
                width >= 128 || {
                    let half = 1i128 << (width - 1);
                    (-half..half).contains(&v)
                }
            }
            ValueFormat::Unsigned { .. } => v >= 0 && (width >= 127 || v < 1i128 << width),
        };
        if !fits {
            return Err(out_of_range());
        }
        let raw = v as u128;
        Ok(if width >= 128 {
            raw
        } else {
            raw & ((1u128 << width) - 1)
        })
    }

    /// The integer the raw pattern stands for: sign-extended for signed formats, the low
    /// `width` bits otherwise (for fixed formats, the fixed-point integer).
    pub fn int_of(&self, raw: u128) -> i128 {
        let width = self.width();
        match *self {
            ValueFormat::Signed { .. } => sign_extend(raw, width),
            _ if width >= 128 => raw as i128,
            _ => (raw & ((1u128 << width) - 1)) as i128,
        }
    }

    /// The real number the raw pattern stands for (`int_of(raw) / 2^frac`).
    pub fn real_of(&self, raw: u128) -> f64 {
        let frac = match *self {
            ValueFormat::Bool => 0,
            ValueFormat::Signed { frac, .. } | ValueFormat::Unsigned { frac, .. } => frac,
        };
        self.int_of(raw) as f64 / 2f64.powi(frac.min(1023) as i32)
    }

    /// The circuit bits of the integer `v` ([`ValueFormat::raw_of`], then LSB first).
    pub fn encode(&self, v: i128) -> Result<Vec<bool>, ValueError> {
        Ok(to_bits(self.raw_of(v)?, self.width()))
    }

    /// The integer carried by LSB-first `bits` ([`ValueFormat::int_of`]).
    pub fn decode(&self, bits: &[bool]) -> i128 {
        self.int_of(from_bits(bits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S8: ValueFormat = ValueFormat::Signed { width: 8, frac: 0 };
    const U8: ValueFormat = ValueFormat::Unsigned { width: 8, frac: 0 };

    #[test]
    fn bits_are_lsb_first() {
        assert_eq!(to_bits(0b1101, 6), [true, false, true, true, false, false]);
        assert_eq!(from_bits(&[true, false, true, true]), 0b1101);
        assert_eq!(to_bits(u128::MAX, 130)[127..], [true, false, false]);
        let mut v = vec![true];
        push_bits(&mut v, 2, 2);
        assert_eq!(v, [true, false, true]);
    }

    #[test]
    fn signed_values_are_twos_complement() {
        assert_eq!(S8.encode(-1), Ok(vec![true; 8]));
        assert_eq!(S8.encode(-128).map(|b| from_bits(&b)), Ok(0x80));
        assert_eq!(S8.decode(&to_bits(0x80, 8)), -128);
        assert_eq!(S8.decode(&to_bits(0x7f, 8)), 127);
        assert!(S8.encode(128).is_err());
        assert!(S8.encode(-129).is_err());
        assert_eq!(sign_extend(0x1ff, 8), -1);
        assert_eq!(sign_extend(0x7f, 8), 127);
        assert_eq!(sign_extend(5, 0), 0);
        let s128 = ValueFormat::Signed {
            width: 128,
            frac: 0,
        };
        assert_eq!(
            s128.decode(&s128.encode(i128::MIN).expect("fits")),
            i128::MIN
        );
    }

    #[test]
    fn unsigned_and_bool_ranges() {
        assert_eq!(U8.raw_of(255), Ok(255));
        assert!(U8.raw_of(256).is_err());
        assert!(U8.raw_of(-1).is_err());
        assert_eq!(U8.int_of(0x1ff), 255);
        assert_eq!(ValueFormat::Bool.raw_of(1), Ok(1));
        assert!(ValueFormat::Bool.raw_of(2).is_err());
    }

    #[test]
    fn fixed_point_reals() {
        let q = ValueFormat::Signed {
            width: 16,
            frac: 12,
        };
        // -0.5 in fixed<16,12> is -2048 = 0xf800.
        assert_eq!(q.raw_of(-2048), Ok(0xf800));
        assert_eq!(q.real_of(0xf800), -0.5);
        assert_eq!(q.real_of(0x1000), 1.0);
    }

    #[test]
    fn hex_round_trips_and_refuses_bad_text() {
        let bits = parse_hex("0x1_ff", 12).expect("parses");
        assert_eq!(from_bits(&bits), 0x1ff);
        assert_eq!(to_hex(&bits), "0x1ff");
        let wide = parse_hex(&format!("0x1{}", "0".repeat(40)), 164).expect("wide");
        assert!(wide[160] && wide.iter().filter(|&&b| b).count() == 1);
        assert_eq!(parse_hex("0x100", 8), Err(ValueError::TooWide { width: 8 }));
        assert_eq!(parse_hex("0xg", 8), Err(ValueError::BadDigit('g')));
        assert!(matches!(parse_hex("12", 8), Err(ValueError::NotHex { .. })));
    }
}

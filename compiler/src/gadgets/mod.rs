//! The gadget library: integer arithmetic on words of [`Bit`]s at optimal AND cost.
//!
//! A [`Word`] is a list of bits, LSB-first, read as unsigned or as two's complement. All
//! arithmetic is modulo 2^w for the result width `w` the caller asks for; the caller picks
//! `w` wide enough for the exact result (the lowering does so from value ranges), so no
//! bit the result does not need is ever computed.
//!
//! Costs (ANDs): add/subtract n−1 modulo 2^n (n with carry out), compare n, equality n−1,
//! mux n, negate n−1, abs n−1, sign n−1, shifts 0. Products and sums of many terms go
//! through one column compressor ([`Columns`]): full adders at one AND each,
//! negative-weight bits as complemented bits plus one folded constant (Baugh–Wooley), and
//! the top column of a truncated result is a plain XOR. Squaring builds each symmetric
//! partial product once; constant multiplication uses the canonical signed-digit form.
//!
//! Files: this one holds [`Word`]; `columns` the column compressor and the full adder;
//! `adders` carry chains (add, subtract, negate, conditional negation, abs, sign) and the
//! one-AND carry they share with the comparisons; `compare` comparisons, the
//! OR tree and the multiplexer; `multiply` products (schoolbook, Karatsuba, squaring,
//! constants in canonical signed-digit form).

mod adders;
mod columns;
mod compare;
mod multiply;

pub use adders::{abs, add, add_with_carry, conditional_negate, negate, sign, sub};
pub use columns::{Columns, carry, full_adder};
pub use compare::{any, at_most_const, equal, less_than, mux};
pub use multiply::{csd_digits, multiply, multiply_constant, square, symmetric_square};

use crate::builder::Bit;

/// A fixed-width integer: bits LSB-first, two's complement when `signed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// Bits, least significant first.
    pub bits: Vec<Bit>,
    /// Whether the top bit has negative weight.
    pub signed: bool,
}

impl Word {
    /// A word from bits.
    pub fn new(bits: Vec<Bit>, signed: bool) -> Word {
        Word { bits, signed }
    }

    /// The constant `value` in `width` bits (wrapped modulo 2^width).
    pub fn constant(value: i128, width: usize, signed: bool) -> Word {
        let bits = (0..width)
            .map(|i| Bit::constant(i < 128 && (value >> i) & 1 == 1 || i >= 128 && value < 0));
        Word {
            bits: bits.collect(),
            signed,
        }
    }

    /// Number of bits.
    pub fn width(&self) -> usize {
        self.bits.len()
    }

    /// The bit at position `i`, extending past the top (sign or zero).
    pub fn bit(&self, i: usize) -> Bit {
        match self.bits.get(i) {
            Some(&b) => b,
            None if self.signed => self.bits.last().copied().unwrap_or(Bit::FALSE),
            None => Bit::FALSE,
        }
    }

    /// This value in `width` bits: sign/zero-extended or truncated (wrapped).
    pub fn resize(&self, width: usize, signed: bool) -> Word {
        Word {
            bits: (0..width).map(|i| self.bit(i)).collect(),
            signed,
        }
    }

    /// The constant value of this word, if every bit is constant (and it fits in i128).
    pub fn as_const(&self) -> Option<i128> {
        let mut v: i128 = 0;
        for (i, b) in self.bits.iter().enumerate() {
            let bit = b.as_const()?;
            if bit {
                if i >= 127 && !(self.signed && i + 1 == self.bits.len()) {
                    return None;
                }
                if self.signed && i + 1 == self.bits.len() {
                    v = v.checked_sub(1i128.checked_shl(i as u32)?)?;
                } else {
                    v |= 1i128 << i;
                }
            }
        }
        Some(v)
    }

    /// `value << k`: k zero bits below (free).
    pub fn shl(&self, k: usize) -> Word {
        let mut bits = vec![Bit::FALSE; k];
        bits.extend_from_slice(&self.bits);
        Word {
            bits,
            signed: self.signed,
        }
    }

    /// `floor(value / 2^k)`: drops the k low bits (free).
    pub fn shr(&self, k: usize) -> Word {
        let n = self.bits.len();
        if k >= n {
            let b = if self.signed {
                self.bit(n.saturating_sub(1))
            } else {
                Bit::FALSE
            };
            return Word {
                bits: vec![b],
                signed: self.signed,
            };
        }
        Word {
            bits: self.bits[k..].to_vec(),
            signed: self.signed,
        }
    }
}

#[cfg(test)]
mod tests;

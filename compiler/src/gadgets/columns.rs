//! The column compressor: bits of equal weight summed by full adders (one AND each),
//! negative-weight bits as complemented bits plus one folded constant, the top column a
//! plain XOR.

use super::Word;
use crate::builder::{Bit, Builder};

/// Columns of bits to be summed: `columns[k]` holds bits of weight 2^k.
#[derive(Clone, Debug, Default)]
pub struct Columns {
    columns: Vec<Vec<Bit>>,
    /// Constant added to the sum (modulo 2^width).
    constant: u128,
    width: usize,
}

impl Columns {
    /// An empty sum whose result is taken modulo 2^width.
    pub fn new(width: usize) -> Columns {
        Columns {
            columns: vec![Vec::new(); width],
            constant: 0,
            width,
        }
    }

    /// Adds `sign · b · 2^k` (`negative`: subtracts it).
    pub fn push(&mut self, b: Bit, k: usize, negative: bool) {
        if k >= self.width {
            return;
        }
        if let Some(v) = b.as_const() {
            if v {
                self.add_constant_pow2(k, negative);
            }
            return;
        }
        if negative {
            // −b·2^k = (¬b − 1)·2^k
            self.columns[k].push(!b);
            self.add_constant_pow2(k, true);
        } else {
            self.columns[k].push(b);
        }
    }

    fn add_constant_pow2(&mut self, k: usize, negative: bool) {
        if k >= 128 {
            return;
        }
        let v = 1u128 << k;
        self.constant = if negative {
            self.constant.wrapping_sub(v)
        } else {
            self.constant.wrapping_add(v)
        };
    }

    /// Adds the constant whose two's complement bit pattern (mod 2^128) is `c`.
    pub fn push_constant_bits(&mut self, c: u128) {
        self.constant = self.constant.wrapping_add(c);
    }

    /// Adds the constant `c` (two's complement, wrapped).
    pub fn push_constant(&mut self, c: i128) {
        self.constant = self.constant.wrapping_add(c as u128);
    }

    /// Adds `sign · word · 2^k`; a signed word's top bit has negative weight.
    pub fn push_word(&mut self, w: &Word, k: usize, negative: bool) {
        let n = w.width();
        for (i, &b) in w.bits.iter().enumerate() {
            let top_negative = w.signed && i + 1 == n;
            self.push(b, k + i, negative ^ top_negative);
        }
    }

    /// Reduces the columns to one word of `width` bits (the sum modulo 2^width).
    pub fn sum(mut self, builder: &mut Builder, signed: bool) -> Word {
        let w = self.width;
        let mut out = Vec::with_capacity(w);
        for k in 0..w {
            let col = std::mem::take(&mut self.columns[k]);
            let mut ones = usize::from(k < 128 && (self.constant >> k) & 1 == 1);
            let mut bits: Vec<Bit> = Vec::with_capacity(col.len());
            for b in col {
                match b.as_const() {
                    Some(true) => ones += 1,
                    Some(false) => {}
                    None => bits.push(b),
                }
            }
            if k + 1 == w {
                // Carries out of the top column are dropped: a plain XOR.
                let s = bits
                    .iter()
                    .fold(Bit::constant(ones % 2 == 1), |acc, &b| builder.xor(acc, b));
                out.push(s);
                break;
            }
            // Pairs of constant ones carry a constant one upwards; one may stay.
            for _ in 0..ones / 2 {
                self.columns[k + 1].push(Bit::TRUE);
            }
            let mut carries = Vec::new();
            let mut queue = std::collections::VecDeque::from(bits);
            while queue.len() >= 3 {
                let (a, b, c) = (queue.pop_front(), queue.pop_front(), queue.pop_front());
                let (Some(a), Some(b), Some(c)) = (a, b, c) else {
                    break;
                };
                let (s, cy) = full_adder(builder, a, b, c);
                queue.push_back(s);
                carries.push(cy);
            }
            // The remaining constant one meets a half or full adder, where it is cheap.
            if ones % 2 == 1 {
                queue.push_back(Bit::TRUE);
            }
            let rest: Vec<Bit> = queue.into_iter().collect();
            let s = match rest.as_slice() {
                [] => Bit::FALSE,
                [a] => *a,
                [a, b] => {
                    carries.push(builder.and(*a, *b));
                    builder.xor(*a, *b)
                }
                [a, b, c, ..] => {
                    let (s, cy) = full_adder(builder, *a, *b, *c);
                    carries.push(cy);
                    s
                }
            };
            out.push(s);
            self.columns[k + 1].extend(carries);
        }
        Word { bits: out, signed }
    }
}

/// The carry `maj(a, b, c)` of one adder position with a single AND:
/// `((a ⊕ c) ∧ (b ⊕ c)) ⊕ c`.
pub fn carry(builder: &mut Builder, a: Bit, b: Bit, c: Bit) -> Bit {
    let ac = builder.xor(a, c);
    let bc = builder.xor(b, c);
    let t = builder.and(ac, bc);
    builder.xor(t, c)
}

/// One full adder: `(a ⊕ b ⊕ c, maj(a, b, c))` with a single AND.
pub fn full_adder(builder: &mut Builder, a: Bit, b: Bit, c: Bit) -> (Bit, Bit) {
    let ac = builder.xor(a, c);
    let bc = builder.xor(b, c);
    let t = builder.and(ac, bc);
    let carry = builder.xor(t, c);
    let sum = builder.xor(ac, b);
    (sum, carry)
}

//! Carry chains: addition and subtraction modulo 2^width, negation, absolute value and
//! sign (one AND per bit but the top one).

use super::{Word, any, carry, full_adder};
use crate::builder::{Bit, Builder};

/// `x + y + carry_in` on n-bit words: returns n sum bits and the carry out (n ANDs;
/// n−1 when the carry out is unused and removed as dead).
pub fn add_with_carry(
    builder: &mut Builder,
    x: &[Bit],
    y: &[Bit],
    carry_in: Bit,
) -> (Vec<Bit>, Bit) {
    let mut c = carry_in;
    let mut sum = Vec::with_capacity(x.len());
    for (&a, &b) in x.iter().zip(y) {
        let (s, cy) = full_adder(builder, a, b, c);
        sum.push(s);
        c = cy;
    }
    (sum, c)
}

/// `x + y` modulo 2^width (operands extended or wrapped to `width`; width−1 ANDs).
pub fn add(builder: &mut Builder, x: &Word, y: &Word, width: usize, signed: bool) -> Word {
    ripple(builder, x, y, width, signed, false)
}

/// `x − y` modulo 2^width (width−1 ANDs).
pub fn sub(builder: &mut Builder, x: &Word, y: &Word, width: usize, signed: bool) -> Word {
    ripple(builder, x, y, width, signed, true)
}

/// Ripple-carry `x ± y` at `width` bits: one AND per bit but the top one.
fn ripple(
    builder: &mut Builder,
    x: &Word,
    y: &Word,
    width: usize,
    signed: bool,
    subtract: bool,
) -> Word {
    let mut c = Bit::constant(subtract);
    let mut bits = Vec::with_capacity(width);
    for i in 0..width {
        let (a, b) = (x.bit(i), if subtract { !y.bit(i) } else { y.bit(i) });
        let ab = builder.xor(a, b);
        bits.push(builder.xor(ab, c));
        if i + 1 < width {
            c = carry(builder, a, b, c);
        }
    }
    Word { bits, signed }
}

/// `−x` modulo 2^width (width−1 ANDs).
pub fn negate(builder: &mut Builder, x: &Word, width: usize) -> Word {
    sub(builder, &Word::constant(0, width, true), x, width, true)
}

/// `|x|` as an unsigned word of x's width (`(x ⊕ s) + s`, width−1 ANDs).
pub fn abs(builder: &mut Builder, x: &Word) -> Word {
    if !x.signed {
        return x.clone();
    }
    let n = x.width();
    conditional_negate(builder, x.bit(n - 1), x, n, false)
}

/// `if s { −x } else { x }` at `width` bits: `(x ⊕ s) + s`, width − 1 ANDs.
pub fn conditional_negate(
    builder: &mut Builder,
    s: Bit,
    x: &Word,
    width: usize,
    signed: bool,
) -> Word {
    let mut c = s;
    let mut bits = Vec::with_capacity(width);
    for i in 0..width {
        let t = builder.xor(x.bit(i), s);
        bits.push(builder.xor(t, c));
        if i + 1 < width {
            c = builder.and(t, c);
        }
    }
    Word { bits, signed }
}

/// `sign(x)` as `int<2>`: −1, 0 or 1 (width−1 ANDs for the nonzero test).
pub fn sign(builder: &mut Builder, x: &Word) -> Word {
    let neg = if x.signed {
        x.bit(x.width() - 1)
    } else {
        Bit::FALSE
    };
    let nz = any(builder, &x.bits);
    Word {
        bits: vec![nz, neg],
        signed: true,
    }
}

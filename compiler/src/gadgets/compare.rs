//! Comparisons (`<`, `≤ constant`, `==`), the OR tree they share, and the bitwise
//! multiplexer.

use super::{Word, carry};
use crate::builder::{Bit, Builder};

/// OR of all bits (n−1 ANDs), as a balanced tree.
pub fn any(builder: &mut Builder, bits: &[Bit]) -> Bit {
    match bits.len() {
        0 => Bit::FALSE,
        1 => bits[0],
        n => {
            let (l, r) = bits.split_at(n / 2);
            let (a, b) = (any(builder, l), any(builder, r));
            builder.or(a, b)
        }
    }
}

/// `x ≤ d` for an unsigned word x and a constant d: "bits from bitlen(d) up are zero, and
/// the low bits are ≤ d" (n ANDs at most; the zero test is a top-down OR chain, so tests
/// of one word against several constants share most of it).
pub fn at_most_const(builder: &mut Builder, x: &Word, d: &num_bigint::BigInt) -> Bit {
    use num_traits::Signed;
    let n = x.width();
    if d.is_negative() {
        return Bit::FALSE;
    }
    // Every n-bit value is ≤ d only when d ≥ 2^n − 1 (d.bits() = n alone is not enough:
    // 9727 has 14 bits but a 14-bit x can exceed it).
    if *d >= (num_bigint::BigInt::from(1u8) << n) - 1u8 {
        return Bit::TRUE;
    }
    let l = d.bits() as usize;
    let mut high = Bit::FALSE;
    for &b in x.bits[l..].iter().rev() {
        high = builder.or(b, high);
    }
    // Low bits under trailing ones of d never matter: x ≤ d ⟺ x >> k ≤ d >> k.
    let k = (0..l).take_while(|&i| d.bit(i as u64)).count();
    let low = Word::new(x.bits[k..l].to_vec(), false);
    let dw = Word::new(
        (k..l).map(|i| Bit::constant(d.bit(i as u64))).collect(),
        false,
    );
    let low_le = !less_than(builder, &dw, &low);
    builder.and(!high, low_le)
}

/// `x == y` on their exact values (common width; n−1 ANDs).
pub fn equal(builder: &mut Builder, x: &Word, y: &Word) -> Bit {
    let n = x.width().max(y.width()) + usize::from(x.signed != y.signed);
    let diff: Vec<Bit> = (0..n).map(|i| builder.xor(x.bit(i), y.bit(i))).collect();
    !any(builder, &diff)
}

/// `x < y` on their exact values, signed or unsigned, any widths (n ANDs at the common width).
pub fn less_than(builder: &mut Builder, x: &Word, y: &Word) -> Bit {
    let n = x.width().max(y.width()) + usize::from(x.signed != y.signed);
    let signed = x.signed || y.signed;
    // Borrow chain of x − y: carry out of x + ¬y + 1 is (x ≥ y) for unsigned operands;
    // flipping the sign bits maps signed order onto unsigned order.
    let mut c = Bit::TRUE;
    for i in 0..n {
        let (mut a, mut b) = (x.bit(i), !y.bit(i));
        if signed && i + 1 == n {
            a = !a;
            b = !b;
        }
        c = carry(builder, a, b, c);
    }
    !c
}

/// `if s { a } else { b }` bitwise at `width` bits (width ANDs).
pub fn mux(builder: &mut Builder, s: Bit, a: &Word, b: &Word, width: usize, signed: bool) -> Word {
    let bits = (0..width)
        .map(|i| builder.mux(s, a.bit(i), b.bit(i)))
        .collect();
    Word { bits, signed }
}

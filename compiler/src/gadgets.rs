//! The gadget library: integer arithmetic on words of [`Bit`]s at optimal AND cost.
//!
//! A [`Word`] is a list of bits, LSB-first, read as unsigned or as two's complement. All
//! arithmetic is modulo 2^w for the result width `w` the caller asks for; the caller picks
//! `w` wide enough for the exact result (the lowering does so from value ranges), so no
//! bit the result does not need is ever computed.
//!
//! Costs (ANDs): add/subtract n−1 modulo 2^n (n with carry out), compare n, equality n−1,
//! mux n, negate n−1, abs n−1, sign n−1, shifts 0. Products and sums of many terms go
//! through one column compressor ([`sum_columns`]): full adders at one AND each,
//! negative-weight bits as complemented bits plus one folded constant (Baugh–Wooley), and
//! the top column of a truncated result is a plain XOR. Squaring builds each symmetric
//! partial product once; constant multiplication uses the canonical signed-digit form.

use crate::builder::{Bit, Builder};

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

/// One full adder: `(a ⊕ b ⊕ c, maj(a, b, c))` with a single AND.
pub fn full_adder(builder: &mut Builder, a: Bit, b: Bit, c: Bit) -> (Bit, Bit) {
    let ac = builder.xor(a, c);
    let bc = builder.xor(b, c);
    let t = builder.and(ac, bc);
    let carry = builder.xor(t, c);
    let sum = builder.xor(ac, b);
    (sum, carry)
}

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
            let ac = builder.xor(a, c);
            let bc = builder.xor(b, c);
            let t = builder.and(ac, bc);
            c = builder.xor(t, c);
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
    let s = x.bit(n - 1);
    let mut c = s;
    let mut bits = Vec::with_capacity(n);
    for (i, &b) in x.bits.iter().enumerate() {
        let t = builder.xor(b, s);
        bits.push(builder.xor(t, c));
        if i + 1 < n {
            c = builder.and(t, c);
        }
    }
    Word {
        bits,
        signed: false,
    }
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
        let ac = builder.xor(a, c);
        let bc = builder.xor(b, c);
        let t = builder.and(ac, bc);
        c = builder.xor(t, c);
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

/// `x · y` modulo 2^width: partial products only below `width`, Baugh–Wooley signs,
/// summed by the column compressor.
pub fn multiply(builder: &mut Builder, x: &Word, y: &Word, width: usize, signed: bool) -> Word {
    if let Some(c) = x.as_const() {
        return multiply_constant(builder, y, c, width, signed);
    }
    if let Some(c) = y.as_const() {
        return multiply_constant(builder, x, c, width, signed);
    }
    if x == y {
        return square(builder, x, width, signed);
    }
    if !x.signed
        && !y.signed
        && width >= x.width() + y.width()
        && karatsuba_wins(x.width(), y.width())
    {
        return karatsuba(builder, x, y, width, signed);
    }
    schoolbook(builder, x, y, width, signed)
}

/// Schoolbook product modulo 2^width (partial products below `width` only).
fn schoolbook(builder: &mut Builder, x: &Word, y: &Word, width: usize, signed: bool) -> Word {
    let mut cols = Columns::new(width);
    let (nx, ny) = (x.width(), y.width());
    for i in 0..nx {
        for j in 0..ny {
            if i + j >= width {
                break;
            }
            let neg = (x.signed && i + 1 == nx) ^ (y.signed && j + 1 == ny);
            let p = builder.and(x.bits[i], y.bits[j]);
            cols.push(p, i + j, neg);
        }
    }
    cols.sum(builder, signed)
}

/// Smallest operand width at which Karatsuba is even tried.
const KARATSUBA_MIN: usize = 12;

/// Whether Karatsuba costs fewer ANDs than the schoolbook product for a full unsigned
/// nx × ny product (decided once per shape by building both in a scratch builder).
fn karatsuba_wins(nx: usize, ny: usize) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<(usize, usize), bool>>> = OnceLock::new();
    if nx.min(ny) < KARATSUBA_MIN {
        return false;
    }
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(&v) = cache
        .lock()
        .ok()
        .and_then(|c| c.get(&(nx, ny)).copied())
        .as_ref()
    {
        return v;
    }
    let cost = |kara: bool| {
        let mut b = Builder::default();
        let fmt = |w: usize| crate::circuit::IoValue {
            name: String::new(),
            party: None,
            format: crate::circuit::ValueFormat::Unsigned {
                width: w as u32,
                frac: 0,
            },
        };
        let x = Word::new(b.input(fmt(nx)), false);
        let y = Word::new(b.input(fmt(ny)), false);
        let out = if kara {
            karatsuba(&mut b, &x, &y, nx + ny, false)
        } else {
            schoolbook(&mut b, &x, &y, nx + ny, false)
        };
        b.finish(vec![fmt(nx + ny)], &out.bits)
            .map_or(usize::MAX, |c| c.and_count())
    };
    let wins = cost(true) < cost(false);
    if let Ok(mut c) = cache.lock() {
        c.insert((nx, ny), wins);
    }
    wins
}

/// Karatsuba product of unsigned words modulo 2^width (width ≥ nx + ny): three half-size
/// products `x0·y0`, `x1·y1`, `(x0+x1)(y0+y1)` (each recursively the cheaper method) and one
/// column compression for the recombination.
fn karatsuba(builder: &mut Builder, x: &Word, y: &Word, width: usize, signed: bool) -> Word {
    let n = x.width().max(y.width());
    let k = n / 2;
    let split = |w: &Word| {
        let lo = Word::new((0..k).map(|i| w.bit(i)).collect(), false);
        let hi = Word::new((k..w.width().max(k)).map(|i| w.bit(i)).collect(), false);
        (lo, hi)
    };
    let (x0, x1) = split(x);
    let (y0, y1) = split(y);
    let full = |b: &mut Builder, a: &Word, c: &Word| {
        let w = a.width() + c.width();
        multiply(b, a, c, w, false)
    };
    let z0 = full(builder, &x0, &y0);
    let z2 = full(builder, &x1, &y1);
    let sx = add(builder, &x0, &x1, k.max(x1.width()) + 1, false);
    let sy = add(builder, &y0, &y1, k.max(y1.width()) + 1, false);
    let z1 = full(builder, &sx, &sy);
    let mut cols = Columns::new(width);
    cols.push_word(&z0, 0, false);
    cols.push_word(&z2, 2 * k, false);
    cols.push_word(&z1, k, false);
    cols.push_word(&z0, k, true);
    cols.push_word(&z2, k, true);
    cols.sum(builder, signed)
}

/// `x²` modulo 2^width: each symmetric partial product `x_i·x_j` (i < j) built once at
/// weight 2^(i+j+1), the diagonal `x_i·x_i = x_i` free.
pub fn square(builder: &mut Builder, x: &Word, width: usize, signed: bool) -> Word {
    let n = x.width();
    let mut cols = Columns::new(width);
    for i in 0..n {
        let si = x.signed && i + 1 == n;
        cols.push(x.bits[i], 2 * i, false);
        for j in i + 1..n {
            if i + j + 1 >= width {
                break;
            }
            let sj = x.signed && j + 1 == n;
            let p = builder.and(x.bits[i], x.bits[j]);
            cols.push(p, i + j + 1, si ^ sj);
        }
    }
    cols.sum(builder, signed)
}

/// Canonical signed-digit (non-adjacent form) digits of `c`, LSB-first, each −1, 0 or 1.
pub fn csd_digits(c: i128) -> Vec<i8> {
    let mut digits = Vec::new();
    let mut v = c;
    while v != 0 {
        if v & 1 == 1 {
            let d: i8 = if v & 3 == 3 { -1 } else { 1 };
            digits.push(d);
            v -= i128::from(d);
        } else {
            digits.push(0);
        }
        v >>= 1;
    }
    digits
}

/// `x · c` modulo 2^width for a constant `c`, as a sum of shifted ±x over c's CSD digits.
pub fn multiply_constant(
    builder: &mut Builder,
    x: &Word,
    c: i128,
    width: usize,
    signed: bool,
) -> Word {
    if let Some(v) = x.as_const() {
        return Word::constant(v.wrapping_mul(c), width, signed);
    }
    let mut cols = Columns::new(width);
    for (k, &d) in csd_digits(c).iter().enumerate() {
        if d != 0 {
            cols.push_word(x, k, d < 0);
        }
    }
    cols.sum(builder, signed)
}

#[cfg(test)]
mod tests;

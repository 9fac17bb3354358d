//! Products modulo 2^width: schoolbook with Baugh–Wooley signs, Karatsuba where it costs
//! fewer ANDs, squaring with each symmetric partial product once, and constant products
//! over canonical signed digits; all summed by the column compressor.

use super::{Columns, Word, add};
use crate::builder::Builder;

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
pub(super) fn karatsuba(
    builder: &mut Builder,
    x: &Word,
    y: &Word,
    width: usize,
    signed: bool,
) -> Word {
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

/// `x²` modulo 2^width: for wide unsigned x the cheaper of Karatsuba squaring
/// ([`karatsuba_square`]) and the symmetric schoolbook ([`symmetric_square`]).
pub fn square(builder: &mut Builder, x: &Word, width: usize, signed: bool) -> Word {
    if !x.signed && square_karatsuba_wins(x.width()) {
        return karatsuba_square(builder, x, width, signed);
    }
    symmetric_square(builder, x, width, signed)
}

/// Whether Karatsuba squaring costs fewer ANDs than the symmetric schoolbook for a full
/// unsigned n-bit square (decided once per width by building both in a scratch builder).
fn square_karatsuba_wins(n: usize) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<usize, bool>>> = OnceLock::new();
    if n < KARATSUBA_MIN {
        return false;
    }
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(v) = cache.lock().ok().and_then(|c| c.get(&n).copied()) {
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
        let x = Word::new(b.input(fmt(n)), false);
        let out = if kara {
            karatsuba_square(&mut b, &x, 2 * n, false)
        } else {
            symmetric_square(&mut b, &x, 2 * n, false)
        };
        b.finish(vec![fmt(2 * n)], &out.bits)
            .map_or(usize::MAX, |c| c.and_count())
    };
    let wins = cost(true) < cost(false);
    if let Ok(mut c) = cache.lock() {
        c.insert(n, wins);
    }
    wins
}

/// Karatsuba squaring of an unsigned word modulo 2^width: with x = a + 2^k·b,
/// x² = a² + 2^(2k)·b² + 2^k·((a + b)² − a² − b²): three half-size squares (each again
/// the cheaper method) and one column compression for the recombination.
pub(super) fn karatsuba_square(
    builder: &mut Builder,
    x: &Word,
    width: usize,
    signed: bool,
) -> Word {
    let n = x.width();
    let k = n / 2;
    let a = Word::new(x.bits[..k].to_vec(), false);
    let b = Word::new(x.bits[k..].to_vec(), false);
    let sum = add(builder, &a, &b, k.max(n - k) + 1, false);
    let full = |bl: &mut Builder, w: &Word| square(bl, w, 2 * w.width(), false);
    let a2 = full(builder, &a);
    let b2 = full(builder, &b);
    let s2 = full(builder, &sum);
    let mut cols = Columns::new(width);
    cols.push_word(&a2, 0, false);
    cols.push_word(&b2, 2 * k, false);
    cols.push_word(&s2, k, false);
    cols.push_word(&a2, k, true);
    cols.push_word(&b2, k, true);
    cols.sum(builder, signed)
}

/// `x²` modulo 2^width: each symmetric partial product `x_i·x_j` (i < j) built once at
/// weight 2^(i+j+1), the diagonal `x_i·x_i = x_i` free. Column 2i+2 would hold both
/// `x_(i+1)` and `x_i·x_(i+1)`; their sum `x_(i+1)·(1 + x_i)` is written as
/// `x_(i+1) ⊕ x_i·x_(i+1)` there and `x_i·x_(i+1)` one column up — a half adder for free.
pub fn symmetric_square(builder: &mut Builder, x: &Word, width: usize, signed: bool) -> Word {
    let n = x.width();
    let mut cols = Columns::new(width);
    // Positive-weight bits (all of them unless x is signed).
    let plain = if x.signed { n - 1 } else { n };
    for i in 0..n {
        let si = x.signed && i + 1 == n;
        // The diagonal x_i of a plain i ≥ 1 goes in with the pair (i − 1, i) below.
        if i == 0 || i >= plain {
            cols.push(x.bits[i], 2 * i, false);
        }
        for j in i + 1..n {
            if i + j + 1 >= width {
                break;
            }
            let sj = x.signed && j + 1 == n;
            let p = builder.and(x.bits[i], x.bits[j]);
            if j == i + 1 && j < plain {
                // x_j + x_i·x_j at column 2j = (x_j ⊕ x_i·x_j) there + x_i·x_j above.
                let low = builder.xor(x.bits[j], p);
                cols.push(low, 2 * j, false);
                cols.push(p, 2 * j + 1, false);
            } else {
                cols.push(p, i + j + 1, si ^ sj);
            }
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

//! Every gadget against plain integer arithmetic, exhaustively for small widths.

use super::multiply::karatsuba;
use super::*;
use crate::builder::Builder;
use crate::circuit::{IoValue, ValueFormat};

/// Value of `bits` read as a `signed` word.
fn value(bits: &[bool], signed: bool) -> i128 {
    let n = bits.len();
    let mut v: i128 = bits
        .iter()
        .enumerate()
        .map(|(i, &b)| i128::from(b) << i)
        .sum();
    if signed && n > 0 && bits[n - 1] {
        v -= 1i128 << n;
    }
    v
}

fn wrap(v: i128, width: usize, signed: bool) -> i128 {
    let m = 1i128 << width;
    let r = v.rem_euclid(m);
    if signed && r >= m / 2 { r - m } else { r }
}

fn range(width: usize, signed: bool) -> std::ops::Range<i128> {
    if signed {
        -(1i128 << (width - 1))..(1i128 << (width - 1))
    } else {
        0..(1i128 << width)
    }
}

fn bits_of(v: i128, width: usize) -> Vec<bool> {
    (0..width).map(|i| (v >> i) & 1 == 1).collect()
}

/// Two input words of the given shapes in a fresh builder.
fn two_inputs(nx: usize, sx: bool, ny: usize, sy: bool) -> (Builder, Word, Word) {
    let mut b = Builder::default();
    let fmt = |w: usize, s: bool| {
        if s {
            ValueFormat::Signed {
                width: w as u32,
                frac: 0,
            }
        } else {
            ValueFormat::Unsigned {
                width: w as u32,
                frac: 0,
            }
        }
    };
    let x = b.input(IoValue {
        name: "x".into(),
        party: None,
        format: fmt(nx, sx),
    });
    let y = b.input(IoValue {
        name: "y".into(),
        party: None,
        format: fmt(ny, sy),
    });
    (b, Word::new(x, sx), Word::new(y, sy))
}

/// Checks `gadget(x, y)` == `expected(x, y)` for all inputs of all small shapes.
fn check_binary(
    name: &str,
    gadget: impl Fn(&mut Builder, &Word, &Word) -> Word,
    expected: impl Fn(i128, i128) -> i128,
) {
    for nx in 1..=4 {
        for ny in 1..=4 {
            for (sx, sy) in [(false, false), (true, false), (false, true), (true, true)] {
                let (mut b, x, y) = two_inputs(nx, sx, ny, sy);
                let out = gadget(&mut b, &x, &y);
                for xv in range(nx, sx) {
                    for yv in range(ny, sy) {
                        let mut input = bits_of(xv, nx);
                        input.extend(bits_of(yv, ny));
                        let got = value(&b.eval(&input, &out.bits), out.signed);
                        let want = wrap(expected(xv, yv), out.width(), out.signed);
                        assert_eq!(got, want, "{name}: x={xv} ({nx},{sx}) y={yv} ({ny},{sy})");
                    }
                }
            }
        }
    }
}

#[test]
fn add_sub_match_integers_at_every_result_width() {
    for w in [1, 3, 6] {
        check_binary("add", |b, x, y| add(b, x, y, w, true), |x, y| x + y);
        check_binary("sub", |b, x, y| sub(b, x, y, w, false), |x, y| x - y);
    }
}

#[test]
fn multiply_and_square_match_integers() {
    for w in [2, 5, 8] {
        check_binary("mul", |b, x, y| multiply(b, x, y, w, true), |x, y| x * y);
        check_binary("square", |b, x, _| square(b, x, w, true), |x, _| x * x);
    }
}

#[test]
fn comparisons_and_equality_match_integers() {
    let bit = |v: Bit| Word::new(vec![v], false);
    check_binary(
        "lt",
        |b, x, y| bit(less_than(b, x, y)),
        |x, y| i128::from(x < y),
    );
    check_binary(
        "eq",
        |b, x, y| bit(equal(b, x, y)),
        |x, y| i128::from(x == y),
    );
}

#[test]
fn mux_abs_sign_negate_match_integers() {
    check_binary(
        "mux",
        |b, x, y| {
            let s = x.bit(0);
            mux(b, s, x, y, 6, true)
        },
        |x, y| if x & 1 == 1 { x } else { y },
    );
    check_binary("abs", |b, x, _| abs(b, x), |x, _| x.abs());
    check_binary("sign", |b, x, _| sign(b, x), |x, _| x.signum());
    check_binary("negate", |b, x, _| negate(b, x, 6), |x, _| -x);
    check_binary("shifts", |_, x, _| x.shl(2).shr(1), |x, _| x * 2);
    check_binary("shr", |_, x, _| x.shr(1), |x, _| x >> 1);
}

#[test]
fn constant_multiplication_matches_integers() {
    for c in [-13i128, -1, 0, 1, 3, 7, 11, 23, 45] {
        assert_eq!(
            csd_digits(c)
                .iter()
                .rev()
                .fold(0i128, |acc, &d| 2 * acc + i128::from(d)),
            c
        );
        check_binary(
            "mulc",
            |b, x, _| multiply_constant(b, x, c, 9, true),
            |x, _| x * c,
        );
    }
}

/// AND count of `gadget` on two fresh n-bit inputs.
fn ands(n: usize, signed: bool, gadget: impl Fn(&mut Builder, &Word, &Word)) -> usize {
    let (mut b, x, y) = two_inputs(n, signed, n, signed);
    gadget(&mut b, &x, &y);
    b.and_nodes()
}

#[test]
fn gadgets_cost_the_known_optimal_ands() {
    for n in [8usize, 16, 32] {
        assert_eq!(
            ands(n, false, |b, x, y| drop(add(b, x, y, n, false))),
            n - 1,
            "add"
        );
        assert_eq!(
            ands(n, true, |b, x, y| drop(sub(b, x, y, n, true))),
            n - 1,
            "sub"
        );
        assert_eq!(
            ands(n, true, |b, x, y| {
                let _ = less_than(b, x, y);
            }),
            n,
            "lt"
        );
        assert_eq!(
            ands(n, false, |b, x, y| {
                let _ = equal(b, x, y);
            }),
            n - 1,
            "eq"
        );
        assert_eq!(
            ands(n, true, |b, x, y| drop(mux(b, x.bit(0), x, y, n, true))),
            n,
            "mux"
        );
        assert_eq!(ands(n, true, |b, x, _| drop(abs(b, x))), n - 1, "abs");
        assert!(ands(n, true, |b, x, _| drop(negate(b, x, n))) < n, "negate");
        // Squaring: n(n−1)/2 partial products; a full multiply n².
        let sq = ands(n, false, |b, x, _| drop(square(b, x, 2 * n, false)));
        let mul = ands(n, false, |b, x, y| drop(multiply(b, x, y, 2 * n, false)));
        assert!(3 * sq < 2 * mul, "square {sq} vs multiply {mul}");
        assert!(mul <= 2 * n * n, "multiply {mul}");
    }
    // 32-bit truncated multiply (Garble: 3967 ANDs) and compare (Garble: 185).
    let mul32 = ands(32, true, |b, x, y| drop(multiply(b, x, y, 32, true)));
    assert!(mul32 < 1000, "{mul32}");
}

#[test]
fn karatsuba_matches_integers_exhaustively_for_small_widths() {
    for nx in 2..=5 {
        for ny in 2..=5 {
            let (mut b, x, y) = two_inputs(nx, false, ny, false);
            let out = karatsuba(&mut b, &x, &y, nx + ny, false);
            for xv in range(nx, false) {
                for yv in range(ny, false) {
                    let mut input = bits_of(xv, nx);
                    input.extend(bits_of(yv, ny));
                    assert_eq!(
                        value(&b.eval(&input, &out.bits), false),
                        xv * yv,
                        "{xv} * {yv}"
                    );
                }
            }
        }
    }
}

#[test]
fn karatsuba_matches_integers_and_wins_at_32_bits() {
    let (mut b, x, y) = two_inputs(13, false, 14, false);
    let out = karatsuba(&mut b, &x, &y, 27, false);
    let mut state = 0x1234_5678_9abc_def0u64;
    for _ in 0..3000 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let (xv, yv) = (i128::from(state >> 51), i128::from((state >> 20) & 0x3fff));
        let mut input = bits_of(xv, 13);
        input.extend(bits_of(yv, 14));
        assert_eq!(
            value(&b.eval(&input, &out.bits), false),
            xv * yv,
            "{xv} * {yv}"
        );
    }
    let kara = ands(32, false, |b, x, y| drop(multiply(b, x, y, 64, false)));
    assert!(
        kara < 1800,
        "32x32 -> 64 with Karatsuba: {kara} ANDs (schoolbook 2016)"
    );
}

#[test]
fn karatsuba_and_symmetric_squares_match_integers_exhaustively() {
    for n in 1..=9 {
        let (mut b, x, _) = two_inputs(n, false, 1, false);
        let kara = (n >= 2).then(|| super::multiply::karatsuba_square(&mut b, &x, 2 * n, false));
        let sym = symmetric_square(&mut b, &x, 2 * n, false);
        let (mut bs, xs, _) = two_inputs(n, true, 1, false);
        let sym_signed = symmetric_square(&mut bs, &xs, 2 * n, true);
        for xv in range(n, false) {
            let mut input = bits_of(xv, n);
            input.push(false);
            if let Some(k) = &kara {
                assert_eq!(
                    value(&b.eval(&input, &k.bits), false),
                    xv * xv,
                    "karatsuba {xv}"
                );
            }
            assert_eq!(
                value(&b.eval(&input, &sym.bits), false),
                xv * xv,
                "symmetric {xv}"
            );
            let sv = value(&bits_of(xv, n), true);
            assert_eq!(
                value(&bs.eval(&input, &sym_signed.bits), true),
                sv * sv,
                "signed {sv}"
            );
        }
    }
    // Karatsuba squaring is chosen only where it is cheaper (from 18 bits on).
    let sq = |n: usize| ands(n, false, |b, x, _| drop(square(b, x, 2 * n, false)));
    let sym = |n: usize| {
        ands(n, false, |b, x, _| {
            drop(symmetric_square(b, x, 2 * n, false))
        })
    };
    assert_eq!(sq(14), sym(14));
    assert!(sq(24) < sym(24), "24-bit square: {} vs {}", sq(24), sym(24));
    // The free half adder of each adjacent pair: a 14-bit square below the 182 ANDs of
    // n(n−1)/2 partial products plus their plain column compression.
    assert!(sym(14) <= 180, "{}", sym(14));
}

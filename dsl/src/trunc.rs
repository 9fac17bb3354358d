//! Truncated products: the definition of the DSL's `trunc_mul(a, b, F)` (`dsl/README.md`
//! §4), as plain arithmetic on raw values. The checker elaborates `trunc_mul` into ordinary
//! nodes (`check/trunc.rs`); this module is the independent statement tests compare with.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Zero};

/// The non-adjacent form of `c`: digits in {−1, 0, 1}, least significant first, no two
/// adjacent non-zero (unique; the fewest non-zero digits of any signed-binary form).
pub fn naf_digits(c: &BigInt) -> Vec<i8> {
    let mut c = c.clone();
    let mut digits = Vec::new();
    let four = BigInt::from(4);
    while !c.is_zero() {
        if c.is_odd() {
            let d: i8 = if c.mod_floor(&four) == BigInt::one() {
                1
            } else {
                -1
            };
            c -= BigInt::from(d);
            digits.push(d);
        } else {
            digits.push(0);
        }
        c >>= 1u32;
    }
    digits
}

/// The exact value of `trunc_mul` on raw operands (the definition in the module docs),
/// as the raw integer at `f` fractional bits; used by tests as an independent reference.
/// `a_const` says whether `a` is the constant (NAF) operand; `b` must be ≥ 0;
/// `b_max`/`a_max` bound the digits counted for the compensation.
#[allow(clippy::too_many_arguments)]
pub fn reference(
    a: &BigInt,
    a_const: bool,
    a_max: &BigInt,
    b: &BigInt,
    b_max: &BigInt,
    fa: u32,
    fb: u32,
    f: u32,
) -> BigInt {
    let p = i64::from(fa) + i64::from(fb);
    let cut = p - i64::from(f);
    if cut <= 0 {
        return (a * b) << (-cut) as u32;
    }
    let a_digits: Vec<i8> = if a_const {
        naf_digits(a)
    } else {
        bits(a, bit_len(a_max))
    };
    let b_digits = bits(b, bit_len(b_max));
    let a_allowed: Vec<i8> = if a_const {
        a_digits.clone()
    } else {
        vec![1; bit_len(a_max)]
    };
    let (mut kept, mut dmax, mut dmin) = (BigInt::zero(), BigInt::zero(), BigInt::zero());
    for (i, &da) in a_digits.iter().enumerate() {
        for (j, &db) in b_digits.iter().enumerate() {
            if (i + j) as i64 >= cut {
                kept += BigInt::from(da * db) << (i + j);
            }
        }
    }
    for (i, &da) in a_allowed.iter().enumerate() {
        for j in 0..bit_len(b_max) {
            if ((i + j) as i64) < cut && da != 0 {
                let w = BigInt::one() << (i + j);
                if da > 0 { dmax += w } else { dmin += w }
            }
        }
    }
    (kept >> cut as u32) + compensation(&dmax, &dmin, cut as u32)
}

/// The binary digits of `v ≥ 0`, `n` of them.
fn bits(v: &BigInt, n: usize) -> Vec<i8> {
    (0..n).map(|i| i8::from(v.bit(i as u64))).collect()
}

/// Bits of a non-negative bound (0 for 0).
fn bit_len(v: &BigInt) -> usize {
    v.bits() as usize
}

/// The compensation at F fractional bits: round-half-up((dmax − dmin) / 2^(cut+1)), which
/// centres the dropped part (its positive digits sum to at most dmax, its negative ones to
/// at least −dmin, both in units of the exact product's last bit).
pub fn compensation(dmax: &BigInt, dmin: &BigInt, cut: u32) -> BigInt {
    (dmax - dmin + (BigInt::one() << cut)).div_floor(&(BigInt::one() << (cut + 1)))
}

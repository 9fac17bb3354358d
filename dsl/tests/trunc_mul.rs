//! `trunc_mul(a, b, F)` (dsl/README.md §4, "Truncated products"): the interpreter's value
//! of the elaborated program equals the definition computed directly on raw values
//! (`dsl::trunc::reference`, partial product by partial product), stays within the stated
//! bound of the exact product, and bad uses are refused by name.

use gcc_nn_dsl::{self as dsl, Interpreter, trunc};
use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn check(src: &str) -> dsl::core::Program {
    dsl::check(src, "t.dsl").unwrap_or_else(|d| panic!("{}\n{src}", d.render()))
}

/// The program's single output on raw inputs, as a signed/unsigned integer of its type.
fn run(p: &dsl::core::Program, inputs: &[u128]) -> BigInt {
    let out = Interpreter::new(p).run(inputs).expect("runs")[0];
    let ty = p.outputs[0].ty.num().expect("number");
    let raw = BigInt::from(out) % (BigInt::one() << ty.width);
    if ty.signed && raw.bit(u64::from(ty.width) - 1) {
        raw - (BigInt::one() << ty.width)
    } else {
        raw
    }
}

#[test]
fn naf_digits_rebuild_the_value_with_no_adjacent_non_zeros() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..2000 {
        let c = BigInt::from(rng.random_range(-1_000_000i64..1_000_000));
        let d = trunc::naf_digits(&c);
        let back: BigInt = d
            .iter()
            .enumerate()
            .map(|(k, &x)| BigInt::from(x) << k)
            .sum();
        assert_eq!(back, c);
        assert!(d.windows(2).all(|w| w[0] == 0 || w[1] == 0), "{c}: {d:?}");
        assert!(d.last().is_none_or(|&x| x != 0));
    }
    assert_eq!(trunc::naf_digits(&BigInt::from(7)), vec![-1, 0, 0, 1]);
}

#[test]
fn constant_times_variable_matches_the_definition() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for case in 0..60 {
        let (fc, fv) = (rng.random_range(8..16u32), rng.random_range(6..14u32));
        let nv = rng.random_range(4..16u32);
        let c = rng.random_range(-30_000i64..30_000);
        let f = rng.random_range(0..fc + fv + 2);
        let src = format!(
            "const C = {c} / (1 << {fc});\ninput garbler v: ufixed<{nv}, {fv}>;\n\
             let c = C as fixed<17, {fc}>;\n\
             output y: fixed<40, {f}> = trunc_mul(c, v, {f});\n"
        );
        let p = check(&src);
        let vmax = (BigInt::one() << nv) - 1;
        for _ in 0..40 {
            let v: u128 = rng.random_range(0..1u128 << nv);
            let got = run(&p, &[v]);
            let (c, v) = (BigInt::from(c), BigInt::from(v));
            let want = trunc::reference(&c, true, &c.abs(), &v, &vmax, fc, fv, f);
            assert_eq!(got, want, "case {case}: {src} v = {v}");
        }
    }
}

#[test]
fn variable_products_and_squares_match_the_definition() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for case in 0..40 {
        let (na, nb) = (rng.random_range(2..14u32), rng.random_range(2..14u32));
        let (fa, fb) = (rng.random_range(0..12u32), rng.random_range(0..12u32));
        let square = case % 2 == 0;
        let f = rng.random_range(0..fa + fb + 2);
        let src = if square {
            format!(
                "input garbler a: ufixed<{na}, {fa}>;\n\
                 output y: ufixed<40, {f}> = trunc_mul(a, a, {f});\n"
            )
        } else {
            format!(
                "input garbler a: ufixed<{na}, {fa}>;\ninput evaluator b: ufixed<{nb}, {fb}>;\n\
                 output y: ufixed<40, {f}> = trunc_mul(a, b, {f});\n"
            )
        };
        let p = check(&src);
        for _ in 0..40 {
            let a: u128 = rng.random_range(0..1u128 << na);
            let b: u128 = rng.random_range(0..1u128 << nb);
            let (got, want) = if square {
                let m = (BigInt::one() << na) - 1;
                let a = BigInt::from(a);
                (
                    run(&p, &[a.to_u128()]),
                    trunc::reference(&a, false, &m, &a, &m, fa, fa, f),
                )
            } else {
                let (ma, mb) = ((BigInt::one() << na) - 1, (BigInt::one() << nb) - 1);
                let (a, b) = (BigInt::from(a), BigInt::from(b));
                let got = run(&p, &[a.to_u128(), b.to_u128()]);
                (got, trunc::reference(&a, false, &ma, &b, &mb, fa, fb, f))
            };
            assert_eq!(got, want, "case {case}: {src} a = {a} b = {b}");
        }
    }
}

trait ToU128 {
    fn to_u128(&self) -> u128;
}
impl ToU128 for BigInt {
    fn to_u128(&self) -> u128 {
        u128::try_from(self).expect("non-negative, < 2^128")
    }
}

#[test]
fn the_result_stays_within_the_bound_of_the_exact_product() {
    // A 14-bit t at 12 fractional bits squared, kept at 15 bits (cut = 9): the dropped
    // pairs i + j < 9 weigh at most dmax; the centring bounds the error by half of that
    // plus half an ulp of the result.
    let p = check(
        "input garbler t: ufixed<14, 12>;\noutput y: ufixed<24, 15> = trunc_mul(t, t, 15);\n",
    );
    let cut = 24 - 15;
    let mut dmax = BigInt::zero();
    for i in 0..14u32 {
        for j in 0..14u32 {
            if i + j < cut {
                dmax += BigInt::one() << (i + j);
            }
        }
    }
    let bound = (&dmax + (BigInt::one() << cut)) / 2 + 1; // units of 2^-24
    let mut worst = BigInt::zero();
    for t in 0u128..(1 << 14) {
        let got = run(&p, &[t]) << cut; // to units of 2^-24
        let exact = BigInt::from(t * t);
        let err = (got - exact).abs();
        assert!(err <= bound, "t = {t}: error {err} > bound {bound}");
        worst = worst.max(err);
    }
    // The compensation is doing its work: without it the error would reach dmax.
    assert!(worst < dmax, "worst {worst} dmax {dmax}");
}

#[test]
fn no_truncation_when_the_result_keeps_every_bit() {
    let p = check(
        "input garbler a: ufixed<8, 4>;\ninput evaluator b: ufixed<8, 4>;\n\
         output y: ufixed<20, 10> = trunc_mul(a, b, 10);\n",
    );
    for (a, b) in [(0u128, 0u128), (255, 255), (17, 200), (128, 3)] {
        assert_eq!(run(&p, &[a, b]), BigInt::from(a * b * 4), "{a}·{b}");
    }
}

#[test]
fn bad_uses_are_refused_by_name() {
    let refused = |src: &str, needle: &str| {
        let d = dsl::check(src, "t.dsl").expect_err("refused");
        let text = d.render();
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    };
    refused(
        "input garbler a: fixed<8, 4>;\noutput y: fixed<20, 4> = trunc_mul(a, a, 4);\n",
        "may be negative",
    );
    refused(
        "input garbler a: ufixed<8, 4>;\noutput y: fixed<20, 4> = trunc_mul(0.25, a, 4);\n",
        "needs a typed operand",
    );
    refused(
        "input garbler a: ufixed<8, 4>;\ninput garbler k: uint<3>;\n\
         output y: fixed<20, 4> = trunc_mul(a, a, k);\n",
        "fraction widths must be compile-time constants",
    );
    refused(
        "input garbler a: ufixed<8, 4>;\noutput y: fixed<20, 4> = trunc_mul(a, a, 200);\n",
        "fraction width 200 is not an integer between 0 and 128",
    );
    refused(
        "input garbler a: ufixed<8, 4>;\noutput y: fixed<20, 4> = trunc_mul(a, a);\n",
        "takes 3 arguments",
    );
}

//! Differential test of the exact-arithmetic rule (dsl/README.md §4–§5): random programs
//! are checked and interpreted, and compared with an independent evaluator on unbounded
//! integers that knows nothing of widths — every operator exact, only `as` and the stated
//! output type floor and wrap. A mismatch means a result type was too narrow or the
//! interpreter's 128-bit arithmetic is wrong.

use gcc_nn_dsl as dsl;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;

#[derive(Clone, Copy, Debug)]
struct Fmt {
    signed: bool,
    width: u32,
    frac: u32,
}

impl Fmt {
    fn text(&self) -> String {
        let kw = if self.signed { "fixed" } else { "ufixed" };
        format!("{kw}<{}, {}>", self.width, self.frac)
    }
}

/// An exact value: raw / 2^frac.
#[derive(Clone, Debug)]
struct V {
    raw: BigInt,
    frac: u32,
}

fn align(a: &V, b: &V) -> (BigInt, BigInt, u32) {
    let f = a.frac.max(b.frac);
    (&a.raw << (f - a.frac), &b.raw << (f - b.frac), f)
}

/// Converts like `as`: scale (floor) then wrap into `t`.
fn convert(v: &V, t: Fmt) -> V {
    let scaled = if t.frac >= v.frac {
        &v.raw << (t.frac - v.frac)
    } else {
        v.raw.div_floor(&(BigInt::one() << (v.frac - t.frac)))
    };
    let m = BigInt::one() << t.width;
    let mut w = scaled.mod_floor(&m);
    if t.signed && w >= (BigInt::one() << (t.width - 1)) {
        w -= &m;
    }
    V {
        raw: w,
        frac: t.frac,
    }
}

fn random_fmt(rng: &mut ChaCha12Rng, max_width: u32) -> Fmt {
    let width = rng.random_range(1..=max_width);
    Fmt {
        signed: rng.random_range(0..2) == 1,
        width,
        frac: rng.random_range(0..=width.min(10)),
    }
}

/// Builds a random expression over inputs `a`, `b`; returns its text and its exact value.
fn random_expr(rng: &mut ChaCha12Rng, depth: u32, env: &[(String, V)]) -> (String, V) {
    if depth == 0 || rng.random_range(0..4) == 0 {
        if rng.random_range(0..5) == 0 {
            // a small dyadic constant next to a typed operand would need context; cast it.
            let t = random_fmt(rng, 12);
            let raw: i64 = rng.random_range(-64..64);
            let c = V {
                raw: BigInt::from(raw),
                frac: 3,
            };
            let text = format!("({} as {})", fmt_const(raw, 3), t.text());
            // quantising an exact dyadic value: round half away from zero, must fit
            let q = quantise(&c, t);
            return match q {
                Some(v) => (text, v),
                None => {
                    let (n, v) = &env[0];
                    (n.clone(), v.clone())
                }
            };
        }
        let (n, v) = &env[rng.random_range(0..env.len())];
        return (n.clone(), v.clone());
    }
    let (ta, va) = random_expr(rng, depth - 1, env);
    match rng.random_range(0..10) {
        0..=2 => {
            let (tb, vb) = random_expr(rng, depth - 1, env);
            let (x, y, f) = align(&va, &vb);
            match rng.random_range(0..3) {
                0 => (
                    format!("({ta} + {tb})"),
                    V {
                        raw: x + y,
                        frac: f,
                    },
                ),
                1 => (
                    format!("({ta} - {tb})"),
                    V {
                        raw: x - y,
                        frac: f,
                    },
                ),
                _ => (
                    format!("({ta} * {tb})"),
                    V {
                        raw: &va.raw * &vb.raw,
                        frac: va.frac + vb.frac,
                    },
                ),
            }
        }
        3 => {
            let (tb, vb) = random_expr(rng, depth - 1, env);
            let (x, y, f) = align(&va, &vb);
            if rng.random_range(0..2) == 0 {
                (
                    format!("min({ta}, {tb})"),
                    V {
                        raw: x.min(y),
                        frac: f,
                    },
                )
            } else {
                (
                    format!("max({ta}, {tb})"),
                    V {
                        raw: x.max(y),
                        frac: f,
                    },
                )
            }
        }
        4 => (
            format!("(-{ta})"),
            V {
                raw: -va.raw,
                frac: va.frac,
            },
        ),
        5 => (
            format!("abs({ta})"),
            V {
                raw: va.raw.abs(),
                frac: va.frac,
            },
        ),
        6 => {
            let k = rng.random_range(0..6u32);
            if rng.random_range(0..2) == 0 {
                (
                    format!("({ta} >> {k})"),
                    V {
                        raw: va.raw.div_floor(&(BigInt::one() << k)),
                        frac: va.frac,
                    },
                )
            } else {
                (
                    format!("({ta} << {k})"),
                    V {
                        raw: &va.raw << k,
                        frac: va.frac,
                    },
                )
            }
        }
        7 => {
            let t = random_fmt(rng, 40);
            (format!("({ta} as {})", t.text()), convert(&va, t))
        }
        8 => {
            let (tb, vb) = random_expr(rng, depth - 1, env);
            let (tc, vc) = random_expr(rng, depth - 1, env);
            let (x, y, _) = align(&va, &vb);
            // the if's format has the larger frac of its arms (README §4)
            let f = vc.frac.max(va.frac);
            let chosen = if x < y { vc } else { va };
            let v = V {
                raw: &chosen.raw << (f - chosen.frac),
                frac: f,
            };
            (format!("(if {ta} < {tb} {{ {tc} }} else {{ {ta} }})"), v)
        }
        _ => {
            let s = match va.raw.sign() {
                num_bigint::Sign::Minus => -1,
                num_bigint::Sign::NoSign => 0,
                num_bigint::Sign::Plus => 1,
            };
            (
                format!("sign({ta})"),
                V {
                    raw: BigInt::from(s),
                    frac: 0,
                },
            )
        }
    }
}

fn fmt_const(raw: i64, frac: u32) -> String {
    let v = raw as f64 / f64::from(1u32 << frac);
    format!("{v}")
}

fn quantise(v: &V, t: Fmt) -> Option<V> {
    // v is exact at frac v.frac; quantise to t.frac rounding half away from zero
    let raw = if t.frac >= v.frac {
        &v.raw << (t.frac - v.frac)
    } else {
        let d = BigInt::one() << (v.frac - t.frac);
        let half = &d >> 1u32;
        let mag = (v.raw.abs() + half).div_floor(&d);
        if v.raw.is_negative() { -mag } else { mag }
    };
    let (lo, hi) = if t.signed {
        (
            -(BigInt::one() << (t.width - 1)),
            (BigInt::one() << (t.width - 1)) - 1,
        )
    } else {
        (BigInt::zero(), (BigInt::one() << t.width) - 1)
    };
    (raw >= lo && raw <= hi).then_some(V { raw, frac: t.frac })
}

fn random_input(rng: &mut ChaCha12Rng, t: Fmt) -> (u128, V) {
    let bits: u128 = rng.random::<u128>() & ((1u128 << t.width) - 1); // widths here are < 128
    let edge = rng.random_range(0..4);
    let bits = match edge {
        0 => 0,
        1 => (1u128 << t.width) - 1, // all ones: −1 or max
        2 => 1u128 << (t.width - 1), // sign bit alone: most negative
        _ => bits,
    };
    let mut raw = BigInt::from(bits);
    if t.signed && (bits >> (t.width - 1)) & 1 == 1 {
        raw -= BigInt::one() << t.width;
    }
    (bits, V { raw, frac: t.frac })
}

#[test]
fn interpreter_matches_unbounded_reference() {
    let mut rng = ChaCha12Rng::seed_from_u64(2026);
    let (mut compared, mut too_wide) = (0, 0);
    for case in 0..4000 {
        // every other case uses wide inputs, up to 120 bits (the 128-bit edge of the
        // interpreter's arithmetic)
        let max_in = if case % 2 == 0 { 48 } else { 120 };
        let ta = random_fmt(&mut rng, max_in);
        let tb = random_fmt(&mut rng, max_in);
        let (ra, va) = random_input(&mut rng, ta);
        let (rb, vb) = random_input(&mut rng, tb);
        let env = vec![("a".to_string(), va), ("b".to_string(), vb)];
        let (expr, want) = random_expr(&mut rng, 3, &env);
        let tout = random_fmt(&mut rng, 127);
        let src = format!(
            "input garbler a: {};\ninput evaluator b: {};\noutput y: {} = {expr};\n",
            ta.text(),
            tb.text(),
            tout.text()
        );
        let program = match dsl::check(&src, "diff.dsl") {
            Ok(p) => p,
            Err(d) => {
                let text = d.render();
                assert!(
                    text.contains("more than the maximum of 128") || text.contains("more than 128"),
                    "case {case}: unexpected rejection\n{src}\n{text}"
                );
                too_wide += 1;
                continue;
            }
        };
        let out = dsl::interpret(&program, &[ra, rb]).expect("runs")[0];
        let got = program.outputs[0].ty.num().expect("numeric").to_bigint(out);
        let want = convert(&want, tout);
        assert_eq!(got, want.raw, "case {case}:\n{src}");
        compared += 1;
    }
    assert!(compared > 1500, "compared {compared}, too wide {too_wide}");
}

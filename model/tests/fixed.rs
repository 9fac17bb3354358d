//! The fixed-point denoiser (activation through the DSL program's table) against a
//! straightforward re-implementation with the piecewise-quadratic formulas of tanh* and
//! tanh_fit written out in Rust (their truncated products partial product by partial
//! product), and the bounds.

use gcc_nn_model::denoise::{FloatActivation, denoise_fixed, denoise_float, quantised_patches};
use gcc_nn_model::fixed::{FIXED, FixedActivation, FixedMlp};
use gcc_nn_model::metrics::{add_noise, psnr};
use gcc_nn_model::mlp::{Dense, Mlp};
use gcc_nn_model::pixel::patch_values;
use gcc_nn_model::{GrayImage, ModelError};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;

fn random_model(rng: &mut ChaCha12Rng, input: usize, output: usize, hidden: &[usize]) -> Mlp {
    let mut widths = vec![input * input];
    widths.extend(hidden);
    widths.push(output * output);
    let layers = widths
        .windows(2)
        .map(|p| Dense {
            inputs: p[0],
            outputs: p[1],
            weights: (0..p[0] * p[1])
                .map(|_| rng.random_range(-0.6f32..0.6))
                .collect(),
            bias: (0..p[1]).map(|_| rng.random_range(-0.5f32..0.5)).collect(),
        })
        .collect();
    Mlp::new(input, output, output, 25.0, layers).expect("valid model")
}

/// The reference written out longhand with plain `i128` and the DSL rules:
/// round half away from zero, floor shifts, exact comparisons.
fn longhand(m: &Mlp, patch: &[f64], fit: bool) -> Vec<i64> {
    let q = |v: f64, f: u32| (v * 2f64.powi(f as i32)).round() as i128;
    let mut a: Vec<i128> = patch.iter().map(|&p| q(p.clamp(-8.0, 8.0), 12)).collect();
    for (li, l) in m.layers.iter().enumerate() {
        let mut next = Vec::new();
        for o in 0..l.outputs {
            let mut z = q(f64::from(l.bias[o]), 24);
            for (i, ai) in a.iter().enumerate() {
                z += q(f64::from(l.weights[o * l.inputs + i]), 12) * ai;
            }
            assert!(z.abs() < 1 << 39);
            if li + 1 == m.layers.len() {
                next.push(z);
                continue;
            }
            next.push(longhand_act(z >> 12, fit)); // floor, then f
        }
        a = next;
    }
    a.into_iter().map(|v| v as i64).collect()
}

/// tanh* (`fit` false) or tanh_fit on a raw `fixed<16, 12>` x (saturated first), longhand.
fn longhand_act(x: i128, fit: bool) -> i128 {
    let q = |v: f64, f: u32| (v * 2f64.powi(f as i32)).round() as i128;
    let x = x.clamp(-(1 << 15), (1 << 15) - 1);
    let ax = x.abs();
    let t = ax % (1 << 14);
    let pieces: &[(f64, f64, f64, f64)] = if fit {
        &[
            (0.734375, -0.2657470703125, 1.05126953125, 0.0),
            (1.703125, -0.24951171875, 0.922119140625, 0.0860932),
            (3.40625, -0.0302734375, 0.18756103515625, 0.7071761),
        ]
    } else {
        &[
            (1.52, -0.2716, 1.0, 0.016),
            (2.57, -0.0848, 0.42654, 0.4519),
        ]
    };
    let mut y = 4096i128;
    for &(upper, mm, c, d) in pieces {
        if (ax as f64) / 4096.0 <= upper {
            y = if fit {
                // Truncated products (dsl/README.md §4): t² kept to 2^-15 and floored to
                // 13 bits, the coefficient products kept to 2^-14 (t2 counts 17 digits, t 14).
                let t2 = (square_trunc(t, 14, 9) >> 2) % (1 << 17);
                let s = times_trunc(q(mm, 14), t2, 13, 17)
                    + times_trunc(q(c, 14), t, 12, 14)
                    + q(d + 1.0 / 8192.0, 14);
                s >> 2
            } else {
                // tanh*: t² and the coefficient products kept to 2^-14 (cut 10, 14, 12).
                let t2 = square_trunc(t, 14, 10);
                let p = times_trunc(q(mm, 14), t2, 14, 20) + times_trunc(q(c, 14), t, 12, 14);
                if upper < 2.0 {
                    ((p << 13) + q(d + 1.0 / 8192.0, 27)) >> 15 // d1 at the sum's 27 bits
                } else {
                    (p + q(d + 1.0 / 8192.0, 14)) >> 2
                }
            };
            break;
        }
    }
    x.signum() * y
}

/// Non-adjacent form of `c`, least significant digit first.
fn naf(mut c: i128) -> Vec<i128> {
    let mut d = Vec::new();
    while c != 0 {
        let k = if c & 1 == 1 { 2 - c.rem_euclid(4) } else { 0 };
        d.push(k);
        c = (c - k) >> 1;
    }
    d
}

/// A constant times an unsigned `n`-digit v, partial products below digit `cut` of the exact
/// product dropped, plus the centring constant.
fn times_trunc(c: i128, v: i128, cut: u32, n: u32) -> i128 {
    let (mut kept, mut dmax, mut dmin) = (0, 0, 0);
    for (k, &d) in naf(c).iter().enumerate() {
        let k = k as u32;
        for j in 0..n {
            let w = (1i128 << (k + j)) * d;
            if k + j >= cut {
                kept += w * ((v >> j) & 1);
            } else if d > 0 {
                dmax += w;
            } else {
                dmin -= w;
            }
        }
    }
    (kept >> cut) + ((dmax - dmin + (1 << cut)) >> (cut + 1))
}

/// The square of an unsigned `n`-digit t, partial products below digit `cut` dropped.
fn square_trunc(t: i128, n: u32, cut: u32) -> i128 {
    let (mut kept, mut dmax) = (0, 0);
    for i in 0..n {
        for j in 0..n {
            if i + j >= cut {
                kept += (((t >> i) & 1) * ((t >> j) & 1)) << (i + j);
            } else {
                dmax += 1i128 << (i + j);
            }
        }
    }
    (kept >> cut) + ((dmax + (1 << cut)) >> (cut + 1))
}

#[test]
fn shipped_tanh_tables_equal_the_longhand_formulas_on_every_input() {
    for (name, fit) in [("tanh", false), ("tanh_fit", true)] {
        let a = act(name);
        for x in -(1i64 << 15)..(1i64 << 15) {
            assert_eq!(
                i128::from(a.eval(x)),
                longhand_act(x.into(), fit),
                "{name} at raw {x}"
            );
        }
    }
}

#[test]
fn fixed_forward_equals_longhand_on_random_small_models() {
    let mut rng = ChaCha12Rng::seed_from_u64(11);
    let (star, fit) = (act("tanh"), act("tanh_fit"));
    for trial in 0..12 {
        let hidden: Vec<usize> = (0..1 + trial % 3)
            .map(|_| rng.random_range(2..12))
            .collect();
        let m = random_model(&mut rng, 5, 3, &hidden);
        for (act, fit) in [(&star, false), (&fit, true)] {
            let f = FixedMlp::from_model_evaluated(&m, FIXED, act.clone()).expect("in range");
            for _ in 0..40 {
                let patch: Vec<f64> = (0..25).map(|_| rng.random_range(-9.0..9.0)).collect();
                let input: Vec<i64> = patch.iter().map(|&p| FIXED.quantise_input(p)).collect();
                assert_eq!(
                    f.forward(&input).0,
                    longhand(&m, &patch, fit),
                    "trial {trial}"
                );
            }
        }
    }
}

#[test]
fn fixed_denoiser_is_close_to_float_and_maps_pixels_exactly() {
    let mut rng = ChaCha12Rng::seed_from_u64(5);
    let m = random_model(&mut rng, 7, 3, &[6]);
    let px: Vec<f64> = (0..24 * 20).map(|i| ((i * 13) % 256) as f64).collect();
    let img = GrayImage::new(24, 20, px).expect("valid");
    let f = FixedMlp::from_model_evaluated(&m, FIXED, act("tanh_fit")).expect("ok");
    let (fixed, _) = denoise_fixed(&f, &img, 3).expect("ok");
    let float = denoise_float(&m, &img, 3, FloatActivation::Table(act("tanh_fit"))).expect("ok");
    // the fixed-point image is the 8-bit one: compare with the float image rounded and clamped
    assert!(psnr(&float.quantized(), &fixed).expect("ok") > 45.0);
    // Output values: centre·2^Fw + q at scale 2^24 (the centre starts at row 2, column 2).
    let (inputs, _) = quantised_patches(&f, &img, 3).expect("ok");
    let q: Vec<i64> = (0..9).map(|i| (i + 1) << 24).collect();
    let v = patch_values(&f.params, f.geometry(3).expect("g"), &inputs[0], &q);
    assert_eq!(v[0], (inputs[0][2 * 7 + 2] << 12) + (1 << 24));
    assert_eq!(v[8], (inputs[0][4 * 7 + 4] << 12) + (9 << 24));
}

#[test]
fn a_model_whose_bound_exceeds_the_ring_is_refused() {
    let mut rng = ChaCha12Rng::seed_from_u64(3);
    let mut m = random_model(&mut rng, 5, 3, &[4]);
    m.layers[0].weights[0] = 3.0e6;
    let err = FixedMlp::from_model_evaluated(&m, FIXED, act("tanh")).expect_err("overflow");
    assert!(matches!(err, ModelError::FixedOverflow(_)), "{err}");
}

#[test]
fn shipped_model_stays_inside_the_fixed_point_bounds() {
    let m = gcc_nn_model::shipped::model().expect("shipped model loads");
    let f =
        FixedMlp::from_model_evaluated(&m, FIXED, act("tanh_fit")).expect("bound below 2^(K-1)");
    let bounds = f.z_bounds();
    let worst = *bounds.iter().max().expect("layers");
    assert!(
        worst < 1 << (FIXED.ring_bits - 1),
        "worst-case bound {worst}"
    );
    let clean = gcc_nn_model::shipped::sample_image().expect("sample");
    let noisy = add_noise(&clean, 25.0, 1);
    let (_, max_z) = denoise_fixed(&f, &noisy, m.stride).expect("ok");
    assert!(max_z > 1 << 20, "real images do use the range: {max_z}");
    assert!(max_z <= worst, "{max_z} above the derived bound {worst}");
}

#[test]
fn activation_format_matches_the_dsl() {
    assert_eq!(FIXED.fa, activation::FA);
    assert_eq!(FIXED.z_frac(), 24);
    let (star, fit, relu) = (act("tanh"), act("tanh_fit"), act("relu"));
    // Floor then saturate: −1 raw at scale 24 is −1 at scale 12 after the floor (tanh*(x)
    // = x·(1 − 0.2716·|x|) + 0.016 near 0: −1 raw → −(0.016·4096 + 1 = 66.5, rounded by the
    // truncated products' centring to 66); the independent model says the same,
    // tests/fixtures/dsl/tanh_kat.py).
    assert_eq!(FIXED.act_fixed(-1, &star), star.eval(-1));
    assert_eq!(star.eval(-1), -66);
    assert_eq!(FIXED.act_fixed(1 << 38, &fit), 4096);
    assert_eq!(FIXED.act_fixed(-(1 << 38), &fit), -4096);
    // ReLU saturates at the format's top (8 − 2^−12) and its range is public.
    assert_eq!(FIXED.act_fixed(1 << 38, &relu), (1 << 15) - 1);
    assert_eq!(FIXED.act_fixed(5 << 24, &relu), 5 << 12);
    assert_eq!(FIXED.act_fixed(-(5 << 24), &relu), 0);
    assert_eq!(
        (star.max_abs(), fit.max_abs(), relu.max_abs()),
        (4096, 4096, (1 << 15) - 1)
    );
}

#[test]
fn z_bounds_use_the_activation_range() {
    // One hidden unit, weight 1.0 into the output: the output bound is A·2^12 + |b|.
    let layers = vec![
        Dense {
            inputs: 1,
            outputs: 1,
            weights: vec![1.0],
            bias: vec![0.0],
        },
        Dense {
            inputs: 1,
            outputs: 1,
            weights: vec![1.0],
            bias: vec![0.0],
        },
    ];
    let m = Mlp::new(1, 1, 1, 25.0, layers).expect("model");
    let tanh = FixedMlp::from_model_evaluated(&m, FIXED, act("tanh_fit")).expect("fixed");
    let relu = FixedMlp::from_model_evaluated(&m, FIXED, act("relu")).expect("fixed");
    assert_eq!(tanh.z_bounds(), vec![8 << 24, 1 << 24]);
    assert_eq!(relu.z_bounds(), vec![8 << 24, ((1 << 15) - 1) << 12]);
}

fn act(name: &str) -> FixedActivation {
    FixedActivation::shipped(name).expect("shipped activation")
}

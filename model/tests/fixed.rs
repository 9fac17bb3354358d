//! The fixed-point denoiser against a straightforward re-implementation, and the bounds.

use gcc_nn_model::activation::{TANH_FIT, TANH_STAR};
use gcc_nn_model::denoise::{FloatActivation, denoise_fixed, denoise_float, quantised_patches};
use gcc_nn_model::fixed::{FIXED, FixedMlp};
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
            let x = z >> 12; // floor
            let ax = x.abs();
            let t = ax % (1 << 14);
            let t2 = ((t * t) >> 11) % (1 << 17);
            let pieces: &[(f64, f64, f64, f64)] = if fit {
                &[
                    (0.75, -0.2691298, 1.0527644, 0.0),
                    (1.71875, -0.2450828, 0.9113469, 0.0924159),
                    (3.5, -0.0282999, 0.1782786, 0.7178868),
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
                    let s = q(mm, 14) * t2 + 2 * q(c, 14) * t + q(d + 1.0 / 8192.0, 27);
                    y = s >> 15;
                    break;
                }
            }
            next.push(x.signum() * y);
        }
        a = next;
    }
    a.into_iter().map(|v| v as i64).collect()
}

#[test]
fn fixed_forward_equals_longhand_on_random_small_models() {
    let mut rng = ChaCha12Rng::seed_from_u64(11);
    for trial in 0..12 {
        let hidden: Vec<usize> = (0..1 + trial % 3)
            .map(|_| rng.random_range(2..12))
            .collect();
        let m = random_model(&mut rng, 5, 3, &hidden);
        for (act, fit) in [(TANH_STAR, false), (TANH_FIT, true)] {
            let f = FixedMlp::from_model(&m, FIXED, act).expect("in range");
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
    let f = FixedMlp::from_model(&m, FIXED, TANH_FIT).expect("ok");
    let (fixed, _) = denoise_fixed(&f, &img, 3).expect("ok");
    let float = denoise_float(&m, &img, 3, FloatActivation::Approx(TANH_FIT)).expect("ok");
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
    let err = FixedMlp::from_model(&m, FIXED, TANH_STAR).expect_err("overflow");
    assert!(matches!(err, ModelError::FixedOverflow(_)), "{err}");
}

#[test]
fn shipped_model_stays_inside_the_fixed_point_bounds() {
    let m = gcc_nn_model::shipped::model().expect("shipped model loads");
    let f = FixedMlp::from_model(&m, FIXED, TANH_FIT).expect("bound below 2^(K-1)");
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
    assert_eq!(FIXED.fa, gcc_nn_model::activation::ACT_FRAC);
    assert_eq!(FIXED.z_frac(), 24);
    // Floor then saturate: −1 raw at scale 24 is −1 at scale 12 after the floor.
    assert_eq!(FIXED.act_fixed(-1, &TANH_STAR), TANH_STAR.eval_fixed(-1));
    assert_eq!(FIXED.act_fixed(1 << 38, &TANH_FIT), 4096);
    assert_eq!(FIXED.act_fixed(-(1 << 38), &TANH_FIT), -4096);
}

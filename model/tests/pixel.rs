//! The integer output mapping (`model::pixel`) against the floating-point path it replaced
//! (per-patch `denormalise`, overlap averaging in `f64`, round and clamp): equal on real
//! images except where the exact value is a tie (x.5 up to rounding error of the float path),
//! and the formula itself at hand-checked points.

use activation::Activation;
use gcc_nn_model::denoise::{denoise_fixed, quantised_patches};
use gcc_nn_model::fixed::{FIXED, FixedMlp};
use gcc_nn_model::metrics::{add_noise, psnr};
use gcc_nn_model::patches::{ImageLayout, centre, denormalise, merge};
use gcc_nn_model::pixel::{image_pixels, patch_values, pixel};

const F: u32 = 24;

#[test]
fn pixel_formula_at_hand_checked_points() {
    let one = 1i64 << F; // y = 1.0 over one patch: (0.2 + 0.5)·255 = 178.5 → 179
    assert_eq!(pixel(one, 1, &FIXED), 179);
    assert_eq!(pixel(0, 1, &FIXED), 128); // 127.5 rounds half away → 128
    assert_eq!(pixel(-1, 1, &FIXED), 127); // just below 127.5
    assert_eq!(pixel(2 * one, 2, &FIXED), 179); // the same value averaged over 2 patches
    assert_eq!(pixel(-(5 << F) / 2, 1, &FIXED), 0); // y = −2.5: exactly 0
    assert_eq!(pixel(-(3 << F), 1, &FIXED), 0); // clamped
    assert_eq!(pixel((5 << F) / 2, 1, &FIXED), 255); // y = 2.5: exactly 255
    assert_eq!(pixel(1 << 38, 3, &FIXED), 255); // clamped
    // 51·S/(n·2^F) + 127.5 = k + 0.5 exactly: rounds up.
    // 51·2^F/(3·2^F) = 17: 127.5 + 17 = 144.5 → 145, one below → 144.
    assert_eq!(pixel(one, 3, &FIXED), 145);
    assert_eq!(pixel(one - 1, 3, &FIXED), 144);
}

/// The float path of the previous code, kept here as the comparison.
fn float_pixels(f: &FixedMlp, noisy: &gcc_nn_model::GrayImage, stride: usize) -> Vec<u8> {
    let (inputs, patches) = quantised_patches(f, noisy, stride).expect("patches");
    let g = f.geometry(stride).expect("geometry");
    let scale = (1u64 << F) as f64;
    let outputs: Vec<f64> = inputs
        .iter()
        .flat_map(|p| {
            let q = f.forward(p).0;
            let as_f64: Vec<f64> = p.iter().map(|&v| v as f64).collect();
            let g1 = gcc_nn_model::PatchGeometry { stride: 1, ..g };
            centre(&as_f64, g1)
                .into_iter()
                .zip(q)
                .map(|(c, q)| denormalise(((c as i64) * (1 << FIXED.fw) + q) as f64 / scale))
                .collect::<Vec<_>>()
        })
        .collect();
    merge(&outputs, &patches, noisy.width(), noisy.height())
        .expect("merge")
        .to_u8()
}

/// Compares the two paths; a difference must be one step at an exact tie (distance of the
/// exact value to k + 1/2 below 1e-9). Returns the number of ties met.
fn compare(f: &FixedMlp, noisy: &gcc_nn_model::GrayImage, stride: usize) -> usize {
    let old = float_pixels(f, noisy, stride);
    let (new_img, _) = denoise_fixed(f, noisy, stride).expect("denoise");
    let new = new_img.to_u8();
    assert_eq!(
        new_img,
        new_img.quantized(),
        "the reference image is integral"
    );
    let layout = ImageLayout::new(
        noisy.width(),
        noisy.height(),
        f.geometry(stride).expect("g"),
    )
    .expect("layout");
    let (inputs, _) = quantised_patches(f, noisy, stride).expect("patches");
    let mut sums = vec![0i128; layout.pixel_count()];
    let values = inputs
        .iter()
        .flat_map(|p| patch_values(&FIXED, layout.geometry, p, &f.forward(p).0));
    for (v, idx) in values.zip(layout.pixel_indices()) {
        sums[idx] += i128::from(v);
    }
    let mut ties = 0;
    for (i, ((&a, &b), (&s, n))) in old
        .iter()
        .zip(&new)
        .zip(sums.iter().zip(layout.coverage()))
        .enumerate()
    {
        assert!(s.abs() < 1 << 34, "pixel {i}: sum {s} far inside the ring");
        if a != b {
            // exact value x = A / (2·n·2^F), A = 102·S + 255·n·2^F
            let d = i128::from(n) << F;
            let a_num = 102 * s + 255 * d;
            let k = a_num.div_euclid(2 * d); // ⌊x⌋
            let off = (a_num - (2 * k + 1) * d).abs(); // |x − (k + 1/2)|·2d
            assert!(
                off * 1_000_000_000 <= 2 * d && a.abs_diff(b) == 1,
                "pixel {i}: float {a}, integer {b}, not a tie (S = {s}, n = {n})"
            );
            ties += 1;
        }
    }
    ties
}

#[test]
fn integer_mapping_equals_the_float_path_on_real_images() {
    let m = gcc_nn_model::shipped::model().expect("shipped model");
    let f = FixedMlp::from_model(&m, FIXED, tanh_fit()).expect("fixed");
    let clean = gcc_nn_model::shipped::sample_image().expect("sample");
    let noisy = add_noise(&clean, 25.0, 1);
    let ties = compare(&f, &noisy, m.stride);
    assert!(ties <= 3, "{ties} ties on the full image");
    // Stride 3 overlaps patches up to 9 times (odd divisors too), on a crop.
    let crop = noisy.crop(40, 60, 96, 80).expect("crop");
    let ties = compare(&f, &crop, 3);
    assert!(ties <= 3, "{ties} ties at stride 3");
    // Stride 1: up to 36 patches per pixel.
    let small = noisy.crop(100, 100, 40, 32).expect("crop");
    compare(&f, &small, 1);
}

#[test]
fn psnr_of_the_integer_reference_matches_the_float_path() {
    let m = gcc_nn_model::shipped::model().expect("shipped model");
    let f = FixedMlp::from_model(&m, FIXED, tanh_fit()).expect("fixed");
    let clean = gcc_nn_model::shipped::sample_image().expect("sample");
    let noisy = add_noise(&clean, 25.0, 1);
    let (img, _) = denoise_fixed(&f, &noisy, m.stride).expect("denoise");
    let old = float_pixels(&f, &noisy, m.stride);
    let old = gcc_nn_model::GrayImage::new(256, 256, old.into_iter().map(f64::from).collect())
        .expect("image");
    let (p_new, p_old) = (
        psnr(&clean, &img).expect("psnr"),
        psnr(&clean, &old).expect("psnr"),
    );
    assert!((p_new - p_old).abs() < 0.005, "{p_new:.3} vs {p_old:.3} dB");
    assert!(p_new > 29.0, "{p_new:.2} dB");
}

#[test]
fn image_pixels_rejects_mismatched_shapes() {
    let m = gcc_nn_model::shipped::model().expect("shipped model");
    let f = FixedMlp::from_model(&m, FIXED, tanh_fit()).expect("fixed");
    let layout = ImageLayout::new(20, 20, f.geometry(5).expect("g")).expect("layout");
    let inputs = vec![vec![0i64; 169]; layout.patch_count()];
    let outputs = vec![vec![0i64; 25]; layout.patch_count() - 1];
    let err = image_pixels(&FIXED, &layout, &inputs, &outputs).expect_err("shape");
    assert!(err.to_string().contains("patches"), "{err}");
}

fn tanh_fit() -> Activation {
    Activation::shipped("tanh_fit").expect("shipped activation")
}

//! PSNR, SSIM and noise conventions (docs/model.md): additive white Gaussian noise, σ on
//! the [0, 255] scale, neither clipped nor rounded; PSNR with peak 255 in floating point.

use gcc_nn_model::metrics::{add_noise, psnr, psnr_u8, ssim};
use gcc_nn_model::{GrayImage, ModelError};
use std::path::Path;

fn flat(v: f64, w: usize, h: usize) -> GrayImage {
    GrayImage::new(w, h, vec![v; w * h]).expect("valid")
}

#[test]
fn psnr_known_cases() {
    let a = flat(100.0, 8, 8);
    // Every pixel off by 1: MSE 1 → 20·log10(255) = 48.1308 dB.
    assert!((psnr(&a, &flat(101.0, 8, 8)).expect("ok") - 48.130_803_6).abs() < 1e-6);
    // Off by 255/10: MSE = 25.5² → exactly 20 dB.
    assert!((psnr(&a, &flat(125.5, 8, 8)).expect("ok") - 20.0).abs() < 1e-9);
    assert!(psnr(&a, &a).expect("ok").is_infinite());
    // Half the pixels off by 2: MSE 2 → 48.1308 − 3.0103 dB.
    let mut px = vec![100.0; 64];
    px[..32].iter_mut().for_each(|v| *v = 102.0);
    let b = GrayImage::new(8, 8, px).expect("valid");
    assert!((psnr(&a, &b).expect("ok") - 45.120_503_6).abs() < 1e-6);
    // Rounded to 8 bits first: 100.4 → 100.
    assert!(psnr_u8(&a, &flat(100.4, 8, 8)).expect("ok").is_infinite());
}

#[test]
fn psnr_of_different_sizes_is_an_error() {
    let e = psnr(&flat(0.0, 8, 8), &flat(0.0, 8, 9)).expect_err("mismatch");
    assert!(matches!(e, ModelError::SizeMismatch { .. }));
}

#[test]
fn ssim_known_cases() {
    let px: Vec<f64> = (0..32 * 32).map(|i| ((i * 7919) % 256) as f64).collect();
    let a = GrayImage::new(32, 32, px.clone()).expect("valid");
    assert!((ssim(&a, &a).expect("ok") - 1.0).abs() < 1e-12);
    let noisy = add_noise(&a, 40.0, 3);
    let s = ssim(&a, &noisy).expect("ok");
    assert!(s < 0.9 && s > 0.0, "ssim {s}");
}

#[test]
fn noise_is_seeded_unclipped_and_has_the_right_sigma() {
    let a = flat(250.0, 128, 128);
    let n1 = add_noise(&a, 25.0, 42);
    assert_eq!(n1, add_noise(&a, 25.0, 42));
    assert_ne!(n1, add_noise(&a, 25.0, 43));
    assert!(
        n1.pixels().iter().any(|&v| v > 255.0),
        "noise must not be clipped"
    );
    assert!(
        n1.pixels().iter().any(|&v| v.fract() != 0.0),
        "noise must not be rounded"
    );
    let var =
        n1.pixels().iter().map(|v| (v - 250.0).powi(2)).sum::<f64>() / n1.pixels().len() as f64;
    assert!((var.sqrt() - 25.0).abs() < 0.4, "std {}", var.sqrt());
}

#[test]
fn noisy_camera_at_sigma_25_has_the_unclipped_psnr() {
    // Unclipped noise of σ = 25 gives MSE ≈ 625 whatever the image: 20·log10(255/25) =
    // 20.17 dB (the reference paper's noisy Lena is 20.16 dB). Clipping to 0..=255 would
    // lower the MSE on an image with dark and bright regions such as camera.png.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cc0/camera.png");
    let camera = GrayImage::load(&path).expect("vendored CC0 test image");
    assert_eq!((camera.width(), camera.height()), (512, 512));
    let expected = 20.0 * (255.0f64 / 25.0).log10();
    for seed in 0..3 {
        let noisy = add_noise(&camera, 25.0, seed);
        let p = psnr(&camera, &noisy).expect("ok");
        assert!((p - expected).abs() < 0.05, "seed {seed}: {p} dB");
        // Negative control: the clipped variant is measurably further from 20.17 dB.
        let clipped = GrayImage::new(
            512,
            512,
            noisy.pixels().iter().map(|v| v.clamp(0.0, 255.0)).collect(),
        )
        .expect("valid");
        let pc = psnr(&camera, &clipped).expect("ok");
        assert!(pc - expected > 0.1, "seed {seed}: clipped {pc} dB");
    }
}

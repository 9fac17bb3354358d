//! The shipped model and sample image, and clear errors on bad input.

use activation::Activation;
use gcc_nn_model::denoise::denoise_fixed;
use gcc_nn_model::fixed::{FIXED, FixedMlp};
use gcc_nn_model::metrics::{add_noise, psnr};
use gcc_nn_model::mlp::Dense;
use gcc_nn_model::{GrayImage, Mlp, ModelError};
use std::path::Path;

#[test]
fn shipped_model_denoises_the_sample_well_above_the_noisy_psnr() {
    let m = gcc_nn_model::shipped::model().expect("loads");
    assert_eq!(m.widths(), vec![169, 128, 128, 25]);
    let clean = gcc_nn_model::shipped::sample_image().expect("sample");
    assert_eq!((clean.width(), clean.height()), (256, 256));
    let noisy = add_noise(&clean, 25.0, 1);
    let f = FixedMlp::from_model(&m, FIXED, tanh_fit()).expect("ok");
    let (out, _) = denoise_fixed(&f, &noisy, m.stride).expect("ok");
    let (pn, pd) = (
        psnr(&clean, &noisy).expect("ok"),
        psnr(&clean, &out).expect("ok"),
    );
    assert!(pd >= pn + 4.0, "noisy {pn:.2} dB, denoised {pd:.2} dB");
}

#[test]
fn model_file_round_trips() {
    let m = gcc_nn_model::shipped::model().expect("loads");
    let bytes = m.to_bytes();
    assert_eq!(Mlp::from_bytes(&bytes, "copy").expect("parses"), m);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("m.gccmlp");
    m.save(&p).expect("save");
    assert_eq!(Mlp::load(&p).expect("load"), m);
}

#[test]
fn corrupt_truncated_or_foreign_model_files_are_clear_errors() {
    let bytes = gcc_nn_model::shipped::model().expect("loads").to_bytes();
    let mut flipped = bytes.clone();
    flipped[1000] ^= 0x40;
    let e = Mlp::from_bytes(&flipped, "flipped").expect_err("corrupt");
    assert!(e.to_string().contains("checksum mismatch"), "{e}");
    let e = Mlp::from_bytes(&bytes[..bytes.len() - 100], "short").expect_err("truncated");
    assert!(matches!(e, ModelError::BadModelFile { .. }), "{e}");
    let e = Mlp::from_bytes(
        b"\x89PNG\r\n\x1a\n not a model at all, just some bytes here",
        "png",
    )
    .expect_err("foreign");
    assert!(e.to_string().contains("not a gcc-nn model"), "{e}");
    let mut v4 = bytes.clone();
    v4[8] = 4;
    let e = Mlp::from_bytes(&v4, "v4").expect_err("version");
    assert!(e.to_string().contains("format version 4"), "{e}");
    // The format before the envelope (version 1, no length field): a clear error.
    let mut v1 = bytes.clone();
    v1[8] = 1;
    let e = Mlp::from_bytes(&v1, "v1").expect_err("version 1");
    assert!(
        e.to_string()
            .contains("written by an older gcc-nn (format version 1"),
        "{e}"
    );
    let e = Mlp::load(Path::new("/nonexistent/model.gccmlp")).expect_err("missing");
    assert!(matches!(e, ModelError::Io { .. }));
}

#[test]
fn mismatched_model_and_patch_sizes_are_clear_errors() {
    let layer = |i: usize, o: usize| Dense {
        inputs: i,
        outputs: o,
        weights: vec![0.0; i * o],
        bias: vec![0.0; o],
    };
    let e = Mlp::new(13, 5, 5, 25.0, vec![layer(121, 8), layer(8, 25)]).expect_err("input");
    assert!(e.to_string().contains("13x13 input patch has 169"), "{e}");
    let e = Mlp::new(13, 5, 5, 25.0, vec![layer(169, 8), layer(8, 49)]).expect_err("output");
    assert!(e.to_string().contains("5x5 output patch needs 25"), "{e}");
    let e = Mlp::new(13, 5, 5, 25.0, vec![layer(169, 8), layer(9, 25)]).expect_err("chain");
    assert!(
        e.to_string()
            .contains("layer 1 has 8 outputs but layer 2 takes 9"),
        "{e}"
    );
}

#[test]
fn unknown_files_and_too_small_images_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.png");
    std::fs::write(&junk, b"not a png").expect("write");
    let e = GrayImage::load(&junk).expect_err("junk");
    assert!(
        matches!(e, ModelError::UnsupportedImageFormat { .. }),
        "{e}"
    );
    assert!(
        e.to_string().ends_with(
            "junk.png: unrecognised data: supported image formats are PNG, JPEG, TIFF and PGM/PPM"
        ),
        "{e}"
    );
    let small = GrayImage::new(10, 40, vec![0.0; 400]).expect("valid");
    let m = gcc_nn_model::shipped::model().expect("loads");
    let f = FixedMlp::from_model(&m, FIXED, tanh_fit()).expect("ok");
    let e = denoise_fixed(&f, &small, 5).expect_err("small");
    assert!(
        e.to_string()
            .contains("image is 10x40, smaller than the 13x13 input patch"),
        "{e}"
    );
    assert!(matches!(
        GrayImage::new(3, 3, vec![0.0; 8]),
        Err(ModelError::BadPixelBuffer { .. })
    ));
}

fn tanh_fit() -> Activation {
    Activation::shipped("tanh_fit").expect("shipped activation")
}

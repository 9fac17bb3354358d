//! Training on a small synthetic image: repeatable for a seed, the shape asked for, better
//! than doing nothing, and clear errors for unusable data or initial weights.

use gcc_nn_train::{TrainConfig, train};
use model::denoise::{FloatActivation, denoise_float};
use model::error::ModelError;
use model::metrics::{add_noise, psnr};
use model::{GrayImage, Mlp};

/// A smooth 32×32 gradient with a bright square: easy to denoise.
fn image() -> GrayImage {
    let (w, h) = (32, 32);
    let px = (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            let square = if (8..20).contains(&x) && (10..22).contains(&y) {
                80.0
            } else {
                0.0
            };
            40.0 + 4.0 * x as f64 + 2.0 * y as f64 + square
        })
        .collect();
    GrayImage::new(w, h, px).expect("image")
}

fn config(steps: usize) -> TrainConfig {
    TrainConfig {
        input_patch: 5,
        output_patch: 3,
        stride: 3,
        hidden: vec![8],
        steps,
        batch: 32,
        learning_rate: 3e-3,
        progress: false,
        ..TrainConfig::default()
    }
}

#[test]
fn same_seed_same_model_and_the_shape_asked_for() {
    let imgs = [image()];
    let a = train(&imgs, &config(20)).expect("train");
    let b = train(&imgs, &config(20)).expect("train");
    assert_eq!(a, b, "training is repeatable for one seed");
    assert_eq!(a.widths(), vec![25, 8, 9]);
    assert_eq!((a.input_patch, a.output_patch, a.stride), (5, 3, 3));
    let other = train(
        &imgs,
        &TrainConfig {
            seed: 2,
            ..config(20)
        },
    )
    .expect("train");
    assert_ne!(a, other, "another seed gives other weights");
}

#[test]
fn training_beats_the_noisy_input() {
    let clean = image();
    let m = train(std::slice::from_ref(&clean), &config(600)).expect("train");
    let noisy = add_noise(&clean, 25.0, 7);
    let den = denoise_float(&m, &noisy, 1, FloatActivation::Tanh).expect("denoise");
    let (before, after) = (
        psnr(&clean, &noisy).expect("psnr"),
        psnr(&clean, &den).expect("psnr"),
    );
    assert!(
        after > before + 1.0,
        "noisy {before:.2} dB, denoised {after:.2} dB"
    );
}

#[test]
fn continuing_keeps_the_initial_shape_and_refuses_another() {
    let imgs = [image()];
    let first = train(&imgs, &config(5)).expect("train");
    let cont = TrainConfig {
        init: Some(first.clone()),
        ..config(0)
    };
    assert_eq!(
        train(&imgs, &cont).expect("0 steps"),
        first,
        "0 steps keep the weights"
    );
    let wrong = TrainConfig {
        hidden: vec![4],
        init: Some(first),
        ..config(5)
    };
    let e = train(&imgs, &wrong).expect_err("shape");
    assert!(matches!(e, ModelError::ShapeMismatch(_)), "{e}");
    assert!(e.to_string().contains("[25, 8, 9]"), "{e}");
}

#[test]
fn unusable_data_is_refused() {
    let e = train(&[], &config(1)).expect_err("no images");
    assert!(e.to_string().contains("no training images"), "{e}");
    let small = GrayImage::new(4, 4, vec![0.0; 16]).expect("img");
    let e = train(&[small], &config(1)).expect_err("too small");
    assert!(
        matches!(e, ModelError::ImageTooSmall { needed: 5, .. }),
        "{e}"
    );
    let bad = TrainConfig {
        output_patch: 4,
        ..config(1)
    };
    let e = train(&[image()], &bad).expect_err("geometry");
    assert!(matches!(e, ModelError::BadGeometry(_)), "{e}");
}

#[test]
fn a_model_file_round_trips() {
    let m = train(&[image()], &config(3)).expect("train");
    assert_eq!(Mlp::from_bytes(&m.to_bytes(), "<bytes>").expect("parse"), m);
}

//! Training on a small synthetic image: repeatable for a seed, the shape asked for, better
//! than doing nothing, resumable from a checkpoint to the same model, and clear errors for
//! unusable data, initial weights or checkpoints.

use gcc_nn_train::{Checkpoint, TrainActivation, TrainConfig, TrainSpec, train};
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

fn spec(steps: usize) -> TrainSpec {
    TrainSpec {
        input_patch: 5,
        output_patch: 3,
        stride: 3,
        hidden: vec![8],
        steps,
        batch: 32,
        learning_rate: 3e-3,
        checkpoint_every: 0,
        ..TrainSpec::default()
    }
}

fn config(steps: usize) -> TrainConfig {
    TrainConfig {
        spec: spec(steps),
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
            spec: TrainSpec {
                seed: 2,
                ..spec(20)
            },
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
        spec: TrainSpec {
            hidden: vec![4],
            ..spec(5)
        },
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
        spec: TrainSpec {
            output_patch: 4,
            ..spec(1)
        },
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

#[test]
fn relu_training_beats_the_noisy_input_too() {
    let clean = image();
    let cfg = TrainConfig {
        spec: TrainSpec {
            activation: TrainActivation::Relu,
            ..spec(600)
        },
        ..config(600)
    };
    let m = train(std::slice::from_ref(&clean), &cfg).expect("train");
    let tanh = train(std::slice::from_ref(&clean), &config(600)).expect("train");
    assert_ne!(m, tanh, "the activation changes the training");
    // The files name the fixed-point activation the secure runs use (model format v3).
    assert_eq!(m.activation.name(), "relu");
    assert_eq!(tanh.activation.name(), "tanh_fit");
    let relu = model::fixed::FixedActivation::shipped("relu").expect("relu");
    let noisy = add_noise(&clean, 25.0, 7);
    let den = denoise_float(&m, &noisy, 1, FloatActivation::Table(relu)).expect("denoise");
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
fn a_run_stopped_at_a_checkpoint_and_resumed_equals_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let imgs = [image()];
    let whole = train(&imgs, &config(30)).expect("train");
    let ck_path = dir.path().join("run.ckpt");
    let with_ck = TrainConfig {
        spec: TrainSpec {
            checkpoint_every: 10,
            ..spec(30)
        },
        checkpoint: Some(ck_path.clone()),
        ..config(30)
    };
    // Stopped after 20 of the 30 steps: a checkpoint of step 20 is left.
    let part = train(
        &imgs,
        &TrainConfig {
            stop_after: Some(20),
            ..with_ck.clone()
        },
    )
    .expect("20 steps");
    assert_ne!(part, whole, "20 steps are not 30");
    let ck = Checkpoint::load(&ck_path).expect("checkpoint");
    assert_eq!((ck.step, &ck.model), (20, &part));
    // Resumed: the same model as the run that never stopped, and the final checkpoint.
    let resumed = train(
        &imgs,
        &TrainConfig {
            resume: Some(ck.clone()),
            ..with_ck.clone()
        },
    )
    .expect("resume");
    assert_eq!(resumed, whole, "stop + resume = one run");
    assert_eq!(Checkpoint::load(&ck_path).expect("final").step, 30);
    // Through the file format too (every field written and read back).
    assert_eq!(
        Checkpoint::from_bytes(&ck.to_bytes(), "<bytes>").expect("parse"),
        ck
    );

    // A checkpoint of another configuration is refused, naming both.
    let other = TrainConfig {
        spec: TrainSpec {
            seed: 9,
            ..with_ck.spec.clone()
        },
        resume: Some(ck.clone()),
        ..with_ck.clone()
    };
    let e = train(&imgs, &other).expect_err("another configuration");
    assert!(e.to_string().contains("another configuration"), "{e}");
    // A checkpoint written before model format v3 holds a version-2 model (no activation):
    // read for the configuration's activation, the same model.
    let v3 = ck.model.to_bytes();
    let name = ck.model.activation.name().len();
    let v2 = model::mlp::MODEL_FILE_V2.seal(&v3[20 + 1 + name + 32..v3.len() - 32]);
    let mut old = ck.to_bytes();
    let at = old
        .windows(v3.len())
        .position(|w| w == v3.as_slice())
        .expect("the model inside");
    old.splice(
        at - 8..at + v3.len(),
        [&(v2.len() as u64).to_le_bytes()[..], &v2].concat(),
    );
    let old = gcc_nn_train::checkpoint::CHECKPOINT_FILE.seal(&old[20..old.len() - 32]);
    let back = Checkpoint::from_bytes(&old, "old.ckpt").expect("old checkpoint");
    assert_eq!(back, ck);
    // A damaged checkpoint is refused with its name.
    let mut bytes = ck.to_bytes();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    let e = Checkpoint::from_bytes(&bytes, "run.ckpt").expect_err("damaged");
    assert!(e.to_string().contains("run.ckpt"), "{e}");
}

//! The fast protocol with its linear layers on ring-LWE (`CrossEngine::Rlwe`, docs/protocol.md §4):
//! the user's 8-bit image equals the fixed-point reference (`model::denoise::denoise_fixed`)
//! pixel for pixel, as with the Paillier engine (checked side by side here on the same
//! shares); both sides must run the same engine (the image header carries it).

use crate::fast_common;

use fast_common::{keys, random_model, setup};
use gcc_nn_protocol::BridgeError;
use gcc_nn_protocol::fast::party::{run_cloud_with, run_user_with};
use gcc_nn_protocol::fast::{CloudOutputOrShare, CrossEngine, ShareCircuit, simulate_with};
use gcc_nn_protocol::timeline::Category;
use model::denoise::{denoise_fixed, quantised_patches};
use model::fixed::{FIXED, FixedMlp};
use model::patches::ImageLayout;
use model::{GrayImage, shipped};
use runtime::channel::MemChannel;
use std::time::Duration;

/// Runs `model` on `noisy` under every engine and checks each image against the reference.
fn check_engines(model: &FixedMlp, noisy: &GrayImage, stride: usize) {
    let (inputs, _) = quantised_patches(model, noisy, stride).expect("patches");
    let geometry = model.geometry(stride).expect("geometry");
    let layout = ImageLayout::new(noisy.width(), noisy.height(), geometry).expect("layout");
    let (user_share, cloud_share) = setup(model);
    let circuit = ShareCircuit::for_activation(&model.activation, &model.params).expect("circuit");
    let expected = denoise_fixed(model, noisy, stride)
        .expect("reference")
        .0
        .to_u8();
    for engine in CrossEngine::ALL {
        let sim = simulate_with(
            engine,
            &keys().0,
            &user_share,
            &cloud_share,
            &circuit,
            &inputs,
            &layout,
            false,
        )
        .unwrap_or_else(|e| panic!("{engine} run: {e}"));
        assert_eq!(sim.user.pixels.len(), expected.len(), "{engine}");
        for (i, (got, want)) in sim.user.pixels.iter().zip(&expected).enumerate() {
            assert_eq!(got, want, "{engine}: pixel {i} differs from the reference");
        }
        let CloudOutputOrShare::Image(cloud) = sim.cloud else {
            panic!("image run returns the cloud's report");
        };
        let hidden: usize = model.layers[..model.layers.len() - 1]
            .iter()
            .map(|l| l.outputs)
            .sum();
        assert_eq!(cloud.report.activations, (hidden * inputs.len()) as u64);
        assert!(
            sim.user
                .report
                .entries
                .iter()
                .any(|e| e.category == Category::Cross),
            "{engine}: the cross products are timed"
        );
    }
}

/// Pixels over the whole input range, clamps included.
fn extreme_image(width: usize, height: usize) -> GrayImage {
    let px = (0..width * height)
        .map(|i| match i % 5 {
            0 => 700.0,
            1 => -300.0,
            _ => ((i * 37) % 256) as f64,
        })
        .collect();
    GrayImage::new(width, height, px).expect("image")
}

#[test]
fn random_models_match_the_reference_on_both_engines() {
    // Three layers (two cross products on the hidden ones), a single output, extreme inputs.
    check_engines(&random_model(&[9, 6, 5, 1], 1), &extreme_image(6, 3), 1);
    // Overlapping patches (pixels covered 1 to 9 times), stride 1 and 2.
    let model = random_model(&[25, 6, 9], 4);
    check_engines(&model, &extreme_image(7, 6), 1);
    check_engines(&model, &extreme_image(9, 6), 2);
}

#[test]
fn shipped_model_on_a_crop_matches_the_reference_on_both_engines() {
    let mlp = shipped::model().expect("shipped model");
    let fixed = FixedMlp::from_model(
        &mlp,
        FIXED,
        activation::Activation::shipped("tanh").expect("tanh"),
    )
    .expect("quantise");
    let img = shipped::sample_image().expect("sample image");
    let crop = img.crop(100, 100, 16, 16).expect("crop");
    let noisy = model::metrics::add_noise(&crop, 25.0, 5);
    check_engines(&fixed, &noisy, fixed.stride);
}

#[test]
fn engines_must_agree() {
    let model = random_model(&[9, 3, 1], 3);
    let noisy = extreme_image(4, 3);
    let (inputs, _) = quantised_patches(&model, &noisy, 1).expect("patches");
    let layout = ImageLayout::new(4, 3, model.geometry(1).expect("geometry")).expect("layout");
    let (user_share, cloud_share) = setup(&model);
    let circuit = ShareCircuit::for_activation(
        &activation::Activation::shipped("tanh").expect("tanh"),
        &FIXED,
    )
    .expect("circuit");
    let user_sk = &keys().0;
    for (user_engine, cloud_engine) in [
        (CrossEngine::Rlwe, CrossEngine::Paillier),
        (CrossEngine::Paillier, CrossEngine::Rlwe),
    ] {
        let (mut a, mut b) = MemChannel::pair(Duration::from_secs(60));
        let (share, c) = (&cloud_share, &circuit);
        let (user, cloud) = std::thread::scope(|s| {
            // The cloud's channel moves into its thread and closes when it stops.
            let cloud = s.spawn(move || {
                run_cloud_with(
                    cloud_engine,
                    &mut b,
                    user_sk.public_key(),
                    share,
                    c,
                    false,
                    &mut rand::rng(),
                )
            });
            let user = run_user_with(
                user_engine,
                &mut a,
                user_sk,
                &user_share,
                &circuit,
                &inputs,
                &layout,
                &mut rand::rng(),
            );
            (user, cloud.join().expect("cloud thread"))
        });
        let err = cloud.expect_err("the cloud refuses another engine");
        let msg = err.to_string();
        assert!(
            matches!(
                err,
                BridgeError::Protocol {
                    phase: "image header",
                    ..
                }
            ) && msg.contains(&format!("the user runs {user_engine}"))
                && msg.contains(&format!("this cloud runs {cloud_engine}")),
            "{msg}"
        );
        assert!(user.is_err(), "the user does not finish alone");
    }
}

#[test]
fn engine_names_round_trip() {
    for e in CrossEngine::ALL {
        assert_eq!(e.name().parse::<CrossEngine>(), Ok(e));
        assert_eq!(CrossEngine::from_code(e.code()), Some(e));
    }
    assert_eq!(CrossEngine::default(), CrossEngine::Paillier);
    let err = "ckks".parse::<CrossEngine>().expect_err("unknown engine");
    assert!(err.contains("ckks"), "{err}");
    assert_eq!(CrossEngine::from_code(0), None);
}

//! The fast protocol's output, the 8-bit image, equals the fixed-point reference
//! (`model::denoise::denoise_fixed`, whose pixels are `model::pixel`'s integers) pixel for
//! pixel: a random small model (several blocks, a partial block, extreme inputs, overlapping
//! patches) and the shipped model on a small crop of the sample image.

use crate::fast_common;

use fast_common::{keys, random_model, ring, setup};
use gcc_nn_protocol::fast::shares::ShareKey;
use gcc_nn_protocol::fast::{CloudOutputOrShare, ShareCircuit, simulate};
use model::denoise::{denoise_fixed, quantised_patches};
use model::fixed::{FIXED, FixedMlp};
use model::patches::ImageLayout;
use model::{GrayImage, shipped};

fn check_against_reference(model: &FixedMlp, noisy: &GrayImage, stride: usize) {
    let (inputs, _) = quantised_patches(model, noisy, stride).expect("patches");
    let geometry = model.geometry(stride).expect("geometry");
    let layout = ImageLayout::new(noisy.width(), noisy.height(), geometry).expect("layout");
    let (user_share, cloud_share) = setup(model);
    let circuit = ShareCircuit::for_activation(&model.activation, &model.params).expect("circuit");
    let sim = simulate(
        &keys().0,
        &user_share,
        &cloud_share,
        &circuit,
        &inputs,
        &layout,
        false,
    )
    .expect("run");
    let (expected, _) = denoise_fixed(model, noisy, stride).expect("reference");
    let expected = expected.to_u8();
    assert_eq!(
        (sim.user.width, sim.user.height),
        (noisy.width(), noisy.height())
    );
    assert_eq!(sim.user.pixels.len(), expected.len());
    for (i, (got, want)) in sim.user.pixels.iter().zip(&expected).enumerate() {
        assert_eq!(
            got, want,
            "pixel {i} differs from the fixed-point reference"
        );
    }
    assert_eq!(sim.user.report.pixels, expected.len() as u64);
    assert!(sim.user.report.output_ands > 0);
    let CloudOutputOrShare::Image(cloud) = sim.cloud else {
        panic!("image run returns the cloud's report");
    };
    let hidden: usize = model.layers[..model.layers.len() - 1]
        .iter()
        .map(|l| l.outputs)
        .sum();
    assert_eq!(cloud.report.activations, (hidden * inputs.len()) as u64);
    assert_eq!(sim.user.report.activations, cloud.report.activations);
    assert_eq!(cloud.report.output_ands, sim.user.report.output_ands);
    assert_eq!(cloud.patches, inputs.len());
}

/// A `width`×`height` image of pixels spread over the whole input range, clamps included
/// (the clamp is at −153 and 561).
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
fn random_model_matches_reference_across_blocks() {
    // 1024-bit keys: K = 7 slots, so 6×3 = 18 patches (3×3 → 1×1, stride 1) make 3 blocks,
    // the last one partial.
    let model = random_model(&[9, 6, 5, 1], 1);
    check_against_reference(&model, &extreme_image(6, 3), 1);
}

#[test]
fn overlapping_patches_average_on_shares() {
    // 5×5 → 3×3 at stride 1 and 2: pixels covered by 1 to 9 patches.
    let model = random_model(&[25, 6, 9], 4);
    check_against_reference(&model, &extreme_image(7, 6), 1);
    check_against_reference(&model, &extreme_image(9, 6), 2);
}

#[test]
fn shares_reconstruct_the_model() {
    let model = random_model(&[4, 3, 1], 3);
    let (user, cloud) = setup(&model);
    let r = ring();
    assert!(matches!(user.key, ShareKey::CloudPublic(_)));
    assert!(matches!(cloud.key, ShareKey::CloudSecret(_)));
    for (l, (u, c)) in model
        .layers
        .iter()
        .zip(user.layers.iter().zip(&cloud.layers))
    {
        for (w, (wu, a)) in l.weights.iter().chain(&l.bias).zip(
            u.weights
                .iter()
                .chain(&u.bias)
                .zip(c.weights.iter().chain(&c.bias)),
        ) {
            assert_eq!(r.to_signed(r.sub(*wu, *a)), *w);
        }
    }
    // The persisted form round-trips and rejects damage.
    for share in [&user, &cloud] {
        let bytes = share.to_bytes();
        let back = gcc_nn_protocol::fast::ModelShare::from_bytes(&bytes).expect("parse");
        assert_eq!(back.layers, share.layers);
        assert!(gcc_nn_protocol::fast::ModelShare::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut bad = bytes.clone();
        bad[0] ^= 1;
        assert!(gcc_nn_protocol::fast::ModelShare::from_bytes(&bad).is_err());
    }
}

#[test]
fn shipped_model_on_a_crop_matches_reference() {
    let mlp = shipped::model().expect("shipped model");
    let fixed = FixedMlp::from_model(
        &mlp,
        FIXED,
        activation::Activation::shipped("tanh").expect("tanh"),
    )
    .expect("quantise");
    let img = shipped::sample_image().expect("sample image");
    let side = 16;
    let crop: Vec<f64> = (0..side)
        .flat_map(|y| (0..side).map(move |x| (x, y)))
        .map(|(x, y)| img.get(100 + x, 100 + y))
        .collect();
    let crop = GrayImage::new(side, side, crop).expect("crop");
    let noisy = model::metrics::add_noise(&crop, 25.0, 5);
    let (inputs, _) = quantised_patches(&fixed, &noisy, fixed.stride).expect("patches");
    assert!(inputs.len() >= 8, "{} patches", inputs.len());
    check_against_reference(&fixed, &noisy, fixed.stride);
}

//! Every shipped model, securely: the fast protocol with its linear layers on ring-LWE (the
//! default engine) on a crop of the shipped sample gives the user the fixed-point reference's
//! 8-bit image pixel for pixel. Both parties run in this process with the small test keys
//! (the library's test path), so the check takes seconds; the default model also runs as
//! three processes at 2048 bits in `tests/secure_cli.rs`.

use crate::fast_common;

use fast_common::{keys, setup};
use gcc_nn_protocol::fast::{CrossEngine, ShareCircuit, simulate_with};
use model::denoise::{denoise_fixed, quantised_patches};
use model::fixed::{FIXED, FixedMlp};
use model::patches::ImageLayout;
use model::{Mlp, shipped};

/// Denoises a `side`×`side` crop securely with `mlp` at its own stride and compares.
fn secure_equals_reference(mlp: &Mlp, activation: &str, side: usize) {
    let act = activation::Activation::shipped(activation).expect("activation");
    let fixed = FixedMlp::from_model(mlp, FIXED, act).expect("fixed point");
    let clean = shipped::sample_image()
        .expect("sample")
        .crop(100, 60, side, side)
        .expect("crop");
    let noisy = model::metrics::add_noise(&clean, 25.0, 5).quantized();
    let (inputs, _) = quantised_patches(&fixed, &noisy, mlp.stride).expect("patches");
    let layout = ImageLayout::new(side, side, fixed.geometry(mlp.stride).expect("geometry"))
        .expect("layout");
    let (user_share, cloud_share) = setup(&fixed);
    let circuit = ShareCircuit::for_activation(&fixed.activation, &fixed.params).expect("circuit");
    let sim = simulate_with(
        CrossEngine::Rlwe,
        &keys().0,
        &user_share,
        &cloud_share,
        &circuit,
        &inputs,
        &layout,
        false,
    )
    .expect("secure run");
    let expected = denoise_fixed(&fixed, &noisy, mlp.stride)
        .expect("reference")
        .0
        .to_u8();
    assert_eq!(sim.user.pixels.len(), side * side);
    assert_eq!(
        sim.user.pixels, expected,
        "the secure image differs from the fixed-point reference"
    );
}

#[test]
fn the_relu_model_securely_equals_its_fixed_point_reference() {
    let mlp = shipped::relu_model().expect("relu model");
    assert_eq!((mlp.widths(), mlp.stride), (vec![169, 256, 256, 25], 5));
    secure_equals_reference(&mlp, shipped::RELU_MODEL_ACTIVATION, 20);
}

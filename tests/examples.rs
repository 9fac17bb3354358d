//! The top-level `examples/` run as part of the test suite: each example's code is included
//! here and its `run` called as its `main` would (the same checks, smaller batches where
//! the example takes a size).

use std::path::Path;

#[allow(dead_code)] // their `main`s are not called here
#[path = "../examples/garble_tanh.rs"]
mod garble_tanh;

#[allow(dead_code)]
#[path = "../examples/bridge_tanh.rs"]
mod bridge_tanh;

#[allow(dead_code)]
#[path = "../examples/secure_denoise.rs"]
mod secure_denoise;

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn garble_tanh_matches_the_interpreter() {
    let s = garble_tanh::run(&repo("circuits/tanh.dsl"), 16).expect("garbled = interpreted");
    assert_eq!(s.instances, 4096);
    assert!(s.ands_per_instance > 0);
    // Half-gates: 32 bytes of tables per AND and instance, plus labels and handshake.
    assert!(s.garbler_sent >= 32 * (s.ands_per_instance * s.instances) as u64);
    assert_eq!(s.samples.len(), 7, "{:?}", s.samples);
    for (x, y) in &s.samples {
        // tanh* is the paper's approximation of tanh: within 0.02 of it.
        assert!((x.tanh() - y).abs() < 0.02, "tanh*({x}) = {y}");
    }
}

#[test]
fn garble_tanh_refuses_a_program_of_the_wrong_shape() {
    // circuits/relu.dsl fits; output_pixel.dsl has two inputs: a clear error, no panic.
    let err = garble_tanh::run(&repo("circuits/output_pixel.dsl"), 4096).expect_err("2 inputs");
    assert!(err.to_string().contains("expected one input"), "{err}");
    garble_tanh::run(&repo("circuits/relu.dsl"), 64).expect("relu garbles too");
}

#[test]
fn bridge_tanh_matches_the_reference() {
    let s = bridge_tanh::run("tanh", 2048, 24).expect("bridge = reference");
    assert_eq!((s.key_bits, s.batch), (2048, 24));
    assert!(s.cloud_bytes.0 > 0 && s.cloud_bytes.1 > 0);
    assert!(!s.samples.is_empty());
    for (x, y) in &s.samples {
        // tanh* is within 0.023 of tanh (the paper's approximation: max error 2.2e-2 at
        // |x| ≈ 0.76; the samples are random, so 0.02 failed now and then).
        assert!((x.tanh() - y).abs() < 0.023, "tanh*({x}) = {y}");
    }
}

#[test]
fn secure_denoise_equals_the_fixed_point_reference() {
    // 1024-bit keys here (insecure, test only) to keep the suite fast; the example's `main`
    // uses 2048. `run` fails unless every pixel equals the reference.
    let s = secure_denoise::run(1024, 20).expect("secure = reference");
    assert!(s.patches > 0);
    // σ = 25 noise scores about 20 dB; the shipped denoiser gains several dB.
    assert!(s.psnr.0 > 15.0 && s.psnr.0 < 25.0, "{:?}", s.psnr);
    assert!(s.psnr.1 > s.psnr.0 + 2.0, "{:?}", s.psnr);
    assert!(s.user_bytes.0 > 0 && s.user_bytes.1 > 0);
}

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
    assert!(!s.samples.is_empty());
}

#[test]
fn garble_tanh_refuses_a_program_of_the_wrong_shape() {
    // circuits/relu.dsl fits; masked_tanh.dsl has three inputs: a clear error, no panic.
    let err = garble_tanh::run(&repo("circuits/masked_tanh.dsl"), 4096).expect_err("3 inputs");
    assert!(err.to_string().contains("expected one input"), "{err}");
    garble_tanh::run(&repo("circuits/relu.dsl"), 64).expect("relu garbles too");
}

#[test]
fn bridge_tanh_matches_the_reference() {
    let s =
        bridge_tanh::run(&repo("circuits/masked_tanh.dsl"), 2048, 24).expect("bridge = reference");
    assert_eq!((s.key_bits, s.batch), (2048, 24));
    assert!(s.cloud_bytes.0 > 0 && s.cloud_bytes.1 > 0);
    for (x, y) in &s.samples {
        // tanh* is within 0.02 of tanh (it is the paper's approximation).
        assert!((x.tanh() - y).abs() < 0.02, "tanh*({x}) = {y}");
    }
}

//! Resource limits of the compiler: a program that lowers to too many gates stops with
//! `TooLarge` (the circuit-file limits are tested in the circuit crate).

use gcc_nn_compiler::PassOptions;
use gcc_nn_compiler::lower::{LowerError, lower_with_limit};

#[test]
fn lowering_past_the_node_limit_is_too_large() {
    let src = "input garbler x: int<64>;\ninput evaluator y: int<64>;\noutput z: int<128> = x * y;";
    let program = dsl::check(src, "mul.dsl").expect("valid program");
    let options = PassOptions::default();
    let full = lower_with_limit(&program, &options, usize::MAX).expect("lowers");
    assert!(full.and_count() > 2000);
    match lower_with_limit(&program, &options, 1000) {
        Err(LowerError::TooLarge { limit: 1000, .. }) => {}
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

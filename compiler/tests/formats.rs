//! Compiled programs through the circuit formats: binary and Bristol + side file round trips,
//! and the statistics of compiled circuits (format errors are tested in the circuit crate).

use gcc_nn_compiler as compiler;

use compiler::binary;
use compiler::stats::CircuitStats;
use compiler::{Circuit, CompileOptions, Party};

const TANH: &str = include_str!("../../circuits/tanh.dsl");
const MASKED: &str = include_str!("data/masked_tanh.dsl");

fn compiled(src: &str) -> Circuit {
    compiler::compile_source(src, "c.dsl", &CompileOptions::default()).expect("compiles")
}

#[test]
fn binary_round_trip_is_identical() {
    for src in [TANH, MASKED] {
        let c = compiled(src);
        let bytes = binary::write(&c);
        assert_eq!(binary::read(&bytes).expect("reads back"), c);
        // Compact: well under 8 bytes per gate.
        assert!(
            bytes.len() < 8 * c.gates.len(),
            "{} bytes for {} gates",
            bytes.len(),
            c.gates.len()
        );
    }
}

#[test]
fn bristol_plus_side_file_restores_parties_and_formats() {
    let c = compiled(MASKED);
    let text = compiler::bristol::write_fashion(&c);
    let mut back = compiler::bristol::read_fashion(&text).expect("reads");
    assert_eq!(back.inputs[0].party, None);
    compiler::meta::apply(&mut back, &compiler::meta::to_json(&c)).expect("side file applies");
    assert_eq!(back.inputs, c.inputs);
    assert_eq!(back.outputs, c.outputs);
    assert_eq!(back.inputs[2].party, Some(Party::Evaluator));
    assert_eq!(back.and_count(), c.and_count());
    // Same function on a few inputs.
    let tuples: Vec<Vec<u128>> = (0..64u128)
        .map(|i| vec![i * 0x1234_5678_9abc, i * 77, i * 0x9876_5432])
        .collect();
    assert_eq!(
        compiler::simulate::simulate_raw(&back, &tuples),
        compiler::simulate::simulate_raw(&c, &tuples)
    );
    // A side file for another circuit is refused.
    let other = compiled(TANH);
    assert!(compiler::meta::apply(&mut back, &compiler::meta::to_json(&other)).is_err());
    assert!(compiler::meta::apply(&mut back, "{ not json").is_err());
}

#[test]
fn statistics_count_what_they_claim() {
    // z = (a AND b) XOR NOT c ; depth 1; garbler a, evaluator b and c.
    let src = "input garbler a: bool;\ninput evaluator b: bool;\ninput evaluator c: bool;\noutput z: bool = (a && b) ^ !c;";
    let c = compiled(src);
    let s = CircuitStats::of(&c);
    assert_eq!((s.and_gates, s.and_depth, s.garbled_bytes), (1, 1, 32));
    assert_eq!(
        (s.garbler_input_bits, s.evaluator_input_bits, s.ots_needed),
        (1, 2, 2)
    );
    assert_eq!(s.output_bits, 1);
    assert!(s.peak_live_wires >= 3 && s.peak_live_wires <= s.wires);
    // Adder chain: AND depth grows with the width.
    let add = compiled(
        "input garbler a: uint<16>;\ninput evaluator b: uint<16>;\noutput s: uint<17> = a + b;",
    );
    let s = CircuitStats::of(&add);
    assert_eq!(s.and_gates, 16);
    assert_eq!(s.and_depth, 16);
    assert_eq!(s.ots_needed, 16);
}

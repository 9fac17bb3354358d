//! Regression tests for what the `dsl_check` fuzz target found: each program's circuit
//! must equal the reference interpreter on every input.

use gcc_nn_compiler as compiler;

fn assert_matches_interpreter_everywhere(src: &str) {
    let program = dsl::check(src, "regression.dsl").expect("valid program");
    let circuit =
        compiler::lower::lower(&program, &compiler::PassOptions::default()).expect("lowers");
    assert_eq!(program.inputs.len(), 1);
    let width = program.inputs[0].ty.width();
    let out_mask = (1u128 << program.outputs[0].ty.width()) - 1;
    let all: Vec<u128> = (0..1u128 << width).collect();
    for chunk in all.chunks(64) {
        let tuples: Vec<Vec<u128>> = chunk.iter().map(|&x| vec![x]).collect();
        let simulated = compiler::simulate::simulate_raw(&circuit, &tuples);
        for (&x, sim) in chunk.iter().zip(&simulated) {
            let expected = dsl::interpret(&program, &[x]).expect("runs")[0] & out_mask;
            assert_eq!(sim[0] & out_mask, expected, "input {x:#x}");
        }
    }
}

/// Found by dsl_check (a mutated `circuits/sigmoid.dsl`): inside `else` of `t >= 4`, t is
/// narrowed to 14 bits and `t >= 2.375` compared it with 9727, a 14-bit constant; the
/// comparison gadget took "d has as many bits as x" for "every x is ≤ d" and returned
/// true, so t in [2.375, 4) took the wrong branch.
#[test]
fn fuzz_dsl_compare_with_constant_of_the_narrowed_width() {
    assert_matches_interpreter_everywhere(
        "input garbler t: ufixed<16, 12>;\n\
         output y: ufixed<14, 12> = if t >= 4 { 1.0 } else if t >= 2.375 { 0.75 } else { 0.5 };",
    );
    let mutated_sigmoid = include_str!("../../circuits/sigmoid.dsl")
        .replace("if t >= 5 {", "if t >= 4 {")
        .replace("if x < 0 {", "if x < 5 {");
    assert!(mutated_sigmoid.contains("if t >= 4 {") && mutated_sigmoid.contains("if x < 5 {"));
    assert_matches_interpreter_everywhere(&mutated_sigmoid);
}

/// The same gadget directly: x (8 bits) ≤ d for every d from 0 to 300.
#[test]
fn at_most_const_is_exact_for_every_constant() {
    use compiler::builder::Builder;
    use compiler::gadgets::{Word, at_most_const};
    for d in 0..300i64 {
        let mut b = Builder::default();
        let value = compiler::IoValue {
            name: "x".into(),
            party: None,
            format: compiler::ValueFormat::Unsigned { width: 8, frac: 0 },
        };
        let x = Word::new(b.input(value), false);
        let bit = at_most_const(&mut b, &x, &num_bigint::BigInt::from(d));
        for v in 0..256u32 {
            let bits = circuit::value::to_bits(v.into(), 8);
            assert_eq!(
                b.eval(&bits, &[bit])[0],
                i64::from(v) <= d,
                "x = {v}, d = {d}"
            );
        }
    }
}

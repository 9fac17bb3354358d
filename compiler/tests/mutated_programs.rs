//! Property test of the compiler against the reference interpreter on mutated shipped
//! programs (the decoder properties are tested in the circuit crate).

use gcc_nn_compiler as compiler;

use proptest::prelude::*;

const RELU: &str = include_str!("../../circuits/relu.dsl");
const SIGMOID: &str = include_str!("../../circuits/sigmoid.dsl");

/// Mutates program text by replacing, inserting or deleting characters from a small
/// alphabet of digits and operators (what found the `at_most_const` bug).
fn mutate_program(src: &str, edits: &[(usize, u8, u8)]) -> String {
    const ALPHABET: &[u8] = b"0123456789<>=+-*&|! .";
    let mut bytes = src.as_bytes().to_vec();
    for &(pos, kind, pick) in edits {
        let at = pos % bytes.len().max(1);
        let c = ALPHABET[pick as usize % ALPHABET.len()];
        match kind % 3 {
            0 if at < bytes.len() => bytes[at] = c,
            1 => bytes.insert(at.min(bytes.len()), c),
            _ if at < bytes.len() => {
                bytes.remove(at);
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn mutated_programs_compile_to_what_the_interpreter_computes(
        which in 0..2usize,
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..4),
        inputs in prop::collection::vec(any::<u128>(), 4),
    ) {
        let src = mutate_program([RELU, SIGMOID][which], &edits);
        let Ok(program) = dsl::check(&src, "mutated.dsl") else {
            return Ok(());
        };
        let Ok(circuit) = compiler::lower::lower(&program, &compiler::PassOptions::default()) else {
            return Ok(());
        };
        let mask = |v: u128, w: u32| if w >= 128 { v } else { v & ((1u128 << w) - 1) };
        let tuples: Vec<Vec<u128>> = inputs
            .iter()
            .map(|&x| program.inputs.iter().map(|i| mask(x, i.ty.width())).collect())
            .collect();
        let simulated = compiler::simulate::simulate_raw(&circuit, &tuples);
        for (tuple, sim) in tuples.iter().zip(&simulated) {
            // An input the program rejects at run time (e.g. a division by zero) is skipped.
            let Ok(expected) = dsl::interpret(&program, tuple) else {
                continue;
            };
            for ((e, s), out) in expected.iter().zip(sim).zip(&program.outputs) {
                prop_assert_eq!(mask(*e, out.ty.width()), mask(*s, out.ty.width()), "{}", src);
            }
        }
    }
}

//! DSL text → check (parse + type check; diagnostics rendered) → lower to a circuit; small programs
//! are also run by the reference interpreter and the circuit simulator on a few inputs,
//! which must agree bit for bit.
#![no_main]

use compiler::PassOptions;
use libfuzzer_sys::fuzz_target;

/// Programs larger than this (core IR variables) are checked but not lowered: lowering a
/// few thousand 128-bit divisions is correct but slow, and libFuzzer reports slow units.
const MAX_LOWERED_VARS: u32 = 400;
/// Circuits larger than this are not simulated.
const MAX_SIMULATED_GATES: usize = 2_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let program = match dsl::check(src, "fuzz.dsl") {
        Ok(p) => p,
        Err(d) => {
            let _ = d.render();
            return;
        }
    };
    let _ = program.to_string();
    if program.num_vars > MAX_LOWERED_VARS {
        return;
    }
    let Ok(circuit) = compiler::lower::lower(&program, &PassOptions::default()) else {
        return;
    };
    if circuit.gates.len() > MAX_SIMULATED_GATES {
        return;
    }
    // A few input tuples: all zeros, all ones, and bytes of the source.
    let mut tuples: Vec<Vec<u128>> = Vec::new();
    for k in 0..3u8 {
        let tuple = program
            .inputs
            .iter()
            .enumerate()
            .map(|(i, _)| match k {
                0 => 0,
                1 => u128::MAX,
                _ => {
                    let mut v = 0u128;
                    for (j, b) in data.iter().skip(i * 16).take(16).enumerate() {
                        v |= u128::from(*b) << (8 * j);
                    }
                    v
                }
            })
            .collect();
        tuples.push(tuple);
    }
    let simulated = circuit::simulate::simulate_raw(&circuit, &tuples);
    for (tuple, sim) in tuples.iter().zip(&simulated) {
        let masked: Vec<u128> = tuple
            .iter()
            .zip(&program.inputs)
            .map(|(v, input)| mask(*v, input.ty.width()))
            .collect();
        let Ok(expected) = dsl::interpret(&program, &masked) else {
            continue;
        };
        for ((e, s), out) in expected.iter().zip(sim).zip(&program.outputs) {
            let w = out.ty.width();
            assert_eq!(mask(*e, w), mask(*s, w), "circuit differs from the interpreter");
        }
    }
});

fn mask(v: u128, width: u32) -> u128 {
    if width >= 128 { v } else { v & ((1u128 << width) - 1) }
}

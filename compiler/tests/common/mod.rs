//! Shared test helpers: compile a program and compare the simulated circuit with the
//! reference interpreter.

#![allow(dead_code)]

use gcc_nn_compiler as compiler;

use compiler::simulate::simulate_raw;
use compiler::{Circuit, CompileOptions, PassOptions};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;

/// Every combination of passes worth checking for correctness.
pub(crate) fn pass_sets() -> Vec<PassOptions> {
    let all = PassOptions::default();
    let none = PassOptions::none();
    vec![
        all,
        none,
        PassOptions {
            path_ranges: false,
            ..all
        },
        PassOptions {
            range: false,
            ..all
        },
        PassOptions {
            constant_propagation: false,
            ..all
        },
        PassOptions {
            fusion: false,
            ..all
        },
        PassOptions {
            cse: false,
            range: false,
            ..all
        },
        PassOptions {
            shared_rows: false,
            ..all
        },
        PassOptions {
            redundant_selects: false,
            ..all
        },
    ]
}

/// Compiles `src` with `passes`.
pub(crate) fn compile(src: &str, passes: PassOptions) -> Circuit {
    let opts = CompileOptions {
        passes,
        overrides: Vec::new(),
    };
    match compiler::compile_source(src, "test.dsl", &opts) {
        Ok(c) => {
            c.validate().expect("compiled circuit is well formed");
            c
        }
        Err(e) => panic!("does not compile:\n{}\n{src}", e.render()),
    }
}

/// Input tuples: every tuple if the inputs total ≤ `exhaustive_bits` bits, else `samples`
/// random ones plus edge cases (0, ±1, min, max, and `extra` raw values) per input.
pub(crate) fn input_tuples(
    widths: &[u32],
    exhaustive_bits: u32,
    samples: usize,
    extra: &[i128],
    seed: u64,
) -> Vec<Vec<u128>> {
    let total: u32 = widths.iter().sum();
    let mask = |w: u32| {
        if w >= 128 {
            u128::MAX
        } else {
            (1u128 << w) - 1
        }
    };
    if total <= exhaustive_bits {
        let mut out = Vec::with_capacity(1 << total);
        for all in 0u128..(1u128 << total) {
            let mut pos = 0;
            out.push(
                widths
                    .iter()
                    .map(|&w| {
                        let v = (all >> pos) & mask(w);
                        pos += w;
                        v
                    })
                    .collect(),
            );
        }
        return out;
    }
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let mut edges: Vec<i128> = vec![0, 1, -1, 2, -2];
    edges.extend_from_slice(extra);
    let mut out: Vec<Vec<u128>> = Vec::new();
    for &w in widths {
        let top = if w >= 128 { 0 } else { 1u128 << (w - 1) };
        edges.push(top as i128);
        edges.push(top as i128 - 1);
        edges.push(-(top as i128));
        edges.push(mask(w) as i128);
    }
    // Each edge value in every position, others random.
    for (i, _) in widths.iter().enumerate() {
        for &e in &edges {
            let mut t: Vec<u128> = widths
                .iter()
                .map(|&w| rng.random::<u128>() & mask(w))
                .collect();
            t[i] = (e as u128) & mask(widths[i]);
            out.push(t);
        }
    }
    // All inputs at the same edge.
    for &e in &edges {
        out.push(widths.iter().map(|&w| (e as u128) & mask(w)).collect());
    }
    for _ in 0..samples {
        out.push(
            widths
                .iter()
                .map(|&w| rng.random::<u128>() & mask(w))
                .collect(),
        );
    }
    out
}

/// Checks circuit == interpreter on `tuples`; returns the number of tuples checked.
pub(crate) fn check_tuples(src: &str, circuit: &Circuit, tuples: &[Vec<u128>]) -> usize {
    let program = dsl::check(src, "test.dsl").expect("checks");
    let interp = dsl::Interpreter::new(&program);
    for chunk in tuples.chunks(64) {
        let got = simulate_raw(circuit, chunk);
        for (tuple, got) in chunk.iter().zip(got) {
            let want = interp.run(tuple).expect("interpreter runs");
            assert_eq!(
                got, want,
                "inputs {tuple:x?}: circuit {got:x?} != interpreter {want:x?}\n{src}"
            );
        }
    }
    tuples.len()
}

/// Widths of the inputs of a circuit.
pub(crate) fn input_widths(c: &Circuit) -> Vec<u32> {
    c.inputs.iter().map(|v| v.format.width()).collect()
}

/// Compiles `src` under every pass set and checks each against the interpreter.
pub(crate) fn check_program(src: &str, samples: usize, seed: u64) {
    for passes in pass_sets() {
        let c = compile(src, passes);
        let tuples = input_tuples(&input_widths(&c), 14, samples, &[], seed);
        check_tuples(src, &c, &tuples);
    }
}

//! Every shipped circuit (`circuits/*.dsl`) simulates exactly like the reference
//! interpreter: on every input when the inputs total ≤ 16 bits, else on ≥ 100,000 random
//! inputs plus edge cases (0, ±1 ulp, the tanh* breakpoints, min/max, and inputs whose
//! masked difference or sum lands near them).

use crate::common;

use common::{check_tuples, compile, input_tuples, input_widths};
use gcc_nn_compiler::{PassOptions, ValueFormat};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;

const CIRCUITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../circuits");

fn shipped() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let dir = std::fs::read_dir(CIRCUITS).unwrap_or_else(|e| panic!("cannot list {CIRCUITS}: {e}"));
    for entry in dir.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "dsl") {
            let src = std::fs::read_to_string(&path).expect("readable circuit");
            out.push((path.display().to_string(), src));
        }
    }
    out.sort();
    assert!(
        out.len() >= 3,
        "expected the shipped circuits in {CIRCUITS}"
    );
    out
}

fn frac(f: &ValueFormat) -> u32 {
    match *f {
        ValueFormat::Bool => 0,
        ValueFormat::Signed { frac, .. } | ValueFormat::Unsigned { frac, .. } => frac,
    }
}

/// Raw values near the interesting points of a format with `f` fractional bits.
fn landmarks(f: u32) -> Vec<i128> {
    let mut out = Vec::new();
    for c in [0.0, 0.5, 1.0, 1.52, 2.57, 4.0, 8.0] {
        for sign in [1.0, -1.0] {
            let raw = (c * sign * 2f64.powi(f as i32)).round() as i128;
            out.extend([raw - 1, raw, raw + 1]);
        }
    }
    out
}

/// Tuples where one input is another plus (or minus) a small landmark, so that masked
/// differences `x' − r` and share sums `zu + zc` land in the interesting region.
fn correlated(
    widths: &[u32],
    fracs: &[u32],
    count: usize,
    rng: &mut ChaCha12Rng,
) -> Vec<Vec<u128>> {
    let mask = |w: u32| {
        if w >= 128 {
            u128::MAX
        } else {
            (1u128 << w) - 1
        }
    };
    let mut out = Vec::with_capacity(count);
    if widths.len() < 2 {
        return out;
    }
    for k in 0..count {
        let mut t: Vec<u128> = widths
            .iter()
            .map(|&w| rng.random::<u128>() & mask(w))
            .collect();
        let a = rng.random_range(0..widths.len());
        let b = (a + 1 + rng.random_range(0..widths.len() - 1)) % widths.len();
        let marks = landmarks(fracs[a]);
        let delta = if k % 2 == 0 {
            marks[rng.random_range(0..marks.len())]
        } else {
            // A random value of random magnitude.
            let bits = rng.random_range(0..=fracs[a] + 4);
            let v = (rng.random::<u64>() as i128) & ((1i128 << bits) - 1);
            if rng.random::<bool>() { -v } else { v }
        };
        let base = if rng.random::<bool>() {
            t[b]
        } else {
            t[b].wrapping_neg()
        };
        t[a] = base.wrapping_add(delta as u128) & mask(widths[a]);
        out.push(t);
    }
    out
}

#[test]
fn shipped_circuits_match_the_interpreter() {
    for (path, src) in shipped() {
        let circuit = compile(&src, PassOptions::default());
        let widths = input_widths(&circuit);
        let fracs: Vec<u32> = circuit.inputs.iter().map(|v| frac(&v.format)).collect();
        let total: u32 = widths.iter().sum();
        let mut extra = Vec::new();
        for &f in &fracs {
            extra.extend(landmarks(f));
        }
        let mut tuples = input_tuples(&widths, 16, 100_000, &extra, 7);
        if total > 16 {
            let mut rng = ChaCha12Rng::seed_from_u64(11);
            tuples.extend(correlated(&widths, &fracs, 100_000, &mut rng));
        }
        let n = check_tuples(&src, &circuit, &tuples);
        assert!(
            total <= 16 && n == 1usize << total || n >= 200_000,
            "{path}: only {n} inputs checked"
        );
    }
}

#[test]
fn shipped_circuits_match_with_every_pass_switched_off() {
    for (_, src) in shipped() {
        for passes in common::pass_sets() {
            let circuit = compile(&src, passes);
            let widths = input_widths(&circuit);
            let fracs: Vec<u32> = circuit.inputs.iter().map(|v| frac(&v.format)).collect();
            let mut tuples = input_tuples(&widths, 12, 2_000, &landmarks(fracs[0]), 3);
            let mut rng = ChaCha12Rng::seed_from_u64(5);
            tuples.extend(correlated(&widths, &fracs, 4_000, &mut rng));
            check_tuples(&src, &circuit, &tuples);
        }
    }
}

// The masked tanh* AND budget (docs/design.md §8: ≤ 650) is checked on the generated wrapper
// by gcc-nn-activation (tests/wrappers.rs), which now ships it.

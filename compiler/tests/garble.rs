//! The Garble comparison (circuits/REPORT.md): `tests/data/garble_masked_tanh.bristol` is
//! what garble_lang 0.7.0-alpha.1 compiles `tests/data/masked_tanh.garble.rs` to. It
//! computes exactly the function of `tests/data/masked_tanh.dsl` (the hand-written masked
//! tanh* that `circuits/wrappers/masked.dsl` linked to `circuits/tanh.dsl` replaced; checked
//! here against the reference interpreter), and gcc-nn's circuit for it has at least 3×
//! fewer ANDs.

use gcc_nn_compiler as compiler;

use compiler::simulate::simulate_raw;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;

const GARBLE_BRISTOL: &str = include_str!("data/garble_masked_tanh.bristol");
const MASKED: &str = include_str!("data/masked_tanh.dsl");

#[test]
fn garble_circuit_computes_masked_tanh_and_ours_is_three_times_smaller() {
    let garble =
        compiler::bristol::read_fashion(GARBLE_BRISTOL).expect("Garble's Bristol output reads");
    let ours = compiler::compile_source(
        MASKED,
        "masked_tanh.dsl",
        &compiler::CompileOptions::default(),
    )
    .expect("masked_tanh.dsl compiles");
    assert!(
        3 * ours.and_count() <= garble.and_count(),
        "ours {} vs Garble {}",
        ours.and_count(),
        garble.and_count()
    );

    let program = dsl::check(MASKED, "masked_tanh.dsl").expect("checks");
    let interp = dsl::Interpreter::new(&program);
    let mut rng = ChaCha12Rng::seed_from_u64(3);
    let mut tuples = Vec::new();
    let mut expected = Vec::new();
    for i in 0..20_000u32 {
        let r: u128 = rng.random::<u128>() & ((1 << 76) - 1);
        // z = x' − r: near the breakpoints half of the time, anywhere in 36 bits otherwise.
        let z: i128 = if i % 2 == 0 {
            rng.random_range(-(3i128 << 24)..(3i128 << 24))
        } else {
            i128::from(rng.random::<i64>() >> 28)
        };
        let xm = ((r as i128 + z) as u128) & ((1 << 77) - 1);
        let ru: u128 = rng.random::<u128>() & ((1 << 54) - 1);
        let want = interp.run(&[xm, ru, r]).expect("runs")[0];
        expected.push(((want << 72) as i128 >> 72) as i64);
        // Garble: inputs u64 xm, i64 ru, u64 r; output i64; bits MSB-first per value.
        let rev = |v: u128| u128::from((v as u64).reverse_bits());
        tuples.push(vec![rev(xm), rev(ru), rev(r)]);
    }
    for (chunk, want) in tuples.chunks(64).zip(expected.chunks(64)) {
        for (got, want) in simulate_raw(&garble, chunk).iter().zip(want) {
            assert_eq!((got[0] as u64).reverse_bits() as i64, *want);
        }
    }
}

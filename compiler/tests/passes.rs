//! Pass-level property tests for the shared-row and redundant-select passes: random
//! programs of the shapes each pass rewrites (sums of constant products; `if c { k } else
//! { v }` where v may or may not equal k under c) compile to circuits equal to the
//! reference interpreter with each pass on and off, and each pass saves ANDs where it
//! applies.

use crate::common;

use common::{check_tuples, compile, input_tuples, input_widths};
use gcc_nn_compiler::PassOptions;
use proptest::prelude::*;

/// All passes; all but `off`; and only the passes `on` needs (range, fusion) plus `on`.
fn toggles(only: PassOptions) -> Vec<PassOptions> {
    let all = PassOptions::default();
    let mut without = all;
    if only.shared_rows {
        without.shared_rows = false;
    }
    if only.redundant_selects {
        without.redundant_selects = false;
    }
    vec![all, without, only]
}

fn minimal() -> PassOptions {
    PassOptions {
        range: true,
        fusion: true,
        ..PassOptions::none()
    }
}

fn check_all(src: &str, sets: &[PassOptions], seed: u64) {
    for &passes in sets {
        let c = compile(src, passes);
        let tuples = input_tuples(&input_widths(&c), 14, 3_000, &[], seed);
        check_tuples(src, &c, &tuples);
    }
}

/// A fractional constant `raw / 2^16` as a DSL constant expression.
fn constant() -> impl Strategy<Value = String> {
    (1u32..65_536, any::<bool>()).prop_map(|(raw, neg)| {
        let sign = if neg { "-" } else { "" };
        format!("{sign}{raw} / 65536")
    })
}

fn int_type(min: u32, max: u32) -> impl Strategy<Value = String> {
    (any::<bool>(), min..=max).prop_map(|(signed, n)| {
        if signed {
            format!("int<{n}>")
        } else {
            format!("uint<{n}>")
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn sums_of_constant_products_match_with_and_without_shared_rows(
        ta in int_type(5, 10),
        tb in int_type(2, 5),
        k in prop::collection::vec(constant(), 4),
        shift in 0..4u32,
    ) {
        let src = format!(
            "const K0 = {};\nconst K1 = {};\nconst K2 = {};\nconst K3 = {};\n\
             input garbler a: {ta};\ninput evaluator b: {tb};\n\
             let s = a * (K0 as fixed<18, 16>) + a * (K1 as fixed<18, 16>) \
                     - b * (K2 as fixed<18, 16>) + ((a * (K3 as fixed<18, 16>)) >> {shift});\n\
             output y: fixed<40, 16> = s;\noutput z: fixed<12, 3> = s;\n",
            k[0], k[1], k[2], k[3]
        );
        let only = PassOptions { shared_rows: true, ..minimal() };
        check_all(&src, &toggles(only), 21);
    }

    #[test]
    fn selects_of_a_constant_match_with_and_without_redundant_selects(
        n in 5..10u32,
        k1 in constant(),
        d in prop_oneof![Just("0".to_string()), Just("1 / 8".to_string()), Just("-1 / 16".to_string())],
        c in -3i32..=3,
        kc in -2i32..=2,
    ) {
        let src = format!(
            "input garbler x: fixed<{n}, 3>;\n\
             let ax = abs(x);\n\
             let y: fixed<24, 12> = ax * (({k1}) as fixed<18, 16>) + ({d});\n\
             output o: fixed<24, 12> = if x < 0 {{ -y }} else if x == 0 {{ 0 }} else {{ y }};\n\
             output p: fixed<24, 12> = if x == {c} {{ {kc} }} else {{ y }};\n\
             output q: fixed<24, 12> = if x != {c} {{ y }} else {{ {kc} }};\n"
        );
        let only = PassOptions { redundant_selects: true, ..minimal() };
        check_all(&src, &toggles(only), 22);
    }
}

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn shipped(name: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/circuits/{name}")).expect("shipped circuit")
}

#[test]
fn shared_rows_save_ands_on_constant_products_of_one_word() {
    // tanh_fine's pieces multiply |x|² and |x| by constants that repeat a signed-digit
    // pair, so each pair is added once (tanh.dsl did too before its products were
    // truncated: trunc_mul's rows are different words, `b >> s`, with nothing to share).
    let src = shipped("tanh_fine.dsl");
    let on = compile(&src, PassOptions::default()).and_count();
    let off = compile(
        &src,
        PassOptions {
            shared_rows: false,
            ..PassOptions::default()
        },
    )
    .and_count();
    assert!(
        on + 10 < off,
        "tanh_fine.dsl: {on} ANDs with shared rows, {off} without"
    );
}

#[test]
fn redundant_selects_drop_the_zero_arm_only_when_it_is_redundant() {
    let program = |d: &str| {
        format!(
            "input garbler x: fixed<10, 3>;\nlet y: fixed<24, 12> = abs(x) * 0.7109375 + {d};\n\
             output o: fixed<24, 12> = if x < 0 {{ -y }} else if x == 0 {{ 0 }} else {{ y }};\n"
        )
    };
    let ands = |src: &str, redundant_selects| {
        let c = compile(
            src,
            PassOptions {
                redundant_selects,
                ..PassOptions::default()
            },
        );
        let tuples = input_tuples(&input_widths(&c), 14, 0, &[], 1);
        check_tuples(src, &c, &tuples);
        c.and_count()
    };
    // y(0) = 0: the zero test and the masking of y go.
    let odd = program("0");
    assert!(ands(&odd, true) + 8 < ands(&odd, false), "{odd}");
    // y(0) = 1/8 ≠ 0 (negative control): the zero arm stays, at the same cost.
    let shifted = program("0.125");
    assert_eq!(ands(&shifted, true), ands(&shifted, false), "{shifted}");
    // The shipped tanh_fit ends in `else if x == 0 { 0 }` with tanh_fit(0) = 0 already.
    let fit = shipped("tanh_fit.dsl");
    let on = compile(&fit, PassOptions::default()).and_count();
    let off = compile(
        &fit,
        PassOptions {
            redundant_selects: false,
            ..PassOptions::default()
        },
    )
    .and_count();
    assert!(on + 20 < off, "tanh_fit.dsl: {on} vs {off}");
}

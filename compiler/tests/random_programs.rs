//! Fuzz-style property test: random well-typed programs compile, and the circuit equals
//! the reference interpreter on every input (inputs total ≤ 12 bits), with all passes on
//! and with all passes off.

use crate::common;

use common::{check_tuples, compile, input_tuples, input_widths, pass_sets};
use proptest::prelude::*;

fn num_type() -> impl Strategy<Value = String> {
    (0..4u8, 2..6u32, 0..3u32).prop_map(|(kind, n, f)| match kind {
        0 => format!("int<{n}>"),
        1 => format!("uint<{n}>"),
        2 => format!("fixed<{n}, {f}>"),
        _ => format!("ufixed<{n}, {f}>"),
    })
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0.5"),
        Just("1"),
        Just("0.25"),
        Just("3"),
        Just("1.75"),
        Just("0")
    ]
    .prop_map(String::from)
}

/// A numeric expression over the inputs `a` and `b`.
fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![Just("a".to_string()), Just("b".to_string())];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop_oneof![Just("+"), Just("-"), Just("*")],
                inner.clone()
            )
                .prop_map(|(x, op, y)| format!("({x} {op} {y})")),
            (
                inner.clone(),
                prop_oneof![Just("+"), Just("-"), Just("*")],
                literal()
            )
                .prop_map(|(x, op, c)| format!("({x} {op} {c})")),
            (
                prop_oneof![Just("-"), Just("abs"), Just("sign")],
                inner.clone()
            )
                .prop_map(|(f, x)| {
                    if f == "-" {
                        format!("(-{x})")
                    } else {
                        format!("{f}({x})")
                    }
                }),
            (inner.clone(), prop_oneof![Just("<<"), Just(">>")], 0..3u32)
                .prop_map(|(x, op, k)| format!("({x} {op} {k})")),
            (inner.clone(), num_type()).prop_map(|(x, t)| format!("({x} as {t})")),
            (
                prop_oneof![Just("min"), Just("max")],
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(f, x, y)| format!("{f}({x}, {y})")),
            (
                inner.clone(),
                prop_oneof![Just("<"), Just("<="), Just("=="), Just("!=")],
                inner.clone(),
                inner.clone(),
                inner
            )
                .prop_map(|(p, op, q, t, e)| format!("(if {p} {op} {q} {{ {t} }} else {{ {e} }})")),
        ]
    })
}

fn program() -> impl Strategy<Value = String> {
    (num_type(), num_type(), expr(), num_type(), expr(), prop_oneof![Just("<"), Just(">="), Just("==")], expr()).prop_map(
        |(ta, tb, e, tout, p, op, q)| {
            format!(
                "input garbler a: {ta};\ninput evaluator b: {tb};\nlet e = {e};\noutput y: {tout} = e;\noutput z: fixed<12, 2> = e;\noutput c: bool = {p} {op} {q};\n"
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_programs_match_the_interpreter(src in program()) {
        // A program the checker rejects (e.g. an intermediate wider than 128 bits) is skipped.
        prop_assume!(dsl::check(&src, "random.dsl").is_ok());
        let sets = pass_sets();
        for passes in [sets[0], sets[1]] {
            let circuit = compile(&src, passes);
            let tuples = input_tuples(&input_widths(&circuit), 12, 0, &[], 1);
            check_tuples(&src, &circuit, &tuples);
        }
    }
}

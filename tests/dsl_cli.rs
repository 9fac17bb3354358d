//! `gcc-nn check` and `gcc-nn eval` end to end, spawning the real binary.

use crate::cli_common;
use cli_common::{gcc_nn, text};

#[test]
fn check_accepts_every_shipped_circuit() {
    for c in [
        "tanh",
        "tanh_fit",
        "tanh_fine",
        "relu",
        "sigmoid",
        "gelu",
        "output_pixel",
    ] {
        let path = format!("circuits/{c}.dsl");
        let out = gcc_nn(&["check", &path]);
        assert!(out.status.success(), "{path}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains(&format!("{path}: ok")));
    }
}

#[test]
fn check_rejects_a_malformed_program_with_its_location() {
    let out = gcc_nn(&["check", "tests/fixtures/dsl/bad.dsl"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("tests/fixtures/dsl/bad.dsl:3:24: error: expected an expression"),
        "{err}"
    );
    assert!(err.contains("3 | let y: fixed<16, 12> = ;"), "{err}");
    assert!(err.contains("`-- expected an expression"), "{err}");
    // Not a terminal: no colour codes.
    assert!(!err.contains('\x1b'), "{err}");

    let out = gcc_nn(&["check", "tests/fixtures/dsl/bad_type.dsl"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("bad_type.dsl:2:18: error: expected a value of type bool"),
        "{err}"
    );
}

#[test]
fn check_reports_a_missing_file() {
    let out = gcc_nn(&["check", "tests/fixtures/dsl/no_such_file.dsl"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("cannot read"));
}

#[test]
fn eval_prints_the_fixed_point_result() {
    // tanh*(0.5) = −0.2716·0.25 + 0.5 + 0.016 = 0.4481 → 1835.4 ulp → 1835 = 0x72b
    let out = gcc_nn(&["eval", "circuits/tanh.dsl", "--input", "x=0.5"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "y = 0.447998046875  (raw 0x72b, fixed<16, 12>)"
    );
    // beyond b: exactly −1
    let out = gcc_nn(&["eval", "circuits/tanh.dsl", "--input", "x=-3"]);
    assert!(
        text(&out.stdout).starts_with("y = -1  (raw 0xf000"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn eval_with_constant_overrides_and_raw_inputs() {
    // S = su + sc = 0x30 + 0xffffffffd0 = 2^40 ≡ 0 (mod 2^K) → pixel = 128 + ⌊51·0⌋ = raw 0x80
    let out = gcc_nn(&[
        "eval",
        "circuits/output_pixel.dsl",
        "-D",
        "K=40",
        "--input",
        "su=0x30",
        "--input",
        "sc=0xffffffffd0",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("(raw 0x80, uint<8>)"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn eval_rejects_bad_inputs_and_overrides() {
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "eval",
                "circuits/tanh.dsl",
                "--input",
                "x=1",
                "--input",
                "x=2",
            ],
            "more than once",
        ),
        (
            &["eval", "circuits/tanh.dsl"],
            "no value given for input `x`",
        ),
        (
            &["eval", "circuits/tanh.dsl", "--input", "x=9"],
            "does not fit",
        ),
        (
            &["eval", "circuits/tanh.dsl", "--input", "q=1"],
            "no such input",
        ),
        (
            &[
                "eval",
                "circuits/tanh.dsl",
                "-D",
                "NOPE=1",
                "--input",
                "x=1",
            ],
            "no constant of that name",
        ),
    ];
    for (args, want) in cases {
        let out = gcc_nn(args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            text(&out.stderr).contains(want),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn check_can_print_the_core_ir() {
    let out = gcc_nn(&["check", "circuits/relu.dsl", "--ir"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    // max(x, 0): the constant 0 at x's frac, a max node, the output
    assert!(s.contains("input Garbler x: fixed<16, 12> = v0"), "{s}");
    assert!(s.contains("= max v0 v1"), "{s}");
    assert!(s.contains("output y: fixed<16, 12> = v"), "{s}");
}

//! Resource limits: tiny circuit files that declare huge sizes fail at once with an error
//! naming the field (nothing is allocated for the declared size).

use gcc_nn_circuit::binary::{self, BinaryError};
use gcc_nn_circuit::bristol::{self, BristolError};
use gcc_nn_circuit::limits::{self, LimitError};

fn bristol_limit(r: Result<gcc_nn_circuit::Circuit, BristolError>) -> LimitError {
    match r {
        Err(BristolError::Limit(e)) => e,
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[test]
fn bristol_huge_gate_count_fails_fast() {
    let text = "99999999999 3\n2 1 1\n1 1\n";
    assert!(text.len() <= 24);
    let e = bristol_limit(bristol::read_fashion(text));
    assert_eq!(
        (e.field, e.value, e.limit),
        ("gate count", 99_999_999_999, limits::MAX_GATES)
    );
    assert!(e.to_string().contains("gate count 99999999999 exceeds"));
}

#[test]
fn bristol_huge_wire_count_fails_fast() {
    let e = bristol_limit(bristol::read_fashion("1 99999999999\n2 1 1\n1 1\n"));
    assert_eq!(e.field, "wire count");
    let e = bristol_limit(bristol::read_old_format("1 99999999999\n1 1 1\n"));
    assert_eq!(e.field, "wire count");
}

#[test]
fn bristol_huge_value_width_fails_fast() {
    let e = bristol_limit(bristol::read_fashion("1 3\n1 99999999999\n1 1\n"));
    assert_eq!((e.field, e.value), ("value width", 99_999_999_999));
    let e = bristol_limit(bristol::read_old_format("1 3\n1 1 99999999999\n"));
    assert_eq!(e.field, "value width");
}

#[test]
fn bristol_huge_value_count_fails_fast() {
    // u64::MAX values: once `count + 1` overflowed here.
    let e = bristol_limit(bristol::read_fashion("1 3\n18446744073709551615 1\n1 1\n"));
    assert_eq!((e.field, e.value), ("input value count", u64::MAX));
    let e = bristol_limit(bristol::read_fashion("1 3\n2 1 1\n99999999 1\n"));
    assert_eq!(e.field, "output value count");
}

/// The envelope around `fields` as varints (a well-checksummed file).
fn binary_file(fields: &[u64]) -> Vec<u8> {
    use bytes::Put;
    let mut body = Vec::new();
    for &f in fields {
        body.put_uleb(f);
    }
    binary::BINARY_FILE.seal(&body)
}

fn binary_limit(bytes: &[u8]) -> LimitError {
    match binary::read(bytes) {
        Err(BinaryError::Limit(e)) => e,
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[test]
fn binary_huge_counts_fail_fast() {
    // input value count
    let e = binary_limit(&binary_file(&[u64::MAX >> 1]));
    assert_eq!(e.field, "input value count");
    // one input named by a 2^40-byte name
    let e = binary_limit(&binary_file(&[1, 1 << 40]));
    assert_eq!(e.field, "value name length");
    // no inputs, no outputs, 2^32-1 wires
    let e = binary_limit(&binary_file(&[0, 0, u64::from(u32::MAX)]));
    assert_eq!(e.field, "wire count");
    // no inputs, no outputs, 1 wire, 2^40 gates
    let e = binary_limit(&binary_file(&[0, 0, 1, 1 << 40]));
    assert_eq!((e.field, e.limit), ("gate count", limits::MAX_GATES));
    assert!(binary_file(&[0, 0, 1, 1 << 40]).len() < 70);
    let msg = BinaryError::Limit(e).to_string();
    assert!(
        msg.contains("gate count 1099511627776 exceeds the limit"),
        "{msg}"
    );
}

#[test]
fn binary_huge_value_width_fails_fast() {
    // one unnamed garbler input of format Unsigned { width: 2^31, frac: 0 }
    let e = binary_limit(&binary_file(&[1, 0, 1, 2, 1 << 31, 0]));
    assert_eq!((e.field, e.value), ("value width", 1 << 31));
}

#[test]
fn huge_fractional_lengths_are_refused() {
    // Printing a value with 2^32 − 1 fractional bits would compute 5^(2^32 − 1).
    let e = binary_limit(&binary_file(&[1, 0, 1, 2, 8, u64::from(u32::MAX)]));
    assert_eq!(
        (e.field, e.limit),
        ("fractional bits", limits::MAX_FRAC_BITS)
    );
    let mut c = bristol::read_fashion("1 3\n2 1 1\n1 1\n2 1 0 1 2 AND\n").expect("reads");
    let json = r#"{"version":1,"inputs":[{"name":"a","party":"Garbler","format":"Bool"},
        {"name":"b","party":"Evaluator","format":{"Unsigned":{"width":1,"frac":4294967295}}}],
        "outputs":[{"name":"z","party":null,"format":"Bool"}]}"#;
    match gcc_nn_circuit::meta::apply(&mut c, json) {
        Err(gcc_nn_circuit::meta::MetaError::Limit(e)) => assert_eq!(e.field, "fractional bits"),
        other => panic!("expected a limit error, got {other:?}"),
    }
}

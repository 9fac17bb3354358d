//! Property tests of the circuit decoders (the fuzz targets' guarantees, kept in CI):
//! random and mutated Bristol text and binary files never panic, and random circuits
//! survive write → read in both formats (same function, same structure).

use gcc_nn_circuit::simulate::simulate_u64;
use gcc_nn_circuit::{Circuit, Gate, IoValue, Party, ValueFormat, binary, bristol, meta};
use proptest::prelude::*;
use testkit::mutate::{edits, mutate};

const ADDER: &str = include_str!("data/bristol/bristol_format/adder_32bit.txt");

/// The seed the mutations start from: the vendored 32-bit adder (127 ANDs) with owners and
/// signed fixed-point formats, so mutated side files and binary files exercise every field.
fn seed() -> Circuit {
    let mut c = bristol::read_old_format(ADDER).expect("vendored adder reads");
    let fixed = ValueFormat::Signed { width: 32, frac: 8 };
    for (v, party) in c.inputs.iter_mut().zip([Party::Garbler, Party::Evaluator]) {
        v.party = Some(party);
        v.format = fixed;
    }
    c.outputs[0].format = ValueFormat::Unsigned { width: 33, frac: 8 };
    c.validate().expect("seed is well formed");
    c
}

/// A random well-formed circuit: `widths` input values, then `ops` gates each reading two
/// earlier wires (picked by the `u32`s), outputs picked among all wires.
fn random_circuit(widths: &[u32], ops: &[(u8, u32, u32)], outs: &[u32]) -> Circuit {
    let value = |i: usize, w: u32| IoValue {
        name: format!("v{i}"),
        party: None,
        format: ValueFormat::Unsigned { width: w, frac: 0 },
    };
    let n_in: u32 = widths.iter().sum();
    let mut gates = Vec::new();
    for (k, &(op, a, b)) in ops.iter().enumerate() {
        let written = n_in + k as u32;
        let (a, b, out) = (a % written, b % written, written);
        gates.push(match op % 3 {
            0 => Gate::Xor { a, b, out },
            1 => Gate::And { a, b, out },
            _ => Gate::Inv { a, out },
        });
    }
    let num_wires = n_in + ops.len() as u32;
    let output_wires: Vec<u32> = outs.iter().map(|o| o % num_wires).collect();
    Circuit {
        inputs: widths
            .iter()
            .enumerate()
            .map(|(i, &w)| value(i, w))
            .collect(),
        outputs: vec![value(0, output_wires.len() as u32)],
        num_wires,
        gates,
        output_wires,
    }
}

fn circuit_strategy() -> impl Strategy<Value = Circuit> {
    (
        prop::collection::vec(1..6u32, 1..4),
        prop::collection::vec((any::<u8>(), any::<u32>(), any::<u32>()), 0..60),
        prop::collection::vec(any::<u32>(), 1..10),
    )
        .prop_map(|(w, ops, outs)| random_circuit(&w, &ops, &outs))
}

fn inputs_for(c: &Circuit, seed: u64) -> Vec<u64> {
    (0..c.num_input_wires() as u64)
        .map(|i| (i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seed)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_text_never_panics_the_bristol_readers(text in "[0-9 \\nXORANDINVEQWM]{0,200}") {
        let _ = bristol::read_fashion(&text);
        let _ = bristol::read_old_format(&text);
    }

    #[test]
    fn mutated_bristol_files_never_panic(edits in edits(8)) {
        let c = seed();
        let mut bytes = bristol::write_fashion(&c).into_bytes();
        mutate(&mut bytes, &edits);
        let text = String::from_utf8_lossy(&bytes);
        let _ = bristol::read_fashion(&text);
        let _ = bristol::read_old_format(&text);
        let mut json = meta::to_json(&c).into_bytes();
        mutate(&mut json, &edits);
        let mut d = c.clone();
        let _ = meta::apply(&mut d, &String::from_utf8_lossy(&json));
    }

    #[test]
    fn random_and_mutated_binary_files_never_panic(
        noise in prop::collection::vec(any::<u8>(), 0..64),
        edits in edits(8),
    ) {
        let _ = binary::read(&noise);
        let file = binary::write(&seed());
        let mut bytes = file.clone();
        mutate(&mut bytes, &edits);
        let _ = binary::read(&bytes);
        // The body mutated and sealed again, so the mutation reaches the structure.
        let mut body = file[20..file.len() - 32].to_vec();
        mutate(&mut body, &edits);
        let _ = binary::read(&binary::BINARY_FILE.seal(&body));
    }

    #[test]
    fn random_circuits_round_trip_through_bristol(c in circuit_strategy(), seed in any::<u64>()) {
        prop_assert!(c.validate().is_ok());
        let back = bristol::read_fashion(&bristol::write_fashion(&c)).expect("reads back");
        prop_assert_eq!(back.num_input_wires(), c.num_input_wires());
        let input = inputs_for(&c, seed);
        prop_assert_eq!(simulate_u64(&back, &input), simulate_u64(&c, &input));
        let mut with_meta = back;
        meta::apply(&mut with_meta, &meta::to_json(&c)).expect("side file applies");
        prop_assert_eq!(&with_meta.inputs, &c.inputs);
        prop_assert_eq!(&with_meta.outputs, &c.outputs);
    }

    #[test]
    fn random_circuits_round_trip_through_binary(c in circuit_strategy()) {
        let back = binary::read(&binary::write(&c)).expect("reads back");
        prop_assert_eq!(back, c);
    }
}

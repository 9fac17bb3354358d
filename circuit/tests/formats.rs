//! Circuit files: corrupt or truncated binary files are clear errors, and the one loader
//! reads every format (binary, Bristol Fashion with or without its side file, old Bristol)
//! with errors that name the file.

use gcc_nn_circuit::binary::{self, BinaryError};
use gcc_nn_circuit::{Circuit, Party, ValueFormat, bristol};

const ADDER: &str = include_str!("data/bristol/bristol_format/adder_32bit.txt");

/// The vendored 32-bit adder with owners and signed formats.
fn seed() -> Circuit {
    let mut c = bristol::read_old_format(ADDER).expect("vendored adder reads");
    for (v, party) in c.inputs.iter_mut().zip([Party::Garbler, Party::Evaluator]) {
        v.party = Some(party);
        v.format = ValueFormat::Signed { width: 32, frac: 0 };
    }
    c
}

#[test]
fn corrupt_or_truncated_binary_is_a_clear_error() {
    let bytes = binary::write(&seed());
    assert_eq!(binary::read(b"NOPE"), Err(BinaryError::BadMagic));
    assert!(matches!(
        binary::read(&bytes[..5]),
        Err(BinaryError::Truncated { .. })
    ));
    for cut in [6, 20, bytes.len() / 2, bytes.len() - 1] {
        assert!(binary::read(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    for pos in [6, 40, bytes.len() / 2, bytes.len() - 40, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x10;
        assert_eq!(
            binary::read(&bad),
            Err(BinaryError::Checksum),
            "flip at {pos}"
        );
    }
    let mut future = bytes.clone();
    future[4] = 9;
    assert_eq!(
        binary::read(&future),
        Err(BinaryError::UnsupportedVersion { found: 9 })
    );
    assert!(binary::read(&[]).is_err());
}

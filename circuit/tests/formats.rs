//! Circuit files: corrupt or truncated binary files are clear errors, and the one loader
//! reads every format (binary, Bristol Fashion with or without its side file, old Bristol)
//! with errors that name the file.

use gcc_nn_circuit::binary::{self, BinaryError};
use gcc_nn_circuit::load::{LoadError, load};
use gcc_nn_circuit::{Circuit, Party, ValueFormat, bristol, meta};

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
        binary::read(&bytes[..10]),
        Err(BinaryError::Truncated { .. })
    ));
    for cut in [6, 20, bytes.len() / 2, bytes.len() - 1] {
        assert!(binary::read(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    for pos in [20, 40, bytes.len() / 2, bytes.len() - 40, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x10;
        assert_eq!(
            binary::read(&bad),
            Err(BinaryError::Checksum),
            "flip at {pos}"
        );
    }
    let mut future = bytes.clone();
    future[8] = 9;
    assert_eq!(
        binary::read(&future),
        Err(BinaryError::UnsupportedVersion { found: 9 })
    );
    // A file of the format before the envelope (magic `GCNC`, u16 version 1): refused as
    // version 1, with what to do.
    let e = binary::read(b"GCNC\x01\x00 the old body").expect_err("version 1");
    assert_eq!(e, BinaryError::UnsupportedVersion { found: 1 });
    assert!(e.to_string().contains("recompile the circuit"), "{e}");
    assert!(binary::read(&[]).is_err());
}

const AND: &str = "1 3\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n";

#[test]
fn loader_applies_the_side_file_beside_a_bristol_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("and.txt");
    std::fs::write(&path, AND).expect("write");
    let plain = load(&path, None).expect("loads without a side file");
    assert_eq!(plain.inputs[0].party, None);
    let mut owned = plain.clone();
    owned.inputs[0].party = Some(Party::Garbler);
    owned.inputs[1].party = Some(Party::Evaluator);
    owned.inputs[0].name = "a".into();
    std::fs::write(meta::meta_path(&path), meta::to_json(&owned)).expect("write side file");
    assert_eq!(load(&path, None).expect("loads"), owned);
    // An explicitly named side file is used instead of the default one.
    let other = dir.path().join("other.json");
    let mut renamed = owned.clone();
    renamed.inputs[1].name = "b".into();
    std::fs::write(&other, meta::to_json(&renamed)).expect("write");
    assert_eq!(load(&path, Some(&other)).expect("loads"), renamed);
}

#[test]
fn loader_errors_name_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("and.txt");
    std::fs::write(&path, AND).expect("write");
    let missing = dir.path().join("missing.json");
    let e = load(&path, Some(&missing)).expect_err("named side file is missing");
    assert!(matches!(e, LoadError::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("missing.json"), "{e}");
    // A broken default side file is an error, not silently ignored.
    std::fs::write(meta::meta_path(&path), "{ not json").expect("write");
    let e = load(&path, None).expect_err("bad side file");
    assert!(matches!(e, LoadError::Meta { .. }), "{e:?}");
    assert!(e.to_string().contains("and.txt.meta.json"), "{e}");
    // A side file for a circuit with other widths is refused.
    let wide = seed();
    std::fs::write(meta::meta_path(&path), meta::to_json(&wide)).expect("write");
    assert!(matches!(load(&path, None), Err(LoadError::Meta { .. })));
    // A binary file carries its own metadata: a named side file is an error.
    let bin = dir.path().join("adder.gcnc");
    std::fs::write(&bin, binary::write(&wide)).expect("write");
    assert_eq!(load(&bin, None).expect("binary loads"), wide);
    let e = load(&bin, Some(&missing)).expect_err("side file for binary");
    assert!(matches!(e, LoadError::MetaForBinary { .. }), "{e:?}");
    // A missing circuit file names itself.
    let e = load(&dir.path().join("nope.txt"), None).expect_err("missing");
    assert!(e.to_string().contains("nope.txt"), "{e}");
    // A truncated binary file is a binary error naming the file.
    let bytes = binary::write(&wide);
    std::fs::write(&bin, &bytes[..bytes.len() / 2]).expect("write");
    let e = load(&bin, None).expect_err("truncated");
    assert!(matches!(e, LoadError::Binary { .. }), "{e:?}");
    assert!(e.to_string().contains("adder.gcnc"), "{e}");
}

//! Bristol Fashion / old Bristol format: the vendored files in `tests/data/bristol` read,
//! simulate to their known answers (listed in that folder's README), and survive a
//! write → read round trip.

use circuit::bristol::{BristolError, read_fashion, read_old_format, write_fashion};
use circuit::{Circuit, Gate};
use gcc_nn_circuit as circuit;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/bristol");

fn load(rel: &str) -> String {
    let path = format!("{DATA}/{rel}");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("vendored Bristol circuit missing at {path} ({e})"))
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Bristol Fashion order: the byte string as one big-endian integer, LSB-first.
fn fashion_bits(bytes: &[u8]) -> Vec<bool> {
    let n = bytes.len();
    (0..8 * n)
        .map(|j| (bytes[n - 1 - j / 8] >> (j % 8)) & 1 == 1)
        .collect()
}

fn fashion_bytes(bits: &[bool]) -> Vec<u8> {
    let n = bits.len() / 8;
    let mut out = vec![0u8; n];
    for (j, &b) in bits.iter().enumerate() {
        out[n - 1 - j / 8] |= u8::from(b) << (j % 8);
    }
    out
}

/// Old Bristol format order: string order, MSB first within each byte.
fn old_bits(bytes: &[u8]) -> Vec<bool> {
    (0..8 * bytes.len())
        .map(|j| (bytes[j / 8] >> (7 - j % 8)) & 1 == 1)
        .collect()
}

fn old_bytes(bits: &[bool]) -> Vec<u8> {
    let mut out = vec![0u8; bits.len() / 8];
    for (j, &b) in bits.iter().enumerate() {
        out[j / 8] |= u8::from(b) << (7 - j % 8);
    }
    out
}

fn counts(c: &Circuit) -> (usize, usize, usize) {
    let mut n = (0, 0, 0);
    for g in &c.gates {
        match g {
            Gate::And { .. } => n.0 += 1,
            Gate::Xor { .. } => n.1 += 1,
            Gate::Inv { .. } => n.2 += 1,
        }
    }
    n
}

/// Reads a Fashion file, checks its gate counts, and returns it plus its round-tripped copy.
fn fashion_and_roundtrip(rel: &str, and_xor_inv: (usize, usize, usize)) -> [Circuit; 2] {
    let c = read_fashion(&load(rel)).expect("read");
    assert_eq!(counts(&c), and_xor_inv, "{rel}: gate counts");
    let again = read_fashion(&write_fashion(&c)).expect("re-read");
    assert_eq!(
        counts(&again),
        and_xor_inv,
        "{rel}: round-tripped gate counts"
    );
    [c, again]
}

fn sha256_block(msg: &[u8]) -> Vec<u8> {
    assert!(msg.len() < 56);
    let mut block = msg.to_vec();
    block.push(0x80);
    block.resize(56, 0);
    block.extend_from_slice(&((msg.len() as u64) * 8).to_be_bytes());
    block
}

const SHA_VECTORS: [(&[u8], &str, &str); 2] = [
    (
        b"",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    ),
    (
        b"abc",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "a9993e364706816aba3e25717850c26c9cd0d89d",
    ),
];

#[test]
fn aes_fashion_files_match_fips197() {
    let cases = [
        (
            "bristol_fashion/aes_128.txt",
            (6400, 28176, 2087),
            vec![
                (
                    "2b7e151628aed2a6abf7158809cf4f3c",
                    "3243f6a8885a308d313198a2e0370734",
                    "3925841d02dc09fbdc118597196a0b32",
                ),
                (
                    "000102030405060708090a0b0c0d0e0f",
                    "00112233445566778899aabbccddeeff",
                    "69c4e0d86a7b0430d8cdb78070b4c55a",
                ),
            ],
        ),
        (
            "bristol_fashion/aes_192.txt",
            (7168, 32080, 2317),
            vec![(
                "000102030405060708090a0b0c0d0e0f1011121314151617",
                "00112233445566778899aabbccddeeff",
                "dda97ca4864cdfe06eaf70a0ec0d7191",
            )],
        ),
        (
            "bristol_fashion/aes_256.txt",
            (8832, 39008, 2826),
            vec![(
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "00112233445566778899aabbccddeeff",
                "8ea2b7ca516745bfeafc49904b496089",
            )],
        ),
    ];
    for (file, gate_counts, vectors) in cases {
        for c in fashion_and_roundtrip(file, gate_counts) {
            assert_eq!(c.inputs.len(), 2);
            for (key, pt, ct) in &vectors {
                let mut bits = fashion_bits(&hex(key));
                bits.extend(fashion_bits(&hex(pt)));
                assert_eq!(fashion_bytes(&c.simulate(&bits)), hex(ct), "{file}");
            }
        }
    }
}

#[test]
fn sha256_fashion_file_digests_known_messages() {
    let iv = hex("6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19");
    for c in fashion_and_roundtrip("bristol_fashion/sha256.txt", (22573, 110644, 1856)) {
        for (msg, digest, _) in SHA_VECTORS {
            let mut bits = fashion_bits(&sha256_block(msg));
            bits.extend(fashion_bits(&iv));
            assert_eq!(fashion_bytes(&c.simulate(&bits)), hex(digest));
        }
    }
}

fn old_and_roundtrip(rel: &str, and_xor_inv: (usize, usize, usize)) -> [Circuit; 2] {
    let c = read_old_format(&load(rel)).expect("read");
    assert_eq!(counts(&c), and_xor_inv, "{rel}: gate counts");
    let again = read_fashion(&write_fashion(&c)).expect("re-read");
    assert_eq!(
        counts(&again),
        and_xor_inv,
        "{rel}: round-tripped gate counts"
    );
    [c, again]
}

#[test]
fn old_format_aes_matches_fips197() {
    for c in old_and_roundtrip("bristol_format/AES-non-expanded.txt", (6800, 25124, 1692)) {
        for (key, pt, ct) in [
            (
                "2b7e151628aed2a6abf7158809cf4f3c",
                "3243f6a8885a308d313198a2e0370734",
                "3925841d02dc09fbdc118597196a0b32",
            ),
            (
                "000102030405060708090a0b0c0d0e0f",
                "00112233445566778899aabbccddeeff",
                "69c4e0d86a7b0430d8cdb78070b4c55a",
            ),
        ] {
            let mut bits = old_bits(&hex(pt));
            bits.extend(old_bits(&hex(key)));
            assert_eq!(old_bytes(&c.simulate(&bits)), hex(ct));
        }
    }
}

#[test]
fn old_format_sha_files_digest_known_messages() {
    let sha256 = old_and_roundtrip("bristol_format/sha-256.txt", (22272, 91780, 2194));
    let sha1 = old_and_roundtrip("bristol_format/sha-1.txt", (37300, 24166, 45135));
    for (msg, d256, d1) in SHA_VECTORS {
        let bits = old_bits(&sha256_block(msg));
        for c in &sha256 {
            assert_eq!(c.inputs.len(), 1, "the zero-width second input is dropped");
            assert_eq!(old_bytes(&c.simulate(&bits)), hex(d256));
        }
        for c in &sha1 {
            assert_eq!(old_bytes(&c.simulate(&bits)), hex(d1));
        }
    }
}

#[test]
fn old_format_adder_adds() {
    use circuit::value::{from_bits, to_bits};
    for c in old_and_roundtrip("bristol_format/adder_32bit.txt", (127, 61, 187)) {
        for (a, b) in [
            (0xffff_ffffu128, 1u128),
            (0, 0),
            (123_456_789, 987_654_321),
            (0xdead_beef, 0xfeed_face),
        ] {
            let mut bits = to_bits(a, 32);
            bits.extend(to_bits(b, 32));
            assert_eq!(from_bits(&c.simulate(&bits)), a + b, "{a} + {b}");
        }
    }
}

#[test]
fn extended_operations_are_read() {
    // in: a (1 bit), b (1 bit). w2 = 1 (EQ), w3 = a (EQW), MAND: w4 = a&b, w5 = w2&w3 = a,
    // outputs (last 3 wires): w6 = a^b, w7 = NOT w4, w8 = w5 ^ w2 = NOT a.
    let text = "6 9\n2 1 1\n1 3\n\n1 1 1 2 EQ\n1 1 0 3 EQW\n4 2 0 2 1 3 4 5 MAND\n\
                2 1 0 1 6 XOR\n1 1 4 7 INV\n2 1 5 2 8 XOR\n";
    let c = read_fashion(text).expect("read");
    for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
        assert_eq!(c.simulate(&[a, b]), vec![a ^ b, !(a & b), !a]);
        let again = read_fashion(&write_fashion(&c)).expect("round trip");
        assert_eq!(again.simulate(&[a, b]), vec![a ^ b, !(a & b), !a]);
    }
}

#[test]
fn writer_puts_outputs_last_and_copies_inputs_and_repeats() {
    // Outputs: input 0, the AND, the AND again, input 1.
    let c = Circuit {
        inputs: read_fashion("1 3\n2 1 1\n1 1\n2 1 0 1 2 AND\n")
            .expect("read")
            .inputs,
        outputs: vec![circuit::IoValue {
            name: "o".into(),
            party: None,
            format: circuit::ValueFormat::Unsigned { width: 4, frac: 0 },
        }],
        num_wires: 3,
        gates: vec![Gate::And { a: 0, b: 1, out: 2 }],
        output_wires: vec![0, 2, 2, 1],
    };
    let text = write_fashion(&c);
    let back = read_fashion(&text).expect("re-read");
    let (_, nwires) = text
        .lines()
        .next()
        .and_then(|l| l.split_once(' '))
        .expect("header");
    let nwires: u32 = nwires.parse().expect("wire count");
    assert_eq!(
        back.output_wires,
        (nwires - 4..nwires).collect::<Vec<_>>(),
        "outputs are the last wires"
    );
    for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
        assert_eq!(back.simulate(&[a, b]), vec![a, a & b, a & b, b]);
    }
}

fn syntax_line(r: Result<Circuit, BristolError>) -> usize {
    match r {
        Err(BristolError::Syntax { line, .. }) => line,
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn bad_files_are_clear_errors() {
    assert!(matches!(
        read_fashion(""),
        Err(BristolError::TruncatedHeader { .. })
    ));
    assert!(matches!(
        read_fashion("1 3\n2 1 1\n"),
        Err(BristolError::TruncatedHeader { .. })
    ));
    assert_eq!(
        syntax_line(read_fashion("1 3\n2 1 1\n1 1\n\n2 1 0 1 2 NAND\n")),
        5
    );
    assert_eq!(
        syntax_line(read_fashion("1 3\n2 1\n1 1\n2 1 0 1 2 AND\n")),
        2
    );
    assert_eq!(
        syntax_line(read_fashion("1 3\n2 1 1\n1 1\n2 1 0 x 2 AND\n")),
        4
    );
    assert_eq!(
        syntax_line(read_fashion("1 3\n2 1 1\n1 1\n2 1 0 1 AND\n")),
        4
    );
    assert!(matches!(
        read_fashion("2 3\n2 1 1\n1 1\n2 1 0 1 2 AND\n"),
        Err(BristolError::GateCount {
            declared: 2,
            found: 1
        })
    ));
    assert!(matches!(
        read_fashion("1 4\n2 1 1\n1 1\n2 1 0 3 2 AND\n"),
        Err(BristolError::WireCount { .. })
    ));
    assert!(matches!(
        read_fashion("2 4\n2 1 1\n1 1\n2 1 0 3 2 AND\n2 1 0 1 3 XOR\n"),
        Err(BristolError::ReadBeforeWrite { line: 4, wire: 3 })
    ));
    assert!(matches!(
        read_fashion("2 4\n2 1 1\n1 1\n2 1 0 1 2 AND\n2 1 0 1 2 XOR\n"),
        Err(BristolError::WrittenTwice { line: 5, wire: 2 })
    ));
    assert!(matches!(
        read_fashion("1 3\n2 1 1\n1 1\n2 1 0 1 7 AND\n"),
        Err(BristolError::WireOutOfRange {
            line: 4,
            wire: 7,
            ..
        })
    ));
    // A lying header (4 billion wires, huge widths) is rejected without allocating for it.
    assert!(matches!(
        read_fashion("1 4000000000\n2 1 1\n1 1\n2 1 0 1 2 AND\n"),
        Err(BristolError::Limit(circuit::limits::LimitError {
            field: "wire count",
            ..
        }))
    ));
    assert!(matches!(
        read_fashion("1 3000\n2 1 1\n1 1\n2 1 0 1 2 AND\n"),
        Err(BristolError::WireCount { .. })
    ));
    assert!(read_fashion("1 3\n2 3999999999 1\n1 1\n2 1 0 1 2 AND\n").is_err());
    assert!(read_fashion("18446744073709551615 3\n2 1 1\n1 1\n2 1 0 1 2 AND\n").is_err());
    assert!(read_fashion("1 3\n2 1 1\n1 1\n99999999999 1 0 1 2 AND\n").is_err());
}

#[test]
fn truncated_vendored_file_is_an_error() {
    let text = load("bristol_fashion/aes_128.txt");
    let cut = &text[..text.len() / 2];
    assert!(matches!(
        read_fashion(cut),
        Err(BristolError::GateCount { .. }) | Err(BristolError::Syntax { .. })
    ));
}

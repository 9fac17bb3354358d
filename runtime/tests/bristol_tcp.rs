//! Every vendored Bristol circuit (circuit/tests/data/bristol, one copy for the whole
//! repository), garbled and evaluated over loopback TCP, against the known answers listed
//! in that folder's README — under both garbling schemes (half-gates and three-halves),
//! which must decode the same outputs.

use crate::common;

use circuit::Party::{Evaluator as E, Garbler as G};
use circuit::value::to_bits;
use common::{fashion_bits, hex, old_bits, run_tcp_scheme};
use gcc_nn_runtime::driver::{Reveal, TwoPartyCircuit};
use gcc_nn_runtime::scheme::Scheme;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../circuit/tests/data/bristol");

fn load(rel: &str, old: bool) -> circuit::Circuit {
    let path = format!("{DATA}/{rel}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let c = if old {
        circuit::bristol::read_old_format(&text)
    } else {
        circuit::bristol::read_fashion(&text)
    };
    c.unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

/// Runs one instance (`g`: garbler's bits, `e`: evaluator's) with both parties learning
/// the output, under each scheme; checks both parties and both schemes agree.
fn run(c: circuit::Circuit, parties: Vec<circuit::Party>, g: Vec<bool>, e: Vec<bool>) -> Vec<bool> {
    let tpc = TwoPartyCircuit::with_parties(c, parties).expect("valid circuit");
    let mut outs = Scheme::ALL.map(|scheme| {
        let (go, eo) = run_tcp_scheme(&tpc, vec![g.clone()], vec![e.clone()], Reveal::Both, scheme);
        let go = go.outputs.expect("garbler learns");
        let eo = eo.outputs.expect("evaluator learns");
        assert_eq!(go, eo, "both parties decode the same outputs ({scheme})");
        eo.into_iter().next().expect("one instance")
    });
    assert_eq!(
        outs[0], outs[1],
        "half-gates and three-halves decode the same outputs"
    );
    std::mem::take(&mut outs[0])
}

#[test]
fn aes_128_fashion_fips197() {
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
        let out = run(
            load("bristol_fashion/aes_128.txt", false),
            vec![G, E],
            fashion_bits(&hex(key)),
            fashion_bits(&hex(pt)),
        );
        assert_eq!(out, fashion_bits(&hex(ct)), "AES-128({key}, {pt})");
    }
}

#[test]
fn aes_192_and_256_fashion_fips197() {
    let pt = "00112233445566778899aabbccddeeff";
    let key192 = "000102030405060708090a0b0c0d0e0f1011121314151617";
    let out = run(
        load("bristol_fashion/aes_192.txt", false),
        vec![G, E],
        fashion_bits(&hex(key192)),
        fashion_bits(&hex(pt)),
    );
    assert_eq!(out, fashion_bits(&hex("dda97ca4864cdfe06eaf70a0ec0d7191")));
    let key256 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    let out = run(
        load("bristol_fashion/aes_256.txt", false),
        vec![G, E],
        fashion_bits(&hex(key256)),
        fashion_bits(&hex(pt)),
    );
    assert_eq!(out, fashion_bits(&hex("8ea2b7ca516745bfeafc49904b496089")));
}

#[test]
fn aes_non_expanded_old_format() {
    // Old format: n1 = plaintext (evaluator), n2 = key (garbler).
    let out = run(
        load("bristol_format/AES-non-expanded.txt", true),
        vec![E, G],
        old_bits(&hex("2b7e151628aed2a6abf7158809cf4f3c")),
        old_bits(&hex("3243f6a8885a308d313198a2e0370734")),
    );
    assert_eq!(out, old_bits(&hex("3925841d02dc09fbdc118597196a0b32")));
}

fn padded_abc() -> Vec<u8> {
    let mut block = vec![0u8; 64];
    block[..3].copy_from_slice(b"abc");
    block[3] = 0x80;
    block[63] = 0x18;
    block
}

#[test]
fn sha256_fashion_abc() {
    // Group 0 = padded block (evaluator), group 1 = chaining state (garbler).
    let iv = hex("6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19");
    let out = run(
        load("bristol_fashion/sha256.txt", false),
        vec![E, G],
        fashion_bits(&iv),
        fashion_bits(&padded_abc()),
    );
    assert_eq!(
        out,
        fashion_bits(&hex(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        ))
    );
}

#[test]
fn sha256_and_sha1_old_format() {
    let mut empty = vec![0u8; 64];
    empty[0] = 0x80;
    let out = run(
        load("bristol_format/sha-256.txt", true),
        vec![E],
        vec![],
        old_bits(&padded_abc()),
    );
    assert_eq!(
        out,
        old_bits(&hex(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        ))
    );
    let out = run(
        load("bristol_format/sha-1.txt", true),
        vec![E],
        vec![],
        old_bits(&empty),
    );
    assert_eq!(
        out,
        old_bits(&hex("da39a3ee5e6b4b0d3255bfef95601890afd80709"))
    );
}

#[test]
fn adder_32bit_old_format() {
    for (a, b) in [(0xffff_ffffu128, 1u128), (123_456_789, 987_654_321), (0, 0)] {
        let out = run(
            load("bristol_format/adder_32bit.txt", true),
            vec![G, E],
            to_bits(a, 32),
            to_bits(b, 32),
        );
        assert_eq!(out, to_bits(a + b, 33), "{a} + {b}");
    }
}

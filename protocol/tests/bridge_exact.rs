//! The bridge's results are bit-identical to the plaintext fixed-point reference, unpacked
//! and packed, on random and edge-case pre-activations.

use gcc_nn_protocol::bridge::{BridgeCircuit, CloudOutput, Mode, run_cloud, run_user};
use paillier::{BigInt, RandomnessPool, SecretKey};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use runtime::channel::MemChannel;
use std::sync::OnceLock;
use std::time::Duration;

/// The masked tanh* wrapper (activation `tanh`, circuits/wrappers/masked.dsl): pre-activations at scale 24, LX = 36.
fn circuit() -> &'static BridgeCircuit {
    static C: OnceLock<BridgeCircuit> = OnceLock::new();
    C.get_or_init(|| BridgeCircuit::default_tanh().expect("default circuit compiles"))
}

/// The same circuit at the activation scale (FW = 0, LX = 16).
fn narrow() -> &'static BridgeCircuit {
    static C: OnceLock<BridgeCircuit> = OnceLock::new();
    C.get_or_init(|| BridgeCircuit::narrow_tanh().expect("narrow circuit compiles"))
}

fn key() -> &'static SecretKey {
    static K: OnceLock<SecretKey> = OnceLock::new();
    K.get_or_init(|| {
        SecretKey::generate_any_size(512, &mut ChaCha20Rng::seed_from_u64(7)).expect("keygen")
    })
}

/// Edge cases for an LX-bit input with `frac` fractional bits: the extremes, zero, ±1 ulp,
/// the tanh* breakpoints a = 1.52 and b = 2.57 (raw 6225/6226 and 10526/10527 at 12
/// fractional bits, shifted to the input scale, ±1 ulp there) and ±4, ±8.
fn edge_cases(lx: u32, frac: u32) -> Vec<i128> {
    let max = (1i128 << (lx - 1)) - 1;
    let mut v = vec![-max - 1, max, 0, 1, -1, 2, -2];
    for b in [6225i128, 6226, 10526, 10527, 4096, 16384, 32767] {
        let s = b << (frac - 12);
        v.extend([s - 1, s, s + 1, -s + 1, -s, -s - 1]);
    }
    v.retain(|x| (-max - 1..=max).contains(x));
    v
}

fn pre_activations(c: &BridgeCircuit, count: usize, seed: u64) -> Vec<i128> {
    let lx = c.params().x_bits;
    let frac = if lx == 16 { 12 } else { 24 };
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut v = edge_cases(lx, frac);
    let half = 1i128 << (lx - 1);
    let interesting = 3i128 << frac; // |x| < 3: where tanh* is not flat
    while v.len() < count {
        let x = if v.len().is_multiple_of(2) {
            rng.random_range(-half..half)
        } else {
            rng.random_range(-interesting..interesting)
        };
        v.push(x);
    }
    v
}

/// Runs both roles over an in-memory channel and returns what the cloud holds, decrypted.
fn run_bridge(c: &'static BridgeCircuit, xs: &[i128], mode: Mode) -> Vec<i128> {
    let sk = key();
    let pk = sk.public_key().clone();
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let mut input_pool = RandomnessPool::new();
    input_pool.fill_crt(sk, xs.len());
    let inputs: Vec<_> = xs
        .iter()
        .map(|&x| {
            let rn = input_pool.take().expect("pool");
            pk.encrypt_signed_with(&BigInt::from(x), &rn).expect("enc")
        })
        .collect();
    let (mut cloud_ch, mut user_ch) = MemChannel::pair(Duration::from_secs(60));
    let user = std::thread::spawn(move || {
        let mut pool = RandomnessPool::new();
        pool.fill_crt(key(), 8);
        run_user(
            &mut user_ch,
            key(),
            c,
            &mut pool,
            &mut ChaCha20Rng::seed_from_u64(43),
        )
    });
    let mut pool = RandomnessPool::new();
    pool.fill(&pk, 8);
    let cloud = run_cloud(&mut cloud_ch, &pk, c, &inputs, mode, &mut pool, &mut rng);
    drop(cloud_ch);
    let user_report = user.join().expect("user thread").expect("user");
    let (out, report) = cloud.expect("cloud");
    assert!(report.bytes_sent > 0 && user_report.bytes_sent > 0);
    assert_eq!(report.ands, user_report.ands);
    match (&out, mode) {
        (CloudOutput::Unpacked(c), Mode::Unpacked) => assert_eq!(c.len(), xs.len()),
        (CloudOutput::Packed { cts, layout, .. }, Mode::Packed | Mode::Chained) => {
            assert_eq!(cts.len(), xs.len().div_ceil(layout.slots()));
        }
        _ => panic!("output mode differs from the requested mode"),
    }
    out.decrypt(sk).expect("decrypt outputs")
}

fn expected(c: &BridgeCircuit, xs: &[i128]) -> Vec<i128> {
    xs.iter()
        .map(|&x| c.reference(x).expect("reference"))
        .collect()
}

#[test]
fn unpacked_bridge_matches_reference() {
    let xs = pre_activations(circuit(), 1000, 1);
    assert_eq!(
        run_bridge(circuit(), &xs, Mode::Unpacked),
        expected(circuit(), &xs)
    );
}

#[test]
fn packed_bridge_matches_reference() {
    let xs = pre_activations(circuit(), 1037, 2);
    assert_eq!(
        run_bridge(circuit(), &xs, Mode::Packed),
        expected(circuit(), &xs)
    );
}

#[test]
fn narrow_packed_bridge_matches_reference() {
    let xs = pre_activations(narrow(), 1001, 3);
    assert_eq!(
        run_bridge(narrow(), &xs, Mode::Packed),
        expected(narrow(), &xs)
    );
}

#[test]
fn reference_is_tanh_dsl() {
    // The bridge programs with zero masks agree with circuits/tanh.dsl: the narrow one on
    // every int<16> input, the shipped one on x·2^12 plus random low bits (its trunc floors
    // them away), and both saturate at ±1 = ±4096 raw beyond |x| = 2.57.
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../circuits/tanh.dsl"))
        .expect("circuits/tanh.dsl");
    let program = dsl::check(&src, "tanh.dsl").expect("tanh.dsl checks");
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    for x in -32768i128..32768 {
        let raw = (x as u128) & 0xffff;
        let out = dsl::interpret(&program, &[raw]).expect("interpret")[0];
        let want = ((out as u16) as i16) as i128;
        assert_eq!(narrow().reference(x).expect("reference"), want, "x = {x}");
        if x % 7 == 0 {
            let z = (x << 12) + rng.random_range(0..4096);
            assert_eq!(circuit().reference(z).expect("reference"), want, "z = {z}");
        }
    }
    assert_eq!(narrow().reference(0).expect("ref"), 0);
    assert_eq!(circuit().reference((1 << 35) - 1).expect("ref"), 4096);
    assert_eq!(circuit().reference(-(1 << 35)).expect("ref"), -4096);
    assert!(narrow().reference(32768).is_err());
    assert!(circuit().reference(1 << 35).is_err());
}

#[test]
fn interface_mismatches_are_clear_errors() {
    let no_r = "input garbler xm: uint<60>; input garbler ru: uint<50>; output y: int<52> = (xm as int<8>) + ru;";
    let err = BridgeCircuit::from_source(no_r, "bad.dsl", &[], 40).expect_err("no evaluator input");
    assert!(err.to_string().contains("no input named `r`"), "{err}");
    let narrow_mask = "input garbler xm: uint<60>; input evaluator r: uint<60>; input garbler ru: uint<20>; \
                       output y: int<22> = ((xm - r) as int<19>) + ru;";
    let err =
        BridgeCircuit::from_source(narrow_mask, "bad.dsl", &[], 40).expect_err("ru too narrow");
    assert!(err.to_string().contains("do not fit"), "{err}");
    let syntax = BridgeCircuit::from_source("input garbler xm: uint<", "bad.dsl", &[], 40)
        .expect_err("syntax error");
    assert!(syntax.to_string().contains("bad.dsl"), "{syntax}");
}

#[test]
fn chained_programs_link_and_check() {
    use activation::{ChainedParams, MaskedParams, Wrapper};
    for name in ["tanh", "relu"] {
        let act = activation::Activation::shipped(name).expect("shipped");
        let p = ChainedParams {
            slots: 3,
            masked: MaskedParams::default(),
        };
        if let Err(e) = act.wrapper_program(&Wrapper::Chained(p)) {
            panic!("chained wrapper of {name}: {e}");
        }
        // Output slots are as wide as the activation's range: 14 bits for tanh*, 16 for ReLU.
        let bits = gcc_nn_protocol::bridge::chained_circuit::output_slot_bits(&act).expect("bits");
        assert_eq!(bits, if name == "tanh" { 14 } else { 16 }, "{name}");
    }
}

fn chained_circuit() -> &'static BridgeCircuit {
    static C: OnceLock<BridgeCircuit> = OnceLock::new();
    C.get_or_init(|| {
        BridgeCircuit::default_tanh()
            .and_then(|c| c.with_chained(512))
            .expect("chained circuit compiles")
    })
}

#[test]
fn chained_bridge_matches_reference() {
    let c = chained_circuit();
    let k = c.chained().expect("chained").slots();
    assert!(k >= 10, "a 512-bit key holds {k} chained slots");
    // Not a multiple of K: the last group is padded.
    let xs = pre_activations(c, 1000 + k / 2, 5);
    assert_eq!(run_bridge(c, &xs, Mode::Chained), expected(circuit(), &xs));
}

//! The bridge's results are bit-identical to the plaintext fixed-point reference, unpacked
//! and packed, on random and edge-case pre-activations.

use gcc_nn_protocol::bridge::{BridgeCircuit, CloudOutput, Mode, run_cloud, run_user};
use paillier::{BigInt, RandomnessPool, SecretKey};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use runtime::channel::MemChannel;
use std::sync::OnceLock;
use std::time::Duration;

fn circuit() -> &'static BridgeCircuit {
    static C: OnceLock<BridgeCircuit> = OnceLock::new();
    C.get_or_init(|| BridgeCircuit::default_tanh().expect("default circuit compiles"))
}

fn key() -> &'static SecretKey {
    static K: OnceLock<SecretKey> = OnceLock::new();
    K.get_or_init(|| {
        SecretKey::generate_any_size(512, &mut ChaCha20Rng::seed_from_u64(7)).expect("keygen")
    })
}

/// Edge cases: extremes of int<16>, zero, ±1 ulp, the tanh* breakpoints a = 1.52 (raw 6225/6226)
/// and b = 2.57 (raw 10526/10527) at 12 fractional bits, the clamp bounds ±4.
fn edge_cases() -> Vec<i128> {
    let mut v = vec![-32768, 32767, 0, 1, -1, 2, -2, 16383, -16384, 16384, -16385];
    for b in [6225i128, 6226, 10526, 10527, 4096, 8192, 16383] {
        v.extend([b - 1, b, b + 1, -b + 1, -b, -b - 1]);
    }
    v
}

fn pre_activations(count: usize, seed: u64) -> Vec<i128> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut v = edge_cases();
    while v.len() < count {
        // Half over the whole int<16> range, half in the interesting |x| < 3 region.
        let x = if v.len().is_multiple_of(2) {
            rng.random_range(-32768i128..32768)
        } else {
            rng.random_range(-12288i128..12288)
        };
        v.push(x);
    }
    v
}

/// Runs both roles over an in-memory channel and returns what the cloud holds, decrypted.
fn run_bridge(xs: &[i128], mode: Mode) -> Vec<i128> {
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
            circuit(),
            &mut pool,
            &mut ChaCha20Rng::seed_from_u64(43),
        )
    });
    let mut pool = RandomnessPool::new();
    pool.fill(&pk, 8);
    let (out, report) = run_cloud(
        &mut cloud_ch,
        &pk,
        circuit(),
        &inputs,
        mode,
        &mut pool,
        &mut rng,
    )
    .expect("cloud");
    let user_report = user.join().expect("user thread").expect("user");
    assert!(report.bytes_sent > 0 && user_report.bytes_sent > 0);
    assert_eq!(report.ands, user_report.ands);
    match (&out, mode) {
        (CloudOutput::Unpacked(c), Mode::Unpacked) => assert_eq!(c.len(), xs.len()),
        (CloudOutput::Packed { cts, layout, .. }, Mode::Packed) => {
            assert_eq!(cts.len(), xs.len().div_ceil(layout.slots()));
        }
        _ => panic!("output mode differs from the requested mode"),
    }
    out.decrypt(sk).expect("decrypt outputs")
}

fn expected(xs: &[i128]) -> Vec<i128> {
    xs.iter()
        .map(|&x| circuit().reference(x).expect("reference"))
        .collect()
}

#[test]
fn unpacked_bridge_matches_reference() {
    let xs = pre_activations(1000, 1);
    assert_eq!(run_bridge(&xs, Mode::Unpacked), expected(&xs));
}

#[test]
fn packed_bridge_matches_reference() {
    let xs = pre_activations(1037, 2);
    assert_eq!(run_bridge(&xs, Mode::Packed), expected(&xs));
}

#[test]
fn reference_is_tanh_dsl() {
    // The bridge program with zero masks agrees with circuits/tanh.dsl on every input
    // (beyond |x| = 4 the clamp keeps tanh* saturated at ±1 = ±4096 raw).
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../circuits/tanh.dsl"))
        .expect("circuits/tanh.dsl");
    let program = dsl::check(&src, "tanh.dsl").expect("tanh.dsl checks");
    for x in -32768i128..32768 {
        let raw = (x as u128) & 0xffff;
        let out = dsl::interpret(&program, &[raw]).expect("interpret")[0];
        let want = ((out as u16) as i16) as i128;
        assert_eq!(circuit().reference(x).expect("reference"), want, "x = {x}");
    }
    // Spot values computed by hand from the formula: tanh*(0) = 0, tanh*(±8) = ±1.
    assert_eq!(circuit().reference(0).expect("ref"), 0);
    assert_eq!(circuit().reference(32767).expect("ref"), 4096);
    assert_eq!(circuit().reference(-32768).expect("ref"), -4096);
    assert!(circuit().reference(32768).is_err());
}

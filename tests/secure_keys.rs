//! Issue 13 item 4: the shipped commands refuse weak Paillier keys with a message naming
//! the key size (or the failed check), before doing any work and without writing anything:
//! `keygen --bits 1024`, and a 1024-bit key, a modulus with a small factor or a perfect
//! square given to `model encrypt --user-key`, `serve` and `denoise --connect`. The keys are
//! written by the test through the library, the only path to them.

use crate::secure_common;

use paillier::{BigUint, PublicKey, SecretKey};
use protocol::upload::EncryptedModel;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use secure_common::*;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_gcc-nn");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("spawn gcc-nn")
}

/// The run failed, with every one of `needles` in its stderr.
fn assert_refused(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "must fail; stderr: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}: {err}");
    }
}

fn path(d: &Path, f: &str) -> String {
    d.join(f).to_string_lossy().into_owned()
}

/// A 1024-bit key pair written as `d/paillier.pub` and `d/paillier.key`.
fn write_1024_bit_keys(d: &Path) -> SecretKey {
    let sk =
        SecretKey::generate_any_size(1024, &mut StdRng::seed_from_u64(1024)).expect("test key");
    write_key_files(d, &sk);
    sk
}

/// `model encrypt --user-key K` of the tiny model into `d/model.enc`.
fn encrypt_model(d: &Path, key: &str) -> Output {
    tiny_mlp().save(&d.join("tiny.gccmlp")).expect("model");
    run(&[
        "model",
        "encrypt",
        "--model",
        &path(d, "tiny.gccmlp"),
        "--user-key",
        key,
        "--owner-key",
        &owner_dir(d).to_string_lossy(),
        "-o",
        &path(d, "model.enc"),
    ])
}

#[test]
fn keygen_refuses_1024_bits_naming_the_size_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = path(dir.path(), "K");
    let out = run(&["keygen", "--bits", "1024", "-o", &k]);
    assert_refused(&out, &["1024-bit", "2048"]);
    assert!(!dir.path().join("K").exists(), "nothing written");
}

#[test]
fn model_encrypt_refuses_a_1024_bit_user_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    write_1024_bit_keys(d);
    let out = encrypt_model(d, &path(d, "paillier.pub"));
    assert_refused(&out, &["1024-bit", "at least 2048 bits"]);
    assert!(!d.join("model.enc").exists(), "no model written");
}

#[test]
fn serve_refuses_a_model_under_a_1024_bit_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let sk = write_1024_bit_keys(d);
    // Only the library's test path can make this file (`model encrypt` refuses the key).
    let enc = EncryptedModel::encrypt_with_rng(
        &tiny_fixed(),
        sk.public_key(),
        &test_owner(),
        &mut StdRng::seed_from_u64(5),
    )
    .expect("test upload");
    enc.save(&d.join("model.enc")).expect("save");
    test_owner()
        .save_pair(&d.join("owner"), false)
        .expect("owner key");
    let out = run(&[
        "serve",
        "--owner-pub",
        &path(d, "owner"),
        "--model",
        &path(d, "model.enc"),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_refused(&out, &["1024-bit", "at least 2048 bits"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("listening"), "never listens: {stdout}");
}

#[test]
fn denoise_connect_refuses_a_1024_bit_key_before_connecting() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    write_1024_bit_keys(d);
    model::shipped::sample_image()
        .expect("sample")
        .crop(0, 0, 6, 6)
        .expect("crop")
        .save_png(&d.join("crop.png"))
        .expect("png");
    // Nothing listens on port 1: the refusal comes before any connection attempt.
    let out = run(&[
        "denoise",
        "--connect",
        "127.0.0.1:1",
        "--key",
        &path(d, "paillier.key"),
        "--owner-pub",
        &owner_dir(d).to_string_lossy(),
        &path(d, "crop.png"),
        "-o",
        &path(d, "out.png"),
    ]);
    assert_refused(&out, &["1024-bit", "at least 2048 bits"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("cannot connect"), "{err}");
    assert!(!d.join("out.png").exists());
}

/// A random odd integer of exactly `bits` bits.
fn odd_of_bits(bits: u64, rng: &mut StdRng) -> BigUint {
    let bytes: Vec<u8> = (0..bits.div_ceil(8)).map(|_| rng.random()).collect();
    let mut x = BigUint::from_bytes_be(&bytes) >> (bytes.len() as u64 * 8 - bits);
    x.set_bit(bits - 1, true);
    x.set_bit(bits - 2, true);
    x.set_bit(0, true);
    x
}

/// Public keys of 2048-bit moduli that must never be used: 3·m, and p² for a prime p (no
/// small factor, so only the perfect-power check can catch it).
#[test]
fn model_encrypt_refuses_a_modulus_with_a_small_factor_and_a_perfect_square() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let mut rng = StdRng::seed_from_u64(13);
    let small_factor = BigUint::from(3u32) * odd_of_bits(2046, &mut rng);
    let p = paillier::prime::random_prime(1024, &mut rng);
    let square = &p * &p;
    for (n, needles) in [
        (small_factor, ["small prime factor 3", "-bit modulus"]),
        (square, ["perfect power", "-bit modulus"]),
    ] {
        assert!(n.bits() >= 2047, "{} bits", n.bits());
        let pk = PublicKey::from_modulus(n).expect("well-formed modulus");
        std::fs::write(d.join("weak.pub"), pk.to_bytes()).expect("pub");
        let out = encrypt_model(d, &path(d, "weak.pub"));
        assert_refused(&out, &needles);
        assert!(!d.join("model.enc").exists());
    }
}

/// Control: the same commands accept a production key (the refusals above are about the key,
/// not about the command line).
#[test]
fn model_encrypt_accepts_a_2048_bit_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    write_key_files(d, production_key());
    let out = encrypt_model(d, &path(d, "paillier.pub"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let enc = EncryptedModel::load(&d.join("model.enc")).expect("model");
    assert_eq!(enc.header.public_key.bits(), 2048);
}

//! Issue 13 item 4 in the library: the production paths — the owner's upload, the served
//! model, the user's client and handshake — refuse weak Paillier keys with an error naming
//! the key and its size; small keys pass only under `KeyPolicy::InsecureTestKeys`, which no
//! shipped command selects.

extern crate gcc_nn_protocol as protocol;

use model::fixed::{FIXED, FixedMlp};
use model::mlp::{Dense, Mlp};
use paillier::{BigUint, PublicKey, SecretKey};
use protocol::session::client::{connect, connect_with_policy, handshake};
use protocol::session::serve::CloudState;
use protocol::session::{KeyPolicy, ProtocolKind, SessionError};
use protocol::upload::{EncryptedModel, OwnerKey};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use runtime::channel::MemChannel;
use std::time::Duration;

fn tiny_fixed() -> FixedMlp {
    let mlp = Mlp::new(
        3,
        1,
        1,
        25.0,
        vec![
            Dense {
                inputs: 9,
                outputs: 2,
                weights: (0..18).map(|k| (k % 7) as f32 / 7.0 - 0.4).collect(),
                bias: vec![0.1, -0.2],
            },
            Dense {
                inputs: 2,
                outputs: 1,
                weights: vec![0.6, -0.4],
                bias: vec![0.05],
            },
        ],
    )
    .expect("model");
    FixedMlp::from_model(
        &mlp,
        FIXED,
        activation::Activation::shipped("tanh_fit").expect("tanh_fit"),
    )
    .expect("fixed")
}

/// The model owner's signing key of these tests.
fn owner() -> OwnerKey {
    OwnerKey::from_seed(&[3; 32])
}

fn key(bits: u32, seed: u64) -> SecretKey {
    SecretKey::generate_any_size(bits, &mut ChaCha20Rng::seed_from_u64(seed)).expect("key")
}

/// The error is the insecure-key refusal and names `bits`.
fn assert_insecure(err: &SessionError, bits: u32) {
    assert!(
        matches!(err, SessionError::InsecureKey { .. }),
        "not a key refusal: {err}"
    );
    let text = err.to_string();
    assert!(text.contains(&format!("{bits}-bit")), "{text}");
}

#[test]
fn the_upload_refuses_small_keys_and_the_test_path_accepts_them() {
    let fixed = tiny_fixed();
    for bits in [512, 1024, 2046] {
        let sk = key(bits, u64::from(bits));
        let err = EncryptedModel::encrypt(&fixed, sk.public_key(), &owner()).expect_err("refused");
        assert_insecure(&err, bits);
        assert!(err.to_string().contains("user's public key"), "{err}");
    }
    let sk = key(512, 1);
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    EncryptedModel::encrypt_with_rng(&fixed, sk.public_key(), &owner(), &mut rng)
        .expect("test path");
}

#[test]
fn the_upload_refuses_a_2048_bit_modulus_with_a_small_factor_or_a_square() {
    let fixed = tiny_fixed();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let p = paillier::prime::random_prime(1024, &mut rng);
    let q = paillier::prime::random_prime(1023, &mut rng);
    // 3·p·q has at least 2048 bits: only the trial division can refuse it.
    let small_factor = BigUint::from(3u32) * &p * &q;
    assert!(small_factor.bits() >= 2048);
    for (n, why) in [
        (small_factor, "small prime factor 3"),
        (&p * &p, "perfect power"),
    ] {
        let pk = PublicKey::from_modulus(n).expect("modulus");
        let err = EncryptedModel::encrypt(&fixed, &pk, &owner()).expect_err("refused");
        assert!(matches!(err, SessionError::InsecureKey { .. }), "{err}");
        assert!(err.to_string().contains(why), "{err}");
    }
}

#[test]
fn the_cloud_refuses_to_serve_a_model_under_a_small_key() {
    let sk = key(768, 4);
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let enc = EncryptedModel::encrypt_with_rng(&tiny_fixed(), sk.public_key(), &owner(), &mut rng)
        .expect("test upload");
    let err = CloudState::new(enc.clone(), &owner().public())
        .err()
        .expect("refused");
    assert_insecure(&err, 768);
    CloudState::with_key_policy(enc, &owner().public(), KeyPolicy::InsecureTestKeys)
        .expect("tests may");
}

#[test]
fn the_client_refuses_a_small_key_before_connecting_and_in_the_handshake() {
    let sk = key(1024, 6);
    let t = Duration::from_secs(5);
    // Nothing listens on port 1: the key is refused before any connection attempt.
    let plain = transport::ClientTransport::InsecurePlaintext;
    let owner = owner().public();
    let err = connect(
        &plain,
        "127.0.0.1:1",
        &sk,
        &owner,
        ProtocolKind::Fast,
        t,
        Duration::ZERO,
    )
    .err()
    .expect("refused");
    assert_insecure(&err, 1024);
    // Under the tests' policy the same call gets as far as connecting (and fails there).
    let err = connect_with_policy(
        &plain,
        "127.0.0.1:1",
        &sk,
        &owner,
        ProtocolKind::Fast,
        t,
        Duration::ZERO,
        KeyPolicy::InsecureTestKeys,
    )
    .err()
    .expect("nothing listens");
    assert!(matches!(err, SessionError::Io(_)), "{err}");
    // The handshake on an open channel refuses it without reading a byte.
    let (user_end, _cloud_end) = MemChannel::pair(t);
    let err = handshake(user_end, &sk, &owner, ProtocolKind::Reference)
        .err()
        .expect("refused");
    assert_insecure(&err, 1024);
}

#[test]
fn key_policy_checks_name_the_key() {
    let sk = key(512, 7);
    let err = KeyPolicy::Production
        .check(sk.public_key(), "the cloud's key for this user")
        .expect_err("refused");
    assert!(
        err.to_string().starts_with("the cloud's key for this user"),
        "{err}"
    );
    assert_insecure(&err, 512);
    KeyPolicy::InsecureTestKeys
        .check(sk.public_key(), "a test key")
        .expect("tests may");
}

//! Round trips at the edges, homomorphic identities and CRT == textbook, on small random keys.

use gcc_nn_paillier::{BigInt, BigUint, PaillierError, RandomnessPool, SecretKey};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;

fn key() -> &'static SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(|| {
        SecretKey::generate_any_size(256, &mut ChaCha20Rng::seed_from_u64(1)).expect("keygen")
    })
}

fn other_key() -> &'static SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(|| {
        SecretKey::generate_any_size(256, &mut ChaCha20Rng::seed_from_u64(2)).expect("keygen")
    })
}

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(99)
}

#[test]
fn generated_key_has_requested_size() {
    assert_eq!(key().public_key().bits(), 256);
    assert!(SecretKey::generate(1024, &mut rng()).is_err());
    assert!(SecretKey::generate_any_size(100, &mut rng()).is_err());
}

#[test]
fn edge_plaintexts_round_trip() {
    let sk = key();
    let pk = sk.public_key();
    let n = pk.n().clone();
    let mut rng = rng();
    for m in [
        BigUint::from(0u8),
        BigUint::from(1u8),
        &n - 1u8,
        &n >> 1u32,
        (&n >> 1u32) + 1u8,
    ] {
        let c = pk.encrypt(&m, &mut rng).expect("enc");
        assert_eq!(sk.decrypt(&c).expect("dec"), m);
        assert_eq!(sk.decrypt_textbook(&c).expect("textbook"), m);
        assert_eq!(sk.decrypt_parallel(&c).expect("parallel"), m);
    }
    assert!(pk.encrypt(&n, &mut rng).is_err());
    let half = BigInt::from(n.clone() >> 1u32);
    for v in [
        BigInt::from(-1),
        BigInt::from(-12345),
        -(half.clone() - 1i32),
        half - 1i32,
    ] {
        let rn = pk.random_nth_power(&mut rng);
        let c = pk.encrypt_signed_with(&v, &rn).expect("enc");
        assert_eq!(sk.decrypt_signed(&c).expect("dec"), v);
    }
}

#[test]
fn key_owner_crt_encryption_decrypts() {
    let sk = key();
    let mut rng = rng();
    for m in [0u64, 7, u64::MAX] {
        let c = sk.encrypt_crt(&BigUint::from(m), &mut rng).expect("enc");
        assert_eq!(sk.decrypt(&c).expect("dec"), BigUint::from(m));
    }
}

#[test]
fn encryption_is_randomised() {
    let pk = key().public_key();
    let mut rng = rng();
    let m = BigUint::from(5u8);
    let a = pk.encrypt(&m, &mut rng).expect("enc");
    let b = pk.encrypt(&m, &mut rng).expect("enc");
    assert_ne!(a, b);
    let rn = pk.random_nth_power(&mut rng);
    let c = pk.rerandomize(&a, &rn);
    assert_ne!(a, c);
    assert_eq!(key().decrypt(&c).expect("dec"), m);
}

#[test]
fn wrong_key_is_detected() {
    let pk = key().public_key();
    let c = pk
        .encrypt(&BigUint::from(1000u32), &mut rng())
        .expect("enc");
    assert_eq!(other_key().decrypt(&c), Err(PaillierError::KeyMismatch));
    // The same bytes read as a ciphertext of the other key: the bounded signed encoding
    // rejects the garbage that comes out.
    let mut wire = Vec::new();
    pk.write_ciphertext(&c, &mut wire);
    let other = other_key();
    match other.public_key().read_ciphertext(&wire) {
        Err(PaillierError::Decode { .. }) => {} // above the other N²
        Ok(transplanted) => assert_eq!(
            other.decrypt_signed_bounded(&transplanted, 64),
            Err(PaillierError::DecodedOutOfRange { bound_bits: 64 })
        ),
        Err(e) => panic!("unexpected error {e}"),
    }
    assert_eq!(key().decrypt_signed_bounded(&c, 64), Ok(BigInt::from(1000)));
}

#[test]
fn pool_supplies_fresh_randomness() {
    let sk = key();
    let pk = sk.public_key();
    let mut pool = RandomnessPool::new();
    pool.fill(pk, 3);
    pool.fill_crt(sk, 2);
    assert_eq!(pool.len(), 5);
    let mut seen = Vec::new();
    while let Some(rn) = pool.take() {
        let c = pk.encrypt_with(&BigUint::from(9u8), &rn).expect("enc");
        assert_eq!(sk.decrypt(&c).expect("dec"), BigUint::from(9u8));
        assert!(!seen.contains(&c));
        seen.push(c);
    }
    assert!(pool.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn homomorphic_identities(a in any::<i64>(), b in any::<i64>(), k in any::<i32>(), seed in any::<u64>()) {
        let sk = key();
        let pk = sk.public_key();
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let (a, b, k) = (BigInt::from(a), BigInt::from(b), BigInt::from(k));
        let ca = pk.encrypt_signed_with(&a, &pk.random_nth_power(&mut rng)).expect("enc");
        let cb = pk.encrypt_signed_with(&b, &pk.random_nth_power(&mut rng)).expect("enc");
        prop_assert_eq!(sk.decrypt_signed(&pk.add(&ca, &cb)).expect("dec"), &a + &b);
        prop_assert_eq!(sk.decrypt_signed(&pk.sub(&ca, &cb)).expect("dec"), &a - &b);
        prop_assert_eq!(sk.decrypt_signed(&pk.neg(&ca)).expect("dec"), -&a);
        prop_assert_eq!(sk.decrypt_signed(&pk.mul_plain_signed(&ca, &k)).expect("dec"), &a * &k);
        prop_assert_eq!(sk.decrypt_signed(&pk.add_plain_signed(&ca, &b).expect("add")).expect("dec"), &a + &b);
        prop_assert_eq!(sk.decrypt_signed(&pk.shift_left(&ca, 7)).expect("dec"), &a * 128);
        let ct = pk.add(&ca, &cb);
        prop_assert_eq!(sk.decrypt(&ct).expect("crt"), sk.decrypt_textbook(&ct).expect("textbook"));
    }
}

//! Known-answer tests with fixed primes (expected values computed independently with
//! Python's built-in `pow`), and decryption cross-checks.

use gcc_nn_paillier::{BigInt, BigUint, PaillierError, SecretKey};

fn big(s: &str) -> BigUint {
    s.parse().expect("decimal literal")
}

#[test]
fn tiny_primes_known_answer() {
    // p = 7, q = 11, N = 77: Enc(42; r = 23) = (1 + 42·77)·23^77 mod 77² = 3840.
    let sk = SecretKey::from_primes(&BigUint::from(7u8), &BigUint::from(11u8)).expect("key");
    let pk = sk.public_key();
    let rn = pk.randomness_from(&BigUint::from(23u8)).expect("unit");
    let c = pk.encrypt_with(&BigUint::from(42u8), &rn).expect("enc");
    assert_eq!(c.to_biguint(), BigUint::from(3840u32));
    assert_eq!(sk.decrypt(&c).expect("dec"), BigUint::from(42u8));
    assert_eq!(sk.decrypt_textbook(&c).expect("dec"), BigUint::from(42u8));
}

#[test]
fn mersenne_primes_known_answer() {
    // p = 2^61 − 1, q = 2^31 − 1.
    let p = (BigUint::from(1u8) << 61u32) - 1u8;
    let q = (BigUint::from(1u8) << 31u32) - 1u8;
    let sk = SecretKey::from_primes(&p, &q).expect("key");
    let pk = sk.public_key();
    assert_eq!(pk.n(), &big("4951760154835678088235319297"));
    let m = big("123456789012345678901234567");
    let rn = pk
        .randomness_from(&big("987654321987654321"))
        .expect("unit");
    let c = pk.encrypt_with(&m, &rn).expect("enc");
    assert_eq!(
        c.to_biguint(),
        big("20236512395428891113822571492603999867729112748221363207")
    );
    let bytes = pk.ciphertext_bytes();
    let mut wire = Vec::new();
    pk.write_ciphertext(&c, &mut wire);
    assert_eq!(wire.len(), bytes);
    let read = pk.read_ciphertext(&wire).expect("read");
    assert_eq!(sk.decrypt(&read).expect("dec"), m);
}

#[test]
fn bad_primes_are_rejected() {
    let seven = BigUint::from(7u8);
    assert!(matches!(
        SecretKey::from_primes(&seven, &seven),
        Err(PaillierError::InvalidPrimes { .. })
    ));
    assert!(matches!(
        SecretKey::from_primes(&seven, &BigUint::from(8u8)),
        Err(PaillierError::InvalidPrimes { .. })
    ));
    // p = 3, q = 7: gcd(21, 2·6) = 3.
    assert!(matches!(
        SecretKey::from_primes(&BigUint::from(3u8), &seven),
        Err(PaillierError::InvalidPrimes { .. })
    ));
}

#[test]
fn randomness_must_be_a_unit() {
    let sk = SecretKey::from_primes(&BigUint::from(7u8), &BigUint::from(11u8)).expect("key");
    let pk = sk.public_key();
    assert!(pk.randomness_from(&BigUint::from(14u8)).is_err());
    assert!(pk.randomness_from(&BigUint::from(0u8)).is_err());
    assert!(pk.randomness_from(&BigUint::from(77u8)).is_err());
}

#[test]
fn signed_known_answers() {
    let sk = SecretKey::from_primes(&BigUint::from(7u8), &BigUint::from(11u8)).expect("key");
    let pk = sk.public_key();
    let rn = pk.randomness_from(&BigUint::from(2u8)).expect("unit");
    let c = pk.encrypt_signed_with(&BigInt::from(-5), &rn).expect("enc");
    // −5 mod 77 = 72.
    assert_eq!(sk.decrypt(&c).expect("dec"), BigUint::from(72u8));
    assert_eq!(sk.decrypt_signed(&c).expect("dec"), BigInt::from(-5));
    assert!(pk.encrypt_signed_with(&BigInt::from(40), &rn).is_err());
}

#[test]
fn secret_key_debug_hides_primes() {
    let p = (BigUint::from(1u8) << 61u32) - 1u8;
    let q = (BigUint::from(1u8) << 31u32) - 1u8;
    let sk = SecretKey::from_primes(&p, &q).expect("key");
    let shown = format!("{sk:?}");
    assert!(!shown.contains("2305843009213693951"), "{shown}");
    assert!(!shown.contains("2147483647"), "{shown}");
    assert!(shown.contains("SecretKey"));
}

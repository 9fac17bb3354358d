//! Production key checks: size, small factors, perfect powers (issue 13 item 4).

use gcc_nn_paillier::prime::random_prime;
use gcc_nn_paillier::{
    BigUint, MIN_PRODUCTION_KEY_BITS, PaillierError, PublicKey, SecretKey,
    validate_production_modulus,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn prime(bits: u32, seed: u64) -> BigUint {
    random_prime(bits, &mut ChaCha20Rng::seed_from_u64(seed))
}

fn insecure_reason(n: &BigUint) -> (u32, String) {
    match validate_production_modulus(n) {
        Err(PaillierError::InsecureKey { bits, reason }) => (bits, reason),
        other => panic!("expected InsecureKey, got {other:?}"),
    }
}

#[test]
fn a_1024_bit_modulus_is_refused_naming_its_size() {
    let n = prime(512, 1) * prime(512, 2);
    let pk = PublicKey::from_modulus(n.clone()).expect("test key");
    let err = pk.validate_production().expect_err("1024-bit key accepted");
    let text = err.to_string();
    assert!(text.contains("1024-bit"), "{text}");
    assert!(text.contains("2048"), "{text}");
    assert_eq!(insecure_reason(&n).0, 1024);
}

#[test]
fn a_product_of_two_1024_bit_primes_is_accepted() {
    let n = prime(1024, 3) * prime(1024, 4);
    assert_eq!(n.bits(), u64::from(MIN_PRODUCTION_KEY_BITS));
    validate_production_modulus(&n).expect("a sound 2048-bit modulus");
}

#[test]
fn a_small_prime_factor_is_refused() {
    for small in [3u32, 65_521] {
        let n = prime(2048 - 16, 5) * small * prime(16, 6);
        assert!(n.bits() >= 2048);
        let (_, reason) = insecure_reason(&n);
        assert!(reason.contains("small prime factor"), "{reason}");
    }
}

#[test]
fn perfect_powers_are_refused() {
    for (root_bits, k) in [(1024u32, 2u32), (683, 3), (410, 5), (293, 7)] {
        let a = prime(root_bits, u64::from(k));
        let n = num_traits::Pow::pow(&a, k);
        assert!(n.bits() >= 2048, "{k}: {} bits", n.bits());
        let (_, reason) = insecure_reason(&n);
        assert!(reason.contains(&format!("{k}-th power")), "{reason}");
    }
}

#[test]
fn generate_refuses_sizes_below_2048_and_test_path_still_makes_them() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    assert!(matches!(
        SecretKey::generate(1024, &mut rng),
        Err(PaillierError::UnsupportedKeySize { bits: 1024 })
    ));
    let small = SecretKey::generate_any_size(256, &mut rng).expect("test-only key");
    assert!(small.public_key().validate_production().is_err());
    // Key files are read without the production check: tests keep their small keys.
    let again = SecretKey::from_bytes(&small.to_bytes()).expect("small key file reads");
    assert_eq!(again.public_key(), small.public_key());
    let dir = std::env::temp_dir().join(format!("gcc-nn-paillier-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("paillier.key");
    std::fs::write(&path, small.to_bytes().as_slice()).expect("write");
    let from_file = SecretKey::from_file(&path).expect("read key file");
    assert_eq!(from_file.public_key(), small.public_key());
    let missing = SecretKey::from_file(&dir.join("absent.key")).expect_err("missing file");
    assert!(missing.to_string().contains("absent.key"), "{missing}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

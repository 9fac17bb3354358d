//! Primality testing on known primes and composites; fixed-point encoding.

use gcc_nn_paillier::prime::{is_probable_prime, random_prime};
use gcc_nn_paillier::{BigInt, BigUint, FixedPoint, PaillierError};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn mersenne(e: u32) -> BigUint {
    (BigUint::from(1u8) << e) - 1u8
}

#[test]
fn known_primes_and_composites() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for e in [31u32, 61, 89, 107, 127, 521] {
        assert!(is_probable_prime(&mersenne(e), &mut rng), "M{e} is prime");
    }
    // M67 = 193707721 · 761838257287; M257 is composite; Carmichael numbers fool Fermat.
    for composite in [mersenne(67), mersenne(257), mersenne(11)] {
        assert!(!is_probable_prime(&composite, &mut rng));
    }
    for carmichael in [561u64, 41041, 825265, 321197185, 5394826801, 232250619601] {
        assert!(
            !is_probable_prime(&BigUint::from(carmichael), &mut rng),
            "{carmichael}"
        );
    }
    // Product of two primes above the trial-division bound.
    let semiprime = BigUint::from(1_000_003u64) * BigUint::from(1_000_033u64);
    assert!(!is_probable_prime(&semiprime, &mut rng));
    for small in [2u32, 3, 5, 19_997] {
        assert!(is_probable_prime(&BigUint::from(small), &mut rng));
    }
    for small in [0u32, 1, 4, 9, 19_999] {
        assert!(!is_probable_prime(&BigUint::from(small), &mut rng));
    }
}

#[test]
fn random_primes_have_exact_size() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    for bits in [64u32, 128, 256] {
        let p = random_prime(bits, &mut rng);
        assert_eq!(p.bits(), u64::from(bits));
        assert!(p.bit(u64::from(bits) - 2), "second-highest bit set");
        // Independent check: Fermat test base 2 and 3 with num-bigint's modpow.
        let pm1 = &p - 1u8;
        assert_eq!(BigUint::from(2u8).modpow(&pm1, &p), BigUint::from(1u8));
        assert_eq!(BigUint::from(3u8).modpow(&pm1, &p), BigUint::from(1u8));
    }
}

#[test]
fn fixed_point_encoding() {
    let f = FixedPoint {
        frac_bits: 8,
        int_bits: 4,
    };
    assert_eq!(f.encode(1.5).expect("enc"), BigInt::from(384));
    assert_eq!(f.encode(-1.5).expect("enc"), BigInt::from(-384));
    assert_eq!(f.encode(0.001953125).expect("enc"), BigInt::from(1)); // 0.5 ulp rounds away
    assert_eq!(f.decode(&BigInt::from(-384)).expect("dec"), -1.5);
    assert!(f.encode(16.0).is_err());
    assert!(f.encode(f64::NAN).is_err());
    assert!(matches!(
        f.decode(&BigInt::from(1 << 12)),
        Err(PaillierError::DecodedOutOfRange { bound_bits: 12 })
    ));
}

//! The constant-time CRT decryption: cross-checked against the textbook formula on random
//! messages, and hostile non-unit ciphertexts (issue 13 item 5) give an error, not a panic.

use gcc_nn_paillier::{BigUint, Ciphertext, PaillierError, PublicKey, SecretKey};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// p = 2^61 − 1, q = 2^31 − 1: known primes, so ciphertexts divisible by just one of them
/// can be built.
fn mersenne_key() -> (SecretKey, BigUint, BigUint) {
    let p = (BigUint::from(1u8) << 61u32) - 1u8;
    let q = (BigUint::from(1u8) << 31u32) - 1u8;
    (SecretKey::from_primes(&p, &q).expect("key"), p, q)
}

/// A ciphertext with integer value `c` through the unchecked wire form, as a peer sends it.
fn wire(pk: &PublicKey, c: &BigUint) -> Ciphertext {
    let bytes = c.to_bytes_be();
    let mut buf = vec![0u8; pk.ciphertext_bytes() - bytes.len()];
    buf.extend_from_slice(&bytes);
    pk.read_ciphertext(&buf).expect("in (0, N^2)")
}

fn assert_not_a_unit(sk: &SecretKey, c: &Ciphertext, what: &str) {
    assert_eq!(
        sk.decrypt(c),
        Err(PaillierError::NotAUnit),
        "{what}: decrypt"
    );
    assert_eq!(
        sk.decrypt_parallel(c),
        Err(PaillierError::NotAUnit),
        "{what}: parallel"
    );
    assert_eq!(
        sk.decrypt_signed_bounded(c, 40),
        Err(PaillierError::NotAUnit),
        "{what}: signed"
    );
    assert_eq!(
        sk.decrypt_textbook(c),
        Err(PaillierError::NotAUnit),
        "{what}: textbook"
    );
}

#[test]
fn decrypt_of_non_unit_is_an_error_not_a_panic() {
    let (sk, p, q) = mersenne_key();
    let pk = sk.public_key();
    let n = pk.n().clone();
    let nn = pk.n_squared().clone();
    let cases = [
        ("N", n.clone()),
        ("2N", &n * 2u8),
        ("N^2 - N", &nn - &n),
        ("p", p.clone()),
        ("q", q.clone()),
        ("p^2", &p * &p),
        ("q * unit", &q * 12_345u32),
        ("p * (N + 1)", &p * (&n + 1u8)),
    ];
    for (what, c) in &cases {
        assert_not_a_unit(&sk, &wire(pk, c), what);
        let err = sk.decrypt(&wire(pk, c)).expect_err(what).to_string();
        assert!(err.contains("not a unit"), "{err}");
    }
    // The same path accepts units: c = N + 1 = Enc(1; r = 1), c = 1 = Enc(0; r = 1).
    assert_eq!(sk.decrypt(&wire(pk, &(&n + 1u8))), Ok(BigUint::from(1u8)));
    assert_eq!(
        sk.decrypt(&wire(pk, &BigUint::from(1u8))),
        Ok(BigUint::from(0u8))
    );
}

#[test]
fn decrypt_of_non_unit_is_an_error_on_a_generated_key() {
    let sk = SecretKey::generate_any_size(512, &mut ChaCha20Rng::seed_from_u64(13)).expect("key");
    let pk = sk.public_key();
    for k in [1u32, 2, 77, 65_537] {
        assert_not_a_unit(&sk, &wire(pk, &(pk.n() * k)), "kN");
    }
}

#[test]
fn homomorphic_operations_on_a_non_unit_stay_non_units() {
    let (sk, p, _) = mersenne_key();
    let pk = sk.public_key();
    let bad = wire(pk, &(&p * 3u8));
    let good = pk
        .encrypt(&BigUint::from(5u8), &mut ChaCha20Rng::seed_from_u64(3))
        .expect("enc");
    let negated = pk.neg(&bad);
    assert_not_a_unit(&sk, &negated, "neg");
    assert_not_a_unit(&sk, &pk.sub(&good, &bad), "sub");
    assert_not_a_unit(&sk, &pk.add(&good, &bad), "add");
    assert_not_a_unit(
        &sk,
        &pk.mul_plain_signed(&bad, &gcc_nn_paillier::BigInt::from(-3)),
        "mul by -3",
    );
    // The absorbing non-unit 0 is refused by the wire reader of the receiving party.
    let mut out = Vec::new();
    pk.write_ciphertext(&negated, &mut out);
    assert!(pk.read_ciphertext(&out).is_err());
    // A unit still negates and decrypts: Enc(5) − Enc(5) = Enc(0).
    assert_eq!(sk.decrypt(&pk.sub(&good, &good)), Ok(BigUint::from(0u8)));
}

#[test]
fn crt_decryption_matches_the_textbook_formula_on_random_messages() {
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    for bits in [256u32, 1024] {
        let sk = SecretKey::generate_any_size(bits, &mut rng).expect("key");
        let pk = sk.public_key();
        for _ in 0..8 {
            let bytes: Vec<u8> = (0..bits / 8).map(|_| rng.random::<u8>()).collect();
            let m = BigUint::from_bytes_be(&bytes) % pk.n();
            let c = pk.encrypt(&m, &mut rng).expect("enc");
            let textbook = sk.decrypt_textbook(&c).expect("textbook");
            assert_eq!(textbook, m, "{bits}-bit textbook");
            assert_eq!(sk.decrypt(&c).expect("crt"), textbook, "{bits}-bit CRT");
            assert_eq!(sk.decrypt_parallel(&c).expect("crt"), textbook);
            // Key-owner (CRT) encryption decrypts to the same message under both formulas.
            let owner = sk.encrypt_crt(&m, &mut rng).expect("enc");
            assert_eq!(sk.decrypt_textbook(&owner).expect("textbook"), m);
            assert_eq!(sk.decrypt(&owner).expect("crt"), m);
        }
    }
}

#[test]
fn crt_randomness_is_an_nth_power_of_a_unit() {
    // r^N mod N² is Enc(0; r): x^λ ≡ 1 (mod N²) exactly for the N-th residues, so the
    // textbook decryption (which computes x^λ) gives 0; two draws must differ.
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let sk = SecretKey::generate_any_size(512, &mut rng).expect("key");
    let pk = sk.public_key();
    let a = pk.zero_with(&sk.random_nth_power_crt(&mut rng));
    let b = pk.zero_with(&sk.random_nth_power_crt(&mut rng));
    assert_ne!(a.to_biguint(), b.to_biguint());
    for c in [&a, &b] {
        assert_eq!(sk.decrypt_textbook(c), Ok(BigUint::from(0u8)));
        assert_eq!(sk.decrypt(c), Ok(BigUint::from(0u8)));
        let lambda_free = c.to_biguint().modpow(&(pk.n() - 1u8), pk.n_squared());
        assert_ne!(lambda_free, BigUint::from(1u8), "not trivially 1");
    }
}

#[test]
fn fuzz_seeds_of_hostile_ciphertexts_decrypt_to_errors() {
    // The selector-4 seeds of fuzz target `paillier_files` (written by the example
    // `paillier_fuzz_seeds` under the target's fixed 256-bit key): one unit, five non-units.
    let p = BigUint::parse_bytes(b"340282366920938463463374607431768211297", 10).expect("p");
    let q = BigUint::parse_bytes(b"340282366920938463463374607431768211283", 10).expect("q");
    let sk = SecretKey::from_primes(&p, &q).expect("fuzzing key");
    let pk = sk.public_key();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/paillier_files");
    let mut non_units = 0;
    for name in [
        "decrypt_unit",
        "decrypt_non_unit_n",
        "decrypt_non_unit_2n",
        "decrypt_non_unit_nn_minus_n",
        "decrypt_non_unit_p_times_n_plus_1",
        "decrypt_non_unit_q",
    ] {
        let bytes = std::fs::read(dir.join(name)).expect("seed file in the repository");
        assert_eq!(bytes[0], 4, "{name}: decryption selector");
        let c = pk.read_ciphertext(&bytes[1..]).expect(name);
        if name == "decrypt_unit" {
            assert_eq!(sk.decrypt(&c), Ok(BigUint::from(12_345u32)));
        } else {
            assert_not_a_unit(&sk, &c, name);
            non_units += 1;
        }
    }
    assert_eq!(non_units, 5);
}

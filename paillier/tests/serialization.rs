//! Serialized keys and ciphertexts round-trip; corrupt bytes are clear errors.

use gcc_nn_paillier::{BigUint, Ciphertext, FORMAT_VERSION, PaillierError, PublicKey, SecretKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;

fn key() -> &'static SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(|| {
        SecretKey::generate_any_size(256, &mut ChaCha20Rng::seed_from_u64(5)).expect("keygen")
    })
}

#[test]
fn keys_round_trip() {
    let sk = key();
    let pk_bytes = sk.public_key().to_bytes();
    assert_eq!(pk_bytes[0], FORMAT_VERSION);
    let pk = PublicKey::from_bytes(&pk_bytes).expect("public key");
    assert_eq!(&pk, sk.public_key());
    let sk2 = SecretKey::from_bytes(&sk.to_bytes()).expect("secret key");
    let c = pk
        .encrypt(&BigUint::from(77u8), &mut ChaCha20Rng::seed_from_u64(1))
        .expect("enc");
    assert_eq!(sk2.decrypt(&c).expect("dec"), BigUint::from(77u8));
}

#[test]
fn ciphertext_round_trips() {
    let pk = key().public_key();
    let c = pk
        .encrypt(&BigUint::from(12u8), &mut ChaCha20Rng::seed_from_u64(2))
        .expect("enc");
    let bytes = c.to_bytes(pk);
    assert_eq!(bytes.len(), 2 + 8 + pk.ciphertext_bytes());
    assert_eq!(Ciphertext::from_bytes(pk, &bytes).expect("decode"), c);
}

fn is_decode_error<T: std::fmt::Debug>(r: Result<T, PaillierError>) -> bool {
    matches!(r, Err(PaillierError::Decode { .. }))
}

#[test]
fn corrupt_public_keys_are_errors() {
    let good = key().public_key().to_bytes();
    let mut bad_version = good.clone();
    bad_version[0] = 9;
    assert_eq!(
        PublicKey::from_bytes(&bad_version).map(|_| ()),
        Err(PaillierError::Version {
            what: "public key",
            found: 9,
            expected: FORMAT_VERSION
        })
    );
    let mut bad_tag = good.clone();
    bad_tag[1] = b'S';
    assert!(is_decode_error(PublicKey::from_bytes(&bad_tag)));
    assert!(is_decode_error(PublicKey::from_bytes(
        &good[..good.len() - 1]
    )));
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(is_decode_error(PublicKey::from_bytes(&trailing)));
    let mut even = good.clone();
    *even.last_mut().expect("nonempty") ^= 1;
    assert!(is_decode_error(PublicKey::from_bytes(&even)));
    assert!(is_decode_error(PublicKey::from_bytes(&[])));
    let mut huge_len = good.clone();
    huge_len[2] = 0xff;
    assert!(is_decode_error(PublicKey::from_bytes(&huge_len)));
}

#[test]
fn corrupt_secret_keys_are_errors() {
    let good = key().to_bytes().to_vec();
    // Flip a low bit of p (keeps it odd by flipping bit 1): no longer prime.
    let p_last = 2 + 4 + 16 - 1;
    let mut not_prime = good.clone();
    not_prime[p_last] ^= 2;
    assert!(is_decode_error(SecretKey::from_bytes(&not_prime)));
    assert!(is_decode_error(SecretKey::from_bytes(&good[..10])));
    let mut bad_version = good.clone();
    bad_version[0] = 0;
    assert!(matches!(
        SecretKey::from_bytes(&bad_version),
        Err(PaillierError::Version { found: 0, .. })
    ));
    let mut swapped_tag = good;
    swapped_tag[1] = b'P';
    assert!(is_decode_error(SecretKey::from_bytes(&swapped_tag)));
}

#[test]
fn corrupt_ciphertexts_are_errors() {
    let pk = key().public_key();
    let c = pk
        .encrypt(&BigUint::from(3u8), &mut ChaCha20Rng::seed_from_u64(3))
        .expect("enc");
    let good = c.to_bytes(pk);
    let mut wrong_fp = good.clone();
    wrong_fp[2] ^= 1;
    assert_eq!(
        Ciphertext::from_bytes(pk, &wrong_fp),
        Err(PaillierError::KeyMismatch)
    );
    assert!(is_decode_error(Ciphertext::from_bytes(
        pk,
        &good[..good.len() - 3]
    )));
    let mut too_big = good.clone();
    for b in &mut too_big[10..] {
        *b = 0xff;
    }
    assert!(is_decode_error(Ciphertext::from_bytes(pk, &too_big)));
    let mut zero = good.clone();
    for b in &mut zero[10..] {
        *b = 0;
    }
    assert!(is_decode_error(Ciphertext::from_bytes(pk, &zero)));
    // A multiple of N is below N² but not a unit.
    let mut multiple = good[..10].to_vec();
    let n_times_3 = pk.n() * 3u8;
    let body = n_times_3.to_bytes_be();
    multiple.resize(10 + pk.ciphertext_bytes() - body.len(), 0);
    multiple.extend_from_slice(&body);
    assert!(is_decode_error(Ciphertext::from_bytes(pk, &multiple)));
    assert!(is_decode_error(
        pk.read_ciphertext(&good[10..good.len() - 1])
    ));
}

//! Serialized keys and ciphertexts round-trip; corrupt bytes are clear errors.

use bytes::Put;
use gcc_nn_paillier::serial::{CIPHERTEXT_FILE, PUBLIC_KEY_FILE, SECRET_KEY_FILE};
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
    assert_eq!(&pk_bytes[..8], b"GCCNN-PK");
    assert_eq!(&pk_bytes[8..12], &FORMAT_VERSION.to_le_bytes());
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
    assert_eq!(bytes.len(), 20 + 8 + pk.ciphertext_bytes() + 32);
    assert_eq!(Ciphertext::from_bytes(pk, &bytes).expect("decode"), c);
}

fn is_decode_error<T: std::fmt::Debug>(r: Result<T, PaillierError>) -> bool {
    matches!(r, Err(PaillierError::Decode { .. }))
}

fn reason<T: std::fmt::Debug>(r: Result<T, PaillierError>) -> String {
    match r {
        Err(e @ PaillierError::Decode { .. }) => e.to_string(),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// The body of an envelope written by this crate.
fn body_of(file: &[u8]) -> Vec<u8> {
    file[20..file.len() - 32].to_vec()
}

#[test]
fn corrupt_public_keys_are_errors() {
    let good = key().public_key().to_bytes();
    let mut newer = good.clone();
    newer[8] = 9;
    assert!(
        reason(PublicKey::from_bytes(&newer))
            .contains("written by a newer gcc-nn (format version 9")
    );
    // A file of the format before the envelope: [version 1]['P'][u32 length][N].
    let n = key().public_key().n().to_bytes_be();
    let mut v1 = vec![1, b'P'];
    v1.extend_from_slice(&(n.len() as u32).to_be_bytes());
    v1.extend_from_slice(&n);
    let e = reason(PublicKey::from_bytes(&v1));
    assert!(
        e.contains("written by an older gcc-nn") && e.contains("gcc-nn keygen"),
        "{e}"
    );
    // Another file kind's magic.
    let e = reason(PublicKey::from_bytes(
        &SECRET_KEY_FILE.seal(&body_of(&good)),
    ));
    assert!(e.contains("not a gcc-nn public key file"), "{e}");
    assert!(is_decode_error(PublicKey::from_bytes(
        &good[..good.len() - 1]
    )));
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(is_decode_error(PublicKey::from_bytes(&trailing)));
    // An even modulus in a well-formed file.
    let mut even = body_of(&good);
    *even.last_mut().expect("nonempty") ^= 1;
    assert!(
        reason(PublicKey::from_bytes(&PUBLIC_KEY_FILE.seal(&even))).contains("modulus is even")
    );
    // A corrupted byte: the checksum.
    let mut flipped = good.clone();
    flipped[25] ^= 1;
    assert!(reason(PublicKey::from_bytes(&flipped)).contains("checksum"));
    assert!(is_decode_error(PublicKey::from_bytes(&[])));
    let mut huge_len = body_of(&good);
    huge_len[7] = 0xff;
    assert!(
        reason(PublicKey::from_bytes(&PUBLIC_KEY_FILE.seal(&huge_len)))
            .contains("exceeds the limit")
    );
}

#[test]
fn corrupt_secret_keys_are_errors() {
    let good = key().to_bytes().to_vec();
    // Flip a low bit of p (keeps it odd by flipping bit 1): no longer prime.
    let mut not_prime = body_of(&good);
    not_prime[8 + 16 - 1] ^= 2;
    let e = reason(SecretKey::from_bytes(&SECRET_KEY_FILE.seal(&not_prime)));
    assert!(e.contains("a stored prime is not prime"), "{e}");
    assert!(is_decode_error(SecretKey::from_bytes(&good[..10])));
    let mut older = good.clone();
    older[8] = 1;
    let e = reason(SecretKey::from_bytes(&older));
    assert!(
        e.contains("written by an older gcc-nn (format version 1, this build reads 2)"),
        "{e}"
    );
    let e = reason(SecretKey::from_bytes(&[1, b'S', 0, 0, 0, 1, 7]));
    assert!(e.contains("written by an older gcc-nn"), "{e}");
    let e = reason(SecretKey::from_bytes(
        &PUBLIC_KEY_FILE.seal(&body_of(&good)),
    ));
    assert!(e.contains("not a gcc-nn secret key file"), "{e}");
}

#[test]
fn corrupt_ciphertexts_are_errors() {
    let pk = key().public_key();
    let c = pk
        .encrypt(&BigUint::from(3u8), &mut ChaCha20Rng::seed_from_u64(3))
        .expect("enc");
    let good = c.to_bytes(pk);
    let body = body_of(&good);
    let sealed = |b: &[u8]| CIPHERTEXT_FILE.seal(b);
    let mut wrong_fp = body.clone();
    wrong_fp[0] ^= 1;
    assert_eq!(
        Ciphertext::from_bytes(pk, &sealed(&wrong_fp)),
        Err(PaillierError::KeyMismatch)
    );
    assert!(is_decode_error(Ciphertext::from_bytes(
        pk,
        &good[..good.len() - 3]
    )));
    assert!(is_decode_error(Ciphertext::from_bytes(
        pk,
        &sealed(&body[..body.len() - 3])
    )));
    let mut too_big = body.clone();
    for b in &mut too_big[8..] {
        *b = 0xff;
    }
    assert!(is_decode_error(Ciphertext::from_bytes(
        pk,
        &sealed(&too_big)
    )));
    let mut zero = body.clone();
    for b in &mut zero[8..] {
        *b = 0;
    }
    assert!(is_decode_error(Ciphertext::from_bytes(pk, &sealed(&zero))));
    // A multiple of N is below N² but not a unit.
    let mut multiple = body[..8].to_vec();
    let n_times_3 = pk.n() * 3u8;
    let n3 = n_times_3.to_bytes_be();
    multiple.resize(8 + pk.ciphertext_bytes() - n3.len(), 0);
    multiple.put(&n3);
    let e = reason(Ciphertext::from_bytes(pk, &sealed(&multiple)));
    assert!(e.contains("not a unit"), "{e}");
    assert!(is_decode_error(
        pk.read_ciphertext(&body[8..body.len() - 1])
    ));
}

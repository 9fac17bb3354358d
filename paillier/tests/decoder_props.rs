//! Decoder hardening: key files declaring huge integers fail at once naming the field;
//! random and mutated key/ciphertext bytes never panic; round trips hold for random keys'
//! files and random ciphertexts.

use bytes::Put;
use gcc_nn_paillier::serial::{
    CIPHERTEXT_FILE, MAX_MODULUS_BYTES, MAX_PRIME_BYTES, PUBLIC_KEY_FILE, SECRET_KEY_FILE,
};
use gcc_nn_paillier::{BigUint, Ciphertext, PaillierError, PublicKey, SecretKey};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;
use testkit::mutate::{edits, mutate};

fn key() -> &'static SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(|| {
        SecretKey::generate_any_size(256, &mut ChaCha20Rng::seed_from_u64(11)).expect("keygen")
    })
}

fn decode_reason<T: std::fmt::Debug>(r: Result<T, PaillierError>) -> String {
    match r {
        Err(PaillierError::Decode { reason, .. }) => reason,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn key_files_declaring_huge_integers_fail_fast() {
    // A length of 2^32 − 1 and nothing else: 8 bytes of body.
    let public = PUBLIC_KEY_FILE.seal(&0xffff_ffffu64.to_le_bytes());
    let reason = decode_reason(PublicKey::from_bytes(&public));
    assert!(
        reason.contains(&format!(
            "modulus at byte 20: 4294967295 exceeds the limit of {MAX_MODULUS_BYTES}"
        )),
        "{reason}"
    );
    let secret = SECRET_KEY_FILE.seal(&0x7fff_ffffu64.to_le_bytes());
    let reason = decode_reason(SecretKey::from_bytes(&secret));
    assert!(
        reason.contains("prime p at byte 20: 2147483647 exceeds"),
        "{reason}"
    );
    // p fine (one byte), q huge.
    let mut body = Vec::new();
    body.put_bytes64(&[7]);
    body.put_u64(1 << 16);
    let reason = decode_reason(SecretKey::from_bytes(&SECRET_KEY_FILE.seal(&body)));
    assert!(
        reason.contains(&format!(
            "prime q at byte 29: 65536 exceeds the limit of {MAX_PRIME_BYTES}"
        )),
        "{reason}"
    );
}

#[test]
fn a_modulus_at_the_limit_still_reads_and_one_byte_more_does_not() {
    let mut at_limit = Vec::new();
    at_limit.put_bytes64(&vec![0xffu8; MAX_MODULUS_BYTES as usize]);
    assert!(
        PublicKey::from_bytes(&PUBLIC_KEY_FILE.seal(&at_limit)).is_ok(),
        "an odd 4096-bit modulus is accepted"
    );
    let mut over = Vec::new();
    over.put_bytes64(&vec![0xffu8; MAX_MODULUS_BYTES as usize + 1]);
    assert!(
        decode_reason(PublicKey::from_bytes(&PUBLIC_KEY_FILE.seal(&over)))
            .contains("exceeds the limit")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_bytes_never_panic_the_decoders(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        let pk = key().public_key();
        let _ = PublicKey::from_bytes(&bytes);
        let _ = SecretKey::from_bytes(&bytes);
        let _ = Ciphertext::from_bytes(pk, &bytes);
        let _ = pk.read_ciphertext(&bytes);
    }

    #[test]
    fn mutated_files_never_panic(edits in edits(6)) {
        let sk = key();
        let pk = sk.public_key();
        let c = pk.encrypt(&BigUint::from(5u8), &mut ChaCha20Rng::seed_from_u64(3)).expect("enc");
        let formats = [PUBLIC_KEY_FILE, SECRET_KEY_FILE, CIPHERTEXT_FILE];
        for (kind, file) in [(0, pk.to_bytes()), (1, sk.to_bytes().to_vec()), (2, c.to_bytes(pk))] {
            // The whole file mutated (the envelope's checks), and its body mutated then
            // sealed again (so the mutation reaches the key and ciphertext checks).
            let mut whole = file.clone();
            mutate(&mut whole, &edits);
            let mut body = file[20..file.len() - 32].to_vec();
            mutate(&mut body, &edits);
            for bytes in [whole, formats[kind].seal(&body)] {
                match kind {
                    0 => { let _ = PublicKey::from_bytes(&bytes); }
                    1 => { let _ = SecretKey::from_bytes(&bytes); }
                    _ => { let _ = Ciphertext::from_bytes(pk, &bytes); }
                }
            }
        }
    }

    #[test]
    fn ciphertexts_round_trip(m in any::<u64>(), seed in any::<u64>()) {
        let sk = key();
        let pk = sk.public_key();
        let c = pk.encrypt(&BigUint::from(m), &mut ChaCha20Rng::seed_from_u64(seed)).expect("enc");
        let back = Ciphertext::from_bytes(pk, &c.to_bytes(pk)).expect("file form decodes");
        prop_assert_eq!(&back, &c);
        let mut wire = Vec::new();
        pk.write_ciphertext(&c, &mut wire);
        prop_assert_eq!(wire.len(), pk.ciphertext_bytes());
        let back = pk.read_ciphertext(&wire).expect("wire form decodes");
        prop_assert_eq!(sk.decrypt(&back).expect("dec"), BigUint::from(m));
    }
}

#[test]
fn random_small_keys_round_trip_through_their_files() {
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    for bits in [128, 192, 256] {
        let sk = SecretKey::generate_any_size(bits, &mut rng).expect("keygen");
        let pk = PublicKey::from_bytes(&sk.public_key().to_bytes()).expect("public key");
        assert_eq!(&pk, sk.public_key());
        let sk2 = SecretKey::from_bytes(&sk.to_bytes()).expect("secret key");
        assert_eq!(sk2.public_key(), sk.public_key());
        let c = pk.encrypt(&BigUint::from(99u8), &mut rng).expect("enc");
        assert_eq!(sk2.decrypt(&c).expect("dec"), BigUint::from(99u8));
    }
}

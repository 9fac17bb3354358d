//! Decoder hardening: key files declaring huge integers fail at once naming the field;
//! random and mutated key/ciphertext bytes never panic; round trips hold for random keys'
//! files and random ciphertexts.

use gcc_nn_paillier::serial::{MAX_MODULUS_BYTES, MAX_PRIME_BYTES};
use gcc_nn_paillier::{BigUint, Ciphertext, PaillierError, PublicKey, SecretKey};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;

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
    // [version 1]['P'][u32 length 0xffffffff] and nothing else: 6 bytes.
    let public = [1, b'P', 0xff, 0xff, 0xff, 0xff];
    let reason = decode_reason(PublicKey::from_bytes(&public));
    assert!(
        reason.contains(&format!(
            "modulus length 4294967295 bytes exceeds the limit of {MAX_MODULUS_BYTES}"
        )),
        "{reason}"
    );
    let secret = [1, b'S', 0x7f, 0xff, 0xff, 0xff];
    let reason = decode_reason(SecretKey::from_bytes(&secret));
    assert!(
        reason.contains("prime p length 2147483647 bytes exceeds"),
        "{reason}"
    );
    // p fine (one byte), q huge.
    let secret = [1, b'S', 0, 0, 0, 1, 7, 0, 1, 0, 0];
    let reason = decode_reason(SecretKey::from_bytes(&secret));
    assert!(
        reason.contains(&format!(
            "prime q length 65536 bytes exceeds the limit of {MAX_PRIME_BYTES}"
        )),
        "{reason}"
    );
}

#[test]
fn a_modulus_at_the_limit_still_reads_and_one_byte_more_does_not() {
    let mut at_limit = vec![1, b'P'];
    at_limit.extend_from_slice(&MAX_MODULUS_BYTES.to_be_bytes());
    at_limit.extend(std::iter::repeat_n(0xffu8, MAX_MODULUS_BYTES as usize));
    assert!(
        PublicKey::from_bytes(&at_limit).is_ok(),
        "an odd 4096-bit modulus is accepted"
    );
    let mut over = vec![1, b'P'];
    over.extend_from_slice(&(MAX_MODULUS_BYTES + 1).to_be_bytes());
    over.extend(std::iter::repeat_n(0xffu8, MAX_MODULUS_BYTES as usize + 1));
    assert!(decode_reason(PublicKey::from_bytes(&over)).contains("exceeds the limit"));
}

fn mutate(bytes: &mut Vec<u8>, edits: &[(usize, u8, u8)]) {
    for &(pos, kind, byte) in edits {
        if bytes.is_empty() {
            bytes.push(byte);
            continue;
        }
        let at = pos % bytes.len();
        match kind % 4 {
            0 => bytes[at] = byte,
            1 => bytes.insert(at, byte),
            2 => {
                bytes.remove(at);
            }
            _ => bytes.truncate(at),
        }
    }
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
    fn mutated_files_never_panic(edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6)) {
        let sk = key();
        let pk = sk.public_key();
        let c = pk.encrypt(&BigUint::from(5u8), &mut ChaCha20Rng::seed_from_u64(3)).expect("enc");
        for (kind, mut bytes) in [(0, pk.to_bytes()), (1, sk.to_bytes().to_vec()), (2, c.to_bytes(pk))] {
            mutate(&mut bytes, &edits);
            match kind {
                0 => { let _ = PublicKey::from_bytes(&bytes); }
                1 => { let _ = SecretKey::from_bytes(&bytes); }
                _ => { let _ = Ciphertext::from_bytes(pk, &bytes); }
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

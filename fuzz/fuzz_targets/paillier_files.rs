//! Paillier file decoders. First byte: 0 → public key, 1 → secret key, 2 → ciphertext
//! file under a fixed 256-bit test key, 3 → wire-form ciphertext under that key, 4 → a
//! wire-form ciphertext from a peer decrypted (and negated) under that key.
//! Selectors 0–2 decode the input as a whole file and, sealed in its envelope
//! (`paillier::serial::*_FILE`), as a body, so that mutations get past the checksum.
//! Whatever decodes is encoded again and must decode to the same value; decryption gives
//! a plaintext below N or `NotAUnit` (for c = kN and other non-units), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paillier::serial::{CIPHERTEXT_FILE, PUBLIC_KEY_FILE, SECRET_KEY_FILE};
use paillier::{BigUint, Ciphertext, PaillierError, PublicKey, SecretKey};
use std::sync::OnceLock;

/// A fixed 256-bit test modulus (product of two 128-bit primes; insecure, fuzzing only).
fn key() -> &'static PublicKey {
    secret_key().public_key()
}

/// The secret half of the fixed test key.
fn secret_key() -> &'static SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let p = BigUint::parse_bytes(b"340282366920938463463374607431768211297", 10);
        let q = BigUint::parse_bytes(b"340282366920938463463374607431768211283", 10);
        match (p, q) {
            (Some(p), Some(q)) => match SecretKey::from_primes(&p, &q) {
                Ok(sk) => sk,
                Err(e) => panic!("fixed fuzzing key: {e}"),
            },
            _ => panic!("fixed fuzzing primes do not parse"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let formats = [PUBLIC_KEY_FILE, SECRET_KEY_FILE, CIPHERTEXT_FILE];
    let inputs = |i: usize| [rest.to_vec(), formats[i].seal(rest)];
    match selector % 5 {
        0 => {
            for file in inputs(0) {
                if let Ok(pk) = PublicKey::from_bytes(&file) {
                    let back = PublicKey::from_bytes(&pk.to_bytes());
                    assert_eq!(back.ok().as_ref(), Some(&pk), "public key round trip");
                }
            }
        }
        1 => {
            for file in inputs(1) {
                if let Ok(sk) = SecretKey::from_bytes(&file) {
                    let back = SecretKey::from_bytes(&sk.to_bytes());
                    assert!(
                        back.is_ok_and(|b| b.public_key() == sk.public_key()),
                        "secret key round trip"
                    );
                }
            }
        }
        2 => {
            let pk = key();
            for file in inputs(2) {
                if let Ok(c) = Ciphertext::from_bytes(pk, &file) {
                    let back = Ciphertext::from_bytes(pk, &c.to_bytes(pk));
                    assert!(
                        back.is_ok_and(|b| b.to_biguint() == c.to_biguint()),
                        "ciphertext round trip"
                    );
                }
            }
        }
        4 => {
            let sk = secret_key();
            let pk = sk.public_key();
            if let Ok(c) = pk.read_ciphertext(rest) {
                // c − c is Enc(0) for a unit and stays a non-unit otherwise.
                let difference = sk.decrypt(&pk.sub(&c, &c));
                match sk.decrypt(&c) {
                    Ok(m) => {
                        assert!(&m < pk.n(), "plaintext below N");
                        assert_eq!(difference, Ok(BigUint::from(0u8)), "c - c");
                    }
                    Err(PaillierError::NotAUnit) => {
                        assert_eq!(difference, Err(PaillierError::NotAUnit), "non-unit c - c");
                    }
                    Err(e) => panic!("unexpected decryption error: {e}"),
                }
            }
        }
        _ => {
            let pk = key();
            if let Ok(c) = pk.read_ciphertext(rest) {
                let mut out = Vec::new();
                pk.write_ciphertext(&c, &mut out);
                assert_eq!(out, rest, "wire ciphertext round trip");
            }
        }
    }
});

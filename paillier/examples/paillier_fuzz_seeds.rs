//! Writes the seed corpus of the `paillier_files` fuzz target into DIR (default
//! `fuzz/seeds/paillier_files`): each file is a selector byte (0 public key, 1 secret key,
//! 2 ciphertext file, 3 wire-form ciphertext, 4 wire-form ciphertext to decrypt) followed by
//! bytes this crate wrote. The selector-4 seeds include the non-units of issue 13 item 5
//! (c = N, 2N, N² − N, p·(N + 1), q): decryption must return `NotAUnit`, not panic.
//! Keys are the fuzz target's fixed 256-bit test key (insecure; fuzzing only).
//!
//! `cargo run -p gcc-nn-paillier --example paillier_fuzz_seeds [DIR]`

use gcc_nn_paillier::{BigUint, PublicKey, SecretKey};
use rand::SeedableRng;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/seeds/paillier_files".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let p = BigUint::parse_bytes(b"340282366920938463463374607431768211297", 10).ok_or("p")?;
    let q = BigUint::parse_bytes(b"340282366920938463463374607431768211283", 10).ok_or("q")?;
    let sk = SecretKey::from_primes(&p, &q)?;
    let pk: &PublicKey = sk.public_key();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    let c = pk.encrypt(&BigUint::from(12345u32), &mut rng)?;
    let mut wire = Vec::new();
    pk.write_ciphertext(&c, &mut wire);
    let width = pk.ciphertext_bytes();
    let fixed = |x: &BigUint| {
        let bytes = x.to_bytes_be();
        let mut out = vec![0u8; width - bytes.len()];
        out.extend_from_slice(&bytes);
        out
    };
    let n = pk.n();
    let seeds: Vec<(&str, u8, Vec<u8>)> = vec![
        ("public_key", 0, pk.to_bytes()),
        ("secret_key", 1, sk.to_bytes().to_vec()),
        ("ciphertext_file", 2, c.to_bytes(pk)),
        ("ciphertext_wire", 3, wire.clone()),
        ("decrypt_unit", 4, wire),
        ("decrypt_non_unit_n", 4, fixed(n)),
        ("decrypt_non_unit_2n", 4, fixed(&(n * 2u8))),
        (
            "decrypt_non_unit_nn_minus_n",
            4,
            fixed(&(pk.n_squared() - n)),
        ),
        (
            "decrypt_non_unit_p_times_n_plus_1",
            4,
            fixed(&(&p * (n + 1u8))),
        ),
        ("decrypt_non_unit_q", 4, fixed(&q)),
    ];
    let count = seeds.len();
    for (name, selector, bytes) in seeds {
        let mut out = vec![selector];
        out.extend_from_slice(&bytes);
        std::fs::write(dir.join(name), out)?;
    }
    println!("wrote {count} seeds to {}", dir.display());
    Ok(())
}

//! Inner products by multi-exponentiation agree with the plaintext inner product.

use gcc_nn_paillier::{BigInt, BigUint, FixedBaseTable, SecretKey, inner_product};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;

fn key() -> &'static SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(|| {
        SecretKey::generate_any_size(512, &mut ChaCha20Rng::seed_from_u64(11)).expect("keygen")
    })
}

#[test]
fn signed_inner_product_matches_plaintext() {
    let sk = key();
    let pk = sk.public_key();
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    for n in [1usize, 2, 17, 40] {
        let xs: Vec<i64> = (0..n)
            .map(|_| rng.random_range(-1_000_000..1_000_000))
            .collect();
        let ws: Vec<BigInt> = (0..n)
            .map(|i| match i % 4 {
                0 => BigInt::from(rng.random::<i64>()),
                1 => BigInt::from(0),
                2 => BigInt::from(-1),
                _ => BigInt::from(rng.random::<u16>()),
            })
            .collect();
        let cts: Vec<_> = xs
            .iter()
            .map(|&x| {
                let rn = pk.random_nth_power(&mut rng);
                pk.encrypt_signed_with(&BigInt::from(x), &rn).expect("enc")
            })
            .collect();
        let expected: BigInt = xs.iter().zip(&ws).map(|(&x, w)| BigInt::from(x) * w).sum();
        let got = sk
            .decrypt_signed(&inner_product(pk, &cts, &ws).expect("ip"))
            .expect("dec");
        assert_eq!(got, expected, "n = {n}");
    }
    assert!(inner_product(pk, &[], &[BigInt::from(1)]).is_err());
}

#[test]
fn fixed_base_table_matches_plaintext_for_many_rows() {
    let sk = key();
    let pk = sk.public_key();
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let xs: Vec<u64> = (0..23).map(|_| rng.random::<u32>() as u64).collect();
    let cts: Vec<_> = xs
        .iter()
        .map(|&x| pk.encrypt(&BigUint::from(x), &mut rng).expect("enc"))
        .collect();
    for window in [0u32, 1, 5, 8] {
        let table = FixedBaseTable::new(pk, &cts, 40, window).expect("table");
        assert_eq!(table.len(), 23);
        for row in 0..3 {
            let es: Vec<u64> = (0..23)
                .map(|j| match (row, j % 3) {
                    (0, _) => (1 << 40) - 1,
                    (_, 0) => 0,
                    _ => rng.random::<u64>() >> 24,
                })
                .collect();
            let expected: BigUint = xs
                .iter()
                .zip(&es)
                .map(|(&x, &e)| BigUint::from(x) * BigUint::from(e))
                .sum();
            let got = sk
                .decrypt(&table.inner_product(pk, &es).expect("ip"))
                .expect("dec");
            assert_eq!(got, expected, "window {window} row {row}");
        }
        assert!(table.inner_product(pk, &[1u64 << 40; 23]).is_err());
        assert!(table.inner_product(pk, &[1]).is_err());
    }
    assert!(FixedBaseTable::new(pk, &cts, 65, 4).is_err());
}

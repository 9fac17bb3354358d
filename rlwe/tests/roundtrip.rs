//! Encryption/decryption round trips, serialization and its error paths.

use gcc_nn_rlwe::{
    Ciphertext, InputCiphertext, Layout, OutputCiphertext, PublicKey, SecretKey, decrypt_outputs,
    encrypt_inputs, masked_products,
};

/// With E = identity (n = m) the shares reconstruct `−x`: a full round trip of the protocol
/// steps through serialization.
#[test]
fn identity_product_round_trips_through_bytes() {
    let mut rng = rand::rng();
    let sk = SecretKey::generate(&mut rng);
    let pk = PublicKey::from_bytes(&sk.public_key(&mut rng).to_bytes()).expect("pk bytes");
    let (n, p, k) = (5usize, 300usize, 40u32);
    let layout = Layout::choose(n, n, p, k).expect("layout");
    let x: Vec<u64> = (0..n * p)
        .map(|i| (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 24)
        .collect();
    let eye: Vec<u64> = (0..n * n).map(|t| u64::from(t / n == t % n)).collect();
    let cts = encrypt_inputs(&sk, &layout, &x, &mut rng).expect("encrypt");
    let cts: Vec<InputCiphertext> = cts
        .iter()
        .map(|c| InputCiphertext::from_bytes(&c.to_bytes(&layout), &layout).expect("input bytes"))
        .collect();
    let (outs, rho) = masked_products(&pk, &layout, &cts, &eye, &mut rng).expect("products");
    let groups = layout.groups();
    let outs: Vec<OutputCiphertext> = outs
        .iter()
        .enumerate()
        .map(|(t, o)| {
            OutputCiphertext::from_bytes(&o.to_bytes(), &layout, t / groups, t % groups)
                .expect("out bytes")
        })
        .collect();
    let mine = decrypt_outputs(&sk, &layout, &outs).expect("decrypt");
    let mask = (1u64 << k) - 1;
    for i in 0..n * p {
        assert_eq!(
            mine[i].wrapping_add(rho[i]) & mask,
            x[i].wrapping_neg() & mask,
            "value {i}"
        );
    }
}

#[test]
fn a_different_secret_key_does_not_decrypt() {
    let mut rng = rand::rng();
    let sk = SecretKey::generate(&mut rng);
    let other = SecretKey::generate(&mut rng);
    let pk = sk.public_key(&mut rng);
    let layout = Layout::choose(3, 2, 50, 40).expect("layout");
    let x = vec![7u64; 150];
    let w = vec![1u64; 6];
    let cts = encrypt_inputs(&sk, &layout, &x, &mut rng).expect("encrypt");
    let (outs, rho) = masked_products(&pk, &layout, &cts, &w, &mut rng).expect("products");
    let good = decrypt_outputs(&sk, &layout, &outs).expect("decrypt");
    let bad = decrypt_outputs(&other, &layout, &outs).expect("decrypt");
    let mask = (1u64 << 40) - 1;
    assert!(
        good.iter()
            .zip(&rho)
            .all(|(a, b)| a.wrapping_add(*b) & mask == 21u64.wrapping_neg() & mask)
    );
    assert!(
        bad.iter()
            .zip(&rho)
            .filter(|(a, b)| a.wrapping_add(**b) & mask == 21u64.wrapping_neg() & mask)
            .count()
            < 3
    );
}

#[test]
fn malformed_bytes_are_refused_with_a_reason() {
    let mut rng = rand::rng();
    let sk = SecretKey::generate(&mut rng);
    let pk = sk.public_key(&mut rng);
    let layout = Layout::choose(2, 2, 10, 40).expect("layout");
    let cts = encrypt_inputs(&sk, &layout, &[1; 20], &mut rng).expect("encrypt");
    let bytes = cts[0].to_bytes(&layout);
    let e = InputCiphertext::from_bytes(&bytes[..bytes.len() - 1], &layout).expect_err("must fail");
    assert!(e.to_string().contains("input ciphertext"), "{e}");
    let mut long = bytes.clone();
    long.push(0);
    assert!(InputCiphertext::from_bytes(&long, &layout).is_err());
    let mut high = bytes.clone();
    let last = high.len() - 1;
    high[last] = 0xff; // the last residue's top bits → not below its prime, or nonzero padding
    assert!(InputCiphertext::from_bytes(&high, &layout).is_err());
    assert!(InputCiphertext::from_bytes(b"XXXX", &layout).is_err());
    let pkb = pk.to_bytes();
    assert!(
        PublicKey::from_bytes(&pkb[..100])
            .expect_err("must fail")
            .to_string()
            .contains("public key")
    );
    let (outs, _) = masked_products(&pk, &layout, &cts, &[1, 2, 3, 4], &mut rng).expect("products");
    let ob = outs[0].to_bytes();
    assert!(OutputCiphertext::from_bytes(&ob[..ob.len() - 8], &layout, 0, 0).is_err());
    // wrong lengths name what is wrong
    let e = masked_products(&pk, &layout, &cts, &[1, 2, 3], &mut rng).expect_err("must fail");
    assert!(e.to_string().contains("matrix"), "{e}");
    let e = decrypt_outputs(&sk, &layout, &[]).expect_err("must fail");
    assert!(e.to_string().contains("returned ciphertexts"), "{e}");
}

#[test]
fn secret_and_public_key_encryptions_decrypt_exactly_and_hide_the_message() {
    let mut rng = rand::rng();
    let sk = SecretKey::generate(&mut rng);
    let pk = sk.public_key(&mut rng);
    for k in [1u32, 16, 40, 41] {
        let m: Vec<u64> = (0..8192u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - k))
            .collect();
        let c1: Ciphertext = sk.encrypt(&m, k, &mut rng).expect("sk encrypt");
        let c2 = pk.encrypt(&m, k, &mut rng).expect("pk encrypt");
        assert_eq!(sk.decrypt(&c1, k).expect("decrypt"), m, "k = {k}");
        assert_eq!(sk.decrypt(&c2, k).expect("decrypt"), m, "k = {k}");
        // two encryptions of the same message differ (fresh randomness)
        assert_ne!(c2, pk.encrypt(&m, k, &mut rng).expect("pk encrypt"));
    }
    assert!(pk.encrypt(&vec![0; 8193], 40, &mut rng).is_err());
    assert!(sk.encrypt(&[1], 0, &mut rng).is_err());
}

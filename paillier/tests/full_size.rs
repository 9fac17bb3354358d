//! One end-to-end check at the real 2048-bit size.

use gcc_nn_paillier::{BigInt, BigUint, DEFAULT_KEY_BITS, RandomnessPool, SecretKey, SlotLayout};

#[test]
fn real_size_key_works_end_to_end() {
    let mut rng = rand::rng();
    let sk = SecretKey::generate(DEFAULT_KEY_BITS, &mut rng).expect("keygen");
    let pk = sk.public_key();
    assert_eq!(pk.bits(), 2048);
    assert_eq!(pk.ciphertext_bytes(), 512);
    pk.validate_production()
        .expect("generated 2048-bit key passes the production checks");
    let mut pool = RandomnessPool::new();
    pool.fill_crt(&sk, 2);
    let n_minus_1 = pk.n() - 1u8;
    let rn = pool.take().expect("pool");
    let c = pk.encrypt_with(&n_minus_1, &rn).expect("enc");
    assert_eq!(sk.decrypt(&c).expect("dec"), n_minus_1);
    assert_eq!(sk.decrypt_textbook(&c).expect("textbook"), n_minus_1);
    // Packed slots of 74 bits: 27 activations per plaintext.
    let layout = SlotLayout::new(27, 74, pk.bits()).expect("layout");
    let values: Vec<BigUint> = (0..27u32)
        .map(|i| (BigUint::from(1u8) << 73u32) + i)
        .collect();
    let rn = pool.take().expect("pool");
    let packed = pk
        .encrypt_with(&layout.pack(&values).expect("pack"), &rn)
        .expect("enc");
    assert_eq!(
        layout
            .unpack(&sk.decrypt(&packed).expect("dec"), 27)
            .expect("unpack"),
        values
    );
    let neg = pk.mul_plain_signed(&packed, &BigInt::from(-1));
    assert_eq!(
        sk.decrypt_signed(&pk.add(&neg, &packed)).expect("dec"),
        BigInt::from(0)
    );
}

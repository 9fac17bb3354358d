//! Slot packing round trips at the extremes, overflow detection, and packing ciphertexts.

use gcc_nn_paillier::{BigInt, BigUint, PaillierError, SecretKey, SlotLayout};
use num_traits::One;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn all_ones(bits: u32) -> BigUint {
    (BigUint::one() << bits) - 1u8
}

#[test]
fn layout_fits_the_modulus() {
    assert_eq!(SlotLayout::max_slots(64, 2048), 31);
    assert!(SlotLayout::new(31, 65, 2048).is_ok());
    assert!(SlotLayout::new(32, 64, 2048).is_err());
    assert!(SlotLayout::new(0, 8, 2048).is_err());
    // K·w = bits(N) − 3 exactly is allowed.
    assert!(SlotLayout::new(5, 409, 2048).is_ok());
    assert!(SlotLayout::new(5, 410, 2048).is_err());
}

#[test]
fn extremes_round_trip() {
    let layout = SlotLayout::new(15, 131, 2048).expect("layout");
    let ones = vec![all_ones(131); 15];
    let packed = layout.pack(&ones).expect("pack");
    assert_eq!(packed, all_ones(15 * 131));
    assert_eq!(layout.unpack(&packed, 15).expect("unpack"), ones);
    let zeros = vec![BigUint::from(0u8); 15];
    assert_eq!(
        layout
            .unpack(&layout.pack(&zeros).expect("pack"), 15)
            .expect("unpack"),
        zeros
    );
    // Fewer values than slots.
    let few = vec![all_ones(131), BigUint::from(1u8)];
    let packed = layout.pack(&few).expect("pack");
    assert_eq!(layout.unpack(&packed, 2).expect("unpack"), few);
}

#[test]
fn overflow_is_detected() {
    let layout = SlotLayout::new(4, 8, 64).expect("layout");
    assert!(matches!(
        layout.pack(&[BigUint::from(256u32)]),
        Err(PaillierError::Packing { .. })
    ));
    assert!(layout.pack(&vec![BigUint::from(1u8); 5]).is_err());
    // A slot-wise sum that carried out of the top slot.
    let top = layout.pack(&vec![BigUint::from(255u8); 4]).expect("pack");
    let overflowed = &top + &top;
    assert!(matches!(
        layout.unpack(&overflowed, 4),
        Err(PaillierError::Packing { .. })
    ));
}

#[test]
fn signed_slots_unpack() {
    let layout = SlotLayout::new(6, 20, 2048).expect("layout");
    let values: Vec<BigInt> = [-(1i64 << 19) + 1, (1 << 19) - 1, 0, -1, 5, -77]
        .into_iter()
        .map(BigInt::from)
        .collect();
    let packed: BigInt = values.iter().enumerate().map(|(s, v)| v << (20 * s)).sum();
    assert_eq!(layout.unpack_signed(&packed, 6).expect("unpack"), values);
    assert!(layout.unpack_signed(&(BigInt::one() << 200u32), 6).is_err());
}

#[test]
fn ciphertexts_pack_homomorphically() {
    let sk = SecretKey::generate_any_size(512, &mut ChaCha20Rng::seed_from_u64(8)).expect("key");
    let pk = sk.public_key();
    let layout = SlotLayout::new(7, 70, pk.bits()).expect("layout");
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let values: Vec<BigUint> = (0..7u32)
        .map(|i| {
            if i % 2 == 0 {
                all_ones(70)
            } else {
                BigUint::from(i)
            }
        })
        .collect();
    let cts: Vec<_> = values
        .iter()
        .map(|v| pk.encrypt(v, &mut rng).expect("enc"))
        .collect();
    let packed = layout.pack_ciphertexts(pk, &cts).expect("pack");
    let plain = sk.decrypt(&packed).expect("dec");
    assert_eq!(plain, layout.pack(&values).expect("pack"));
    assert_eq!(layout.unpack(&plain, 7).expect("unpack"), values);
}

proptest! {
    #[test]
    fn pack_unpack_round_trip(width in 1u32..200, raw in proptest::collection::vec(any::<u128>(), 1..10)) {
        let slots = SlotLayout::max_slots(width, 2048).min(raw.len());
        prop_assume!(slots > 0);
        let layout = SlotLayout::new(slots, width, 2048).expect("layout");
        let values: Vec<BigUint> = raw.iter().take(slots)
            .map(|&v| BigUint::from(v) % (BigUint::one() << width))
            .collect();
        let packed = layout.pack(&values).expect("pack");
        prop_assert_eq!(layout.unpack(&packed, slots).expect("unpack"), values);
    }
}

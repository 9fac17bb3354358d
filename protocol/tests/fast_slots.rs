//! The slot width `w = 2k + ⌈log2 n⌉ + σ + 1` at its extremes: every operand `2^k − 1`
//! and every mask at its maximum `2^(w−1) − 1` still decrypt exactly, slot by slot, and the
//! shares of the cross product reconstruct `−Σ e·x mod 2^k` (docs/protocol.md §3, "Slots").

use crate::fast_common;

use fast_common::{keys, ring};
use gcc_nn_protocol::fast::cross::{decrypt_packed, encrypt_packed, masked_products};
use gcc_nn_protocol::fast::fresh::FreshZeros;
use gcc_nn_protocol::fast::ring::{SIGMA, ceil_log2};
use paillier::{BigUint, FixedBaseTable};

#[test]
fn ceil_log2_known_answers() {
    for (n, want) in [
        (1usize, 0u32),
        (2, 1),
        (3, 2),
        (4, 2),
        (5, 3),
        (128, 7),
        (129, 8),
        (169, 8),
    ] {
        assert_eq!(ceil_log2(n), want, "n = {n}");
    }
}

#[test]
fn bound_holds_for_every_layer_size() {
    // n·(2^k − 1)² + (2^(w−1) − 1) < 2^w, for the widths the model uses and beyond.
    let r = ring();
    for n in (1..=1024usize).chain([4096, 65_536]) {
        let w = r.slot_width(n, SIGMA);
        let max = BigUint::from(r.mask());
        let worst = BigUint::from(n) * &max * &max + ((BigUint::from(1u8) << (w - 1)) - 1u8);
        assert!(
            worst.bits() <= u64::from(w),
            "n = {n}: {} bits > w = {w}",
            worst.bits()
        );
        // and the value part alone stays σ + 1 bits below the slot (the statistical margin)
        let values = BigUint::from(n) * &max * &max;
        assert!(values.bits() <= u64::from(w - SIGMA - 1), "n = {n}");
    }
}

#[test]
fn extremes_decrypt_exactly_in_every_slot() {
    let (user_sk, _) = keys();
    let pk = user_sk.public_key();
    let r = ring();
    for n in [1usize, 2, 128, 129, 169] {
        let layout = r.cross_layout(n, SIGMA, pk.bits()).expect("layout");
        let k = layout.slots();
        assert!(k >= 2, "n = {n}: {k} slots");
        let w = layout.width();
        let max = r.mask();
        let zeros = FreshZeros::full(pk);
        let x = BigUint::from(max);
        let packed = layout.pack(&vec![x; k]).expect("pack");
        let bases: Vec<_> = (0..n)
            .map(|_| zeros.encrypt(&packed, &mut rand::rng()).expect("enc"))
            .collect();
        let table = FixedBaseTable::new(pk, &bases, r.k, 0).expect("table");
        let prod = table.inner_product(pk, &vec![max; n]).expect("multi-exp");
        let top_mask = (BigUint::from(1u8) << (w - 1)) - 1u8;
        let masks = layout.pack(&vec![top_mask.clone(); k]).expect("pack masks");
        let c = zeros
            .add_fresh(&prod, &masks, &mut rand::rng())
            .expect("mask");
        let slots = layout
            .unpack(&user_sk.decrypt(&c).expect("dec"), k)
            .expect("unpack");
        let want = BigUint::from(n) * BigUint::from(max) * BigUint::from(max) + &top_mask;
        for (s, v) in slots.iter().enumerate() {
            assert_eq!(v, &want, "n = {n}, slot {s}");
        }
    }
}

#[test]
fn cross_product_shares_at_the_extremes() {
    let (user_sk, _) = keys();
    let pk = user_sk.public_key();
    let r = ring();
    let (n, m, patches) = (129usize, 3usize, 9usize);
    let layout = r.cross_layout(n, SIGMA, pk.bits()).expect("layout");
    let zeros = FreshZeros::full(pk);
    let max = r.mask();
    let mut x = vec![max; n * patches];
    x[0] = 0; // one non-extreme value, so the shares are not all equal
    let exps = vec![max; n * m];
    let cts = encrypt_packed(&zeros, &layout, &x, n, patches, &mut rand::rng()).expect("enc");
    let (prods, rho) = masked_products(
        pk,
        &zeros,
        &layout,
        &r,
        &cts,
        &exps,
        (n, m),
        patches,
        &mut rand::rng(),
    )
    .expect("products");
    let minus_v = decrypt_packed(user_sk, &layout, &r, &prods, m, patches).expect("decrypt");
    for i in 0..m {
        for p in 0..patches {
            let sum = (0..n).fold(0u64, |a, j| {
                a.wrapping_add(max.wrapping_mul(x[j * patches + p]))
            }) & max;
            let got = r.add(rho[i * patches + p], minus_v[i * patches + p]);
            assert_eq!(got, r.neg(sum), "row {i}, patch {p}");
        }
    }
}

#[test]
fn subset_table_agrees_with_plaintext_products() {
    use gcc_nn_protocol::fast::cross::SubsetTable;
    use rand::{RngExt, SeedableRng};
    let (user_sk, _) = keys();
    let pk = user_sk.public_key();
    let r = ring();
    let zeros = FreshZeros::full(pk);
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
    let n = 13;
    let xs: Vec<u64> = (0..n).map(|_| rng.random_range(0..=r.mask())).collect();
    let bases: Vec<_> = xs
        .iter()
        .map(|&x| {
            zeros
                .encrypt(&BigUint::from(x), &mut rand::rng())
                .expect("enc")
        })
        .collect();
    for g in [1, 3, 4, 13] {
        let table = SubsetTable::new(pk, &bases, g);
        for row in 0..3 {
            let mut e: Vec<u64> = (0..n).map(|_| rng.random_range(0..=r.mask())).collect();
            if row == 0 {
                e.iter_mut().for_each(|v| *v = 0);
            }
            if row == 1 {
                e.iter_mut().for_each(|v| *v = r.mask());
            }
            let c = table.product(pk, &e, r.k).expect("product");
            let want: BigUint = e
                .iter()
                .zip(&xs)
                .map(|(&a, &b)| BigUint::from(a) * BigUint::from(b))
                .sum();
            assert_eq!(
                user_sk.decrypt(&c).expect("dec"),
                want,
                "g = {g}, row {row}"
            );
        }
    }
    // exponents above k bits are refused
    let table = SubsetTable::new(pk, &bases, 4);
    assert!(table.product(pk, &vec![1u64 << r.k; n], r.k).is_err());
}

#[test]
fn first_layer_offset_inputs_fit_their_narrower_slots() {
    // a_U = p + B ∈ [0, 2B] on input_value_bits() bits; the worst slot is
    // n·(2^k − 1)·2B + (2^(w−1) − 1) with w from slot_width_values.
    use gcc_nn_protocol::fast::party::{input_offset, input_value_bits};
    let r = ring();
    let top = BigUint::from(2 * input_offset() as u64);
    assert_eq!(top.bits(), u64::from(input_value_bits()));
    for n in [1usize, 9, 169, 1024] {
        let w = r.slot_width_values(n, input_value_bits(), SIGMA);
        assert!(w < r.slot_width(n, SIGMA), "n = {n}: no narrowing");
        let values = BigUint::from(n) * BigUint::from(r.mask()) * &top;
        assert!(values.bits() <= u64::from(w - SIGMA - 1), "n = {n}");
        let worst = values + ((BigUint::from(1u8) << (w - 1)) - 1u8);
        assert!(worst.bits() <= u64::from(w), "n = {n}");
    }
}

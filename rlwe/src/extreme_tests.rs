//! The noise budget at its extremes (see [`crate::noise`]): every weight `−2^(k−1)`, every
//! input `2^k − 1`, every fresh error `+η`, flooding at `−2^F`; decryption must be exact.

use crate::cipher::InputCiphertext;
use crate::keys::SecretKey;
use crate::layout::{Engine, Layout};
use crate::matvec::{Finish, Flood, decrypt_outputs, products_with};
use crate::params::{ETA, N};
use crate::sample;

/// Runs one extreme product and compares with `−E·x mod 2^k` computed in the clear.
fn extreme(layout: Layout) {
    let mut rng = rand::rng();
    let sk = SecretKey::generate(&mut rng);
    let pk = sk.public_key(&mut rng);
    let k = layout.k;
    let x = vec![(1u64 << k) - 1; layout.n_in * layout.patches];
    let w = vec![1u64 << (k - 1); layout.n_in * layout.n_out];
    assert_eq!(layout.centre(w[0]), -(1i64 << (k - 1)));
    let e = vec![ETA as i64; N];
    let cts: Vec<InputCiphertext> = (0..layout.input_count())
        .map(|t| {
            let (ib, g) = (t / layout.groups(), t % layout.groups());
            InputCiphertext::encrypt_with_error(
                &sk,
                &layout,
                &layout.encode_vector(&x, ib, g).expect("encode"),
                &e,
                sample::seed(&mut rng),
            )
        })
        .collect();
    let finish = Finish {
        rerandomise: true,
        flood: Flood::Extreme,
    };
    let (raws, rho) = products_with(&pk, &layout, &cts, &w, finish, &mut rng).expect("products");
    let outs: Vec<_> = raws.iter().map(|r| r.switch()).collect();
    let mine = decrypt_outputs(&sk, &layout, &outs).expect("decrypt");
    let mask = layout.t_mask();
    let expected = (1u128 << (k - 1)) * ((1u128 << k) - 1) * layout.n_in as u128;
    let expected = (expected as u64).wrapping_neg() & mask;
    for (i, (a, b)) in mine.iter().zip(&rho).enumerate() {
        assert_eq!(a.wrapping_add(*b) & mask, expected, "output {i}");
    }
}

#[test]
fn shipped_first_layer_all_in_one_row_block_decrypts_exactly_at_the_extremes() {
    // n_o = 1, n_i = 169 (T = 169, every error aligned with the weights' sign), both engines.
    let l = Layout::new(169, 2, 48, 40, (169, 1, 48)).expect("layout");
    extreme(l.with_engine(Engine::Ntt));
    extreme(l.with_engine(Engine::Coefficient));
}

#[test]
fn largest_t_of_the_shipped_model_decrypts_exactly_at_the_extremes() {
    // n_o = 3 rows per block, 2,704 patches per polynomial: T = 3·169 = 507.
    let l = Layout::new(169, 3, 2704, 40, (1, 3, 2704)).expect("layout");
    assert_eq!(
        crate::noise::Budget::for_layout(&l).expect("budget").terms,
        507
    );
    extreme(l.with_engine(Engine::Coefficient));
    extreme(l.with_engine(Engine::Ntt));
}

#[test]
fn budget_rejects_what_does_not_fit() {
    // k = 42 no longer survives the switch to Q0; a huge T overflows the flooding range.
    assert!(Layout::new(169, 1, 48, 42, (169, 1, 48)).is_err());
    assert!(Layout::new(1 << 20, 8192, 1, 40, (1, 8192, 1)).is_err());
    assert!(Layout::new(169, 1, 48, 41, (169, 1, 48)).is_ok());
}

#[test]
fn densest_shipped_layout_decrypts_exactly_at_the_extremes() {
    // One patch of the first layer: the chooser's dense block (n_o = 128 rows), T = 128·169.
    let l = Layout::choose(169, 128, 1, 40).expect("layout");
    let budget = crate::noise::Budget::for_layout(&l).expect("budget");
    assert_eq!((budget.terms, budget.flood_bits), (128 * 169, 122));
    extreme(l);
}

//! Shared fixtures of the fast-protocol tests: small keys, a random small model, setup.

#![allow(dead_code)]

use gcc_nn_protocol::fast::{EncryptedModel, ModelShare, Ring, simulate_setup};
use model::fixed::{FIXED, FixedMlp};
use paillier::SecretKey;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::sync::{Arc, OnceLock};

/// Test key size (bits): large enough for 7 slots of 129 bits.
pub(crate) const TEST_KEY_BITS: u32 = 1024;

/// The user's and the cloud's test keys (seeded: tests only).
pub(crate) fn keys() -> &'static (SecretKey, Arc<SecretKey>) {
    static K: OnceLock<(SecretKey, Arc<SecretKey>)> = OnceLock::new();
    K.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        (
            SecretKey::generate_any_size(TEST_KEY_BITS, &mut rng).expect("user key"),
            Arc::new(SecretKey::generate_any_size(TEST_KEY_BITS, &mut rng).expect("cloud key")),
        )
    })
}

/// The ring of the fixed-point parameters.
pub(crate) fn ring() -> Ring {
    Ring::new(FIXED.ring_bits).expect("ring")
}

/// A random model with the given widths (first and last square: patch sizes): weights
/// within ±1.5, biases within ±0.5.
pub(crate) fn random_model(widths: &[usize], seed: u64) -> FixedMlp {
    testkit::models::random(widths, seed)
}

/// Random quantised input patches within the clamp range, with the extremes first.
pub(crate) fn random_inputs(n: usize, patches: usize, seed: u64) -> Vec<Vec<i64>> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let max = FIXED.quantise_input(FIXED.input_clamp);
    (0..patches)
        .map(|p| match p {
            0 => vec![max; n],
            1 => vec![-max; n],
            2 => vec![0; n],
            _ => (0..n).map(|_| rng.random_range(-max..=max)).collect(),
        })
        .collect()
}

/// The owner's upload and the setup: (user share, cloud share).
pub(crate) fn setup(model: &FixedMlp) -> (ModelShare, ModelShare) {
    let (user_sk, cloud_sk) = keys();
    let enc = EncryptedModel::encrypt_with_rng(
        model,
        user_sk.public_key(),
        &gcc_nn_protocol::upload::OwnerKey::from_seed(&[7; 32]),
        &mut rand::rng(),
    )
    .expect("owner upload (small test key: the library's test path)");
    let sim = simulate_setup(user_sk, cloud_sk.clone(), &enc, ring()).expect("setup");
    let gcc_nn_protocol::fast::CloudOutputOrShare::Share(cloud) = sim.cloud else {
        panic!("setup returns the cloud's share");
    };
    (sim.user, *cloud)
}

//! What the cloud receives in the fast protocol: ciphertexts under the user's key (checked
//! by type and key fingerprint), ciphertexts under its own key whose plaintexts are masked,
//! and garbled-circuit outputs masked in Z_2^k; the values it learns in clear pass a
//! uniformity test that the unmasked pre-activations fail.

mod fast_common;

use fast_common::{keys, random_inputs, random_model, ring, setup};
use gcc_nn_protocol::fast::party::layer_layout;
use gcc_nn_protocol::fast::ring::SIGMA;
use gcc_nn_protocol::fast::{CloudOutputOrShare, ShareCircuit, run_cloud, run_user, simulate};
use paillier::SecretKey;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use runtime::channel::MemChannel;
use std::time::Duration;

/// χ² statistic of `values` over 16 buckets chosen by `bucket`.
fn chi_square(values: &[u64], bucket: impl Fn(u64) -> usize) -> f64 {
    let mut counts = [0f64; 16];
    for &v in values {
        counts[bucket(v)] += 1.0;
    }
    let e = values.len() as f64 / 16.0;
    counts.iter().map(|c| (c - e) * (c - e) / e).sum()
}

/// 15 degrees of freedom: P(χ² > 45) ≈ 7·10^−5.
const CHI_LIMIT: f64 = 45.0;

fn uniform_in_ring(values: &[u64], what: &str) {
    let k = ring().k;
    let top = chi_square(values, |v| (v >> (k - 4)) as usize & 15);
    let low = chi_square(values, |v| (v & 15) as usize);
    let mid = chi_square(values, |v| (v >> (k / 2)) as usize & 15);
    assert!(
        top < CHI_LIMIT && low < CHI_LIMIT && mid < CHI_LIMIT,
        "{what}: χ² top {top:.1}, mid {mid:.1}, low {low:.1} over {} values",
        values.len()
    );
}

#[test]
fn cloud_sees_only_ciphertexts_and_masked_values() {
    let model = random_model(&[9, 8, 6, 4], 21);
    let patches = 70;
    let inputs = random_inputs(9, patches, 22);
    let (user_share, cloud_share) = setup(&model);
    let circuit = ShareCircuit::for_activation("tanh", &model.params).expect("circuit");
    let sim = simulate(
        &keys().0,
        &user_share,
        &cloud_share,
        &circuit,
        &inputs,
        true,
    )
    .expect("run");
    let CloudOutputOrShare::Image(cloud) = sim.cloud else {
        panic!("image run");
    };
    let view = cloud.view.expect("view recorded");
    let r = ring();
    let pk = keys().0.public_key();
    // Types: the packed a_U ciphertexts were read under the user's key, one per input
    // value and block of K patches, in every layer.
    let blocks = |li: usize, n: usize| {
        patches.div_ceil(layer_layout(&r, li, n, pk, pk).expect("layout").slots())
    };
    let expected: usize = model
        .layers
        .iter()
        .enumerate()
        .map(|(li, l)| l.inputs * blocks(li, l.inputs))
        .sum();
    assert_eq!(view.user_ciphertexts, expected);
    // Values: GC outputs and decrypted cross-product slots, reduced into Z_2^k.
    let hidden: usize = model.layers[..2].iter().map(|l| l.outputs).sum();
    assert_eq!(view.activations.len(), hidden * patches);
    uniform_in_ring(&view.activations, "activation outputs y");
    let slots: Vec<u64> = view
        .cross_slots
        .iter()
        .map(|v| v.iter_u64_digits().next().unwrap_or(0) & r.mask())
        .collect();
    assert_eq!(
        slots.len(),
        model.layers[1..].iter().map(|l| l.outputs).sum::<usize>() * patches
    );
    uniform_in_ring(&slots, "cross product slots");
    // The slots also carry no information above the ring beyond the mask's σ bits: their
    // integer values lie below 2^w.
    for v in &view.cross_slots {
        assert!(v.bits() <= u64::from(r.slot_width(8, SIGMA)));
    }
}

#[test]
fn the_uniformity_test_rejects_unmasked_values() {
    // Negative control: the true pre-activations of the same kind of model are far from
    // uniform in Z_2^k, so the test above is able to fail.
    let model = random_model(&[9, 8, 6, 4], 21);
    let inputs = random_inputs(9, 70, 22);
    let r = ring();
    let z: Vec<u64> = inputs
        .iter()
        .flat_map(|p| {
            let l = &model.layers[0];
            (0..l.outputs)
                .map(|i| {
                    let s: i64 = (0..l.inputs)
                        .map(|j| l.weights[i * l.inputs + j] * p[j])
                        .sum::<i64>()
                        + l.bias[i];
                    r.from_signed(s)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let k = r.k;
    assert!(chi_square(&z, |v| (v >> (k - 4)) as usize & 15) > CHI_LIMIT);
}

#[test]
fn cloud_rejects_a_user_with_another_key() {
    let model = random_model(&[4, 3, 1], 31);
    let (user_share, cloud_share) = setup(&model);
    let circuit = ShareCircuit::for_activation("tanh", &model.params).expect("circuit");
    let stranger =
        SecretKey::generate_any_size(1024, &mut ChaCha20Rng::seed_from_u64(99)).expect("key");
    let (a, b) = MemChannel::pair(Duration::from_secs(60));
    let inputs = random_inputs(4, 3, 1);
    let err = std::thread::scope(|s| {
        let (share, circuit) = (&cloud_share, &circuit);
        let cloud = s.spawn(move || {
            let mut b = b;
            run_cloud(
                &mut b,
                keys().0.public_key(),
                share,
                circuit,
                false,
                &mut rand::rng(),
            )
        });
        let mut a = a;
        let _ = run_user(
            &mut a,
            &stranger,
            &user_share,
            circuit,
            &inputs,
            &mut rand::rng(),
        );
        drop(a);
        cloud.join().expect("cloud thread")
    })
    .expect_err("a different user key must be refused");
    assert!(err.to_string().contains("user key fingerprint"), "{err}");
}

//! What each party sees does not depend on the secret: the user's x + m and the cloud's
//! f(x) + ru for two very different x are indistinguishable by a two-sample
//! Kolmogorov–Smirnov test at σ = 40, while the same test does tell them apart when the
//! masks are too short (σ = 0), so it has the power to notice a leak.

use gcc_nn_protocol::bridge::MaskParams;
use gcc_nn_protocol::bridge::masks::{
    draw_input_mask, draw_output_mask, masked_input, masked_output,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

const SAMPLES: usize = 20_000;
/// KS critical value at α = 0.001 for two samples of SAMPLES each: 1.95·sqrt(2/SAMPLES).
fn critical() -> f64 {
    1.95 * (2.0 / SAMPLES as f64).sqrt()
}

/// The two-sample Kolmogorov–Smirnov statistic sup |F_a − F_b|.
fn ks_statistic<T: Ord + Copy>(mut a: Vec<T>, mut b: Vec<T>) -> f64 {
    a.sort_unstable();
    b.sort_unstable();
    let (mut i, mut j, mut d) = (0usize, 0usize, 0f64);
    while i < a.len() && j < b.len() {
        let v = a[i].min(b[j]);
        while i < a.len() && a[i] == v {
            i += 1;
        }
        while j < b.len() && b[j] == v {
            j += 1;
        }
        let diff = (i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs();
        d = d.max(diff);
    }
    d
}

fn user_view(p: &MaskParams, x: i128, seed: u64) -> Vec<u128> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..SAMPLES)
        .map(|_| masked_input(x, draw_input_mask(p, &mut rng)))
        .collect()
}

fn cloud_view(p: &MaskParams, fx: i128, seed: u64) -> Vec<i128> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..SAMPLES)
        .map(|_| masked_output(fx, draw_output_mask(p, &mut rng)))
        .collect()
}

/// The widths of the masked tanh* wrapper (circuits/wrappers/masked.dsl): LX = 36, ru of FA + 2 + σ bits.
fn params(sigma: u32) -> MaskParams {
    MaskParams {
        x_bits: 36,
        ru_bits: 14 + sigma,
        sigma,
    }
}

const X_MIN: i128 = -(1 << 35);
const X_MAX: i128 = (1 << 35) - 1;

#[test]
fn user_view_does_not_depend_on_x() {
    let p = params(40);
    let d = ks_statistic(user_view(&p, X_MIN, 1), user_view(&p, X_MAX, 2));
    assert!(d < critical(), "KS statistic {d} ≥ {}", critical());
    // Every masked value is non-negative and below 2^(LX+σ+1): no wrap mod N.
    assert!(user_view(&p, X_MIN, 3).iter().all(|&v| v < 1u128 << 77));
    assert!(user_view(&p, X_MAX, 4).iter().all(|&v| v < 1u128 << 77));
}

#[test]
fn cloud_view_does_not_depend_on_fx() {
    let p = params(40);
    let d = ks_statistic(cloud_view(&p, -4096, 5), cloud_view(&p, 4096, 6));
    assert!(d < critical(), "KS statistic {d} ≥ {}", critical());
    // y fits the circuit's signed output of RW + 2 bits.
    assert!(
        cloud_view(&p, -4096, 7)
            .iter()
            .all(|&v| v.abs() < 1i128 << 55)
    );
}

#[test]
fn the_test_notices_short_masks() {
    let p = params(0);
    let d_user = ks_statistic(user_view(&p, X_MIN, 8), user_view(&p, X_MAX, 9));
    assert!(d_user > 0.9, "σ = 0 should leak x, KS = {d_user}");
    let d_cloud = ks_statistic(cloud_view(&p, -4096, 10), cloud_view(&p, 4096, 11));
    assert!(d_cloud > 0.4, "σ = 0 should leak f(x), KS = {d_cloud}");
}

//! The small fixed-point models the protocol tests run (tanh activation, [`FIXED`] formats).

use model::fixed::{FIXED, FixedActivation, FixedDense, FixedMlp};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// The shipped tanh activation, evaluated.
fn tanh() -> FixedActivation {
    FixedActivation::shipped("tanh").unwrap_or_else(|e| panic!("shipped tanh: {e}"))
}

/// A 1x1 → 3 → 1x1 model whose hidden pre-activations reach both saturated ends of tanh and
/// its middle for inputs of ±8 and 0.3 (raw ±32,767 and 1,234).
pub fn tiny() -> FixedMlp {
    FixedMlp {
        params: FIXED,
        activation: tanh(),
        input_patch: 1,
        output_patch: 1,
        stride: 1,
        layers: vec![
            FixedDense {
                inputs: 1,
                outputs: 3,
                weights: vec![3000, -3500, 4000],
                bias: vec![30_000, -200_000, 5_000],
            },
            FixedDense {
                inputs: 3,
                outputs: 1,
                weights: vec![2500, -1800, 900],
                bias: vec![-40_000],
            },
        ],
    }
}

/// The side of a square patch of `n` pixels.
fn side(n: usize) -> usize {
    let s = (n as f64).sqrt().round() as usize;
    assert_eq!(s * s, n, "test widths must be square patch sizes, got {n}");
    s
}

/// A random model with the given widths (first and last square: patch sizes), seeded:
/// weights within ±1.5, biases within ±0.5.
pub fn random(widths: &[usize], seed: u64) -> FixedMlp {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let wmax = 3i64 << (FIXED.fw - 1);
    let bmax = 1i64 << (FIXED.z_frac() - 1);
    let layers = widths
        .windows(2)
        .map(|w| FixedDense {
            inputs: w[0],
            outputs: w[1],
            weights: (0..w[0] * w[1])
                .map(|_| rng.random_range(-wmax..=wmax))
                .collect(),
            bias: (0..w[1]).map(|_| rng.random_range(-bmax..=bmax)).collect(),
        })
        .collect();
    FixedMlp {
        params: FIXED,
        activation: tanh(),
        input_patch: side(widths[0]),
        output_patch: side(widths[widths.len() - 1]),
        stride: 1,
        layers,
    }
}

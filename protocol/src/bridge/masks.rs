//! The masks of the bridge (pure functions, so that their statistics can be tested).
//!
//! Input mask m = 2^(LX−1) + r with r uniform in [0, 2^(LX+σ)): for |x| < 2^(LX−1),
//! `x + 2^(LX−1)` lies in [0, 2^LX), so x + m is a non-negative integer below 2^(LX+σ+1)
//! (it never wraps mod N). For any two inputs x, x' the masked values are uniform on two
//! intervals of length 2^(LX+σ) shifted by less than 2^LX: statistical distance below 2^−σ
//! per use.
//!
//! Output mask ru uniform in [0, 2^RW); the circuit promises |f(x)| ≤ 2^(RW−σ−1), so two
//! outputs differ by at most 2^(RW−σ) and y = f(x) + ru (signed, exact) is within distance
//! 2^−σ of a value independent of f(x), per use. (The generated masked wrappers have
//! RW = YB + σ, YB the least signed width holding f's outputs, so |f| < 2^(YB−1) =
//! 2^(RW−σ−1): the promise holds; the tests below check it.)
//!
//! Uses add up: a caller that masks the same secret up to U times passes σ + ⌈log2 U⌉
//! (the reference protocol: [`crate::reference::MASK_SIGMA`], U = 2^40, its
//! circuits compiled with that σ); the bridge demo masks fresh random values once each
//! (U = 1, σ = 40). Chained packing ([`super::chained_circuit`]) offsets its slots to
//! [0, 2^(K·L)) and [0, 2^(K·LY)) and masks with K·L + σ and K·LY + σ bits: 2^−σ per use.

use rand::CryptoRng;

/// Bit widths that fix the masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskParams {
    /// LX: the pre-activation is a signed LX-bit integer (raw fixed-point).
    pub x_bits: u32,
    /// RW: the output mask ru is uniform in [0, 2^RW).
    pub ru_bits: u32,
    /// σ: statistical masking parameter.
    pub sigma: u32,
}

impl MaskParams {
    /// Width of a masked pre-activation `x + m` as the user decrypts it: LX + σ + 1 bits.
    pub fn masked_x_width(&self) -> u32 {
        self.x_bits + self.sigma + 1
    }

    /// Slot width of a packed masked activation: RW + 2 bits hold y = f(x) + ru and
    /// f(x) = y − ru as signed values.
    pub fn masked_y_width(&self) -> u32 {
        self.ru_bits + 2
    }
}

/// A uniform integer in [0, 2^bits), bits ≤ 128.
fn uniform_bits<R: CryptoRng + ?Sized>(rng: &mut R, bits: u32) -> u128 {
    let v = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
    if bits >= 128 {
        v
    } else {
        v & ((1u128 << bits) - 1)
    }
}

/// The cloud's mask m for one pre-activation.
pub fn draw_input_mask<R: CryptoRng + ?Sized>(p: &MaskParams, rng: &mut R) -> u128 {
    (1u128 << (p.x_bits - 1)) + uniform_bits(rng, p.x_bits + p.sigma)
}

/// The user's mask ru for one activation.
pub fn draw_output_mask<R: CryptoRng + ?Sized>(p: &MaskParams, rng: &mut R) -> u128 {
    uniform_bits(rng, p.ru_bits)
}

/// What the user sees: x + m (as an integer; x signed, |x| < 2^(LX−1)).
pub fn masked_input(x: i128, m: u128) -> u128 {
    (m as i128 + x) as u128
}

/// What the cloud sees: f(x) + ru (signed; f(x) signed and small against ru).
pub fn masked_output(fx: i128, ru: u128) -> i128 {
    ru as i128 + fx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::{BridgeCircuit, packed_layouts};
    use crate::session::activation::ActivationCircuit;
    use rand::SeedableRng;

    /// The circuits the shipped commands run: the bridge demo's (σ = 40) and the reference
    /// protocol's (σ = 81).
    fn circuits() -> Vec<BridgeCircuit> {
        let mut all = vec![
            BridgeCircuit::default_tanh().expect("default"),
            BridgeCircuit::narrow_tanh().expect("narrow"),
        ];
        for name in ["tanh", "tanh_fit", "relu", "gelu"] {
            let act = activation::Activation::shipped(name).expect("shipped");
            let fixed = model::fixed::FIXED;
            all.push(
                ActivationCircuit::for_activation(&act, &fixed)
                    .expect("session")
                    .bridge,
            );
        }
        all
    }

    /// The largest input and output masks plus the largest values never wrap past the
    /// widths the user checks and the circuit reads.
    #[test]
    fn extreme_masks_and_values_stay_in_their_widths() {
        for c in circuits() {
            let p = c.params();
            let max_m = (1u128 << (p.x_bits - 1)) + ((1u128 << (p.x_bits + p.sigma)) - 1);
            let min_m = 1u128 << (p.x_bits - 1);
            let half = 1i128 << (p.x_bits - 1);
            assert!(masked_input(half - 1, max_m) < 1u128 << p.masked_x_width());
            assert_eq!(masked_input(-half, min_m), 0, "never negative");
            let max_ru = (1u128 << p.ru_bits) - 1;
            let y_max = masked_output(1 << (p.ru_bits - p.sigma - 1), max_ru);
            let y_min = masked_output(-(1 << (p.ru_bits - p.sigma - 1)), 0);
            let limit = 1i128 << (p.masked_y_width() - 1);
            assert!(y_max < limit && y_min >= -limit, "y fits its slot");
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
            for _ in 0..100 {
                assert!(draw_input_mask(&p, &mut rng) <= max_m);
                assert!(draw_output_mask(&p, &mut rng) <= max_ru);
            }
        }
    }

    /// The promise the output mask's bound rests on: |f(x)| ≤ 2^(RW−σ−1) on the extremes of x
    /// and a sweep across its range (saturated and curved pieces).
    #[test]
    fn activation_outputs_are_small_against_the_output_mask() {
        for c in circuits() {
            let p = c.params();
            let bound = 1i128 << (p.ru_bits - p.sigma - 1);
            let half = 1i128 << (p.x_bits - 1);
            let step = (half >> 9).max(1);
            let sweep = (-512..512).map(|k| k * step);
            let near_zero = (-2048..2048).map(|k| k << (p.x_bits.saturating_sub(24)));
            for x in [-half, half - 1].into_iter().chain(sweep).chain(near_zero) {
                let x = x.clamp(-half, half - 1);
                let f = c.reference(x).expect("reference");
                assert!(
                    f.abs() <= bound,
                    "|f({x})| = {} > 2^{}",
                    f.abs(),
                    p.ru_bits - p.sigma - 1
                );
            }
        }
    }

    /// Packed slots of every circuit still fit, several per ciphertext, even in a 512-bit
    /// key (slot counts only grow with the key).
    #[test]
    fn slot_widths_still_fit_the_key() {
        let sk = paillier::SecretKey::generate_any_size(
            512,
            &mut rand_chacha::ChaCha20Rng::seed_from_u64(4),
        )
        .expect("key");
        for c in circuits() {
            let p = c.params();
            let (inp, out) = packed_layouts(sk.public_key(), p).expect("layouts");
            assert!(inp.slots() >= 3 && out.slots() >= 3, "{p:?}");
            assert!(p.masked_x_width() <= 127 && p.masked_y_width() <= 122);
        }
    }
}

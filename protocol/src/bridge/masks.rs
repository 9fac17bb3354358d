//! The masks of the bridge (pure functions, so that their statistics can be tested).
//!
//! Input mask m = 2^(LX−1) + r with r uniform in [0, 2^(LX+σ)): for |x| < 2^(LX−1),
//! `x + 2^(LX−1)` lies in [0, 2^LX), so x + m is a non-negative integer below 2^(LX+σ+1)
//! (it never wraps mod N) whose distribution is within statistical distance 2^−σ of one
//! that does not depend on x. The output mask ru is uniform in [0, 2^RW) and the circuit
//! promises |f(x)| ≤ 2^(RW−σ), so y = f(x) + ru (signed, exact) hides f(x) to about 2^−σ.

use super::circuit::MaskParams;
use rand::CryptoRng;

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

/// The low `width` bits of `v`, LSB first (a circuit input value).
pub(crate) fn bits_of(v: u128, width: u32) -> impl Iterator<Item = bool> {
    (0..width).map(move |i| (v >> i) & 1 == 1)
}

/// The integer of LSB-first bits.
pub(crate) fn value_of(bits: &[bool]) -> u128 {
    bits.iter()
        .enumerate()
        .fold(0u128, |acc, (i, &b)| acc | (u128::from(b) << i))
}

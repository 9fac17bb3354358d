//! The ring `Z_(2^k)` of the fast protocol and the slot width of its packed cross products.
//!
//! # Slot width (docs/protocol.md §3, "Slots")
//!
//! A cross product returns, in slot s of a packed plaintext, `v_s = Σ_{j<n} e_j·x_{j,s} + ρ_s`
//! where the exponents `e_j` and the packed values `x_{j,s}` are ring elements (integers in
//! `[0, 2^k)`) and the mask `ρ_s` is uniform in `[0, 2^(w−1))`. With
//! `w = 2k + ⌈log2 n⌉ + σ + 1` (σ ≥ 1):
//!
//! - `Σ_j e_j·x_{j,s} ≤ n·(2^k − 1)² < 2^⌈log2 n⌉·2^(2k) = 2^(w−σ−1) ≤ 2^(w−2)`;
//! - hence `0 ≤ v_s < 2^(w−2) + 2^(w−1) < 2^w`: a slot never carries into the next one;
//! - with K slots and `K·w ≤ bits(N) − 3` ([`paillier::SlotLayout`]), the packed sum is below
//!   `2^(bits(N)−3) < N`, so it never wraps modulo N and decrypts to the exact integer;
//! - the value part is below `2^(w−σ−1)` while ρ is uniform over `2^(w−1)` values, so the
//!   decrypting party sees `v_s` within statistical distance `2^(w−σ−1)/2^(w−1) = 2^−σ` of a
//!   distribution independent of the products (σ = 40).
//!
//! Reducing `v_s` modulo `2^k` gives `Σ_j e_j·x_{j,s} + ρ_s mod 2^k`, so the decrypting party
//! keeps `−v_s mod 2^k` and the masking party `+ρ_s mod 2^k`: shares of `Σ_j e_j·x_{j,s}`.
//! `tests/fast_slots.rs` packs the extremes (every operand `2^k − 1`, every mask at its
//! maximum) and checks every slot decrypts exactly.

use paillier::{PaillierError, SlotLayout};

/// σ of the cross-product slot masks ([`crate::params::FAST_SIGMA`]).
pub use crate::params::FAST_SIGMA as SIGMA;

pub use crate::params::ceil_log2;

/// The ring `Z_(2^k)`, `1 ≤ k ≤ 63`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ring {
    /// Bits of the ring.
    pub k: u32,
}

impl Ring {
    /// The ring of `k` bits.
    pub fn new(k: u32) -> Result<Self, PaillierError> {
        if !(1..=63).contains(&k) {
            return Err(PaillierError::PlaintextOutOfRange {
                what: format!("ring bits k = {k} outside 1..=63"),
            });
        }
        Ok(Self { k })
    }

    /// `2^k − 1`.
    pub fn mask(&self) -> u64 {
        (1u64 << self.k) - 1
    }

    /// `v mod 2^k`.
    pub fn reduce(&self, v: u64) -> u64 {
        v & self.mask()
    }

    /// A signed integer as a ring element.
    pub fn from_signed(&self, v: i64) -> u64 {
        (v as u64) & self.mask()
    }

    /// A ring element read as signed (two's complement on k bits).
    pub fn to_signed(&self, v: u64) -> i64 {
        let v = v & self.mask();
        if v >> (self.k - 1) == 1 {
            v as i64 - (1i64 << self.k)
        } else {
            v as i64
        }
    }

    /// `a + b mod 2^k`.
    pub fn add(&self, a: u64, b: u64) -> u64 {
        a.wrapping_add(b) & self.mask()
    }

    /// `a − b mod 2^k`.
    pub fn sub(&self, a: u64, b: u64) -> u64 {
        a.wrapping_sub(b) & self.mask()
    }

    /// `−a mod 2^k`.
    pub fn neg(&self, a: u64) -> u64 {
        a.wrapping_neg() & self.mask()
    }

    /// `Σ_j e_j·x_j mod 2^k` (the local products).
    pub fn dot(&self, e: &[u64], x: &[u64]) -> u64 {
        e.iter()
            .zip(x)
            .fold(0u64, |acc, (&a, &b)| acc.wrapping_add(a.wrapping_mul(b)))
            & self.mask()
    }

    /// Slot width for sums of `n` products plus a mask: `2k + ⌈log2 n⌉ + σ + 1`.
    pub fn slot_width(&self, n: usize, sigma: u32) -> u32 {
        self.slot_width_values(n, self.k, sigma)
    }

    /// Slot width when the packed values have only `value_bits ≤ k` bits (the first layer's
    /// offset inputs): `k + value_bits + ⌈log2 n⌉ + σ + 1`, by the bound of the module docs
    /// with `(2^k − 1)(2^value_bits − 1)` in place of `(2^k − 1)²`.
    pub fn slot_width_values(&self, n: usize, value_bits: u32, sigma: u32) -> u32 {
        self.k + value_bits.min(self.k) + ceil_log2(n) + sigma + 1
    }

    /// The widest layout of [`Ring::slot_width_values`] slots for a key of `n_bits` bits.
    pub fn cross_layout_values(
        &self,
        n: usize,
        value_bits: u32,
        sigma: u32,
        n_bits: u32,
    ) -> Result<SlotLayout, PaillierError> {
        let w = self.slot_width_values(n, value_bits, sigma);
        SlotLayout::new(SlotLayout::max_slots(w, n_bits), w, n_bits)
    }

    /// The widest layout of [`Ring::slot_width`]`(n, σ)` slots for a key of `n_bits` bits.
    pub fn cross_layout(
        &self,
        n: usize,
        sigma: u32,
        n_bits: u32,
    ) -> Result<SlotLayout, PaillierError> {
        let w = self.slot_width(n, sigma);
        SlotLayout::new(SlotLayout::max_slots(w, n_bits), w, n_bits)
    }

    /// Setup re-sharing layout: `W + t` with `2^(k−1) ≤ t < 2^(k−1) + 2^(k+σ)` and
    /// `−2^(k−1) ≤ W < 2^(k−1)` lies in `[0, 2^k + 2^(k+σ)) ⊂ [0, 2^(k+σ+1))`, so slots of
    /// `k + σ + 1` bits ([`super::setup`] passes its σ_s).
    pub fn setup_layout(&self, sigma: u32, n_bits: u32) -> Result<SlotLayout, PaillierError> {
        let w = self.k + sigma + 1;
        SlotLayout::new(SlotLayout::max_slots(w, n_bits), w, n_bits)
    }
}

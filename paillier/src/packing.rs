//! Slot packing: several non-negative values in one plaintext, `Σ_s x_s·2^(s·w)`.
//!
//! A layout of K slots of w bits is valid when `K·w ≤ bits(N) − 3`, so a packed plaintext
//! is below `2^(bits(N)−3) < N/4` and adding two packed plaintexts never wraps mod N.
//! Every slot value must lie in `[0, 2^w)`; the caller picks w with enough headroom that
//! slot-wise sums stay below 2^w (e.g. values below 2^(w−1) leave room for one addition),
//! which [`SlotLayout::unpack`] then checks: bits above the last slot are an error.

use crate::cipher::Ciphertext;
use crate::error::{PaillierError, Result};
use crate::keys::PublicKey;
use num_bigint::{BigInt, BigUint};
use num_integer::Integer;
use num_traits::{One, Zero};

/// K slots of w bits each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotLayout {
    slots: usize,
    width: u32,
}

impl SlotLayout {
    /// The most slots of `width` bits that fit a modulus of `n_bits` bits.
    pub fn max_slots(width: u32, n_bits: u32) -> usize {
        if width == 0 {
            return 0;
        }
        (n_bits.saturating_sub(3) / width) as usize
    }

    /// A layout of `slots` slots of `width` bits for a key of `n_bits` bits, checked to fit.
    pub fn new(slots: usize, width: u32, n_bits: u32) -> Result<Self> {
        if slots == 0 || width == 0 {
            return Err(PaillierError::Packing {
                what: "a layout needs at least one slot of at least one bit".into(),
            });
        }
        if slots > Self::max_slots(width, n_bits) {
            return Err(PaillierError::Packing {
                what: format!(
                    "{slots} slots of {width} bits need {} bits, more than bits(N) − 3 = {}",
                    slots as u64 * u64::from(width),
                    n_bits.saturating_sub(3)
                ),
            });
        }
        Ok(Self { slots, width })
    }

    /// Slots per plaintext.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Bits per slot.
    pub fn width(&self) -> u32 {
        self.width
    }

    fn check_slot(&self, index: usize, v: &BigUint) -> Result<()> {
        if v.bits() > u64::from(self.width) {
            return Err(PaillierError::Packing {
                what: format!(
                    "slot {index} value of {} bits exceeds the slot width {}",
                    v.bits(),
                    self.width
                ),
            });
        }
        Ok(())
    }

    fn check_count(&self, count: usize) -> Result<()> {
        if count > self.slots {
            return Err(PaillierError::LengthMismatch {
                what: "slot packing (at most this many values)",
                expected: self.slots,
                actual: count,
            });
        }
        Ok(())
    }

    /// `Σ_s values[s]·2^(s·w)` (Horner from the top slot); up to K values, each below 2^w.
    pub fn pack(&self, values: &[BigUint]) -> Result<BigUint> {
        self.check_count(values.len())?;
        let mut acc = BigUint::zero();
        for (s, v) in values.iter().enumerate().rev() {
            self.check_slot(s, v)?;
            acc = (acc << self.width) + v;
        }
        Ok(acc)
    }

    /// The first `count` slots of a packed plaintext; an error when bits above slot K−1 are set
    /// (a slot overflowed, or the plaintext was not packed with this layout).
    pub fn unpack(&self, packed: &BigUint, count: usize) -> Result<Vec<BigUint>> {
        self.check_count(count)?;
        let total = self.slots as u64 * u64::from(self.width);
        if packed.bits() > total {
            return Err(PaillierError::Packing {
                what: format!(
                    "packed value has {} bits, more than the layout's {total}",
                    packed.bits()
                ),
            });
        }
        let mask = (BigUint::one() << self.width) - BigUint::one();
        Ok((0..count)
            .map(|s| (packed >> (s as u64 * u64::from(self.width))) & &mask)
            .collect())
    }

    /// Unpack `Σ_s f_s·2^(s·w)` where every f_s is signed with |f_s| < 2^(w−1) (for example the
    /// slot-wise difference of two packings); the sum itself may be negative.
    pub fn unpack_signed(&self, packed: &BigInt, count: usize) -> Result<Vec<BigInt>> {
        self.check_count(count)?;
        let modulus = BigInt::one() << self.width;
        let half = BigInt::one() << (self.width - 1);
        let mut rest = packed.clone();
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let mut low = rest.mod_floor(&modulus);
            if low >= half {
                low -= &modulus;
            }
            rest = (rest - &low) >> self.width;
            out.push(low);
        }
        if !rest.is_zero() {
            return Err(PaillierError::Packing {
                what: "signed packed value has bits beyond its last slot".into(),
            });
        }
        Ok(out)
    }

    /// Pack ciphertexts homomorphically: `Enc(Σ_s x_s·2^(s·w))` from `Enc(x_s)` by Horner,
    /// `c ← c^(2^w)·Enc(x_s)` (w squarings per slot). The caller guarantees slot ranges.
    pub fn pack_ciphertexts(&self, pk: &PublicKey, cts: &[Ciphertext]) -> Result<Ciphertext> {
        self.check_count(cts.len())?;
        let Some((top, rest)) = cts.split_last() else {
            return Err(PaillierError::LengthMismatch {
                what: "ciphertext packing (at least one)",
                expected: 1,
                actual: 0,
            });
        };
        let mut acc = top.clone();
        for c in rest.iter().rev() {
            acc = pk.add(&pk.shift_left(&acc, self.width), c);
        }
        Ok(acc)
    }
}

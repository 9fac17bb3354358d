//! 128-bit blocks: wire labels, the free-XOR offset Δ, AES inputs and outputs.

use std::fmt;
use std::ops::{BitAnd, BitXor, BitXorAssign};

/// A 128-bit value: a wire label, a key, or an AES block (little-endian byte order).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct Block(pub u128);

impl Block {
    /// The all-zero block.
    pub const ZERO: Block = Block(0);
    /// The all-one block.
    pub const ONES: Block = Block(u128::MAX);

    /// The least significant bit: the point-and-permute pointer bit of a label.
    #[inline(always)]
    pub fn lsb(self) -> bool {
        self.0 & 1 == 1
    }

    /// This block with its least significant bit forced to `bit`.
    #[inline(always)]
    pub fn with_lsb(self, bit: bool) -> Block {
        Block((self.0 & !1) | bit as u128)
    }

    /// All ones if `bit`, else all zeros (a branch-free select mask).
    #[inline(always)]
    pub fn mask(bit: bool) -> Block {
        Block(0u128.wrapping_sub(bit as u128))
    }

    /// The 16 bytes, little-endian (byte 0 holds bits 0..8).
    #[inline(always)]
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_le_bytes()
    }

    /// A block from 16 little-endian bytes.
    #[inline(always)]
    pub fn from_bytes(bytes: [u8; 16]) -> Block {
        Block(u128::from_le_bytes(bytes))
    }

    /// A block from random bytes drawn from `rng`.
    pub fn random<R: rand::Rng + ?Sized>(rng: &mut R) -> Block {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        Block::from_bytes(bytes)
    }

    /// Bit `i` (0 = least significant).
    #[inline(always)]
    pub fn bit(self, i: usize) -> bool {
        (self.0 >> i) & 1 == 1
    }
}

impl BitXor for Block {
    type Output = Block;
    #[inline(always)]
    fn bitxor(self, rhs: Block) -> Block {
        Block(self.0 ^ rhs.0)
    }
}

impl BitXorAssign for Block {
    #[inline(always)]
    fn bitxor_assign(&mut self, rhs: Block) {
        self.0 ^= rhs.0;
    }
}

impl BitAnd for Block {
    type Output = Block;
    #[inline(always)]
    fn bitand(self, rhs: Block) -> Block {
        Block(self.0 & rhs.0)
    }
}

impl fmt::Debug for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Block({:032x})", self.0)
    }
}

/// Blocks can be wiped (`Zeroizing<Vec<Block>>` for OT seeds and keys).
impl zeroize::DefaultIsZeroes for Block {}

/// The garbler's global free-XOR offset: label₁ = label₀ ⊕ Δ for every wire; lsb(Δ) = 1.
///
/// Secret to the garbler: its `Debug` output is redacted, it is not `Copy` and it is wiped
/// when dropped (the `Block` copies that [`Delta::block`] hands to the garbling loops are
/// register or stack temporaries).
#[derive(Clone, PartialEq, Eq)]
pub struct Delta(Block);

impl Drop for Delta {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl Delta {
    /// A fresh random Δ with the pointer bit set.
    pub fn random<R: rand::Rng + ?Sized>(rng: &mut R) -> Delta {
        Delta::from_block(Block::random(rng))
    }

    /// Δ from a block, forcing its least significant bit to 1.
    pub fn from_block(block: Block) -> Delta {
        Delta(block.with_lsb(true))
    }

    /// The offset as a block.
    #[inline(always)]
    pub fn block(&self) -> Block {
        self.0
    }
}

impl fmt::Debug for Delta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Delta(<secret>)")
    }
}

/// Reads blocks from a byte slice whose length is a multiple of 16.
pub fn blocks_from_bytes(bytes: &[u8], out: &mut [Block]) {
    for (dst, chunk) in out.iter_mut().zip(bytes.chunks_exact(16)) {
        let mut b = [0u8; 16];
        b.copy_from_slice(chunk);
        *dst = Block::from_bytes(b);
    }
}

/// Writes the bytes of `blocks` into `out` (exactly `16 · blocks.len()` bytes long): the
/// inverse of [`blocks_from_bytes`], into a caller's buffer.
pub fn blocks_into_bytes(blocks: &[Block], out: &mut [u8]) {
    for (dst, b) in out.chunks_exact_mut(16).zip(blocks) {
        dst.copy_from_slice(&b.to_bytes());
    }
}

/// Appends the bytes of `blocks` to `out`.
pub fn blocks_to_bytes(blocks: &[Block], out: &mut Vec<u8>) {
    out.reserve(blocks.len() * 16);
    for b in blocks {
        out.extend_from_slice(&b.to_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_has_pointer_bit_set() {
        let d = Delta::from_block(Block(0x1234_0000));
        assert!(d.block().lsb());
        assert_eq!(d.block().0, 0x1234_0001);
    }

    #[test]
    fn mask_selects() {
        assert_eq!(Block::mask(true), Block::ONES);
        assert_eq!(Block::mask(false), Block::ZERO);
    }

    #[test]
    fn bytes_round_trip_little_endian() {
        let b = Block(0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100);
        assert_eq!(
            b.to_bytes(),
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
        );
        assert_eq!(Block::from_bytes(b.to_bytes()), b);
    }
}

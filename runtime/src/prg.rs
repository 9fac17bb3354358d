//! AES-128 in counter mode as a pseudo-random generator (the `aes` crate pipelines the blocks).

use crate::block::Block;
use aes::Aes128Enc;
use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};

/// Blocks encrypted per call into the cipher (a multiple of the widest AES pipeline).
const CHUNK: usize = 256;

/// A deterministic stream of blocks `AES_seed(0), AES_seed(1), …`.
///
/// With VAES the stream comes from [`crate::aesni`]'s counter-mode kernel (two blocks per
/// instruction) on round keys expanded once; they are wiped when the generator is dropped,
/// as the `aes` crate wipes its own.
pub struct Prg {
    cipher: Aes128Enc,
    round_keys: Option<[Block; 11]>,
    counter: u128,
    scratch: Vec<aes::Block>,
}

impl Drop for Prg {
    fn drop(&mut self) {
        if let Some(rk) = self.round_keys.as_mut() {
            zeroize::Zeroize::zeroize(rk);
        }
    }
}

impl Prg {
    /// A generator seeded by `seed` (the AES key).
    pub fn new(seed: Block) -> Prg {
        Prg {
            cipher: Aes128Enc::new(&Array::from(seed.to_bytes())),
            round_keys: crate::aesni::vaes_available()
                .then(|| crate::aesni::expand_key(seed))
                .flatten(),
            counter: 0,
            scratch: Vec::new(),
        }
    }

    /// A generator seeded from `rng`.
    pub fn from_rng<R: rand::Rng + ?Sized>(rng: &mut R) -> Prg {
        Prg::new(Block::random(rng))
    }

    /// Fills `out` with the next blocks of the stream.
    pub fn fill_blocks(&mut self, out: &mut [Block]) {
        if let Some(rk) = &self.round_keys
            && crate::aesni::ctr_fill(rk, self.counter, out)
        {
            self.counter += out.len() as u128;
            return;
        }
        if self.scratch.len() < CHUNK {
            self.scratch.resize(CHUNK, Array::default());
        }
        for chunk in out.chunks_mut(CHUNK) {
            let scratch = &mut self.scratch[..chunk.len()];
            for (i, s) in scratch.iter_mut().enumerate() {
                *s = Array::from((self.counter + i as u128).to_le_bytes());
            }
            self.counter += chunk.len() as u128;
            self.cipher.encrypt_blocks(scratch);
            for (dst, src) in chunk.iter_mut().zip(scratch.iter()) {
                *dst = Block::from_bytes((*src).into());
            }
        }
    }

    /// Fills `out` with the next bytes of the stream (whole blocks are consumed).
    pub fn fill_bytes(&mut self, out: &mut [u8]) {
        let mut blocks = vec![Block::ZERO; out.len().div_ceil(16)];
        self.fill_blocks(&mut blocks);
        for (dst, b) in out.chunks_mut(16).zip(&blocks) {
            dst.copy_from_slice(&b.to_bytes()[..dst.len()]);
        }
    }

    /// The next block.
    pub fn next_block(&mut self) -> Block {
        let mut b = [Block::ZERO];
        self.fill_blocks(&mut b);
        b[0]
    }
}

/// A cryptographically secure generator seeded from the operating system.
pub fn os_seeded_rng() -> rand_chacha::ChaCha12Rng {
    use rand::SeedableRng;
    rand_chacha::ChaCha12Rng::from_rng(&mut rand::rng())
}

/// A generator from a fixed seed: reproducible runs only. INSECURE — every "random" choice
/// (Δ, labels, OT secrets) can be recomputed by anyone who knows the seed.
pub fn insecure_seeded_rng(seed: u64) -> rand_chacha::ChaCha12Rng {
    use rand::SeedableRng;
    rand_chacha::ChaCha12Rng::seed_from_u64(seed)
}

/// The generator type used for a session's randomness.
pub type SessionRng = rand_chacha::ChaCha12Rng;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_is_aes_ctr_and_split_invariant() {
        let seed = Block(0x1234);
        let mut whole = vec![Block::ZERO; 600];
        Prg::new(seed).fill_blocks(&mut whole);
        let mut parts = vec![Block::ZERO; 600];
        let mut prg = Prg::new(seed);
        prg.fill_blocks(&mut parts[..7]);
        prg.fill_blocks(&mut parts[7..300]);
        prg.fill_blocks(&mut parts[300..]);
        assert_eq!(whole, parts);
        // Block i is AES_seed(i), checked against the cipher directly (every block: the
        // VAES kernel's steps of 16 and its remainder).
        let cipher = Aes128Enc::new(&Array::from(seed.to_bytes()));
        for (i, &w) in whole.iter().enumerate() {
            let mut b = Array::from((i as u128).to_le_bytes());
            cipher.encrypt_block(&mut b);
            assert_eq!(w, Block::from_bytes(b.into()), "block {i}");
        }
        assert_ne!(whole[0], whole[1]);
    }
}

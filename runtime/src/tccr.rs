//! The tweakable circular correlation-robust hash of Guo–Katz–Wang–Weng–Yu (CRYPTO 2020),
//! multi-instance variant: `H(x, i) = AES_{S ⊕ i}(x) ⊕ x`.
//!
//! `S` is a random public start point chosen by the garbler per session and `i` a unique
//! tweak (two per AND gate: `2·gid` for the garbler half, `2·gid + 1` for the evaluator
//! half). Re-keying per tweak gives the multi-instance security bound of GKWY20 — unlike
//! the fixed-key σ-tweak constructions, whose security degrades with the total number of
//! hash calls across instances. Key schedules are computed in batches, in lockstep with
//! the encryptions (AES-NI, or VAES with two keys per 256-bit register, detected at run
//! time), so each hash costs about one AES call plus an amortised key expansion. Without
//! AES-NI the `aes` crate is used per key. The half-gates engines call the same hash
//! through fused VAES kernels (`aesni::half_gates_garble` / `half_gates_eval`): same keys,
//! same tweaks, same outputs (tested against this module's path), so the construction and
//! its security argument are unchanged; only the instructions differ.
//!
//! Profile (`perf record` of `examples/gcspeed` on this 2-core Zen 4, loaded): before the
//! VAES kernels the garbler spent 55 % of its samples in this hash (`aesni::x86::tccr`) and
//! 45 % in the gate loop; of the hash's instructions about two thirds are the per-tweak key
//! expansion (per round and key: one `aesenclast` plus six shuffle/shift/xor steps, against
//! two `aesenc` for the key's two blocks). With VAES a 256-bit register holds both keys of
//! a gate and the gate arithmetic runs in the same registers: the fused kernel is now about
//! 60 % of the garbler's samples, the gate loop (slot loads from L2, queueing) 40 %. The
//! fused kernels now expand the keys of 4 gates word-sliced (`aesni/vaes/sliced.rs`: one
//! `aesenclast` per round for 8 keys); same keys, same outputs as this module's path.

use crate::aesni;
use crate::block::Block;
use aes::Aes128Enc;
use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};

/// Tweaks hashed per inner batch (bounds the stack buffer of derived keys).
const KEY_BATCH: usize = 128;

/// The multi-instance TCCR hash keyed by a session start point `S`.
#[derive(Clone, Debug)]
pub struct Tccr {
    start: Block,
    keys: Vec<Block>,
}

impl Tccr {
    /// A hash for the session whose public start point is `start`.
    pub fn new(start: Block) -> Tccr {
        Tccr {
            start,
            keys: vec![Block::ZERO; KEY_BATCH],
        }
    }

    /// The session's public start point `S`.
    pub fn start(&self) -> Block {
        self.start
    }

    /// The AES key for tweak `tweak`.
    #[inline(always)]
    fn key(&self, tweak: u64) -> Block {
        self.start ^ Block(tweak as u128)
    }

    /// Hashes `blocks` in place: block `j` gets tweak `first_tweak + j / per_key`.
    ///
    /// `per_key` must be 1 or 2 and divide `blocks.len()` (panics otherwise: a bug in the caller).
    pub fn hash_in_place(&mut self, first_tweak: u64, blocks: &mut [Block], per_key: usize) {
        assert!(
            (per_key == 1 || per_key == 2) && blocks.len().is_multiple_of(per_key),
            "tccr: per_key must be 1 or 2 and divide the batch"
        );
        let start = self.start;
        let mut tweak = first_tweak;
        for chunk in blocks.chunks_mut(KEY_BATCH * per_key) {
            let n = chunk.len() / per_key;
            let keys = &mut self.keys[..n];
            for (i, k) in keys.iter_mut().enumerate() {
                *k = start ^ Block((tweak + i as u64) as u128);
            }
            if !aesni::tccr_in_place(keys, chunk, per_key) {
                portable(keys, chunk, per_key);
            }
            tweak += n as u64;
        }
    }

    /// Single hash `H(x, tweak)` through the portable path (tests and cross-checks).
    pub fn hash_one_portable(&self, tweak: u64, x: Block) -> Block {
        let mut b = [x];
        portable(&[self.key(tweak)], &mut b, 1);
        b[0]
    }
}

/// `blocks[j] ← AES_{keys[j / per_key]}(blocks[j]) ⊕ blocks[j]` with the `aes` crate.
fn portable(keys: &[Block], blocks: &mut [Block], per_key: usize) {
    for (key, chunk) in keys.iter().zip(blocks.chunks_mut(per_key)) {
        let cipher = Aes128Enc::new(&Array::from(key.to_bytes()));
        for b in chunk.iter_mut() {
            let mut a = Array::from(b.to_bytes());
            cipher.encrypt_block(&mut a);
            *b ^= Block::from_bytes(a.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha12Rng;

    #[test]
    fn portable_matches_fips197_aes() {
        // FIPS-197 Appendix C.1: AES-128(000102..0f, 00112233..ff) = 69c4e0d8..c55a.
        let key =
            Block::from_bytes(*b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f");
        let pt = Block::from_bytes([
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ]);
        let ct = Block::from_bytes([
            0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
            0xc5, 0x5a,
        ]);
        // With start point = key and tweak 0 the hash is AES_key(pt) ⊕ pt.
        let mut tccr = Tccr::new(key);
        let h = tccr.hash_one_portable(0, pt);
        assert_eq!(h, ct ^ pt);
        // The batched path (AES-NI when present) agrees on the same vector.
        let mut b = [pt];
        tccr.hash_in_place(0, &mut b, 1);
        assert_eq!(b[0], ct ^ pt);
    }

    #[test]
    fn batched_path_matches_portable_for_both_layouts() {
        let mut rng = ChaCha12Rng::seed_from_u64(7);
        let mut tccr = Tccr::new(Block::random(&mut rng));
        for per_key in [1usize, 2] {
            for n in [1usize, 3, 4, 5, 64, 129, 300] {
                let input: Vec<Block> = (0..n * per_key).map(|_| Block::random(&mut rng)).collect();
                let mut fast = input.clone();
                tccr.hash_in_place(1000, &mut fast, per_key);
                for (j, (&x, &h)) in input.iter().zip(&fast).enumerate() {
                    let tweak = 1000 + (j / per_key) as u64;
                    assert_eq!(
                        h,
                        tccr.hash_one_portable(tweak, x),
                        "per_key {per_key} n {n} j {j}"
                    );
                }
            }
        }
    }

    #[test]
    fn distinct_tweaks_give_distinct_hashes() {
        let tccr = Tccr::new(Block(0xdead_beef));
        let x = Block(42);
        assert_ne!(tccr.hash_one_portable(0, x), tccr.hash_one_portable(1, x));
    }
}

//! The one audited `unsafe` module: multi-key AES-128 with AES-NI for the TCCR hash.
//!
//! The GKWY20 multi-instance hash re-keys AES for every tweak, so each key encrypts only
//! one or two blocks. The `aes` crate pipelines many blocks under ONE key and hides its
//! key schedule, so this module runs the key expansion of several independent keys in
//! lockstep with the encryption of their blocks, all in registers (no round-key storage).
//!
//! Audit notes:
//! - Every `unsafe` block here calls `core::arch` intrinsics inside functions compiled with
//!   `#[target_feature(enable = "aes,sse2,ssse3,avx")]`; the only entry point,
//!   [`tccr_in_place`], calls them only after `is_x86_feature_detected!` confirmed all three
//!   features at run time (the result is cached by std).
//! - Memory is touched only through `_mm_loadu_si128` / `_mm_storeu_si128` on `&Block` /
//!   `&mut Block` references (16 valid bytes each, unaligned access allowed); slice lengths
//!   are checked by the safe wrapper before any pointer is formed.
//! - Correctness is cross-checked against the `aes` crate in `tccr`'s tests.
#![allow(unsafe_code)]

use crate::block::Block;

/// Whether the AES-NI path can run on this CPU (checked at run time, cached).
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("sse2")
            && std::arch::is_x86_feature_detected!("ssse3")
            && std::arch::is_x86_feature_detected!("avx")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `blocks[i] ← AES_{keys[i / per_key]}(blocks[i]) ⊕ blocks[i]` for `per_key` ∈ {1, 2}.
///
/// Returns `false` (and leaves `blocks` untouched) if AES-NI is unavailable, if
/// `per_key` is not 1 or 2, or if `blocks.len() != keys.len() * per_key`.
pub(crate) fn tccr_in_place(keys: &[Block], blocks: &mut [Block], per_key: usize) -> bool {
    if blocks.len() != keys.len() * per_key || !available() {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        match per_key {
            // SAFETY: features checked by `available()` just above; lengths checked above.
            1 => unsafe { x86::tccr::<1>(keys, blocks) },
            // SAFETY: as above.
            2 => unsafe { x86::tccr::<2>(keys, blocks) },
            _ => return false,
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Block;
    use std::arch::x86_64::{
        __m128i, _mm_aesenc_si128, _mm_aesenclast_si128, _mm_loadu_si128, _mm_set1_epi32,
        _mm_shuffle_epi8, _mm_slli_si128, _mm_storeu_si128, _mm_xor_si128,
    };

    /// Keys processed together: 4 keys and up to 8 blocks stay in the 16 XMM registers.
    const GROUP: usize = 4;

    /// See [`super::tccr_in_place`]; requires `blocks.len() == keys.len() * P`.
    #[target_feature(enable = "aes,sse2,ssse3,avx")]
    pub(super) fn tccr<const P: usize>(keys: &[Block], blocks: &mut [Block]) {
        let mut key_groups = keys.chunks_exact(GROUP);
        let mut block_groups = blocks.chunks_exact_mut(GROUP * P);
        for (k, b) in (&mut key_groups).zip(&mut block_groups) {
            group::<GROUP, P>(k, b);
        }
        let rest = block_groups.into_remainder();
        for (k, b) in key_groups
            .remainder()
            .chunks_exact(1)
            .zip(rest.chunks_exact_mut(P))
        {
            group::<1, P>(k, b);
        }
    }

    /// One AES-128 key-expansion step (the `aesenclast` broadcast trick).
    #[inline]
    #[target_feature(enable = "aes,sse2,ssse3,avx")]
    fn next_round_key(k: __m128i, rcon: __m128i, rot_mask: __m128i) -> __m128i {
        let t = _mm_aesenclast_si128(_mm_shuffle_epi8(k, rot_mask), rcon);
        // Prefix XOR of the four words in two shift/xor steps.
        let s = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        let s = _mm_xor_si128(s, _mm_slli_si128::<8>(s));
        _mm_xor_si128(s, t)
    }

    /// Expands G keys and encrypts their G·P blocks in lockstep; Davies–Meyer feed-forward.
    #[inline]
    #[target_feature(enable = "aes,sse2,ssse3,avx")]
    fn group<const G: usize, const P: usize>(keys: &[Block], blocks: &mut [Block]) {
        assert!(keys.len() == G && blocks.len() == G * P);
        let rot_mask = _mm_set1_epi32(0x0c0f_0e0d);
        let mut k = [_mm_set1_epi32(0); G];
        let mut x = [[_mm_set1_epi32(0); P]; G];
        let mut orig = [[_mm_set1_epi32(0); P]; G];
        for g in 0..G {
            // SAFETY: `keys[g]` is a valid 16-byte Block; unaligned load.
            k[g] = unsafe { _mm_loadu_si128((&keys[g] as *const Block).cast()) };
            for p in 0..P {
                // SAFETY: `blocks[g*P+p]` is a valid 16-byte Block; unaligned load.
                orig[g][p] =
                    unsafe { _mm_loadu_si128((&blocks[g * P + p] as *const Block).cast()) };
                x[g][p] = _mm_xor_si128(orig[g][p], k[g]);
            }
        }
        // Ten rounds written out so every round constant is an immediate.
        macro_rules! round {
            ($rc:expr, $enc:ident) => {{
                let rcon = _mm_set1_epi32($rc);
                for g in 0..G {
                    k[g] = next_round_key(k[g], rcon, rot_mask);
                    for p in 0..P {
                        x[g][p] = $enc(x[g][p], k[g]);
                    }
                }
            }};
        }
        round!(0x01, _mm_aesenc_si128);
        round!(0x02, _mm_aesenc_si128);
        round!(0x04, _mm_aesenc_si128);
        round!(0x08, _mm_aesenc_si128);
        round!(0x10, _mm_aesenc_si128);
        round!(0x20, _mm_aesenc_si128);
        round!(0x40, _mm_aesenc_si128);
        round!(0x80, _mm_aesenc_si128);
        round!(0x1b, _mm_aesenc_si128);
        round!(0x36, _mm_aesenclast_si128);
        for g in 0..G {
            for p in 0..P {
                let h = _mm_xor_si128(x[g][p], orig[g][p]);
                // SAFETY: `blocks[g*P+p]` is a valid, exclusively borrowed 16-byte Block.
                unsafe { _mm_storeu_si128((&mut blocks[g * P + p] as *mut Block).cast(), h) };
            }
        }
    }
}

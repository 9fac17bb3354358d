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

/// Runs the (safe) `step` on `m` compiled for AVX2 when the CPU has it (pass a function
/// item, e.g. the bit-matrix transposition: its `#[inline(always)]` body is then compiled
/// into the AVX2 copy, as a function pointer would not be); returns
/// `false` otherwise (the caller then runs the SSE2 build). Generic, so this module imports
/// nothing from its callers. An AVX-512 build was tried and dropped: the compiler turns
/// the strided steps into gathers/scatters, slow on AMD cores.
pub(crate) fn run_avx2<T, F: Fn(&mut T)>(m: &mut T, step: F) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 confirmed at run time just above.
            unsafe { wide::avx2(m, step) };
            return true;
        }
    }
    let _ = (m, step);
    false
}

/// Copies of safe code compiled with wider vector units (no intrinsics, no pointers).
#[cfg(target_arch = "x86_64")]
mod wide {
    #[target_feature(enable = "avx2")]
    pub(super) fn avx2<T, F: Fn(&mut T)>(m: &mut T, step: F) {
        step(m);
    }
}

/// Whether the VAES + AVX-512 path can run (checked at run time, cached by std).
fn vaes512_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("vaes")
            && std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
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
        // Bulk through VAES-512 (16 keys per step) when present, the rest through AES-NI.
        let done_keys = if vaes512_available() {
            let bulk = keys.len() / vaes::KEYS_PER_STEP * vaes::KEYS_PER_STEP;
            match per_key {
                // SAFETY: VAES/AVX-512 features checked just above; lengths are multiples of a step.
                1 => unsafe { vaes::tccr::<1>(&keys[..bulk], &mut blocks[..bulk]) },
                // SAFETY: as above.
                2 => unsafe { vaes::tccr::<2>(&keys[..bulk], &mut blocks[..2 * bulk]) },
                _ => return false,
            }
            bulk
        } else {
            0
        };
        let (keys, blocks) = (&keys[done_keys..], &mut blocks[done_keys * per_key..]);
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

/// The same hash with VAES on 512-bit registers: four keys per register, four registers
/// of keys (16 keys) per step, their blocks encrypted in lockstep with the key expansion.
#[cfg(target_arch = "x86_64")]
mod vaes {
    use super::Block;
    use std::arch::x86_64::{
        __m512i, _mm512_aesenc_epi128, _mm512_aesenclast_epi128, _mm512_bslli_epi128,
        _mm512_loadu_si512, _mm512_set1_epi32, _mm512_shuffle_epi8, _mm512_shuffle_i64x2,
        _mm512_storeu_si512, _mm512_xor_si512,
    };

    /// Keys per register.
    const LANES: usize = 4;
    /// Registers of keys per step.
    const REGS: usize = 4;
    /// Keys consumed per step.
    pub(super) const KEYS_PER_STEP: usize = LANES * REGS;

    /// Requires `keys.len()` a multiple of [`KEYS_PER_STEP`] and `blocks.len() == keys.len() * P`.
    #[target_feature(enable = "vaes,avx512f,avx512bw")]
    pub(super) fn tccr<const P: usize>(keys: &[Block], blocks: &mut [Block]) {
        for (k, b) in keys
            .chunks_exact(KEYS_PER_STEP)
            .zip(blocks.chunks_exact_mut(KEYS_PER_STEP * P))
        {
            step::<P>(k, b);
        }
    }

    #[inline]
    #[target_feature(enable = "vaes,avx512f,avx512bw")]
    fn load4(src: &[Block]) -> __m512i {
        assert!(src.len() >= 4);
        // SAFETY: `src` holds at least 4 Blocks = 64 readable bytes; unaligned load.
        unsafe { _mm512_loadu_si512(src.as_ptr().cast()) }
    }

    #[inline]
    #[target_feature(enable = "vaes,avx512f,avx512bw")]
    fn store4(dst: &mut [Block], v: __m512i) {
        assert!(dst.len() >= 4);
        // SAFETY: `dst` holds at least 4 exclusively borrowed Blocks = 64 writable bytes.
        unsafe { _mm512_storeu_si512(dst.as_mut_ptr().cast(), v) }
    }

    #[inline]
    #[target_feature(enable = "vaes,avx512f,avx512bw")]
    fn next_round_key(k: __m512i, rcon: __m512i, rot_mask: __m512i) -> __m512i {
        let t = _mm512_aesenclast_epi128(_mm512_shuffle_epi8(k, rot_mask), rcon);
        let s = _mm512_xor_si512(k, _mm512_bslli_epi128::<4>(k));
        let s = _mm512_xor_si512(s, _mm512_bslli_epi128::<8>(s));
        _mm512_xor_si512(s, t)
    }

    /// Keys of lanes `[a, a, b, b]` from a register of four keys (P = 2 layout).
    #[inline]
    #[target_feature(enable = "vaes,avx512f,avx512bw")]
    fn spread<const HALF: usize>(k: __m512i) -> __m512i {
        if HALF == 0 {
            _mm512_shuffle_i64x2::<0b01_01_00_00>(k, k)
        } else {
            _mm512_shuffle_i64x2::<0b11_11_10_10>(k, k)
        }
    }

    #[inline]
    #[target_feature(enable = "vaes,avx512f,avx512bw")]
    fn step<const P: usize>(keys: &[Block], blocks: &mut [Block]) {
        assert!(keys.len() == KEYS_PER_STEP && blocks.len() == KEYS_PER_STEP * P);
        let rot_mask = _mm512_set1_epi32(0x0c0f_0e0d);
        let mut k = [_mm512_set1_epi32(0); REGS];
        // Block register j covers blocks 4j..4j+4, i.e. keys (4j..4j+4)/P.
        let mut x = [[_mm512_set1_epi32(0); P]; REGS];
        let mut orig = [[_mm512_set1_epi32(0); P]; REGS];
        for r in 0..REGS {
            k[r] = load4(&keys[LANES * r..]);
            for h in 0..P {
                orig[r][h] = load4(&blocks[LANES * (P * r + h)..]);
            }
        }
        macro_rules! key_for {
            ($r:expr, $h:expr) => {
                if P == 1 {
                    k[$r]
                } else if $h == 0 {
                    spread::<0>(k[$r])
                } else {
                    spread::<1>(k[$r])
                }
            };
        }
        for r in 0..REGS {
            for h in 0..P {
                x[r][h] = _mm512_xor_si512(orig[r][h], key_for!(r, h));
            }
        }
        macro_rules! round {
            ($rc:expr, $enc:ident) => {{
                let rcon = _mm512_set1_epi32($rc);
                for r in 0..REGS {
                    k[r] = next_round_key(k[r], rcon, rot_mask);
                    for h in 0..P {
                        x[r][h] = $enc(x[r][h], key_for!(r, h));
                    }
                }
            }};
        }
        round!(0x01, _mm512_aesenc_epi128);
        round!(0x02, _mm512_aesenc_epi128);
        round!(0x04, _mm512_aesenc_epi128);
        round!(0x08, _mm512_aesenc_epi128);
        round!(0x10, _mm512_aesenc_epi128);
        round!(0x20, _mm512_aesenc_epi128);
        round!(0x40, _mm512_aesenc_epi128);
        round!(0x80, _mm512_aesenc_epi128);
        round!(0x1b, _mm512_aesenc_epi128);
        round!(0x36, _mm512_aesenclast_epi128);
        for r in 0..REGS {
            for h in 0..P {
                store4(
                    &mut blocks[LANES * (P * r + h)..],
                    _mm512_xor_si512(x[r][h], orig[r][h]),
                );
            }
        }
    }
}

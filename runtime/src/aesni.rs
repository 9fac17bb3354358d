//! The one audited `unsafe` module: multi-key AES-128 for the TCCR hash, on AES-NI
//! (128-bit registers) and on VAES (256-bit registers, two keys per register).
//!
//! The GKWY20 multi-instance hash re-keys AES for every tweak, so each key encrypts only
//! one or two blocks. The `aes` crate pipelines many blocks under ONE key and hides its
//! key schedule, so this module runs the key expansion of several independent keys in
//! lockstep with the encryption of their blocks, all in registers (no round-key storage).
//! With VAES the half-gates arithmetic is fused in as well ([`half_gates_garble`],
//! [`half_gates_eval`]): a gate's two keys share one register, its `(A, B)` labels another,
//! and the tables and output label are computed before anything returns to memory.
//!
//! Audit notes:
//! - Every `unsafe` block here calls `core::arch` intrinsics inside functions compiled with
//!   `#[target_feature(enable = "aes,sse2,ssse3,avx")]`, `"vaes,avx2,aes"` or `"avx2"`; the entry
//!   points [`tccr_in_place`], [`half_gates_garble`], [`half_gates_eval`] and
//!   [`transpose_quad`] call them only
//!   after `is_x86_feature_detected!` confirmed those features at run time (cached by std).
//! - Memory is touched only through unaligned loads/stores of 16 or 32 bytes on `&Block` /
//!   `&mut Block` slices whose lengths are asserted just before the pointer is formed;
//!   slice lengths are also checked by the safe wrappers before any kernel runs.
//! - Correctness is cross-checked against the `aes` crate in `tccr`'s tests and against the
//!   portable half-gates path in `garble`'s tests.
//! - `aesni/vaes/sliced.rs` (the word-sliced key schedule) has no `unsafe`: it uses only
//!   pointer-free intrinsics, in functions with the same target features.
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
        // Key pairs through VAES when present, the rest (at most one key) through AES-NI.
        let done = match (per_key, vaes_available()) {
            // SAFETY: VAES, AVX2 and AES-NI confirmed just above; lengths checked above.
            (1, true) => unsafe { vaes::tccr::<1>(keys, blocks) },
            // SAFETY: as above.
            (2, true) => unsafe { vaes::tccr::<2>(keys, blocks) },
            _ => 0,
        };
        let (keys, blocks) = (&keys[done..], &mut blocks[done * per_key..]);
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

/// The ten rounds of AES-128, written out so every key-expansion constant is an immediate:
/// `$round!(rcon, instruction)` with `$enc` for rounds 1–9 and `$last` for round 10.
/// One home for the round sequence of the 128-bit and the 256-bit kernels.
#[cfg(target_arch = "x86_64")]
macro_rules! aes128_rounds {
    ($round:ident, $enc:ident, $last:ident) => {
        $round!(0x01, $enc);
        $round!(0x02, $enc);
        $round!(0x04, $enc);
        $round!(0x08, $enc);
        $round!(0x10, $enc);
        $round!(0x20, $enc);
        $round!(0x40, $enc);
        $round!(0x80, $enc);
        $round!(0x1b, $enc);
        $round!(0x36, $last);
    };
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

    /// The eleven round keys of `key`.
    #[target_feature(enable = "aes,sse2,ssse3,avx")]
    pub(super) fn expand(key: Block, rk: &mut [Block; 11]) {
        let rot_mask = _mm_set1_epi32(0x0c0f_0e0d);
        // SAFETY: `key` is a valid 16-byte Block; unaligned load.
        let mut k = unsafe { _mm_loadu_si128((&key as *const Block).cast()) };
        let mut i = 0;
        // SAFETY (each store): `rk[i]` is a valid, exclusively borrowed 16-byte Block.
        unsafe { _mm_storeu_si128((&mut rk[0] as *mut Block).cast(), k) };
        macro_rules! round {
            ($rc:expr, $enc:ident) => {{
                k = next_round_key(k, _mm_set1_epi32($rc), rot_mask);
                i += 1;
                // SAFETY: as above; `i` ≤ 10.
                unsafe { _mm_storeu_si128((&mut rk[i] as *mut Block).cast(), k) };
            }};
        }
        aes128_rounds!(round, _mm_aesenc_si128, _mm_aesenclast_si128);
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
        aes128_rounds!(round, _mm_aesenc_si128, _mm_aesenclast_si128);
        for g in 0..G {
            for p in 0..P {
                let h = _mm_xor_si128(x[g][p], orig[g][p]);
                // SAFETY: `blocks[g*P+p]` is a valid, exclusively borrowed 16-byte Block.
                unsafe { _mm_storeu_si128((&mut blocks[g * P + p] as *mut Block).cast(), h) };
            }
        }
    }
}

/// Whether the 256-bit VAES kernels can run (checked at run time, cached by std).
pub(crate) fn vaes_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("vaes")
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("aes")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Half-gates garbling of `outs.len()` AND gates, hash and gate arithmetic fused in
/// registers (the formulas and tweaks of [`crate::garble`]; gate `i` is gate number
/// `first_gate + i`, hashed with keys `start ⊕ 2·gate` and `start ⊕ (2·gate + 1)`).
/// `inputs` holds `(A₀, B₀)` per gate; writes `(T_G, T_E)` per gate to `tables` and the
/// output zero-label to `outs`. Returns `false` (writing nothing) without VAES or on
/// mismatched lengths; the caller then runs the portable path.
pub(crate) fn half_gates_garble(
    start: Block,
    first_gate: u64,
    delta: Block,
    inputs: &[Block],
    tables: &mut [Block],
    outs: &mut [Block],
) -> bool {
    let n = outs.len();
    if inputs.len() != 2 * n || tables.len() != 2 * n || !vaes_available() {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: VAES, AVX2 and AES-NI confirmed at run time just above; lengths checked.
        unsafe { vaes::garble(start, first_gate, delta, inputs, tables, outs) };
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (start, first_gate, delta);
        false
    }
}

/// Half-gates evaluation of `outs.len()` AND gates, fused like [`half_gates_garble`]:
/// `inputs` holds the active `(A, B)` per gate, `tables` the garbler's `(T_G, T_E)`; writes
/// the active output label to `outs`. Returns `false` without VAES or on mismatched lengths.
pub(crate) fn half_gates_eval(
    start: Block,
    first_gate: u64,
    inputs: &[Block],
    tables: &[Block],
    outs: &mut [Block],
) -> bool {
    let n = outs.len();
    if inputs.len() != 2 * n || tables.len() != 2 * n || !vaes_available() {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: VAES, AVX2 and AES-NI confirmed at run time just above; lengths checked.
        unsafe { vaes::eval(start, first_gate, inputs, tables, outs) };
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (start, first_gate);
        false
    }
}

/// The fused half-gates kernels on 256-bit VAES registers (aesni/vaes.rs).
#[cfg(target_arch = "x86_64")]
mod transpose;
#[cfg(target_arch = "x86_64")]
mod vaes;

/// The eleven AES-128 round keys of `key` (AES-NI), or `None` without AES-NI.
pub(crate) fn expand_key(key: Block) -> Option<[Block; 11]> {
    if !available() {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    {
        let mut rk = [Block::ZERO; 11];
        // SAFETY: AES-NI, SSE2, SSSE3 and AVX confirmed by `available()` just above.
        unsafe { x86::expand(key, &mut rk) };
        Some(rk)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = key;
        None
    }
}

/// AES-128 counter mode with VAES: `out[i] ← AES(counter + i)` under the expanded key
/// `round_keys` (counter blocks little-endian, as the portable PRG). Returns `false`
/// (writing nothing) without VAES.
pub(crate) fn ctr_fill(round_keys: &[Block; 11], counter: u128, out: &mut [Block]) -> bool {
    if !vaes_available() {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: VAES, AVX2 and AES-NI confirmed just above.
        unsafe { vaes::ctr(round_keys, counter, out) };
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (round_keys, counter, out);
        false
    }
}

/// Transposes blocks `c … c + 3` of the IKNP matrix `rows` (128 rows of `cols` blocks;
/// blocks past the last column taken as zero) on AVX2: `out[128·j + i]` = column `i` of
/// block `c + j`; `masks` are the Eklundh masks of widths 32, 16, 8 and 4, 2, 1. Returns
/// `false` (nothing written) without AVX2 or if `c` is not a column of `rows`.
pub(crate) fn transpose_quad(
    rows: &[Block],
    cols: usize,
    c: usize,
    masks: ([u64; 3], [u64; 3]),
    out: &mut [Block; 512],
) -> bool {
    if c >= cols || rows.len() != 128 * cols {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 confirmed at run time just above; every row index used is below
            // 128 · cols = rows.len() (slices are bounds-checked before each load).
            unsafe { transpose::quad(rows, cols, c, masks, out) };
            return true;
        }
    }
    let _ = (rows, cols, c, masks, out);
    false
}

//! The word-sliced AES-128 key schedule of the fused half-gates kernels (see [`Sliced`]).
//! Safe code only: `core::arch` intrinsics that take no pointers, in functions compiled with
//! `#[target_feature(enable = "vaes,avx2,aes")]` and called from such functions.

use std::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_aesenclast_epi128, _mm256_cmpgt_epi32, _mm256_set_epi32,
    _mm256_set1_epi32, _mm256_shuffle_epi8, _mm256_sub_epi32, _mm256_unpackhi_epi32,
    _mm256_unpackhi_epi64, _mm256_unpacklo_epi32, _mm256_unpacklo_epi64, _mm256_xor_si256,
};

use super::Block;

/// Gates per word-sliced key schedule: the 8 keys of 4 gates, one 32-bit word per key in
/// each of 4 registers (see [`Sliced`]).
pub(super) const QUAD: usize = 4;

/// The word-sliced key schedule of the 8 keys of 4 consecutive gates `g₀ … g₀ + 3`.
///
/// Profile (perf, random 1M-AND circuit, this Zen 4): with one key pair per register the
/// garbler's fused kernel was 64 % of its samples and the evaluator's about the same share,
/// and 7 of every 9 (garbler) or 8 (evaluator) vector instructions per round were the key
/// expansion: `pshufb`, `aesenclast`, two byte shifts and three XORs per key pair. Here
/// register `w[j]` holds word `j` of all 8 keys (lane 0: the garbler-half keys of the 4
/// gates, lane 1: their evaluator-half keys), so one round of the expansion of all 8 keys
/// is one `pshufb` + one `aesenclast` (SubWord ∘ RotWord of word 3, the byte shuffle
/// undoing ShiftRows) and seven XORs (the word recurrence `w'ⱼ = w'ⱼ₋₁ ⊕ wⱼ`, word 3 by a
/// tree so the round-to-round chain stays short), plus an 8-instruction 4×4 transpose back
/// to the key-pair registers that `aesenc` needs: 17 instructions where the pair layout
/// needs 28, and one `aesenclast` instead of four. Round 1 costs no S-box at all: the
/// tweak (below 2⁶⁴) leaves words 2 and 3 of every key equal to the start point's, so
/// its SubWord term is a session constant. Same keys, same rounds: outputs identical.
///
/// Measured (kernel alone, 60-gate batches, CPU time, loaded machine): the evaluator went
/// from 24 to 20 cycles per gate at 2.45 GHz only with two quads in lockstep (one quad is
/// latency-bound: the chain `pshufb` → `aesenclast` → XOR per round is longer than the
/// `aesenc` chain it feeds); the garbler's one quad, with two blocks per key, is about even
/// with the pair layout in the kernel alone (30 cycles; its eight AES states leave few
/// registers) and a few per cent faster in the engine. Tried and dropped: expanding the
/// keys of a few quads into a stack buffer first, then encrypting (the 44 stores per quad
/// cost more than the latency they hide), and three quads in lockstep (spills).
pub(super) struct Sliced {
    /// The start point's four words, each broadcast to all 8 positions.
    start_words: [__m256i; 4],
    /// Round 1's `SubWord(RotWord(S₃)) ⊕ 0x01` in every position.
    pub(super) t1: __m256i,
    /// The `pshufb` mask: RotWord of each word, pre-permuted by ShiftRows⁻¹.
    pub(super) rot: __m256i,
    /// Tweak offsets of the 8 positions from `2·g₀`: `[0, 2, 4, 6 | 1, 3, 5, 7]`.
    offsets: __m256i,
    /// `offsets ⊕ 2³¹` (unsigned compare through the signed one).
    offsets_biased: __m256i,
}

impl Sliced {
    #[inline]
    #[target_feature(enable = "vaes,avx2,aes")]
    pub(super) fn new(start: Block) -> Sliced {
        let word = |j: usize| (start.0 >> (32 * j)) as u32 as i32;
        let start_words = [0, 1, 2, 3].map(|j| _mm256_set1_epi32(word(j)));
        // Byte 4c + r of the shuffle's output is byte (r + 1) mod 4 of word (c − r) mod 4:
        // after ShiftRows (row r rotated left by r) word c holds RotWord(word c).
        let mut m = [0u8; 16];
        for (i, b) in m.iter_mut().enumerate() {
            let (c, r) = (i / 4, i % 4);
            *b = (4 * ((c + 4 - r) % 4) + (r + 1) % 4) as u8;
        }
        let m32 =
            |j: usize| i32::from_le_bytes([m[4 * j], m[4 * j + 1], m[4 * j + 2], m[4 * j + 3]]);
        let rot = _mm256_set_epi32(
            m32(3),
            m32(2),
            m32(1),
            m32(0),
            m32(3),
            m32(2),
            m32(1),
            m32(0),
        );
        let t1 = sub_rot(start_words[3], rot, _mm256_set1_epi32(0x01));
        let offsets = _mm256_set_epi32(7, 5, 3, 1, 6, 4, 2, 0);
        let bias = _mm256_set1_epi32(i32::MIN);
        Sliced {
            start_words,
            t1,
            rot,
            offsets,
            offsets_biased: _mm256_xor_si256(offsets, bias),
        }
    }

    /// Words 0–3 of the 8 keys of gates `g₀ … g₀ + 3` (keys `S ⊕ tweak`, tweak `< 2⁶⁴`).
    #[inline]
    #[target_feature(enable = "vaes,avx2,aes")]
    pub(super) fn words(&self, gate0: u64) -> [__m256i; 4] {
        let base = gate0.wrapping_mul(2);
        let lo = _mm256_add_epi32(_mm256_set1_epi32(base as u32 as i32), self.offsets);
        // Carry into the high word where the low word wrapped (lo < offset, unsigned).
        let bias = _mm256_set1_epi32(i32::MIN);
        let carry = _mm256_cmpgt_epi32(self.offsets_biased, _mm256_xor_si256(lo, bias));
        let hi = _mm256_sub_epi32(_mm256_set1_epi32((base >> 32) as u32 as i32), carry);
        let s = &self.start_words;
        [
            _mm256_xor_si256(s[0], lo),
            _mm256_xor_si256(s[1], hi),
            s[2],
            s[3],
        ]
    }
}

/// `SubWord(RotWord(w)) ⊕ rcon` of every word position of `w3` (see [`Sliced`]).
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
pub(super) fn sub_rot(w3: __m256i, rot: __m256i, rcon: __m256i) -> __m256i {
    _mm256_aesenclast_epi128(_mm256_shuffle_epi8(w3, rot), rcon)
}

/// One round of the AES-128 key expansion on word-sliced keys, `t` its SubWord term.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
pub(super) fn sliced_step(w: &mut [__m256i; 4], t: __m256i) {
    let sum = _mm256_xor_si256(_mm256_xor_si256(w[0], w[1]), _mm256_xor_si256(w[2], w[3]));
    w[0] = _mm256_xor_si256(w[0], t);
    w[1] = _mm256_xor_si256(w[1], w[0]);
    w[2] = _mm256_xor_si256(w[2], w[1]);
    w[3] = _mm256_xor_si256(sum, t);
}

/// The 4 key-pair registers `[key 2gᵢ | key 2gᵢ + 1]` of word-sliced keys (4×4 transposes).
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
pub(super) fn unslice(w: &[__m256i; 4]) -> [__m256i; 4] {
    let a = _mm256_unpacklo_epi32(w[0], w[1]);
    let b = _mm256_unpackhi_epi32(w[0], w[1]);
    let c = _mm256_unpacklo_epi32(w[2], w[3]);
    let d = _mm256_unpackhi_epi32(w[2], w[3]);
    [
        _mm256_unpacklo_epi64(a, c),
        _mm256_unpackhi_epi64(a, c),
        _mm256_unpacklo_epi64(b, d),
        _mm256_unpackhi_epi64(b, d),
    ]
}

/// `x ← AES_k(x)` for the 4 gates of word-sliced keys `$w` (`Sliced` `$c`), `$P` block
/// registers per gate (`$x: [[__m256i; P]; 4]`): each round's keys are expanded and
/// transposed just before use. A macro for the reason of `encrypt!`.
macro_rules! encrypt_sliced {
    ($c:ident, $w:ident, $x:ident, $NQ:expr, $P:expr) => {{
        for q in 0..$NQ {
            let k = unslice(&$w[q]);
            for g in 0..QUAD {
                for p in 0..$P {
                    $x[q][g][p] = _mm256_xor_si256($x[q][g][p], k[g]);
                }
            }
        }
        for q in 0..$NQ {
            sliced_step(&mut $w[q], $c.t1);
            let k = unslice(&$w[q]);
            for g in 0..QUAD {
                for p in 0..$P {
                    $x[q][g][p] = _mm256_aesenc_epi128($x[q][g][p], k[g]);
                }
            }
        }
        macro_rules! round {
            ($r:expr, $rc:expr, $enc:ident) => {{
                for q in 0..$NQ {
                    let t = sub_rot($w[q][3], $c.rot, _mm256_set1_epi32($rc));
                    sliced_step(&mut $w[q], t);
                    let k = unslice(&$w[q]);
                    for g in 0..QUAD {
                        for p in 0..$P {
                            $x[q][g][p] = $enc($x[q][g][p], k[g]);
                        }
                    }
                }
            }};
        }
        // Rounds 2–10 (round 1 above).
        round!(2, 0x02, _mm256_aesenc_epi128);
        round!(3, 0x04, _mm256_aesenc_epi128);
        round!(4, 0x08, _mm256_aesenc_epi128);
        round!(5, 0x10, _mm256_aesenc_epi128);
        round!(6, 0x20, _mm256_aesenc_epi128);
        round!(7, 0x40, _mm256_aesenc_epi128);
        round!(8, 0x80, _mm256_aesenc_epi128);
        round!(9, 0x1b, _mm256_aesenc_epi128);
        round!(10, 0x36, _mm256_aesenclast_epi128);
    }};
}

//! The fused half-gates kernels on 256-bit VAES registers. Lane 0 of a register belongs to
//! the garbler half of a gate (tweak `2·gate`), lane 1 to the evaluator half (`2·gate + 1`):
//! one key register holds both keys of a gate for the encryption of its blocks. `(A, B)`
//! pairs load straight from memory as one register, so no lane shuffles are needed around
//! the AES rounds. Gates go by quads of 4 whose 8 keys are expanded word-sliced
//! ([`sliced::Sliced`]) in lockstep with the encryption; a batch's last `n mod 4` gates
//! expand their key pair in one register (`encrypt!`, as the generic [`tccr`] does).

use super::Block;
#[macro_use]
mod sliced;
use sliced::{QUAD, Sliced, sliced_step, sub_rot, unslice};
use std::arch::x86_64::{
    __m128i, __m256i, _mm_loadu_si128, _mm_storeu_si128, _mm_xor_si128, _mm256_aesenc_epi128,
    _mm256_aesenclast_epi128, _mm256_and_si256, _mm256_blend_epi32, _mm256_broadcastsi128_si256,
    _mm256_bslli_epi128, _mm256_castsi256_si128, _mm256_extracti128_si256, _mm256_loadu_si256,
    _mm256_permute2x128_si256, _mm256_set_epi64x, _mm256_set1_epi32, _mm256_setzero_si256,
    _mm256_shuffle_epi8, _mm256_shuffle_epi32, _mm256_slli_epi32, _mm256_srai_epi32,
    _mm256_storeu_si256, _mm256_xor_si256,
};

/// Quads evaluated in lockstep (the evaluator has one block per key, so two quads' chains
/// fit in the registers and hide the expansion's latency).
const EVAL_QUADS: usize = 2;

#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn load2(src: &[Block]) -> __m256i {
    assert!(src.len() >= 2);
    // SAFETY: `src` holds at least 2 Blocks = 32 readable bytes; unaligned load.
    unsafe { _mm256_loadu_si256(src.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn store2(dst: &mut [Block], v: __m256i) {
    assert!(dst.len() >= 2);
    // SAFETY: `dst` holds at least 2 exclusively borrowed Blocks = 32 writable bytes.
    unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), v) }
}

#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn store1(dst: &mut Block, v: __m128i) {
    // SAFETY: `dst` is a valid, exclusively borrowed 16-byte Block; unaligned store.
    unsafe { _mm_storeu_si128((dst as *mut Block).cast(), v) }
}

/// `b` in both lanes.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn broadcast(b: &Block) -> __m256i {
    // SAFETY: `b` is a valid 16-byte Block; unaligned load.
    _mm256_broadcastsi128_si256(unsafe { _mm_loadu_si128((b as *const Block).cast()) })
}

/// One AES-128 key-expansion step in both lanes (the `aesenclast` broadcast trick).
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn next_round_key(k: __m256i, rcon: __m256i, rot_mask: __m256i) -> __m256i {
    let t = _mm256_aesenclast_epi128(_mm256_shuffle_epi8(k, rot_mask), rcon);
    // Prefix XOR of the four words of each lane in two shift/xor steps.
    let s = _mm256_xor_si256(k, _mm256_bslli_epi128::<4>(k));
    let s = _mm256_xor_si256(s, _mm256_bslli_epi128::<8>(s));
    _mm256_xor_si256(s, t)
}

/// The keys of gate `gate`: `[start ⊕ 2·gate, start ⊕ (2·gate + 1)]`.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn gate_keys(start: __m256i, gate: u64) -> __m256i {
    let t = gate.wrapping_mul(2);
    let tweaks = _mm256_set_epi64x(0, t.wrapping_add(1) as i64, 0, t as i64);
    _mm256_xor_si256(start, tweaks)
}

/// `x ← AES_k(x)` for `P` block registers per key register, `G` key registers in
/// lockstep (`k: [__m256i; G]`, `x: [[__m256i; P]; G]`); the keys are expanded on the way
/// (`k` ends as the last round key). A macro, not a function: the arrays must stay in
/// registers, and the compiler does not inline a function this large.
macro_rules! encrypt {
    ($k:ident, $x:ident, $G:expr, $P:expr) => {{
        let rot_mask = _mm256_set1_epi32(0x0c0f_0e0d);
        for g in 0..$G {
            for p in 0..$P {
                $x[g][p] = _mm256_xor_si256($x[g][p], $k[g]);
            }
        }
        macro_rules! round {
            ($rc:expr, $enc:ident) => {{
                let rcon = _mm256_set1_epi32($rc);
                for g in 0..$G {
                    $k[g] = next_round_key($k[g], rcon, rot_mask);
                    for p in 0..$P {
                        $x[g][p] = $enc($x[g][p], $k[g]);
                    }
                }
            }};
        }
        aes128_rounds!(round, _mm256_aesenc_epi128, _mm256_aesenclast_epi128);
    }};
}

/// The generic hash of [`super::tccr_in_place`] on key pairs: `keys.len() / 2` pairs
/// done, the number of keys done returned (the caller finishes an odd last key).
/// Requires `blocks.len() == keys.len() * P`.
#[target_feature(enable = "vaes,avx2,aes")]
pub(super) fn tccr<const P: usize>(keys: &[Block], blocks: &mut [Block]) -> usize {
    // Groups of 6 key registers (P = 1) or 4 (P = 2) keep every value in registers.
    let mut done = 0;
    let pairs = keys.len() / 2;
    if P == 1 {
        while done + 6 <= pairs {
            tccr_group::<6, P>(&keys[2 * done..], &mut blocks[2 * P * done..]);
            done += 6;
        }
    } else {
        while done + 4 <= pairs {
            tccr_group::<4, P>(&keys[2 * done..], &mut blocks[2 * P * done..]);
            done += 4;
        }
    }
    while done < pairs {
        tccr_group::<1, P>(&keys[2 * done..], &mut blocks[2 * P * done..]);
        done += 1;
    }
    2 * done
}

/// Hashes the blocks of `G` key pairs (`keys[..2G]`, `blocks[..2GP]`): register `p` of
/// a pair holds block `p` of its first key in lane 0 and of its second key in lane 1.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn tccr_group<const G: usize, const P: usize>(keys: &[Block], blocks: &mut [Block]) {
    assert!(keys.len() >= 2 * G && blocks.len() >= 2 * G * P);
    let zero = _mm256_setzero_si256();
    let mut k = [zero; G];
    let mut x = [[zero; P]; G];
    for g in 0..G {
        k[g] = load2(&keys[2 * g..]);
        x[g] = load_lanes::<P>(&blocks[2 * P * g..]);
    }
    encrypt!(k, x, G, P);
    for g in 0..G {
        let orig = load_lanes::<P>(&blocks[2 * P * g..]);
        let mut h = [zero; P];
        for p in 0..P {
            h[p] = _mm256_xor_si256(x[g][p], orig[p]);
        }
        store_lanes::<P>(&mut blocks[2 * P * g..], h);
    }
}

/// `P` registers from `2P` blocks stored key by key (`P` blocks of the first key, then
/// `P` of the second): register `p` = `[block p of key 0, block p of key 1]`.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn load_lanes<const P: usize>(src: &[Block]) -> [__m256i; P] {
    let (y0, y1) = (load2(src), load2(&src[2 * (P - 1)..]));
    let mut r = [y0; P];
    if P == 2 {
        r[0] = _mm256_permute2x128_si256::<0x20>(y0, y1);
        r[P - 1] = _mm256_permute2x128_si256::<0x31>(y0, y1);
    }
    r
}

/// The inverse of [`load_lanes`].
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn store_lanes<const P: usize>(dst: &mut [Block], r: [__m256i; P]) {
    if P == 2 {
        store2(dst, _mm256_permute2x128_si256::<0x20>(r[0], r[P - 1]));
        store2(
            &mut dst[2..],
            _mm256_permute2x128_si256::<0x31>(r[0], r[P - 1]),
        );
    } else {
        store2(dst, r[0]);
    }
}

/// See [`super::ctr_fill`]: eight registers (16 counter blocks) per step.
#[target_feature(enable = "vaes,avx2,aes")]
pub(super) fn ctr(round_keys: &[Block; 11], counter: u128, out: &mut [Block]) {
    let rk: [__m256i; 11] = std::array::from_fn(|r| broadcast(&round_keys[r]));
    let mut ctr = counter;
    let mut chunks = out.chunks_exact_mut(16);
    for chunk in &mut chunks {
        let mut x: [__m256i; 8] = std::array::from_fn(|j| {
            let c = ctr.wrapping_add(2 * j as u128);
            let d = c.wrapping_add(1);
            let v = _mm256_set_epi64x((d >> 64) as i64, d as i64, (c >> 64) as i64, c as i64);
            _mm256_xor_si256(v, rk[0])
        });
        for key in &rk[1..10] {
            for v in x.iter_mut() {
                *v = _mm256_aesenc_epi128(*v, *key);
            }
        }
        for (j, v) in x.iter().enumerate() {
            store2(&mut chunk[2 * j..], _mm256_aesenclast_epi128(*v, rk[10]));
        }
        ctr = ctr.wrapping_add(16);
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        let c = ctr.wrapping_add(i as u128);
        let v = _mm256_set_epi64x(0, 0, (c >> 64) as i64, c as i64);
        let mut v = _mm256_xor_si256(v, rk[0]);
        for key in &rk[1..10] {
            v = _mm256_aesenc_epi128(v, *key);
        }
        store1(
            b,
            _mm256_castsi256_si128(_mm256_aesenclast_epi128(v, rk[10])),
        );
    }
}

/// All ones in a lane whose block has its least significant bit set, else zeros.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn lsb_masks(v: __m256i) -> __m256i {
    _mm256_shuffle_epi32::<0>(_mm256_srai_epi32::<31>(_mm256_slli_epi32::<31>(v)))
}

/// Lane 0 ⊕ lane 1.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn fold(v: __m256i) -> __m128i {
    _mm_xor_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v))
}

/// The garbler's tables `[T_G, T_E]` and output label of one gate from its `a = [A₀, B₀]`
/// and the encryptions `x0 = AES([A₀, B₀])`, `x1 = AES([A₁, B₁])` under its two keys.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn garble_finish(
    ab: &[Block],
    x0: __m256i,
    x1: __m256i,
    d: __m256i,
    t: &mut [Block],
    w: &mut Block,
) {
    // A₀ in both lanes by a broadcast load (a load, where a lane permute is a shuffle).
    let (a, a0) = (load2(ab), broadcast(&ab[0]));
    // h0 = [H(A₀), H'(B₀)]; h0 ⊕ h1 = x0 ⊕ x1 ⊕ Δ (the inputs' feed-forward cancels to Δ).
    let h0 = _mm256_xor_si256(x0, a);
    let sum = _mm256_xor_si256(_mm256_xor_si256(x0, x1), d);
    let m = lsb_masks(a); // [pa, pb]
    let pb_delta = _mm256_and_si256(_mm256_permute2x128_si256::<0x11>(m, m), d);
    // [T_G, T_E] = sum ⊕ [pb·Δ, A₀].
    store2(
        t,
        _mm256_xor_si256(sum, _mm256_blend_epi32::<0xF0>(pb_delta, a0)),
    );
    // [W_G, W_E] = h0 ⊕ [pa, pb] · [T_G, T_E ⊕ A₀].
    let u = _mm256_blend_epi32::<0xF0>(_mm256_xor_si256(sum, pb_delta), sum);
    store1(w, fold(_mm256_xor_si256(h0, _mm256_and_si256(m, u))));
}

/// The evaluator's output label of one gate from `a = [A, B]`, `x = AES(a)` under its two
/// keys and its tables `t = [T_G, T_E]`.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn eval_finish(a: __m256i, x: __m256i, t: __m256i, w: &mut Block) {
    // h = [H(A), H'(B)]; [W_G, W_E] = h ⊕ [lsb A, lsb B] · (t ⊕ [0, A]).
    let h = _mm256_xor_si256(x, a);
    let a_hi = _mm256_permute2x128_si256::<0x08>(a, a);
    let w2 = _mm256_xor_si256(h, _mm256_and_si256(lsb_masks(a), _mm256_xor_si256(t, a_hi)));
    store1(w, fold(w2));
}

/// See [`super::half_gates_garble`]; lengths checked by the caller.
#[target_feature(enable = "vaes,avx2,aes")]
pub(super) fn garble(
    start: Block,
    first_gate: u64,
    delta: Block,
    inputs: &[Block],
    tables: &mut [Block],
    outs: &mut [Block],
) {
    let c = Sliced::new(start);
    let (s, d) = (broadcast(&start), broadcast(&delta));
    let mut gate = first_gate;
    // One quad at a time: with two blocks per key one quad fills the registers (two quads
    // in lockstep spill the AES states to the stack, inside their dependency chains).
    let mut ins = inputs.chunks_exact(2 * QUAD);
    let mut tabs = tables.chunks_exact_mut(2 * QUAD);
    let mut os = outs.chunks_exact_mut(QUAD);
    for ((i, t), o) in (&mut ins).zip(&mut tabs).zip(&mut os) {
        garble_quads::<1>(&c, gate, d, i, t, o);
        gate += QUAD as u64;
    }
    let rest = ins.remainder().chunks_exact(2);
    let rest = rest.zip(tabs.into_remainder().chunks_exact_mut(2));
    for ((i, t), o) in rest.zip(os.into_remainder().chunks_exact_mut(1)) {
        garble_one(s, gate, d, i, t, o);
        gate += 1;
    }
}

/// `GQ` quads (`4·GQ` gates) garbled in lockstep: both blocks of each key, `[A₀, B₀]` and
/// `[A₁, B₁]`, are encrypted while the keys are expanded.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn garble_quads<const GQ: usize>(
    c: &Sliced,
    gate0: u64,
    d: __m256i,
    inputs: &[Block],
    tables: &mut [Block],
    outs: &mut [Block],
) {
    let n = QUAD * GQ;
    assert!(inputs.len() == 2 * n && tables.len() == 2 * n && outs.len() == n);
    let zero = _mm256_setzero_si256();
    let mut x = [[[zero; 2]; QUAD]; GQ];
    let mut w = [[zero; 4]; GQ];
    for (j, xj) in x.as_flattened_mut().iter_mut().enumerate() {
        let a = load2(&inputs[2 * j..]);
        *xj = [a, _mm256_xor_si256(a, d)];
    }
    for (q, wq) in w.iter_mut().enumerate() {
        *wq = c.words(gate0 + (QUAD * q) as u64);
    }
    encrypt_sliced!(c, w, x, GQ, 2);
    for (j, xj) in x.as_flattened().iter().enumerate() {
        garble_finish(
            &inputs[2 * j..],
            xj[0],
            xj[1],
            d,
            &mut tables[2 * j..],
            &mut outs[j],
        );
    }
}

/// One gate with its key pair in one register (the batch's last `n mod 4` gates).
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn garble_one(
    start: __m256i,
    gate: u64,
    d: __m256i,
    inputs: &[Block],
    tables: &mut [Block],
    outs: &mut [Block],
) {
    assert!(inputs.len() == 2 && tables.len() == 2 && outs.len() == 1);
    let mut k = [gate_keys(start, gate)];
    let a = load2(inputs);
    let mut x = [[a, _mm256_xor_si256(a, d)]];
    encrypt!(k, x, 1, 2);
    garble_finish(inputs, x[0][0], x[0][1], d, tables, &mut outs[0]);
}

/// See [`super::half_gates_eval`]; lengths checked by the caller.
#[target_feature(enable = "vaes,avx2,aes")]
pub(super) fn eval(
    start: Block,
    first_gate: u64,
    inputs: &[Block],
    tables: &[Block],
    outs: &mut [Block],
) {
    let c = Sliced::new(start);
    let s = broadcast(&start);
    let mut gate = first_gate;
    let mut ins = inputs.chunks_exact(2 * QUAD * EVAL_QUADS);
    let mut tabs = tables.chunks_exact(2 * QUAD * EVAL_QUADS);
    let mut os = outs.chunks_exact_mut(QUAD * EVAL_QUADS);
    for ((i, t), o) in (&mut ins).zip(&mut tabs).zip(&mut os) {
        eval_quads::<EVAL_QUADS>(&c, gate, i, t, o);
        gate += (QUAD * EVAL_QUADS) as u64;
    }
    let mut ins = ins.remainder().chunks_exact(2 * QUAD);
    let mut tabs = tabs.remainder().chunks_exact(2 * QUAD);
    let mut os = os.into_remainder().chunks_exact_mut(QUAD);
    for ((i, t), o) in (&mut ins).zip(&mut tabs).zip(&mut os) {
        eval_quads::<1>(&c, gate, i, t, o);
        gate += QUAD as u64;
    }
    let rest = ins.remainder().chunks_exact(2);
    let rest = rest.zip(tabs.remainder().chunks_exact(2));
    for ((i, t), o) in rest.zip(os.into_remainder().chunks_exact_mut(1)) {
        eval_one(s, gate, i, t, o);
        gate += 1;
    }
}

/// `EQ` quads (`4·EQ` gates) evaluated in lockstep.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn eval_quads<const EQ: usize>(
    c: &Sliced,
    gate0: u64,
    inputs: &[Block],
    tables: &[Block],
    outs: &mut [Block],
) {
    let n = QUAD * EQ;
    assert!(inputs.len() == 2 * n && tables.len() == 2 * n && outs.len() == n);
    let zero = _mm256_setzero_si256();
    let mut x = [[[zero; 1]; QUAD]; EQ];
    let mut w = [[zero; 4]; EQ];
    for (j, xj) in x.as_flattened_mut().iter_mut().enumerate() {
        *xj = [load2(&inputs[2 * j..])];
    }
    for (q, wq) in w.iter_mut().enumerate() {
        *wq = c.words(gate0 + (QUAD * q) as u64);
    }
    encrypt_sliced!(c, w, x, EQ, 1);
    for (j, xj) in x.as_flattened().iter().enumerate() {
        let (a, t) = (load2(&inputs[2 * j..]), load2(&tables[2 * j..]));
        eval_finish(a, xj[0], t, &mut outs[j]);
    }
}

/// One gate with its key pair in one register (the batch's last `n mod 4` gates).
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn eval_one(start: __m256i, gate: u64, inputs: &[Block], tables: &[Block], outs: &mut [Block]) {
    assert!(inputs.len() == 2 && tables.len() == 2 && outs.len() == 1);
    let mut k = [gate_keys(start, gate)];
    let a = load2(inputs);
    let mut x = [[a]];
    encrypt!(k, x, 1, 1);
    eval_finish(a, x[0][0], load2(tables), &mut outs[0]);
}

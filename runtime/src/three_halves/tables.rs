//! The per-gate algebra of three-halves garbling: the colour-indexed control matrices, the
//! garbler's and the evaluator's computation for one AND gate, and the byte layout of the
//! garbled material.
//!
//! # Notation
//! A label `X` is two 64-bit halves `X = (X_L, X_R)` (`X_L` = the low half, which holds the
//! colour bit `lsb X`). For an AND gate with zero-labels `A₀`, `B₀`, permute bits
//! `α = lsb A₀`, `β = lsb B₀`, the evaluator holding `A = A₀ ⊕ aΔ`, `B = B₀ ⊕ bΔ` sees the
//! colours `i = a ⊕ α`, `j = b ⊕ β`. The hash `H` is called on `A`, `B` and `A ⊕ B` (three
//! tweaks per gate); of each output block, the low 64 bits `H` are a label half and bit 64
//! `h` masks a control bit.
//!
//! # Evaluation (colours `i`, `j`; garbled gate `G₀, G₁, G₂` halves and 5 bits `z₀…z₄`)
//! ```text
//! r = (h(A)⊕h(A⊕B) ⊕ z₀ ⊕ i·z₂ ⊕ (i⊕j)·z₄ ,  h(B)⊕h(A⊕B) ⊕ z₁ ⊕ j·z₃ ⊕ (i⊕j)·z₄)
//! R = R_ij(r) = r₀·S₁ ⊕ r₁·S₂ ⊕ P_ij                    (a 2×4 bit matrix)
//! C_L = H(A)⊕H(A⊕B) ⊕ i·G₀ ⊕ (i⊕j)·G₂ ⊕ R₀·(A_L, A_R, B_L, B_R)
//! C_R = H(B)⊕H(A⊕B) ⊕ j·G₁ ⊕ (i⊕j)·G₂ ⊕ R₁·(A_L, A_R, B_L, B_R)
//! ```
//! The ciphertext matrix `V_ij = [[i, 0, i⊕j], [0, j, i⊕j]]` is the paper's: the columns of
//! `[I₂ | V_ij]` stacked over the four colours span exactly the vectors the six hash values
//! `H(A₀), H(A₁), H(B₀), H(B₁), H(A₀⊕B₀), H(A₀⊕B₁)` contribute, so the garbler can cancel
//! the inactive hashes with three halves `G` and fix the output label `C₀` with the other two.
//!
//! # Garbling ("slicing and dicing")
//! The garbler draws two random bits `r` per gate and gives colour `(i, j)` the control bits
//! `r_ij = r ⊕ α·(i⊕j, i) ⊕ β·(j, i⊕j)`. The matrices `R_ij(r_ij)` are chosen (constants
//! below) so that for every `α, β, r`, stacking `R_ij·(A, B) ⊕ ab·Δ` over the four colours
//! lies in the span of `[I₂ | V_ij]`: the garbler computes the evaluator's value
//! `E_ij = H-part ⊕ R_ij·(A_a, B_b) ⊕ ab·Δ` for colours 00, 11, 01 and reads off
//! `C₀ = E₀₀`, `G₀ = (E₀₀ ⊕ E₁₁)_L`, `G₁ = (E₀₀ ⊕ E₁₁)_R`, `G₂ = (E₀₀ ⊕ E₀₁)_L`. The control
//! bits are encrypted the same way into 5 bits `z` (the "C₀" slot of the control system is
//! sent too: it is `z₀ z₁`). Without the random `r` no such matrices exist (the linear
//! lower bound); with it, `r_ij` — all the evaluator learns about `R` — is uniform whatever
//! `α, β` are (`privacy_*` tests below).
//!
//! The constants were found by solving that linear system over GF(2) (48 unknowns, the 96
//! solvable control-bit families, the sparsest solution); the tests check the identity for
//! every `α, β, r, a, b`. The structure (`V_ij`, two random bits, `S₁, S₂` plus a colour
//! offset `P_ij`, 5 control bits) is the paper's; the bit patterns are ours.
//!
//! # Bytes
//! Gates are sent in units of [`UNIT_GATES`]: the three halves of each gate (8 bytes each,
//! little-endian), then the units' control bits packed 5 per gate (gate `k` at bits
//! `5k..5k+5`, little-endian): 197 bytes per 8 gates = exactly 1.5κ + 5 bits per gate. The
//! last unit of an instance is cut short and padded to a byte ([`material_bytes`]).

use crate::block::Block;

/// Gates per unit of garbled material.
pub const UNIT_GATES: usize = 8;
/// Bytes of the three halves of one gate.
pub const HALVES_BYTES: usize = 24;
/// Control bits per gate.
pub const CONTROL_BITS: usize = 5;
/// Bytes of a full unit (8 gates × 24 bytes + 40 control bits).
pub const UNIT_BYTES: usize = UNIT_GATES * HALVES_BYTES + UNIT_GATES * CONTROL_BITS / 8;

/// Bytes of a unit holding `gates` (1..=8) gates.
pub const fn unit_bytes(gates: usize) -> usize {
    gates * HALVES_BYTES + (gates * CONTROL_BITS).div_ceil(8)
}

/// Bytes of garbled material for one instance of `ands` AND gates:
/// `24·n + ⌈5·n / 8⌉` (the last unit is padded to a whole byte).
pub const fn material_bytes(ands: usize) -> usize {
    ands * HALVES_BYTES + (ands * CONTROL_BITS).div_ceil(8)
}

/// Control-bit offsets of colour `(i, j)` when `α = 1` (index `2i + j`; bit 0 = row 0).
const F_ALPHA: [u8; 4] = [0b00, 0b01, 0b11, 0b10];
/// Control-bit offsets of colour `(i, j)` when `β = 1`.
const F_BETA: [u8; 4] = [0b00, 0b11, 0b10, 0b01];
/// `R_ij(r) = r₀·S₁ ⊕ r₁·S₂ ⊕ P_ij`; bit `4·row + col`, columns `A_L, A_R, B_L, B_R`.
const S1: u8 = 0x6b;
/// Second basis matrix (see [`S1`]).
const S2: u8 = 0xd6;
/// Colour offsets `P_ij` (index `2i + j`).
const P: [u8; 4] = [0x00, 0x20, 0x04, 0x24];

/// The control matrix of colour `(i, j)` for control bits `r` (bit 0 = row 0's bit).
#[inline(always)]
fn control_matrix(i: bool, j: bool, r: u8) -> u8 {
    let m = |bit: u8| 0u8.wrapping_sub(bit & 1);
    (m(r) & S1) ^ (m(r >> 1) & S2) ^ P[2 * i as usize + j as usize]
}

/// The garbler's control bits for colour `(i, j)` given its random `r` and permute bits.
#[inline(always)]
fn colour_control(r: u8, alpha: bool, beta: bool, i: bool, j: bool) -> u8 {
    let k = 2 * i as usize + j as usize;
    r ^ (F_ALPHA[k] & 0u8.wrapping_sub(alpha as u8)) ^ (F_BETA[k] & 0u8.wrapping_sub(beta as u8))
}

/// All ones if `bit`, else zero.
#[inline(always)]
fn m64(bit: bool) -> u64 {
    0u64.wrapping_sub(bit as u64)
}

#[inline(always)]
fn lo(b: Block) -> u64 {
    b.0 as u64
}

#[inline(always)]
fn hi(b: Block) -> u64 {
    (b.0 >> 64) as u64
}

/// The control-mask bit of a hash output (bit 64).
#[inline(always)]
fn cbit(b: Block) -> u8 {
    (b.0 >> 64) as u8 & 1
}

/// The XORs of every subset of `(A_L, A_R, B_L, B_R)`: entry `m` = `Σ_{c ∈ m} v_c`.
#[inline(always)]
fn subset_xors(a: Block, b: Block) -> [u64; 16] {
    let v = [lo(a), hi(a), lo(b), hi(b)];
    let mut t = [0u64; 16];
    for m in 1..16usize {
        let low = m & m.wrapping_neg();
        t[m] = t[m ^ low] ^ v[low.trailing_zeros() as usize];
    }
    t
}

/// `R·(A_L, A_R, B_L, B_R)` as (row 0, row 1).
#[inline(always)]
fn apply(r: u8, a: Block, b: Block) -> (u64, u64) {
    let v = [lo(a), hi(a), lo(b), hi(b)];
    let mut out = [0u64; 2];
    for (row, o) in out.iter_mut().enumerate() {
        for (col, &x) in v.iter().enumerate() {
            *o ^= m64((r >> (4 * row + col)) & 1 == 1) & x;
        }
    }
    (out[0], out[1])
}

/// One garbled AND gate: three halves and 5 control bits (bit `k` = `z_k`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GateMaterial {
    /// `G₀, G₁, G₂`.
    pub g: [u64; 3],
    /// `z₀ … z₄` in bits 0..5.
    pub z: u8,
}

/// What the garbler needs of one gate to compute the evaluator's value in any colour.
struct GateCtx<'a> {
    alpha: bool,
    beta: bool,
    r: u8,
    h: &'a [Block; 6],
    /// Subset XORs of the zero-labels' halves ([`subset_xors`]).
    t: [u64; 16],
    /// `0, Δ_L, Δ_R, Δ_L ⊕ Δ_R`.
    d: [u64; 4],
}

/// The Δ part of one row of `R·(A_a, B_b)`: the row's mask `m` (columns `A_L A_R B_L B_R`)
/// picks `a·Δ_L`, `a·Δ_R`, `b·Δ_L`, `b·Δ_R`; returns the index into [`GateCtx::d`].
#[inline(always)]
fn delta_index(m: u8, a: bool, b: bool) -> usize {
    let (a, b) = (0u8.wrapping_sub(a as u8), 0u8.wrapping_sub(b as u8));
    (((m & a) ^ ((m >> 2) & b)) & 3) as usize
}

/// The evaluator's value `E_ij` for colour `(i, j)`: (label row 0, label row 1, control bits).
#[inline(always)]
fn colour_value(g: &GateCtx<'_>, i: bool, j: bool) -> (u64, u64, u8) {
    let (a, b) = (i ^ g.alpha, j ^ g.beta);
    let (ha, hb, hx) = (
        g.h[a as usize],
        g.h[2 + b as usize],
        g.h[4 + (a ^ b) as usize],
    );
    let rij = colour_control(g.r, g.alpha, g.beta, i, j);
    let rm = control_matrix(i, j, rij);
    let (m0, m1) = (rm & 0xf, rm >> 4);
    // R·(A_a, B_b) = R·(A₀, B₀) ⊕ R·(aΔ, bΔ); the AND's own ab·Δ goes to both rows.
    let ab = (a & b) as usize;
    let l0 = g.t[m0 as usize] ^ g.d[delta_index(m0, a, b) ^ ab];
    let l1 = g.t[m1 as usize] ^ g.d[delta_index(m1, a, b) ^ (ab << 1)];
    let e0 = lo(ha) ^ lo(hx) ^ l0;
    let e1 = lo(hb) ^ lo(hx) ^ l1;
    let c = (cbit(ha) ^ cbit(hx)) | ((cbit(hb) ^ cbit(hx)) << 1);
    (e0, e1, c ^ rij)
}

/// Garbles one AND gate. `a0`, `b0`: input zero-labels; `delta`: the offset (lsb 1);
/// `h`: `H(A₀), H(A₁)` (tweak `3g`), `H(B₀), H(B₁)` (`3g+1`), `H(A₀⊕B₀), H(A₀⊕B₁)` (`3g+2`);
/// `r`: two random bits. Returns the output zero-label and the material.
#[inline(always)]
pub fn garble_gate(
    a0: Block,
    b0: Block,
    delta: Block,
    h: &[Block; 6],
    r: u8,
) -> (Block, GateMaterial) {
    let (dl, dr) = (lo(delta), hi(delta));
    let g = GateCtx {
        alpha: a0.lsb(),
        beta: b0.lsb(),
        r,
        h,
        t: subset_xors(a0, b0),
        d: [0, dl, dr, dl ^ dr],
    };
    let (e00_0, e00_1, c00) = colour_value(&g, false, false);
    let (e11_0, e11_1, c11) = colour_value(&g, true, true);
    let (e01_0, _, c01) = colour_value(&g, false, true);
    let c0 = Block(e00_0 as u128 | ((e00_1 as u128) << 64));
    let d11 = c00 ^ c11;
    let d01 = c00 ^ c01;
    let z = c00 | (d11 << 2) | ((d01 & 1) << 4);
    let g = [e00_0 ^ e11_0, e00_1 ^ e11_1, e00_0 ^ e01_0];
    (c0, GateMaterial { g, z })
}

/// The control bits the evaluator decodes (bit 0 = row 0): `hc` = the control part of its
/// hashes, `z` the gate's 5 bits.
#[inline(always)]
fn decode_control(i: bool, j: bool, hc: u8, z: u8) -> u8 {
    let x = (i ^ j) as u8;
    let r0 = z ^ ((i as u8) & (z >> 2)) ^ (x & (z >> 4));
    let r1 = (z >> 1) ^ ((j as u8) & (z >> 3)) ^ (x & (z >> 4));
    hc ^ ((r0 & 1) | ((r1 & 1) << 1))
}

/// Evaluates one AND gate: `a`, `b` active labels; `h`: `H(A)`, `H(B)`, `H(A⊕B)` (tweaks
/// `3g, 3g+1, 3g+2`). Returns the active output label.
#[inline(always)]
pub fn eval_gate(a: Block, b: Block, h: &[Block; 3], m: &GateMaterial) -> Block {
    let (i, j) = (a.lsb(), b.lsb());
    let (ha, hb, hx) = (h[0], h[1], h[2]);
    let hc = (cbit(ha) ^ cbit(hx)) | ((cbit(hb) ^ cbit(hx)) << 1);
    let r = decode_control(i, j, hc, m.z);
    let (l0, l1) = apply(control_matrix(i, j, r), a, b);
    let x = m64(i ^ j);
    let c0 = lo(ha) ^ lo(hx) ^ (m64(i) & m.g[0]) ^ (x & m.g[2]) ^ l0;
    let c1 = lo(hb) ^ lo(hx) ^ (m64(j) & m.g[1]) ^ (x & m.g[2]) ^ l1;
    Block(c0 as u128 | ((c1 as u128) << 64))
}

/// Writes `gates` (1..=8) gates' material as one unit onto `out`.
pub fn write_unit(gates: &[GateMaterial], out: &mut Vec<u8>) {
    let mut ctrl = 0u64;
    for (k, m) in gates.iter().enumerate() {
        for g in m.g {
            out.extend_from_slice(&g.to_le_bytes());
        }
        ctrl |= ((m.z & 0x1f) as u64) << (CONTROL_BITS * k);
    }
    let n = (gates.len() * CONTROL_BITS).div_ceil(8);
    out.extend_from_slice(&ctrl.to_le_bytes()[..n]);
}

/// Reads a unit of `out.len()` (1..=8) gates from `bytes` (exactly [`unit_bytes`] long).
pub fn read_unit(bytes: &[u8], out: &mut [GateMaterial]) {
    let n = out.len();
    let (halves, ctrl) = bytes.split_at(n * HALVES_BYTES);
    let mut c = [0u8; 8];
    c[..ctrl.len()].copy_from_slice(ctrl);
    let ctrl = u64::from_le_bytes(c);
    for (k, (m, h)) in out
        .iter_mut()
        .zip(halves.chunks_exact(HALVES_BYTES))
        .enumerate()
    {
        for (g, w) in m.g.iter_mut().zip(h.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            *g = u64::from_le_bytes(b);
        }
        m.z = ((ctrl >> (CONTROL_BITS * k)) & 0x1f) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::Delta;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    /// Random stand-ins for the six garbler hashes; the evaluator's three are the matching
    /// ones for its labels (so the check covers the hash bookkeeping too).
    fn gate_once(rng: &mut ChaCha12Rng, alpha: bool, beta: bool, r: u8) {
        let delta = Delta::random(rng).block();
        let a0 = Block::random(rng).with_lsb(alpha);
        let b0 = Block::random(rng).with_lsb(beta);
        let h: [Block; 6] = std::array::from_fn(|_| Block::random(rng));
        let (c0, mat) = garble_gate(a0, b0, delta, &h, r);
        for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
            let la = a0 ^ (Block::mask(a) & delta);
            let lb = b0 ^ (Block::mask(b) & delta);
            let eh = [h[a as usize], h[2 + b as usize], h[4 + (a ^ b) as usize]];
            let c = eval_gate(la, lb, &eh, &mat);
            assert_eq!(
                c,
                c0 ^ (Block::mask(a & b) & delta),
                "α {alpha} β {beta} r {r} a {a} b {b}"
            );
        }
    }

    #[test]
    fn every_permute_bit_control_bit_and_input_combination_decodes_the_and() {
        let mut rng = ChaCha12Rng::seed_from_u64(31);
        for _ in 0..64 {
            for alpha in [false, true] {
                for beta in [false, true] {
                    for r in 0..4 {
                        gate_once(&mut rng, alpha, beta, r);
                    }
                }
            }
        }
    }

    #[test]
    fn output_label_pair_is_offset_by_delta_and_colour_is_uniform() {
        // C₁ = C₀ ⊕ Δ is checked above; here the colour of C₀ takes both values.
        let mut rng = ChaCha12Rng::seed_from_u64(32);
        let mut seen = [false; 2];
        for _ in 0..64 {
            let delta = Delta::random(&mut rng).block();
            let h: [Block; 6] = std::array::from_fn(|_| Block::random(&mut rng));
            let (c0, _) = garble_gate(
                Block::random(&mut rng),
                Block::random(&mut rng),
                delta,
                &h,
                rng.random_range(0..4),
            );
            seen[c0.lsb() as usize] = true;
        }
        assert_eq!(seen, [true, true]);
    }

    /// The evaluator's decoded control bits for colour (i, j), over the garbler's four
    /// choices of `r`, as a multiset (sorted), under the permute bits `(α, β)`.
    fn decoded_controls(alpha: bool, beta: bool, i: bool, j: bool, dice: bool) -> Vec<u8> {
        let mut out: Vec<u8> = (0..4u8)
            .map(|r| colour_control(if dice { r } else { 0 }, alpha, beta, i, j))
            .collect();
        out.sort_unstable();
        out
    }

    #[test]
    fn privacy_decoded_control_bits_do_not_depend_on_the_permute_bits() {
        // What the evaluator learns of the control matrix is r_ij (R_ij is a function of
        // r_ij and the public colours): its distribution must be the same for every (α, β).
        for i in [false, true] {
            for j in [false, true] {
                let reference = decoded_controls(false, false, i, j, true);
                assert_eq!(reference, vec![0, 1, 2, 3], "uniform");
                for (alpha, beta) in [(false, true), (true, false), (true, true)] {
                    assert_eq!(decoded_controls(alpha, beta, i, j, true), reference);
                }
            }
        }
    }

    #[test]
    fn privacy_negative_control_without_dicing_the_control_bits_leak_the_permute_bits() {
        // A leaky variant (r fixed to 0): some colour's r_ij then differs between (α, β)
        // values, so the check of the test above would fail on it.
        let leaks = [false, true].iter().any(|&i| {
            [false, true].iter().any(|&j| {
                let reference = decoded_controls(false, false, i, j, false);
                [(false, true), (true, false), (true, true)]
                    .iter()
                    .any(|&(a, b)| decoded_controls(a, b, i, j, false) != reference)
            })
        });
        assert!(leaks);
    }

    #[test]
    fn units_round_trip_and_have_the_documented_size() {
        let mut rng = ChaCha12Rng::seed_from_u64(33);
        assert_eq!(UNIT_BYTES, 197);
        assert_eq!(unit_bytes(8), 197);
        assert_eq!(material_bytes(8), 197);
        assert_eq!(material_bytes(1), 25);
        assert_eq!(material_bytes(9), 197 + 25);
        for n in 1..=UNIT_GATES {
            let gates: Vec<GateMaterial> = (0..n)
                .map(|_| GateMaterial {
                    g: [rng.random(), rng.random(), rng.random()],
                    z: rng.random_range(0..32),
                })
                .collect();
            let mut bytes = Vec::new();
            write_unit(&gates, &mut bytes);
            assert_eq!(bytes.len(), unit_bytes(n));
            let mut back = vec![GateMaterial::default(); n];
            read_unit(&bytes, &mut back);
            assert_eq!(back, gates);
        }
    }
}

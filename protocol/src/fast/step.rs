//! The arithmetic of one fast image run that both parties share: the first layer's public
//! offset, the cross-product layouts, the local products and what the cloud's view records.
//! Pure functions; the per-party state machine is [`super::core`].

use super::ring::{Ring, SIGMA};
use super::shares::{LayerShare, ModelShare};
use super::wire::protocol;
use crate::error::{ProtocolError, he};
use model::fixed::FIXED;
use paillier::{PublicKey, SlotLayout};
use rayon::prelude::*;

/// Most patches a cloud accepts per run ([`crate::wire::MAX_FAST_PATCHES`]).
pub use crate::wire::MAX_FAST_PATCHES as MAX_PATCHES;

/// Everything the cloud learned in clear during a run (recorded on request, for tests).
#[derive(Clone, Debug, Default)]
pub struct CloudView {
    /// Ciphertexts received under the user's key (packed `a_U`).
    pub user_ciphertexts: usize,
    /// Decrypted cross-product slots `W_U·a_C + μ` (full integers, below 2^w).
    pub cross_slots: Vec<paillier::BigUint>,
    /// Garbled-circuit outputs `y = act(z) + r mod 2^k`.
    pub activations: Vec<u64>,
    /// Bytes received during each garbled activation batch (handshake, OT, labels, garbled
    /// tables, decoding bits), in the schedule's order (by layer, then chunk).
    pub gc_bytes_received: Vec<u64>,
}

/// The first layer's offset B: inputs lie in `[−B, B]` (`model::fixed::FIXED`'s clamp), so
/// the user's first shares `a_U = p + B` are non-negative with [`input_value_bits`] bits and
/// the cloud's `a_C = −B` is public: `W_U·a_C` and `α·a_C` are computed locally and the
/// first cross product 1 packs narrower slots ([`Ring::slot_width_values`]).
pub fn input_offset() -> i64 {
    FIXED.quantise_input(FIXED.input_clamp)
}

/// Bits of the offset inputs `p + B ∈ [0, 2B]`.
pub fn input_value_bits() -> u32 {
    64 - (2 * input_offset() as u64).leading_zeros()
}

/// The layout of layer `li`'s cross products (fits both keys).
pub fn layer_layout(
    ring: &Ring,
    li: usize,
    n: usize,
    a: &PublicKey,
    b: &PublicKey,
) -> Result<SlotLayout, ProtocolError> {
    let value_bits = if li == 0 { input_value_bits() } else { ring.k };
    ring.cross_layout_values(n, value_bits, SIGMA, a.bits().min(b.bits()))
        .map_err(he("cross layout"))
}

/// `B·Σ_j E_ij mod 2^k` per row (the local term of the public first-layer share −B).
pub(crate) fn offset_rows(ring: &Ring, e: &[u64], n: usize) -> Vec<u64> {
    let b = ring.from_signed(input_offset());
    e.chunks(n)
        .map(|row| {
            ring.reduce(
                row.iter()
                    .fold(0u64, |a, &w| a.wrapping_add(w))
                    .wrapping_mul(b),
            )
        })
        .collect()
}

/// `E·x mod 2^k` with `E` `[m][n]` and `x` `[n][P]`, result `[m][P]`.
pub(crate) fn local_products(
    ring: &Ring,
    e: &[u64],
    x: &[u64],
    (n, m): (usize, usize),
    patches: usize,
) -> Vec<u64> {
    let mut out = vec![0u64; m * patches];
    out.par_chunks_mut(patches.max(1))
        .enumerate()
        .for_each(|(i, row)| {
            for j in 0..n {
                let w = e[i * n + j];
                let xs = &x[j * patches..(j + 1) * patches];
                for (o, &v) in row.iter_mut().zip(xs) {
                    *o = o.wrapping_add(w.wrapping_mul(v));
                }
            }
            for o in row.iter_mut() {
                *o = ring.reduce(*o);
            }
        });
    out
}

/// A party's local term of layer `l` before the cross products, `[m][P]`:
/// `E·a + b`, with `a = None` standing for the public first-layer share `−B`, minus `E·B`
/// when the peer's shares are that public `−B` (`peer_public`).
pub(crate) fn local_term(
    ring: &Ring,
    l: &LayerShare,
    a: Option<&[u64]>,
    peer_public: bool,
    patches: usize,
) -> Vec<u64> {
    let (n, m) = (l.inputs, l.outputs);
    let mut z = match a {
        Some(a) => local_products(ring, &l.weights, a, (n, m), patches),
        None => offset_rows(ring, &l.weights, n)
            .into_iter()
            .flat_map(|off| std::iter::repeat_n(ring.neg(off), patches))
            .collect(),
    };
    let peer = peer_public.then(|| offset_rows(ring, &l.weights, n));
    for (i, row) in z.chunks_mut(patches.max(1)).enumerate() {
        let off = peer.as_ref().map_or(0, |p| p[i]);
        for v in row {
            *v = ring.sub(ring.add(*v, l.bias[i]), off);
        }
    }
    z
}

/// At most this many fresh zeros per key in one run (one per packed ciphertext, at most one
/// ciphertext per patch and value): sizes the comb tables.
pub(crate) fn fresh_zero_bound(share: &ModelShare, patches: usize) -> usize {
    share
        .layers
        .iter()
        .map(|l| l.inputs.saturating_add(l.outputs))
        .fold(0usize, usize::saturating_add)
        .saturating_mul(patches)
}

/// Checks that layer `li` of a share has consistent lengths.
pub(crate) fn check_shape(l: &LayerShare, li: usize) -> Result<(), ProtocolError> {
    if l.weights.len() != l.inputs * l.outputs || l.bias.len() != l.outputs {
        return Err(protocol(
            "model share",
            format!("layer {li} has inconsistent share lengths"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer() -> LayerShare {
        LayerShare {
            inputs: 2,
            outputs: 2,
            weights: vec![1, 2, 3, 4],
            bias: vec![10, 20],
        }
    }

    #[test]
    fn local_term_is_e_a_plus_b_per_row_and_patch() {
        let ring = Ring::new(37).expect("ring");
        // a = [[5, 6], [7, 8]] (two inputs, two patches)
        let z = local_term(&ring, &layer(), Some(&[5, 6, 7, 8]), false, 2);
        assert_eq!(
            z,
            vec![5 + 14 + 10, 6 + 16 + 10, 15 + 28 + 20, 18 + 32 + 20]
        );
    }

    #[test]
    fn public_offsets_enter_with_their_signs() {
        let ring = Ring::new(37).expect("ring");
        let b = input_offset() as u64;
        // Own shares public (−B): E·(−B) + b.
        let z = local_term(&ring, &layer(), None, false, 1);
        assert_eq!(z, vec![ring.sub(10, 3 * b), ring.sub(20, 7 * b)]);
        // Peer's shares public: E·a + b − E·B.
        let z = local_term(&ring, &layer(), Some(&[1, 1]), true, 1);
        assert_eq!(z, vec![ring.sub(13, 3 * b), ring.sub(27, 7 * b)]);
    }
}

//! One chunk of an image's patches in a party's core ([`super::PartyCore`]): its
//! shares, its layer's cut and its messages in flight, and the pure step a runner may
//! compute beside a garbled batch ([`Work`], [`Worked`]).
//!
//! The pipeline ([`crate::fast::schedule::schedule`]) keeps one lane per chunk: a lane holds its
//! chunk's shares `[value][patch of the chunk]` through every layer, so lanes at different
//! layers coexist (patches are independent in an MLP). The last layer's lanes are joined
//! into the image's `[value][patch]` shares for the output step ([`join_rows`]).

use super::{PartyCore, order};
use crate::error::ProtocolError;
use crate::fast::engine::CrossEngine;
use crate::fast::engine::{Plan, Products};
use crate::fast::exchange::Side;
use crate::fast::msg::Part;
use crate::fast::ring::Ring;
use crate::fast::schedule::{At, chunk_count, chunk_range};
use crate::fast::schedule::{Chunking, schedule};
use crate::fast::step::{input_offset, layer_layout};
use runtime::scheme::Scheme;
use std::ops::Range;

/// One chunk's state.
pub(crate) struct Lane {
    /// Its patches.
    pub(crate) range: Range<usize>,
    /// This party's shares of the current layer's inputs, `[j][patch]` (`None`: the public
    /// first-layer share `−B`).
    pub(crate) a: Option<Vec<u64>>,
    /// This party's shares of the current layer's outputs, `[i][patch]`.
    pub(crate) z: Vec<u64>,
    /// The current layer's cut of the chunk's products.
    pub(crate) cut: Option<Plan>,
    /// The message this lane sends next.
    pub(crate) outgoing: Option<Part>,
    /// The message this lane received last.
    pub(crate) incoming: Option<Part>,
    /// The user's activation masks r, until the batch is done.
    pub(crate) masks: Vec<u64>,
}

impl Lane {
    /// An empty lane over `range`, starting from the shares `a`.
    fn new(range: Range<usize>, a: Option<Vec<u64>>) -> Self {
        Self {
            range,
            a,
            z: Vec::new(),
            cut: None,
            outgoing: None,
            incoming: None,
            masks: Vec::new(),
        }
    }

    /// Patches of the chunk.
    pub(crate) fn len(&self) -> usize {
        self.range.len()
    }
}

impl PartyCore<'_> {
    /// The core in session `session` (the channel's id, given by the runner): the user's
    /// image header carries it and the cloud refuses a header of another session.
    pub fn in_session(mut self, session: runtime::channel::SessionId) -> Self {
        self.session = session;
        self
    }

    /// The user's core garbling every batch with `scheme` (before the run starts; the image
    /// header names it and the cloud follows).
    pub fn with_scheme(mut self, scheme: Scheme) -> Result<Self, ProtocolError> {
        if self.side != Side::User || self.pos != 0 {
            return Err(order(
                "only the user chooses the garbling scheme, before the run",
            ));
        }
        self.scheme = scheme;
        Ok(self)
    }

    /// The garbling scheme of this run (the cloud's: the header's, once it arrived).
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The user's core with its patches cut as `chunking` says (before the run starts).
    pub fn with_chunking(mut self, chunking: Chunking) -> Result<Self, ProtocolError> {
        if self.side != Side::User || self.pos != 0 {
            return Err(order("only the user chooses the chunks, before the run"));
        }
        let align = match self.engine {
            CrossEngine::Paillier => self.paillier_slots()?,
            CrossEngine::Rlwe => 1,
        };
        self.set_chunk(chunking.aligned_patches(self.patches, align));
        Ok(self)
    }

    /// Patches per Paillier ciphertext of the layer with the most weights (chunks of a
    /// multiple of it leave no partly filled ciphertext there).
    pub(super) fn paillier_slots(&self) -> Result<usize, ProtocolError> {
        let layers = &self.share.layers;
        let Some((li, l)) = layers
            .iter()
            .enumerate()
            .max_by_key(|(_, l)| l.inputs * l.outputs)
        else {
            return Ok(1);
        };
        let (own, peer) = (self.own_sk.public_key(), self.peer_pk);
        Ok(layer_layout(&self.share.ring, li, l.inputs, own, peer)?.slots())
    }

    /// Cuts the image into chunks of `chunk` patches: the lanes (the user's first shares
    /// `a_U[j][p] = p_j + B`) and the schedule.
    pub(super) fn set_chunk(&mut self, chunk: usize) {
        let ring = self.share.ring;
        let (inputs, bound) = (self.inputs, input_offset());
        let n = self.share.layers.first().map_or(0, |l| l.inputs);
        let user = self.side == Side::User;
        self.chunk = chunk;
        self.lanes = lanes(self.patches, chunk, |range| {
            user.then(|| {
                (0..n)
                    .flat_map(|j| {
                        inputs[range.clone()]
                            .iter()
                            .map(move |p| ring.from_signed(p[j] + bound))
                    })
                    .collect()
            })
        });
        let chunks = chunk_count(self.patches, chunk);
        self.ops = schedule(self.side, self.share.layers.len(), chunks);
    }
}

/// The lanes of an image of `patches` patches cut into chunks of `chunk`; `first(range)`
/// gives a lane's first-layer shares.
pub(crate) fn lanes(
    patches: usize,
    chunk: usize,
    first: impl Fn(Range<usize>) -> Option<Vec<u64>>,
) -> Vec<Lane> {
    (0..chunk_count(patches, chunk))
        .map(|c| {
            let range = chunk_range(c, chunk, patches);
            Lane::new(range.clone(), first(range))
        })
        .collect()
}

/// The image's shares `[value][patch]` from the lanes' `[value][patch of the chunk]` (each
/// lane's `z` holds `rows` values per patch).
pub(crate) fn join_rows(lanes: &[Lane], rows: usize, patches: usize) -> Option<Vec<u64>> {
    let mut out = vec![0u64; rows * patches];
    for lane in lanes {
        let n = lane.len();
        if lane.z.len() != rows * n || lane.range.end > patches {
            return None;
        }
        for (i, row) in lane.z.chunks(n.max(1)).enumerate() {
            out[i * patches + lane.range.start..i * patches + lane.range.end].copy_from_slice(row);
        }
    }
    Some(out)
}

/// The result of a [`Work`]: the masked products for the peer and this party's share `ρ`.
pub struct Worked {
    pub(crate) at: At,
    pub(crate) products: Products,
    pub(crate) rho: Vec<u64>,
}

impl std::fmt::Debug for Worked {
    /// The unit and the count of products (never the shares).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Worked({:?}, {:?})", self.at, self.products)
    }
}

/// `z ← z − sign(ρ)` per value: the multiplier's share of its masked products.
pub(crate) fn subtract_masks(ring: &Ring, z: &mut [u64], rho: &[u64], sign: impl Fn(u64) -> u64) {
    for (z, &s) in z.iter_mut().zip(rho) {
        *z = ring.sub(*z, sign(s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_cover_the_patches_and_join_back_in_order() {
        // 7 patches in chunks of 3: [0,3) [3,6) [6,7); two values per patch.
        let mut ls = lanes(7, 3, |r| Some(r.map(|p| p as u64).collect()));
        assert_eq!(
            ls.iter().map(|l| l.range.clone()).collect::<Vec<_>>(),
            vec![0..3, 3..6, 6..7]
        );
        assert_eq!(ls[2].a, Some(vec![6]));
        for l in &mut ls {
            // z[i][p] = 10·i + p (p global)
            l.z = (0..2)
                .flat_map(|i| l.range.clone().map(move |p| 10 * i + p as u64))
                .collect();
        }
        let z = join_rows(&ls, 2, 7).expect("joined");
        let want: Vec<u64> = (0..2)
            .flat_map(|i| (0..7).map(move |p| 10 * i + p))
            .collect();
        assert_eq!(z, want);
        // A lane with the wrong number of shares is refused.
        ls[1].z.pop();
        assert!(join_rows(&ls, 2, 7).is_none());
    }
}

//! The per-unit steps of a party's core ([`PartyCore`]): a unit (layer, chunk)'s local term,
//! its products (also as the pure [`Work`] a runner computes beside a garbled batch), its
//! decryption and its activation batch, each on the unit's [`Lane`].

use super::lane::{Lane, Worked, subtract_masks};
use super::{PartyCore, need, order};
use crate::error::ProtocolError;
use crate::fast::exchange::Side;
use crate::fast::msg::{GcBatch, GcCircuit, Part};
use crate::fast::schedule::Work;
use crate::fast::schedule::{At, Op};
use crate::fast::step::{check_shape, local_term};
use rand::{CryptoRng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use runtime::driver::Reveal;

impl PartyCore<'_> {
    pub(super) fn lane(&self, at: At) -> Result<&Lane, ProtocolError> {
        self.lanes
            .get(at.chunk)
            .ok_or_else(|| order("no such chunk"))
    }

    pub(super) fn lane_mut(&mut self, at: At) -> Result<&mut Lane, ProtocolError> {
        self.lanes
            .get_mut(at.chunk)
            .ok_or_else(|| order("no such chunk"))
    }

    pub(super) fn cut(&self, at: At) -> Result<&crate::fast::engine::Plan, ProtocolError> {
        need(&self.lane(at)?.cut, "no layer is running")
    }

    /// The unit's local term and its cut.
    pub(super) fn local(&mut self, at: At) -> Result<(), ProtocolError> {
        let li = at.layer;
        let l = self
            .share
            .layers
            .get(li)
            .ok_or_else(|| order("no such layer"))?;
        check_shape(l, li)?;
        let (ring, side) = (self.share.ring, self.side);
        let lane = self.lane(at)?;
        let cut = self.cross()?.plan(li, l.inputs, l.outputs, lane.len())?;
        let peer_public = li == 0 && side == Side::User;
        let z = local_term(&ring, l, lane.a.as_deref(), peer_public, lane.len());
        let lane = self.lane_mut(at)?;
        lane.z = z.into_iter().map(|v| side.sign(&ring, v)).collect();
        lane.cut = Some(cut);
        Ok(())
    }

    /// This party's masked products of unit `at` (pure: the runner may call it on another
    /// thread through [`PartyCore::work`]).
    pub(super) fn products<R: CryptoRng + ?Sized>(
        &self,
        at: At,
        rng: &mut R,
    ) -> Result<Worked, ProtocolError> {
        let lane = self.lane(at)?;
        let Some(Part::Inputs(theirs)) = lane.incoming.as_ref() else {
            return Err(order("no inputs to multiply"));
        };
        let weights = &self
            .share
            .layers
            .get(at.layer)
            .ok_or_else(|| order("no such layer"))?
            .weights;
        let (products, rho) = self
            .cross()?
            .multiply(self.cut(at)?, theirs, weights, rng)?;
        Ok(Worked { at, products, rho })
    }

    /// Takes a unit's products: its share `−sign(ρ)`, the products to send.
    pub(super) fn take_products(&mut self, done: Worked) -> Result<(), ProtocolError> {
        let (ring, side) = (self.share.ring, self.side);
        let lane = self.lane_mut(done.at)?;
        if !matches!(lane.incoming.take(), Some(Part::Inputs(_))) {
            return Err(order("products of inputs that are not there"));
        }
        subtract_masks(&ring, &mut lane.z, &done.rho, |s| side.sign(&ring, s));
        lane.outgoing = Some(Part::Products(done.products));
        Ok(())
    }

    /// Decrypts the products of this party's own shares of unit `at`.
    pub(super) fn decrypt(&mut self, at: At) -> Result<(), ProtocolError> {
        let Some(Part::Products(back)) = self.lane_mut(at)?.incoming.take() else {
            return Err(order("no products to decrypt"));
        };
        let cross = need(&self.cross, "the key exchange is not finished")?;
        let cut = self.cut(at)?;
        let minus_v = cross.decrypt(cut, &back)?;
        let clear = match self.view.is_some() {
            true => cross.clear_values(cut, &back)?,
            false => Vec::new(),
        };
        if let Some(v) = self.view.as_mut() {
            v.cross_slots.extend(clear);
        }
        let (ring, side) = (self.share.ring, self.side);
        let lane = self.lane_mut(at)?;
        for (z, s) in lane.z.iter_mut().zip(minus_v) {
            *z = ring.add(*z, side.sign(&ring, s));
        }
        Ok(())
    }

    /// The unit of the inputs just handed out to send ([`PartyCore::encode`] follows the
    /// poll that moved past [`Op::SendInputs`]).
    pub(super) fn sending_at(&self) -> Result<At, ProtocolError> {
        match self.pos.checked_sub(1).and_then(|p| self.ops.get(p)) {
            Some(&Op::SendInputs(at)) => Ok(at),
            _ => Err(order("no inputs are being sent")),
        }
    }

    /// Computes the work handed out with [`crate::fast::schedule::Action::GarbleBeside`] (needs only `&self`).
    pub fn work(&self, work: &Work) -> Result<Worked, ProtocolError> {
        self.products(work.at, &mut ChaCha20Rng::from_seed(work.seed))
    }

    /// Takes the result of the work beside the running batch (before
    /// [`PartyCore::garbled`]).
    pub fn worked(&mut self, done: Worked) -> Result<(), ProtocolError> {
        match self.ops.get(self.pos) {
            Some(&Op::Activation(_, Some(next))) if next == done.at && !self.beside_done => {
                self.take_products(done)?;
                self.beside_done = true;
                Ok(())
            }
            _ => Err(order("no work beside this step")),
        }
    }

    pub(super) fn activation_batch<R: CryptoRng + ?Sized>(
        &mut self,
        at: At,
        rng: &mut R,
    ) -> Result<GcBatch, ProtocolError> {
        let (ring, user, c) = (self.share.ring, self.side == Side::User, self.circuit);
        let lane = self.lane_mut(at)?;
        let bits = if user {
            if lane.masks.len() != lane.z.len() {
                lane.masks = lane.z.iter().map(|_| ring.reduce(rng.next_u64())).collect();
            }
            lane.z
                .iter()
                .zip(&lane.masks)
                .map(|(&z, &r)| c.garbler_bits(z, r))
                .collect()
        } else {
            lane.z.iter().map(|&z| c.evaluator_bits(z)).collect()
        };
        Ok(GcBatch {
            circuit: GcCircuit::Activation,
            garbler: user,
            reveal: Reveal::Evaluator,
            scheme: self.scheme,
            bits,
        })
    }
}

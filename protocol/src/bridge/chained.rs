//! Chained packing (σ once per ciphertext): both roles' pure cores (run by
//! [`super::run_cloud`] and [`super::run_user`]); the circuit is
//! [`super::chained_circuit::ChainedCircuit`].

use super::chained_circuit::ChainedCircuit;
use super::core::{CloudMsg, CloudSteps, RandomnessUse, UserMsg, UserSteps, party_inputs};
use super::output::CloudOutput;
use super::wire::{Header, Mode};
use crate::error::{BridgeError, he};
use circuit::value::from_bits;
use compiler::Party;
use num_bigint::{BigInt, BigUint};
use num_traits::{One, ToPrimitive, Zero};
use paillier::{Ciphertext, PublicKey, RandomnessPool, SecretKey, SlotLayout};
use rand::CryptoRng;

fn random_bits<R: CryptoRng + ?Sized>(rng: &mut R, bits: u32) -> BigUint {
    let mut bytes = vec![0u8; bits.div_ceil(8) as usize];
    rng.fill_bytes(&mut bytes);
    BigUint::from_bytes_le(&bytes) & ((BigUint::one() << bits) - 1u8)
}

/// `Σ_s 2^(w−1)·2^(s·w)` for `k` slots of `w` bits.
fn offsets(k: usize, w: u32) -> BigUint {
    (0..k).fold(BigUint::zero(), |acc, s| {
        acc + (BigUint::one() << (s as u32 * w + w - 1))
    })
}

fn digit(v: &BigUint, index: usize, w: u32) -> u128 {
    ((v >> (index as u32 * w)) & ((BigUint::one() << w) - 1u8))
        .to_u128()
        .unwrap_or(0)
}

/// Index of a per-slot input such as `v12`, or `None` for `utop`.
fn slot_index(name: &str) -> Option<usize> {
    name.get(1..).and_then(|n| n.parse().ok())
}

/// The cloud's side of chained mode between its steps (pure: no I/O, no timing): the masks
/// it drew, one per group of K slots.
#[derive(Debug)]
pub struct ChainedCloudCore<'a> {
    pk: &'a PublicKey,
    cc: &'a ChainedCircuit,
    batch: usize,
    masks: Vec<BigUint>,
    randomness: RandomnessUse,
}

impl<'a> ChainedCloudCore<'a> {
    /// Packs K inputs per ciphertext, masks them with one σ per ciphertext and re-randomises
    /// with `r^N` from `pool`; returns the core and the message to send.
    pub fn start<R: CryptoRng + ?Sized>(
        pk: &'a PublicKey,
        cc: &'a ChainedCircuit,
        inputs: &[Ciphertext],
        pool: &mut RandomnessPool,
        rng: &mut R,
    ) -> Result<(Self, CloudMsg), BridgeError> {
        let (k, l) = (cc.slots, cc.x_bits);
        let layout_in = SlotLayout::new(k, l, pk.bits()).map_err(he("slot layout"))?;
        let zero = pk
            .encrypt_deterministic(&BigUint::zero())
            .map_err(he("padding"))?;
        let mut randomness = RandomnessUse::default();
        let mut masks = Vec::new();
        let mut cts = Vec::new();
        for group in inputs.chunks(k) {
            let mut padded = group.to_vec();
            padded.resize(k, zero.clone());
            let packed = layout_in
                .pack_ciphertexts(pk, &padded)
                .map_err(he("packing"))?;
            let m = random_bits(rng, k as u32 * l + cc.sigma);
            let masked = pk
                .add_plain(&packed, &(offsets(k, l) + &m))
                .map_err(he("masking"))?;
            cts.push(pk.rerandomize(&masked, &randomness.take(pool, pk, rng)));
            masks.push(m);
        }
        let header = Header {
            mode: Mode::Chained,
            batch: inputs.len() as u64,
            ciphertexts: cts.len() as u64,
        };
        let core = Self {
            pk,
            cc,
            batch: inputs.len(),
            masks,
            randomness,
        };
        Ok((core, CloudMsg::Masked { header, cts }))
    }
}

impl CloudSteps for ChainedCloudCore<'_> {
    fn expected_output_masks(&self) -> usize {
        self.masks.len()
    }

    fn evaluator_inputs(&self) -> Vec<Vec<bool>> {
        let l = self.cc.x_bits;
        party_inputs(
            &self.cc.tpc,
            Party::Evaluator,
            self.masks.len(),
            |g, name| digit(&self.masks[g], slot_index(name).unwrap_or(0), l),
        )
    }

    fn randomness(&self) -> RandomnessUse {
        self.randomness
    }

    /// `Enc(Σ_s f(x_s)·2^(s·LY))` per group of K.
    fn finish(self, reply: UserMsg, ys: &[Vec<bool>]) -> Result<CloudOutput, BridgeError> {
        let UserMsg::OutputMasks(neg_ru) = reply;
        if neg_ru.len() != self.masks.len() || ys.len() != self.masks.len() {
            return Err(BridgeError::protocol(
                "encrypted output masks",
                format!(
                    "{} output masks and {} garbled outputs for {} groups",
                    neg_ru.len(),
                    ys.len(),
                    self.masks.len()
                ),
            ));
        }
        let (pk, cc) = (self.pk, self.cc);
        let offset_y = BigInt::from(offsets(cc.slots, cc.y_bits));
        let mut cts = Vec::with_capacity(neg_ru.len());
        for (c, bits) in neg_ru.iter().zip(ys) {
            // Outputs y0..y(K−1) (LY bits each) then ytop: Y = Σ y_s·2^(LY·s) + ytop·2^(LY·K).
            let mut y = BigUint::zero();
            let mut at = 0usize;
            for (s, out) in cc.tpc.circuit().outputs.iter().enumerate() {
                let w = out.format.width() as usize;
                let v = BigUint::from(from_bits(&bits[at..at + w]));
                y += v << (s as u32 * cc.y_bits);
                at += w;
            }
            let f_prime = pk.add_plain(c, &y).map_err(he("unmasking"))?;
            cts.push(
                pk.add_plain_signed(&f_prime, &-offset_y.clone())
                    .map_err(he("unmasking"))?,
            );
        }
        Ok(CloudOutput::Packed {
            layout: cc.output_layout(pk)?,
            batch: self.batch,
            cts,
        })
    }
}

/// The user's side of chained mode (pure: no I/O, no timing).
#[derive(Debug)]
pub struct ChainedUserCore<'a> {
    sk: &'a SecretKey,
    cc: &'a ChainedCircuit,
    randomness: RandomnessUse,
}

impl<'a> ChainedUserCore<'a> {
    /// The user's core for `cc` under its key `sk`.
    pub fn new(sk: &'a SecretKey, cc: &'a ChainedCircuit) -> Self {
        Self {
            sk,
            cc,
            randomness: RandomnessUse::default(),
        }
    }
}

impl UserSteps for ChainedUserCore<'_> {
    fn expect(&self, header: &Header) -> Result<usize, BridgeError> {
        let groups = (header.batch as usize).div_ceil(self.cc.slots);
        if header.mode != Mode::Chained || header.ciphertexts != groups as u64 {
            return Err(BridgeError::protocol(
                "bridge header",
                format!(
                    "{} ciphertexts for {} activations in chained mode",
                    header.ciphertexts, header.batch
                ),
            ));
        }
        Ok(groups)
    }

    fn respond<R: CryptoRng + ?Sized>(
        &mut self,
        msg: CloudMsg,
        pool: &mut RandomnessPool,
        rng: &mut R,
    ) -> Result<(UserMsg, Vec<Vec<bool>>), BridgeError> {
        let CloudMsg::Masked { header, cts } = msg;
        if cts.len() != self.expect(&header)? {
            return Err(BridgeError::protocol(
                "masked pre-activations",
                format!("{} ciphertexts for {header:?}", cts.len()),
            ));
        }
        let (sk, cc) = (self.sk, self.cc);
        let pk = sk.public_key();
        let (k, l) = (cc.slots, cc.x_bits);
        let limit = k as u64 * u64::from(l) + u64::from(cc.sigma) + 1;
        let mut values = Vec::with_capacity(cts.len());
        for c in &cts {
            let v = sk.decrypt(c).map_err(he("decrypting masked values"))?;
            if v.bits() > limit {
                return Err(BridgeError::protocol(
                    "masked pre-activations",
                    format!("a masked value exceeds {limit} bits (cloud mask out of range)"),
                ));
            }
            values.push(v);
        }
        let ru_bits = k as u32 * cc.y_bits + cc.sigma;
        let rus: Vec<BigUint> = (0..cts.len()).map(|_| random_bits(rng, ru_bits)).collect();
        let neg_ru = rus
            .iter()
            .map(|ru| {
                let rn = self.randomness.take(pool, pk, rng);
                pk.encrypt_with(&(pk.n() - ru), &rn)
                    .map_err(he("encrypting output masks"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let top_shift = k as u32 * cc.y_bits;
        let inputs = party_inputs(&cc.tpc, Party::Garbler, values.len(), |g, name| {
            match (name.as_bytes().first(), slot_index(name)) {
                (Some(b'v'), Some(s)) => digit(&values[g], s, l),
                (Some(b'u'), Some(s)) => digit(&rus[g], s, cc.y_bits),
                _ => (&rus[g] >> top_shift).to_u128().unwrap_or(0),
            }
        });
        Ok((UserMsg::OutputMasks(neg_ru), inputs))
    }

    fn randomness(&self) -> RandomnessUse {
        self.randomness
    }
}

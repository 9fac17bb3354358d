//! The bridge as a pure per-step core (unpacked and packed modes): its messages as types,
//! one enum per direction, and the arithmetic of each step. No I/O and no timing: the
//! runners ([`super::run_cloud`], [`super::run_user`]) move the messages over a channel, run
//! the garbled circuit between the steps and record the timeline.
//!
//! ```text
//! cloud: CloudCore::start(Enc(x))  ──CloudMsg::Masked──▶  user: UserCore::expect(header)
//!                                                               UserCore::respond(masked)
//! cloud: CloudCore::finish(…)      ◀──UserMsg::OutputMasks──     (+ garbler inputs)
//!        (+ evaluator outputs of the garbled run in between)
//! ```

use super::masks::{draw_input_mask, draw_output_mask};
use super::output::CloudOutput;
use super::wire::{Header, Mode};
use super::{BridgeCircuit, groups, packed_layouts};
use crate::error::{ProtocolError, he};
use crate::wire::MAX_BATCH;
use circuit::value::{from_bits, push_bits, sign_extend};
use compiler::Party;
use num_bigint::{BigInt, BigUint};
use num_traits::ToPrimitive;
use paillier::{Ciphertext, PublicKey, Randomness, RandomnessPool, SecretKey, SlotLayout};
use rand::CryptoRng;
use runtime::driver::TwoPartyCircuit;

/// cloud → user.
#[derive(Debug, Clone, PartialEq)]
pub enum CloudMsg {
    /// The masked, re-randomised pre-activations `Enc(x + m)` (packed or not) and their
    /// header.
    Masked {
        /// Mode, batch and ciphertext count.
        header: Header,
        /// The ciphertexts, `header.ciphertexts` of them.
        cts: Vec<Ciphertext>,
    },
}

/// user → cloud.
#[derive(Debug, Clone, PartialEq)]
pub enum UserMsg {
    /// Fresh `Enc(−ru)`, one per activation (unpacked) or per output group (packed).
    OutputMasks(Vec<Ciphertext>),
}

/// `r^N` values used by one party: from its pool, or computed because the pool ran dry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RandomnessUse {
    /// Taken from the precomputed pool.
    pub from_pool: u64,
    /// Computed on line.
    pub computed: u64,
}

impl RandomnessUse {
    /// A precomputed `r^N` if the pool has one, else one computed now (and counted).
    pub(crate) fn take<R: CryptoRng + ?Sized>(
        &mut self,
        pool: &mut RandomnessPool,
        pk: &PublicKey,
        rng: &mut R,
    ) -> Randomness {
        match pool.take() {
            Some(r) => {
                self.from_pool += 1;
                r
            }
            None => {
                self.computed += 1;
                pk.random_nth_power(rng)
            }
        }
    }
}

/// The cloud's steps after it sent its [`CloudMsg`], the same for every mode: what the
/// runner needs to receive the reply, run the garbled circuit and finish.
pub trait CloudSteps {
    /// How many `Enc(−ru)` ciphertexts the user's reply carries.
    fn expected_output_masks(&self) -> usize;
    /// The evaluator's input bits of every garbled instance.
    fn evaluator_inputs(&self) -> Vec<Vec<bool>>;
    /// Randomness used so far.
    fn randomness(&self) -> RandomnessUse;
    /// `Enc(f(x))` from the reply and the evaluator's outputs.
    fn finish(self, reply: UserMsg, ys: &[Vec<bool>]) -> Result<CloudOutput, ProtocolError>;
}

/// The user's steps for one announced batch, the same for every mode.
pub trait UserSteps {
    /// Checks the header; returns how many ciphertexts to receive.
    fn expect(&self, header: &Header) -> Result<usize, ProtocolError>;
    /// The reply to the masked values and the garbler's input bits of every instance.
    fn respond<R: CryptoRng + ?Sized>(
        &mut self,
        msg: CloudMsg,
        pool: &mut RandomnessPool,
        rng: &mut R,
    ) -> Result<(UserMsg, Vec<Vec<bool>>), ProtocolError>;
    /// Randomness used so far.
    fn randomness(&self) -> RandomnessUse;
}

impl CloudSteps for CloudCore<'_> {
    fn expected_output_masks(&self) -> usize {
        CloudCore::expected_output_masks(self)
    }
    fn evaluator_inputs(&self) -> Vec<Vec<bool>> {
        CloudCore::evaluator_inputs(self)
    }
    fn randomness(&self) -> RandomnessUse {
        self.randomness
    }
    fn finish(self, reply: UserMsg, ys: &[Vec<bool>]) -> Result<CloudOutput, ProtocolError> {
        CloudCore::finish(self, reply, ys)
    }
}

impl UserSteps for UserCore<'_> {
    fn expect(&self, header: &Header) -> Result<usize, ProtocolError> {
        UserCore::expect(self, header)
    }
    fn respond<R: CryptoRng + ?Sized>(
        &mut self,
        msg: CloudMsg,
        pool: &mut RandomnessPool,
        rng: &mut R,
    ) -> Result<(UserMsg, Vec<Vec<bool>>), ProtocolError> {
        UserCore::respond(self, msg, pool, rng)
    }
    fn randomness(&self) -> RandomnessUse {
        self.randomness
    }
}

/// The garbler's or evaluator's input bits of every instance: for each instance, the inputs
/// of `party` in circuit order, each value LSB-first, `value(name)` giving each value.
pub(crate) fn party_inputs(
    tpc: &TwoPartyCircuit,
    party: Party,
    count: usize,
    value: impl Fn(usize, &str) -> u128,
) -> Vec<Vec<bool>> {
    (0..count)
        .map(|k| {
            let mut bits = Vec::new();
            for (v, p) in tpc.circuit().inputs.iter().zip(tpc.parties()) {
                if *p == party {
                    push_bits(&mut bits, value(k, &v.name), v.format.width());
                }
            }
            bits
        })
        .collect()
}

/// The cloud between its two steps: the masks it drew, waiting for `Enc(−ru)` and the
/// garbled circuit's outputs.
#[derive(Debug)]
pub struct CloudCore<'a> {
    pk: &'a PublicKey,
    circuit: &'a BridgeCircuit,
    mode: Mode,
    masks: Vec<u128>,
    layout_out: SlotLayout,
    /// Randomness used so far.
    pub randomness: RandomnessUse,
}

impl<'a> CloudCore<'a> {
    /// Step 1: masks every `Enc(x_i)` (x_i signed, |x_i| < 2^(LX−1), under the user's key
    /// `pk`), packs them in packed mode and re-randomises with `r^N` from `pool`; returns the
    /// core and the message to send. `mode` must be unpacked or packed.
    pub fn start<R: CryptoRng + ?Sized>(
        pk: &'a PublicKey,
        circuit: &'a BridgeCircuit,
        inputs: &[Ciphertext],
        mode: Mode,
        pool: &mut RandomnessPool,
        rng: &mut R,
    ) -> Result<(Self, CloudMsg), ProtocolError> {
        check_batch(inputs.len())?;
        if mode == Mode::Chained {
            return Err(ProtocolError::Interface(
                "chained mode runs through bridge::chained".into(),
            ));
        }
        let p = circuit.params();
        let (layout_in, layout_out) = packed_layouts(pk, p).map_err(he("slot layout"))?;
        let mut randomness = RandomnessUse::default();
        let masks: Vec<u128> = (0..inputs.len())
            .map(|_| draw_input_mask(&p, rng))
            .collect();
        let cts: Vec<Ciphertext> = match mode {
            Mode::Unpacked => inputs
                .iter()
                .zip(&masks)
                .map(|(c, &m)| {
                    let masked = pk.add_plain(c, &BigUint::from(m)).map_err(he("masking"))?;
                    Ok(pk.rerandomize(&masked, &randomness.take(pool, pk, rng)))
                })
                .collect::<Result<_, ProtocolError>>()?,
            Mode::Packed | Mode::Chained => inputs
                .chunks(layout_in.slots())
                .zip(masks.chunks(layout_in.slots()))
                .map(|(cs, ms)| {
                    let packed = layout_in.pack_ciphertexts(pk, cs).map_err(he("packing"))?;
                    let ms: Vec<BigUint> = ms.iter().map(|&m| BigUint::from(m)).collect();
                    let mask = layout_in.pack(&ms).map_err(he("packing masks"))?;
                    let masked = pk.add_plain(&packed, &mask).map_err(he("masking"))?;
                    Ok(pk.rerandomize(&masked, &randomness.take(pool, pk, rng)))
                })
                .collect::<Result<_, ProtocolError>>()?,
        };
        let header = Header {
            mode,
            batch: inputs.len() as u64,
            ciphertexts: cts.len() as u64,
        };
        let core = Self {
            pk,
            circuit,
            mode,
            masks,
            layout_out,
            randomness,
        };
        Ok((core, CloudMsg::Masked { header, cts }))
    }

    /// How many `Enc(−ru)` ciphertexts the user's reply carries.
    pub fn expected_output_masks(&self) -> usize {
        match self.mode {
            Mode::Unpacked => self.masks.len(),
            Mode::Packed | Mode::Chained => groups(self.masks.len(), self.layout_out.slots()),
        }
    }

    /// The evaluator's input bits of every garbled instance: the cloud's mask m.
    pub fn evaluator_inputs(&self) -> Vec<Vec<bool>> {
        party_inputs(
            &self.circuit.tpc,
            Party::Evaluator,
            self.masks.len(),
            |k, _| self.masks[k],
        )
    }

    /// Step 2: from the user's `Enc(−ru)` and the revealed `y_i = f(x_i) + ru_i` of the
    /// garbled run, `Enc(f(x)) = Enc(−ru) · (1 + y·N)`.
    pub fn finish(self, reply: UserMsg, ys: &[Vec<bool>]) -> Result<CloudOutput, ProtocolError> {
        let UserMsg::OutputMasks(neg_ru) = reply;
        if neg_ru.len() != self.expected_output_masks() || ys.len() != self.masks.len() {
            return Err(ProtocolError::protocol(
                "encrypted output masks",
                format!(
                    "{} output masks and {} garbled outputs for a batch of {}",
                    neg_ru.len(),
                    ys.len(),
                    self.masks.len()
                ),
            ));
        }
        let width = self.circuit.output_width();
        let ys: Vec<i128> = ys
            .iter()
            .map(|b| sign_extend(from_bits(b), width))
            .collect();
        let pk = self.pk;
        Ok(match self.mode {
            Mode::Unpacked => CloudOutput::Unpacked(
                neg_ru
                    .iter()
                    .zip(&ys)
                    .map(|(c, &y)| {
                        pk.add_plain_signed(c, &BigInt::from(y))
                            .map_err(he("unmasking"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Mode::Packed | Mode::Chained => {
                let layout = self.layout_out;
                let w = layout.width() as usize;
                let cts = neg_ru
                    .iter()
                    .zip(ys.chunks(layout.slots()))
                    .map(|(c, group)| {
                        // Σ_s y_s·2^(s·w) with signed y_s; adding it to Enc(−Σ ru_s·2^(s·w))
                        // leaves Σ f(x_s)·2^(s·w).
                        let packed: BigInt = group
                            .iter()
                            .enumerate()
                            .map(|(s, &y)| BigInt::from(y) << (s * w))
                            .sum();
                        pk.add_plain_signed(c, &packed).map_err(he("unmasking"))
                    })
                    .collect::<Result<_, _>>()?;
                CloudOutput::Packed {
                    layout,
                    batch: ys.len(),
                    cts,
                }
            }
        })
    }
}

/// A bridge batch holds 1..=[`MAX_BATCH`] activations.
pub(crate) fn check_batch(n: usize) -> Result<(), ProtocolError> {
    if n == 0 || n as u64 > MAX_BATCH {
        return Err(ProtocolError::Interface(format!(
            "a bridge batch holds 1..={MAX_BATCH} activations, not {n}"
        )));
    }
    Ok(())
}

/// The user's side: checks the cloud's header, then answers the masked values.
#[derive(Debug)]
pub struct UserCore<'a> {
    sk: &'a SecretKey,
    circuit: &'a BridgeCircuit,
    layout_in: SlotLayout,
    layout_out: SlotLayout,
    /// Randomness used so far.
    pub randomness: RandomnessUse,
}

impl<'a> UserCore<'a> {
    /// The user's core for `circuit` under its key `sk`.
    pub fn new(sk: &'a SecretKey, circuit: &'a BridgeCircuit) -> Result<Self, ProtocolError> {
        let (layout_in, layout_out) =
            packed_layouts(sk.public_key(), circuit.params()).map_err(he("slot layout"))?;
        Ok(Self {
            sk,
            circuit,
            layout_in,
            layout_out,
            randomness: RandomnessUse::default(),
        })
    }

    /// Checks the header's ciphertext count against its mode and batch; returns how many
    /// ciphertexts to receive.
    pub fn expect(&self, header: &Header) -> Result<usize, ProtocolError> {
        let n = header.batch as usize;
        let expected = match header.mode {
            Mode::Unpacked => n,
            Mode::Packed | Mode::Chained => groups(n, self.layout_in.slots()),
        };
        if header.ciphertexts != expected as u64 {
            return Err(ProtocolError::protocol(
                "bridge header",
                format!(
                    "{} ciphertexts announced for a batch of {n}, expected {expected}",
                    header.ciphertexts
                ),
            ));
        }
        Ok(expected)
    }

    /// Decrypts `x + m` (checking its width), draws the output masks ru, encrypts `−ru` with
    /// randomness from `pool`; returns the reply and the garbler's input bits of every
    /// instance (`x + m` and ru in circuit order).
    pub fn respond<R: CryptoRng + ?Sized>(
        &mut self,
        msg: CloudMsg,
        pool: &mut RandomnessPool,
        rng: &mut R,
    ) -> Result<(UserMsg, Vec<Vec<bool>>), ProtocolError> {
        let CloudMsg::Masked { header, cts } = msg;
        if cts.len() != self.expect(&header)? || header.mode == Mode::Chained {
            return Err(ProtocolError::protocol(
                "masked pre-activations",
                format!("{} ciphertexts for {:?}", cts.len(), header),
            ));
        }
        let (sk, pk, p) = (self.sk, self.sk.public_key(), self.circuit.params());
        let n = header.batch as usize;
        let bad_range = || {
            ProtocolError::protocol(
                "masked pre-activations",
                format!(
                    "a masked value exceeds {} bits (cloud mask out of range)",
                    p.masked_x_width()
                ),
            )
        };
        let mut xr: Vec<u128> = Vec::with_capacity(n);
        for (g, c) in cts.iter().enumerate() {
            let plain = sk.decrypt(c).map_err(he("decrypting masked values"))?;
            if header.mode == Mode::Unpacked {
                if plain.bits() > u64::from(p.masked_x_width()) {
                    return Err(bad_range());
                }
                xr.push(low_bits(&plain, p.masked_x_width()));
            } else {
                let slots = self.layout_in.slots();
                let count = (n - g * slots).min(slots);
                let values = self
                    .layout_in
                    .unpack(&plain, count)
                    .map_err(|_| bad_range())?;
                xr.extend(values.iter().map(|v| low_bits(v, p.masked_x_width())));
            }
        }
        let ru: Vec<u128> = (0..n).map(|_| draw_output_mask(&p, rng)).collect();
        let neg = |v: BigUint| pk.n() - v;
        let groups: Vec<BigUint> = if header.mode == Mode::Unpacked {
            ru.iter().map(|&r| BigUint::from(r)).collect()
        } else {
            ru.chunks(self.layout_out.slots())
                .map(|g| {
                    let g: Vec<BigUint> = g.iter().map(|&r| BigUint::from(r)).collect();
                    self.layout_out.pack(&g).map_err(he("packing output masks"))
                })
                .collect::<Result<_, _>>()?
        };
        let neg_ru = groups
            .into_iter()
            .map(|v| {
                let rn = self.randomness.take(pool, pk, rng);
                pk.encrypt_with(&neg(v), &rn)
                    .map_err(he("encrypting output masks"))
            })
            .collect::<Result<_, _>>()?;
        let inputs = party_inputs(&self.circuit.tpc, Party::Garbler, n, |k, name| {
            if name == "ru" { ru[k] } else { xr[k] }
        });
        Ok((UserMsg::OutputMasks(neg_ru), inputs))
    }
}

/// The low `bits` bits of v (bits < 128).
fn low_bits(v: &BigUint, bits: u32) -> u128 {
    let mask = (BigUint::from(1u8) << bits) - 1u8;
    (v & mask).to_u128().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::sync::OnceLock;

    fn key() -> &'static SecretKey {
        static K: OnceLock<SecretKey> = OnceLock::new();
        K.get_or_init(|| {
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(21);
            SecretKey::generate_any_size(512, &mut rng).expect("keygen")
        })
    }

    fn circuit() -> &'static BridgeCircuit {
        static C: OnceLock<BridgeCircuit> = OnceLock::new();
        C.get_or_init(|| BridgeCircuit::default_tanh().expect("circuit"))
    }

    /// The garbled circuit's job done in the clear: y = f((x+m) − m) + ru from both parties'
    /// input bits, as the evaluator's output bits.
    fn plain_gc(garbler: &[Vec<bool>], evaluator: &[Vec<bool>]) -> Vec<Vec<bool>> {
        let c = circuit();
        let width = c.output_width();
        garbler
            .iter()
            .zip(evaluator)
            .map(|(g, e)| {
                // Split the garbler's bits by the circuit's input order and widths.
                let (mut at, mut xm, mut ru) = (0usize, 0u128, 0u128);
                for (v, party) in c.tpc.circuit().inputs.iter().zip(c.tpc.parties()) {
                    if *party == Party::Garbler {
                        let w = v.format.width() as usize;
                        let value = from_bits(&g[at..at + w]);
                        at += w;
                        if v.name == "ru" {
                            ru = value
                        } else {
                            xm = value
                        }
                    }
                }
                let x = xm as i128 - from_bits(e) as i128;
                let y = c.reference(x).expect("reference") + ru as i128;
                circuit::value::to_bits(y as u128, width)
            })
            .collect()
    }

    /// Drives both cores with the messages passed by hand (no channel) and checks the
    /// cloud's result decrypts to f(x), in both modes.
    #[test]
    fn scripted_messages_give_the_activation_in_both_modes() {
        let sk = key();
        let pk = sk.public_key();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(22);
        let xs: Vec<i128> = vec![-(1 << 30), -5_000_000, -1, 0, 1, 3_000_000, 1 << 33];
        let inputs: Vec<Ciphertext> = xs
            .iter()
            .map(|&x| {
                let r = pk.random_nth_power(&mut rng);
                pk.encrypt_signed_with(&BigInt::from(x), &r).expect("enc")
            })
            .collect();
        let want: Vec<i128> = xs
            .iter()
            .map(|&x| circuit().reference(x).expect("reference"))
            .collect();
        for mode in [Mode::Unpacked, Mode::Packed] {
            let mut pool = RandomnessPool::new();
            let (cloud, msg) =
                CloudCore::start(pk, circuit(), &inputs, mode, &mut pool, &mut rng).expect("start");
            let CloudMsg::Masked { header, .. } = &msg;
            assert_eq!(header.batch, xs.len() as u64);
            let mut user = UserCore::new(sk, circuit()).expect("user");
            assert_eq!(
                user.expect(header).expect("header"),
                header.ciphertexts as usize
            );
            let (reply, garbler) = user.respond(msg, &mut pool, &mut rng).expect("respond");
            let UserMsg::OutputMasks(cts) = &reply;
            let sent = cts.len();
            assert_eq!(sent, cloud.expected_output_masks());
            let ys = plain_gc(&garbler, &cloud.evaluator_inputs());
            let out = cloud.finish(reply, &ys).expect("finish");
            assert_eq!(out.decrypt(sk).expect("decrypt"), want, "{mode:?}");
            assert_eq!(user.randomness.from_pool, 0, "empty pool: computed on line");
            assert_eq!(user.randomness.computed as usize, sent);
        }
    }

    /// A header whose count does not match its batch, a reply of the wrong length and an
    /// empty batch are refused with errors naming the message.
    #[test]
    fn wrong_counts_are_refused_by_the_cores() {
        let sk = key();
        let pk = sk.public_key();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(23);
        let user = UserCore::new(sk, circuit()).expect("user");
        let header = Header {
            mode: Mode::Unpacked,
            batch: 3,
            ciphertexts: 2,
        };
        let err = user.expect(&header).expect_err("wrong count");
        assert!(err.to_string().contains("ciphertexts announced"), "{err}");
        assert_eq!(err.phase(), "bridge header");

        let mut pool = RandomnessPool::new();
        let r = pk.random_nth_power(&mut rng);
        let one = vec![pk.encrypt_signed_with(&BigInt::from(7), &r).expect("enc")];
        let (cloud, _) = CloudCore::start(pk, circuit(), &one, Mode::Unpacked, &mut pool, &mut rng)
            .expect("start");
        let err = cloud
            .finish(UserMsg::OutputMasks(Vec::new()), &[])
            .expect_err("short reply");
        assert_eq!(err.phase(), "encrypted output masks");
        let err = CloudCore::start(pk, circuit(), &[], Mode::Unpacked, &mut pool, &mut rng)
            .expect_err("empty batch");
        assert!(err.to_string().contains("1..="), "{err}");
    }
}

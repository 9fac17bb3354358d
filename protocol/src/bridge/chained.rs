//! Chained packing (σ once per ciphertext): both roles. See [`super::chained_circuit`].

use super::chained_circuit::{compile, output_slot_bits};
use super::circuit::MaskParams;
use super::core::RandomnessUse;
use super::wire::{Header, Mode, send_header};
use crate::error::{BridgeError, chan, he};
use crate::timeline::{Category, Lap, Timeline};
use crate::wire::{recv_ciphertexts, send_ciphertexts};
use activation::{Activation, MaskedParams};
use circuit::value::{from_bits, push_bits};
use compiler::Party;
use num_bigint::{BigInt, BigUint};
use num_traits::{One, ToPrimitive, Zero};
use paillier::{Ciphertext, PublicKey, RandomnessPool, SecretKey, SlotLayout};
use rand::CryptoRng;
use runtime::channel::Channel;
use runtime::driver::{Reveal, TwoPartyCircuit, run_evaluator, run_garbler};

/// A compiled chained circuit for K slots.
#[derive(Debug, Clone)]
pub struct ChainedCircuit {
    pub(crate) tpc: TwoPartyCircuit,
    slots: usize,
    x_bits: u32,
    y_bits: u32,
    sigma: u32,
}

impl ChainedCircuit {
    /// Compile the chained masked `act` for a key of `key_bits` bits with as many slots as
    /// fit (per-slot parameters `masked`, e.g. [`MaskedParams::narrow`]: FW = 0, LZ = 16).
    pub fn new(key_bits: u32, act: &Activation, masked: MaskedParams) -> Result<Self, BridgeError> {
        let (x_bits, sigma) = (masked.lz, masked.sigma);
        let y_bits = output_slot_bits(act)?;
        if x_bits < 2 {
            return Err(BridgeError::Interface(
                "chained circuit has no input digits".into(),
            ));
        }
        let room = key_bits.saturating_sub(3 + sigma + 1);
        let slots = (room / x_bits).min(room / y_bits) as usize;
        if slots == 0 {
            return Err(BridgeError::Interface(format!(
                "a {key_bits}-bit key holds no slot"
            )));
        }
        Ok(Self {
            tpc: compile(act, slots, masked)?,
            slots,
            x_bits,
            y_bits,
            sigma,
        })
    }

    /// The two-party circuit run by the driver (one instance per ciphertext of K slots).
    pub fn two_party(&self) -> &TwoPartyCircuit {
        &self.tpc
    }

    /// Slots per ciphertext (activations per garbled instance).
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// AND gates per activation.
    pub fn ands_per_activation(&self) -> usize {
        self.tpc.and_count() / self.slots
    }

    /// The mask widths: LX digits in, RW = K·LY + σ output mask.
    pub fn params(&self) -> MaskParams {
        MaskParams {
            x_bits: self.x_bits,
            ru_bits: self.slots as u32 * self.y_bits + self.sigma,
            sigma: self.sigma,
        }
    }

    fn output_layout(&self, pk: &PublicKey) -> Result<SlotLayout, BridgeError> {
        SlotLayout::new(self.slots, self.y_bits, pk.bits()).map_err(he("slot layout"))
    }
}

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

/// The cloud's side; returns `Enc(Σ_s f(x_s)·2^(s·14))` per group of K.
pub(crate) fn cloud<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    cc: &ChainedCircuit,
    inputs: &[Ciphertext],
    pool: &mut RandomnessPool,
    rng: &mut R,
) -> Result<(super::CloudOutput, Timeline), BridgeError> {
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let mut report = Timeline::new();
    let mut randomness = RandomnessUse::default();
    let mut clock = Lap::start();
    let (k, l) = (cc.slots, cc.x_bits);
    let layout_in = SlotLayout::new(k, l, pk.bits()).map_err(he("slot layout"))?;
    let zero = pk
        .encrypt_deterministic(&BigUint::zero())
        .map_err(he("padding"))?;
    let mut masks = Vec::new();
    let mut to_send = Vec::new();
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
        let rn = randomness.take(pool, pk, rng);
        to_send.push(pk.rerandomize(&masked, &rn));
        masks.push(m);
    }
    clock.lap(&mut report, Category::Compute, "mask + re-randomise");
    let header = Header {
        mode: Mode::Chained,
        batch: inputs.len() as u64,
        ciphertexts: to_send.len() as u64,
    };
    send_header(ch, pk, header)?;
    send_ciphertexts(ch, pk, &to_send, "masked pre-activations")?;
    clock.lap(&mut report, Category::Send, "send masked values");
    let neg_ru = recv_ciphertexts(ch, pk, to_send.len(), "encrypted output masks")?;
    clock.lap(&mut report, Category::Wait, "receive Enc(-ru)");

    let eval_inputs: Vec<Vec<bool>> = masks
        .iter()
        .map(|m| {
            let mut bits = Vec::new();
            for (v, party) in cc.tpc.circuit().inputs.iter().zip(cc.tpc.parties()) {
                if *party == Party::Evaluator {
                    let s = slot_index(&v.name).unwrap_or(0);
                    push_bits(&mut bits, digit(m, s, l), v.format.width());
                }
            }
            bits
        })
        .collect();
    let run = run_evaluator(ch, &cc.tpc, &eval_inputs, Reveal::Evaluator, rng)?;
    report.absorb_gc(&run.stats);
    let mut clock = Lap::start();
    let outputs = run.outputs.ok_or_else(|| BridgeError::Protocol {
        phase: "garbled circuit",
        what: "the evaluator received no outputs".into(),
    })?;
    let offset_y = BigInt::from(offsets(k, cc.y_bits));
    let mut cts = Vec::with_capacity(neg_ru.len());
    for (c, bits) in neg_ru.iter().zip(&outputs) {
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
    clock.lap(&mut report, Category::Compute, "unmask");
    ch.flush().map_err(chan("finish"))?;
    report.add_traffic(ch.bytes_sent() - sent0, ch.bytes_received() - recv0);
    report.randomness_from_pool += randomness.from_pool;
    report.randomness_computed += randomness.computed;
    report.activations += inputs.len() as u64;
    let out = super::CloudOutput::Packed {
        layout: cc.output_layout(pk)?,
        batch: inputs.len(),
        cts,
    };
    Ok((out, report))
}

/// The user's side after the header announced chained mode (continues `run_user`'s byte
/// counters).
pub(crate) fn user<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    sk: &SecretKey,
    cc: &ChainedCircuit,
    header: Header,
    pool: &mut RandomnessPool,
    rng: &mut R,
    (sent0, recv0): (u64, u64),
) -> Result<Timeline, BridgeError> {
    let mut report = Timeline::new();
    let mut randomness = RandomnessUse::default();
    let pk = sk.public_key();
    let (k, l) = (cc.slots, cc.x_bits);
    let groups = (header.batch as usize).div_ceil(k);
    if header.ciphertexts != groups as u64 {
        return Err(BridgeError::Protocol {
            phase: "bridge header",
            what: format!(
                "{} ciphertexts for {} activations in chained mode",
                header.ciphertexts, header.batch
            ),
        });
    }
    let mut clock = Lap::start();
    let masked = recv_ciphertexts(ch, pk, groups, "masked pre-activations")?;
    clock.lap(&mut report, Category::Wait, "receive masked values");
    let limit = k as u64 * u64::from(l) + u64::from(cc.sigma) + 1;
    let mut values = Vec::with_capacity(groups);
    for c in &masked {
        let v = sk.decrypt(c).map_err(he("decrypting masked values"))?;
        if v.bits() > limit {
            return Err(BridgeError::Protocol {
                phase: "masked pre-activations",
                what: format!("a masked value exceeds {limit} bits (cloud mask out of range)"),
            });
        }
        values.push(v);
    }
    clock.lap(&mut report, Category::Compute, "decrypt");
    let ru_bits = k as u32 * cc.y_bits + cc.sigma;
    let rus: Vec<BigUint> = (0..groups).map(|_| random_bits(rng, ru_bits)).collect();
    let neg_ru = rus
        .iter()
        .map(|ru| {
            let rn = randomness.take(pool, pk, rng);
            pk.encrypt_with(&(pk.n() - ru), &rn)
                .map_err(he("encrypting output masks"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    clock.lap(&mut report, Category::Compute, "draw + encrypt -ru");
    send_ciphertexts(ch, pk, &neg_ru, "encrypted output masks")?;
    clock.lap(&mut report, Category::Send, "send Enc(-ru)");
    let top_shift = k as u32 * cc.y_bits;
    let garbler_inputs: Vec<Vec<bool>> = values
        .iter()
        .zip(&rus)
        .map(|(v, ru)| {
            let mut bits = Vec::new();
            for (input, party) in cc.tpc.circuit().inputs.iter().zip(cc.tpc.parties()) {
                if *party != Party::Garbler {
                    continue;
                }
                let value = match (input.name.as_bytes().first(), slot_index(&input.name)) {
                    (Some(b'v'), Some(s)) => digit(v, s, l),
                    (Some(b'u'), Some(s)) => digit(ru, s, cc.y_bits),
                    _ => (ru >> top_shift).to_u128().unwrap_or(0),
                };
                push_bits(&mut bits, value, input.format.width());
            }
            bits
        })
        .collect();
    let run = run_garbler(ch, &cc.tpc, &garbler_inputs, Reveal::Evaluator, rng)?;
    report.absorb_gc(&run.stats);
    report.add_traffic(ch.bytes_sent() - sent0, ch.bytes_received() - recv0);
    report.randomness_from_pool += randomness.from_pool;
    report.randomness_computed += randomness.computed;
    report.activations += header.batch;
    Ok(report)
}

//! The cloud's side of the bridge (garbled-circuit evaluator).

use super::circuit::signed;
use super::masks::{bits_of, draw_input_mask, value_of};
use super::wire::{Header, Mode, recv_ciphertexts, send_ciphertexts, send_header};
use super::{
    BridgeCircuit, Clock, PartyReport, absorb_gc, groups, packed_layouts, take_randomness,
};
use crate::error::{BridgeError, chan, he};
use compiler::Party;
use num_bigint::{BigInt, BigUint};
use paillier::{Ciphertext, PublicKey, RandomnessPool, SecretKey, SlotLayout};
use rand::CryptoRng;
use runtime::channel::Channel;
use runtime::driver::{Reveal, run_evaluator};

/// What the cloud holds after a run.
#[derive(Debug, Clone)]
pub enum CloudOutput {
    /// `Enc(f(x_i))`, one per input.
    Unpacked(Vec<Ciphertext>),
    /// `Enc(Σ_s f(x_s)·2^(s·w))` per group of `layout.slots()` inputs (signed slots).
    Packed {
        /// The output slot layout.
        layout: SlotLayout,
        /// Number of activations.
        batch: usize,
        /// Packed ciphertexts, in order.
        cts: Vec<Ciphertext>,
    },
}

impl CloudOutput {
    /// Decrypt every activation (the user's view of the result; for tests and demos).
    pub fn decrypt(&self, sk: &SecretKey) -> Result<Vec<i128>, BridgeError> {
        let to_i128 = |v: &BigInt| -> Result<i128, BridgeError> {
            i128::try_from(v).map_err(|_| BridgeError::Protocol {
                phase: "output decryption",
                what: "activation does not fit 128 bits".into(),
            })
        };
        match self {
            CloudOutput::Unpacked(cts) => cts
                .iter()
                .map(|c| to_i128(&sk.decrypt_signed(c).map_err(he("output decryption"))?))
                .collect(),
            CloudOutput::Packed { layout, batch, cts } => {
                let mut out = Vec::with_capacity(*batch);
                for (g, c) in cts.iter().enumerate() {
                    let count = (*batch - g * layout.slots()).min(layout.slots());
                    let packed = sk.decrypt_signed(c).map_err(he("output decryption"))?;
                    for v in layout
                        .unpack_signed(&packed, count)
                        .map_err(he("output unpacking"))?
                    {
                        out.push(to_i128(&v)?);
                    }
                }
                Ok(out)
            }
        }
    }
}

/// Runs the cloud's side on `Enc(x_i)` (x_i signed, |x_i| < 2^(LX−1), under the user's key
/// `pk`), taking re-randomisation values from `pool` (computing any that are missing).
pub fn run_cloud<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    circuit: &BridgeCircuit,
    inputs: &[Ciphertext],
    mode: Mode,
    pool: &mut RandomnessPool,
    rng: &mut R,
) -> Result<(CloudOutput, PartyReport), BridgeError> {
    if inputs.is_empty() || inputs.len() as u64 > super::MAX_BATCH {
        return Err(BridgeError::Interface(format!(
            "a bridge batch holds 1..={} activations, not {}",
            super::MAX_BATCH,
            inputs.len()
        )));
    }
    if mode == Mode::Chained {
        let cc = circuit.chained.as_ref().ok_or_else(|| {
            BridgeError::Interface("chained mode needs BridgeCircuit::with_chained".into())
        })?;
        return super::chained::cloud(ch, pk, cc, inputs, pool, rng);
    }
    let p = circuit.params();
    let n = inputs.len();
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let mut report = PartyReport::default();
    let mut clock = Clock::start();
    let (layout_in, layout_out) = packed_layouts(pk, p).map_err(he("slot layout"))?;

    // 1. Mask, re-randomise, send.
    let masks: Vec<u128> = (0..n).map(|_| draw_input_mask(&p, rng)).collect();
    let to_send: Vec<Ciphertext> = match mode {
        Mode::Unpacked => inputs
            .iter()
            .zip(&masks)
            .map(|(c, &m)| {
                let masked = pk.add_plain(c, &BigUint::from(m)).map_err(he("masking"))?;
                let rn = take_randomness(pool, pk, &mut report, rng);
                Ok(pk.rerandomize(&masked, &rn))
            })
            .collect::<Result<_, BridgeError>>()?,
        Mode::Packed | Mode::Chained => inputs
            .chunks(layout_in.slots())
            .zip(masks.chunks(layout_in.slots()))
            .map(|(cs, ms)| {
                let packed = layout_in.pack_ciphertexts(pk, cs).map_err(he("packing"))?;
                let ms: Vec<BigUint> = ms.iter().map(|&m| BigUint::from(m)).collect();
                let mask = layout_in.pack(&ms).map_err(he("packing masks"))?;
                let masked = pk.add_plain(&packed, &mask).map_err(he("masking"))?;
                let rn = take_randomness(pool, pk, &mut report, rng);
                Ok(pk.rerandomize(&masked, &rn))
            })
            .collect::<Result<_, BridgeError>>()?,
    };
    clock.lap(&mut report, "mask + re-randomise");
    send_header(
        ch,
        pk,
        Header {
            mode,
            batch: n as u64,
            ciphertexts: to_send.len() as u64,
        },
    )?;
    send_ciphertexts(ch, pk, &to_send, "masked pre-activations")?;
    clock.lap(&mut report, "send masked values");

    // 2. The user's Enc(−ru).
    let expected = match mode {
        Mode::Unpacked => n,
        Mode::Packed | Mode::Chained => groups(n, layout_out.slots()),
    };
    let neg_ru = recv_ciphertexts(ch, pk, expected, "encrypted output masks")?;
    clock.lap(&mut report, "receive Enc(-ru)");

    // 3. Evaluate the batch with our mask as evaluator input.
    let eval_inputs: Vec<Vec<bool>> = masks
        .iter()
        .map(|&m| {
            let mut bits = Vec::new();
            for (v, party) in circuit
                .tpc
                .circuit()
                .inputs
                .iter()
                .zip(circuit.tpc.parties())
            {
                if *party == Party::Evaluator {
                    bits.extend(bits_of(m, v.format.width()));
                }
            }
            bits
        })
        .collect();
    let run = run_evaluator(ch, &circuit.tpc, &eval_inputs, Reveal::Evaluator, rng)?;
    absorb_gc(&mut report, &run.stats);
    let mut clock = Clock::start();
    let outputs = run.outputs.ok_or_else(|| BridgeError::Protocol {
        phase: "garbled circuit",
        what: "the evaluator received no outputs".into(),
    })?;
    let width = circuit.output_width();
    let ys: Vec<i128> = outputs
        .iter()
        .map(|bits| signed(value_of(bits), width))
        .collect();

    // 4. Enc(f(x)) = Enc(−ru) · (1 + y·N).
    let result = match mode {
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
        Mode::Packed | Mode::Chained => CloudOutput::Packed {
            layout: layout_out,
            batch: n,
            cts: neg_ru
                .iter()
                .zip(ys.chunks(layout_out.slots()))
                .map(|(c, group)| {
                    // Σ_s y_s·2^(s·w) with signed y_s; adding it to Enc(−Σ ru_s·2^(s·w))
                    // leaves Σ f(x_s)·2^(s·w).
                    let w = layout_out.width() as usize;
                    let packed: BigInt = group
                        .iter()
                        .enumerate()
                        .map(|(s, &y)| BigInt::from(y) << (s * w))
                        .sum();
                    pk.add_plain_signed(c, &packed).map_err(he("unmasking"))
                })
                .collect::<Result<_, _>>()?,
        },
    };
    clock.lap(&mut report, "unmask");
    ch.flush().map_err(chan("finish"))?;
    report.bytes_sent = ch.bytes_sent() - sent0;
    report.bytes_received = ch.bytes_received() - recv0;
    Ok((result, report))
}

//! The cloud's side of the bridge (garbled-circuit evaluator): the runner of
//! [`super::core::CloudCore`] and the result type.

use super::BridgeCircuit;
use super::chained::ChainedCloudCore;
use super::core::{CloudCore, CloudMsg, CloudSteps, UserMsg, check_batch};
use super::wire::{Mode, send_cloud_msg};
use crate::error::{BridgeError, chan, he};
use crate::timeline::{Category, Lap, Timeline};
use crate::wire::recv_ciphertexts;
use num_bigint::BigInt;
use paillier::{Ciphertext, PublicKey, RandomnessPool, SecretKey, SlotLayout};
use rand::CryptoRng;
use runtime::channel::Channel;
use runtime::driver::{Reveal, TwoPartyCircuit, run_evaluator};

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
/// `pk`), taking re-randomisation values from `pool` (computing any that are missing): the
/// steps of the mode's core ([`CloudCore`], [`ChainedCloudCore`]) over `ch`, timed into a
/// [`Timeline`].
pub fn run_cloud<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    circuit: &BridgeCircuit,
    inputs: &[Ciphertext],
    mode: Mode,
    pool: &mut RandomnessPool,
    rng: &mut R,
) -> Result<(CloudOutput, Timeline), BridgeError> {
    check_batch(inputs.len())?;
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let mut t = Timeline::new();
    let mut lap = Lap::start();
    let result = if mode == Mode::Chained {
        let cc = circuit.chained.as_ref().ok_or_else(|| {
            BridgeError::Interface("chained mode needs BridgeCircuit::with_chained".into())
        })?;
        let (core, msg) = ChainedCloudCore::start(pk, cc, inputs, pool, rng)?;
        lap.lap(&mut t, Category::Compute, "mask + re-randomise");
        drive(ch, pk, &cc.tpc, core, msg, &mut t, rng)?
    } else {
        let (core, msg) = CloudCore::start(pk, circuit, inputs, mode, pool, rng)?;
        lap.lap(&mut t, Category::Compute, "mask + re-randomise");
        drive(ch, pk, &circuit.tpc, core, msg, &mut t, rng)?
    };
    ch.flush().map_err(chan("finish"))?;
    t.add_traffic(ch.bytes_sent() - sent0, ch.bytes_received() - recv0);
    t.activations += inputs.len() as u64;
    Ok((result, t))
}

/// Sends `msg`, receives the output masks, evaluates `tpc` and finishes `core`.
fn drive<C: Channel + ?Sized, R: CryptoRng + ?Sized, S: CloudSteps>(
    ch: &mut C,
    pk: &PublicKey,
    tpc: &TwoPartyCircuit,
    core: S,
    msg: CloudMsg,
    t: &mut Timeline,
    rng: &mut R,
) -> Result<CloudOutput, BridgeError> {
    let mut lap = Lap::start();
    send_cloud_msg(ch, pk, &msg)?;
    drop(msg);
    lap.lap(t, Category::Send, "send masked values");
    let count = core.expected_output_masks();
    let reply = UserMsg::OutputMasks(recv_ciphertexts(ch, pk, count, "encrypted output masks")?);
    lap.lap(t, Category::Wait, "receive Enc(-ru)");
    let run = run_evaluator(ch, tpc, &core.evaluator_inputs(), Reveal::Evaluator, rng)?;
    t.absorb_gc(&run.stats);
    let mut lap = Lap::start();
    let ys = run.outputs.ok_or_else(|| {
        BridgeError::protocol("garbled circuit", "the evaluator received no outputs")
    })?;
    let randomness = core.randomness();
    let result = core.finish(reply, &ys)?;
    lap.lap(t, Category::Compute, "unmask");
    t.randomness_from_pool += randomness.from_pool;
    t.randomness_computed += randomness.computed;
    Ok(result)
}

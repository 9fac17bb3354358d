//! The cloud's side of the bridge (garbled-circuit evaluator): the runner of
//! [`super::core::CloudCore`] (its result type is [`super::output::CloudOutput`]).

use super::BridgeCircuit;
use super::chained::ChainedCloudCore;
use super::core::{CloudCore, CloudMsg, CloudSteps, UserMsg, check_batch};
use super::output::CloudOutput;
use super::wire::{Mode, send_header};
use crate::error::{BridgeError, chan};
use crate::timeline::{Category, Lap, Timeline};
use crate::wire::{recv_ciphertexts, send_ciphertexts};
use paillier::{Ciphertext, PublicKey, RandomnessPool};
use rand::CryptoRng;
use runtime::channel::Channel;
use runtime::driver::{Reveal, TwoPartyCircuit, run_evaluator};

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

/// Sends a [`CloudMsg`]: the header, then the ciphertexts.
pub(crate) fn send_cloud_msg<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    msg: &CloudMsg,
) -> Result<(), BridgeError> {
    let CloudMsg::Masked { header, cts } = msg;
    send_header(ch, pk, *header)?;
    send_ciphertexts(ch, pk, cts, "masked pre-activations")
}

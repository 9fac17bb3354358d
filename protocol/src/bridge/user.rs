//! The user's side of the bridge (key owner, garbled-circuit garbler): the runner of
//! [`super::core::UserCore`].

use super::BridgeCircuit;
use super::chained::ChainedUserCore;
use super::core::{CloudMsg, UserCore, UserMsg, UserSteps};
use super::wire::{Header, Mode, recv_header};
use crate::error::BridgeError;
use crate::timeline::{Category, Lap, Timeline};
use crate::wire::{recv_ciphertexts, send_ciphertexts};
use paillier::{RandomnessPool, SecretKey};
use rand::CryptoRng;
use runtime::channel::Channel;
use runtime::driver::{Reveal, TwoPartyCircuit, run_garbler};

/// Runs the user's side for one batch announced by the cloud; `pool` supplies the
/// randomness of the `Enc(−ru)` ciphertexts (fill it with [`RandomnessPool::fill_crt`]): the
/// steps of the announced mode's core ([`UserCore`], [`ChainedUserCore`]) over `ch`, timed
/// into a [`Timeline`].
pub fn run_user<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    sk: &SecretKey,
    circuit: &BridgeCircuit,
    pool: &mut RandomnessPool,
    rng: &mut R,
) -> Result<Timeline, BridgeError> {
    let pk = sk.public_key();
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let core = UserCore::new(sk, circuit)?;
    let header = recv_header(ch, pk)?;
    let mut t = Timeline::new();
    if header.mode == Mode::Chained {
        let cc = circuit.chained.as_ref().ok_or_else(|| {
            BridgeError::Interface("chained mode needs BridgeCircuit::with_chained".into())
        })?;
        drive(
            ch,
            sk,
            &cc.tpc,
            ChainedUserCore::new(sk, cc),
            header,
            pool,
            rng,
            &mut t,
        )?;
    } else {
        drive(ch, sk, &circuit.tpc, core, header, pool, rng, &mut t)?;
    }
    t.add_traffic(ch.bytes_sent() - sent0, ch.bytes_received() - recv0);
    t.activations += header.batch;
    Ok(t)
}

/// Receives the masked values announced by `header`, answers them and garbles `tpc`.
#[allow(clippy::too_many_arguments)]
fn drive<C: Channel + ?Sized, R: CryptoRng + ?Sized, S: UserSteps>(
    ch: &mut C,
    sk: &SecretKey,
    tpc: &TwoPartyCircuit,
    mut core: S,
    header: Header,
    pool: &mut RandomnessPool,
    rng: &mut R,
    t: &mut Timeline,
) -> Result<(), BridgeError> {
    let pk = sk.public_key();
    let mut lap = Lap::start();
    let count = core.expect(&header)?;
    let cts = recv_ciphertexts(ch, pk, count, "masked pre-activations")?;
    lap.lap(t, Category::Wait, "receive masked values");
    let (reply, garbler_inputs) = core.respond(CloudMsg::Masked { header, cts }, pool, rng)?;
    lap.lap(t, Category::Compute, "decrypt, draw + encrypt -ru");
    let UserMsg::OutputMasks(neg_ru) = &reply;
    send_ciphertexts(ch, pk, neg_ru, "encrypted output masks")?;
    lap.lap(t, Category::Send, "send Enc(-ru)");
    let run = run_garbler(ch, tpc, &garbler_inputs, Reveal::Evaluator, rng)?;
    t.absorb_gc(&run.stats);
    let randomness = core.randomness();
    t.randomness_from_pool += randomness.from_pool;
    t.randomness_computed += randomness.computed;
    Ok(())
}

//! The user's side of the bridge (key owner, garbled-circuit garbler): the runner of
//! [`super::core::UserCore`].

use super::BridgeCircuit;
use super::core::{CloudMsg, UserCore, UserMsg};
use super::wire::{Mode, recv_header};
use crate::error::BridgeError;
use crate::timeline::{Category, Lap, Timeline};
use crate::wire::{recv_ciphertexts, send_ciphertexts};
use paillier::{RandomnessPool, SecretKey};
use rand::CryptoRng;
use runtime::channel::Channel;
use runtime::driver::{Reveal, run_garbler};

/// Runs the user's side for one batch announced by the cloud; `pool` supplies the
/// randomness of the `Enc(−ru)` ciphertexts (fill it with [`RandomnessPool::fill_crt`]): the
/// steps of [`UserCore`] over `ch`, timed into a [`Timeline`].
pub fn run_user<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    sk: &SecretKey,
    circuit: &BridgeCircuit,
    pool: &mut RandomnessPool,
    rng: &mut R,
) -> Result<Timeline, BridgeError> {
    let pk = sk.public_key();
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let mut core = UserCore::new(sk, circuit)?;
    let header = recv_header(ch, pk)?;
    if header.mode == Mode::Chained {
        let cc = circuit.chained.as_ref().ok_or_else(|| {
            BridgeError::Interface("chained mode needs BridgeCircuit::with_chained".into())
        })?;
        return super::chained::user(ch, sk, cc, header, pool, rng, (sent0, recv0));
    }
    let mut t = Timeline::new();
    let mut lap = Lap::start();
    let count = core.expect(&header)?;
    let cts = recv_ciphertexts(ch, pk, count, "masked pre-activations")?;
    lap.lap(&mut t, Category::Wait, "receive masked values");
    let (reply, garbler_inputs) = core.respond(CloudMsg::Masked { header, cts }, pool, rng)?;
    lap.lap(&mut t, Category::Compute, "decrypt, draw + encrypt -ru");
    let UserMsg::OutputMasks(neg_ru) = &reply;
    send_ciphertexts(ch, pk, neg_ru, "encrypted output masks")?;
    lap.lap(&mut t, Category::Send, "send Enc(-ru)");
    let run = run_garbler(ch, &circuit.tpc, &garbler_inputs, Reveal::Evaluator, rng)?;
    t.absorb_gc(&run.stats);
    t.add_traffic(ch.bytes_sent() - sent0, ch.bytes_received() - recv0);
    t.randomness_from_pool += core.randomness.from_pool;
    t.randomness_computed += core.randomness.computed;
    t.activations += header.batch;
    Ok(t)
}

//! The cloud's side of the reference protocol: the runner of [`CloudCore`] over a channel.
//! It only ever holds the user's PUBLIC key: nothing in this module can decrypt.

use super::BRIDGE_MODE;
use super::core::{CloudCore, CloudStep, Kind, UserMsg};
use super::wire::{Drawer, recv, send};
use crate::bridge::{BridgeCircuit, CloudOutput, run_cloud};
use crate::error::{ProtocolError, chan};
use crate::timeline::{Category, Timeline};
use crate::upload::EncryptedModel;
use paillier::{PublicKey, RandomnessPool};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use runtime::channel::Channel;
use std::time::Instant;

/// Runs one chunk of `count` patches: receives `Enc(p)`, runs every layer, sends `Enc(q)`.
/// `pk` must be the key of `model` (the user's public key).
pub fn run_chunk<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    model: &EncryptedModel,
    circuit: &BridgeCircuit,
    count: usize,
    stats: &mut Timeline,
) -> Result<(), ProtocolError> {
    let mut core = CloudCore::new(pk, model, count)?;
    let rn = Drawer::Public(pk);
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let t = Instant::now();
    let inputs = recv(ch, pk, Kind::Patches, core.patch_values())?;
    stats.record(Category::Wait, "receive Enc(p)", t.elapsed());
    core.on_patches(UserMsg::Patches(inputs))?;
    loop {
        stats.set_layer(Some(core.layer() as u32 + 1));
        let rands = stats.time(Category::Offline, "r^N", || rn.draw(core.blinded_count()));
        stats.time(Category::Compute, "draw masks", || core.draw_masks())?;
        let msg = stats.time(Category::Compute, "blind + re-randomise", || {
            core.blind(&rands)
        })?;
        drop(rands);
        stats.time(Category::Send, "blinded factors", || send(ch, pk, &msg))?;
        drop(msg);
        let t = Instant::now();
        let sums = recv(ch, pk, Kind::Products, core.products_count())?;
        stats.record(Category::Wait, "user multiplies", t.elapsed());
        let step = stats.time(Category::Compute, "unblind (multi-exponentiation)", || {
            core.unblind(UserMsg::Products(sums))
        })?;
        match step {
            CloudStep::Output(q) => {
                let rands = stats.time(Category::Offline, "r^N", || rn.draw(q.len()));
                let msg = stats.time(Category::Compute, "re-randomise outputs", || {
                    core.outputs(&q, &rands)
                });
                stats.time(Category::Send, "Enc(q)", || send(ch, pk, &msg))?;
                break;
            }
            CloudStep::Activate(z) => {
                let mut pool = RandomnessPool::new();
                stats.time(Category::Offline, "r^N", || rn.fill(&mut pool, z.len()));
                let mut rng = ChaCha20Rng::from_rng(&mut rand::rng());
                let (out, bridge) =
                    run_cloud(ch, pk, circuit, &z, BRIDGE_MODE, &mut pool, &mut rng)?;
                stats.absorb_nested(&bridge);
                let CloudOutput::Unpacked(cts) = out else {
                    return Err(ProtocolError::protocol(
                        "activation bridge",
                        "packed output from an unpacked run",
                    ));
                };
                core.on_activations(cts)?;
            }
        }
    }
    stats.set_layer(None);
    ch.flush().map_err(chan("end of chunk"))?;
    stats.add_traffic(ch.bytes_sent() - sent0, ch.bytes_received() - recv0);
    stats.patches += count as u64;
    Ok(())
}

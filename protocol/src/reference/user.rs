//! The user's side of the reference protocol (key owner, garbler of the activations): the
//! runner of [`UserCore`] over a channel, with the off-line `r^N` precomputation, the
//! activation bridge between layers and the timeline.

use super::core::{CloudMsg, Kind, UserCore};
use super::wire::{Drawer, recv, send};
use crate::bridge::{BridgeCircuit, run_user};
use crate::error::ProtocolError;
use crate::timeline::{Category, Timeline};
use crate::upload::ModelHeader;
use paillier::{RandomnessPool, SecretKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use runtime::channel::Channel;
use std::time::Instant;

/// Runs one chunk: `patches` are quantised input patches (`Fa` fractional bits); returns
/// the raw outputs `q` (scale `Fw + Fa`) per patch. `progress(layer)` is called after each
/// layer.
pub fn run_chunk<C: Channel + ?Sized>(
    ch: &mut C,
    sk: &SecretKey,
    header: &ModelHeader,
    circuit: &BridgeCircuit,
    patches: &[Vec<i64>],
    stats: &mut Timeline,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<Vec<i64>>, ProtocolError> {
    let (pk, rn) = (sk.public_key(), Drawer::KeyHolder(sk));
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let mut core = UserCore::new(sk, header, patches.len())?;
    let values = patches.iter().map(Vec::len).sum();
    let rands = stats.time(Category::Offline, "r^N", || rn.draw(values));
    let msg = stats.time(Category::Compute, "encrypt patches", || {
        core.encrypt_patches(patches, &rands)
    })?;
    drop(rands);
    stats.time(Category::Send, "Enc(p)", || send(ch, pk, &msg))?;
    for li in 0..core.layers() {
        stats.set_layer(Some(li as u32 + 1));
        let t = Instant::now();
        let blinded = recv(ch, pk, Kind::Blinded, core.blinded_count())?;
        stats.record(Category::Wait, "cloud blinds", t.elapsed());
        stats.time(Category::Compute, "decrypt blinded factors", || {
            core.decrypt(CloudMsg::Blinded(blinded))
        })?;
        let products = core.products_count();
        let rands = stats.time(Category::Offline, "r^N", || rn.draw(products));
        let msg = stats.time(Category::Compute, "multiply + encrypt", || {
            core.multiply(&rands)
        })?;
        stats.time(Category::Send, "Enc(products)", || send(ch, pk, &msg))?;
        if core.activation_follows() {
            let mut pool = RandomnessPool::new();
            stats.time(Category::Offline, "r^N", || rn.fill(&mut pool, products));
            let mut rng = ChaCha20Rng::from_rng(&mut rand::rng());
            let bridge = run_user(ch, sk, circuit, &mut pool, &mut rng)?;
            stats.absorb_nested(&bridge);
        }
        progress(li);
    }
    stats.set_layer(None);
    let t = Instant::now();
    let out = recv(ch, pk, Kind::Outputs, core.output_count())?;
    stats.record(Category::Wait, "receive Enc(q)", t.elapsed());
    let q = stats.time(Category::Compute, "decrypt outputs", || {
        core.outputs(CloudMsg::Outputs(out))
    })?;
    stats.add_traffic(ch.bytes_sent() - sent0, ch.bytes_received() - recv0);
    stats.patches += patches.len() as u64;
    Ok(q)
}
